// The recount of a bucket incarnation's ledger from its object index and its
// uploads (docs/rados.md, "Space ledger", "Recount"): run by the collector,
// a bounded number of recount.queue entries per pass, within a time budget.
//
// For each entry (<bucket>/<epoch>):
//   1. the bucket record gone or of another epoch: the entry goes (guarded
//      on its value: a re-queue meanwhile stays);
//   2. an owner delta left pending by an earlier recount (recount.owner on
//      the bucket's ledger) is finished first: applied to the owner's
//      ledger under its permanent marker (once however often, and never
//      after a later recount's: the marker keeps the highest sequence),
//      removed, then the entry it was for;
//   3. quiet: the bucket's ledger (stat'ed first, alone), every index
//      shard, the uploads index and every upload object (at once) were last
//      modified (the mtime their writers' clocks stamped) more than the
//      quiet window ago, and the ledger holds no open reservation; an
//      upload listed whose object is gone (a closer between its removal
//      and the entry's, an abort's give-back maybe still to come) is not
//      quiet, and its entry is removed; else the entry stays for a later
//      pass;
//   4. the sum: every index record (objects, Σ size: what commits and
//      deletes count) plus the parts of the uploads that still count (open,
//      or sealed by an abort that owes its give-back, which comes after
//      its removal; not those sealed by a complete, whose commit took them
//      off, or by an abort that took a complete's seal over: neither gives
//      them back);
//   5. the same objects stat'ed again: any mtime changed -> not quiet;
//   6. the ledger's counts set (with its lock summary: the date raised to
//      the versions' latest retain-until, the holds set to their count),
//      guarded on the `ver` read before the scan, with the owner's delta
//      pending in the same write under the incarnation's next recount
//      sequence; then 2, and an owner recount
//      queued (also when the bucket's counts were right: a change clamped
//      on the bucket's ledger may have moved the owner's).
// An owner entry (!user/<id>, queued by a delete_bucket whose ledger still
// counted something, and by every bucket recount) sets the owner's counts
// to the sum of its buckets' ledgers, guarded on the owner's `ver`, when the
// owner's ledger and every bucket's are quiet, none holds an open
// reservation nor a pending delta.
// A crash anywhere leaves the entry queued and at most a pending delta,
// which the next pass finishes exactly.
#include <algorithm>
#include <set>

#include "engine_impl.hpp"
#include "rados/catalog_support.hpp"
#include "rados/object_catalog.hpp"
#include "rados/object_index.hpp"
#include "rados/upload_support.hpp"
#include "rados/version_index.hpp"

namespace ostor::detail::rados {

namespace {

// Index entries per shard read of the sum.
constexpr std::uint32_t kRecountShardPageEntries = 512;

struct Stamp {
    Pool pool;
    std::string oid;
    std::optional<ObjectStat> stat;  // nullopt: no such object
};

// Stats each of `objects`, kOmapReadsAtOnce at a time (aio). Fails: IoError.
Result<void> stat_all(Client& client, std::vector<Stamp>& objects) {
    auto got = results_at_once<Result<ObjectStat>>(objects.size(), kOmapReadsAtOnce, [&](std::size_t i, auto done) {
        client.aio_stat(objects[i].pool, objects[i].oid, std::move(done));
    });
    for (std::size_t i = 0; i < objects.size(); ++i) {
        auto& st = got[i];
        if (st)
            objects[i].stat = *st;
        else if (st.error().code() == kNotFound)
            objects[i].stat.reset();
        else
            return std::move(st).error();
    }
    return {};
}

std::int64_t mtime_ns(const ObjectStat& st) { return st.mtime_s * 1'000'000'000 + st.mtime_nsec; }

}  // namespace

Result<RadosObjectCatalog::RecountPass> RadosObjectCatalog::recount_queued(std::uint32_t max_entries,
                                                                           std::optional<BootClock::time_point> until) {
    RecountPass pass;
    const std::string started_after = recount_after_;
    auto queued = ledger_.queued_recounts(recount_after_, max_entries);
    if (!queued) return std::move(queued).error();
    // From the first entry again next pass once the end was reached; else
    // after the last one seen, so that entries left queued do not starve
    // the others.
    recount_after_ = queued->size() < max_entries ? std::string() : queued->back().key;
    // One entry's failure (a record that does not decode, an IoError) leaves
    // it queued and does not keep the others waiting.
    std::optional<Error> first_failure;
    for (std::size_t i = 0; i < queued->size(); ++i) {
        const auto& entry = (*queued)[i];
        if (until && BootClock::now() >= *until) {
            // Out of time: the next pass goes on from here.
            recount_after_ = i == 0 ? started_after : (*queued)[i - 1].key;
            ++pass.postponed;
            break;
        }
        auto done = recount_one(entry);
        if (!done) {
            if (!first_failure) first_failure = std::move(done).error();
            continue;
        }
        switch (*done) {
            case RecountOutcome::Recounted:
                ++pass.recounted;
                break;
            case RecountOutcome::Dropped:
                ++pass.dropped;
                break;
            case RecountOutcome::NotQuiet:
                ++pass.not_quiet;
                break;
        }
    }
    if (first_failure) return std::move(*first_failure);
    return pass;
}

Result<RadosObjectCatalog::RecountOutcome> RadosObjectCatalog::recount_one(const SpaceLedger::QueuedRecount& entry) {
    if (entry.key.starts_with(kOwnerRecountPrefix))
        return recount_owner(entry, entry.key.substr(kOwnerRecountPrefix.size()));
    if (entry.key.starts_with(kMarkerPrunePrefix)) {
        auto pruned = ledger_.prune_marker(entry);
        if (!pruned) return std::move(pruned).error();
        return *pruned ? RecountOutcome::Dropped : RecountOutcome::NotQuiet;
    }
    auto incarnation = bucket_of_recount_key(entry.key);
    if (!incarnation) {
        OSTOR_TRY(ledger_.unqueue_recount(entry));  // not ours to read
        return RecountOutcome::Dropped;
    }
    const LedgerBucket lb{incarnation->first, incarnation->second};
    auto sb = load_bucket(lb.name);
    if (!sb && sb.error().code() != Errc::NoSuchBucket) return std::move(sb).error();
    if (!sb || sb->bucket.epoch != lb.epoch) {
        // Deleted (its ledger with it), maybe made again: nothing to recount.
        OSTOR_TRY(ledger_.unqueue_recount(entry));
        return RecountOutcome::Dropped;
    }
    const std::string& owner = sb->bucket.owner_id;

    // A pending delta read now is applied within this deadline, or not by
    // this pass (SpaceLedger::prune_marker relies on it).
    const auto finish_by = ledger_change_deadline();
    auto state = ledger_.read_recount_state(lb);
    if (!state) return std::move(state).error();
    if (!state->pending_owner.empty()) {
        // An earlier recount wrote the bucket's counts and stopped: its
        // owner delta first, then the entry it was for.
        OSTOR_TRY(ledger_.finish_owner_delta(owner, lb, state->pending_owner, finish_by));
        (void)ledger_.queue_owner_recount(owner);  // see below
        auto delta = SpaceLedger::decode_owner_delta(state->pending_owner);
        if (delta) OSTOR_TRY(ledger_.unqueue_recount(SpaceLedger::QueuedRecount{entry.key, delta->queued_value}));
        return RecountOutcome::Recounted;
    }
    if (state->reservations_open) return RecountOutcome::NotQuiet;

    // The quiet window against the writers' clocks, which stamp the mtimes
    // (ours may run behind theirs: kLedgerChangeDeadline allows for it).
    const std::int64_t quiet_before_ns = (now_ms() - ledger_.options().recount_quiet.count()) * 1'000'000;
    // What a writer of this incarnation modifies: its ledger, its index
    // shards, its uploads index and its upload objects. The ledger first,
    // alone: a bucket written to lately is left at the cost of one stat.
    std::vector<Stamp> stamps;
    stamps.push_back({Pool::Meta, bucket_ledger_oid(lb.name, lb.epoch), {}});
    OSTOR_TRY(stat_all(client_, stamps));
    if (stamps[0].stat && mtime_ns(*stamps[0].stat) > quiet_before_ns) return RecountOutcome::NotQuiet;
    for (std::uint32_t shard = 0; shard < sb->shards; ++shard)
        stamps.push_back({Pool::Index, index_oid(lb.name, lb.epoch, shard), {}});
    const std::string uploads = uploads_oid(lb.name, lb.epoch);
    stamps.push_back({Pool::Index, uploads, {}});
    std::vector<std::string> upload_ids;
    std::vector<std::string> upload_entries;  // their uploads index keys
    for (std::string after;;) {
        auto page = client_.omap_list(Pool::Index, uploads, after, "", kUploadIndexPageEntries);
        if (!page) {
            if (page.error().code() == kNotFound) break;
            return std::move(page).error();
        }
        for (auto& [k, _] : page->entries) {
            after = k;
            if (k.size() < kUploadIdLength + 1) continue;
            upload_ids.push_back(k.substr(k.size() - kUploadIdLength));
            upload_entries.push_back(k);
            stamps.push_back({Pool::Meta, upload_oid(upload_ids.back()), {}});
        }
        if (!page->more || page->entries.empty()) break;
    }
    OSTOR_TRY(stat_all(client_, stamps));
    const std::size_t first_upload = 2 + sb->shards;
    std::set<std::string> gone_uploads;  // their uploads index keys
    for (std::size_t i = 0; i < stamps.size(); ++i) {
        if (!stamps[i].stat) {
            // A shard gone: the bucket is being deleted (the next pass drops
            // the entry).
            if (i >= 1 && i <= sb->shards) return RecountOutcome::NotQuiet;
            if (i >= first_upload) gone_uploads.insert(upload_entries[i - first_upload]);
            continue;  // the uploads index or the ledger never written
        }
        if (mtime_ns(*stamps[i].stat) > quiet_before_ns) return RecountOutcome::NotQuiet;
    }
    if (!gone_uploads.empty()) {
        // Listed, but their objects gone: closers removed them and have not
        // removed the entries yet. An abort's give-back may still follow
        // (made only within kLedgerChangeDeadline of the removal): not
        // quiet. The entries go here, all in one write (list_uploads skips
        // them anyway, and an upload's object never comes back): that write
        // changes the uploads index, so the window starts again once, not
        // once per entry, and a give-back still to come has landed by its
        // end (a crashed closer's never comes). Guarded: an uploads index
        // removed meanwhile (the bucket deleted) is not written.
        WriteOp op;
        op.assert_exists().omap_remove_keys(gone_uploads);
        (void)client_.apply(Pool::Index, uploads, op);
        return RecountOutcome::NotQuiet;
    }

    std::uint64_t bytes = 0, objects = 0;
    // The lock summary as the versions hold it: their latest retain-until
    // date and how many are under legal hold.
    std::int64_t lock_until = 0;
    std::uint64_t legal_holds = 0;
    auto note_lock = [&](const ObjectLock& lock) {
        const LockSummaryChange c = lock_summary_change({}, lock);
        lock_until = std::max(lock_until, c.until_ms);
        legal_holds += static_cast<std::uint64_t>(c.holds_delta);
    };
    ShardMergeWalk walk(client_, lb.name, lb.epoch, sb->shards, kRecountShardPageEntries);
    while (auto raw = walk.next_raw()) {
        auto rec = decode_object(raw->second, false);
        if (!rec)
            return Error(Errc::Internal,
                         "the index record of " + lb.name + "/" + raw->first + " does not decode: not recounted");
        ++objects;
        bytes += rec->info.size;
        note_lock(rec->info.lock);
    }
    if (walk.error()) return *walk.error();
    // Noncurrent versions count as the current ones; delete markers count
    // nothing (docs/versioning.md, "Space accounting").
    for (std::uint32_t shard = 0; shard < sb->shards; ++shard) {
        OSTOR_TRY(for_each_version_entry(client_, index_oid(lb.name, lb.epoch, shard), kRecountShardPageEntries,
                                         [&](const std::string& omap_key, const std::string& stored) -> Result<void> {
                                             auto rec = decode_object(stored, false);
                                             if (!rec)
                                                 return Error(Errc::Internal, "the version record " + lb.name + "/" +
                                                                                  omap_key.substr(1) +
                                                                                  " does not decode: not recounted");
                                             if (rec->info.delete_marker) return {};
                                             ++objects;
                                             bytes += rec->info.size;
                                             note_lock(rec->info.lock);
                                             return {};
                                         }));
    }
    for (auto& id : upload_ids) {
        auto omap = read_whole_omap(client_, Pool::Meta, upload_oid(id));
        if (!omap) {
            if (omap.error().code() == kNotFound) return RecountOutcome::NotQuiet;  // closed just now
            return std::move(omap).error();
        }
        auto up = parse_upload(id, *omap);
        if (!up) return std::move(up).error();
        if (up->epoch != lb.epoch) continue;
        if (!up->closing.empty()) {
            // A complete's seal: its commit took the parts off, or a stale
            // one's abort never gives them back; an abort's that took a
            // complete's over gives nothing back either. An abort's that
            // owes its give-back: counted, the give-back follows its removal.
            auto seal = decode_seal(up->closing);
            if (seal && (seal->kind == Seal::Kind::Complete || !seal->give_back)) continue;
        }
        for (auto& p : parts_in(*omap)) bytes += p.record.info.size;
    }

    std::vector<Stamp> again = stamps;
    OSTOR_TRY(stat_all(client_, again));
    for (std::size_t i = 0; i < stamps.size(); ++i) {
        const bool was = stamps[i].stat.has_value(), is = again[i].stat.has_value();
        if (was != is || (was && mtime_ns(*stamps[i].stat) != mtime_ns(*again[i].stat)))
            return RecountOutcome::NotQuiet;
    }

    if (recount_write_hook_) recount_write_hook_(lb);
    const std::int64_t delta_bytes = static_cast<std::int64_t>(bytes) - static_cast<std::int64_t>(state->bytes);
    const std::int64_t delta_objects = static_cast<std::int64_t>(objects) - static_cast<std::int64_t>(state->objects);
    // The date only grows (a version deleted since keeps it, as locally): a
    // summary short of the versions' is raised; the holds are set exactly.
    // A ledger with no summary (older than it) gets one, 0/0 included, so
    // that it is not queued again for its lack.
    const auto lock = std::make_pair(lock_until, legal_holds);
    const bool lock_short = !state->lock_known || lock_until > state->lock_until_ms ||
                            static_cast<std::int64_t>(legal_holds) != state->legal_holds;
    if (delta_bytes == 0 && delta_objects == 0 && lock_short) {
        // Only the lock summary (a crash between a lock's index write and
        // its ledger change): no owner delta.
        auto written = ledger_.write_recount(lb, state->ver, bytes, objects, "", lock);
        if (!written) {
            if (written.error().code() == Errc::PreconditionFailed) return RecountOutcome::NotQuiet;
            return std::move(written).error();
        }
    }
    if (delta_bytes == 0 && delta_objects == 0) {
        // The bucket's counts are right, but a change clamped at zero on it
        // may have reached the owner unclamped (or not at all): its entry
        // came from an adoption or a failure, so the owner is recounted
        // from its buckets too (best effort, as below).
        (void)ledger_.queue_owner_recount(owner);
        OSTOR_TRY(ledger_.unqueue_recount(entry));
        return RecountOutcome::Recounted;
    }
    // The delta's token is the incarnation's next recount sequence: the
    // owner's marker keeps the highest applied, so any recount's delta
    // counts once, a stale finisher of an older one's included.
    const std::string pending = SpaceLedger::encode_owner_delta(delta_bytes, delta_objects,
                                                                recount_seq_value(state->recount_seq + 1), entry.value);
    const auto written_by = ledger_change_deadline();  // as finish_by, for the delta written now
    auto written = ledger_.write_recount(lb, state->ver, bytes, objects, pending, lock);
    if (!written) {
        if (written.error().code() == Errc::PreconditionFailed) return RecountOutcome::NotQuiet;
        return std::move(written).error();  // may have landed: the next pass finds the pending delta
    }
    OSTOR_TRY(ledger_.finish_owner_delta(owner, lb, pending, written_by));
    // The owner moved by the bucket's drift is exact for what an instance
    // left after its index write, but counts twice a change that reached the
    // owner's ledger and not the bucket's (a crash between the two ledgers of
    // one change): the owner is recounted from its buckets too, once they
    // are all quiet (best effort: a lost queueing leaves it as it was).
    (void)ledger_.queue_owner_recount(owner);
    OSTOR_TRY(ledger_.unqueue_recount(entry));
    return RecountOutcome::Recounted;
}

Result<RadosObjectCatalog::RecountOutcome> RadosObjectCatalog::recount_owner(const SpaceLedger::QueuedRecount& entry,
                                                                             const std::string& user_id) {
    auto owner = ledger_.read_owner_recount_state(user_id);
    if (!owner) return std::move(owner).error();
    if (owner->reservations_open) return RecountOutcome::NotQuiet;
    auto buckets = list_buckets(BucketFilter{user_id, std::nullopt});
    if (!buckets && buckets.error().code() == Errc::NoSuchUser) {
        OSTOR_TRY(ledger_.unqueue_recount(entry));  // gone, with its ledger
        return RecountOutcome::Dropped;
    }
    if (!buckets) return std::move(buckets).error();
    // The owner's ledger and every bucket's: quiet, as a bucket's recount.
    std::vector<Stamp> stamps;
    stamps.push_back({Pool::Meta, user_ledger_oid(user_id), {}});
    for (auto& b : *buckets) stamps.push_back({Pool::Meta, bucket_ledger_oid(b.name, b.epoch), {}});
    OSTOR_TRY(stat_all(client_, stamps));
    // Against the writers' clocks, as a bucket's recount.
    const std::int64_t quiet_before_ns = (now_ms() - ledger_.options().recount_quiet.count()) * 1'000'000;
    for (auto& s : stamps)
        if (s.stat && mtime_ns(*s.stat) > quiet_before_ns) return RecountOutcome::NotQuiet;
    std::uint64_t bytes = 0, objects = 0;
    for (auto& b : *buckets) {
        auto state = ledger_.read_recount_state(ledger_bucket_of(b));
        if (!state) return std::move(state).error();
        // A bucket recount half done moves the owner yet: after it.
        if (state->reservations_open || !state->pending_owner.empty()) return RecountOutcome::NotQuiet;
        bytes += state->bytes;
        objects += state->objects;
    }
    std::vector<Stamp> again = stamps;
    OSTOR_TRY(stat_all(client_, again));
    for (std::size_t i = 0; i < stamps.size(); ++i) {
        const bool was = stamps[i].stat.has_value(), is = again[i].stat.has_value();
        if (was != is || (was && mtime_ns(*stamps[i].stat) != mtime_ns(*again[i].stat)))
            return RecountOutcome::NotQuiet;
    }
    if (bytes != owner->bytes || objects != owner->objects) {
        // Guarded on the owner's ver read first: a bucket made (and
        // written to) after the listing changes it, and is refused here.
        auto written = ledger_.write_owner_recount(user_id, owner->ver, bytes, objects);
        if (!written) {
            if (written.error().code() == Errc::PreconditionFailed) return RecountOutcome::NotQuiet;
            return std::move(written).error();
        }
    }
    OSTOR_TRY(ledger_.unqueue_recount(entry));
    return RecountOutcome::Recounted;
}

}  // namespace ostor::detail::rados
