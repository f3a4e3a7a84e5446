// The RADOS ObjectCatalog's objects: lookup, the commit of a written body,
// copy, delete, listing (object_catalog.hpp: the commit sequence; a key's ACL
// and tags are object_versions.cpp's).
//
// Every change of an object is one read of its index entry, then one write
// of its shard guarded on the entry read (compare_omap o<key> Eq the value
// read, "" for none) and, for writes that add an entry, on the shard not
// being closed by a delete_bucket: two gateways writing one key end with one
// winner, the loser reads again and re-checks its write conditions. A write
// that finds the shard closed (a delete under way) waits for the delete's
// outcome (wait_while_closed): NoSuchBucket once the record is gone, a
// write again once the delete reopened the shard, IoError (retryable)
// after kClosedShardWait.
#include <chrono>
#include <thread>

#include "engine_impl.hpp"
#include "rados/catalog_support.hpp"
#include "rados/leases.hpp"
#include "rados/object_catalog.hpp"
#include "rados/object_index.hpp"
#include "rados/version_index.hpp"
#include "rados/version_listing.hpp"
#include "versions/version_plan.hpp"
#include "write_conditions.hpp"

namespace ostor::detail::rados {

namespace {

// Entries per shard read of a listing: a page of ListObjects (at most 1000
// keys) reads at most this many entries of each shard beyond what it lists.
constexpr std::uint32_t kListShardPageEntries = 256;

Error no_such_bucket(std::string_view name) {
    return Error(Errc::NoSuchBucket, "bucket " + std::string(name) + " does not exist");
}

Error lease_expired() {
    return Error(Errc::IoError,
                 "this gateway's lease expired (or is about to): it may commit no more writes; reopen the volume");
}

// The versions of a bucket whose versioning is Off: none (it holds no v
// entries), so its listing reads no shard for them.
class NoVersionsWalk final : public ListedVersionWalk {
public:
    void seek(std::string_view, std::string_view) override {}
    std::optional<ListedVersion> next() override { return std::nullopt; }
};

}  // namespace

Result<bool> RadosObjectCatalog::closed_by_delete(const Bucket& bucket, const std::string& index_oid) {
    auto got = client_.omap_get(Pool::Index, index_oid, {std::string(kShardClosedKey)});
    if (!got) return std::move(got).error();
    const std::string mark = value_of(*got, kShardClosedKey);
    if (mark.empty()) return false;
    // A mark naming its instance is stale only once that instance is gone:
    // no clock of another gateway is compared with this one's.
    const std::string instance(shard_closed_instance(mark));
    if (instance.empty() ? !shard_closed_stale(mark, now_ms()) : !instance_gone(instance)) return true;
    // A crashed delete's mark, if the record read after the mark is still of
    // this epoch (else the delete went through, and its index is on its way
    // out).
    auto now = load_bucket(bucket.name);
    if (!now) {
        if (now.error().code() == Errc::NoSuchBucket) return true;
        return std::move(now).error();
    }
    if (now->bucket.epoch != bucket.epoch) return true;
    WriteOp op;
    op.compare_omap(std::string(kShardClosedKey), Compare::Eq, mark).omap_remove(std::string(kShardClosedKey));
    (void)client_.apply(Pool::Index, index_oid, op);
    return false;
}

Result<void> RadosObjectCatalog::wait_while_closed(const Bucket& bucket, const std::string& index_oid) {
    const auto until = std::chrono::steady_clock::now() + kClosedShardWait;
    for (;;) {
        auto closed = closed_by_delete(bucket, index_oid);
        if (!closed) {
            if (closed.error().code() == kNotFound) return no_such_bucket(bucket.name);  // removed with the record
            return std::move(closed).error();
        }
        if (!*closed) return {};
        // The mark alone does not say the bucket goes: a delete may still
        // find an entry (BucketNotEmpty) or give up, and reopen. Only the
        // record gone (or another incarnation's) is final.
        auto now = load_bucket(bucket.name);
        if (!now) return std::move(now).error();  // NoSuchBucket: gone
        if (now->bucket.epoch != bucket.epoch) return no_such_bucket(bucket.name);
        if (std::chrono::steady_clock::now() >= until)
            return Error(Errc::IoError, "bucket " + bucket.name +
                                            " is being deleted (or was, by a delete that gave up "
                                            "and has not reopened it yet): try again");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

Result<std::pair<std::uint64_t, std::uint64_t>> RadosObjectCatalog::quota_bytes(const Bucket& bucket) {
    auto user = settings_.effective_quota(QuotaTarget::user(bucket.owner_id));
    if (!user) return std::move(user).error();
    auto own = settings_.effective_quota(QuotaTarget::bucket(bucket.name));
    if (!own) return std::move(own).error();
    return std::make_pair(*user * kGiB, *own * kGiB);
}

Result<void> RadosObjectCatalog::after_lost_guard(StoredBucket& sb, const std::string& oid, bool adds_entries) {
    // Another write of the key, or a delete_bucket closing (or removing)
    // the shard: read again, unless the bucket is gone.
    auto again = load_bucket(sb.bucket.name);
    if (!again || again->bucket.epoch != sb.bucket.epoch) {
        // A cached record of a bucket deleted (and maybe made again)
        // meanwhile: not to be used again.
        forget_cached_bucket(sb.bucket.name);
        if (!again) return std::move(again).error();
        return no_such_bucket(sb.bucket.name);
    }
    if (again->bucket.versioning != sb.bucket.versioning || again->bucket.object_lock != sb.bucket.object_lock) {
        // A cached Off record met a versioned key (h<key>), or the lock
        // settings changed: the record in force plans the next attempt, and
        // this process's cache drops it.
        forget_cached_bucket(sb.bucket.name);
        sb = std::move(*again);
    }
    if (!adds_entries) return {};
    // Closed by a delete under way: waited out (briefly) until the delete
    // reopens the shard or removes the record; NoSuchBucket only for the
    // latter, a retryable error when it lasts.
    if (auto open = wait_while_closed(sb.bucket, oid); !open) {
        if (open.error().code() == Errc::NoSuchBucket) forget_cached_bucket(sb.bucket.name);
        return open;
    }
    return {};
}

Result<ObjectInfo> RadosObjectCatalog::commit_object(const StoredBucket& given, ObjectRecord record,
                                                     const WriteConditions& conditions,
                                                     const std::optional<ReservationId>& reservation,
                                                     std::int64_t delta_parts_bytes, FreedExtents& freed,
                                                     bool* outcome_unknown) {
    freed.clear();
    if (outcome_unknown) *outcome_unknown = false;
    // Read again past the cache when a key turns out versioned (same
    // incarnation: its name and epoch never change here).
    StoredBucket sb = given;
    const Bucket& bucket = sb.bucket;
    const std::string key = record.info.key;
    const std::string oid = shard_oid(sb, key);
    record.info.bucket = bucket.name;
    // The new record's lock is the request's (none: the bucket's default).
    const std::optional<ObjectLock> requested_lock =
        record.info.lock == ObjectLock{} ? std::nullopt : std::optional<ObjectLock>(record.info.lock);
    // A new object carries no version of the record it was made from (a
    // copy's source): a versioned bucket's plan gives it its own.
    record.instance.clear();
    record.null_version = false;
    record.info.delete_marker = false;
    record.info.lock = {};
    record.info.version_id.clear();

    std::optional<LedgerReservation> own;  // the write's
    if (reservation) {
        own = decode_reservation_id(*reservation);
        if (!own) return Error(Errc::Internal, "not a reservation of this volume: " + *reservation);
        if (own->bucket != bucket.name || own->bucket_epoch != bucket.epoch) {
            // Made on another incarnation's ledger (the bucket was made again
            // meanwhile): it covers nothing here.
            (void)ledger_.release(*own);
            own.reset();
        }
    }
    std::vector<LedgerReservation> excess;  // reserved here, for growth the write's did not cover
    // An expired reservation covers nothing: others may hold its space now.
    std::uint64_t covered = own ? covered_bytes(*own, now_ms()) : 0;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> quotas;  // user, bucket: read once, when needed
    auto give_back = [&] {
        for (auto& r : excess) (void)ledger_.release(r);
        if (own) (void)ledger_.release(*own);
    };
    // A lock asked for where the record says lock is off: a cached record
    // may predate lock turned on through another gateway (an announcement
    // missed; once on, it is never turned off). Asked again before refusing,
    // and never dropped silently (an Off bucket's commit writes no lock).
    if (requested_lock && !bucket.object_lock.enabled) {
        auto fresh = load_bucket_afresh(bucket.name);
        if (fresh && fresh->bucket.epoch == bucket.epoch) sb = std::move(*fresh);
        if (!bucket.object_lock.enabled) {
            give_back();
            if (!fresh) return std::move(fresh).error();
            if (fresh->bucket.epoch != bucket.epoch) return no_such_bucket(bucket.name);
            return Error(Errc::InvalidArgument, "Bucket is missing Object Lock Configuration");
        }
    }
    // Before the index write: should this instance die before its ledger
    // change, its adopter queues the bucket for a recount (once per bucket
    // incarnation in this instance's life: no write on the PUT path after).
    if (auto noted = ledger_.note_touched(ledger_bucket_of(bucket)); !noted) {
        give_back();
        return std::move(noted).error();
    }

    std::string inline_body = std::move(record.inline_data);
    record.inline_data.clear();
    // This call's token: a re-read finding `stored` proves this call's
    // write, not another's of the same record (object_index.hpp). A
    // reservation made for this write chose it already: its ledger entries
    // name it, for an adopter to look the record up by.
    const std::uint64_t token = own && own->commit_token != 0 ? own->commit_token : new_commit_token();
    record.body_id = token | (inline_body.empty() ? 0 : kInlineBodyMark);
    std::string stored;  // the record as written by the last attempt (its charges depend on the entry replaced)

    std::optional<ObjectRecord> old;  // the current the commit replaced, or moved into the versions
    std::vector<Extent> to_free;      // the extents of the records the commit replaced
    ObjectInfo answer;
    std::int64_t delta_bytes = 0, delta_objects = 0;
    // The committed version's lock as a move of the bucket's lock summary
    // (from none: a new version).
    LockSummaryChange lock_move;
    bool unknown = false;  // the index write failed, and may have been applied
    // The latest the counts may follow the index write (kLedgerChangeDeadline).
    BootClock::time_point deadline{};
    // Growth the reservations do not cover is reserved before the commit
    // point, under the quotas: a refusal writes nothing.
    auto cover_growth = [&]() -> Result<void> {
        if (delta_bytes <= static_cast<std::int64_t>(covered)) return {};
        if (!quotas) {
            auto q = quota_bytes(bucket);
            if (!q) return std::move(q).error();
            quotas = *q;
        }
        if (quotas->first == 0 && quotas->second == 0) return {};
        // The reservation this commit will settle (none of the write's)
        // carries its mark; any other is released after the commit.
        std::optional<CommitMark> mark;
        if (!own && excess.empty()) mark = CommitMark{token, key};
        auto r =
            ledger_.reserve(bucket.owner_id, ledger_bucket_of(bucket),
                            static_cast<std::uint64_t>(delta_bytes) - covered, quotas->first, quotas->second, mark);
        if (!r) return std::move(r).error();
        covered += r->bytes;
        excess.push_back(std::move(*r));
        return {};
    };
    // The index write of an attempt, and what its failure means.
    auto land = [&](const WriteOp& op, bool guessed) -> std::optional<Result<void>> {
        deadline = ledger_change_deadline();
        auto written = client_.apply(Pool::Index, oid, op);
        if (written) return written;
        if (!changed_meanwhile(written.error())) {
            // Maybe applied: our record there (its token is this call's)
            // proves it was.
            if (written_value_landed(client_, Pool::Index, oid, record_key(key), stored)) return Result<void>();
            unknown = true;
            return Result<void>(outcome_unknown_error(oid, written.error()));
        }
        if (guessed) return std::nullopt;  // the entry was another: read it
        if (auto again = after_lost_guard(sb, oid, true); !again) return again;
        return std::nullopt;
    };
    // One attempt of the commit in a bucket that is Off, on the entry as
    // read, or as guessed: a guessed attempt returns nullopt for anything
    // but a commit or an unknown outcome (a wrong guess fails the guard, or
    // may make a quota decision the real entry would not: the next attempt
    // reads).
    auto attempt = [&](std::optional<IndexEntry> cur, bool guessed) -> std::optional<Result<void>> {
        old.reset();
        lock_move = {};
        std::string old_stored;
        if (cur) {
            old = std::move(cur->record);
            old_stored = std::move(cur->stored);
        }
        if (auto ok = check_write_conditions(conditions, old); !ok) return Result<void>(std::move(ok).error());
        delta_bytes = static_cast<std::int64_t>(record.info.size) -
                      (old ? static_cast<std::int64_t>(old->info.size) : 0) + delta_parts_bytes;
        delta_objects = old ? 0 : 1;
        if (auto c = cover_growth(); !c) {
            if (guessed) return std::nullopt;
            return Result<void>(std::move(c).error());
        }
        if (lease_ && !lease_->may_commit()) return Result<void>(lease_expired());
        // What this commit settles, and what the record it replaces did (for
        // an adopter of that record's writer: object_index.hpp).
        record.charge = CommitCharge{token, delta_bytes, delta_objects};
        record.replaced_charge = old ? old->charge : std::nullopt;
        stored = encode(record);
        answer = record.info;
        to_free = old ? old->extents : std::vector<Extent>();
        WriteOp op;
        op.compare_omap(record_key(key), Compare::Eq, old_stored);
        op.compare_omap(std::string(kShardClosedKey), Compare::Eq, "");
        // A key of a versioned bucket met with a stale Off record: the lost
        // guard reads the record again (after_lost_guard) and plans anew.
        op.compare_omap(head_key(key), Compare::Eq, "");
        op.omap_set(record_key(key), stored);
        if (!inline_body.empty())
            op.omap_set(body_key(key), inline_body);
        else if (old && has_inline_body(*old))
            op.omap_remove(body_key(key));
        return land(op, guessed);
    };
    // One attempt in a versioned bucket: the key's current, head and null
    // version read at once, the plan, one guarded write (version_index.hpp).
    // The current moved into the versions is this record's replaced charge,
    // as a replaced one would be (docs/versioning.md, "Reconciliation").
    auto attempt_versioned = [&](const KeyState& state) -> std::optional<Result<void>> {
        old.reset();
        if (state.current) old = state.current->record;
        if (auto ok = check_write_conditions(conditions, old); !ok) return Result<void>(std::move(ok).error());
        PlanInput in = plan_input_of(bucket, VersionOp::Write, state);
        in.size = record.info.size;
        in.requested_lock = requested_lock;
        auto change = plan_version_change(in);
        if (!change) return Result<void>(std::move(change).error());
        delta_bytes = change->delta.bytes + delta_parts_bytes;
        delta_objects = change->delta.objects;
        lock_move = lock_summary_change({}, change->new_lock);
        if (auto c = cover_growth(); !c) return Result<void>(std::move(c).error());
        if (lease_ && !lease_->may_commit()) return Result<void>(lease_expired());
        // With its lock move: a later commit settling this one as `replaced`
        // makes it (this one's own settle is then skipped whole).
        record.charge = CommitCharge{token, delta_bytes, delta_objects, lock_move.until_ms, lock_move.holds_delta};
        record.replaced_charge = old ? old->charge : std::nullopt;
        ObjectRecord created = record;
        created.inline_data = inline_body;
        auto write = change_write(key, state, *change, created);
        if (!write) return Result<void>(std::move(write).error());
        stored = std::move(write->written_value);
        answer = std::move(write->info);
        to_free = std::move(write->freed);
        return land(write->op, false);
    };
    // Without conditions to check, the first attempt skips the read of the
    // entry: it takes what this process last wrote there, or none (a new
    // key), and its guarded write checks the guess. A PUT of a new key, or an
    // overwrite of one this gateway wrote, is then one round trip. Versioned
    // writes always read.
    std::optional<Result<void>> first;
    if (!conditions.if_none_match && !conditions.if_match_etag && bucket.versioning == VersioningState::Off) {
        std::optional<IndexEntry> guess;
        bool usable = true;
        if (auto known = index_guesses_.guess(oid, key)) {
            auto rec = decode_object(*known, false);
            if (rec) {
                rec->info.bucket = bucket.name;
                guess = IndexEntry{std::move(*known), std::move(*rec)};
            } else {
                usable = false;
            }
        }
        if (usable) first = attempt(std::move(guess), true);
    }
    auto committed = first ? std::move(*first) : retry_on_conflict<void>(oid, [&]() -> std::optional<Result<void>> {
        auto gone = [&](Error e) -> std::optional<Result<void>> {
            if (e.code() == kNotFound) {
                // The shard is gone: the bucket was deleted, maybe made again.
                forget_cached_bucket(bucket.name);
                return Result<void>(no_such_bucket(bucket.name));
            }
            return Result<void>(std::move(e));
        };
        if (bucket.versioning != VersioningState::Off) {
            KeyStateWants wants;
            wants.null_version = true;  // a Suspended write replaces it
            auto state = read_key_state(client_, oid, bucket.name, key, wants);
            if (!state && state.error().code() == kCompareFailed) return std::nullopt;  // changed between its reads
            if (!state) return gone(std::move(state).error());
            return attempt_versioned(*state);
        }
        auto cur = read_index_entry(client_, oid, bucket.name, key, false);
        if (!cur) return gone(std::move(cur).error());
        return attempt(std::move(*cur), false);
    });
    if (committed && bucket.versioning == VersioningState::Off)
        index_guesses_.remember(oid, key, stored);
    else
        index_guesses_.forget(oid, key);
    if (!committed && !unknown) {
        give_back();
        return std::move(committed).error();
    }
    // Unknown: counted as committed (too high if it was not: the recount's
    // to repair), and the replaced records' extents are kept (a leak if it
    // was applied; freeing them if it was not would lose the object).
    if (!unknown) freed = std::move(to_free);
    // After the commit point: the counts. A crash here leaves the marked
    // reservation to the adopter, which settles it from the record, and the
    // bucket in touched.<instance>, which the adopter queues for a recount
    // (all a commit under no reservation leaves); a live gateway's settle or
    // apply that fails queues the bucket itself (SpaceLedger). The object is
    // committed either way. The replaced record's commit is settled with
    // ours when its writer's reservation is still open (a writer that died
    // after its commit point, whose client retried through us).
    const std::optional<CommitCharge>& replaced = record.replaced_charge;
    // The new version's move of the bucket's lock summary goes with the
    // counts, in the same change (its marker, its deadline): a crash or a
    // late change leaves both to the recount, which sees no half of it.
    if (own) {
        (void)ledger_.settle(*own, delta_bytes, delta_objects, replaced, deadline, lock_move);
        for (auto& r : excess) (void)ledger_.release(r);
    } else if (!excess.empty()) {
        (void)ledger_.settle(excess.front(), delta_bytes, delta_objects, replaced, deadline, lock_move);
        for (std::size_t i = 1; i < excess.size(); ++i) (void)ledger_.release(excess[i]);
    } else if (delta_bytes != 0 || delta_objects != 0 || !lock_move.empty()) {
        // (An overwrite that changes no count nor lock writes nothing: a
        // replaced commit left open is then the adopter's, one step back.)
        (void)ledger_.apply(bucket.owner_id, ledger_bucket_of(bucket), delta_bytes, delta_objects, ledger_.new_token(),
                            replaced, deadline, lock_move);
    }
    if (unknown) {
        // Counted as committed: too high when it was not, which only a
        // recount repairs (best effort).
        (void)ledger_.queue_recount(ledger_bucket_of(bucket));
        if (outcome_unknown) *outcome_unknown = true;
        return std::move(committed).error();
    }
    return answer;
}

Result<ObjectRecord> RadosObjectCatalog::get_object(std::string_view bucket, std::string_view key) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    auto entry = read_index_entry(client_, shard_oid(*b, key), bucket, key, true);
    if (!entry) {
        if (entry.error().code() == kNotFound) return no_such_key(bucket, key);
        return std::move(entry).error();
    }
    if (!*entry) return no_such_key(bucket, key);
    return std::move((*entry)->record);
}

Result<ObjectInfo> RadosObjectCatalog::put_object(BodyCommit body, const WriteConditions& conditions,
                                                  FreedExtents& freed) {
    freed.clear();
    // The blob store's data is durable when staged (RadosBlobStore::finish):
    // body.data is null, there is nothing more to make durable.
    auto b = load_bucket_cached(body.record.info.bucket);
    if (!b) {
        if (body.reservation)
            if (auto r = decode_reservation_id(*body.reservation)) (void)ledger_.release(*r);
        return std::move(b).error();
    }
    return commit_object(*b, std::move(body.record), conditions, body.reservation, 0, freed, body.outcome_unknown);
}

Result<ObjectInfo> RadosObjectCatalog::copy_object(
    std::string_view src_bucket, std::string_view src_key, std::string_view src_version_id, std::string_view dst_bucket,
    std::string_view dst_key, const std::optional<ObjectMeta>& replace_meta,
    const std::optional<ObjectTags>& replace_tags, const std::optional<std::string>& replace_acl,
    const WriteConditions& conditions, FreedExtents& freed, const std::optional<ObjectLock>& lock) {
    freed.clear();
    auto src = get_copy_source(src_bucket, src_key, src_version_id);
    if (!src) return std::move(src).error();
    auto db = load_bucket_cached(dst_bucket);
    if (!db) return std::move(db).error();
    // The copy's references before its index entry (docs/rados.md, "Blob
    // store"): a crash between leaves a count too high (a leak), never an
    // entry whose extents may be collected. Copying onto the source itself
    // adds them before the replaced record's (the same ones) are released.
    const std::vector<Extent> shared = src->extents;
    if (!shared.empty()) {
        auto added = blobs_.add_refs(shared);
        if (!added) {
            // The source's blobs are gone: it was replaced or deleted meanwhile.
            if (added.error().code() == Errc::NoSuchKey) return no_such_key(src_bucket, src_key);
            return std::move(added).error();
        }
    }
    ObjectRecord dst = std::move(*src);
    dst.info.bucket = dst_bucket;
    dst.info.key = dst_key;
    dst.info.last_modified_ms = now_ms();
    if (replace_meta)
        dst.info.meta = *replace_meta;
    else if (replace_tags)
        dst.info.meta.tags = *replace_tags;
    if (replace_acl) dst.info.meta.acl = *replace_acl;
    dst.info.upload_id.clear();                   // a copy is not what the upload made
    dst.info.lock = lock.value_or(ObjectLock{});  // the request's, never the source's
    bool unknown = false;
    auto r = commit_object(*db, std::move(dst), conditions, std::nullopt, 0, freed, &unknown);
    // The references added above go when nothing was written; when the
    // index write may have been applied they stay (a leak at worst).
    if (!r && !unknown && !shared.empty()) blobs_.release(shared);
    return r;
}

Result<void> RadosObjectCatalog::delete_object(std::string_view bucket, std::string_view key,
                                               const DeleteOptions& options, FreedExtents& freed) {
    // The current: removed, or (versioned) hidden by a marker.
    DeleteOptions current = options;
    current.version_id.clear();
    auto r = delete_version(bucket, key, current, freed);
    if (!r) return std::move(r).error();
    return {};
}

Result<void> RadosObjectCatalog::delete_unversioned(StoredBucket& sb, std::string_view key,
                                                    const DeleteOptions& options, FreedExtents& freed,
                                                    bool& versioned) {
    freed.clear();
    versioned = false;
    const std::string bucket = sb.bucket.name;
    const std::string oid = shard_oid(sb, key);
    // Before the removal, as a commit's (commit_object).
    OSTOR_TRY(ledger_.note_touched(ledger_bucket_of(sb.bucket)));
    BootClock::time_point deadline{};  // the latest its counts may follow (kLedgerChangeDeadline)
    // The record alone: an object whose body is missing can still go.
    auto removed = retry_on_conflict<ObjectRecord>(oid, [&]() -> std::optional<Result<ObjectRecord>> {
        auto cur = read_index_entry(client_, oid, bucket, key, false);
        if (!cur) {
            if (cur.error().code() == kNotFound) return Result<ObjectRecord>(no_such_key(bucket, key));
            return Result<ObjectRecord>(std::move(cur).error());
        }
        if (!*cur) return Result<ObjectRecord>(no_such_key(bucket, key));
        // Guarded by the compare below: the record checked is the one removed.
        if (!is_current_write((*cur)->record.info, options)) return Result<ObjectRecord>(not_that_write(bucket, key));
        if (lease_ && !lease_->may_commit()) return Result<ObjectRecord>(lease_expired());
        WriteOp op;
        op.compare_omap(record_key(key), Compare::Eq, (*cur)->stored);
        // A versioned key met with a stale Off record: its head says so.
        op.compare_omap(head_key(key), Compare::Eq, "");
        op.omap_remove_keys({record_key(key), body_key(key)});
        deadline = ledger_change_deadline();
        auto written = client_.apply(Pool::Index, oid, op);
        if (!written && changed_meanwhile(written.error())) {
            if (auto again = after_lost_guard(sb, oid, false); !again)
                return Result<ObjectRecord>(std::move(again).error());
            if (sb.bucket.versioning == VersioningState::Off) return std::nullopt;
            versioned = true;
            return Result<ObjectRecord>(Error(Errc::Internal, "bucket " + bucket + " is versioned"));
        }
        if (!written) {
            // May have landed, its counts never changed: the recount's
            // (best effort).
            (void)ledger_.queue_recount(ledger_bucket_of(sb.bucket));
            return Result<ObjectRecord>(std::move(written).error());
        }
        // Built in place: GCC 12 warns (maybe-uninitialized) on a temporary.
        return std::optional<Result<ObjectRecord>>(std::in_place, std::move((*cur)->record));
    });
    index_guesses_.forget(oid, key);  // gone (or unknown): a new write guesses none
    if (!removed) return std::move(removed).error();
    freed = removed->extents;
    // The removed record's commit first, when its writer's reservation is
    // still open (it died after its commit point): counted, then taken off.
    (void)ledger_.apply(sb.bucket.owner_id, ledger_bucket_of(sb.bucket), -static_cast<std::int64_t>(removed->info.size),
                        -1, ledger_.new_token(), removed->charge, deadline);
    return {};
}

Result<ListObjectsResult> RadosObjectCatalog::list_objects(std::string_view bucket, const ListObjectsParams& params) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    ShardMergeWalk walk(client_, b->bucket.name, b->bucket.epoch, b->shards,
                        std::min<std::uint32_t>(kListShardPageEntries, params.max_keys + 1));
    auto page = list_objects_page(walk, bucket, params);
    if (walk.error()) return *walk.error();
    return page;
}

Result<ListVersionsResult> RadosObjectCatalog::list_versions(std::string_view bucket,
                                                             const ListVersionsParams& params) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    VersionMarker marker;
    if (!params.version_id_marker.empty()) {
        auto head = read_version_head(client_, shard_oid(*b, params.key_marker), params.key_marker);
        if (!head && head.error().code() != kNotFound) return std::move(head).error();
        marker = head && *head ? version_marker(params.version_id_marker, (*head)->newest, (*head)->null_instance)
                               : version_marker(params.version_id_marker, {}, {});
    }
    const auto page_entries = std::min<std::uint32_t>(kListShardPageEntries, params.max_keys + 1);
    if (b->bucket.versioning == VersioningState::Off) {
        ShardMergeWalk currents(client_, b->bucket.name, b->bucket.epoch, b->shards, page_entries);
        NoVersionsWalk no_versions;
        VersionWalk walk(currents, no_versions);
        auto page = list_versions_page(walk, bucket, params, marker);
        if (currents.error()) return *currents.error();
        return page;
    }
    // Each shard's o and v entries read together (version_listing.hpp).
    ShardVersionEntries entries(client_, b->bucket.name, b->bucket.epoch, b->shards, page_entries);
    VersionWalk walk(entries);
    auto page = list_versions_page(walk, bucket, params, marker);
    if (entries.error()) return *entries.error();
    return page;
}

}  // namespace ostor::detail::rados
