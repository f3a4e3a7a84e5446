#include "ostor/names.hpp"

#include <cstdint>
#include <set>

namespace ostor {

namespace {

constexpr std::size_t kMinBucketNameLength = 3;
constexpr std::size_t kMaxBucketNameLength = 63;
constexpr std::size_t kMaxObjectKeyBytes = 1024;  // S3's limit
constexpr std::size_t kMaxEmailBytes = 254;       // RFC 5321 path limit
constexpr std::size_t kMaxAccountNameLength = 64;
constexpr std::size_t kMaxUsageObjectNameBytes = 255;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool looks_like_ipv4(std::string_view s) {
    int dots = 0;
    int digits = 0;
    for (char c : s) {
        if (c == '.') {
            if (digits == 0) return false;
            ++dots;
            digits = 0;
        } else if (c >= '0' && c <= '9') {
            if (++digits > 3) return false;
        } else {
            return false;
        }
    }
    return dots == 3 && digits > 0;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Well-formed UTF-8 without overlongs or surrogates.
bool is_valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int extra;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            extra = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - p <= extra) return false;
        for (int i = 1; i <= extra; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        static constexpr std::uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMinForLength[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        p += extra + 1;
    }
    return true;
}

// Unicode characters in valid UTF-8 `s`: the bytes that do not continue one.
std::size_t utf8_chars(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// A tag's key or value: valid UTF-8 of at most `max_chars` characters
// without control characters (which no XML answer could carry).
bool valid_tag_text(std::string_view s, std::size_t max_chars) {
    if (!is_valid_utf8(s) || utf8_chars(s) > max_chars) return false;
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7F) return false;
    return true;
}

}  // namespace

TagProblem find_tag_problem(const std::vector<std::pair<std::string, std::string>>& tags, std::size_t max_tags) {
    std::set<std::string_view> keys;
    for (const auto& [key, value] : tags) {
        if (key.empty() || !valid_tag_text(key, kMaxTagKeyChars)) return TagProblem::BadKey;
        if (!valid_tag_text(value, kMaxTagValueChars)) return TagProblem::BadValue;
        if (starts_with(key, "aws:")) return TagProblem::ReservedKey;
        if (!keys.insert(key).second) return TagProblem::DuplicateKey;
    }
    return tags.size() > max_tags ? TagProblem::TooMany : TagProblem::None;
}

Result<void> validate_object_tags(const std::vector<std::pair<std::string, std::string>>& tags) {
    auto bad = [](const char* why) { return Result<void>(Errc::InvalidArgument, std::string("Invalid tags: ") + why); };
    switch (find_tag_problem(tags)) {
        case TagProblem::None:
            return {};
        case TagProblem::BadKey:
            return bad("a key must be 1 to 128 characters of UTF-8 text");
        case TagProblem::BadValue:
            return bad("a value must be at most 256 characters of UTF-8 text");
        case TagProblem::DuplicateKey:
            return bad("a key is given twice");
        case TagProblem::ReservedKey:
            return bad("keys starting with \"aws:\" are reserved");
        case TagProblem::TooMany:
            break;
    }
    return bad("an object has at most 10 tags");
}

Result<void> validate_bucket_name(std::string_view name) {
    auto bad = [&](const char* why) {
        return Result<void>(Errc::InvalidBucketName, "Invalid bucket name '" + std::string(name) + "': " + why);
    };
    if (name.size() < kMinBucketNameLength || name.size() > kMaxBucketNameLength)
        return bad("must be 3 to 63 characters long");
    for (char c : name)
        if (!is_lower_alnum(c) && c != '.' && c != '-')
            return bad("only lowercase letters, digits, '.' and '-' are allowed");
    if (!is_lower_alnum(name.front()) || !is_lower_alnum(name.back()))
        return bad("must begin and end with a letter or digit");
    if (name.find("..") != std::string_view::npos || name.find(".-") != std::string_view::npos ||
        name.find("-.") != std::string_view::npos)
        return bad("must not contain '..', '.-' or '-.'");
    if (looks_like_ipv4(name)) return bad("must not be formatted as an IP address");
    if (starts_with(name, "xn--") || starts_with(name, "sthree-") || starts_with(name, "amzn-s3-demo-"))
        return bad("reserved prefix");
    if (ends_with(name, "-s3alias") || ends_with(name, "--ol-s3") || ends_with(name, "--x-s3"))
        return bad("reserved suffix");
    return {};
}

Result<void> validate_object_key(std::string_view key) {
    if (key.empty()) return Result<void>(Errc::InvalidObjectName, "Object key must not be empty");
    if (key.size() > kMaxObjectKeyBytes)
        return Result<void>(Errc::InvalidObjectName, "Your key is too long (at most 1024 bytes)");
    if (!is_valid_utf8(key)) return Result<void>(Errc::InvalidObjectName, "Object key is not valid UTF-8");
    return {};
}

Result<void> validate_email(std::string_view email) {
    auto bad = [&](const char* why) {
        return Result<void>(Errc::InvalidEmail, "Invalid email address '" + std::string(email) + "': " + why);
    };
    if (email.empty() || email.size() > kMaxEmailBytes) return bad("must be 1 to 254 bytes long");
    auto at = email.find('@');
    if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
        return bad("must contain exactly one '@'");
    if (at == 0 || at + 1 == email.size()) return bad("needs a name before and a domain after '@'");
    for (unsigned char c : email)
        if (c <= 0x20 || c == 0x7F || c == '/' || c == '\\' || c == '"' || c == '<' || c == '>' || c == ',' || c == ';')
            return bad("contains a character not allowed in an address");
    auto domain = email.substr(at + 1);
    if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos)
        return bad("malformed domain");
    if (!is_valid_utf8(email)) return bad("not valid UTF-8");
    return {};
}

Result<void> validate_account_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxAccountNameLength)
        return Result<void>(Errc::InvalidAccountName, "Account name must be 1 to 64 characters long");
    for (char c : name)
        if (!is_lower_alnum(c) && !(c >= 'A' && c <= 'Z') && c != '.' && c != '_' && c != '-')
            return Result<void>(Errc::InvalidAccountName, "Invalid account name '" + std::string(name) +
                                                              "': use letters, digits, '.', '_' and '-'");
    if (name == "." || name == "..") return Result<void>(Errc::InvalidAccountName, "Invalid account name");
    return {};
}

Result<void> validate_usage_object_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxUsageObjectNameBytes)
        return Result<void>(Errc::InvalidArgument, "Usage object name must be 1 to 255 bytes long");
    for (unsigned char c : name)
        if (c <= 0x20 || c >= 0x7F || c == '/')
            return Result<void>(Errc::InvalidArgument, "Invalid usage object name '" + std::string(name) + "'");
    return {};
}

}  // namespace ostor
