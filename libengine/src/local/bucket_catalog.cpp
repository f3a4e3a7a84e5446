// The local ObjectCatalog's buckets: creation, lookup, listing, deletion.
#include <algorithm>

#include "codec.hpp"
#include "engine_impl.hpp"
#include "local/bucket_owner_index.hpp"
#include "local/object_catalog.hpp"
#include "local/object_index.hpp"
#include "local/tables.hpp"
#include "local/version_index.hpp"
#include "size_history.hpp"
#include "versions/object_lock.hpp"

namespace ostor::detail {

namespace {

// The bucket's row, undecoded, or NoSuchBucket.
Result<std::string_view> bucket_row(const Txn& txn, std::string_view name) {
    if (name.empty()) return Error(Errc::NoSuchBucket, "no bucket name given");
    if (auto v = txn.get(Table::Buckets, name)) return *v;
    return Error(Errc::NoSuchBucket, "bucket " + std::string(name) + " does not exist");
}

}  // namespace

Result<Bucket> load_bucket(const Txn& txn, std::string_view name) {
    auto v = bucket_row(txn, name);
    if (!v) return std::move(v).error();
    auto b = decode_bucket(*v);
    if (!b) return Error(Errc::Internal, "damaged bucket record " + std::string(name));
    return std::move(*b);
}

Result<void> check_bucket_exists(const Txn& txn, std::string_view name) {
    if (auto v = bucket_row(txn, name); !v) return std::move(v).error();
    return {};
}

namespace {

// Keys of the BucketConfigs table: the bucket's name (never holding a NUL),
// a NUL, the kind; all of one bucket's share the prefix.
std::string config_prefix(std::string_view bucket) { return std::string(bucket) + '\0'; }
std::string config_key(std::string_view bucket, std::string_view kind) {
    return config_prefix(bucket) + std::string(kind);
}

void drop_bucket_configs(Txn& txn, std::string_view bucket) {
    const auto prefix = config_prefix(bucket);
    std::vector<std::string> keys;
    {
        auto cur = txn.cursor(Table::BucketConfigs);
        for (auto e = cur.seek(prefix); e && e->first.substr(0, prefix.size()) == prefix; e = cur.next())
            keys.emplace_back(e->first);
    }
    for (const auto& k : keys) txn.del(Table::BucketConfigs, k);
}

}  // namespace

void load_bucket_configs(const Txn& txn, Bucket& bucket) {
    const auto prefix = config_prefix(bucket.name);
    auto cur = txn.cursor(Table::BucketConfigs);
    for (auto e = cur.seek(prefix); e && e->first.substr(0, prefix.size()) == prefix; e = cur.next())
        bucket.configs[std::string(e->first.substr(prefix.size()))] = std::string(e->second);
}

LocalObjectCatalog::LocalObjectCatalog(const Env& env, CommitQueue& commits, std::string instance_id)
    : env_(env), commits_(commits), instance_id_(std::move(instance_id)) {}

Result<CommitQueue::DataFiles> LocalObjectCatalog::staged_segments(const BodyCommit& body) {
    if (!body.data) return CommitQueue::DataFiles{};
    auto local = dynamic_cast<const LocalStagedData*>(body.data.get());
    if (!local) return Error(Errc::Internal, "a body staged by another backend cannot be committed to a local volume");
    return local->segments;
}

Result<Bucket> LocalObjectCatalog::create_bucket(std::string_view name, std::string_view owner_id,
                                                 std::string_view account, const BucketCreateOptions& options) {
    return commits_.run_value<Bucket>([&](Txn& txn) -> Result<Bucket> {
        auto owner = load_user(txn, owner_id);
        if (!owner) return std::move(owner).error();
        if (!account.empty()) {
            auto acc = load_account(txn, owner_id, account);
            if (!acc) return std::move(acc).error();
        }
        if (auto existing = txn.get(Table::Buckets, name)) {
            auto b = decode_bucket(*existing);
            if (b && b->owner_id == owner_id)
                return Error(Errc::BucketAlreadyOwnedByYou, "you already own bucket " + std::string(name));
            return Error(Errc::BucketAlreadyExists, "bucket name " + std::string(name) + " is taken");
        }
        Bucket b;
        b.name = name;
        b.owner_id = owner_id;
        b.account = account;
        b.created_ms = now_ms();
        b.acl = options.acl;
        // Object lock only at creation, versioned for good in the same write.
        if (options.object_lock) {
            b.object_lock.enabled = true;
            b.versioning = VersioningState::Enabled;
        }
        if (auto last = txn.get(Table::BucketEpochs, name)) b.epoch = Decoder(*last).u64() + 1;
        b.size.last_ts = size_history_hour(b.created_ms);
        txn.put(Table::BucketEpochs, name, Encoder().u64(b.epoch).take());
        txn.put(Table::Buckets, name, encode(b));
        add_to_owner_index(txn, owner_id, name);
        // (delete_bucket removed them: this only guards a new name's start.)
        drop_bucket_configs(txn, name);
        // Its first configurations, in the transaction that makes it.
        for (const auto& [kind, document] : options.configs)
            txn.put(Table::BucketConfigs, config_key(name, kind), document);
        b.configs = options.configs;
        return b;
    });
}

Result<Bucket> LocalObjectCatalog::get_bucket(std::string_view name) {
    return read([&](const Txn& txn) -> Result<Bucket> {
        auto b = load_bucket(txn, name);
        if (b) load_bucket_configs(txn, *b);
        return b;
    });
}

namespace {

// Whether `b` passes the filter's owner and account.
bool owned_as_filtered(const Bucket& b, const BucketFilter& filter) {
    if (!filter.owner_id) return true;
    return b.owner_id == *filter.owner_id && (!filter.account || b.account == *filter.account);
}

}  // namespace

// Rows are by name: a page is read from the later of the marker and the
// prefix on, up to its last bucket; one owner's page walks that owner's
// names in the BucketsByOwner table and reads only their rows.
Result<std::vector<Bucket>> LocalObjectCatalog::list_buckets(const BucketFilter& filter) {
    return read([&](const Txn& txn) -> Result<std::vector<Bucket>> {
        std::vector<Bucket> out;
        if (filter.max_count == 0u) return out;
        const std::string_view prefix = filter.prefix ? std::string_view(*filter.prefix) : std::string_view();
        const std::string_view after = filter.start_after ? std::string_view(*filter.start_after) : std::string_view();
        const std::string_view from = std::max(prefix, after);
        // Takes the bucket named `name` whose row is `row` when it passes the
        // filter; false once the page is full or past the prefix.
        auto take = [&](std::string_view name, std::string_view row) {
            if (filter.start_after && name <= after) return true;
            if (!name.starts_with(prefix)) return false;  // past the names beginning with it
            auto b = decode_bucket(row);
            if (!b || !owned_as_filtered(*b, filter)) return true;
            load_bucket_configs(txn, *b);
            out.push_back(std::move(*b));
            return !(filter.max_count && out.size() == *filter.max_count);
        };
        if (filter.owner_id) {
            for_each_owned_bucket(txn, *filter.owner_id, from, [&](std::string_view name) {
                auto row = txn.get(Table::Buckets, name);
                return !row || take(name, *row);  // (rows and index change together: never without)
            });
            return out;
        }
        auto cur = txn.cursor(Table::Buckets);
        for (auto e = from.empty() ? cur.first() : cur.seek(from); e; e = cur.next())
            if (!take(e->first, e->second)) break;
        return out;
    });
}

Result<void> LocalObjectCatalog::delete_bucket(std::string_view name, FreedExtents& freed) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        freed.clear();
        auto bucket = load_bucket(txn, name);
        if (!bucket) return std::move(bucket).error();
        auto prefix = bucket_index_prefix(name);
        {
            auto cur = txn.cursor(Table::Objects);
            auto e = cur.seek(prefix);
            // Versions and delete markers keep a bucket, as in S3.
            if (bucket->objects > 0 || (e && e->first.substr(0, prefix.size()) == prefix) ||
                bucket_has_versions(txn, name)) {
                const std::string locked = lock_summary_reason(*bucket, now_ms());
                return Error(Errc::BucketNotEmpty, locked.empty() ? "bucket " + std::string(name) + " is not empty"
                                                                  : locked + ": it is not empty");
            }
        }
        // Uploads in progress go with the bucket.
        std::vector<std::string> upload_ids;
        {
            auto cur = txn.cursor(Table::UploadsByBucket);
            for (auto e = cur.seek(prefix); e && e->first.substr(0, prefix.size()) == prefix; e = cur.next())
                upload_ids.emplace_back(upload_id_of_index_key(e->first));
        }
        for (auto& id : upload_ids) {
            auto upload = load_upload(txn, id);
            if (upload) drop_upload(txn, *upload, freed);
        }
        txn.del(Table::Buckets, name);
        drop_from_owner_index(txn, bucket->owner_id, name);
        drop_bucket_configs(txn, name);
        txn.del(Table::Limits, limits_key(LimitTarget::bucket(std::string(name))));
        txn.del(Table::Quotas, quota_key(QuotaTarget::bucket(std::string(name))));
        return {};
    });
}

Result<Bucket> LocalObjectCatalog::set_bucket_acl(std::string_view name, std::string_view acl) {
    return commits_.run_value<Bucket>([&](Txn& txn) -> Result<Bucket> {
        auto bucket = load_bucket(txn, name);
        if (!bucket) return bucket;
        bucket->acl = acl;
        txn.put(Table::Buckets, bucket->name, encode(*bucket));
        load_bucket_configs(txn, *bucket);
        return bucket;
    });
}

Result<Bucket> LocalObjectCatalog::set_bucket_config(std::string_view name, std::string_view kind,
                                                     const std::optional<std::string>& document) {
    return commits_.run_value<Bucket>([&](Txn& txn) -> Result<Bucket> {
        auto bucket = load_bucket(txn, name);
        if (!bucket) return bucket;
        // Only its own row changes: the bucket's row (which object commits
        // rewrite) never holds the documents.
        if (document)
            txn.put(Table::BucketConfigs, config_key(name, kind), *document);
        else
            txn.del(Table::BucketConfigs, config_key(name, kind));
        load_bucket_configs(txn, *bucket);
        return bucket;
    });
}

}  // namespace ostor::detail
