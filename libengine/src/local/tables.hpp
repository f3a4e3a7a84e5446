// Lookups of the local catalog's rows that its facets share inside their LMDB
// transactions (the facets keep invariants across each other's tables, see
// storage/catalog.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "local/lmdb_env.hpp"
#include "ostor/types.hpp"

namespace ostor::detail {

Result<User> load_user(const Txn& txn, std::string_view user_id);
// The bucket's row: without its configuration documents, which live in the
// BucketConfigs table so that the row every object commit rewrites stays
// small. load_bucket_configs adds them (the record callers are handed).
Result<Bucket> load_bucket(const Txn& txn, std::string_view name);
void load_bucket_configs(const Txn& txn, Bucket& bucket);
// NoSuchBucket unless the bucket exists: a read that needs nothing of its
// record (serving an object) looks its row up without decoding it (so a
// damaged row goes unnoticed here; load_bucket reports it as Internal).
Result<void> check_bucket_exists(const Txn& txn, std::string_view name);
Result<Account> load_account(const Txn& txn, std::string_view user_id, std::string_view name);
std::string account_key(std::string_view user_id, std::string_view name);

// Keys of the Limits and Quotas tables.
std::string quota_key(const QuotaTarget& target);
std::string limits_key(const LimitTarget& target);
// The quota row of exactly this target (GiB), if any.
std::optional<std::uint64_t> stored_quota_gib(const Txn& txn, const QuotaTarget& target);
// Quota in bytes from the specific or default row; 0 = none.
std::uint64_t effective_quota_bytes(const Txn& txn, const QuotaTarget& target);

}  // namespace ostor::detail
