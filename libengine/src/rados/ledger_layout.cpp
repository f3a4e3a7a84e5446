#include "rados/ledger_layout.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>

namespace ostor::detail::rados {

namespace {

template <class T>
std::optional<T> parse_number(std::string_view v) {
    T n{};
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    return n;
}

// The next space-separated field of `rest` (consumed); nullopt at the end.
std::optional<std::string_view> next_field(std::string_view& rest) {
    if (rest.empty()) return std::nullopt;
    auto sp = rest.find(' ');
    std::string_view field = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    return field;
}

}  // namespace

std::string settled_age_key(std::int64_t written_ms, std::string_view token) {
    // Fixed width: key order is age order (a time before 1970 counts as 0).
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(std::max<std::int64_t>(written_ms, 0)));
    return std::string(kSettledAgePrefix) + hex + "." + std::string(token);
}

std::optional<SettledAge> decode_settled_age_key(std::string_view key) {
    constexpr std::size_t kDigits = 16;
    if (!key.starts_with(kSettledAgePrefix)) return std::nullopt;
    key.remove_prefix(kSettledAgePrefix.size());
    if (key.size() <= kDigits || key[kDigits] != '.') return std::nullopt;
    std::uint64_t ms = 0;
    auto [end, ec] = std::from_chars(key.data(), key.data() + kDigits, ms, 16);
    if (ec != std::errc() || end != key.data() + kDigits || ms > static_cast<std::uint64_t>(INT64_MAX))
        return std::nullopt;
    return SettledAge{static_cast<std::int64_t>(ms), std::string(key.substr(kDigits + 1))};
}

std::string encode_reservation(const ReservationEntry& e) {
    std::string out = std::to_string(e.bytes) + " " + std::to_string(e.expiry_ms) + " " + e.other_ledger;
    if (e.committing) {
        const CommitMark& m = *e.committing;
        out += " " + m.record_id + " " + std::to_string(m.delta_bytes) + " " + std::to_string(m.delta_objects) + " " +
               m.bucket + "/" + m.key;
    }
    return out;
}

std::optional<ReservationEntry> decode_reservation_entry(std::string_view value) {
    ReservationEntry e;
    auto bytes = next_field(value);
    auto expiry = next_field(value);
    auto other = next_field(value);
    if (!bytes || !expiry || !other || other->empty()) return std::nullopt;
    auto b = parse_number<std::uint64_t>(*bytes);
    auto x = parse_number<std::int64_t>(*expiry);
    if (!b || !x) return std::nullopt;
    e.bytes = *b;
    e.expiry_ms = *x;
    e.other_ledger = std::string(*other);
    if (value.empty()) return e;
    auto record = next_field(value);
    auto delta_bytes = next_field(value);
    auto delta_objects = next_field(value);
    if (!record || !delta_bytes || !delta_objects) return std::nullopt;
    auto db = parse_number<std::int64_t>(*delta_bytes);
    auto dobj = parse_number<std::int64_t>(*delta_objects);
    auto slash = value.find('/');  // bucket names hold no '/'; the key may
    if (!db || !dobj || slash == std::string_view::npos) return std::nullopt;
    e.committing = CommitMark{std::string(*record), *db, *dobj, std::string(value.substr(0, slash)),
                              std::string(value.substr(slash + 1))};
    return e;
}

}  // namespace ostor::detail::rados
