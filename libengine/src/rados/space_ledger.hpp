// The RADOS backend's space ledger: bytes, objects and the reservations of
// writes under way, per user and per bucket, exact across gateways (RGW's
// quotas are not: each gateway checks its own cached stats). The layout is
// in ledger_layout.hpp.
//
// Every change of a ledger is one read of its object plus one write guarded
// on its `ver` (compare-and-set), run again when another client changed it
// in between (retry_on_conflict): two gateways can never both take the last
// free byte. A reservation is made on the user's ledger, then on the
// bucket's; settling or releasing it changes both, in the same order.
//
// A bucket's ledger is its incarnation's (LedgerBucket: name and epoch): a
// bucket deleted and made again under its name starts from zero. A late
// settle, release or apply of the old one changes the old bucket ledger
// (never the new one's) and the owner's ledger, as any other: deleting the
// bucket leaves the owner's counts as they are (too high after an unknown
// outcome until a recount, never lowered by what the bucket's still held).
//
// Group commit (ledger_batches.hpp): the changes this process makes to one
// ledger at the same time are combined into one read and one guarded write,
// at most one in flight per ledger. Every PUT changes the ledgers of its user
// and its bucket: one at a time, the PUTs of one user through one gateway
// would only lose the compare to each other and back off. Each change still
// has its own result, as if made alone in queue order (a reservation refused
// for its quota refuses only itself), and returns only once the batch's write
// returned: durable, with the crash windows below unchanged. A failed write
// (IoError, which may come after the cluster applied it) is every member's
// result. Conflicts then come only from other processes.
//
// Quotas are in bytes, 0 meaning none (usage is still recorded). A quota
// check counts stored bytes plus the open, unexpired reservations:
// refusals are QuotaExceeded with local/space_ledger.cpp's messages.
//
// Expiry. A reservation expires `reservation_lifetime` after it was made
// (wall clock: the gateways' clocks must agree to within max_clock_skew).
// Expired reservations are ignored by quota checks (and by the stored
// `reserved`) at once; the next change of their ledger drops this
// instance's own at expiry and another's only past expiry + max_clock_skew
// (its maker's clock may be behind ours: to it, the write is still under
// way). A settle that finds its reservation gone still applies its deltas
// (the write did commit), a release does nothing. A reservation of 0 bytes
// is never refused (as the local ledger: it takes no space).
//
// This instance's own bookkeeping: pending.<instance> names the ledgers on
// which it has reservations open; an entry goes when the last of them on
// that ledger is settled or released, so the object does not grow for ever.
// close() drops what is still open, and pending.<instance>, before the lease
// goes. With a lease in Options, reserve refuses (IoError) once the lease
// may no longer commit: an adopter may already have dropped pending.<id>,
// and a reservation no pending record names would stay until it expired.
//
// Crash windows, and what reconciles them:
//  - reserve: pending.<instance> names both ledgers before either holds the
//    reservation, so drop_reservations_of finds whatever was written. A
//    crash between the user's and the bucket's ledger leaves the user's
//    reservation alone: released by the adopter, or expired.
//  - a bucket refusal releases the user's reservation; a crash in between is
//    the case above.
//  - settle / release: the user's ledger changes, then the bucket's. A crash
//    in between leaves the reservation on the bucket's ledger only; the
//    adopter reconciles it alone (below).
//  - the commit point itself: a writer that dies after its index write and
//    before its settle leaves both entries open; the adopter reconciles them
//    (below).
//  - apply: the same between the user's and the bucket's counts, with no
//    reservation to find: the bucket is in touched.<instance>, which the
//    adopter queues for a recount ("Recount" below): the bucket's ledger is
//    repaired, the owner's then counts the change twice (too high). The
//    same recount repairs commits under no quota (no reservation: the
//    engine reserves only when a quota applies) and those that reserve
//    nothing (no growth), exactly: both ledgers were left short.
//  - a live settle or apply that fails after its attempts queues its bucket
//    for a recount itself (best effort).
//  - an IoError after the cluster applied the write (a timeout): settle,
//    and apply given a token, write a settled marker (ledger_layout.hpp) in
//    the same guarded write as their deltas, so that making them again finds
//    it and does nothing. They make each ledger's change again themselves
//    (kLedgerChangeAttempts in all, while it fails with IoError), as does
//    release (ending a reservation twice changes nothing); an apply without
//    a token is made once. A caller may call them again after an IoError
//    (the same reservation, or the same token), whatever landed, within
//    kSettledLifetime: the marker is gone after it.
//
// Reconciliation: what a dead writer committed is counted by its adopter,
// with no write of the ledgers at the commit point. An object write's
// reservation carries, from reserve on, a CommitMark (the object key and the
// commit token its index record will carry, ledger_layout.hpp), and every
// index record carries its own commit's charge (token and deltas) and the
// charge of the record it replaced (object_index.hpp). Then:
//  - drop_reservations_of(dead) reads each ledger pending.<dead> names, and
//    for each of dead's entries with a mark looks the key up in the index
//    (find_commit_charge): the record there is the mark's commit, or the
//    one it replaced is -> that ledger is settled with that charge (as the
//    writer's own settle would have, marker included: an adoption made
//    again counts once; only_if_held: nothing when a replaced-path change
//    settled the entry meanwhile, so a stalled adopter counts once); else
//    (no commit, or old entries without a mark) the entry is released, a
//    marked one leaving an unsettled marker (!s.u.<token>, the settled
//    markers' lifetime). An index or bucket record that does not decode is
//    an error: the adoption stays unfinished, for the next sweep. Each
//    ledger is reconciled on its own, so a writer that settled the user's
//    ledger and not the bucket's is finished on the bucket's only; both ask
//    the index once per mark.
//  - a commit or delete that replaces or removes a record settles, in the
//    same change of each ledger, the replaced record's reservation when it
//    is still open there (LedgerChange::replaced): the client's retry of a
//    PUT whose gateway died, or a DELETE of its object, counts the dead
//    write first, before the adopter runs and in the order the writes
//    happened (counts clamp at zero, so order matters). A live writer's
//    late settle then finds its marker and changes nothing. When the
//    adopter released the entry first (a DELETE whose ledger change came
//    after the adopter's lookup found its record gone), the change finds
//    the unsettled marker instead, counts the charge and removes it: in
//    either order on each ledger, the dead write counts once.
// Only the reservation a commit settles carries a mark: the write's own,
// else the first one the commit makes for its growth (a copy's); other
// growth reservations are released. A multipart complete reserves 0 bytes,
// marked, for its commit to settle.
// Approximate still, erring low (the dead write's deltas lost, as before
// reconciliation): a dead writer's record replaced by a second writer whose
// settle did not land either (it died too, or its change failed), then by a
// third write or a delete, all before the adoption (the index keeps one step
// back); a reservation dropped on expiry (1 h after it was
// made) before any adoption; a live writer whose settle a replacing write's
// change made for it (its marker then found) drops its own `replaced`: low
// by the older dead write that one named; an overwrite that changes no
// count writes no ledger change, so its `replaced` is not carried (the
// adopter, one step back, then finds it only if nothing else replaced it).
// Erring high: a live writer whose settle comes more than kSettledLifetime
// after a replacing write settled for it.
// These, and commits that reserve nothing, are the recount's (below).
//
// Recount (space_recount.cpp here, the sum in object_recount.cpp): an
// instance names each bucket incarnation in touched.<instance> before its
// first write that changes its counts (note_touched: once per life, not on
// every PUT); the adopter of a dead instance moves those into recount.queue
// (queue_touched_of), a clean close removes them. The collector recounts a
// queued bucket once its ledger, index shards and uploads went unmodified
// for recount_quiet (kRecountQuietWindow: the longest a writer takes to its
// ledger change) with no reservation open: its counts set from the index
// and open uploads, guarded on the ver read before the sum, with the
// owner's delta pending in the same write (recount.owner), under the
// incarnation's next recount sequence (recount.seq); the delta then goes to
// the owner's ledger under the permanent marker !r.<bucket>/<epoch>, which
// keeps the highest sequence applied (counted once however late it is made
// again, a stale finisher of an older recount's included), then the pending
// delta and the queue entry go, each guarded on its value. A crash between
// leaves what the next pass finishes. An owner entry (queued by every bucket
// recount, and by a delete_bucket whose ledger still counted something)
// sets the owner's counts to the sum of its buckets' ledgers, all quiet,
// guarded on its ver. A deleted incarnation's marker is removed from its
// owner's ledger a window after the delete (a marker_prune_key entry), as a
// finisher applies a delta within kLedgerChangeDeadline of reading it. The window stands against the writers' clocks
// (an object's mtime is its writer's): a ledger change that follows an index, part or upload write is planned within
// kLedgerChangeDeadline of it, or not at all (the bucket is queued instead).
//
// Concurrency: every call is safe from any thread and any number of
// gateways. A call may wait for another thread's batch of the same ledger
// (no thread of its own, no spinning), or write a batch of others' changes
// besides its own. Failures besides the named ones: IoError (the cluster, or
// kMaxGuardedAttempts lost conflicts with other processes).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "ostor/error.hpp"
#include "ostor/types.hpp"
#include "rados/boot_clock.hpp"
#include "rados/client.hpp"
#include "rados/ledger_batches.hpp"
#include "rados/ledger_layout.hpp"
#include "rados/object_index.hpp"
#include "storage/leases.hpp"
#include "versions/object_lock.hpp"

namespace ostor::detail::rados {

// Long enough for a 5 GiB part over a slow link; a reservation left by a
// live gateway (a bug, a stuck request) stops counting after it.
inline constexpr std::chrono::milliseconds kReservationLifetime{60 * 60 * 1000};

// Omap entries per read of a ledger: its counts and a thousand open
// reservations in one read (one read is one consistent state; more take an
// extra read of `ver`).
inline constexpr std::uint32_t kLedgerPageEntries = 1024;

// How far two gateways' wall clocks may disagree: another instance's expired
// reservation is dropped only this long after its expiry.
inline constexpr std::chrono::milliseconds kMaxClockSkew{5 * 60 * 1000};

// Attempts of one ledger's change of a settle, a release or an apply with a
// token, while it fails with IoError (a timeout may have landed: the marker
// makes the next attempt a no-op then). Bounded: a dead cluster fails a
// change in kLedgerChangeAttempts OSD timeouts.
inline constexpr int kLedgerChangeAttempts = 3;

// How long a settled marker is kept: a change may be made again (by its own
// attempts, or by a caller after an IoError) only within it, as a marker
// gone makes the change count again. Covers the attempts (each up to an OSD
// timeout, 30 s by default), the clock of the gateway judging the marker's
// age running kMaxClockSkew ahead of its writer's, and slack. No longer:
// every settle or tokened apply adds one (two omap keys) to each ledger it
// changes, so 100 PUT/s keep 60k markers (120k keys) in one user's ledger,
// below Ceph's large-omap warning (200k keys).
inline constexpr std::chrono::milliseconds kSettledLifetime{10 * 60 * 1000};
static_assert(kSettledLifetime >= kLedgerChangeAttempts * std::chrono::milliseconds{30 * 1000} + kMaxClockSkew +
                                      std::chrono::milliseconds{60 * 1000});

// How long a bucket incarnation's ledger, index shards and upload objects
// must have gone unmodified (their mtime, stamped by their writer's clock)
// before a recount may sum them: the longest a writer may take between its
// index or part write and its ledger change (kLedgerChangeDeadline, below,
// enforces it) plus the clocks' disagreement.
inline constexpr std::chrono::milliseconds kRecountQuietWindow = kSettledLifetime;

// What one ledger write may take from being planned to landing (an OSD
// timeout, 30 s by default, with slack).
inline constexpr std::chrono::milliseconds kLedgerWriteSlack{60 * 1000};
// The latest a ledger change that follows an index, part or upload write
// (a commit's settle or apply, a delete's, a part's, an abort's give-back)
// is planned, after that write was sent: a recount sums an object only once
// the recounter's clock, which may run kMaxClockSkew ahead of the writer's
// (whose clock stamps the object's mtime), is kRecountQuietWindow past its
// mtime; a change planned later is not made (the bucket is queued instead).
inline constexpr std::chrono::milliseconds kLedgerChangeDeadline =
    kRecountQuietWindow - kMaxClockSkew - kLedgerWriteSlack;
static_assert(kLedgerChangeDeadline >= kLedgerChangeAttempts * std::chrono::milliseconds{30 * 1000});
// The deadline of a ledger change whose index (or part, or upload) write is
// about to be sent.
inline BootClock::time_point ledger_change_deadline() { return BootClock::now() + kLedgerChangeDeadline; }

// Age keys of settled markers read with every change of a ledger, oldest
// first (at least twice the batch's markers): the stale ones among them go
// with the write, so that markers go at least as fast as they come.
inline constexpr std::uint32_t kOldestMarkersRead = 64;

class RadosLeases;

// One incarnation of a bucket, whose ledger is ledger.bucket/<name>/<epoch>.
struct LedgerBucket {
    std::string name;
    std::uint64_t epoch = 0;
};
inline LedgerBucket ledger_bucket_of(const Bucket& b) { return LedgerBucket{b.name, b.epoch}; }

// What reserve returns: what settle and release need to find it again.
struct LedgerReservation {
    std::string key;  // r.<instance>.<seq>
    std::string user_id;
    std::string bucket;
    std::uint64_t bucket_epoch = 0;
    std::uint64_t bytes = 0;
    std::int64_t expiry_ms = 0;  // when it stops counting (wall clock); 0: not known
    // The commit token its entries' CommitMark names (0: none): the commit it
    // is settled by must write its index record under this token.
    std::uint64_t commit_token = 0;
};
// As the object catalog's ReservationId (a string): "<key> <bytes> <user id>
// <bucket> <epoch>[ <expiry ms>[ <commit token>]]" (user ids and bucket names
// hold no spaces). nullopt when `id` is not one.
std::string encode_reservation_id(const LedgerReservation& r);
std::optional<LedgerReservation> decode_reservation_id(std::string_view id);
// The bytes `r` still covers at `now_ms`: its bytes, or 0 once expired
// (others may have reserved the space it held: a commit then reserves its
// growth again under the quotas). A commit that checks just before expiry
// still trusts it for its few remaining writes.
inline std::uint64_t covered_bytes(const LedgerReservation& r, std::int64_t now_ms) {
    if (r.expiry_ms != 0 && r.expiry_ms <= now_ms) return 0;
    return r.bytes;
}

class SpaceLedger {
public:
    struct Options {
        std::chrono::milliseconds reservation_lifetime = kReservationLifetime;
        // Omap entries per read of a ledger (tests use tiny pages, so that a
        // ledger takes several reads).
        std::uint32_t page_entries = kLedgerPageEntries;
        std::chrono::milliseconds max_clock_skew = kMaxClockSkew;
        // This instance's lease (instance_id's); when set, reserve fails
        // with IoError once lease->may_commit() is false. Must outlive the
        // ledger.
        const RadosLeases* lease = nullptr;
        // Tests shorten it; never below the time a change may be made again.
        std::chrono::milliseconds settled_lifetime = kSettledLifetime;
        // How long a bucket's ledger, index shards and uploads must have
        // been left alone before a recount sums them (kRecountQuietWindow;
        // tests shorten it).
        std::chrono::milliseconds recount_quiet = kRecountQuietWindow;
    };
    // `instance_id` is this engine instance's lease (RadosLeases): its
    // reservations are dropped when that lease is adopted. The Client must
    // outlive the ledger.
    SpaceLedger(Client& client, std::string instance_id, Options options);
    SpaceLedger(Client& client, std::string instance_id) : SpaceLedger(client, std::move(instance_id), Options{}) {}

    // Reserves `bytes` for a write into `bucket` of user `user_id`. `mark`:
    // the object key and commit token of the write whose commit will settle
    // it (both ledgers' entries carry it, for an adopter: "Reconciliation"
    // above); none for a reservation no object commit settles. Fails:
    // QuotaExceeded (the user's, then the bucket's; a bucket refusal releases
    // the user's reservation first; never for 0 bytes), IoError (the lease
    // in Options may no longer commit).
    Result<LedgerReservation> reserve(std::string_view user_id, const LedgerBucket& bucket, std::uint64_t bytes,
                                      std::uint64_t user_quota_bytes, std::uint64_t bucket_quota_bytes,
                                      const std::optional<CommitMark>& mark = std::nullopt);
    // The write committed: its reservation ends and the deltas (of any size
    // or sign: an overwrite may shrink) are added, with no quota check.
    // Counts once however often it is made within kSettledLifetime (the
    // settled marker !s.<key>): an IoError may be answered by making it
    // again. `replaced`: the charge of the index record the commit replaced
    // (LedgerChange::replaced): its reservation, when still open, is settled
    // first in the same change.
    // `deadline` (ledger_change_deadline() before the index write): past
    // it no attempt is made (PreconditionFailed; the reservation is released
    // and the bucket queued for a recount).
    // `lock`: the committed version's move of the bucket's lock summary,
    // made on the bucket's ledger in the same change (same marker, same
    // deadline; the user's ledger has none).
    Result<void> settle(const LedgerReservation& reservation, std::int64_t delta_bytes, std::int64_t delta_objects,
                        const std::optional<CommitCharge>& replaced = std::nullopt,
                        std::optional<BootClock::time_point> deadline = std::nullopt,
                        const LockSummaryChange& lock = {});
    // The write did not happen.
    Result<void> release(const LedgerReservation& reservation);
    // A change without a reservation (deletes; writes under no quota).
    // `token` (a new_token(), or any string of the caller's without spaces,
    // unique to the change; "" none) makes it count once however often it is
    // made within kSettledLifetime, as settle; without one it is made once
    // and must not be repeated after an IoError.
    // `replaced`, `deadline` and `lock` as settle's (a commit under no
    // reservation, a delete). A failure (the deadline passed included) queues the bucket
    // for a recount (best effort).
    Result<void> apply(std::string_view user_id, const LedgerBucket& bucket, std::int64_t delta_bytes,
                       std::int64_t delta_objects, std::string_view token,
                       const std::optional<CommitCharge>& replaced = std::nullopt,
                       std::optional<BootClock::time_point> deadline = std::nullopt,
                       const LockSummaryChange& lock = {});
    // A token for apply, unique to this instance: "a.<instance>.<seq>".
    std::string new_token();
    // A version's lock changed in `bucket` with no count changing (object
    // lock's retention and legal hold calls): its ledger's lock summary moved
    // by `lock`, under a token of its own (counted once when made again).
    // `deadline` as apply's (ledger_change_deadline() taken before the index
    // write; the caller named the bucket in note_touched before it): past
    // it, or on any failure, the summary is left to a recount of the bucket,
    // queued here (best effort). So is it when the ledger does not exist
    // yet (a bucket no commit has settled on: this change must not make it,
    // in case the bucket is gone; the recount makes it for a live bucket
    // and drops the entry of a gone one): that succeeds.
    Result<void> change_lock_summary(const LedgerBucket& bucket, const LockSummaryChange& lock,
                                     BootClock::time_point deadline);

    // bytes, objects, reserved (which may still count expired reservations
    // until the next change of the ledger). Zeros for a ledger never changed.
    Result<UserUsage> usage(std::string_view user_id);
    Result<UserUsage> bucket_usage(const LedgerBucket& bucket);
    // A bucket's counts, size history and lock summary as its ledger
    // (bucket.name, bucket.epoch) holds them, into `bucket` (objects, bytes,
    // size, locked_until_ms, legal_holds). An object lock bucket's ledger
    // that exists with no lock summary (written before it) is queued for a
    // recount, which writes it (once per process; best effort). A ledger
    // never changed leaves zeros and size.last_ts at the hour of
    // bucket.created_ms (as the local backend).
    Result<void> fill_bucket_counts(Bucket& bucket);
    // The same for each of `buckets`, their ledgers read at once (aio, in
    // batches): for listings.
    Result<void> fill_bucket_counts(std::vector<Bucket>& buckets);
    // Removes a deleted bucket incarnation's ledger (its reservations, counts
    // and size history). Writes racing it (none may commit into a deleted
    // bucket) can only release, or make the object again with a late change
    // (a leak under an epoch never used again, never another bucket's count).
    Result<void> remove_bucket_ledger(const LedgerBucket& bucket);

    // Clean close, before this instance's lease is released: drops this
    // instance's open reservations and its pending object. Idempotent.
    Result<void> close();

    // Ends every open reservation of `instance`, whose lease the caller has
    // adopted (holding the AdoptedLease meanwhile; the instance is fenced),
    // then its pending object: those whose write the object index shows
    // committed are settled with its charge, the others released
    // ("Reconciliation" above). Run again after a failure: it is idempotent
    // (settled entries are gone, with their markers). Fails: InvalidArgument
    // (this ledger's own instance), IoError.
    Result<void> drop_reservations_of(std::string_view instance);
    // The sweep an engine runs at open and now and then: adopts each instance
    // of the `leases` index that is dead (RadosLeases::adopt_if_dead) and
    // drops its reservations; ending the adoption removes its lease and index
    // entry. Returns how many instances were adopted. Stops at the first
    // failure; the instance it was cleaning keeps its lease object and index
    // entry (AdoptedLease::release_unfinished), so the next sweep adopts it
    // again. An adoption found lost() is given up the same way.
    Result<std::size_t> drop_dead_reservations(Leases& leases);

    // ---- Recount (space_recount.cpp; "Recount" above)

    // Names `bucket` in touched.<instance> (once per incarnation in this
    // instance's life; concurrent first callers wait for one write): to be
    // called, and to have returned, before this instance's first index,
    // part or ledger write that changes the bucket's counts. Fails: IoError
    // (the caller then writes nothing).
    Result<void> note_touched(const LedgerBucket& bucket);
    // `bucket` was deleted by this instance: its entry leaves
    // touched.<instance> (a recount of a gone incarnation is dropped
    // anyway), so that an instance that makes and deletes many buckets does
    // not keep them all. Best effort.
    void forget_touched(const LedgerBucket& bucket);
    // Queues `bucket` for a recount (a live change of its counts failed).
    // A failure is remembered and made again by close() (queue_unqueued).
    Result<void> queue_recount(const LedgerBucket& bucket);
    // Queues an owner recount of `user_id` (owner_recount_key): its counts
    // set to the sum of its buckets' ledgers. A failure is remembered and
    // made again by close(), as queue_recount's.
    Result<void> queue_owner_recount(std::string_view user_id);
    // Moves every entry of touched.<instance> into recount.queue, then
    // removes touched.<instance>. For the adopter of `instance` (fenced:
    // it writes no more), idempotent.
    Result<void> queue_touched_of(const std::string& instance);
    // Up to `max` entries of recount.queue after `after` ("" from the first).
    struct QueuedRecount {
        std::string key;    // <bucket>/<epoch>
        std::string value;  // what unqueue_recount is guarded on
    };
    Result<std::vector<QueuedRecount>> queued_recounts(const std::string& after, std::uint32_t max);
    // Removes the entry when it still holds `queued.value` (a re-queue
    // meanwhile stays). Fails: IoError (kCompareFailed counts as done).
    Result<void> unqueue_recount(const QueuedRecount& queued);
    // A bucket ledger as a recount needs it: one consistent read.
    struct RecountState {
        bool exists = false;
        std::string ver;  // what write_recount is guarded on
        std::uint64_t bytes = 0;
        std::uint64_t objects = 0;
        bool reservations_open = false;  // one unexpired (within max_clock_skew)
        std::string pending_owner;       // recount.owner, "" none
        std::uint64_t recount_seq = 0;   // recount.seq: the last recount's sequence (0 none)
        std::int64_t lock_until_ms = 0;  // lock.until (0 none)
        std::int64_t legal_holds = 0;    // lock.holds as stored (signed)
        bool lock_known = false;         // lock.holds is there (a ledger older than the summary has none)
    };
    Result<RecountState> read_recount_state(const LedgerBucket& bucket);
    Result<RecountState> read_owner_recount_state(std::string_view user_id);
    // Sets the bucket ledger's counts, guarded on `ver` (and on no owner
    // delta pending), through the batch path (its size history changes by
    // the difference), with recount.owner = `pending_owner` ("" none) and
    // recount.seq = its token in the same write. `pending_owner`'s token
    // must be recount_seq_value(state.recount_seq + 1) of the state `ver`
    // was read with: each recount of an incarnation has a higher one. Fails: PreconditionFailed (changed since `ver`),
    // IoError (may have landed).
    // `lock`: the lock summary found in the index (the latest retain-until
    // date, the versions under legal hold): lock.until is raised to it,
    // lock.holds set to it.
    Result<void> write_recount(const LedgerBucket& bucket, const std::string& ver, std::uint64_t bytes,
                               std::uint64_t objects, const std::string& pending_owner,
                               std::optional<std::pair<std::int64_t, std::uint64_t>> lock = std::nullopt);
    // Sets the owner's counts, guarded on `ver`. Fails as write_recount.
    Result<void> write_owner_recount(std::string_view user_id, const std::string& ver, std::uint64_t bytes,
                                     std::uint64_t objects);
    // A pending owner delta's text, and its parts.
    static std::string encode_owner_delta(std::int64_t bytes, std::int64_t objects, const std::string& token,
                                          const std::string& queued_value);
    struct OwnerDelta {
        std::int64_t bytes = 0;
        std::int64_t objects = 0;
        std::string token;
        std::string queued_value;  // the queue entry's value it was recounted for
    };
    static std::optional<OwnerDelta> decode_owner_delta(std::string_view text);
    // Applies `pending` (the bucket ledger's recount.owner) to `owner`'s
    // ledger under the permanent marker !r.<bucket>/<epoch>, which keeps the
    // highest recount sequence applied (the delta's token): once, however
    // late it is made again, and never after a later recount's delta of the
    // same incarnation. Then removes it from the bucket's ledger (guarded on
    // its value). Fails: IoError.
    // `deadline`: ledger_change_deadline() taken before `pending` was read
    // (or written): past it the owner's change is not made (PreconditionFailed:
    // the next pass finishes it), so that the marker of a deleted bucket
    // incarnation can be removed once no finisher can still apply it
    // (queue_marker_prune).
    Result<void> finish_owner_delta(std::string_view owner, const LedgerBucket& bucket, const std::string& pending,
                                    std::optional<BootClock::time_point> deadline = std::nullopt);
    // After `bucket` (owned by `owner`) was deleted with its ledger: queues
    // the removal of the owner's marker !r.<bucket>/<epoch>, when it has one
    // (marker_prune_key). Best effort.
    Result<void> queue_marker_prune(std::string_view owner, const LedgerBucket& bucket);
    // A marker_prune_key entry: removes the owner's marker once the entry
    // is older than the recount_quiet window (which covers a finisher's
    // deadline, its write landing and the clocks' disagreement), then the
    // entry. false: too young, left queued.
    Result<bool> prune_marker(const QueuedRecount& entry);

    // How many changes of ledger object `oid` wait for the write in flight,
    // and the batches written so far with the changes they held (tests).
    std::size_t queued_changes(const std::string& oid) const { return batches_.queued(oid); }
    std::uint64_t batches_written() const { return batches_.batches(); }
    std::uint64_t changes_batched() const { return batches_.changes(); }
    const Options& options() const { return options_; }

private:
    using Change = LedgerChange;
    // A ledger's omap as one state, and the ver to guard a change on.
    struct LedgerRead {
        bool exists = false;
        bool consistent = true;  // false: it changed while being read, read again
        std::map<std::string, std::string> omap;
        std::string ver;
    };
    // Every key but the settled markers and their age keys, plus the
    // markers in `markers` that are set (read by key) and the oldest age keys
    // (kOldestMarkersRead, or twice `markers`), all of one state.
    Result<LedgerRead> read_ledger(const std::string& oid, const std::set<std::string>& markers);
    // Makes `c` on `oid` in a batch with this process's concurrent changes
    // of it (batches_), and returns its own result.
    Result<void> change(const std::string& oid, const Change& c);
    // change(), made again while it fails with IoError when `c` may be made
    // twice (a token, or only ending reservations): kLedgerChangeAttempts.
    Result<void> change_retried(const std::string& oid, const Change& c);
    // Reads `oid`, plans `batch` on it and writes it (retried on conflict).
    std::vector<Result<void>> write_batch(const std::string& oid, LedgerCombiner::Batch batch);
    Result<UserUsage> read_usage(const std::string& oid);
    // Ends every reservation of `instance` on the ledgers its pending object
    // names, then that object. `reconcile`: an entry whose mark the index
    // shows committed is settled with its commit's charge first.
    Result<void> drop_all_of(const std::string& instance, bool reconcile);
    // What the index answered per (bucket ledger, key, token), within one drop.
    using CommitLookups = std::map<std::tuple<std::string, std::string, std::uint64_t>, std::optional<FoundCommit>>;
    // Settles each entry of `instance` on `ledger` that carries a commit mark
    // whose commit the index shows, with that commit's charge.
    Result<void> settle_committed_of(const std::string& instance, const std::string& ledger, CommitLookups& lookups);
    // Notes reservation `key`, about to be made on both ledgers, naming them
    // in pending.<instance_id_> first when no open reservation does yet.
    Result<void> note_pending(const std::string& key, const std::string& user_ledger, const std::string& bucket_ledger);
    // Reservation `key` on `ledger` ended (or was never made): the ledger
    // leaves pending.<instance_id_> when it was the last. Ending one twice
    // (a failed commit gives it back, then its writer) changes nothing.
    void forget_pending(const std::string& ledger, const std::string& key);
    bool is_own(const LedgerReservation& r) const;
    Result<void> end_reservation(const LedgerReservation& reservation, const Change& c);
    Result<RecountState> read_recount_state_of(const std::string& oid);
    // Queues what queue_recount failed to (kept when it fails again).
    Result<void> queue_unqueued();

    Client& client_;
    const std::string instance_id_;
    const Options options_;
    std::atomic<std::uint64_t> next_seq_{1};
    // Held across the writes of pending.<instance_id_> (note and prune), so
    // that a prune never removes an entry a reserve just counted on. Never
    // held while changing a ledger: a change may wait for another thread's
    // batch (batches_), which must not need it.
    std::mutex mutex_;
    // Ledgers in pending.<instance_id_>, each with the keys of this
    // instance's reservations that may be open on it (none: the entry's
    // removal failed, and it may or may not be there).
    std::map<std::string, std::set<std::string>> noted_;
    // This instance's changes queued per ledger object.
    LedgerCombiner batches_;
    // Bucket incarnations in touched.<instance_id_>: true once written,
    // false while a caller writes it (the others wait on touched_written_).
    std::mutex touched_mutex_;
    std::condition_variable touched_written_;
    std::map<std::string, bool> touched_;
    // recount.queue keys (recount_key, owner_recount_key) whose queueing
    // failed: made again at close.
    std::set<std::string> unqueued_;
    // Object lock buckets' ledgers found with no lock summary (older than
    // it), queued for a recount once per process (fill_bucket_counts).
    std::mutex summary_queued_mutex_;
    std::set<std::string> summary_queued_;
    void queue_missing_summary(const Bucket& bucket, const std::map<std::string, std::string>& omap);
};

}  // namespace ostor::detail::rados
