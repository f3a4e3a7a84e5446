// Objects: put, get, head, delete, copy, ACL, tags, listing, scrub.

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <tuple>

#include "engine_impl.hpp"
#include "hashing.hpp"
#include "ostor/names.hpp"
#include "versions/version_ids.hpp"

namespace ostor {

using namespace detail;

Result<std::unique_ptr<ObjectWriter>> Engine::begin_put(std::string_view bucket, std::string_view key,
                                                        PutOptions options) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(validate_object_key(key));
    OSTOR_TRY(validate_object_tags(options.meta.tags));
    OSTOR_TRY(check_lock_request(*impl_, bucket, options.lock));
    if (options.size_hint && *options.size_hint > kMaxObjectBytes)
        return Error(Errc::EntityTooLarge, "objects are at most 5 TiB");
    // NoSuchBucket before any wait for memory; the writer reserves against
    // the quota once it has its memory.
    auto applies = impl_->objects->quota_applies(bucket);
    if (!applies) return std::move(applies).error();
    WriteTarget target{WriteTargetKind::Object, std::string(bucket), std::string(key), {}, 0};
    return make_writer(*impl_, std::move(target), std::move(options), *applies);
}

Result<ObjectInfo> Engine::put_object(std::string_view bucket, std::string_view key, std::span<const std::byte> body,
                                      PutOptions options) {
    OSTOR_TRY(check_may_commit(*impl_));
    if (!options.size_hint) options.size_hint = body.size();
    auto writer = begin_put(bucket, key, std::move(options));
    if (!writer) return std::move(writer).error();
    OSTOR_TRY((*writer)->write(body));
    return (*writer)->commit();
}

namespace {

// Reads refuse an id that is neither "null" nor an instance before reading.
Result<void> check_version_id(std::string_view version_id) {
    if (version_id.empty() || is_version_id(version_id)) return {};
    return Error(Errc::InvalidArgument, "Invalid version id specified");
}

// The record of a version to serve: a delete marker named by its id has no
// data (S3's 405).
Result<ObjectRecord> load_served(EngineImpl& impl, std::string_view bucket, std::string_view key,
                                 std::string_view version_id) {
    if (version_id.empty()) {
        auto rec = impl.objects->get_object(bucket, key);
        if (rec) rec->info.is_latest = true;
        return rec;
    }
    auto rec = impl.objects->get_version(bucket, key, version_id);
    if (rec && rec->info.delete_marker)
        return Error(Errc::MethodNotAllowed,
                     "version " + std::string(version_id) + " of " + std::string(key) + " is a delete marker");
    return rec;
}

}  // namespace

Result<std::unique_ptr<ObjectReader>> Engine::open_object(std::string_view bucket, std::string_view key,
                                                          std::optional<ByteRange> range) {
    return open_object(bucket, key, range, {});
}

Result<std::unique_ptr<ObjectReader>> Engine::open_object(std::string_view bucket, std::string_view key,
                                                          std::optional<ByteRange> range, std::string_view version_id) {
    OSTOR_TRY(check_version_id(version_id));
    auto load = [&] { return load_served(*impl_, bucket, key, version_id); };
    // Pin the extents, then check that they still belong to the object: a
    // delete that committed in between may already have punched them.
    constexpr int kPinAttempts = 8;
    for (int attempt = 0; attempt < kPinAttempts; ++attempt) {
        auto rec = load();
        if (!rec) return std::move(rec).error();
        std::uint64_t size = rec->info.size;
        std::uint64_t first = 0, end = size;
        if (range) {
            if (range->first > range->last || range->first >= size)
                return Error(Errc::InvalidRange,
                             "range " + std::to_string(range->first) + "-" + std::to_string(range->last) +
                                 " is not satisfiable for an object of " + std::to_string(size) + " bytes");
            first = range->first;
            end = range->last >= size - 1 ? size : range->last + 1;
        }
        if (rec->extents.empty()) {  // inline (or empty): nothing to pin
            rec->info.bucket = bucket;
            return make_reader(*impl_, std::move(*rec), nullptr, first, end);
        }
        std::vector<Extent> needed;
        std::uint64_t start = 0;
        for (const Extent& x : rec->extents) {
            if (start < end && start + x.length > first) needed.push_back(x);
            start += x.length;
        }
        auto pins = impl_->blobs->pin(needed);
        // Where a pin alone proves the bytes (RADOS), the version loaded is
        // served even if it was replaced meanwhile: under many overwrites a
        // second look could otherwise never match.
        if (pins && impl_->blobs->pins_prove_contents()) {
            rec->info.bucket = bucket;
            std::uint64_t skipped = 0;
            start = 0;
            for (const Extent& x : rec->extents) {
                if (start + x.length > first) break;
                skipped += x.length;
                start += x.length;
            }
            rec->extents = std::move(needed);
            return make_reader(*impl_, std::move(*rec), std::move(*pins), first - skipped, end - skipped);
        }
        auto again = load();
        if (!again) return std::move(again).error();
        bool same =
            again->info.etag == rec->info.etag && again->info.last_modified_ms == rec->info.last_modified_ms &&
            again->extents.size() == rec->extents.size() &&
            std::equal(again->extents.begin(), again->extents.end(), rec->extents.begin(),
                       [](const Extent& a, const Extent& b) { return a.segment == b.segment && a.offset == b.offset; });
        if (!same) continue;  // changed meanwhile: read the new version
        if (!pins) return std::move(pins).error();
        rec->info.bucket = bucket;
        rec->extents = std::move(needed);
        // The reader maps positions through the extents it was given: shift
        // the window so that `first` stays relative to the first one.
        std::uint64_t skipped = 0;
        start = 0;
        for (const Extent& x : again->extents) {
            if (start + x.length > first) break;
            skipped += x.length;
            start += x.length;
        }
        return make_reader(*impl_, std::move(*rec), std::move(*pins), first - skipped, end - skipped);
    }
    return Error(Errc::Internal, "the object kept changing while being opened; retry");
}

Result<ObjectInfo> Engine::head_object(std::string_view bucket, std::string_view key) {
    return head_object(bucket, key, {});
}

Result<ObjectInfo> Engine::head_object(std::string_view bucket, std::string_view key, std::string_view version_id) {
    OSTOR_TRY(check_version_id(version_id));
    auto rec = load_served(*impl_, bucket, key, version_id);
    if (!rec) return std::move(rec).error();
    return std::move(rec->info);
}

Result<ObjectInfo> Engine::stat_version(std::string_view bucket, std::string_view key, std::string_view version_id) {
    OSTOR_TRY(check_version_id(version_id));
    return impl_->objects->stat_version(bucket, key, version_id);
}

Result<void> Engine::delete_object(std::string_view bucket, std::string_view key) {
    auto r = delete_object(bucket, key, DeleteOptions{});
    if (!r) return std::move(r).error();
    return {};
}

Result<DeleteResult> Engine::delete_object(std::string_view bucket, std::string_view key,
                                           const DeleteOptions& options) {
    OSTOR_TRY(check_may_commit(*impl_));
    // if_current guards the removal of the current: a version named by id is
    // removed whatever is current, so the two together are a caller's mistake.
    if (!options.version_id.empty() && options.if_current)
        return Error(Errc::InvalidArgument, "a delete names a version or guards the current write, not both");
    if (options.version_id.empty() && options.if_noncurrent_under)
        return Error(Errc::InvalidArgument, "a delete guarding a noncurrent version names that version");
    FreedExtents freed;
    auto r = impl_->objects->delete_version(bucket, key, options, freed);
    if (r) impl_->blobs->release(freed);
    return r;
}

Result<ObjectInfo> Engine::copy_object(std::string_view src_bucket, std::string_view src_key,
                                       std::string_view dst_bucket, std::string_view dst_key,
                                       const CopyOptions& options) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(validate_object_key(dst_key));
    if (options.replace_meta) OSTOR_TRY(validate_object_tags(options.replace_meta->tags));
    if (options.replace_tags) OSTOR_TRY(validate_object_tags(*options.replace_tags));
    OSTOR_TRY(check_version_id(options.src_version_id));
    OSTOR_TRY(check_lock_request(*impl_, dst_bucket, options.lock));
    if (options.range) {
        // A sub-range cannot share whole extents: stream it into a new object.
        auto reader = open_object(src_bucket, src_key, options.range, options.src_version_id);
        if (!reader) return std::move(reader).error();
        PutOptions put;
        put.meta = options.replace_meta ? *options.replace_meta : (*reader)->info().meta;
        if (!options.replace_meta && options.replace_tags) put.meta.tags = *options.replace_tags;
        if (options.replace_acl) put.meta.acl = *options.replace_acl;
        put.size_hint = (*reader)->remaining();
        put.conditions = options.conditions;
        put.lock = options.lock;
        auto writer = begin_put(dst_bucket, dst_key, std::move(put));
        if (!writer) return std::move(writer).error();
        OSTOR_TRY(for_each_chunk(**reader, [&](std::span<const std::byte> chunk) { return (*writer)->write(chunk); }));
        return (*writer)->commit();
    }
    FreedExtents freed;
    auto r = impl_->objects->copy_object(src_bucket, src_key, options.src_version_id, dst_bucket, dst_key,
                                         options.replace_meta, options.replace_tags, options.replace_acl,
                                         options.conditions, freed, options.lock);
    if (r) impl_->blobs->release(freed);
    return r;
}

Result<ObjectInfo> Engine::set_object_acl(std::string_view bucket, std::string_view key, std::string_view acl) {
    return set_object_acl(bucket, key, acl, {});
}

Result<ObjectInfo> Engine::set_object_acl(std::string_view bucket, std::string_view key, std::string_view acl,
                                          std::string_view version_id) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(check_version_id(version_id));
    if (version_id.empty()) return impl_->objects->set_object_acl(bucket, key, acl);
    return impl_->objects->set_version_acl(bucket, key, acl, version_id);
}

Result<ObjectInfo> Engine::set_object_tags(std::string_view bucket, std::string_view key,
                                           std::vector<std::pair<std::string, std::string>> tags) {
    return set_object_tags(bucket, key, std::move(tags), {});
}

Result<ObjectInfo> Engine::set_object_tags(std::string_view bucket, std::string_view key,
                                           std::vector<std::pair<std::string, std::string>> tags,
                                           std::string_view version_id) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(validate_object_tags(tags));
    OSTOR_TRY(check_version_id(version_id));
    if (version_id.empty()) return impl_->objects->set_object_tags(bucket, key, std::move(tags));
    return impl_->objects->set_version_tags(bucket, key, std::move(tags), version_id);
}

Result<ObjectInfo> Engine::set_object_retention(std::string_view bucket, std::string_view key,
                                                std::string_view version_id, std::optional<Retention> retention,
                                                bool bypass_governance) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(check_version_id(version_id));
    if (retention) OSTOR_TRY(check_requested_retention(*retention, now_ms()));
    LockChange change;
    change.retention = retention.value_or(Retention{});
    change.bypass_governance = bypass_governance;
    return impl_->objects->change_version_lock(bucket, key, version_id, change);
}

Result<ObjectInfo> Engine::set_object_legal_hold(std::string_view bucket, std::string_view key,
                                                 std::string_view version_id, bool on) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(check_version_id(version_id));
    LockChange change;
    change.legal_hold = on;
    return impl_->objects->change_version_lock(bucket, key, version_id, change);
}

Result<ListObjectsResult> Engine::list_objects(std::string_view bucket, const ListObjectsParams& params) {
    return impl_->objects->list_objects(bucket, params);
}

Result<ListVersionsResult> Engine::list_object_versions(std::string_view bucket, const ListVersionsParams& params) {
    if (!params.version_id_marker.empty() && params.key_marker.empty())
        return Error(Errc::InvalidArgument, "A version-id marker cannot be specified without a key marker.");
    OSTOR_TRY(check_version_id(params.version_id_marker));
    return impl_->objects->list_versions(bucket, params);
}

Result<ScrubReport> Engine::scrub() {
    ScrubReport report;
    std::vector<std::byte> buf(kExtentMaxBytes);
    // The catalog hands over bounded batches, holding no snapshot while the
    // blob store reads them.
    OSTOR_TRY(impl_->objects->scan_bodies([&](std::vector<StoredBody>& batch) -> Result<void> {
        for (const StoredBody& body : batch) {
            // A record (or small body) the catalog cannot read is damage too:
            // the object it stands for cannot be served.
            bool damaged = body.damaged_record;
            if (!body.inline_data.empty()) {
                ++report.extents_checked;
                if (crc32c(std::as_bytes(std::span(body.inline_data))) != body.inline_crc)
                    damaged = true;
                else
                    report.bytes_checked += body.inline_data.size();
            }
            for (const Extent& x : body.extents) {
                ++report.extents_checked;
                if (impl_->blobs->verify(x, buf)) {
                    report.bytes_checked += x.length;
                    continue;
                }
                // Freed since the batch was read (deleted or overwritten)? Then it is not damage.
                auto referenced = impl_->objects->extent_referenced(x);
                if (referenced && !*referenced) continue;
                damaged = true;
            }
            if (damaged) report.damaged.push_back(body.name);
        }
        return {};
    }));
    // Batches may come in any order (the local catalog reads several key
    // ranges at once): the report names objects in order ("bucket/key"),
    // then the parts of uploads ("upload <id> part <n>", no bucket name has
    // a space) by upload and part number.
    auto order = [](const std::string& name) {
        constexpr std::string_view kUpload = "upload ";
        if (!name.starts_with(kUpload)) return std::tuple(0, std::string_view(name), 0UL);
        std::string_view rest = std::string_view(name).substr(kUpload.size());
        auto space = rest.find(' ');
        std::string_view id = rest.substr(0, space);
        constexpr std::string_view kPart = " part ";
        std::size_t number_at = kUpload.size() + space + kPart.size();
        unsigned long number = 0;
        if (space != std::string_view::npos && number_at < name.size())
            number = std::strtoul(name.c_str() + number_at, nullptr, 10);
        return std::tuple(1, id, number);
    };
    std::sort(report.damaged.begin(), report.damaged.end(),
              [&](const std::string& a, const std::string& b) { return order(a) < order(b); });
    return report;
}

}  // namespace ostor
