// The BucketsByOwner table (local/bucket_owner_index.hpp).
#include "local/bucket_owner_index.hpp"

#include <vector>

#include "records.hpp"

namespace ostor::detail {

namespace {

// Present in the Meta table once the index holds every bucket.
constexpr std::string_view kOwnerIndexBuiltKey = "bucket_owner_index";

}  // namespace

std::string owner_index_key(std::string_view owner_id, std::string_view bucket) {
    std::string key;
    key.reserve(owner_id.size() + 1 + bucket.size());
    key.append(owner_id).append(1, '/').append(bucket);
    return key;
}

void add_to_owner_index(Txn& txn, std::string_view owner_id, std::string_view bucket) {
    txn.put(Table::BucketsByOwner, owner_index_key(owner_id, bucket), "");
}

void drop_from_owner_index(Txn& txn, std::string_view owner_id, std::string_view bucket) {
    txn.del(Table::BucketsByOwner, owner_index_key(owner_id, bucket));
}

// A row count apart from the Buckets table's: a program from before the
// index (an older CLI or admin tree sharing the volume) made or deleted a
// bucket since it was built.
bool owner_index_built(const Txn& txn) {
    return txn.get(Table::Meta, kOwnerIndexBuiltKey).has_value() &&
           txn.entries(Table::BucketsByOwner) == txn.entries(Table::Buckets);
}

void build_owner_index(Txn& txn) {
    if (owner_index_built(txn)) return;
    txn.clear(Table::BucketsByOwner);
    std::vector<std::string> keys;
    {
        auto cur = txn.cursor(Table::Buckets);
        for (auto e = cur.first(); e; e = cur.next())
            if (auto b = decode_bucket(e->second)) keys.push_back(owner_index_key(b->owner_id, b->name));
    }
    for (const auto& key : keys) txn.put(Table::BucketsByOwner, key, "");
    txn.put(Table::Meta, kOwnerIndexBuiltKey, "");
}

}  // namespace ostor::detail
