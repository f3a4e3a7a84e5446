// The local space ledger inside a metadata transaction: per-bucket and
// per-user bytes and objects, and the reservations of writes under way,
// which quota checks count. Used by the local ObjectCatalog's calls, each in
// the transaction of the change it accounts.
#pragma once

#include <cstdint>
#include <string_view>

#include "local/lmdb_env.hpp"
#include "ostor/types.hpp"
#include "records.hpp"

namespace ostor::detail {

UserUsage load_user_usage(const Txn& txn, std::string_view user_id);
void store_user_usage(Txn& txn, std::string_view user_id, const UserUsage& usage);

// Applies a change of stored bytes / objects to a bucket (and its size
// history) and to its owner's usage; writes both.
void account_change(Txn& txn, Bucket& bucket, std::int64_t delta_bytes, std::int64_t delta_objects);

// Refuses a change adding `delta_bytes` to `bucket` (and its owner) when
// either would end past its quota, counting the space other writers have
// reserved. Fails: QuotaExceeded.
Result<void> check_quota(const Txn& txn, const Bucket& bucket, std::int64_t delta_bytes);
// True when a quota (specific or default) applies to the bucket or its owner.
bool quota_applies(const Txn& txn, const Bucket& bucket);

// Reservation rows, changed only through these so that the sums per user and
// per bucket that check_quota reads stay equal to the rows.
void add_reservation(Txn& txn, std::string_view key, const ReservationRecord& r);
void drop_reservation(Txn& txn, std::string_view key);  // nothing when absent
// False for the table's rows that hold the sums, not a reservation.
bool is_reservation_key(std::string_view key);
// Whether the sums are kept; computes them from the rows when not (a volume
// written before they were).
bool reservation_sums_kept(const Txn& txn);
void keep_reservation_sums(Txn& txn);
// Bytes reserved by the user's writes under way.
std::uint64_t reserved_by_user(const Txn& txn, std::string_view user_id);

}  // namespace ostor::detail
