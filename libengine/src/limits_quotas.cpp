// Limits and quotas, and the byte accounting quotas are enforced on.
#include <cmath>
#include <map>

#include "codec.hpp"
#include "engine_impl.hpp"

namespace ostor {

using namespace detail;

namespace detail {

std::string limits_key(const LimitTarget& target) {
    return (target.kind == LimitTarget::Kind::User ? "u/" : "b/") + target.id;
}

std::string quota_key(const QuotaTarget& target) {
    switch (target.kind) {
        case QuotaTarget::Kind::User: return "u/" + target.id;
        case QuotaTarget::Kind::Bucket: return "b/" + target.id;
        case QuotaTarget::Kind::DefaultUser: return "default-user";
        case QuotaTarget::Kind::DefaultBucket: return "default-bucket";
    }
    return {};
}

namespace {

std::optional<std::uint64_t> stored_quota_gib(const Txn& txn, const QuotaTarget& target) {
    auto v = txn.get(Table::Quotas, quota_key(target));
    if (!v) return std::nullopt;
    return Decoder(*v).u64();
}

// The Reservations table keeps, next to its rows (instance id be64 seq), the
// sum of the bytes reserved per user and per bucket, changed in the same
// transactions as the rows: a quota check reads two sums instead of scanning
// every reservation. Their keys start with kReservedSumMark, which sorts
// after the hex digits of every instance id.
constexpr char kReservedSumMark = '~';
// Present once the sums are kept; a volume written before they were gets them
// computed once, at open.
constexpr std::string_view kReservedSumsKeptKey = "~sums";

std::string user_sum_key(std::string_view user_id) { return std::string(1, kReservedSumMark) + "u/" + std::string(user_id); }
std::string bucket_sum_key(std::string_view bucket) { return std::string(1, kReservedSumMark) + "b/" + std::string(bucket); }

std::uint64_t reserved_sum(const Txn& txn, const std::string& key) {
    auto v = txn.get(Table::Reservations, key);
    return v ? Decoder(*v).u64() : 0;
}

void add_to_sum(Txn& txn, const std::string& key, std::uint64_t bytes, bool add) {
    std::uint64_t sum = reserved_sum(txn, key);
    // Never below zero, even if a release of this code that did not keep the
    // sums dropped them meanwhile (they are computed again at the next open).
    sum = add ? sum + bytes : sum - std::min(sum, bytes);
    if (sum == 0) txn.del(Table::Reservations, key);
    else txn.put(Table::Reservations, key, Encoder().u64(sum).take());
}

void add_to_sums(Txn& txn, const ReservationRecord& r, bool add) {
    add_to_sum(txn, user_sum_key(r.user_id), r.bytes, add);
    add_to_sum(txn, bucket_sum_key(r.bucket), r.bytes, add);
}

}  // namespace

bool is_reservation_key(std::string_view key) { return !key.empty() && key.front() != kReservedSumMark; }

void add_reservation(Txn& txn, std::string_view key, const ReservationRecord& r) {
    txn.put(Table::Reservations, key, encode(r));
    add_to_sums(txn, r, true);
}

void drop_reservation(Txn& txn, std::string_view key) {
    auto v = txn.get(Table::Reservations, key);
    if (!v) return;
    auto r = decode_reservation(*v);
    txn.del(Table::Reservations, key);
    if (r) add_to_sums(txn, *r, false);
}

bool reservation_sums_kept(const Txn& txn) { return txn.get(Table::Reservations, kReservedSumsKeptKey).has_value(); }

void keep_reservation_sums(Txn& txn) {
    if (reservation_sums_kept(txn)) return;
    std::map<std::string, std::uint64_t> sums;
    {
        auto cur = txn.cursor(Table::Reservations);
        for (auto e = cur.first(); e; e = cur.next()) {
            if (!is_reservation_key(e->first)) continue;
            if (auto r = decode_reservation(e->second)) {
                sums[user_sum_key(r->user_id)] += r->bytes;
                sums[bucket_sum_key(r->bucket)] += r->bytes;
            }
        }
    }
    for (auto& [key, sum] : sums)
        if (sum > 0) txn.put(Table::Reservations, key, Encoder().u64(sum).take());
    txn.put(Table::Reservations, kReservedSumsKeptKey, "");
}

std::uint64_t effective_quota_bytes(const Txn& txn, const QuotaTarget& target) {
    auto specific = stored_quota_gib(txn, target);
    if (!specific) {
        auto fallback = target.kind == QuotaTarget::Kind::User ? QuotaTarget::default_user() : QuotaTarget::default_bucket();
        if (target.kind == QuotaTarget::Kind::User || target.kind == QuotaTarget::Kind::Bucket)
            specific = stored_quota_gib(txn, fallback);
    }
    return specific.value_or(0) * kGiB;
}

bool quota_applies(const Txn& txn, const Bucket& bucket) {
    return effective_quota_bytes(txn, QuotaTarget::user(bucket.owner_id)) > 0 ||
           effective_quota_bytes(txn, QuotaTarget::bucket(bucket.name)) > 0;
}

Result<void> check_quota(const Txn& txn, const Bucket& bucket, std::int64_t delta_bytes) {
    if (delta_bytes <= 0) return {};
    auto delta = static_cast<std::uint64_t>(delta_bytes);
    if (auto quota = effective_quota_bytes(txn, QuotaTarget::user(bucket.owner_id))) {
        auto used = load_user_usage(txn, bucket.owner_id).bytes + reserved_sum(txn, user_sum_key(bucket.owner_id));
        if (used + delta > quota)
            return Error(Errc::QuotaExceeded, "the write would take user " + bucket.owner_id + " past its quota of " +
                                                  std::to_string(quota / kGiB) + " GiB");
    }
    if (auto quota = effective_quota_bytes(txn, QuotaTarget::bucket(bucket.name))) {
        auto used = bucket.bytes + reserved_sum(txn, bucket_sum_key(bucket.name));
        if (used + delta > quota)
            return Error(Errc::QuotaExceeded, "the write would take bucket " + bucket.name + " past its quota of " +
                                                  std::to_string(quota / kGiB) + " GiB");
    }
    return {};
}

UserUsage load_user_usage(const Txn& txn, std::string_view user_id) {
    auto v = txn.get(Table::UserUsage, user_id);
    if (!v) return {};
    return decode_user_usage(*v).value_or(UserUsage{});
}

void store_user_usage(Txn& txn, std::string_view user_id, const UserUsage& usage) {
    txn.put(Table::UserUsage, user_id, encode(usage));
}

void account_change(Txn& txn, Bucket& bucket, std::int64_t delta_bytes, std::int64_t delta_objects) {
    assert(delta_bytes >= 0 || bucket.bytes >= static_cast<std::uint64_t>(-delta_bytes));
    assert(delta_objects >= 0 || bucket.objects >= static_cast<std::uint64_t>(-delta_objects));
    // Byte-hours accrue at the old size up to now, then the size changes.
    auto hour = static_cast<std::uint64_t>(now_ms() / 3'600'000);
    if (hour > bucket.size.last_ts) bucket.size.h_integral += bucket.size.current * (hour - bucket.size.last_ts);
    bucket.size.last_ts = std::max(bucket.size.last_ts, hour);
    bucket.bytes = static_cast<std::uint64_t>(static_cast<std::int64_t>(bucket.bytes) + delta_bytes);
    bucket.objects = static_cast<std::uint64_t>(static_cast<std::int64_t>(bucket.objects) + delta_objects);
    bucket.size.current = bucket.bytes;
    bucket.size.hmax = std::max(bucket.size.hmax, bucket.size.current);
    txn.put(Table::Buckets, bucket.name, encode(bucket));

    auto usage = load_user_usage(txn, bucket.owner_id);
    assert(delta_bytes >= 0 || usage.bytes >= static_cast<std::uint64_t>(-delta_bytes));
    usage.bytes = static_cast<std::uint64_t>(static_cast<std::int64_t>(usage.bytes) + delta_bytes);
    usage.objects = static_cast<std::uint64_t>(static_cast<std::int64_t>(usage.objects) + delta_objects);
    usage.reserved = 0;  // computed on read, never stored
    store_user_usage(txn, bucket.owner_id, usage);
}

}  // namespace detail

namespace {

Result<void> validate(const Limits& l) {
    for (double v : {l.ops_default, l.ops_get, l.ops_put, l.ops_list, l.ops_delete})
        if (!std::isfinite(v) || v < 0) return Error(Errc::InvalidLimit, "an ops limit must be a number >= 0");
    return {};
}

std::string notice_subject(const LimitTarget& target) { return target.id; }

std::string notice_subject(const QuotaTarget& target) {
    switch (target.kind) {
        case QuotaTarget::Kind::DefaultUser: return "default-user";
        case QuotaTarget::Kind::DefaultBucket: return "default-bucket";
        default: return target.id;
    }
}

// Sets the limit named by (type, resource) in `l`. Fails: InvalidLimit.
Result<void> apply_limit(Limits& l, std::string_view type, std::string_view resource, double value) {
    if (type == "ops") {
        if (resource == "default") l.ops_default = value;
        else if (resource == "get") l.ops_get = value;
        else if (resource == "put") l.ops_put = value;
        else if (resource == "list") l.ops_list = value;
        else if (resource == "delete") l.ops_delete = value;
        else
            return Error(Errc::InvalidLimit, "unknown ops limit '" + std::string(resource) +
                                                 "' (use default, get, put, list or delete)");
    } else if (type == "bandwidth") {
        if (resource != "out")
            return Error(Errc::InvalidLimit, "unknown bandwidth limit '" + std::string(resource) + "' (use out)");
        if (value != std::floor(value) || value > 1e15)
            return Error(Errc::InvalidLimit, "a bandwidth limit is a whole number of KB/s");
        l.bandwidth_out_kbps = static_cast<std::uint64_t>(value);
    } else {
        return Error(Errc::InvalidLimit, "unknown limit type '" + std::string(type) + "' (use ops or bandwidth)");
    }
    return {};
}

}  // namespace

Result<Limits> Engine::get_limits(const LimitTarget& target) { return impl_->settings->get_limits(target); }

Result<Limits> Engine::set_limits(const LimitTarget& target, const Limits& limits) {
    OSTOR_TRY(validate(limits));
    auto stored = impl_->settings->update_limits(target, [&](Limits& l) -> Result<void> {
        l = limits;
        return {};
    });
    if (stored) impl_->notifier->changed(ChangeKind::Limits, notice_subject(target));
    return stored;
}

Result<Limits> Engine::set_limit(const LimitTarget& target, std::string_view type, std::string_view resource,
                                 double value) {
    if (!std::isfinite(value) || value < 0)
        return Error(Errc::InvalidLimit, "a limit value must be a number >= 0");
    // Applied to the stored limits inside the catalog's change, so that
    // concurrent changes of other values are kept.
    auto stored = impl_->settings->update_limits(
        target, [&](Limits& l) -> Result<void> { return apply_limit(l, type, resource, value); });
    if (stored) impl_->notifier->changed(ChangeKind::Limits, notice_subject(target));
    return stored;
}

Result<void> Engine::remove_limits(const LimitTarget& target) {
    auto removed = impl_->settings->remove_limits(target);
    if (removed) impl_->notifier->changed(ChangeKind::Limits, notice_subject(target));
    return removed;
}

Result<std::optional<std::uint64_t>> Engine::get_quota(const QuotaTarget& target) {
    return impl_->settings->get_quota(target);
}

Result<std::uint64_t> Engine::effective_quota(const QuotaTarget& target) {
    return impl_->settings->effective_quota(target);
}

Result<void> Engine::set_quota(const QuotaTarget& target, std::uint64_t size_gib) {
    if (size_gib > (std::uint64_t{1} << 33))
        return Error(Errc::InvalidArgument, "quota too large (at most 8 EiB)");
    auto stored = impl_->settings->set_quota(target, size_gib);
    if (stored) impl_->notifier->changed(ChangeKind::Quotas, notice_subject(target));
    return stored;
}

Result<void> Engine::remove_quota(const QuotaTarget& target) {
    auto removed = impl_->settings->remove_quota(target);
    if (removed) impl_->notifier->changed(ChangeKind::Quotas, notice_subject(target));
    return removed;
}

Result<UserUsage> Engine::get_user_usage(std::string_view user_id) {
    return impl_->read([&](const Txn& txn) -> Result<UserUsage> {
        auto user = load_user(txn, user_id);
        if (!user) return std::move(user).error();
        auto usage = load_user_usage(txn, user_id);
        usage.reserved = reserved_sum(txn, user_sum_key(user_id));
        return usage;
    });
}

}  // namespace ostor
