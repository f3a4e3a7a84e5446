// The RADOS ObjectCatalog's part writes: put_part and copy_part.
//
// A part is the key p.<number> of upload.<id>, written by one guarded write
// that also asserts the upload is still the one read and still open
// (`closing` absent, upload_support.hpp): a part never lands in an upload
// that a complete or an abort has begun to close, so what the closer reads
// after its seal is final. Parts of one upload written at once touch
// different keys and do not conflict; two writes of one number do, and the
// second reads again. Before it, the uploads index's `closed` mark is
// read: a bucket being deleted is waited for, and answers NoSuchBucket once
// its record is gone (a retryable IoError while the delete lasts; a close
// after that read is followed by the delete's walk, whose seal the write is
// guarded on).
//
// The ledger: a part counts in the owner's and the bucket's bytes while its
// upload is open (as locally): growth before the write, shrinkage after it
// (PartCharge says why). When the write's reservation does not cover the
// part's growth and a quota applies, the excess is reserved before the write
// (QuotaExceeded refuses it).
#include "engine_impl.hpp"
#include "rados/catalog_support.hpp"
#include "rados/object_catalog.hpp"
#include "rados/upload_support.hpp"

namespace ostor::detail::rados {

namespace {

constexpr std::uint64_t kBytesPerGib = std::uint64_t{1} << 30;

// The ledger's side of one part write. Growth is counted BEFORE the write
// (and taken back when the write fails), shrinkage after it: a closer that
// reads the part subtracts it only after the part was written, so the count
// never goes below zero on the way (the ledger clamps at zero, which would
// lose the difference). A crash between counts too much: a leak, never a
// part counted short.
class PartCharge {
public:
    PartCharge(SpaceLedger& ledger, SettingsCatalog& settings, const std::optional<ReservationId>& body_reservation)
        : ledger_(ledger), settings_(settings) {
        if (body_reservation) body_ = decode_reservation_id(*body_reservation);
    }
    ~PartCharge() { drop_extra(); }
    PartCharge(const PartCharge&) = delete;
    PartCharge& operator=(const PartCharge&) = delete;

    // Before the write, once per attempt: reserves what `delta_bytes` needs
    // beyond the write's own reservation when a quota applies (Fails:
    // QuotaExceeded), then counts growth.
    Result<void> before_write(const Upload& upload, std::uint64_t epoch, std::int64_t delta_bytes) {
        drop_extra();
        user_ = upload.owner_id;
        bucket_ = LedgerBucket{upload.bucket, epoch};
        // Before the growth is counted and the part written (commit_object).
        OSTOR_TRY(ledger_.note_touched(bucket_));
        if (body_ && (body_->bucket != bucket_.name || body_->bucket_epoch != epoch)) {
            // Made on another incarnation's ledger: it covers nothing here.
            (void)ledger_.release(*body_);
            body_.reset();
        }
        // An expired reservation covers nothing: others may hold its space now.
        std::int64_t covered = body_ ? static_cast<std::int64_t>(covered_bytes(*body_, now_ms())) : 0;
        if (delta_bytes > covered) {
            auto uq = settings_.effective_quota(QuotaTarget::user(upload.owner_id));
            if (!uq) return std::move(uq).error();
            auto bq = settings_.effective_quota(QuotaTarget::bucket(upload.bucket));
            if (!bq) return std::move(bq).error();
            if (*uq != 0 || *bq != 0) {
                auto r = ledger_.reserve(upload.owner_id, bucket_, static_cast<std::uint64_t>(delta_bytes - covered),
                                         *uq * kBytesPerGib, *bq * kBytesPerGib);
                if (!r) return std::move(r).error();
                extra_ = std::move(*r);
                has_extra_ = true;
            }
        }
        if (delta_bytes > 0) {
            count(delta_bytes);
            counted_ = delta_bytes;
        }
        // What follows the part write (the undo of the growth, or the
        // shrinkage) is made within kLedgerChangeDeadline of it.
        deadline_ = ledger_change_deadline();
        return {};
    }
    // The write failed: growth counted is taken back.
    void write_failed() {
        drop_extra();
        if (counted_ > 0)
            (void)ledger_.apply(user_, bucket_, -counted_, 0, ledger_.new_token(), std::nullopt, deadline_);
        counted_ = 0;
    }
    // The write may or may not have been applied: growth stays counted,
    // shrinkage is not (too high either way, never short): the bucket is
    // queued for a recount (best effort).
    void maybe_written() {
        counted_ = 0;
        drop_extra();
        (void)ledger_.queue_recount(bucket_);
    }
    // The part is stored: shrinkage is counted. Errors are the ledger's
    // known windows (a count off, no data lost): the part stays.
    void written(std::int64_t delta_bytes) {
        if (delta_bytes <= 0) count(delta_bytes, deadline_);
        counted_ = 0;
        drop_extra();
    }

private:
    void count(std::int64_t delta_bytes, std::optional<BootClock::time_point> deadline = std::nullopt) {
        if (body_) {
            (void)ledger_.settle(*body_, delta_bytes, 0, std::nullopt, deadline);
            body_.reset();  // ended: a retry counts without it
        } else if (has_extra_) {
            (void)ledger_.settle(extra_, delta_bytes, 0, std::nullopt, deadline);
            has_extra_ = false;
        } else if (delta_bytes != 0) {
            (void)ledger_.apply(user_, bucket_, delta_bytes, 0, ledger_.new_token(), std::nullopt, deadline);
        }
    }
    void drop_extra() {
        if (has_extra_) (void)ledger_.release(extra_);
        has_extra_ = false;
    }

    SpaceLedger& ledger_;
    SettingsCatalog& settings_;
    std::string user_;
    LedgerBucket bucket_;
    std::optional<LedgerReservation> body_;
    // Not an optional: GCC 12 warns (maybe-uninitialized) on one of this.
    LedgerReservation extra_;
    bool has_extra_ = false;
    std::int64_t counted_ = 0;
    std::optional<BootClock::time_point> deadline_;
};

struct PartWritten {
    PartInfo info;
    std::vector<Extent> replaced;  // the extents of the part it replaced
};

}  // namespace

// Stores `part` as its number's part of the open upload `upload_id`: read,
// check the bucket, reserve, one guarded write, count.
Result<PartInfo> RadosObjectCatalog::write_part(std::string_view upload_id, const PartRecord& part,
                                                const std::optional<ReservationId>& reservation, bool extents_are_new,
                                                FreedExtents& freed, bool* outcome_unknown) {
    if (outcome_unknown) *outcome_unknown = false;
    bool unknown = false;  // the part write failed, and may have been applied
    const std::string oid = upload_oid(upload_id);
    const std::string key = part_key(part.info.number);
    const std::string value = encode(part);
    PartCharge charge(ledger_, settings_, reservation);
    auto written = retry_on_conflict<PartWritten>(oid, [&]() -> std::optional<Result<PartWritten>> {
        std::map<std::string, std::string> extra;
        auto up = read_open_upload(client_, upload_id, {key}, &extra);
        if (!up) return Result<PartWritten>(std::move(up).error());
        // An upload outlives its bucket only between a delete_bucket's
        // walk of the uploads and a part landing meanwhile: gone with it.
        auto b = load_bucket(up->upload.bucket);
        if (!b) {
            if (b.error().code() == Errc::NoSuchBucket) return Result<PartWritten>(no_such_upload(upload_id));
            return Result<PartWritten>(std::move(b).error());
        }
        if (b->bucket.epoch != up->epoch) return Result<PartWritten>(no_such_upload(upload_id));
        // A delete of the bucket closes its uploads index before its walk
        // over the uploads: its outcome is waited for (wait_while_closed:
        // NoSuchBucket once the record is gone, a retryable error while it
        // lasts). Not a guard (another object): a close after this read is
        // followed by the walk, whose seal the write below is guarded on.
        if (auto open = wait_while_closed(b->bucket, uploads_oid(b->bucket.name, b->bucket.epoch)); !open)
            return Result<PartWritten>(std::move(open).error());
        std::string old_raw;
        std::int64_t delta = static_cast<std::int64_t>(part.info.size);
        std::vector<Extent> replaced;
        if (auto it = extra.find(key); it != extra.end()) {
            old_raw = it->second;
            if (auto old = decode_part(old_raw)) {
                delta -= static_cast<std::int64_t>(old->info.size);
                replaced = std::move(old->extents);
            }
        }
        if (auto r = charge.before_write(up->upload, up->epoch, delta); !r)
            return Result<PartWritten>(std::move(r).error());
        // The part's blobs are this instance's until the write: once its
        // lease may be adopted, the adopter may remove them.
        if (lease_ && !lease_->may_commit()) {
            charge.write_failed();
            return Result<PartWritten>(lease_may_not_commit());
        }
        WriteOp op;
        op.compare_omap(std::string(kUploadInfoKey), Compare::Eq, up->info_raw)
            .compare_omap(std::string(kUploadClosingKey), Compare::Eq, "")
            .compare_omap(key, Compare::Eq, old_raw)
            .omap_set(key, value);
        if (auto w = client_.apply(Pool::Meta, oid, op); !w) {
            if (changed_meanwhile(w.error())) {
                charge.write_failed();
                return std::nullopt;
            }
            // Maybe applied: our part there proves it was. Otherwise its
            // growth stays counted (too high if it was not: the recount's
            // to repair) and the replaced part's extents are kept.
            if (!written_value_landed(client_, Pool::Meta, oid, key, value)) {
                charge.maybe_written();
                unknown = true;
                return Result<PartWritten>(outcome_unknown_error(oid, w.error()));
            }
            // A part carries no token of its call: unless its extents are
            // this call's own, the value found may be an identical part's
            // (the same UploadPartCopy sent twice), which replaced the part
            // read and freed its extents. Keep them then (a leak), never
            // free them twice.
            if (!extents_are_new) replaced.clear();
        }
        charge.written(delta);
        return Result<PartWritten>(PartWritten{part.info, std::move(replaced)});
    });
    if (!written) {
        if (unknown && outcome_unknown) *outcome_unknown = true;
        return std::move(written).error();
    }
    // Unlike the local catalog, the RADOS blob store counts every reference
    // (blob_store.hpp): the replaced part's extents all go.
    freed.insert(freed.end(), written->replaced.begin(), written->replaced.end());
    return std::move(written->info);
}

Result<PartInfo> RadosObjectCatalog::put_part(std::string_view upload_id, std::uint32_t number, BodyCommit body,
                                              FreedExtents& freed) {
    freed.clear();
    // body.data is null: the RADOS blob writer made the body durable and
    // counted its references in finish().
    PartRecord part;
    part.info.number = number;
    part.info.size = body.record.info.size;
    part.info.etag = body.record.info.etag;
    part.info.last_modified_ms = body.record.info.last_modified_ms;
    part.info.checksums = body.record.info.meta.checksums;
    part.extents = std::move(body.record.extents);
    // An empty part has no extents of its own to tell it from an identical one.
    const bool extents_are_new = !part.extents.empty();
    return write_part(upload_id, part, body.reservation, extents_are_new, freed, body.outcome_unknown);
}

Result<PartInfo> RadosObjectCatalog::copy_part(std::string_view upload_id, std::uint32_t number,
                                               std::string_view src_bucket, std::string_view src_key,
                                               std::string_view src_version_id, const ObjectInfo& source,
                                               std::string part_etag, FreedExtents& freed) {
    freed.clear();
    OSTOR_TRY(read_open_upload(client_, upload_id));
    auto src = get_copy_source(src_bucket, src_key, src_version_id);
    if (!src) return std::move(src).error();
    if (src->info.etag != source.etag || src->info.last_modified_ms != source.last_modified_ms ||
        !src->inline_data.empty())
        return Error(Errc::InvalidArgument, "the source object changed during the copy; retry");
    PartRecord part;
    part.info.number = number;
    part.info.size = src->info.size;
    part.info.etag = std::move(part_etag);
    part.info.last_modified_ms = now_ms();
    part.extents = src->extents;
    // The part's references BEFORE the write that makes it share the
    // source's extents (a crash between: counts too high, a leak). A source
    // deleted since it was read may have lost its blobs: the copy is refused
    // as a changed source. One released but still in its grace period is
    // revived with the bytes the caller read.
    if (auto r = blobs_.add_refs(part.extents); !r) {
        // Those it did add stay (a leak): releasing all could take a
        // reference it never added (a loss).
        if (r.error().code() == kNotFound)
            return Error(Errc::InvalidArgument, "the source object changed during the copy; retry");
        return std::move(r).error();
    }
    bool unknown = false;
    auto info = write_part(upload_id, part, std::nullopt, /*extents_are_new=*/false, freed, &unknown);
    // Not stored: its references go. When the write may have been applied
    // they stay (a leak at worst).
    if (!info && !unknown) blobs_.release(part.extents);
    return info;
}

}  // namespace ostor::detail::rados
