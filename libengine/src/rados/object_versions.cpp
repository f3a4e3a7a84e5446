// The RADOS ObjectCatalog's versions (docs/versioning.md, "RADOS: one read,
// one guarded write"): the bucket's versioning state, reads of a version by
// id, DELETE with a version id or a marker, the ACL and tags of a key's
// current or of a version. Each change is one read of the key's shard
// (version_index.hpp) and one write of it guarded on what was read; a lost
// guard reads and plans again.
#include "engine_impl.hpp"
#include "rados/catalog_support.hpp"
#include "rados/leases.hpp"
#include "rados/object_catalog.hpp"
#include "rados/object_index.hpp"
#include "rados/space_ledger.hpp"
#include "rados/version_index.hpp"
#include "versions/object_lock.hpp"
#include "versions/version_ids.hpp"
#include "versions/version_plan.hpp"
#include "write_conditions.hpp"

namespace ostor::detail::rados {

namespace {

// A removal's ledger change carries the charge of the record it removed or
// moved (the current, or the version named), so that a dead writer's open
// reservation of that record is settled first (space_ledger.hpp).
std::optional<CommitCharge> charge_of(const KeyState& state, std::uint64_t handle) {
    if (handle == kCurrentHandle) return state.current ? state.current->record.charge : std::nullopt;
    if (handle >= 1 && handle <= state.versions.size()) return state.versions[handle - 1].record.charge;
    return std::nullopt;
}

// The key's current as clients see it: its record, or the delete marker
// that is its newest (among the newest entries read); null: none.
const ObjectInfo* current_info(const KeyState& state) {
    if (state.current) return &state.current->record.info;
    if (!state.head || !state.head->newest_is_marker) return nullptr;
    for (const auto& v : state.versions)
        if (v.record.instance == state.head->newest) return &v.record.info;
    return nullptr;
}

}  // namespace

Result<Bucket> RadosObjectCatalog::set_bucket_versioning(std::string_view name, VersioningState state) {
    if (state == VersioningState::Off)
        return Error(Errc::InvalidArgument, "a bucket's versioning can only be enabled or suspended");
    // Checked on the record the guarded rewrite reads: a bucket deleted and
    // made again with object lock in between is refused too.
    auto b = change_bucket_record(name, [&](Bucket& bucket) -> std::optional<Error> {
        if (state == VersioningState::Suspended && bucket.object_lock.enabled)
            return Error(Errc::InvalidBucketState, std::string(kLockedVersioningMessage));
        bucket.versioning = state;
        return std::nullopt;
    });
    forget_cached_bucket(name);  // the other processes' go with the engine's announcement
    return b;
}

Result<Bucket> RadosObjectCatalog::set_object_lock_config(std::string_view name, const ObjectLockConfig& config) {
    auto b = change_bucket_record(name, [&](Bucket& bucket) -> std::optional<Error> {
        // Checked on the record rewritten: a versioning change in between
        // (Suspended, which a lock bucket refuses) is not missed.
        if (auto applied = apply_lock_config(bucket, config); !applied) return std::move(applied).error();
        return std::nullopt;
    });
    forget_cached_bucket(name);  // the other processes' go with the engine's announcement
    return b;
}

Result<ObjectRecord> RadosObjectCatalog::get_version(std::string_view bucket, std::string_view key,
                                                     std::string_view version_id) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    auto found = find_version(client_, shard_oid(*b, key), bucket, key, version_id, true);
    if (!found) return std::move(found).error();
    return std::move(found->entry.record);
}

Result<ObjectInfo> RadosObjectCatalog::stat_version(std::string_view bucket, std::string_view key,
                                                    std::string_view version_id) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    auto found = find_version(client_, shard_oid(*b, key), bucket, key, version_id, false);
    if (!found) return std::move(found).error();
    return std::move(found->entry.record.info);
}

Result<ObjectInfo> RadosObjectCatalog::set_object_acl(std::string_view bucket, std::string_view key,
                                                      std::string_view acl) {
    return change_meta(bucket, key, [&](ObjectMeta& meta) { meta.acl = acl; });
}

Result<ObjectInfo> RadosObjectCatalog::set_object_tags(std::string_view bucket, std::string_view key,
                                                       std::vector<std::pair<std::string, std::string>> tags) {
    // Copied into each attempt: a retried one applies them again.
    return change_meta(bucket, key, [&](ObjectMeta& meta) { meta.tags = tags; });
}

Result<ObjectInfo> RadosObjectCatalog::change_meta(std::string_view bucket, std::string_view key,
                                                   const std::function<void(ObjectMeta&)>& change) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    const std::string oid = shard_oid(*b, key);
    return retry_on_conflict<ObjectInfo>(oid, [&]() -> std::optional<Result<ObjectInfo>> {
        auto cur = read_index_entry(client_, oid, bucket, key, false);
        if (!cur) {
            if (cur.error().code() == kNotFound) return Result<ObjectInfo>(no_such_key(bucket, key));
            return Result<ObjectInfo>(std::move(cur).error());
        }
        if (!*cur) return Result<ObjectInfo>(no_such_key(bucket, key));
        ObjectRecord rec = std::move((*cur)->record);
        change(rec.info.meta);
        if (lease_ && !lease_->may_commit())
            return Result<ObjectInfo>(Error(
                Errc::IoError,
                "this gateway's lease expired (or is about to): it may commit no more writes; reopen the volume"));
        WriteOp op;
        op.compare_omap(record_key(key), Compare::Eq, (*cur)->stored);
        op.omap_set(record_key(key), encode(rec));  // body_id kept: b<key> stays
        auto written = client_.apply(Pool::Index, oid, op);
        if (!written && changed_meanwhile(written.error())) return std::nullopt;
        if (!written) return Result<ObjectInfo>(std::move(written).error());
        return Result<ObjectInfo>(std::move(rec.info));
    });
}

Result<ObjectInfo> RadosObjectCatalog::set_version_acl(std::string_view bucket, std::string_view key,
                                                       std::string_view acl, std::string_view version_id) {
    if (version_id.empty()) return set_object_acl(bucket, key, acl);
    return change_version_entry(bucket, key, version_id, [&](ObjectInfo& info) -> std::optional<Error> {
        info.meta.acl = acl;
        return std::nullopt;
    });
}

Result<ObjectInfo> RadosObjectCatalog::set_version_tags(std::string_view bucket, std::string_view key,
                                                        std::vector<std::pair<std::string, std::string>> tags,
                                                        std::string_view version_id) {
    if (version_id.empty()) return set_object_tags(bucket, key, std::move(tags));
    // Copied: a lost guard runs the change again.
    return change_version_entry(bucket, key, version_id, [&](ObjectInfo& info) -> std::optional<Error> {
        info.meta.tags = tags;
        return std::nullopt;
    });
}

Result<ObjectInfo> RadosObjectCatalog::change_version_entry(
    std::string_view bucket, std::string_view key, std::string_view version_id,
    const std::function<std::optional<Error>(ObjectInfo&)>& change, BootClock::time_point* written_by) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    const std::string oid = shard_oid(*b, key);
    return retry_on_conflict<ObjectInfo>(oid, [&]() -> std::optional<Result<ObjectInfo>> {
        auto found = find_version(client_, oid, bucket, key, version_id, false);
        if (!found) return Result<ObjectInfo>(std::move(found).error());
        ObjectRecord& rec = found->entry.record;
        if (rec.info.delete_marker) {
            if (version_id.empty()) return Result<ObjectInfo>(no_such_key(bucket, key));
            return Result<ObjectInfo>(
                Error(Errc::MethodNotAllowed, "version " + std::string(version_id) + " is a delete marker"));
        }
        if (auto refused = change(rec.info)) return Result<ObjectInfo>(std::move(*refused));
        if (lease_ && !lease_->may_commit())
            return Result<ObjectInfo>(Error(Errc::IoError, "this gateway's lease expired: reopen the volume"));
        const std::string entry = found->in_versions ? version_key(key, rec.instance) : record_key(key);
        WriteOp op;
        op.compare_omap(entry, Compare::Eq, found->entry.stored);
        op.omap_set(entry, encode(rec));
        if (written_by) *written_by = ledger_change_deadline();
        auto written = client_.apply(Pool::Index, oid, op);
        if (!written && changed_meanwhile(written.error())) return std::nullopt;
        if (!written) return Result<ObjectInfo>(std::move(written).error());
        return Result<ObjectInfo>(std::move(rec.info));
    });
}

Result<ObjectInfo> RadosObjectCatalog::change_version_lock(std::string_view bucket, std::string_view key,
                                                           std::string_view version_id, const LockChange& change) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    // A cached "off" may predate lock turned on through another gateway
    // (an announcement missed): asked again before refusing.
    if (!b->bucket.object_lock.enabled) b = load_bucket_afresh(bucket);
    if (!b) return std::move(b).error();
    if (!b->bucket.object_lock.enabled)
        return Error(Errc::InvalidArgument, "Bucket is missing Object Lock Configuration");
    // The bucket's lock summary follows the entry's change on its ledger: a
    // crash in between leaves the bucket to its adopter's recount.
    const LedgerBucket lb = ledger_bucket_of(b->bucket);
    OSTOR_TRY(ledger_.note_touched(lb));
    ObjectLock before, after;          // of the attempt that wrote
    BootClock::time_point deadline{};  // of its write (kLedgerChangeDeadline)
    auto changed = change_version_entry(
        bucket, key, version_id,
        [&](ObjectInfo& info) -> std::optional<Error> {
            // Within the clock margin a retention still counts, as for removal.
            auto lock = changed_lock(info.lock, change, now_ms(), kMaxClockSkew.count());
            if (!lock) return std::move(lock).error();
            before = info.lock;
            after = *lock;
            info.lock = *lock;
            return std::nullopt;
        },
        &deadline);
    if (!changed) {
        // The entry's write may have landed: its summary is the recount's.
        if (changed.error().code() == Errc::IoError) (void)ledger_.queue_recount(lb);
        return changed;
    }
    // Past its deadline it is not made: the recount queued then counts it.
    (void)ledger_.change_lock_summary(lb, lock_summary_change(before, after), deadline);
    return changed;
}

Result<DeleteResult> RadosObjectCatalog::delete_version(std::string_view bucket, std::string_view key,
                                                        const DeleteOptions& options, FreedExtents& freed) {
    freed.clear();
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    StoredBucket sb = std::move(*b);
    for (bool past_cache = false; sb.bucket.versioning == VersioningState::Off;) {
        // An unversioned bucket's only version is its current, the null one.
        const bool by_id = !options.version_id.empty();
        // Its only version is its current, never noncurrent (as locally).
        if (by_id && options.if_noncurrent_under)
            return Result<DeleteResult>(not_noncurrent_under(bucket, key, options.version_id));
        std::optional<Error> nothing;
        if (by_id && options.version_id != kNullVersionId) {
            nothing = no_such_version(key, options.version_id);
        } else {
            bool versioned = false;
            auto removed = delete_unversioned(sb, key, options, freed, versioned);
            if (versioned) break;  // sb is the record read again
            if (removed) return DeleteResult{options.version_id, false};
            if (removed.error().code() != Errc::NoSuchKey) return std::move(removed).error();
            nothing = by_id ? no_such_version(key, options.version_id) : std::move(removed).error();
        }
        // "Nothing there" from a cached Off record may be stale: a bucket
        // versioned meanwhile (by another gateway) holds a version in a v
        // entry, or a marker as the key's newest, with no o<key> to meet.
        // Asked again past the cache before answering.
        if (past_cache) return std::move(*nothing);
        auto now = load_bucket(bucket);
        if (!now) {
            forget_cached_bucket(bucket);
            return std::move(now).error();
        }
        if (now->bucket.epoch == sb.bucket.epoch && now->bucket.versioning == VersioningState::Off)
            return std::move(*nothing);
        forget_cached_bucket(bucket);
        sb = std::move(*now);
        past_cache = true;
    }
    return delete_versioned(sb, key, options, freed);
}

Result<DeleteResult> RadosObjectCatalog::delete_versioned(const StoredBucket& given, std::string_view key,
                                                          const DeleteOptions& options, FreedExtents& freed) {
    freed.clear();
    StoredBucket sb = given;
    const Bucket& bucket = sb.bucket;
    const std::string oid = shard_oid(sb, key);
    const LedgerBucket lb = ledger_bucket_of(bucket);
    // Before the index write, as a commit's (commit_object).
    OSTOR_TRY(ledger_.note_touched(lb));
    const bool by_id = !options.version_id.empty();
    KeyStateWants wants;
    wants.null_version = true;  // a Suspended marker replaces it; "null" names it
    if (by_id) {
        wants.newest = 2;  // a removal of the newest promotes the next
        wants.bodies = true;
        if (is_instance(options.version_id)) wants.named = options.version_id;
    }
    BootClock::time_point deadline{};
    LedgerDelta delta;
    std::optional<CommitCharge> replaced;
    std::vector<Extent> to_free;
    auto done = retry_on_conflict<DeleteResult>(oid, [&]() -> std::optional<Result<DeleteResult>> {
        auto state = read_key_state(client_, oid, bucket.name, key, wants);
        if (!state && state.error().code() == kCompareFailed) return std::nullopt;  // changed between its reads
        if (!state) {
            if (state.error().code() != kNotFound) return Result<DeleteResult>(std::move(state).error());
            forget_cached_bucket(bucket.name);  // the shard is gone with its bucket
            return Result<DeleteResult>(by_id ? no_such_version(key, options.version_id)
                                              : no_such_key(bucket.name, key));
        }
        // The lifecycle worker's delete of a current: only the write it
        // evaluated (a marker only while that version is current).
        if (!by_id && options.if_current &&
            (!state->current || !is_current_write(state->current->record.info, options)))
            return Result<DeleteResult>(not_that_write(bucket.name, key));
        // The lifecycle worker's removal of a noncurrent version: only
        // under the current it evaluated the version's rank against (o<key>
        // and h<key> as read guard the write: the check holds at the commit).
        if (by_id && !is_noncurrent_under(current_info(*state), options))
            return Result<DeleteResult>(not_noncurrent_under(bucket.name, key, options.version_id));
        PlanInput in = plan_input_of(bucket, by_id ? VersionOp::DeleteVersion : VersionOp::DeleteCurrent, *state);
        in.version_id = options.version_id;
        in.bypass_governance = options.bypass_governance;
        auto change = plan_version_change(in);
        if (!change) return Result<DeleteResult>(std::move(change).error());
        if (lease_ && !lease_->may_commit())
            return Result<DeleteResult>(Error(Errc::IoError, "this gateway's lease expired: reopen the volume"));
        // A marker: a commit of a 0-byte entry, carrying the charge of the
        // current it hides one step back (find_commit_charge looks there).
        ObjectRecord marker;
        marker.info.bucket = bucket.name;
        marker.info.key = std::string(key);
        marker.info.last_modified_ms = in.now_us / kMicrosPerMilli;
        const std::uint64_t token = new_commit_token();
        marker.body_id = token;
        marker.charge = CommitCharge{token, change->delta.bytes, change->delta.objects};
        marker.replaced_charge = state->current ? state->current->record.charge : std::nullopt;
        auto write = change_write(key, *state, *change, marker);
        if (!write) return Result<DeleteResult>(std::move(write).error());
        deadline = ledger_change_deadline();
        auto written = client_.apply(Pool::Index, oid, write->op);
        if (!written && changed_meanwhile(written.error())) {
            // Every change is guarded on `closed` absent (change_write), a
            // removal's too: a crashed delete_bucket's mark is cleared, a
            // live one's outcome waited for, rather than met again and again.
            if (auto again = after_lost_guard(sb, oid, true); !again)
                return Result<DeleteResult>(std::move(again).error());
            return std::nullopt;
        }
        // Unknown: a marker is proven by its entry (its instance is this
        // call's); a removal by id has no such proof, and is handled as an
        // unversioned delete's unknown outcome (extents kept, the counts
        // left to a recount).
        if (!written && (write->written_key.empty() ||
                         !written_value_landed(client_, Pool::Index, oid, write->written_key, write->written_value))) {
            (void)ledger_.queue_recount(lb);
            return Result<DeleteResult>(outcome_unknown_error(oid, written.error()));
        }
        delta = change->delta;
        replaced = by_id ? (change->freed.empty() ? std::nullopt : charge_of(*state, change->freed.front().handle))
                         : marker.replaced_charge;
        to_free = std::move(write->freed);
        return Result<DeleteResult>(DeleteResult{change->version_id, change->delete_marker});
    });
    if (!done) return done;
    freed = std::move(to_free);
    // (A marker over an object changes no count: a commit it hides left
    // open is then the adopter's, one step back.)
    if (delta.bytes != 0 || delta.objects != 0)
        (void)ledger_.apply(bucket.owner_id, lb, delta.bytes, delta.objects, ledger_.new_token(), replaced, deadline);
    return done;
}

}  // namespace ostor::detail::rados
