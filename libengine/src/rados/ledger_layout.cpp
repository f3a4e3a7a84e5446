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

std::string unsettled_token(std::uint64_t commit_token) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(commit_token));
    return std::string("u.") + hex;
}

std::optional<std::pair<std::string, std::uint64_t>> bucket_of_ledger(std::string_view oid) {
    if (!oid.starts_with(kBucketLedgerPrefix)) return std::nullopt;
    oid.remove_prefix(kBucketLedgerPrefix.size());
    auto slash = oid.rfind('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    auto epoch = parse_number<std::uint64_t>(oid.substr(slash + 1));
    if (!epoch) return std::nullopt;
    return std::make_pair(std::string(oid.substr(0, slash)), *epoch);
}

std::optional<std::pair<std::string, std::uint64_t>> bucket_of_recount_key(std::string_view key) {
    return bucket_of_ledger(std::string(kBucketLedgerPrefix) + std::string(key));
}

std::string encode_reservation(const ReservationEntry& e) {
    std::string out = std::to_string(e.bytes) + " " + std::to_string(e.expiry_ms) + " " + e.other_ledger;
    if (e.committing) {
        char token[17];
        std::snprintf(token, sizeof token, "%016llx", static_cast<unsigned long long>(e.committing->token));
        out += " ";
        out += token;
        out += " " + e.committing->key;
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
    // A mark: the token, then the key to the end (it may hold spaces). One
    // that does not decode is taken for none: the entry is released.
    auto token = next_field(value);
    if (!token || token->size() != 16 || value.empty()) return e;
    std::uint64_t t = 0;
    auto [end, ec] = std::from_chars(token->data(), token->data() + token->size(), t, 16);
    if (ec != std::errc() || end != token->data() + token->size() || t == 0) return e;
    e.committing = CommitMark{t, std::string(value)};
    return e;
}

}  // namespace ostor::detail::rados
