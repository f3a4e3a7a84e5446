// The local space ledger: reservations (with their sums per user and per
// bucket), quota checks, and the accounting of bytes and objects.
#include "local/space_ledger.hpp"

#include <map>

#include "codec.hpp"
#include "engine_impl.hpp"
#include "local/object_catalog.hpp"
#include "local/tables.hpp"
#include "size_history.hpp"

namespace ostor::detail {

namespace {

// The Reservations table keeps, next to its rows (instance id be64 seq), the
// sum of the bytes reserved per user and per bucket, changed in the same
// transactions as the rows: a quota check reads two sums instead of scanning
// every reservation. Their keys start with kReservedSumMark, which sorts
// after the hex digits of every instance id.
constexpr char kReservedSumMark = '~';
// Present once the sums are kept; a volume written before they were gets them
// computed once, at open.
constexpr std::string_view kReservedSumsKeptKey = "~sums";
// A reservation row's key starts with the id of the instance that made it.
constexpr std::size_t kInstanceIdLength = 16;

std::string user_sum_key(std::string_view user_id) {
    return std::string(1, kReservedSumMark) + "u/" + std::string(user_id);
}
std::string bucket_sum_key(std::string_view bucket) {
    return std::string(1, kReservedSumMark) + "b/" + std::string(bucket);
}

std::uint64_t reserved_sum(const Txn& txn, const std::string& key) {
    auto v = txn.get(Table::Reservations, key);
    return v ? Decoder(*v).u64() : 0;
}

void add_to_sum(Txn& txn, const std::string& key, std::uint64_t bytes, bool add) {
    std::uint64_t sum = reserved_sum(txn, key);
    // Never below zero, even if a release of this code that did not keep the
    // sums dropped them meanwhile (they are computed again at the next open).
    sum = add ? sum + bytes : sum - std::min(sum, bytes);
    if (sum == 0)
        txn.del(Table::Reservations, key);
    else
        txn.put(Table::Reservations, key, Encoder().u64(sum).take());
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

std::uint64_t reserved_by_user(const Txn& txn, std::string_view user_id) {
    return reserved_sum(txn, user_sum_key(user_id));
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
    apply_size_change(bucket, delta_bytes, delta_objects, now_ms());
    txn.put(Table::Buckets, bucket.name, encode(bucket));
    auto usage = load_user_usage(txn, bucket.owner_id);
    apply_usage_change(usage, delta_bytes, delta_objects);
    store_user_usage(txn, bucket.owner_id, usage);
}

// ---- LocalObjectCatalog: the ledger's calls --------------------------------

Result<void> LocalObjectCatalog::drop_dead_reservations(Leases& leases) {
    // Group reservation rows by the Engine instance that made them.
    std::map<std::string, std::vector<std::string>> by_instance;
    bool sums_kept = false;
    auto scanned = read([&](const Txn& txn) -> Result<void> {
        sums_kept = reservation_sums_kept(txn);
        auto cur = txn.cursor(Table::Reservations);
        for (auto e = cur.first(); e && is_reservation_key(e->first); e = cur.next())
            by_instance[std::string(e->first.substr(0, kInstanceIdLength))].emplace_back(e->first);
        return {};
    });
    if (!scanned) return scanned;
    if (!sums_kept) {
        auto kept = commits_.run([&](Txn& txn) -> Result<void> {
            keep_reservation_sums(txn);
            return {};
        });
        if (!kept) return kept;
    }
    for (auto& [instance, keys] : by_instance) {
        auto adopted = leases.adopt_if_dead(instance);
        if (!adopted) continue;  // that Engine is still open
        auto r = commits_.run([&, &keys = keys](Txn& txn) -> Result<void> {
            for (auto& k : keys) drop_reservation(txn, k);
            return {};
        });
        if (!r) return r;
    }
    return {};
}

Result<bool> LocalObjectCatalog::quota_applies(std::string_view bucket) {
    return read([&](const Txn& txn) -> Result<bool> {
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        return detail::quota_applies(txn, *b);
    });
}

Result<ReservationId> LocalObjectCatalog::reserve(std::string_view bucket_name, std::string_view /*key*/,
                                                  std::uint64_t bytes) {
    std::string key = instance_id_;
    append_be64(key, ++reservation_seq_);
    return commits_.run_value<std::string>([&](Txn& txn) -> Result<std::string> {
        auto bucket = load_bucket(txn, bucket_name);
        if (!bucket) return std::move(bucket).error();
        OSTOR_TRY(check_quota(txn, *bucket, static_cast<std::int64_t>(bytes)));
        add_reservation(txn, key, ReservationRecord{bucket->owner_id, bucket->name, bytes});
        return key;
    });
}

void LocalObjectCatalog::release(const ReservationId& reservation) {
    (void)commits_.run([&](Txn& txn) -> Result<void> {
        drop_reservation(txn, reservation);
        return {};
    });
}

Result<UserUsage> LocalObjectCatalog::get_user_usage(std::string_view user_id) {
    return read([&](const Txn& txn) -> Result<UserUsage> {
        auto user = load_user(txn, user_id);
        if (!user) return std::move(user).error();
        auto usage = load_user_usage(txn, user_id);
        usage.reserved = reserved_by_user(txn, user_id);
        return usage;
    });
}

}  // namespace ostor::detail
