// Multipart uploads: parts are stored as extents of their own; completing an
// upload makes the object from the parts' extents without moving data.
#include "engine_impl.hpp"
#include "hashing.hpp"
#include "multipart_assembly.hpp"
#include "ostor/names.hpp"

namespace ostor {

using namespace detail;

Result<Upload> Engine::create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta) {
    return create_upload(bucket, key, std::move(meta), std::nullopt);
}

Result<Upload> Engine::create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta,
                                     std::optional<ObjectLock> lock) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(validate_object_key(key));
    OSTOR_TRY(validate_object_tags(meta.tags));
    OSTOR_TRY(check_lock_request(*impl_, bucket, lock));
    return impl_->objects->create_upload(bucket, key, std::move(meta), std::move(lock));
}

Result<Upload> Engine::get_upload(std::string_view upload_id) { return impl_->objects->get_upload(upload_id); }

Result<std::unique_ptr<ObjectWriter>> Engine::begin_upload_part(std::string_view upload_id, std::uint32_t number,
                                                                PutOptions options) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(check_part_number(number));
    if (options.size_hint && *options.size_hint > kMaxObjectBytes)
        return Error(Errc::EntityTooLarge, "parts are at most 5 TiB");
    auto upload = get_upload(upload_id);
    if (!upload) return std::move(upload).error();
    // As begin_put: NoSuchBucket first, the reservation after the memory.
    auto applies = impl_->objects->quota_applies(upload->bucket);
    if (!applies) return std::move(applies).error();
    WriteTarget target{WriteTargetKind::Part, upload->bucket, upload->key, std::string(upload_id), number};
    return make_writer(*impl_, std::move(target), std::move(options), *applies);
}

namespace {

PartInfo part_from(const ObjectInfo& info, std::uint32_t number) {
    PartInfo p;
    p.number = number;
    p.size = info.size;
    p.etag = info.etag;
    p.last_modified_ms = info.last_modified_ms;
    p.checksums = info.meta.checksums;
    return p;
}

}  // namespace

Result<PartInfo> Engine::upload_part(std::string_view upload_id, std::uint32_t number, std::span<const std::byte> body,
                                     PutOptions options) {
    OSTOR_TRY(check_may_commit(*impl_));
    if (!options.size_hint) options.size_hint = body.size();
    auto writer = begin_upload_part(upload_id, number, std::move(options));
    if (!writer) return std::move(writer).error();
    OSTOR_TRY((*writer)->write(body));
    auto info = (*writer)->commit();
    if (!info) return std::move(info).error();
    return part_from(*info, number);
}

Result<PartInfo> Engine::upload_part_copy(std::string_view upload_id, std::uint32_t number, std::string_view src_bucket,
                                          std::string_view src_key, std::optional<ByteRange> range,
                                          std::string_view src_version_id) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(check_part_number(number));
    // head_object refuses a malformed id (InvalidArgument) before any read.
    auto source = head_object(src_bucket, src_key, src_version_id);
    if (!source) return std::move(source).error();
    // A sub-range cannot share whole extents, and a small source has none
    // (its bytes are inline): stream those.
    if (range || source->size <= kInlineMaxBytes) {
        auto reader = open_object(src_bucket, src_key, range, src_version_id);
        if (!reader) return std::move(reader).error();
        PutOptions put;
        put.size_hint = (*reader)->remaining();
        auto writer = begin_upload_part(upload_id, number, std::move(put));
        if (!writer) return std::move(writer).error();
        OSTOR_TRY(for_each_chunk(**reader, [&](std::span<const std::byte> chunk) { return (*writer)->write(chunk); }));
        auto info = (*writer)->commit();
        if (!info) return std::move(info).error();
        return part_from(*info, number);
    }
    // A multipart source's ETag is not the MD5 of its bytes, but a part's
    // must be: compute it from the data, outside the commit.
    std::string part_etag = source->etag;
    if (!source->part_sizes.empty()) {
        auto reader = open_object(src_bucket, src_key, std::nullopt, src_version_id);
        if (!reader) return std::move(reader).error();
        Md5 md5;
        OSTOR_TRY(for_each_chunk(**reader, [&](std::span<const std::byte> chunk) -> Result<void> {
            md5.update(chunk);
            return {};
        }));
        part_etag = to_hex(md5.finish());
    }
    FreedExtents freed;
    auto r = impl_->objects->copy_part(upload_id, number, src_bucket, src_key, src_version_id, *source,
                                       std::move(part_etag), freed);
    if (r) impl_->blobs->release(freed);
    return r;
}

Result<ObjectInfo> Engine::complete_upload(std::string_view upload_id, const std::vector<CompletedPart>& parts,
                                           std::optional<std::vector<std::pair<std::string, std::string>>> checksums,
                                           const WriteConditions& conditions, const std::optional<std::string>& acl) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(check_part_list(parts));
    FreedExtents freed;
    auto r = impl_->objects->complete_upload(upload_id, parts, checksums, acl, conditions, freed);
    if (r) impl_->blobs->release(freed);
    return r;
}

Result<void> Engine::abort_upload(std::string_view upload_id) {
    OSTOR_TRY(check_may_commit(*impl_));
    FreedExtents freed;
    auto r = impl_->objects->abort_upload(upload_id, freed);
    if (r) impl_->blobs->release(freed);
    return r;
}

Result<ListPartsResult> Engine::list_parts(std::string_view upload_id, std::uint32_t marker, std::uint32_t max_parts) {
    return impl_->objects->list_parts(upload_id, marker, max_parts);
}

Result<ListUploadsResult> Engine::list_uploads(std::string_view bucket, const ListUploadsParams& params) {
    return impl_->objects->list_uploads(bucket, params);
}

}  // namespace ostor
