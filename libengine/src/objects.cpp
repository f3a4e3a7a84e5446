// Objects: put, get, head, delete, copy, ACL, listing, scrub.
#include <unistd.h>

#include <memory>

#include "engine_impl.hpp"
#include "hashing.hpp"
#include "local/object_index.hpp"  // open_object and scrub, until they go through the seams
#include "ostor/names.hpp"

namespace ostor {

using namespace detail;

Result<std::unique_ptr<ObjectWriter>> Engine::begin_put(std::string_view bucket, std::string_view key,
                                                        PutOptions options) {
    OSTOR_TRY(validate_object_key(key));
    if (options.size_hint && *options.size_hint > kMaxObjectBytes)
        return Error(Errc::EntityTooLarge, "objects are at most 5 TiB");
    auto applies = impl_->objects->quota_applies(bucket);  // also: NoSuchBucket
    if (!applies) return std::move(applies).error();
    std::optional<ReservationId> reservation;
    if (options.size_hint && *options.size_hint > 0 && *applies) {
        auto r = impl_->objects->reserve(bucket, *options.size_hint);
        if (!r) return std::move(r).error();
        reservation = std::move(*r);
    }
    WriteTarget target{WriteTargetKind::Object, std::string(bucket), std::string(key), {}, 0};
    return make_writer(*impl_, std::move(target), std::move(options), std::move(reservation));
}

Result<ObjectInfo> Engine::put_object(std::string_view bucket, std::string_view key, std::span<const std::byte> body,
                                      PutOptions options) {
    if (!options.size_hint) options.size_hint = body.size();
    auto writer = begin_put(bucket, key, std::move(options));
    if (!writer) return std::move(writer).error();
    OSTOR_TRY((*writer)->write(body));
    return (*writer)->commit();
}

Result<std::unique_ptr<ObjectReader>> Engine::open_object(std::string_view bucket, std::string_view key,
                                                          std::optional<ByteRange> range) {
    auto load = [&] {
        return impl_->read([&](const Txn& txn) -> Result<ObjectRecord> {
            auto b = load_bucket(txn, bucket);
            if (!b) return std::move(b).error();
            return load_object(txn, bucket, key);
        });
    };
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
                return Error(Errc::InvalidRange, "range " + std::to_string(range->first) + "-" +
                                                     std::to_string(range->last) + " is not satisfiable for an object of " +
                                                     std::to_string(size) + " bytes");
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
        auto again = load();
        if (!again) return std::move(again).error();
        bool same = again->info.etag == rec->info.etag && again->info.last_modified_ms == rec->info.last_modified_ms &&
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
    auto rec = impl_->objects->get_object(bucket, key);
    if (!rec) return std::move(rec).error();
    return std::move(rec->info);
}

Result<void> Engine::delete_object(std::string_view bucket, std::string_view key) {
    FreedExtents freed;
    auto r = impl_->objects->delete_object(bucket, key, freed);
    if (r) impl_->blobs->release(freed);
    return r;
}

Result<ObjectInfo> Engine::copy_object(std::string_view src_bucket, std::string_view src_key,
                                       std::string_view dst_bucket, std::string_view dst_key,
                                       const CopyOptions& options) {
    OSTOR_TRY(validate_object_key(dst_key));
    if (options.range) {
        // A sub-range cannot share whole extents: stream it into a new object.
        auto reader = open_object(src_bucket, src_key, options.range);
        if (!reader) return std::move(reader).error();
        PutOptions put;
        put.meta = options.replace_meta ? *options.replace_meta : (*reader)->info().meta;
        put.size_hint = (*reader)->remaining();
        put.conditions = options.conditions;
        auto writer = begin_put(dst_bucket, dst_key, std::move(put));
        if (!writer) return std::move(writer).error();
        OSTOR_TRY(for_each_chunk(**reader, [&](std::span<const std::byte> chunk) { return (*writer)->write(chunk); }));
        return (*writer)->commit();
    }
    FreedExtents freed;
    auto r = impl_->objects->copy_object(src_bucket, src_key, dst_bucket, dst_key, options.replace_meta,
                                         options.conditions, freed);
    if (r) impl_->blobs->release(freed);
    return r;
}

Result<ObjectInfo> Engine::set_object_acl(std::string_view bucket, std::string_view key, std::string_view acl) {
    return impl_->objects->set_object_acl(bucket, key, acl);
}

Result<ListObjectsResult> Engine::list_objects(std::string_view bucket, const ListObjectsParams& params) {
    return impl_->objects->list_objects(bucket, params);
}

namespace {

// Scrub holds one batch of records at a time, read in a snapshot of its own
// that ends before the batch's data is read: memory stays bounded at any
// number of objects, and no snapshot is held across disk reads (LMDB cannot
// reuse pages a live snapshot still sees, so a long one makes the file grow).
constexpr std::size_t kScrubBatchRecords = 256;
// Inline bodies are up to kInlineMaxBytes each: this bounds a batch's copy of
// them (and of the extent lists of large objects) too.
constexpr std::size_t kScrubBatchValueBytes = std::size_t{4} << 20;

struct ScrubItem {
    std::string name;
    std::vector<Extent> extents;
    bool inline_damaged = false;
    std::uint64_t inline_bytes = 0;
};

}  // namespace

Result<ScrubReport> Engine::scrub() {
    ScrubReport report;
    std::vector<std::byte> buf(kExtentMaxBytes);
    auto check = [&](const ScrubItem& item) {
        bool damaged = item.inline_damaged;
        if (item.inline_bytes > 0) {
            ++report.extents_checked;
            if (!damaged) report.bytes_checked += item.inline_bytes;
        }
        for (const Extent& x : item.extents) {
            ++report.extents_checked;
            if (!impl_->blobs->verify(x, buf)) {
                // Freed since the snapshot (deleted or overwritten)? Then it is not damage.
                auto live = impl_->read([&](const Txn& txn) -> Result<bool> {
                    return txn.get(Table::Extents, extent_key(x.segment, x.offset)).has_value();
                });
                if (live && !*live) continue;
                damaged = true;
                continue;
            }
            report.bytes_checked += x.length;
        }
        if (damaged) report.damaged.push_back(item.name);
    };
    // Reads `table` batch by batch, turning each entry into an item with
    // `to_item(txn, key, value)` (none for an undecodable record), and checks
    // each batch.
    auto scrub_table = [&](Table table, auto to_item) -> Result<void> {
        TableBatches batches(table, kScrubBatchRecords, kScrubBatchValueBytes);
        std::vector<ScrubItem> items;
        for (;;) {
            items.clear();
            auto more = impl_->read([&](const Txn& txn) -> Result<bool> {
                return batches.next(txn, [&](std::string_view k, std::string_view v) {
                    if (auto item = to_item(txn, k, v)) items.push_back(std::move(*item));
                });
            });
            if (!more) return std::move(more).error();
            for (const auto& item : items) check(item);
            if (!*more) return {};
        }
    };
    OSTOR_TRY(scrub_table(Table::Objects, [](const Txn& txn, std::string_view k,
                                             std::string_view v) -> std::optional<ScrubItem> {
        auto rec = decode_object(v);
        if (!rec) return std::nullopt;
        if (rec->body_id != 0) rec->inline_data = load_body(txn, rec->body_id);
        bool inline_damaged = crc32c(std::as_bytes(std::span(rec->inline_data))) != rec->inline_crc;
        return ScrubItem{std::string(k.substr(0, k.find('/'))) + "/" + rec->info.key, std::move(rec->extents),
                         inline_damaged, rec->inline_data.size()};
    }));
    OSTOR_TRY(scrub_table(Table::Parts, [](const Txn&, std::string_view k, std::string_view v) -> std::optional<ScrubItem> {
        auto rec = decode_part(v);
        if (!rec) return std::nullopt;
        return ScrubItem{"upload " + std::string(k.substr(0, kUploadIdLength)) + " part " +
                             std::to_string(rec->info.number),
                         std::move(rec->extents), false, 0};
    }));
    return report;
}

}  // namespace ostor
