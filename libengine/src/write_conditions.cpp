#include "write_conditions.hpp"

#include "versions/version_ids.hpp"

namespace ostor::detail {

Result<void> check_write_conditions(const WriteConditions& conditions, const std::optional<ObjectRecord>& current) {
    if (conditions.if_none_match && current)
        return Error(Errc::PreconditionFailed, "an object already exists under this key (If-None-Match: *)");
    if (conditions.if_match_etag) {
        if (!current) return Error(Errc::NoSuchKey, "no object to match (If-Match)");
        if (current->info.etag != *conditions.if_match_etag)
            return Error(Errc::PreconditionFailed, "the object's ETag is not the one given (If-Match)");
    }
    return {};
}

namespace {

// An object written before versioning carries no version id: it is the null version.
std::string_view version_of(const ObjectInfo& info) {
    return info.version_id.empty() ? kNullVersionId : std::string_view(info.version_id);
}

}  // namespace

bool is_current_write(const ObjectInfo& current, const DeleteOptions& options) {
    if (!options.if_current) return true;
    const ObjectInfo& write = *options.if_current;
    if (!write.version_id.empty() && version_of(current) != version_of(write)) return false;
    return current.etag == write.etag && current.last_modified_ms == write.last_modified_ms;
}

Error not_that_write(std::string_view bucket, std::string_view key) {
    return Error(Errc::PreconditionFailed, "the current object of " + std::string(bucket) + "/" + std::string(key) +
                                               " is another write than the one to delete");
}

bool is_noncurrent_under(const ObjectInfo* current, const DeleteOptions& options) {
    if (!options.if_noncurrent_under) return true;
    if (!current) return false;
    const ObjectInfo& seen = *options.if_noncurrent_under;
    if (version_of(*current) != version_of(seen) || version_of(*current) == options.version_id) return false;
    return current->etag == seen.etag && current->last_modified_ms == seen.last_modified_ms;
}

Error not_noncurrent_under(std::string_view bucket, std::string_view key, std::string_view version_id) {
    return Error(Errc::PreconditionFailed, "version " + std::string(version_id) + " of " + std::string(bucket) + "/" +
                                               std::string(key) + " is the current, or the current is another " +
                                               "than the one it was to be noncurrent under");
}

}  // namespace ostor::detail
