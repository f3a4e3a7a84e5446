// The local ObjectCatalog's objects: lookup, commit of a written body, copy,
// delete, ACL, listing; and scrub's walk over every stored body.
#include "local/object_catalog.hpp"

#include "codec.hpp"
#include "engine_impl.hpp"
#include "listing.hpp"
#include "local/object_index.hpp"
#include "local/space_ledger.hpp"
#include "local/tables.hpp"
#include "local/version_commit.hpp"
#include "write_conditions.hpp"

namespace ostor::detail {

Result<ObjectRecord> LocalObjectCatalog::get_object(std::string_view bucket, std::string_view key) {
    return read([&](const Txn& txn) -> Result<ObjectRecord> {
        OSTOR_TRY(check_bucket_exists(txn, bucket));
        return load_object(txn, bucket, key);
    });
}

Result<ObjectInfo> LocalObjectCatalog::put_object(BodyCommit body, const WriteConditions& conditions,
                                                  FreedExtents& freed) {
    auto segments = staged_segments(body);
    if (!segments) return std::move(segments).error();
    const ObjectRecord& rec = body.record;
    const std::string& bucket_name = rec.info.bucket;
    return commits_.run_value<ObjectInfo>(
        [&](Txn& txn) -> Result<ObjectInfo> {
            freed.clear();
            if (body.reservation) drop_reservation(txn, *body.reservation);
            auto bucket = load_bucket(txn, bucket_name);
            if (!bucket) return std::move(bucket).error();
            SegmentStore::add_refs(txn, rec.extents);
            return commit_object(txn, *bucket, rec, conditions, 0, freed);
        },
        std::move(*segments));
}

Result<ObjectInfo> LocalObjectCatalog::copy_object(
    std::string_view src_bucket, std::string_view src_key, std::string_view src_version_id, std::string_view dst_bucket,
    std::string_view dst_key, const std::optional<ObjectMeta>& replace_meta,
    const std::optional<ObjectTags>& replace_tags, const std::optional<std::string>& replace_acl,
    const WriteConditions& conditions, FreedExtents& freed, const std::optional<ObjectLock>& lock) {
    return commits_.run_value<ObjectInfo>([&](Txn& txn) -> Result<ObjectInfo> {
        freed.clear();
        auto sb = load_bucket(txn, src_bucket);
        if (!sb) return std::move(sb).error();
        auto src = load_copy_source(txn, src_bucket, src_key, src_version_id);
        if (!src) return std::move(src).error();
        auto db = load_bucket(txn, dst_bucket);
        if (!db) return std::move(db).error();
        // Share the source's extents first, so copying onto itself keeps them.
        SegmentStore::add_refs(txn, src->extents);
        ObjectRecord dst = std::move(*src);
        dst.info.bucket = dst_bucket;
        dst.info.key = dst_key;
        dst.info.last_modified_ms = now_ms();
        if (replace_meta)
            dst.info.meta = *replace_meta;
        else if (replace_tags)
            dst.info.meta.tags = *replace_tags;
        if (replace_acl) dst.info.meta.acl = *replace_acl;
        dst.info.upload_id.clear();                   // a copy is not what the upload made
        dst.info.lock = lock.value_or(ObjectLock{});  // the request's, never the source's
        return commit_object(txn, *db, std::move(dst), conditions, 0, freed);
    });
}

Result<void> LocalObjectCatalog::delete_object(std::string_view bucket, std::string_view key,
                                               const DeleteOptions& options, FreedExtents& freed) {
    auto deleted = delete_version(bucket, key, options, freed);
    if (!deleted) return std::move(deleted).error();
    return {};
}

Result<ObjectInfo> LocalObjectCatalog::change_meta(std::string_view bucket, std::string_view key,
                                                   const std::function<void(ObjectMeta&)>& change) {
    return commits_.run_value<ObjectInfo>([&](Txn& txn) -> Result<ObjectInfo> {
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        auto rec = load_object(txn, bucket, key);
        if (!rec) return std::move(rec).error();
        change(rec->info.meta);
        OSTOR_TRY(store_object(txn, bucket, key, *rec, &*rec));
        return rec->info;
    });
}

Result<ObjectInfo> LocalObjectCatalog::set_object_acl(std::string_view bucket, std::string_view key,
                                                      std::string_view acl) {
    return change_meta(bucket, key, [&](ObjectMeta& meta) { meta.acl = acl; });
}

Result<ObjectInfo> LocalObjectCatalog::set_object_tags(std::string_view bucket, std::string_view key,
                                                       std::vector<std::pair<std::string, std::string>> tags) {
    return change_meta(bucket, key, [&](ObjectMeta& meta) { meta.tags = tags; });  // copied: a commit may run it again
}

Result<ListObjectsResult> LocalObjectCatalog::list_objects(std::string_view bucket, const ListObjectsParams& params) {
    return read([&](const Txn& txn) -> Result<ListObjectsResult> {
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        ObjectScan scan(txn, bucket);
        return list_objects_page(scan, bucket, params);
    });
}

}  // namespace ostor::detail
