// SKELETON, being replaced: see object_catalog.hpp.
#include "rados/object_catalog.hpp"

#pragma GCC diagnostic ignored "-Wunused-parameter"

namespace ostor::detail::rados {

Result<void> RadosObjectCatalog::drop_dead_reservations(Leases& leases) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<bool> RadosObjectCatalog::quota_applies(std::string_view bucket) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<ReservationId> RadosObjectCatalog::reserve(std::string_view bucket, std::uint64_t bytes) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

void RadosObjectCatalog::release(const ReservationId& reservation) {}

Result<UserUsage> RadosObjectCatalog::get_user_usage(std::string_view user_id) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<ObjectRecord> RadosObjectCatalog::get_object(std::string_view bucket, std::string_view key) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<ObjectInfo> RadosObjectCatalog::put_object(BodyCommit body, const WriteConditions& conditions, FreedExtents& freed) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<ObjectInfo> RadosObjectCatalog::copy_object(std::string_view src_bucket, std::string_view src_key, std::string_view dst_bucket,
                                   std::string_view dst_key, const std::optional<ObjectMeta>& replace_meta,
                                   const WriteConditions& conditions, FreedExtents& freed) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<void> RadosObjectCatalog::delete_object(std::string_view bucket, std::string_view key, FreedExtents& freed) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<ObjectInfo> RadosObjectCatalog::set_object_acl(std::string_view bucket, std::string_view key, std::string_view acl) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<ListObjectsResult> RadosObjectCatalog::list_objects(std::string_view bucket, const ListObjectsParams& params) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<void> RadosObjectCatalog::scan_bodies(const std::function<Result<void>(std::vector<StoredBody>&)>& fn) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<bool> RadosObjectCatalog::extent_referenced(const Extent& x) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<ObjectInfo> RadosObjectCatalog::commit_object(const StoredBucket& bucket, ObjectRecord record,
                                     const WriteConditions& conditions,
                                     const std::optional<ReservationId>& reservation,
                                     std::int64_t delta_parts_bytes, FreedExtents& freed) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

}  // namespace ostor::detail::rados
