#include "local/blob_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>

#include "hashing.hpp"

namespace ostor::detail {

// ---- LocalBlobStore --------------------------------------------------------

Result<void> LocalBlobStore::recover() { return segments_.recover(); }

std::unique_ptr<BlobWriter> LocalBlobStore::begin_write() {
    return std::make_unique<LocalBlobWriter>(segments_, rings_);
}

Result<std::unique_ptr<BlobReads>> LocalBlobStore::pin(const std::vector<Extent>& extents) {
    auto pins = segments_.pin(extents);
    if (!pins) return std::move(pins).error();
    return std::unique_ptr<BlobReads>(std::make_unique<LocalBlobReads>(segments_, rings_, std::move(*pins), extents));
}

void LocalBlobStore::release(const FreedExtents& freed) { segments_.release(freed); }

bool LocalBlobStore::verify(const Extent& x, std::span<std::byte> buf) {
    assert(buf.size() >= x.length);
    auto file = segments_.open_file(x.segment);
    ssize_t n = file ? ::pread((*file)->fd, buf.data(), x.length, static_cast<off_t>(x.offset)) : -1;
    return n == static_cast<ssize_t>(x.length) && crc32c(buf.first(x.length)) == x.crc;
}

// ---- LocalBlobWriter -------------------------------------------------------

LocalBlobWriter::~LocalBlobWriter() {
    (void)wait_all();
    if (committed_) return;
    // Written, never committed: nobody reads these blocks.
    for (auto& wr : regions_) SegmentStore::punch(wr.region.segment->fd, wr.region.offset, wr.used);
}

Result<void> LocalBlobWriter::write(std::span<const std::byte> data, unsigned tag, std::optional<std::uint64_t> rest) {
    assert(!data.empty() && data.size() <= kExtentMaxBytes);
    assert(in_flight_count_ < in_flight_.size() && !in_flight(tag));
    if (regions_.empty() || regions_.back().region.capacity - regions_.back().used < data.size()) {
        // A new extent: as large as the rest of the body is known to be,
        // at most kExtentMaxBytes.
        std::uint64_t want = kExtentMaxBytes;
        if (rest) want = std::min<std::uint64_t>(data.size() + std::min(*rest, kExtentMaxBytes), kExtentMaxBytes);
        auto region = segments_.allocate(want);
        if (!region) return std::move(region).error();
        regions_.push_back(WrittenRegion{std::move(*region), 0, 0});
    }
    auto& wr = regions_.back();
    wr.crc = crc32c(data, wr.crc);
    if (!ring_) ring_ = rings_.acquire();
    Segment& seg = *wr.region.segment;
    std::uint64_t offset = wr.region.offset + wr.used;
    bool direct = seg.direct_fd >= 0 && block_aligned(data, offset);
    if (direct)
        ring_->write(seg.direct_fd, data.data(), data.size(), offset, tag, seg.fd);
    else
        ring_->write(seg.fd, data.data(), data.size(), offset, tag);
    in_flight_[in_flight_count_++] = InFlight{tag, &seg, offset, data.size(), direct};
    wr.used += data.size();
    return {};
}

bool LocalBlobWriter::block_aligned(std::span<const std::byte> data, std::uint64_t offset) {
    // A body's last bytes and small bodies are rarely whole blocks: they go
    // through the page cache. Their blocks are never written directly (a
    // region starts on a block and continues only after whole blocks).
    return data.size() >= kDirectMinBytes && data.size() % kBlockBytes == 0 && offset % kBlockBytes == 0 &&
           reinterpret_cast<std::uintptr_t>(data.data()) % kBlockBytes == 0;
}

bool LocalBlobWriter::in_flight(unsigned tag) const {
    return std::any_of(in_flight_.begin(), in_flight_.begin() + static_cast<std::ptrdiff_t>(in_flight_count_),
                       [&](const InFlight& f) { return f.tag == tag; });
}

void LocalBlobWriter::completed(unsigned tag) {
    for (std::size_t i = 0; i < in_flight_count_; ++i) {
        if (in_flight_[i].tag != tag) continue;
        const InFlight& range = in_flight_[i];
        // Start writing the page cache out now, so that the commit's
        // fdatasync finds little left to do. A failure here may be the
        // only report of lost pages: the segment is never trusted again.
        // (A direct write left nothing there; the commit's fdatasync still
        // flushes the disk's cache and the file's size.)
        if (!range.direct && ::sync_file_range(range.segment->fd, static_cast<off_t>(range.offset),
                                               static_cast<off_t>(range.length), SYNC_FILE_RANGE_WRITE) != 0)
            mark_segment_failed(*range.segment);
        in_flight_[i] = in_flight_[--in_flight_count_];
        return;
    }
}

Result<void> LocalBlobWriter::wait(unsigned tag) {
    while (in_flight(tag)) {
        if (!ring_ || ring_->in_flight() == 0) {  // its failure was reported already
            in_flight_count_ = 0;
            break;
        }
        auto done = ring_->wait();
        if (!done) {
            fail_segments_in_flight();
            return std::move(done).error();
        }
        completed(static_cast<unsigned>(done->tag));
    }
    return {};
}

void LocalBlobWriter::fail_segments_in_flight() {
    for (std::size_t i = 0; i < in_flight_count_; ++i) mark_segment_failed(*in_flight_[i].segment);
}

Result<void> LocalBlobWriter::wait_all() {
    Result<void> out;
    while (ring_ && ring_->in_flight() > 0) {
        auto done = ring_->wait();
        if (!done) {
            fail_segments_in_flight();
            out = std::move(done).error();
        }
    }
    in_flight_count_ = 0;
    return out;
}

Result<StagedBlobs> LocalBlobWriter::finish() {
    auto waited = wait_all();
    ring_.reset();  // the data is written: the ring can serve others while the commit waits
    if (!waited) return std::move(waited).error();
    StagedBlobs out;
    if (regions_.empty()) return out;
    auto staged = std::make_shared<LocalStagedData>();
    out.extents.reserve(regions_.size());
    for (auto& wr : regions_) {
        out.extents.push_back(
            Extent{wr.region.segment->id, wr.region.offset, static_cast<std::uint32_t>(wr.used), wr.crc});
        if (staged->segments.empty() || staged->segments.back() != wr.region.segment)
            staged->segments.push_back(wr.region.segment);
    }
    out.data = std::move(staged);
    return out;
}

// ---- LocalBlobReads --------------------------------------------------------

LocalBlobReads::~LocalBlobReads() {
    if (ring_) {
        while (ring_->in_flight() > 0) (void)ring_->wait();
    }
    ring_.reset();
    pins_ = ReadPins();  // drop the read locks, then free what was deleted meanwhile
    segments_.release_if_unreferenced(extents_);
}

void LocalBlobReads::submit(const Extent& x, std::uint64_t offset, std::span<std::byte> out, std::uint64_t tag) {
    assert(offset + out.size() <= x.length && pins_.fd(x.segment) >= 0);
    if (!ring_) ring_ = rings_.acquire();
    ring_->read(pins_.fd(x.segment), out.data(), out.size(), x.offset + offset, tag);
}

Result<std::uint64_t> LocalBlobReads::wait() {
    assert(ring_ && ring_->in_flight() > 0);
    auto done = ring_->wait();
    if (!done) return std::move(done).error();
    return done->tag;
}

}  // namespace ostor::detail
