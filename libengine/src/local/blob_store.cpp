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
    for (auto& wr : regions_) (void)SegmentStore::punch(wr.region.segment->fd, wr.region.offset, wr.used);
}

Result<void> LocalBlobWriter::write(std::span<const std::byte> data, unsigned tag, std::optional<std::uint64_t> rest,
                                    std::size_t room) {
    assert(!data.empty() && data.size() <= kExtentMaxBytes);
    assert(in_flight_count_ < in_flight_.size() && !in_flight(tag));
    std::size_t direct_len = direct_length(data, room);
    auto wr = region_for(data, direct_len > 0, rest);
    if (!wr) return std::move(wr).error();
    WrittenRegion& region = **wr;
    region.crc = crc32c(data, region.crc);
    if (!ring_) ring_ = rings_.acquire();
    Segment& seg = *region.region.segment;
    std::uint64_t offset = region.region.offset + region.used;
    // A segment refusing direct writes takes buffered ones (no direct
    // write of it succeeded, see Segment::direct_refused).
    bool direct = seg.takes_direct();
    if (direct) {
        assert(direct_len > 0);
        ring_->write(seg.direct_fd, data.data(), direct_len, offset, tag, seg.fd);
        region.closed = direct_len != data.size();
    } else {
        ring_->write(seg.fd, data.data(), data.size(), offset, tag);
    }
    in_flight_[in_flight_count_++] = InFlight{tag, &seg, offset, data.size(), direct};
    region.used += data.size();
    written_ += data.size();
    return {};
}

Result<LocalBlobWriter::WrittenRegion*> LocalBlobWriter::region_for(std::span<const std::byte> data, bool direct,
                                                                    std::optional<std::uint64_t> rest) {
    if (!regions_.empty()) {
        auto& wr = regions_.back();
        bool fits = !wr.closed && wr.region.capacity - wr.used >= data.size();
        // A direct segment takes no buffered write (local/direct_io.hpp).
        if (fits && (direct || !wr.region.segment->takes_direct())) return &wr;
    }
    // A new extent: as large as the rest of the body is known to be, at
    // most kExtentMaxBytes.
    std::uint64_t want = kExtentMaxBytes;
    if (rest) want = std::min<std::uint64_t>(data.size() + std::min(*rest, kExtentMaxBytes), kExtentMaxBytes);
    // Counting what the body had before: its last bytes go direct too.
    bool large = !rest || written_ + data.size() + *rest >= kDirectMinBytes;
    auto region = segments_.allocate(want, direct && large);
    if (!region) return std::move(region).error();
    regions_.push_back(WrittenRegion{std::move(*region), 0, 0, false});
    return &regions_.back();
}

std::size_t LocalBlobWriter::direct_length(std::span<const std::byte> data, std::size_t room) const {
    DirectIo dio = segments_.direct_io();
    if (!dio.enabled() || reinterpret_cast<std::uintptr_t>(data.data()) % dio.memory_align != 0) return 0;
    // Padded to a whole block where there is room: a direct write of part
    // of a file system block past the end of the file may go through the
    // page cache after all (ext4 does so).
    std::size_t unit = data.size() + room >= round_up_block(data.size()) ? kBlockBytes : dio.offset_align;
    std::size_t padded = (data.size() + unit - 1) / unit * unit;
    return padded - data.size() <= room ? padded : 0;
}

bool LocalBlobWriter::in_flight(unsigned tag) const {
    return std::any_of(in_flight_.begin(), in_flight_.begin() + static_cast<std::ptrdiff_t>(in_flight_count_),
                       [&](const InFlight& f) { return f.tag == tag; });
}

void LocalBlobWriter::completed(const IoCompletion& done) {
    for (std::size_t i = 0; i < in_flight_count_; ++i) {
        if (in_flight_[i].tag != done.tag) continue;
        const InFlight& range = in_flight_[i];
        // The file system took a direct write through the page cache after
        // all: none of its later writes are tried directly.
        if (done.fell_back) segments_.refuse_direct(*range.segment);
        // Start writing the page cache out now, so that the commit's
        // fdatasync finds little left to do. A failure here may be the
        // only report of lost pages: the segment is never trusted again.
        // (A direct write left nothing there; the commit's fdatasync still
        // flushes the disk's cache and the file's size.)
        if ((!range.direct || done.fell_back) &&
            ::sync_file_range(range.segment->fd, static_cast<off_t>(range.offset), static_cast<off_t>(range.length),
                              SYNC_FILE_RANGE_WRITE) != 0)
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
        completed(*done);
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
        } else {
            completed(*done);
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
