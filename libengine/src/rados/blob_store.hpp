// The RADOS backend's blob store (storage/blob_store.hpp): object bodies in
// data-pool objects named uniquely per write, never after the key.
//
// Layout (docs/rados.md, "Blob store"):
//   data pool  blob.<16 hex>           one writer's extents, back to back, up
//                                      to kBlobObjectMaxBytes; Extent::segment
//                                      is the id, Extent::offset the position.
//                                      xattr `refs`: references (decimal text);
//                                      xattr `gc_due`: see kGcDueXattr
//   meta pool  blobs.pending.<instance> omap blob.<id> -> "": objects an
//                                      instance's writers made and no commit
//                                      took yet (what a crash may leave)
//              gc.<shard>              omap <due ms, 20 digits>.blob.<id> -> "":
//                                      objects whose references reached 0,
//                                      removed once due (collect_due)
//
// References. `refs` counts extent references: each extent of the object that
// a catalog record holds counts one, once per record (a copy that shares an
// extent adds one). It is changed only by compare-and-set on the xattr
// (cmpxattr), so concurrent changes from several gateways never lose one.
// The catalog must order its reference changes around its index writes so
// that a crash between them leaves a leak, never a loss:
//   - add_refs(extents) BEFORE the index write that makes a record refer to
//     them (a crash after it: the count is one too high, the object leaks);
//   - release(freed) AFTER the index write that dropped the reference (a
//     crash before it: the same leak).
// A leak is found by a recount (a scrub that counts, per blob object, the
// extent references in the object index and rewrites `refs` when it is
// higher; objects with no reference at all are queued for collection). That
// scrub is not built: done online it must not lower a count that a change in
// flight still moves (docs/rados.md, "References").
//
// Writers. A new object's id is drawn at random and the object created
// exclusively (redrawn on EEXIST). Before that, the id is listed in the
// instance's pending list, so a crash leaves a list of what may be garbage.
// finish() sets each object's `refs` to its number of extents (compare-and-
// set from absent) after every write completed: the body is referenced from
// then on. committed() then drops the writer's pending entries (without
// waiting: it is best effort, see recover()). A writer
// destroyed without committed() removes its objects, then their entries.
// (Setting `refs` in finish() rather than committed() is deliberate:
// committed() cannot fail, and a count that failed to be set there would
// leave committed data that recover() removes. Here a crash between finish()
// and the catalog's commit leaks the body instead, which the recount finds.)
//
// Collection. release() never removes an object: one whose count reaches 0
// is queued in gc.<shard> with a due time `grace` later (default
// kGcGracePeriod, like RGW's rgw_gc_obj_min_wait), so that a reader that
// pinned it, perhaps through another gateway, completes. collect_due(now)
// removes what is due, each removal guarded on `refs` still being "0" (an
// add_refs meanwhile revives it; its queue entry is then dropped) and on
// `gc_due` naming this entry's due time (an object released, revived and
// released again is removed by its last release's entry only, so that the
// last release's grace period holds). The engine
// runs collect_due periodically, one collector at a time under a lease (any
// number would be safe, as removals are guarded; one avoids duplicate work).
//
// Reads. pin() needs no lock: an object is removed only after the grace
// period following its last release, longer than any read. It checks that
// each object exists (IoError otherwise, like the local store).
//
// Recovery. recover() adopts every instance in the `leases` index whose lease
// is dead (Leases::adopt_if_dead) and removes those of its pending objects
// that no catalog references, which here means: `refs` never set (finish()
// did not complete). Objects with refs set are kept (a committed body, or a
// leak the recount finds), and the pending list goes.
//
// Concurrency: the store is safe from any thread; a writer or a BlobReads is
// used by one thread at a time. The Client and Leases must outlive the store
// and everything it returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ostor/error.hpp"
#include "rados/client.hpp"
#include "storage/blob_store.hpp"
#include "storage/leases.hpp"

namespace ostor::detail::rados {

// One object holds at most this much of one writer's body (a 1 GiB body is
// ~256 objects): large enough that a big body costs few object creations,
// small enough to spread over the OSDs and stay far below osd_max_object_size.
inline constexpr std::uint64_t kBlobObjectMaxBytes = std::uint64_t{4} << 20;
// How long an object whose references reached 0 stays readable.
inline constexpr std::chrono::milliseconds kGcGracePeriod = std::chrono::hours(2);
// Collection queues: several objects so that releases from many gateways do
// not all write one omap.
inline constexpr unsigned kGcShardCount = 8;

// ---- Layout
inline constexpr std::string_view kRefsXattr = "refs";
// Set with a count of 0: the due time (20 digits, ms) of the queue entry that
// may remove the object; older entries of it may not.
inline constexpr std::string_view kGcDueXattr = "gc_due";
std::string due_text(std::int64_t due_ms);
std::string blob_oid(std::uint64_t id);                     // "blob.<16 hex>"
std::string blob_pending_oid(std::string_view instance);    // "blobs.pending.<instance>"
std::string gc_oid(unsigned shard);                         // "gc.<shard>"
std::string gc_key(std::int64_t due_ms, std::uint64_t id);  // "<20 digits>.blob.<16 hex>"

class RadosBlobStore final : public BlobStore {
public:
    struct Options {
        std::chrono::milliseconds grace = kGcGracePeriod;  // tests use short ones
    };
    // `leases`: this instance's (its id names the pending list; recover()
    // adopts through it).
    RadosBlobStore(Client& client, Leases& leases, Options options);
    RadosBlobStore(Client& client, Leases& leases) : RadosBlobStore(client, leases, Options{}) {}

    // Cleans every dead instance it can adopt (clean_instance); an instance
    // alive or adopted elsewhere is skipped. Fails: IoError (listing).
    Result<void> recover() override;
    std::unique_ptr<BlobWriter> begin_write() override;
    Result<std::unique_ptr<BlobReads>> pin(const std::vector<Extent>& extents) override;
    // Blob objects are written once and removed only kGcGracePeriod after
    // their last reference went: a pin that found them all is enough.
    bool pins_prove_contents() const override { return true; }
    // Drops one reference per extent; objects reaching 0 are queued for
    // collection. Failures leave a leak (never a loss). Unlike the local
    // store's, `freed` holds every extent reference the change dropped, not
    // only last ones: the count lives here, on the blob object, so the RADOS
    // catalog keeps none (a record deleted hands over all its extents).
    // Each object's count changes once, all objects at once (aio, bounded),
    // each one's steps in order (docs/rados.md, "References").
    void release(const FreedExtents& freed) override;
    bool verify(const Extent& x, std::span<std::byte> buf) override;

    // Adds one reference per extent (see the header comment for the order
    // against the index write). Fails: NoSuchKey (an object is gone: the
    // extents cannot be shared), IoError. On failure, references added to
    // some objects stay (a leak).
    Result<void> add_refs(const std::vector<Extent>& extents);
    // Removes the queued objects due at `now` whose count is still 0; returns
    // how many it removed. Fails: IoError (what it did stays done).
    Result<std::size_t> collect_due(std::chrono::system_clock::time_point now);
    // Removes `instance`'s unreferenced pending objects and its pending list.
    // The caller holds `instance`'s adopted lease (the engine may share one
    // adoption with the space ledger's sweep). Returns objects removed.
    Result<std::size_t> clean_instance(const std::string& instance);

    // Tests only: called on the calling thread before each round of a
    // release's or add_refs' guarded count changes (attempt 0, then 1, ...
    // for the counts that lost a race), after their counts were read:
    // another client's change made here loses the round for that object.
    // Set it before the store is shared between threads.
    using BeforeRefsChange = std::function<void(int attempt)>;
    void set_before_refs_change_for_tests(BeforeRefsChange hook) { before_refs_change_ = std::move(hook); }

    Client& client() { return client_; }
    const std::string& instance() const { return leases_.instance_id(); }
    std::chrono::milliseconds grace() const { return options_.grace; }

private:
    // The steps of add_refs() and release(), each for many objects at once
    // (blob_store.cpp).
    struct RefsChange;
    // One change per object of `extents`: sign (+1 or -1) times its extents.
    static std::vector<RefsChange> refs_changes(const std::vector<Extent>& extents, std::int64_t sign);
    // Calls window(objects) for each kRefsWindow of `objects` in turn, until
    // one returns false.
    template <typename Window>
    static void in_windows(std::vector<RefsChange>& objects, Window&& window);
    // Releases `objects` (one window of a release): read, queue, change,
    // and again for those that lost a race.
    void release_window(std::vector<RefsChange*> objects, std::int64_t due_ms);
    // Reads each object's `refs`; drops from `objects` those it could not
    // read (and those that are gone), returning the first such failure.
    std::optional<Error> read_counts(std::vector<RefsChange*>& objects);
    // Writes each object's gc entry, one write per queue; marks those written.
    void queue_for_collection(const std::vector<RefsChange*>& objects, std::int64_t due_ms);
    // Changes each object's count by its delta (clamped at 0; a count that
    // reaches 0 gets `due_if_zero` as its kGcDueXattr in the same step), by
    // compare-and-set against what was read. Leaves in `objects` those that
    // lost a race (to be read again); returns the first other failure.
    std::optional<Error> change_counts(std::vector<RefsChange*>& objects, const std::string& due_if_zero);

    Client& client_;
    Leases& leases_;
    const Options options_;
    BeforeRefsChange before_refs_change_;
};

}  // namespace ostor::detail::rados
