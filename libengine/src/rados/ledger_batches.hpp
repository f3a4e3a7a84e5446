// Group commit of the space ledger's changes within one process.
//
// Every change of a ledger object is a read of its omap plus one write
// guarded on its `ver` (space_ledger.hpp). Concurrent changes of one ledger
// from one process would only race each other for that guard: every S3 PUT
// changes the ledgers of its user and its bucket, so the PUTs of one user
// through one gateway all collide on the same two objects, most lose the
// compare and back off, and throughput is one change per round trip at best.
// So a process makes at most one read+write of a ledger at a time, and the
// changes that arrive meanwhile go together into the next one:
//
//  - LedgerCombiner queues them per ledger object. The first caller to find
//    no write of that object in flight leads: it writes its batch (only its
//    own change then). Callers that arrive meanwhile queue; when the write
//    returns, the leader gives every member of its batch its result and hands
//    the lead to the first caller queued, whose batch is everything queued
//    by then. Nobody writes for longer than its own batch.
//  - plan_ledger_batch decides what one batch writes, from one read of the
//    object: the changes applied one after the other in queue order, each
//    with its own result (a reservation refused for its quota refuses only
//    itself), as one guarded write.
//
// A batch is one write: it lands for all its members or for none, and every
// member returns only once it returned (durable), so the crash windows are
// those of one change. Conflicts (another process changed the object between
// the read and the write) make the whole batch read and plan again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ostor/error.hpp"
#include "rados/boot_clock.hpp"
#include "rados/ledger_layout.hpp"
#include "rados/write_op.hpp"
#include "records.hpp"

namespace ostor::detail::rados {

// One change of one ledger object (SpaceLedger's calls are made of these).
struct LedgerChange {
    // A reservation to add, checked against quota_bytes (0: none).
    std::optional<std::pair<std::string, ReservationEntry>> add;
    std::uint64_t quota_bytes = 0;
    std::string quota_subject;  // "user <id>", "bucket <name>": for the refusal
    // The reservation to end ("" none), or every reservation whose key starts
    // with remove_prefix ("" none).
    std::string remove_key;
    std::string remove_prefix;
    std::int64_t delta_bytes = 0;
    std::int64_t delta_objects = 0;
    // "" none; else the change writes the settled marker settled_key(token)
    // with its other changes, and is skipped (succeeding, changing nothing)
    // when the ledger holds that marker already: the same change made again
    // after an unknown outcome (an IoError that may have landed) counts once.
    std::string token;
    // The charge of the index record this change's commit replaced (or
    // removed): when an open reservation of this ledger is marked with its
    // token, that commit was never settled here (its writer died or is
    // slow), and this change settles it first, with that charge: it ends the
    // reservation, adds the charge's deltas before its own, and writes the
    // reservation's settled marker (its writer's late settle then changes
    // nothing). So a retry or delete of a dead writer's object counts
    // exactly, whatever the order of the changes.
    std::optional<CommitCharge> replaced;
    // An adopter's: the change does nothing when remove_key is no longer
    // held (settled meanwhile by a `replaced` change, or by an earlier
    // adoption whose marker has expired), so a stalled adopter never counts
    // a commit twice.
    bool only_if_held = false;
    // An adopter's release: each marked reservation it ends under
    // remove_prefix leaves an unsettled marker (ledger_layout.hpp), so that a
    // `replaced` change arriving after it still counts that commit.
    bool note_unsettled = false;
    // A recount's (space_ledger.hpp, "Recount"). The change is refused
    // (PreconditionFailed, changing nothing) unless each key of `expect`
    // holds its value ("" absent) in the state read, as the batch's changes
    // before it left it; a key `ver` also requires that no change before it
    // in the batch changed anything (ver is bumped once per batch).
    std::vector<std::pair<std::string, std::string>> expect;
    // Sets the counts (bytes, objects) instead of adding deltas: the
    // difference is the change's delta (the size history changes with it).
    std::optional<std::pair<std::uint64_t, std::uint64_t>> set_counts;
    // A bucket's lock summary: lock.until raised to lock_until_ms (never
    // lowered), lock.holds moved by lock_holds_delta (signed: clamped only
    // when read, so that a release landing before its hold cancels it);
    // set_lock (a recount's) raises lock.until to its first and sets
    // lock.holds to its second. On a bucket ledger that exists without the
    // summary (older than it) only set_lock writes it: the moves are dropped
    // (docs/rados.md, "Older ledgers").
    std::int64_t lock_until_ms = 0;
    std::int64_t lock_holds_delta = 0;
    std::optional<std::pair<std::int64_t, std::uint64_t>> set_lock;
    // The change is refused (NoSuchBucket, changing nothing) when the ledger
    // does not exist: a late lock change of a bucket deleted meanwhile must
    // not make its ledger again, and one of a live bucket no commit has
    // settled on yet is then its caller's to leave to a recount.
    bool only_if_exists = false;
    // Keys written ("" value: removed) with the change.
    std::map<std::string, std::string> set_keys;
    // "" none; else the change is skipped (succeeding) when the ledger holds
    // once_value under once_key (read by key, never expiring), and writes it
    // with its deltas: a delta made again however late counts once.
    // The value is a recount sequence (16 hex digits, recount_seq_value):
    // the change is skipped when the key holds one as high or higher (a
    // stale finisher of an older recount of the same bucket incarnation
    // counts nothing). Another value (an older engine's token) is skipped
    // when the key holds a sequence (its recount came before that one) and
    // else compared for equality.
    std::string once_key;
    std::string once_value;
    // Past it (BootClock), the change is not made: PreconditionFailed,
    // changing nothing (space_ledger.hpp, kLedgerChangeDeadline).
    std::optional<BootClock::time_point> deadline;
};

// A recount sequence as once_value and the bucket ledger's recount.seq hold it.
std::string recount_seq_value(std::uint64_t seq);
// Whether once_value `value` is counted already where `held` is stored.
bool once_counted(std::string_view held, std::string_view value);

// A ledger object as read: one consistent state of its omap. Settled
// markers (!s.*) and their age keys (!t.*) may be left out, but never a
// marker a change of the batch names; the age keys read are the oldest.
struct LedgerState {
    bool exists = false;
    std::map<std::string, std::string> omap;
    std::string ver;  // what the write is guarded on
};

// Which expired reservations a change drops (space_ledger.hpp, "Expiry").
struct LedgerExpiry {
    std::int64_t now_ms = 0;
    std::string own_prefix;                // this instance's keys: dropped at expiry
    std::int64_t others_grace_ms = 0;      // another's: only this long past expiry
    std::int64_t settled_lifetime_ms = 0;  // settled markers older than this go (kSettledLifetime)
    BootClock::time_point boot_now{};      // what LedgerChange::deadline is compared with
};

// What one batch writes, and what each of its changes returns once the write
// succeeded (a failed write is every member's result instead).
struct LedgerBatchPlan {
    std::optional<WriteOp> write;       // nullopt: the batch changes nothing
    std::vector<Result<void>> results;  // one per change, in order
};

// Applies `batch` to `state` in order, as if each change were made alone
// on what the ones before it left:
//  - each change first ends the reservations it names and the expired ones
//    (see LedgerExpiry); a reservation it adds is refused (QuotaExceeded,
//    that change only, which then changes nothing) when bytes + the
//    unexpired reservations left + its bytes pass its quota; a reservation of
//    0 bytes never is;
//  - a change with a `replaced` charge whose token an open reservation's
//    mark names ends that reservation and adds the charge's deltas (and on
//    a bucket's ledger its lock move) first (with the reservation's settled
//    marker); when none does but the charge's unsettled marker is there, it
//    adds them first and removes that marker (with its age key);
//  - an only_if_held change whose remove_key is not held changes nothing;
//  - a change past its deadline is refused (PreconditionFailed) and
//    changes nothing, unless its token's marker shows it made already
//    (below: it succeeds);
//  - a change whose once_key holds its once_value (or a higher sequence:
//    once_counted) succeeds and changes nothing; one whose `expect` does not hold is refused
//    (PreconditionFailed) and changes nothing; set_counts adds the
//    difference to the counts as its delta; set_keys and the once key are
//    written with the batch;
//  - a note_unsettled change writes an unsettled marker for each marked
//    reservation it ends under remove_prefix;
//  - a change whose token's marker the state holds (or an earlier change of
//    the batch wrote) succeeds and changes nothing; one with a token writes
//    its marker and age key; markers older than
//    expiry.settled_lifetime_ms (by their value, or by an age key read) go
//    with their age keys in a batch that writes (a batch is never written
//    just to drop them);
//  - deltas are clamped at zero, and on a bucket's ledger the size history
//    changes with each change's deltas (apply_size_change), in order;
//  - `ver` is bumped once: the write is guarded on state.ver (or creates the
//    object exclusively when it did not exist).
// No write when no change changes anything (a release of a reservation
// already gone). A reservation added by the batch counts its bytes whatever
// its expiry, as a change alone counts the one it adds.
LedgerBatchPlan plan_ledger_batch(std::string_view oid, const LedgerState& state,
                                  std::span<const LedgerChange* const> batch, const LedgerExpiry& expiry);

// Queues the changes of this process per ledger object, and has one caller
// at a time write each object's queue as one batch (see the top).
//
// Concurrency: submit may be called from any thread at once. A caller waits
// (a condition variable, no spinning) while another caller's batch of the
// same object is in flight; callers must not hold a lock that the batch's
// write needs (SpaceLedger's mutex_ included) while they submit. No thread
// is spawned: batches are written on the callers' threads.
class LedgerCombiner {
public:
    using Batch = std::span<const LedgerChange* const>;
    // Reads, plans and writes one batch of `oid`: one result per change, in
    // order. Called on the leader's thread, with no lock held.
    using WriteBatch = std::function<std::vector<Result<void>>(Batch)>;

    LedgerCombiner() = default;
    LedgerCombiner(const LedgerCombiner&) = delete;
    LedgerCombiner& operator=(const LedgerCombiner&) = delete;

    // Makes `change` of `oid` within a batch and returns its own result once
    // the batch's write returned. The batch is written by `write` of the
    // caller that leads it: every caller of one combiner must pass an
    // equivalent one for the same oid.
    Result<void> submit(const std::string& oid, const LedgerChange& change, const WriteBatch& write);

    // Changes of `oid` waiting for the write in flight (for tests).
    std::size_t queued(const std::string& oid) const;
    // Batches written, and the changes they held, so far (tests, metrics).
    std::uint64_t batches() const;
    std::uint64_t changes() const;

private:
    struct Waiter;
    struct Queue {
        std::deque<Waiter*> waiting;  // in arrival order; a batch is in flight while the Queue exists
    };
    // Hands each member (but the leader, members[0]) its result, then the
    // lead to the first caller queued, or ends the queue. Locked.
    void finish(std::map<std::string, Queue>::iterator queue, const std::vector<Waiter*>& members,
                std::vector<Result<void>>& results);

    mutable std::mutex mutex_;
    // One entry per object with a batch in flight.
    std::map<std::string, Queue> queues_;
    std::uint64_t batches_ = 0;
    std::uint64_t changes_ = 0;
};

}  // namespace ostor::detail::rados
