// SKELETON, being replaced: see object_catalog.hpp.
#include "rados/object_catalog.hpp"

#pragma GCC diagnostic ignored "-Wunused-parameter"

namespace ostor::detail::rados {

Result<Upload> RadosObjectCatalog::create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<Upload> RadosObjectCatalog::get_upload(std::string_view upload_id) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<PartInfo> RadosObjectCatalog::put_part(std::string_view upload_id, std::uint32_t number, BodyCommit body,
                              FreedExtents& freed) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<PartInfo> RadosObjectCatalog::copy_part(std::string_view upload_id, std::uint32_t number, std::string_view src_bucket,
                               std::string_view src_key, const ObjectInfo& source, std::string part_etag,
                               FreedExtents& freed) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<ObjectInfo> RadosObjectCatalog::complete_upload(std::string_view upload_id, const std::vector<CompletedPart>& parts,
                                       const std::optional<std::vector<std::pair<std::string, std::string>>>& checksums,
                                       const WriteConditions& conditions, FreedExtents& freed) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<void> RadosObjectCatalog::abort_upload(std::string_view upload_id, FreedExtents& freed) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<ListPartsResult> RadosObjectCatalog::list_parts(std::string_view upload_id, std::uint32_t marker,
                                       std::uint32_t max_parts) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<ListUploadsResult> RadosObjectCatalog::list_uploads(std::string_view bucket, const ListUploadsParams& params) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

}  // namespace ostor::detail::rados
