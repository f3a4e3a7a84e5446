// The local backend's blob store: object bodies in this volume's segment
// files (local/segment_store.hpp), written and read through io_uring rings
// (local/uring.hpp).
//
// A writer appends to block-aligned regions of this process's active
// segment; each region becomes one extent with its CRC32C. Its data is made
// durable by the commit that refers to it: finish() hands the segments
// written to the commit queue (LocalStagedData), which fdatasyncs them before
// committing. A reader pins the extents it reads with read locks, so that a
// delete or overwrite committed meanwhile cannot punch them under it.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "local/segment_store.hpp"
#include "local/uring.hpp"
#include "storage/blob_store.hpp"

namespace ostor::detail {

class LocalBlobStore final : public BlobStore {
public:
    // `segments` must outlive the store and every writer and reader it made.
    explicit LocalBlobStore(SegmentStore& segments) : segments_(segments) {}

    Result<void> recover() override;
    std::unique_ptr<BlobWriter> begin_write() override;
    Result<std::unique_ptr<BlobReads>> pin(const std::vector<Extent>& extents) override;
    void release(const FreedExtents& freed) override;
    bool verify(const Extent& x, std::span<std::byte> buf) override;

private:
    SegmentStore& segments_;
    RingPool rings_;
};

// One body's writes. Each write goes to the writer's current region while it
// has room, else to a new region sized for what is known to follow.
class LocalBlobWriter final : public BlobWriter {
public:
    LocalBlobWriter(SegmentStore& segments, RingPool& rings) : segments_(segments), rings_(rings) {}
    // Waits for the writes in flight, then punches every region written
    // unless committed().
    ~LocalBlobWriter() override;
    LocalBlobWriter(const LocalBlobWriter&) = delete;
    LocalBlobWriter& operator=(const LocalBlobWriter&) = delete;

    // At most Ring::kDepth writes in flight; `data` at most kExtentMaxBytes.
    // A large body whose buffers suit O_DIRECT goes to a segment written
    // only that way, its last bytes padded (from `room`); the rest through
    // the page cache, to other segments.
    Result<void> write(std::span<const std::byte> data, unsigned tag, std::optional<std::uint64_t> rest,
                       std::size_t room) override;
    Result<void> wait(unsigned tag) override;
    // `data` is a LocalStagedData naming the segments written (none when
    // nothing was written).
    Result<StagedBlobs> finish() override;
    void committed() override { committed_ = true; }

private:
    struct WrittenRegion {
        Region region;
        std::uint64_t used = 0;  // bytes written from region.offset
        std::uint32_t crc = 0;
        // Written up to a padded end (direct): later bytes go to a new region.
        bool closed = false;
    };
    struct InFlight {
        unsigned tag = 0;
        Segment* segment = nullptr;  // kept alive by regions_
        std::uint64_t offset = 0;
        std::size_t length = 0;
        bool direct = false;  // written with O_DIRECT
    };
    // Below this a body goes through the page cache even when aligned: a
    // small body is cheaper to copy than to wait for the disk.
    static constexpr std::size_t kDirectMinBytes = 64 * 1024;
    // The length `data` is written with O_DIRECT (padded into `room`), or 0
    // when its buffer does not suit it. Offsets in direct regions are
    // aligned: every write but a region's last is whole blocks.
    std::size_t direct_length(std::span<const std::byte> data, std::size_t room) const;
    // Where `data` goes: the current region, or a new one.
    Result<WrittenRegion*> region_for(std::span<const std::byte> data, bool direct, std::optional<std::uint64_t> rest);

    // A failed completion does not say which write failed: every segment
    // written to and not yet completed is taken as failed.
    void fail_segments_in_flight();
    // Waits for every write in flight; the last failure, if any.
    Result<void> wait_all();
    bool in_flight(unsigned tag) const;
    void completed(const IoCompletion& done);

    SegmentStore& segments_;
    RingPool& rings_;
    RingPool::Handle ring_{nullptr, RingPool::Return{nullptr}};
    std::vector<WrittenRegion> regions_;
    std::array<InFlight, Ring::kDepth> in_flight_{};
    std::size_t in_flight_count_ = 0;
    std::uint64_t written_ = 0;  // body bytes so far
    bool committed_ = false;
};

// The pinned extents of one read and the ring reading them.
class LocalBlobReads final : public BlobReads {
public:
    LocalBlobReads(SegmentStore& segments, RingPool& rings, ReadPins pins, std::vector<Extent> extents)
        : segments_(segments), rings_(rings), pins_(std::move(pins)), extents_(std::move(extents)) {}
    // Waits for the reads in flight (their buffers may go next), drops the
    // read locks, then frees what was deleted meanwhile.
    ~LocalBlobReads() override;
    LocalBlobReads(const LocalBlobReads&) = delete;
    LocalBlobReads& operator=(const LocalBlobReads&) = delete;

    // At most Ring::kDepth reads in flight.
    void submit(const Extent& x, std::uint64_t offset, std::span<std::byte> out, std::uint64_t tag) override;
    Result<std::uint64_t> wait() override;
    std::size_t in_flight() const override { return ring_ ? ring_->in_flight() : 0; }

private:
    SegmentStore& segments_;
    RingPool& rings_;
    ReadPins pins_;
    std::vector<Extent> extents_;  // those pinned
    RingPool::Handle ring_{nullptr, RingPool::Return{nullptr}};
};

}  // namespace ostor::detail
