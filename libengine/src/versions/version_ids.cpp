#include "versions/version_ids.hpp"

#include <algorithm>
#include <random>

namespace ostor::detail {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr unsigned kBitsPerHexDigit = 4;

void append_hex(std::string& out, std::uint64_t value, std::size_t digits) {
    for (std::size_t i = digits; i-- > 0;) out += kHexDigits[(value >> (i * kBitsPerHexDigit)) & 0xf];
}

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

unsigned hex_value(char c) { return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10); }

}  // namespace

std::string make_instance(std::int64_t t_us, std::uint32_t random) {
    std::string out;
    out.reserve(kInstanceChars);
    append_hex(out, ~static_cast<std::uint64_t>(t_us), kInstanceTimeChars);
    append_hex(out, random, kInstanceRandomChars);
    return out;
}

std::int64_t next_instance_time(std::int64_t now_us, std::optional<std::int64_t> newest_us) {
    return newest_us ? std::max(now_us, *newest_us + 1) : now_us;
}

bool is_instance(std::string_view s) {
    return s.size() == kInstanceChars && std::all_of(s.begin(), s.end(), is_lower_hex);
}

bool is_version_id(std::string_view s) { return s == kNullVersionId || is_instance(s); }

std::optional<std::int64_t> instance_time_us(std::string_view instance) {
    if (!is_instance(instance)) return std::nullopt;
    std::uint64_t complement = 0;
    for (std::size_t i = 0; i < kInstanceTimeChars; ++i)
        complement = (complement << kBitsPerHexDigit) | hex_value(instance[i]);
    return static_cast<std::int64_t>(~complement);
}

std::uint32_t random_instance_part() {
    thread_local std::mt19937 generator{std::random_device{}()};
    return static_cast<std::uint32_t>(generator());
}

}  // namespace ostor::detail
