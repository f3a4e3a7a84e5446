#include "s3/metadata_words.hpp"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "util.hpp"

namespace ostor::gw::s3 {

namespace {

bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        auto n = utf8_sequence_length(p, end);
        if (n == 0) return false;
        p += n;
    }
    return true;
}

// Every byte as the ISO-8859-1 character of its value (U+0000-U+00FF).
std::string latin1_to_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size() * 2);
    for (char c : s) {
        auto b = static_cast<unsigned char>(c);
        if (b < 0x80) {
            out += c;
        } else {
            out += static_cast<char>(0xC0 | (b >> 6));
            out += static_cast<char>(0x80 | (b & 0x3F));
        }
    }
    return out;
}

std::string as_utf8(std::string_view s) { return valid_utf8(s) ? std::string(s) : latin1_to_utf8(s); }

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// RFC 2047's Q: '_' a space, =XX a byte, other printable ASCII itself.
std::optional<std::string> q_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '_') {
            out += ' ';
        } else if (c == '=') {
            if (i + 2 >= text.size()) return std::nullopt;
            int hi = hex_digit(text[i + 1]), lo = hex_digit(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c > ' ' && c < 0x7f) {
            out += c;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

// A charset name as MIME writes them; this also keeps iconv's own suffixes
// (//TRANSLIT, //IGNORE) out.
bool charset_name_ok(std::string_view name) {
    return !name.empty() && std::ranges::all_of(name, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("-_.:+()").find(c) != std::string_view::npos;
    });
}

// `bytes` in `charset` as UTF-8; nullopt when iconv does not know the
// charset or the bytes are not text in it.
std::optional<std::string> to_utf8(std::string_view charset, std::string_view bytes) {
    if (iequals(charset, "US-ASCII")) {
        if (std::ranges::any_of(bytes, [](char c) { return c & 0x80; })) return std::nullopt;
        return std::string(bytes);
    }
    if (iequals(charset, "UTF-8") || iequals(charset, "UTF8")) {
        if (!valid_utf8(bytes)) return std::nullopt;
        return std::string(bytes);
    }
    if (iequals(charset, "ISO-8859-1") || iequals(charset, "LATIN1")) return latin1_to_utf8(bytes);
    iconv_t cd = iconv_open("UTF-8", std::string(charset).c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
    // No charset needs more than 4 bytes of UTF-8 for a byte in; past that
    // iconv fails (E2BIG) and the word is kept.
    std::string out(bytes.size() * 4 + 16, '\0');
    char* in = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    char* at = out.data();
    std::size_t out_left = out.size();
    bool ok = iconv(cd, &in, &in_left, &at, &out_left) != static_cast<std::size_t>(-1) &&
              iconv(cd, nullptr, nullptr, &at, &out_left) != static_cast<std::size_t>(-1);
    iconv_close(cd);
    if (!ok) return std::nullopt;
    out.resize(out.size() - out_left);
    if (!valid_utf8(out)) return std::nullopt;
    return out;
}

// One encoded-word, =?charset?B|Q?text?= (RFC 2047 section 2; a charset's
// RFC 2231 *language suffix ignored), decoded to UTF-8; nullopt when `word`
// is not one or does not decode.
std::optional<std::string> decode_word(std::string_view word) {
    if (word.size() < 8 || !word.starts_with("=?") || !word.ends_with("?=")) return std::nullopt;
    auto inner = word.substr(2, word.size() - 4);
    auto mark = inner.find('?');
    if (mark == std::string_view::npos || mark + 2 >= inner.size() || inner[mark + 2] != '?') return std::nullopt;
    auto charset = inner.substr(0, mark);
    char encoding = inner[mark + 1];
    auto text = inner.substr(mark + 3);
    if (text.find('?') != std::string_view::npos) return std::nullopt;
    charset = charset.substr(0, charset.find('*'));
    if (!charset_name_ok(charset)) return std::nullopt;
    std::optional<std::string> bytes;
    if (encoding == 'B' || encoding == 'b')
        bytes = base64_decode(text);
    else if (encoding == 'Q' || encoding == 'q')
        bytes = q_decode(text);
    if (!bytes) return std::nullopt;
    return to_utf8(charset, *bytes);
}

}  // namespace

std::string stored_metadata_value(std::string_view sent) {
    std::string value = as_utf8(sent);
    if (value.find("=?") == std::string::npos) return value;
    constexpr std::string_view kSpace = " \t";
    std::string out;
    bool after_word = false;
    for (std::size_t at = 0; at < value.size();) {
        auto token_at = std::min(value.find_first_not_of(kSpace, at), value.size());
        auto space = std::string_view(value).substr(at, token_at - at);
        auto token_end = std::min(value.find_first_of(kSpace, token_at), value.size());
        auto token = std::string_view(value).substr(token_at, token_end - token_at);
        auto decoded = decode_word(token);
        // Space between two encoded-words only separates them (RFC 2047 6.2).
        if (!(decoded && after_word)) out += space;
        out += decoded ? *decoded : std::string(token);
        after_word = decoded.has_value();
        at = token_end;
    }
    return out;
}

std::string metadata_header_value(std::string_view stored) {
    bool plain = std::ranges::all_of(stored, [](char c) { return (c >= ' ' && c < 0x7f) || c == '\t'; });
    if (plain) return std::string(stored);
    // Words of at most 75 characters (RFC 2047 section 2), each of whole
    // characters (section 5), one space between them: 45 bytes of text make
    // 60 of base64, plus the 12 of =?UTF-8?B? and ?=.
    constexpr std::size_t kWordTextBytes = 45;
    const std::string text = as_utf8(stored);
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    std::string out;
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = at;
        while (end < text.size()) {
            std::size_t n = utf8_sequence_length(bytes + end, bytes + text.size());
            if (end + n - at > kWordTextBytes) break;
            end += n;
        }
        if (!out.empty()) out += ' ';
        out += "=?UTF-8?B?" + base64_encode(std::string_view(text).substr(at, end - at)) + "?=";
        at = end;
    }
    return out;
}

}  // namespace ostor::gw::s3
