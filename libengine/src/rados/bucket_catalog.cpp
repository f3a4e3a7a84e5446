// SKELETON, being replaced: see object_catalog.hpp.
#include "rados/object_catalog.hpp"

#pragma GCC diagnostic ignored "-Wunused-parameter"

namespace ostor::detail::rados {

Result<Bucket> RadosObjectCatalog::create_bucket(std::string_view name, std::string_view owner_id, std::string_view account,
                                 std::string_view acl) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<Bucket> RadosObjectCatalog::get_bucket(std::string_view name) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<std::vector<Bucket>> RadosObjectCatalog::list_buckets(const BucketFilter& filter) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<void> RadosObjectCatalog::delete_bucket(std::string_view name, FreedExtents& freed) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<Bucket> RadosObjectCatalog::set_bucket_acl(std::string_view name, std::string_view acl) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

Result<RadosObjectCatalog::StoredBucket> RadosObjectCatalog::load_bucket(std::string_view name) {
    return Error(Errc::Internal, "the RADOS object catalog is not built yet");
}

}  // namespace ostor::detail::rados
