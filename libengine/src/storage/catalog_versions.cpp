// ObjectCatalog's version calls for a backend whose buckets are never
// versioned (storage/catalog.hpp): the current is the null version, and no
// other id names anything.
#include "storage/catalog.hpp"
#include "versions/version_ids.hpp"

namespace ostor::detail {

namespace {

Error no_such_version(std::string_view key, std::string_view version_id) {
    return Error(Errc::NoSuchVersion, "no version " + std::string(version_id) + " of " + std::string(key));
}

// NoSuchKey of the null version is NoSuchVersion: the id names nothing.
template <class T>
Result<T> as_version(Result<T> r, std::string_view key, std::string_view version_id) {
    if (!r && r.error().code() == Errc::NoSuchKey && !version_id.empty()) return no_such_version(key, version_id);
    return r;
}

}  // namespace

Result<ObjectRecord> ObjectCatalog::get_version(std::string_view bucket, std::string_view key,
                                                std::string_view version_id) {
    if (!version_id.empty() && version_id != kNullVersionId) {
        auto b = get_bucket_record(bucket);
        if (!b) return std::move(b).error();
        return no_such_version(key, version_id);
    }
    return as_version(get_object(bucket, key), key, version_id);
}

// Without versions the null version is the current, read as a backend reads it.
Result<ObjectInfo> ObjectCatalog::stat_version(std::string_view bucket, std::string_view key,
                                               std::string_view version_id) {
    auto rec = get_version(bucket, key, version_id);
    if (!rec) return std::move(rec).error();
    return std::move(rec->info);
}

Result<DeleteResult> ObjectCatalog::delete_version(std::string_view bucket, std::string_view key,
                                                   const DeleteOptions& options, FreedExtents& freed) {
    if (!options.version_id.empty() && options.version_id != kNullVersionId) {
        auto b = get_bucket_record(bucket);
        if (!b) return std::move(b).error();
        return no_such_version(key, options.version_id);
    }
    auto deleted = as_version(delete_object(bucket, key, options, freed), key, options.version_id);
    if (!deleted) return std::move(deleted).error();
    return DeleteResult{options.version_id, false};
}

Result<ObjectInfo> ObjectCatalog::set_version_acl(std::string_view bucket, std::string_view key, std::string_view acl,
                                                  std::string_view version_id) {
    if (!version_id.empty() && version_id != kNullVersionId) {
        auto b = get_bucket_record(bucket);
        if (!b) return std::move(b).error();
        return no_such_version(key, version_id);
    }
    return as_version(set_object_acl(bucket, key, acl), key, version_id);
}

Result<ObjectInfo> ObjectCatalog::set_version_tags(std::string_view bucket, std::string_view key,
                                                   std::vector<std::pair<std::string, std::string>> tags,
                                                   std::string_view version_id) {
    if (!version_id.empty() && version_id != kNullVersionId) {
        auto b = get_bucket_record(bucket);
        if (!b) return std::move(b).error();
        return no_such_version(key, version_id);
    }
    return as_version(set_object_tags(bucket, key, std::move(tags)), key, version_id);
}

Result<ObjectRecord> ObjectCatalog::get_copy_source(std::string_view bucket, std::string_view key,
                                                    std::string_view version_id) {
    // The current: a key whose newest is a delete marker has none (NoSuchKey).
    if (version_id.empty()) return get_object(bucket, key);
    auto rec = get_version(bucket, key, version_id);
    if (rec && rec->info.delete_marker)
        return Error(Errc::MethodNotAllowed,
                     "version " + std::string(version_id) + " of " + std::string(key) + " is a delete marker");
    return rec;
}

}  // namespace ostor::detail
