// The BucketsByOwner table: the names of each user's buckets, so that a page
// of one user's buckets reads that user's rows only, not every other owner's
// rows between its names in the Buckets table. Its rows change in the
// transactions that create and delete buckets (a bucket's owner never
// changes); a volume written before the table existed gets it built once, at
// open.
#pragma once

#include <string>
#include <string_view>

#include "local/lmdb_env.hpp"

namespace ostor::detail {

// The row of `bucket` owned by `owner_id`: owner id "/" bucket name -> "".
// User ids are hex digits, so one owner's rows are one range in name order.
std::string owner_index_key(std::string_view owner_id, std::string_view bucket);
void add_to_owner_index(Txn& txn, std::string_view owner_id, std::string_view bucket);
void drop_from_owner_index(Txn& txn, std::string_view owner_id, std::string_view bucket);

// True once the index holds every bucket (marked in the Meta table, and as
// many rows as the Buckets table).
bool owner_index_built(const Txn& txn);
// Builds the index anew from the Buckets table and marks it built, in
// `txn`; nothing when it is built already.
void build_owner_index(Txn& txn);

// Calls `visit(name)` for the names of `owner_id`'s buckets from `from` on
// (>= `from`), in byte order, while it returns true.
template <class Visit>
void for_each_owned_bucket(const Txn& txn, std::string_view owner_id, std::string_view from, Visit&& visit) {
    const std::string prefix = owner_index_key(owner_id, {});
    auto cur = txn.cursor(Table::BucketsByOwner);
    for (auto e = cur.seek(prefix + std::string(from)); e && e->first.starts_with(prefix); e = cur.next())
        if (!visit(e->first.substr(prefix.size()))) return;
}

}  // namespace ostor::detail
