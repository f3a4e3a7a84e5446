#include "line_forms.hpp"

namespace ostor::fs {

namespace {

// The blanks the tree trims around a line (tree.cpp, lines_of).
bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

// Whether `rest` (what follows a complete head) can still end as `tail` asks:
// its characters, then only blanks.
bool tail_may_begin(LineTail tail, std::string_view rest) {
    if (tail == LineTail::Text) return true;
    std::size_t i = 0;
    bool dot = false;
    for (; i < rest.size(); ++i) {
        char c = rest[i];
        if (tail == LineTail::Nothing) break;
        if (digit(c)) continue;
        if (c == '.' && tail == LineTail::Decimal && !dot) {
            dot = true;
            continue;
        }
        break;
    }
    for (; i < rest.size(); ++i)
        if (!blank(rest[i])) return false;
    return true;
}

}  // namespace

bool may_begin_line(std::span<const LineForm> forms, std::string_view partial) {
    if (forms.empty()) return true;
    while (!partial.empty() && blank(partial.front())) partial.remove_prefix(1);
    for (const auto& form : forms) {
        if (form.head.starts_with(partial)) return true;
        if (partial.starts_with(form.head) && tail_may_begin(form.tail, partial.substr(form.head.size()))) return true;
    }
    return false;
}

}  // namespace ostor::fs
