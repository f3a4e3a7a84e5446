// Object data: append-only segment files under <data>/blobs/.
//
// A process appends only to segments it has claimed (an exclusive flock held
// while the file is open), so writers of different processes never touch the
// same file. Space is handed out as block-aligned regions, so every extent
// owns whole blocks: deleting one punches exactly its blocks
// (FALLOC_FL_PUNCH_HOLE) and a segment left without extents is unlinked.
//
// Which bytes of a segment are live is recorded in the Extents table, in the
// same transactions as the objects that reference them. A segment closed
// cleanly is marked in the Segments table; one that is not (its process
// crashed) is recovered by the next process that opens the store: every
// byte not covered by a committed extent is punched and the tail truncated.
// Extents that lost their last reference are listed in the FreedExtents
// table by the same transaction, and punched after it by a thread of their
// own (segment_reclaim.cpp): a write or delete is not answered later for it.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "local/commit_queue.hpp"
#include "local/direct_io.hpp"
#include "local/early_syncs.hpp"
#include "local/lmdb_env.hpp"
#include "ostor/error.hpp"
#include "storage/blob_store.hpp"
#include "storage/extent.hpp"

namespace ostor::detail {

constexpr std::uint64_t kBlockBytes = 4096;
// Bounds the space a crashed writer can leave behind and the size of a file
// a recovery has to scan.
constexpr std::uint64_t kSegmentMaxBytes = std::uint64_t{64} << 20;
inline std::uint64_t round_up_block(std::uint64_t n) { return (n + kBlockBytes - 1) / kBlockBytes * kBlockBytes; }

class SegmentStore;

// A segment this process appends to. Shared by the writers that have space in
// it; when the last one lets go of a sealed segment, the store retires it.
struct Segment {
    std::uint64_t id = 0;
    int fd = -1;  // read-write, flocked exclusively
    // In a segment for large bodies: the same file opened with O_DIRECT,
    // through which every write of it goes (local/direct_io.hpp); they
    // bypass the page cache, whose writeback of large bodies is far slower
    // than the disk. -1 in a segment written through the page cache.
    int direct_fd = -1;
    // Set when the file system refused a direct write (EINVAL) although it
    // accepted the open: the writes still to come go through `fd`. Such a
    // refusal comes for every direct write of the file, so no page of it is
    // written both ways.
    std::atomic<bool> direct_refused{false};
    bool takes_direct() const { return direct_fd >= 0 && !direct_refused.load(std::memory_order_relaxed); }
    std::uint64_t end = 0;  // next free offset (appends only)
    // Set once a write or sync of the segment failed. Linux reports a failed
    // writeback once per open file, to whichever sync comes first, and marks
    // the pages clean though they never reached the disk: the next writer's
    // fdatasync would then return 0 for data that is lost. So every later sync
    // of a failed segment fails too, and no new space is handed out in it.
    std::atomic<bool> failed{false};
    // Held from the check of `failed` through the sync to its marking: of
    // two syncs of the file at once (a commit's and an early one), only one
    // would be told of a failed writeback, and the other would pass.
    std::mutex sync_mu;
    // The store that made the file, and the file's number among those it
    // made: its directory entry is made durable by the first sync of its
    // data (SegmentStore::sync_entries), not when it is made, so that a body
    // crossing segments never waits for a directory sync while it streams.
    SegmentStore* store = nullptr;
    std::uint64_t created_seq = 0;
};

// Makes the data written to `segment` durable (fdatasync), and its directory
// entry. Fails for ever once any write or sync of it failed. Fails: IoError,
// NoSpace.
Result<void> sync_segment(Segment& segment);
// Records that a write of `segment` failed (see Segment::failed).
void mark_segment_failed(Segment& segment);

namespace testing {
// Test only: the next `count` syncs of segment data fail with `err` after
// really syncing, as a failed writeback does (the pages end up clean).
void fail_next_segment_syncs(int count, int err);
// Test only: waits until every store punched the extents handed to its
// release() so far (or found them pinned by a reader).
void wait_for_reclaims();
// Test only: while held, the extents handed to release() wait, and a store
// closed meanwhile leaves them unpunched and listed, as a crash does (a
// release() after unholding wakes a store again).
void hold_reclaims(bool hold);
}  // namespace testing

// Space in a segment handed to one writer.
struct Region {
    std::shared_ptr<Segment> segment;  // segment->takes_direct(): write it only with O_DIRECT
    std::uint64_t offset = 0;
    std::uint64_t capacity = 0;
};

// A read-write descriptor of any segment, for reads and hole punching.
struct SegmentFile {
    explicit SegmentFile(int f) : fd(f) {}
    ~SegmentFile();
    SegmentFile(const SegmentFile&) = delete;
    SegmentFile& operator=(const SegmentFile&) = delete;
    int fd;
};

// Read locks (OFD byte-range locks on private descriptors) on the extents a
// reader is about to read. While held, no process punches those bytes, so a
// read that began before an overwrite or delete completes with the data it
// started on. Closing the descriptors drops the locks.
class ReadPins {
public:
    ReadPins() = default;
    ReadPins(ReadPins&&) = default;
    ReadPins& operator=(ReadPins&&) = default;
    // The pinned descriptor of a segment (only segments passed to pin()).
    int fd(std::uint64_t segment) const;

private:
    friend class SegmentStore;
    std::vector<std::pair<std::uint64_t, std::shared_ptr<SegmentFile>>> files_;
};

// The segments a change's data went to (StagedData of the local backend):
// the commit queue syncs them before it commits the change.
struct LocalStagedData final : StagedData {
    CommitQueue::DataFiles segments;
};

class SegmentStore {
public:
    SegmentStore(std::filesystem::path blobs_dir, const Env& env, CommitQueue& commits);
    ~SegmentStore();

    // Recovers every segment no live process holds. Run at open.
    Result<void> recover();

    // Space for `bytes` (1..kExtentMaxBytes) in this process's active segment
    // for direct or for buffered writes (a new one when a write or sync of
    // the active one failed). `direct` is a wish: the region is in a
    // buffered segment where the volume takes no direct writes.
    Result<Region> allocate(std::uint64_t bytes, bool direct);

    // The alignment of direct writes to this volume's segments (disabled
    // before recover() and where the file system takes none).
    DirectIo direct_io() const { return direct_enabled_.load() ? direct_ : DirectIo{}; }
    // After the file system refused a direct write of `segment`: neither
    // it nor segments made later take direct writes.
    void refuse_direct(Segment& segment);

    // Gives back the blocks of [offset, offset+length) (written, never
    // committed, so nobody reads them); false when the file system failed
    // to (a failure leaves garbage that a recovery or a retry frees).
    static bool punch(int fd, std::uint64_t offset, std::uint64_t length);
    // The same for bytes a reader may still hold pinned: punches only when no
    // read lock covers them and says whether it did (false: pinned, or the
    // punch failed).
    static bool punch_unless_pinned(int fd, std::uint64_t offset, std::uint64_t length);

    // Pins `extents` for reading. Fails: IoError (a segment is gone).
    Result<ReadPins> pin(const std::vector<Extent>& extents);
    // After a reader let go of its pins: frees those of `extents` that lost
    // their last reference while it read.
    void release_if_unreferenced(const std::vector<Extent>& extents);

    // A descriptor for reading a segment. Fails: IoError (missing file).
    Result<std::shared_ptr<SegmentFile>> open_file(std::uint64_t segment);

    // After a commit that dropped the last reference to `freed` extents (and
    // listed them in the FreedExtents table): hands them to the reclaimer
    // thread, which punches their blocks, unlinks segments left empty and
    // then forgets their rows. Nobody waits for it: on ext4 punching 64 MiB
    // takes about 30 ms (more with online discard), so an overwrite of 1 GiB
    // would be answered half a second later. A crash before the rows are
    // forgotten leaves them to the next recover().
    void release(const std::vector<Extent>& freed);

    // Makes durable the directory entries of the segments made up to
    // `created_seq` (one sync of the directory covers all made before it).
    Result<void> sync_entries(std::uint64_t created_seq);

    // Reference counting of extents, inside a metadata transaction.
    static void add_refs(Txn& txn, const std::vector<Extent>& extents);
    // Appends to `freed` the extents whose last reference went.
    static void drop_refs(Txn& txn, const std::vector<Extent>& extents, std::vector<Extent>& freed);
    // Every extent of the Extents or the FreedExtents table (rows keyed
    // by segment and offset, their values beginning with the length), in
    // place order.
    static std::vector<Extent> extents_in(const Txn& txn, Table table);

    std::uint64_t segments_created() const { return segments_created_; }

private:
    std::filesystem::path path_of(std::uint64_t segment) const;
    Result<std::shared_ptr<Segment>> create_segment(bool direct);
    void retire(Segment* segment);
    void drain_retired();
    // Gap recovery of a segment we hold; unlinks it when no extent is left.
    Result<void> recover_segment(std::uint64_t id, int fd, bool clean);
    bool has_extents(std::uint64_t segment);
    void unlink_segment(std::uint64_t id);
    // Unlinks it when no extent is left in it and nobody appends to it.
    bool unlink_if_empty(std::uint64_t id);
    bool is_gone(std::uint64_t segment) const;
    bool sync_dir();
    // The reclaimer (segment_reclaim.cpp): punches `freed` (but extents a
    // reader pins: that reader's release_if_unreferenced hands them back),
    // unlinks segments left empty, forgets the rows of what it punched.
    void reclaim_loop();
    void reclaim(const std::vector<Extent>& freed);
    void stop_reclaimer();
    // At open: what a process that crashed had not punched yet.
    Result<void> reclaim_listed();

    std::filesystem::path blobs_dir_;
    const Env& env_;
    CommitQueue& commits_;

    DirectIo direct_;  // set by recover()
    std::atomic<bool> direct_enabled_{false};

    std::mutex mu_;
    std::array<std::shared_ptr<Segment>, 2> active_;  // [direct]
    std::mutex retired_mu_;                           // separate: a segment may retire while mu_ is held
    std::vector<std::unique_ptr<Segment>> retired_;
    std::unordered_map<std::uint64_t, std::shared_ptr<SegmentFile>> files_;
    std::uint64_t segments_created_ = 0;

    std::mutex entries_mu_;  // one directory sync at a time
    std::atomic<std::uint64_t> entries_created_{0};
    std::atomic<std::uint64_t> entries_synced_{0};

    // Full segments synced before their commits (local/early_syncs.hpp).
    std::unique_ptr<EarlySyncs> early_syncs_ = std::make_unique<EarlySyncs>();

    std::mutex reclaim_mu_;
    std::condition_variable reclaim_cv_;
    std::vector<Extent> to_reclaim_;
    bool reclaim_stopping_ = false;
    std::thread reclaimer_;  // last: started once the rest is constructed
};

std::string extent_key(std::uint64_t segment, std::uint64_t offset);

}  // namespace ostor::detail
