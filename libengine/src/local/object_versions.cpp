// The local ObjectCatalog's versions (docs/versioning.md): the bucket's
// versioning state, reads of a version by id, DELETE with a version id or a
// marker, a version's ACL, ListObjectVersions. Each write is one LMDB
// transaction of the commit queue (local/version_commit.hpp says why that is
// all crash safety needs).
#include "engine_impl.hpp"
#include "listing.hpp"
#include "local/object_catalog.hpp"
#include "local/object_index.hpp"
#include "local/tables.hpp"
#include "local/version_commit.hpp"
#include "local/version_index.hpp"
#include "versions/object_lock.hpp"

namespace ostor::detail {

namespace {

// Within `txn`: the version `version_id` ("null", an instance; "": the
// current) rewritten where it lies (Objects or Versions) with `change`
// applied, its body untouched (ACL, tags, lock). `change` may refuse, and
// nothing is written; a delete marker is refused before it runs.
Result<ObjectInfo> change_version_entry(Txn& txn, std::string_view bucket, std::string_view key,
                                        std::string_view version_id,
                                        const std::function<Result<void>(ObjectInfo&)>& change) {
    auto found = find_version(txn, bucket, key, version_id);
    if (!found) return std::move(found).error();
    ObjectRecord& rec = found->record;
    if (rec.info.delete_marker) {
        if (version_id.empty())
            return Error(Errc::NoSuchKey, "no object " + std::string(key) + " in bucket " + std::string(bucket));
        return Error(Errc::MethodNotAllowed, "version " + std::string(version_id) + " is a delete marker");
    }
    OSTOR_TRY(change(rec.info));
    // The record moves nowhere: its body stays in its Bodies row (a version 1
    // record's, inside it, gets one: encode() writes version 2).
    OSTOR_TRY(move_body_to_row(txn, rec));
    const auto index = found->in_versions ? versions_key(bucket, key, rec.instance) : object_index_key(bucket, key);
    txn.put(found->in_versions ? Table::Versions : Table::Objects, index, encode(rec));
    return rec.info;
}

}  // namespace

Result<Bucket> LocalObjectCatalog::set_bucket_versioning(std::string_view name, VersioningState state) {
    return commits_.run_value<Bucket>([&](Txn& txn) -> Result<Bucket> {
        auto bucket = load_bucket(txn, name);
        if (!bucket) return bucket;
        if (state == VersioningState::Off)
            return Error(Errc::InvalidArgument, "a bucket's versioning can only be enabled or suspended");
        if (state == VersioningState::Suspended && bucket->object_lock.enabled)
            return Error(Errc::InvalidBucketState, std::string(kLockedVersioningMessage));
        bucket->versioning = state;
        txn.put(Table::Buckets, bucket->name, encode(*bucket));
        load_bucket_configs(txn, *bucket);
        return bucket;
    });
}

Result<Bucket> LocalObjectCatalog::set_object_lock_config(std::string_view name, const ObjectLockConfig& config) {
    return commits_.run_value<Bucket>([&](Txn& txn) -> Result<Bucket> {
        auto bucket = load_bucket(txn, name);
        if (!bucket) return bucket;
        if (auto applied = apply_lock_config(*bucket, config); !applied) return std::move(applied).error();
        txn.put(Table::Buckets, bucket->name, encode(*bucket));
        load_bucket_configs(txn, *bucket);
        return bucket;
    });
}

Result<ObjectRecord> LocalObjectCatalog::get_version(std::string_view bucket, std::string_view key,
                                                     std::string_view version_id) {
    return read([&](const Txn& txn) -> Result<ObjectRecord> {
        OSTOR_TRY(check_bucket_exists(txn, bucket));
        auto found = find_version(txn, bucket, key, version_id);
        if (!found) return std::move(found).error();
        ObjectRecord& rec = found->record;
        if (rec.body_id != 0) {
            rec.inline_data = load_body(txn, rec.body_id);
            if (rec.inline_data.empty())
                return Error(Errc::Internal, "the body of object " + std::string(key) + " is missing");
        }
        return std::move(rec);
    });
}

Result<ObjectInfo> LocalObjectCatalog::stat_version(std::string_view bucket, std::string_view key,
                                                    std::string_view version_id) {
    return read([&](const Txn& txn) -> Result<ObjectInfo> {
        OSTOR_TRY(check_bucket_exists(txn, bucket));
        auto found = find_version(txn, bucket, key, version_id);
        if (!found) return std::move(found).error();
        return std::move(found->record.info);
    });
}

Result<DeleteResult> LocalObjectCatalog::delete_version(std::string_view bucket, std::string_view key,
                                                        const DeleteOptions& options, FreedExtents& freed) {
    return commits_.run_value<DeleteResult>([&](Txn& txn) -> Result<DeleteResult> {
        freed.clear();
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        return ::ostor::detail::delete_version(txn, *b, key, options, freed);
    });
}

Result<ObjectInfo> LocalObjectCatalog::set_version_acl(std::string_view bucket, std::string_view key,
                                                       std::string_view acl, std::string_view version_id) {
    if (version_id.empty()) return set_object_acl(bucket, key, acl);
    return change_version_meta(bucket, key, version_id, [&](ObjectMeta& meta) { meta.acl = acl; });
}

Result<ObjectInfo> LocalObjectCatalog::set_version_tags(std::string_view bucket, std::string_view key,
                                                        std::vector<std::pair<std::string, std::string>> tags,
                                                        std::string_view version_id) {
    if (version_id.empty()) return set_object_tags(bucket, key, std::move(tags));
    // Copied: a commit may run it again.
    return change_version_meta(bucket, key, version_id, [&](ObjectMeta& meta) { meta.tags = tags; });
}

Result<ObjectInfo> LocalObjectCatalog::change_version_meta(std::string_view bucket, std::string_view key,
                                                           std::string_view version_id,
                                                           const std::function<void(ObjectMeta&)>& change) {
    return commits_.run_value<ObjectInfo>([&](Txn& txn) -> Result<ObjectInfo> {
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        return change_version_entry(txn, bucket, key, version_id, [&](ObjectInfo& info) -> Result<void> {
            change(info.meta);
            return {};
        });
    });
}

Result<ObjectInfo> LocalObjectCatalog::change_version_lock(std::string_view bucket, std::string_view key,
                                                           std::string_view version_id, const LockChange& change) {
    return commits_.run_value<ObjectInfo>([&](Txn& txn) -> Result<ObjectInfo> {
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        if (!b->object_lock.enabled) return Error(Errc::InvalidArgument, "Bucket is missing Object Lock Configuration");
        ObjectLock before;
        auto changed = change_version_entry(txn, bucket, key, version_id, [&](ObjectInfo& info) -> Result<void> {
            before = info.lock;
            auto after = changed_lock(before, change, now_ms(), 0);  // one clock decides locally
            if (!after) return std::move(after).error();
            info.lock = *after;
            return {};
        });
        if (!changed) return changed;
        // The lock summary, in the same transaction.
        note_lock_change(*b, before, changed->lock);
        txn.put(Table::Buckets, b->name, encode(*b));
        return changed;
    });
}

Result<ListVersionsResult> LocalObjectCatalog::list_versions(std::string_view bucket,
                                                             const ListVersionsParams& params) {
    return read([&](const Txn& txn) -> Result<ListVersionsResult> {
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        VersionMarker marker;
        if (!params.version_id_marker.empty()) {
            auto head = load_version_head(txn, bucket, params.key_marker);
            if (!head) return std::move(head).error();
            marker = *head ? version_marker(params.version_id_marker, (*head)->newest, (*head)->null_instance)
                           : version_marker(params.version_id_marker, {}, {});
        }
        ObjectScan currents(txn, bucket);
        VersionScan versions(txn, bucket);
        VersionWalk walk(currents, versions);
        return list_versions_page(walk, bucket, params, marker);
    });
}

}  // namespace ostor::detail
