// The RADOS ObjectCatalog's closing of uploads: complete_upload,
// abort_upload, and delete_bucket's drop_uploads_of.
//
// Both closers first seal upload.<id> (upload_support.hpp): one guarded
// write that only one closer wins and after which no part changes. Then,
// in this order (each step a single-object write; a crash between two
// leaves a leak, never a loss, and nothing half-visible):
//
// complete:
//   1. seal, guarded on the listed parts being the ones validated;
//   2. add_refs(object's extents): the parts and the object both hold them;
//   3. commit_object(..., delta_parts_bytes = -(all parts' bytes), which
//      stop counting as the object starts), under a reservation of 0 bytes
//      marked with the key and commit token (for an adopter, should the
//      instance die after the commit point): the object is visible, the
//      ledger counts it instead of the parts;
//   4. remove upload.<id> (guarded on the seal), its parts' references go to
//      `freed` (listed or not: the object holds its own);
//   5. remove the uploads index entry.
//   A crash after 1 or 2 leaves a sealed upload (invisible) with counts too
//   high; after 3 a sealed upload whose object exists, counted by the
//   adopter of the instance. An abort takes a
//   complete's seal over once it is kStaleCompleteSeal old, or once the
//   instance the seal names has lost its lease (instance_gone), removes the
//   upload without giving its parts' bytes back (never twice), and tells
//   the two apart by the object's first extent (in the seal) only for its
//   answer. A refusal at 3
//   (PreconditionFailed, QuotaExceeded) gives the references of 2 back and
//   lifts the seal: the upload is open again, as does any failure before
//   the index write; an index write whose outcome is unknown (a re-read did
//   not find the object) keeps both, as a crash would.
//
// abort:
//   0. name the bucket in touched.<instance> (note_touched);
//   1. seal (or take over an abort's seal: two aborts are safe, as only the
//      one whose seal is still there at 2 goes on), recording whether the
//      parts' bytes go back (not after a complete's seal was taken over; a
//      taken-over abort seal keeps what the earlier abort owed);
//   2. remove upload.<id> guarded on its own seal;
//   3. the parts' bytes go back to the ledgers (within
//      kLedgerChangeDeadline of 2, else the bucket is queued for a
//      recount), their extents to `freed`; no give-back owed: the bucket is
//      queued for a recount (its counts are too high if the complete never
//      committed);
//   4. remove the uploads index entry.
//   A crash after 1 leaves a sealed upload the next abort takes over; after
//   2, counts too high, in a bucket the adopter queues; after 3, an index
//   entry list_uploads skips (and a recount removes).
#include "engine_impl.hpp"
#include "multipart_assembly.hpp"
#include "rados/catalog_support.hpp"
#include "rados/leases.hpp"
#include "rados/object_catalog.hpp"
#include "rados/upload_support.hpp"

namespace ostor::detail::rados {

namespace {

std::int64_t bytes_of(const std::vector<StoredPart>& parts) {
    std::int64_t n = 0;
    for (auto& p : parts) n += static_cast<std::int64_t>(p.record.info.size);
    return n;
}

void append_extents(const std::vector<StoredPart>& parts, FreedExtents& freed) {
    for (auto& p : parts) freed.insert(freed.end(), p.record.extents.begin(), p.record.extents.end());
}

// Lifts `seal` (a complete that was refused): the upload is open again.
// Best effort: a seal left behind is taken over by a later abort.
void unseal(Client& client, const std::string& oid, const std::string& seal) {
    WriteOp op;
    op.compare_omap(std::string(kUploadClosingKey), Compare::Eq, seal).omap_remove(std::string(kUploadClosingKey));
    (void)client.apply(Pool::Meta, oid, op);
}

void remove_index_entry(Client& client, const Upload& u, std::uint64_t epoch) {
    WriteOp op;
    op.omap_remove(upload_index_key(u.key, u.id));
    (void)client.apply(Pool::Index, uploads_oid(u.bucket, epoch), op);  // a leftover entry is skipped by listings
}

}  // namespace

Result<ObjectInfo> RadosObjectCatalog::complete_upload(
    std::string_view upload_id, const std::vector<CompletedPart>& parts,
    const std::optional<std::vector<std::pair<std::string, std::string>>>& checksums,
    const std::optional<std::string>& acl, const WriteConditions& conditions, FreedExtents& freed) {
    // The list's form (not empty, ascending) was checked by the engine.
    freed.clear();
    if (!well_formed_upload_id(upload_id)) return no_such_upload(upload_id);
    const std::string oid = upload_oid(upload_id);
    struct Sealed {
        StoredUpload up;
        StoredBucket bucket;
        ObjectRecord record;
        std::string seal;
    };
    auto sealed = retry_on_conflict<Sealed>(oid, [&]() -> std::optional<Result<Sealed>> {
        auto omap = read_whole_omap(client_, Pool::Meta, oid);
        if (!omap) {
            if (omap.error().code() == kNotFound) return Result<Sealed>(no_such_upload(upload_id));
            return Result<Sealed>(std::move(omap).error());
        }
        auto up = parse_upload(upload_id, *omap);
        if (!up) return Result<Sealed>(std::move(up).error());
        if (!up->closing.empty()) return Result<Sealed>(no_such_upload(upload_id));
        auto b = load_bucket(up->upload.bucket);
        if (!b) {
            if (b.error().code() == Errc::NoSuchBucket) return Result<Sealed>(no_such_upload(upload_id));
            return Result<Sealed>(std::move(b).error());
        }
        if (b->bucket.epoch != up->epoch) return Result<Sealed>(no_such_upload(upload_id));
        std::size_t damaged = 0;
        auto stored = parts_in(*omap, &damaged);
        if (damaged > 0) return Result<Sealed>(Error(Errc::Internal, "damaged part record in upload " + oid));
        std::vector<PartRecord> records;
        records.reserve(stored.size());
        for (auto& p : stored) records.push_back(p.record);
        auto assembled = assemble_parts(parts, records);
        if (!assembled) return Result<Sealed>(std::move(assembled).error());
        Seal seal{Seal::Kind::Complete, now_ms(), std::nullopt, lease_ ? lease_->instance_id() : std::string(), true};
        if (!assembled->record.extents.empty())
            seal.first_extent =
                std::make_pair(assembled->record.extents.front().segment, assembled->record.extents.front().offset);
        std::string seal_text = encode_seal(seal);
        WriteOp op;
        op.compare_omap(std::string(kUploadInfoKey), Compare::Eq, up->info_raw)
            .compare_omap(std::string(kUploadClosingKey), Compare::Eq, "");
        // The parts the object is made of must be the ones validated; others
        // may change until the seal and are read again after it.
        for (std::size_t i = 0; i < stored.size(); ++i)
            if (assembled->used[i]) op.compare_omap(part_key(stored[i].record.info.number), Compare::Eq, stored[i].raw);
        op.omap_set(std::string(kUploadClosingKey), seal_text);
        if (auto w = client_.apply(Pool::Meta, oid, op); !w) {
            if (changed_meanwhile(w.error())) return std::nullopt;
            return Result<Sealed>(std::move(w).error());
        }
        return Result<Sealed>(Sealed{std::move(*up), std::move(*b), std::move(assembled->record), seal_text});
    });
    if (!sealed) return std::move(sealed).error();
    auto& s = *sealed;

    // Sealed: the parts read now are final.
    auto omap = read_whole_omap(client_, Pool::Meta, oid);
    if (!omap) {
        unseal(client_, oid, s.seal);
        return std::move(omap).error();
    }
    auto final_parts = parts_in(*omap);
    ObjectRecord obj = std::move(s.record);
    obj.info.bucket = s.up.upload.bucket;
    obj.info.key = s.up.upload.key;
    obj.info.last_modified_ms = now_ms();
    obj.info.meta = s.up.upload.meta;
    obj.info.upload_id = std::string(upload_id);
    obj.info.lock = s.up.upload.lock.value_or(ObjectLock{});  // CreateMultipartUpload's, asked of the object
    if (checksums) obj.info.meta.checksums = *checksums;
    if (acl) obj.info.meta.acl = *acl;
    const std::vector<Extent> object_extents = obj.extents;

    if (auto r = blobs_.add_refs(object_extents); !r) {
        // References added to some objects stay (a leak): releasing all
        // could take one it never added.
        unseal(client_, oid, s.seal);
        if (r.error().code() == kNotFound)
            return Error(Errc::Internal, "a part's data of upload " + std::string(upload_id) + " is missing");
        return std::move(r).error();
    }
    // A reservation of nothing, marked with the object's key and commit
    // token, for the commit to settle: should this instance die after the
    // commit point, its adopter settles the complete's charge (the object
    // counted, its parts' bytes taken off) from the index record
    // (space_ledger.hpp, "Reconciliation"). Best effort: without it (the
    // ledger unreachable) the complete goes on, unreconciled.
    std::optional<ReservationId> marked;
    if (auto r = ledger_.reserve(s.bucket.bucket.owner_id, ledger_bucket_of(s.bucket.bucket), 0, 0, 0,
                                 CommitMark{new_commit_token(), obj.info.key}))
        marked = encode_reservation_id(*r);
    bool unknown = false;
    auto info = commit_object(s.bucket, std::move(obj), conditions, marked, -bytes_of(final_parts), freed, &unknown);
    if (!info) {
        // Nothing written (a refusal, or a failure before the index write):
        // the object's references go and the upload is open again. When the
        // index write may have been applied both stay (the object keeps what
        // it refers to; an abort taking the stale seal over tells which it
        // was).
        if (!unknown) {
            blobs_.release(object_extents);
            unseal(client_, oid, s.seal);
        }
        return std::move(info).error();
    }
    // Committed: from here on nothing may fail the call (the object exists).
    WriteOp rm;
    rm.compare_omap(std::string(kUploadClosingKey), Compare::Eq, s.seal).remove();
    if (client_.apply(Pool::Meta, oid, rm)) {
        append_extents(final_parts, freed);
        remove_index_entry(client_, s.up.upload, s.up.epoch);
    }
    // Otherwise the sealed upload stays with its references (a leak) until
    // an abort takes it over and sees the object committed.
    return info;
}

Result<void> RadosObjectCatalog::abort_upload(std::string_view upload_id, FreedExtents& freed) {
    freed.clear();
    return abort_one(upload_id, freed);
}

Result<void> RadosObjectCatalog::abort_one(std::string_view upload_id, FreedExtents& freed) {
    if (!well_formed_upload_id(upload_id)) return no_such_upload(upload_id);
    const std::string oid = upload_oid(upload_id);
    struct Taken {
        StoredUpload up;
        std::string seal;
        bool give_back = true;   // the parts' bytes go back to the ledgers
        bool committed = false;  // a complete did commit: the upload was gone already
    };
    auto taken = retry_on_conflict<Taken>(oid, [&]() -> std::optional<Result<Taken>> {
        auto up = read_upload(client_, upload_id);
        if (!up) return Result<Taken>(std::move(up).error());
        // Before the seal: once sealed, the upload is removed (by this abort
        // or one taking its seal over) and the give-back follows, so should
        // this instance die in between, its adopter queues the bucket. A
        // failure here leaves the upload as it was.
        if (auto noted = ledger_.note_touched(LedgerBucket{up->upload.bucket, up->epoch}); !noted)
            return Result<Taken>(std::move(noted).error());
        Taken t;
        if (!up->closing.empty()) {
            auto seal = decode_seal(up->closing);
            if (seal && seal->kind == Seal::Kind::Complete) {
                // Young: being completed, unless its instance is gone.
                if (now_ms() - seal->sealed_ms < kStaleCompleteSeal.count() && !instance_gone(seal->instance))
                    return Result<Taken>(no_such_upload(upload_id));
                // A complete that stopped: did its object commit?
                auto obj = get_object(up->upload.bucket, up->upload.key);
                if (!obj && obj.error().code() != Errc::NoSuchKey && obj.error().code() != Errc::NoSuchBucket)
                    return Result<Taken>(std::move(obj).error());
                t.committed = obj && seal->first_extent && !obj->extents.empty() &&
                              obj->extents.front().segment == seal->first_extent->first &&
                              obj->extents.front().offset == seal->first_extent->second;
                // The parts' bytes never go back: a complete that committed
                // counted them out already, and one that did not may have
                // (its counts settle before a seal goes stale, and the object
                // at the key may since have been replaced, or share the
                // first extent through a copied part). Too high is the
                // recount's to repair (queued below), too low is never
                // acceptable.
                t.give_back = false;
            } else if (seal) {
                // Another abort's, maybe stopped: taken over at once (only
                // one removes, below), owing what it owed.
                t.give_back = seal->give_back;
            }
            // An unreadable seal: taken over as an abort's.
        }
        const Seal ours{Seal::Kind::Abort, now_ms(), std::nullopt, {}, t.give_back};
        t.seal = encode_seal(ours);
        WriteOp op;
        op.compare_omap(std::string(kUploadInfoKey), Compare::Eq, up->info_raw)
            .compare_omap(std::string(kUploadClosingKey), Compare::Eq, up->closing)
            .omap_set(std::string(kUploadClosingKey), t.seal);
        if (auto w = client_.apply(Pool::Meta, oid, op); !w) {
            if (changed_meanwhile(w.error())) return std::nullopt;
            return Result<Taken>(std::move(w).error());
        }
        t.up = std::move(*up);
        // Built in place: GCC 12 warns (maybe-uninitialized) on a temporary.
        return std::optional<Result<Taken>>(std::in_place, std::move(t));
    });
    if (!taken) return std::move(taken).error();
    auto& t = *taken;
    const LedgerBucket bucket{t.up.upload.bucket, t.up.epoch};

    // Sealed: the parts read now are final.
    auto omap = read_whole_omap(client_, Pool::Meta, oid);
    if (!omap) {
        if (omap.error().code() == kNotFound) return no_such_upload(upload_id);
        return std::move(omap).error();  // the seal stays: the next abort takes it over
    }
    auto parts = parts_in(*omap);
    // The give-back must land within the recount's quiet window of the
    // removal (a recount that finds the upload gone sums without its parts):
    // past this deadline it is not made, and the bucket is queued instead.
    const auto deadline = ledger_change_deadline();
    WriteOp rm;
    rm.compare_omap(std::string(kUploadClosingKey), Compare::Eq, t.seal).remove();
    if (auto w = client_.apply(Pool::Meta, oid, rm); !w) {
        // Another abort took the seal over and removes the upload itself.
        if (changed_meanwhile(w.error())) return no_such_upload(upload_id);
        // The removal may have landed: neither its give-back nor (none
        // owed) the recount below that repairs a complete that never
        // committed is made then, so the counts are the recount's either
        // way (best effort).
        if (!parts.empty()) (void)ledger_.queue_recount(bucket);
        return std::move(w).error();
    }
    append_extents(parts, freed);
    if (t.give_back) {
        // A failure (or the deadline passed) queues the bucket (SpaceLedger::apply).
        if (auto n = bytes_of(parts); n != 0)
            (void)ledger_.apply(t.up.upload.owner_id, bucket, -n, 0, ledger_.new_token(), std::nullopt, deadline);
    } else if (!parts.empty()) {
        // Counted too high when the complete never committed: a recount
        // (which leaves these parts out) repairs it.
        (void)ledger_.queue_recount(bucket);
    }
    remove_index_entry(client_, t.up.upload, t.up.epoch);
    if (t.committed) return no_such_upload(upload_id);  // it was completed, as the local catalog answers
    return {};
}

bool RadosObjectCatalog::instance_gone(const std::string& instance) {
    if (!lease_ || instance.empty() || instance == lease_->instance_id()) return false;
    // Its lease object is removed by a clean close (after its requests
    // ended) or by the adopter that fenced it (leases.hpp): either way no
    // commit of that instance can land any more. An expired lock alone is
    // not taken for gone here: adopting from a request would fence (and
    // leave for the sweep) once per abort, and the commit margin alone does
    // not stop a process paused between its check and its write.
    auto st = client_.stat(Pool::Meta, lease_oid(instance));
    return !st && st.error().code() == kNotFound;
}

Result<void> RadosObjectCatalog::drop_uploads_of(const StoredBucket& bucket, FreedExtents& freed) {
    const std::string index = uploads_oid(bucket.bucket.name, bucket.bucket.epoch);
    std::string after;
    for (;;) {
        auto page = client_.omap_list(Pool::Index, index, after, "", kUploadIndexPageEntries);
        if (!page) {
            if (page.error().code() == kNotFound) return {};
            return std::move(page).error();
        }
        for (auto& [k, v] : page->entries) {
            after = k;
            if (k.size() < kUploadIdLength + 1) continue;
            auto id = std::string_view(k).substr(k.size() - kUploadIdLength);
            auto r = abort_one(id, freed);
            if (r) continue;
            if (r.error().code() != Errc::NoSuchUpload) return r;
            // Gone (its entry is a leftover) or being completed (left to
            // its complete, which then fails: the bucket is gone).
            WriteOp op;
            op.omap_remove(k);
            (void)client_.apply(Pool::Index, index, op);
        }
        if (!page->more || page->entries.empty()) break;
    }
    // The index object stays: delete_bucket removes it with the bucket (or
    // keeps it, reopening the bucket, when its record cannot be removed).
    return {};
}

}  // namespace ostor::detail::rados
