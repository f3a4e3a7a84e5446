// The local ObjectCatalog's multipart uploads: parts are stored as extents of
// their own; completing an upload makes the object from the parts' extents
// without moving data.
#include "codec.hpp"
#include "engine_impl.hpp"
#include "hashing.hpp"
#include "listing.hpp"
#include "local/object_catalog.hpp"
#include "local/object_index.hpp"
#include "local/space_ledger.hpp"
#include "local/tables.hpp"
#include "local/version_commit.hpp"
#include "multipart_assembly.hpp"
#include "write_conditions.hpp"

namespace ostor::detail {

namespace {

constexpr std::string_view kUploadSequenceKey = "upload_sequence";  // in Table::Meta

std::vector<PartRecord> parts_of(const Txn& txn, std::string_view upload_id) {
    std::vector<PartRecord> out;
    auto cur = txn.cursor(Table::Parts);
    for (auto e = cur.seek(upload_id); e && e->first.substr(0, upload_id.size()) == upload_id; e = cur.next())
        if (auto p = decode_part(e->second)) out.push_back(std::move(*p));
    return out;
}

}  // namespace

std::string part_key(std::string_view upload_id, std::uint32_t number) {
    std::string k(upload_id);
    append_be32(k, number);
    return k;
}

Result<Upload> load_upload(const Txn& txn, std::string_view upload_id) {
    auto v = upload_id.size() == kUploadIdLength ? txn.get(Table::Uploads, upload_id) : std::nullopt;
    if (!v) return Error(Errc::NoSuchUpload, "upload " + std::string(upload_id) + " does not exist");
    auto u = decode_upload(*v);
    if (!u) return Error(Errc::Internal, "damaged upload record");
    return std::move(*u);
}

void drop_upload(Txn& txn, const Upload& upload, std::vector<Extent>& freed) {
    std::uint64_t bytes = 0;
    for (auto& part : parts_of(txn, upload.id)) {
        SegmentStore::drop_refs(txn, part.extents, freed);
        txn.del(Table::Parts, part_key(upload.id, part.info.number));
        bytes += part.info.size;
    }
    if (auto b = load_bucket(txn, upload.bucket)) account_change(txn, *b, -static_cast<std::int64_t>(bytes), 0);
    txn.del(Table::UploadsByBucket, upload_index_key(upload));
    txn.del(Table::Uploads, upload.id);
}

Result<Upload> LocalObjectCatalog::create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta,
                                                 std::optional<ObjectLock> lock) {
    return commits_.run_value<Upload>([&](Txn& txn) -> Result<Upload> {
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        Upload u;
        // The id starts with a sequence number, so that uploads of one key
        // begun in the same millisecond list in the order they were begun
        // (the index orders them by initiation time, then by id).
        std::uint64_t seq = 0;
        if (auto stored = txn.get(Table::Meta, kUploadSequenceKey); stored && stored->size() == 8)
            seq = read_be64(*stored);
        ++seq;
        std::string stored_seq;
        append_be64(stored_seq, seq);
        txn.put(Table::Meta, kUploadSequenceKey, stored_seq);
        // Big-endian bytes in hex: 16 digits that sort as the numbers do.
        u.id = to_hex({reinterpret_cast<const unsigned char*>(stored_seq.data()), stored_seq.size()}) + random_hex16();
        u.bucket = bucket;
        u.key = key;
        u.owner_id = b->owner_id;
        u.account = b->account;
        u.initiated_ms = now_ms();
        u.meta = std::move(meta);
        u.lock = std::move(lock);
        txn.put(Table::Uploads, u.id, encode(u));
        txn.put(Table::UploadsByBucket, upload_index_key(u), "");
        return u;
    });
}

Result<Upload> LocalObjectCatalog::get_upload(std::string_view upload_id) {
    return read([&](const Txn& txn) { return load_upload(txn, upload_id); });
}

Result<PartInfo> LocalObjectCatalog::put_part(std::string_view upload_id, std::uint32_t number, BodyCommit body,
                                              FreedExtents& freed) {
    auto segments = staged_segments(body);
    if (!segments) return std::move(segments).error();
    PartRecord part;
    part.info.number = number;
    part.info.size = body.record.info.size;
    part.info.etag = body.record.info.etag;
    part.info.last_modified_ms = body.record.info.last_modified_ms;
    part.info.checksums = body.record.info.meta.checksums;
    part.extents = std::move(body.record.extents);
    return commits_.run_value<PartInfo>(
        [&](Txn& txn) -> Result<PartInfo> {
            freed.clear();
            if (body.reservation) drop_reservation(txn, *body.reservation);
            auto upload = load_upload(txn, upload_id);
            if (!upload) return std::move(upload).error();
            auto bucket = load_bucket(txn, upload->bucket);
            if (!bucket) return std::move(bucket).error();
            std::int64_t delta_bytes = static_cast<std::int64_t>(part.info.size);
            auto key = part_key(upload_id, number);
            if (auto old = txn.get(Table::Parts, key)) {
                if (auto p = decode_part(*old)) {
                    SegmentStore::drop_refs(txn, p->extents, freed);
                    delta_bytes -= static_cast<std::int64_t>(p->info.size);
                }
            }
            OSTOR_TRY(check_quota(txn, *bucket, delta_bytes));
            SegmentStore::add_refs(txn, part.extents);
            txn.put(Table::Parts, key, encode(part));
            account_change(txn, *bucket, delta_bytes, 0);
            return part.info;
        },
        std::move(*segments));
}

Result<PartInfo> LocalObjectCatalog::copy_part(std::string_view upload_id, std::uint32_t number,
                                               std::string_view src_bucket, std::string_view src_key,
                                               std::string_view src_version_id, const ObjectInfo& source,
                                               std::string part_etag, FreedExtents& freed) {
    return commits_.run_value<PartInfo>([&](Txn& txn) -> Result<PartInfo> {
        freed.clear();
        auto upload = load_upload(txn, upload_id);
        if (!upload) return std::move(upload).error();
        auto sb = load_bucket(txn, src_bucket);
        if (!sb) return std::move(sb).error();
        auto src = load_copy_source(txn, src_bucket, src_key, src_version_id);
        if (!src) return std::move(src).error();
        auto b = load_bucket(txn, upload->bucket);
        if (!b) return std::move(b).error();
        std::int64_t delta = static_cast<std::int64_t>(src->info.size);
        SegmentStore::add_refs(txn, src->extents);
        auto key = part_key(upload_id, number);
        if (auto old = txn.get(Table::Parts, key)) {
            if (auto p = decode_part(*old)) {
                SegmentStore::drop_refs(txn, p->extents, freed);
                delta -= static_cast<std::int64_t>(p->info.size);
            }
        }
        OSTOR_TRY(check_quota(txn, *b, delta));
        PartRecord part;
        part.info.number = number;
        part.info.size = src->info.size;
        if (src->info.etag != source.etag || src->info.last_modified_ms != source.last_modified_ms ||
            !src->inline_data.empty())
            return Error(Errc::InvalidArgument, "the source object changed during the copy; retry");
        part.info.etag = part_etag;
        part.info.last_modified_ms = now_ms();
        part.extents = src->extents;
        txn.put(Table::Parts, key, encode(part));
        account_change(txn, *b, delta, 0);
        return part.info;
    });
}

Result<ObjectInfo> LocalObjectCatalog::complete_upload(
    std::string_view upload_id, const std::vector<CompletedPart>& parts,
    const std::optional<std::vector<std::pair<std::string, std::string>>>& checksums,
    const std::optional<std::string>& acl, const WriteConditions& conditions, FreedExtents& freed) {
    // The list's form (not empty, ascending) was checked by the engine.
    return commits_.run_value<ObjectInfo>([&](Txn& txn) -> Result<ObjectInfo> {
        freed.clear();
        auto upload = load_upload(txn, upload_id);
        if (!upload) return std::move(upload).error();
        auto b = load_bucket(txn, upload->bucket);
        if (!b) return std::move(b).error();
        // The conditions before the parts, as before versioning: a create-only
        // complete over an object is PreconditionFailed whatever its list
        // (commit_object checks them again, in this same transaction).
        if (conditions.if_none_match || conditions.if_match_etag) {
            auto current = load_replaced_object(txn, upload->bucket, upload->key);
            if (!current) return std::move(current).error();
            OSTOR_TRY(check_write_conditions(conditions, *current));
        }
        std::vector<PartRecord> stored = parts_of(txn, upload_id);
        auto assembled = assemble_parts(parts, stored);
        if (!assembled) return std::move(assembled).error();
        ObjectRecord& obj = assembled->record;
        // Listed parts hand their extent references to the object; the
        // others are freed.
        for (std::size_t i = 0; i < stored.size(); ++i) {
            txn.del(Table::Parts, part_key(upload_id, stored[i].info.number));
            if (!assembled->used[i]) SegmentStore::drop_refs(txn, stored[i].extents, freed);
        }
        obj.info.bucket = upload->bucket;
        obj.info.key = upload->key;
        obj.info.last_modified_ms = now_ms();
        obj.info.meta = upload->meta;
        obj.info.upload_id = upload->id;
        obj.info.lock = upload->lock.value_or(ObjectLock{});  // CreateMultipartUpload's, asked of the object
        if (checksums) obj.info.meta.checksums = *checksums;
        if (acl) obj.info.meta.acl = *acl;
        txn.del(Table::UploadsByBucket, upload_index_key(*upload));
        txn.del(Table::Uploads, upload->id);
        // The parts' bytes are counted already: the object adds the rest.
        return commit_object(txn, *b, std::move(obj), conditions, static_cast<std::int64_t>(assembled->stored_bytes),
                             freed);
    });
}

Result<void> LocalObjectCatalog::abort_upload(std::string_view upload_id, FreedExtents& freed) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        freed.clear();
        auto upload = load_upload(txn, upload_id);
        if (!upload) return std::move(upload).error();
        drop_upload(txn, *upload, freed);
        return {};
    });
}

Result<ListPartsResult> LocalObjectCatalog::list_parts(std::string_view upload_id, std::uint32_t marker,
                                                       std::uint32_t max_parts) {
    return read([&](const Txn& txn) -> Result<ListPartsResult> {
        auto upload = load_upload(txn, upload_id);
        if (!upload) return std::move(upload).error();
        ListPartsResult out;
        auto cur = txn.cursor(Table::Parts);
        for (auto e = cur.seek(part_key(upload_id, marker + 1)); e && e->first.substr(0, upload_id.size()) == upload_id;
             e = cur.next()) {
            if (out.parts.size() == max_parts) {
                out.truncated = true;
                break;
            }
            if (auto p = decode_part(e->second)) out.parts.push_back(std::move(p->info));
        }
        if (out.truncated && !out.parts.empty()) out.next_marker = out.parts.back().number;
        return out;
    });
}

Result<ListUploadsResult> LocalObjectCatalog::list_uploads(std::string_view bucket, const ListUploadsParams& params) {
    return read([&](const Txn& txn) -> Result<ListUploadsResult> {
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        std::optional<Upload> marker_upload;
        if (!params.upload_id_marker.empty())
            if (auto m = load_upload(txn, params.upload_id_marker)) marker_upload = std::move(*m);
        UploadScan scan(txn, bucket);
        return list_uploads_page(scan, bucket, params, marker_upload);
    });
}

}  // namespace ostor::detail
