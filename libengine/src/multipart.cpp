// Multipart uploads: parts are stored as extents of their own; completing an
// upload makes the object from the parts' extents without moving data.
#include "codec.hpp"
#include "hashing.hpp"
#include "local/object_index.hpp"
#include "ostor/names.hpp"

namespace ostor {

using namespace detail;

namespace {

constexpr std::uint32_t kMaxPartNumber = 10000;
constexpr std::uint64_t kMinPartBytes = std::uint64_t{5} << 20;  // all but the last part
constexpr std::string_view kUploadSequenceKey = "upload_sequence";  // in Table::Meta

std::string strip_quotes(std::string_view etag) {
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
    return std::string(etag);
}

Result<void> check_part_number(std::uint32_t number) {
    if (number < 1 || number > kMaxPartNumber)
        return Error(Errc::InvalidArgument, "part number must be an integer between 1 and 10000");
    return {};
}

std::vector<PartRecord> parts_of(const Txn& txn, std::string_view upload_id) {
    std::vector<PartRecord> out;
    auto cur = txn.cursor(Table::Parts);
    for (auto e = cur.seek(upload_id); e && e->first.substr(0, upload_id.size()) == upload_id; e = cur.next())
        if (auto p = decode_part(e->second)) out.push_back(std::move(*p));
    return out;
}

}  // namespace

namespace detail {

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

}  // namespace detail

Result<Upload> Engine::create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta) {
    OSTOR_TRY(validate_object_key(key));
    return impl_->commits->run_value<Upload>([&](Txn& txn) -> Result<Upload> {
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        Upload u;
        // The id starts with a sequence number, so that uploads of one key
        // begun in the same millisecond list in the order they were begun
        // (the index orders them by initiation time, then by id).
        std::uint64_t seq = 0;
        if (auto stored = txn.get(Table::Meta, kUploadSequenceKey); stored && stored->size() == 8) seq = read_be64(*stored);
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
        txn.put(Table::Uploads, u.id, encode(u));
        txn.put(Table::UploadsByBucket, upload_index_key(u), "");
        return u;
    });
}

Result<Upload> Engine::get_upload(std::string_view upload_id) {
    return impl_->read([&](const Txn& txn) { return load_upload(txn, upload_id); });
}

Result<std::unique_ptr<ObjectWriter>> Engine::begin_upload_part(std::string_view upload_id, std::uint32_t number,
                                                                PutOptions options) {
    OSTOR_TRY(check_part_number(number));
    if (options.size_hint && *options.size_hint > kMaxObjectBytes)
        return Error(Errc::EntityTooLarge, "parts are at most 5 TiB");
    auto upload = get_upload(upload_id);
    if (!upload) return std::move(upload).error();
    auto needs_reservation = impl_->read([&](const Txn& txn) -> Result<bool> {
        auto b = load_bucket(txn, upload->bucket);
        if (!b) return std::move(b).error();
        return options.size_hint && *options.size_hint > 0 && quota_applies(txn, *b);
    });
    if (!needs_reservation) return std::move(needs_reservation).error();
    std::optional<std::string> reservation;
    if (*needs_reservation) {
        auto r = reserve_space(*impl_, upload->bucket, *options.size_hint);
        if (!r) return std::move(r).error();
        reservation = std::move(*r);
    }
    WriteTarget target{WriteTargetKind::Part, upload->bucket, upload->key, std::string(upload_id), number};
    return make_writer(*impl_, std::move(target), std::move(options), std::move(reservation));
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

Result<PartInfo> Engine::upload_part(std::string_view upload_id, std::uint32_t number,
                                     std::span<const std::byte> body, PutOptions options) {
    if (!options.size_hint) options.size_hint = body.size();
    auto writer = begin_upload_part(upload_id, number, std::move(options));
    if (!writer) return std::move(writer).error();
    OSTOR_TRY((*writer)->write(body));
    auto info = (*writer)->commit();
    if (!info) return std::move(info).error();
    return part_from(*info, number);
}

Result<PartInfo> Engine::upload_part_copy(std::string_view upload_id, std::uint32_t number,
                                          std::string_view src_bucket, std::string_view src_key,
                                          std::optional<ByteRange> range) {
    OSTOR_TRY(check_part_number(number));
    auto source = head_object(src_bucket, src_key);
    if (!source) return std::move(source).error();
    // A sub-range cannot share whole extents, and a small source has none
    // (its bytes are inline): stream those.
    if (range || source->size <= kInlineMaxBytes) {
        auto reader = open_object(src_bucket, src_key, range);
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
        auto reader = open_object(src_bucket, src_key);
        if (!reader) return std::move(reader).error();
        Md5 md5;
        OSTOR_TRY(for_each_chunk(**reader, [&](std::span<const std::byte> chunk) -> Result<void> {
            md5.update(chunk);
            return {};
        }));
        part_etag = to_hex(md5.finish());
    }
    std::vector<Extent> freed;
    auto r = impl_->commits->run_value<PartInfo>([&](Txn& txn) -> Result<PartInfo> {
        freed.clear();
        auto upload = load_upload(txn, upload_id);
        if (!upload) return std::move(upload).error();
        auto sb = load_bucket(txn, src_bucket);
        if (!sb) return std::move(sb).error();
        auto src = load_object(txn, src_bucket, src_key);
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
        if (src->info.etag != source->etag || src->info.last_modified_ms != source->last_modified_ms ||
            !src->inline_data.empty())
            return Error(Errc::InvalidArgument, "the source object changed during the copy; retry");
        part.info.etag = part_etag;
        part.info.last_modified_ms = now_ms();
        part.extents = src->extents;
        txn.put(Table::Parts, key, encode(part));
        account_change(txn, *b, delta, 0);
        return part.info;
    });
    if (r) impl_->segments->release(freed);
    return r;
}

Result<ObjectInfo> Engine::complete_upload(std::string_view upload_id, const std::vector<CompletedPart>& parts,
                                           std::optional<std::vector<std::pair<std::string, std::string>>> checksums,
                                           const WriteConditions& conditions) {
    if (parts.empty()) return Error(Errc::InvalidArgument, "the upload must list at least one part");
    for (std::size_t i = 1; i < parts.size(); ++i)
        if (parts[i].number <= parts[i - 1].number)
            return Error(Errc::InvalidPartOrder, "the list of parts was not in ascending order");
    std::vector<Extent> freed;
    auto r = impl_->commits->run_value<ObjectInfo>([&](Txn& txn) -> Result<ObjectInfo> {
        freed.clear();
        auto upload = load_upload(txn, upload_id);
        if (!upload) return std::move(upload).error();
        auto b = load_bucket(txn, upload->bucket);
        if (!b) return std::move(b).error();
        auto replaced = load_replaced_object(txn, upload->bucket, upload->key);
        if (!replaced) return std::move(replaced).error();
        auto& old = *replaced;
        OSTOR_TRY(check_write_conditions(conditions, old));
        std::vector<PartRecord> stored = parts_of(txn, upload_id);
        ObjectRecord obj;
        Md5 md5_of_md5s;
        std::uint64_t parts_bytes = 0;
        for (auto& p : stored) parts_bytes += p.info.size;
        std::vector<bool> used(stored.size(), false);
        std::size_t si = 0;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            while (si < stored.size() && stored[si].info.number < parts[i].number) ++si;
            if (si == stored.size() || stored[si].info.number != parts[i].number)
                return Error(Errc::InvalidPart, "part " + std::to_string(parts[i].number) + " was not uploaded");
            const PartRecord& p = stored[si];
            if (strip_quotes(parts[i].etag) != p.info.etag)
                return Error(Errc::InvalidPart, "the ETag of part " + std::to_string(p.info.number) + " does not match");
            if (i + 1 < parts.size() && p.info.size < kMinPartBytes)
                return Error(Errc::EntityTooSmall, "part " + std::to_string(p.info.number) +
                                                       " is smaller than the 5 MiB minimum of all but the last part");
            std::string raw;
            from_hex(p.info.etag, raw);
            md5_of_md5s.update(std::as_bytes(std::span(raw)));
            obj.info.size += p.info.size;
            obj.info.part_sizes.push_back(p.info.size);
            obj.extents.insert(obj.extents.end(), p.extents.begin(), p.extents.end());
            used[si] = true;
        }
        // Listed parts hand their extent references to the object; the
        // others are freed.
        for (std::size_t i = 0; i < stored.size(); ++i) {
            txn.del(Table::Parts, part_key(upload_id, stored[i].info.number));
            if (!used[i]) SegmentStore::drop_refs(txn, stored[i].extents, freed);
        }
        obj.info.bucket = upload->bucket;
        obj.info.key = upload->key;
        obj.info.etag = to_hex(md5_of_md5s.finish()) + "-" + std::to_string(parts.size());
        obj.info.last_modified_ms = now_ms();
        obj.info.meta = upload->meta;
        if (checksums) obj.info.meta.checksums = *checksums;
        std::int64_t delta_bytes = static_cast<std::int64_t>(obj.info.size) - static_cast<std::int64_t>(parts_bytes);
        std::int64_t delta_objects = 1;
        if (old) {
            SegmentStore::drop_refs(txn, old->extents, freed);
            delta_bytes -= static_cast<std::int64_t>(old->info.size);
            delta_objects = 0;
        }
        OSTOR_TRY(check_quota(txn, *b, delta_bytes));
        OSTOR_TRY(store_object(txn, upload->bucket, upload->key, obj, old ? &*old : nullptr));
        txn.del(Table::UploadsByBucket, upload_index_key(*upload));
        txn.del(Table::Uploads, upload->id);
        account_change(txn, *b, delta_bytes, delta_objects);
        return obj.info;
    });
    if (r) impl_->segments->release(freed);
    return r;
}

Result<void> Engine::abort_upload(std::string_view upload_id) {
    std::vector<Extent> freed;
    auto r = impl_->commits->run([&](Txn& txn) -> Result<void> {
        freed.clear();
        auto upload = load_upload(txn, upload_id);
        if (!upload) return std::move(upload).error();
        drop_upload(txn, *upload, freed);
        return {};
    });
    if (r) impl_->segments->release(freed);
    return r;
}

Result<ListPartsResult> Engine::list_parts(std::string_view upload_id, std::uint32_t marker, std::uint32_t max_parts) {
    return impl_->read([&](const Txn& txn) -> Result<ListPartsResult> {
        auto upload = load_upload(txn, upload_id);
        if (!upload) return std::move(upload).error();
        ListPartsResult out;
        auto cur = txn.cursor(Table::Parts);
        for (auto e = cur.seek(part_key(upload_id, marker + 1));
             e && e->first.substr(0, upload_id.size()) == upload_id; e = cur.next()) {
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

Result<ListUploadsResult> Engine::list_uploads(std::string_view bucket, const ListUploadsParams& params) {
    return impl_->read([&](const Txn& txn) -> Result<ListUploadsResult> {
        auto b = load_bucket(txn, bucket);
        if (!b) return std::move(b).error();
        ListUploadsResult out;
        const std::string& prefix = params.prefix;
        const std::string& key_marker = params.key_marker;
        UploadScan scan(txn, bucket);
        // S3's markers: with only a key marker, the keys after it; with an
        // upload-id marker too, also the uploads of the marker's key after
        // that upload (an upload-id marker alone means nothing).
        // `id_after`: the marker upload is gone (completed or aborted since
        // the last page), so of the marker's key the uploads with greater
        // ids follow (as S3 defines it; ids rise in the order begun).
        std::optional<std::string> id_after;
        if (key_marker.empty() || key_marker < prefix) {
            scan.seek_key(prefix, false);
        } else if (params.upload_id_marker.empty()) {
            scan.seek_key(key_marker, true);
        } else if (auto m = load_upload(txn, params.upload_id_marker); m && m->bucket == bucket && m->key == key_marker) {
            scan.seek_after(*m);
        } else {
            scan.seek_key(key_marker, false);
            id_after = params.upload_id_marker;
        }
        std::uint32_t count = 0;
        while (auto u = scan.next()) {
            if (u->key.compare(0, prefix.size(), prefix) != 0) {
                if (u->key > prefix) break;  // past the prefix range
                continue;
            }
            if (id_after && u->key == key_marker && u->id <= *id_after) continue;
            std::string common;
            if (!params.delimiter.empty()) {
                auto pos = u->key.find(params.delimiter, prefix.size());
                if (pos != std::string::npos) common = u->key.substr(0, pos + params.delimiter.size());
            }
            if (!common.empty() && !key_marker.empty() && common <= key_marker) {
                // The marker lies inside this group: it was listed already.
                auto next = successor_of_prefix(common);
                if (next.empty()) break;
                scan.seek_key(next, false);
                continue;
            }
            if (count == params.max_uploads) {
                out.truncated = true;
                break;
            }
            ++count;
            if (!common.empty()) {
                out.common_prefixes.push_back(common);
                out.next_key_marker = common;
                out.next_upload_id_marker.clear();
                auto next = successor_of_prefix(common);
                if (next.empty()) break;
                scan.seek_key(next, false);
            } else {
                out.next_key_marker = u->key;
                out.next_upload_id_marker = u->id;
                out.uploads.push_back(std::move(*u));
            }
        }
        if (!out.truncated) {
            out.next_key_marker.clear();
            out.next_upload_id_marker.clear();
        }
        return out;
    });
}

}  // namespace ostor
