// The local backend's ObjectCatalog (storage/catalog.hpp): buckets, the
// object index, multipart uploads and the space ledger in LMDB tables. Each
// call that changes something is one change through the commit queue (one
// LMDB transaction, durable when the call returns); extent reference counts
// (SegmentStore::add_refs/drop_refs, the Extents table) change in the same
// transaction as the records that hold the extents. Reads run on a snapshot
// of their own. Safe to call from any thread.
//
// The calls are defined by family: bucket_catalog.cpp, object_catalog.cpp
// (objects and scrub's walk), object_versions.cpp, upload_catalog.cpp,
// space_ledger.cpp.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "local/commit_queue.hpp"
#include "local/lmdb_env.hpp"
#include "local/read_snapshot.hpp"
#include "local/segment_store.hpp"
#include "storage/catalog.hpp"

namespace ostor::detail {

class LocalObjectCatalog final : public ObjectCatalog {
public:
    // `instance_id`: this Engine's (Leases::instance_id()), which names the
    // reservations it makes.
    LocalObjectCatalog(const Env& env, CommitQueue& commits, std::string instance_id);

    Result<Bucket> create_bucket(std::string_view name, std::string_view owner_id, std::string_view account,
                                 const BucketCreateOptions& options) override;
    Result<Bucket> get_bucket(std::string_view name) override;
    Result<std::vector<Bucket>> list_buckets(const BucketFilter& filter) override;
    Result<void> delete_bucket(std::string_view name, FreedExtents& freed) override;
    Result<Bucket> set_bucket_acl(std::string_view name, std::string_view acl) override;
    Result<Bucket> set_bucket_config(std::string_view name, std::string_view kind,
                                     const std::optional<std::string>& document) override;
    Result<Bucket> set_bucket_versioning(std::string_view name, VersioningState state) override;
    Result<Bucket> set_object_lock_config(std::string_view name, const ObjectLockConfig& config) override;

    Result<void> drop_dead_reservations(Leases& leases) override;
    Result<bool> quota_applies(std::string_view bucket) override;
    Result<ReservationId> reserve(std::string_view bucket, std::string_view key, std::uint64_t bytes) override;
    void release(const ReservationId& reservation) override;
    Result<UserUsage> get_user_usage(std::string_view user_id) override;

    Result<ObjectRecord> get_object(std::string_view bucket, std::string_view key) override;
    Result<ObjectInfo> put_object(BodyCommit body, const WriteConditions& conditions, FreedExtents& freed) override;
    Result<ObjectInfo> copy_object(std::string_view src_bucket, std::string_view src_key,
                                   std::string_view src_version_id, std::string_view dst_bucket,
                                   std::string_view dst_key, const std::optional<ObjectMeta>& replace_meta,
                                   const std::optional<ObjectTags>& replace_tags,
                                   const std::optional<std::string>& replace_acl, const WriteConditions& conditions,
                                   FreedExtents& freed, const std::optional<ObjectLock>& lock = std::nullopt) override;
    using ObjectCatalog::delete_object;
    Result<void> delete_object(std::string_view bucket, std::string_view key, const DeleteOptions& options,
                               FreedExtents& freed) override;
    Result<ObjectInfo> set_object_acl(std::string_view bucket, std::string_view key, std::string_view acl) override;
    Result<ObjectInfo> set_object_tags(std::string_view bucket, std::string_view key,
                                       std::vector<std::pair<std::string, std::string>> tags) override;
    Result<ListObjectsResult> list_objects(std::string_view bucket, const ListObjectsParams& params) override;
    Result<ListVersionsResult> list_versions(std::string_view bucket, const ListVersionsParams& params) override;
    Result<ObjectRecord> get_version(std::string_view bucket, std::string_view key,
                                     std::string_view version_id) override;
    Result<ObjectInfo> stat_version(std::string_view bucket, std::string_view key,
                                    std::string_view version_id) override;
    Result<DeleteResult> delete_version(std::string_view bucket, std::string_view key, const DeleteOptions& options,
                                        FreedExtents& freed) override;
    Result<ObjectInfo> set_version_acl(std::string_view bucket, std::string_view key, std::string_view acl,
                                       std::string_view version_id) override;
    Result<ObjectInfo> set_version_tags(std::string_view bucket, std::string_view key,
                                        std::vector<std::pair<std::string, std::string>> tags,
                                        std::string_view version_id) override;
    Result<ObjectInfo> change_version_lock(std::string_view bucket, std::string_view key, std::string_view version_id,
                                           const LockChange& change) override;

    Result<Upload> create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta,
                                 std::optional<ObjectLock> lock = std::nullopt) override;
    Result<Upload> get_upload(std::string_view upload_id) override;
    Result<PartInfo> put_part(std::string_view upload_id, std::uint32_t number, BodyCommit body,
                              FreedExtents& freed) override;
    Result<PartInfo> copy_part(std::string_view upload_id, std::uint32_t number, std::string_view src_bucket,
                               std::string_view src_key, std::string_view src_version_id, const ObjectInfo& source,
                               std::string part_etag, FreedExtents& freed) override;
    Result<ObjectInfo> complete_upload(std::string_view upload_id, const std::vector<CompletedPart>& parts,
                                       const std::optional<std::vector<std::pair<std::string, std::string>>>& checksums,
                                       const std::optional<std::string>& acl, const WriteConditions& conditions,
                                       FreedExtents& freed) override;
    Result<void> abort_upload(std::string_view upload_id, FreedExtents& freed) override;
    Result<ListPartsResult> list_parts(std::string_view upload_id, std::uint32_t marker,
                                       std::uint32_t max_parts) override;
    Result<ListUploadsResult> list_uploads(std::string_view bucket, const ListUploadsParams& params) override;

    Result<void> scan_bodies(const std::function<Result<void>(std::vector<StoredBody>&)>& fn) override;
    Result<bool> extent_referenced(const Extent& x) override;

private:
    template <class F>
    auto read(F&& fn) {
        return read_snapshot(env_, std::forward<F>(fn));
    }
    // The segments `body` was staged in, which the commit syncs first.
    static Result<CommitQueue::DataFiles> staged_segments(const BodyCommit& body);
    // Rewrites the record of (bucket, key) with `change` applied to its
    // metadata, in one commit, its data untouched (ACL, tags).
    Result<ObjectInfo> change_meta(std::string_view bucket, std::string_view key,
                                   const std::function<void(ObjectMeta&)>& change);
    // The same of the version `version_id` ("null" or an instance), where
    // it lies (Objects or Versions). MethodNotAllowed for a delete marker.
    Result<ObjectInfo> change_version_meta(std::string_view bucket, std::string_view key, std::string_view version_id,
                                           const std::function<void(ObjectMeta&)>& change);

    const Env& env_;
    CommitQueue& commits_;
    std::string instance_id_;
    std::atomic<std::uint64_t> reservation_seq_{0};
};

}  // namespace ostor::detail
