#include "s3/form_data.hpp"

#include <algorithm>
#include <cstring>

#include "util.hpp"

namespace ostor::gw::s3 {

namespace {

// RFC 2046: a boundary is 1 to 70 characters.
constexpr std::size_t kMaxBoundary = 70;
// The buffer the parts stream through: a delimiter always fits, with room to
// hand out data in useful pieces.
constexpr std::size_t kBufferBytes = 128 * 1024;
// A part's head (its header lines) must fit in this; a preamble before the
// first boundary too (browsers send none).
constexpr std::size_t kMaxHeadBytes = 8 * 1024;
// The body is read as if it began with CRLF, so that its first boundary is a
// delimiter like every other one.
constexpr std::string_view kLead = "\r\n";

bool is_token_char(char c) { return c != ';' && c != ' ' && c != '\t' && c != '"' && c != '='; }

// Parameters of a header value: `form-data; name="a"; filename="b"` ->
// [("name","a"), ("filename","b")]; names lowercased. In quoted strings a
// backslash escapes only a quote or a backslash (curl --form-escape); any
// other is kept, as in the Windows paths some browsers send as filenames
// (C:\dir\cat.jpg). Browsers percent-encode quotes instead, which is kept
// as sent.
std::vector<std::pair<std::string, std::string>> header_params(std::string_view v) {
    std::vector<std::pair<std::string, std::string>> out;
    auto semi = v.find(';');
    if (semi == std::string_view::npos) return out;
    v.remove_prefix(semi + 1);
    while (!v.empty()) {
        v = trim(v);
        auto eq = v.find('=');
        auto next = v.find(';');
        if (eq == std::string_view::npos || (next != std::string_view::npos && next < eq)) {
            if (next == std::string_view::npos) break;
            v.remove_prefix(next + 1);
            continue;
        }
        std::string name = to_lower(trim(v.substr(0, eq)));
        v.remove_prefix(eq + 1);
        v = trim(v);
        std::string value;
        if (!v.empty() && v.front() == '"') {
            std::size_t i = 1;
            for (; i < v.size() && v[i] != '"'; ++i) {
                if (v[i] == '\\' && i + 1 < v.size() && (v[i + 1] == '"' || v[i + 1] == '\\')) ++i;
                value += v[i];
            }
            v.remove_prefix(std::min(v.size(), i + 1));
        } else {
            std::size_t i = 0;
            while (i < v.size() && is_token_char(v[i])) ++i;
            value = std::string(v.substr(0, i));
            v.remove_prefix(i);
        }
        out.emplace_back(std::move(name), std::move(value));
        auto after = v.find(';');
        if (after == std::string_view::npos) break;
        v.remove_prefix(after + 1);
    }
    return out;
}

}  // namespace

std::optional<std::string> form_boundary(std::string_view content_type) {
    auto semi = content_type.find(';');
    if (!iequals(trim(content_type.substr(0, semi)), "multipart/form-data")) return std::nullopt;
    for (auto& [name, value] : header_params(content_type))
        if (name == "boundary") {
            if (value.empty() || value.size() > kMaxBoundary) return std::nullopt;
            return value;
        }
    return std::nullopt;
}

FormReader::FormReader(BodyReader& body, std::string_view boundary)
    : body_(body), delimiter_(std::string(kLead) + "--" + std::string(boundary)), buffer_(kBufferBytes) {
    std::memcpy(buffer_.data(), kLead.data(), kLead.size());
    end_ = kLead.size();
    position_ = 0;
}

std::uint64_t FormReader::position() const { return position_ >= kLead.size() ? position_ - kLead.size() : 0; }

void FormReader::consume(std::size_t n) {
    begin_ += n;
    position_ += n;
}

bool FormReader::fill() {
    if (body_ended_) return false;
    if (begin_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + begin_, buffered());
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == buffer_.size()) return true;  // full: the caller has enough to work on
    auto n = body_.read(std::as_writable_bytes(std::span(buffer_.data() + end_, buffer_.size() - end_)));
    if (n < 0) failed_read_ = true;
    if (n <= 0) {
        body_ended_ = true;
        return false;
    }
    end_ += static_cast<std::size_t>(n);
    return true;
}

FormStatus FormReader::fail(FormStatus why) {
    if (failed_read_) why = FormStatus::ReadFailed;
    state_ = State::Failed;
    failure_ = why;
    return why;
}

std::ptrdiff_t FormReader::read(std::span<std::byte> out) { return advance(out.data(), out.size()); }

std::ptrdiff_t FormReader::advance(std::byte* out, std::size_t max) {
    if (state_ != State::InPart && state_ != State::Preamble) return state_ == State::Failed ? -1 : 0;
    for (;;) {
        auto w = window();
        auto at = w.find(delimiter_);
        std::size_t ready;
        if (at != std::string_view::npos) {
            if (at == 0) {
                consume(delimiter_.size());
                state_ = State::AfterDelimiter;
                return 0;
            }
            ready = at;
        } else {
            // The tail could be the start of a delimiter: held back until more comes.
            ready = w.size() >= delimiter_.size() ? w.size() - (delimiter_.size() - 1) : 0;
        }
        if (ready > 0) {
            std::size_t n = std::min(ready, max);
            if (out) std::memcpy(out, w.data(), n);
            consume(n);
            return static_cast<std::ptrdiff_t>(n);
        }
        // Cut short: the body ended before the boundary that closes the part.
        if (!fill()) {
            fail(FormStatus::Malformed);
            return -1;
        }
    }
}

bool FormReader::read_value(std::string& value, std::size_t max_bytes) {
    value.clear();
    char piece[4096];
    for (;;) {
        auto n = read(std::as_writable_bytes(std::span(piece)));
        if (n < 0) return false;
        if (n == 0) return true;
        value.append(piece, static_cast<std::size_t>(n));
        if (value.size() > max_bytes) return false;
    }
}

FormStatus FormReader::next_part(FormPartHead& head, std::uint64_t max_skip) {
    if (state_ == State::Failed) return failure_;
    if (state_ == State::Done) return FormStatus::End;
    if (state_ == State::Preamble || state_ == State::InPart) {
        // The rest of the part (or the preamble, which must be short),
        // dropped in the buffer's whole window at a time: each step searches
        // the window once.
        const bool preamble = state_ == State::Preamble;
        const auto start = position_;
        for (;;) {
            auto n = advance(nullptr, kBufferBytes);
            if (n < 0) return failure_;
            if (n == 0) break;
            if (preamble && position_ - start > kMaxHeadBytes) return fail(FormStatus::Malformed);
            if (position_ - start > max_skip) return fail(FormStatus::Malformed);
        }
    }
    return read_head(head);
}

FormStatus FormReader::read_head(FormPartHead& head) {
    // After a delimiter: "--" closes the body; otherwise optional blanks
    // (RFC 2046's transport padding), CRLF, the header lines and an empty line.
    while (buffered() < 2)
        if (!fill()) return fail(FormStatus::Malformed);
    if (window().starts_with("--")) {
        consume(2);
        state_ = State::Done;
        return FormStatus::End;
    }
    std::size_t head_end;
    for (;;) {
        auto w = window();
        std::size_t i = 0;
        while (i < w.size() && (w[i] == ' ' || w[i] == '\t')) ++i;
        if (i + 2 <= w.size()) {
            if (w.substr(i, 2) != "\r\n") return fail(FormStatus::Malformed);
            // An empty head ends at once (CRLF CRLF at i).
            head_end = w.substr(i).starts_with("\r\n\r\n") ? i : w.find("\r\n\r\n", i);
            if (head_end != std::string_view::npos) break;
        }
        if (w.size() > kMaxHeadBytes) return fail(FormStatus::Malformed);
        if (!fill()) return fail(FormStatus::Malformed);
    }
    auto w = window();
    std::string_view lines = w.substr(0, head_end + 2);
    head = FormPartHead{};
    bool disposition = false;
    // Skip the padding and the CRLF after the boundary; then "Name: value" CRLF each.
    lines.remove_prefix(lines.find("\r\n") + 2);
    while (!lines.empty()) {
        auto eol = lines.find("\r\n");
        auto line = lines.substr(0, eol);
        lines.remove_prefix(eol == std::string_view::npos ? lines.size() : eol + 2);
        if (line.empty()) continue;
        auto colon = line.find(':');
        if (colon == std::string_view::npos) return fail(FormStatus::Malformed);
        auto name = trim(line.substr(0, colon));
        auto value = trim(line.substr(colon + 1));
        if (iequals(name, "content-disposition")) {
            auto semi = value.find(';');
            if (!iequals(trim(value.substr(0, semi)), "form-data")) return fail(FormStatus::Malformed);
            for (auto& [n, v] : header_params(value)) {
                if (n == "name") head.name = v, disposition = true;
                if (n == "filename") head.filename = v;
            }
        } else if (iequals(name, "content-type")) {
            head.content_type = std::string(value);
        }
    }
    if (!disposition) return fail(FormStatus::Malformed);
    consume(head_end + 4);
    state_ = State::InPart;
    return FormStatus::Part;
}

}  // namespace ostor::gw::s3
