// Streams an object or a part into segment files through io_uring.
//
// Bytes collect in one of two buffers; a full buffer is written while the
// other fills. Buffers land in block-aligned regions of this process's active
// segment; each region becomes one extent with its CRC32C. Nothing is visible
// until commit(): it waits for the writes, then hands the metadata change to
// the commit queue, which syncs the segment files before committing. On
// failure or abandonment the written blocks are punched out again.
#include <fcntl.h>

#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "hashing.hpp"
#include "local/object_index.hpp"

namespace ostor::detail {

namespace {

// One write in flight while the next buffer fills; bounds a writer's memory.
constexpr std::size_t kBufferBytes = 256 * 1024;
constexpr std::size_t kBufferCount = 2;
static_assert(kBufferBytes % kBlockBytes == 0 && kExtentMaxBytes % kBufferBytes == 0);

// MD5 is the slowest step of a large PUT (about 750 MB/s against several
// GB/s for copying and CRC32C), and it cannot be split: a large body's
// buffers are hashed in order on a thread of their own, overlapping the
// copying and writing of the next ones.
class Md5Pipeline {
public:
    explicit Md5Pipeline(Md5& md5) : md5_(md5), thread_([this] { run(); }) {}
    ~Md5Pipeline() {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    Md5Pipeline(const Md5Pipeline&) = delete;
    Md5Pipeline& operator=(const Md5Pipeline&) = delete;

    // Queues `data` (which must stay unchanged until wait_for(the returned
    // number) returns) after everything queued before.
    std::uint64_t submit(std::span<const std::byte> data) {
        std::lock_guard lock(mu_);
        jobs_.push_back(data);
        cv_.notify_all();
        return ++submitted_;
    }
    // Until the job numbered `n` (and all before it) is hashed.
    void wait_for(std::uint64_t n) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return hashed_ >= n; });
    }
    void wait_all() { wait_for(submitted()); }

private:
    std::uint64_t submitted() {
        std::lock_guard lock(mu_);
        return submitted_;
    }
    void run() {
        std::unique_lock lock(mu_);
        for (;;) {
            cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            auto job = jobs_.front();
            lock.unlock();
            md5_.update(job);
            lock.lock();
            jobs_.pop_front();
            ++hashed_;
            cv_.notify_all();
        }
    }

    Md5& md5_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::span<const std::byte>> jobs_;
    std::uint64_t submitted_ = 0;
    std::uint64_t hashed_ = 0;
    bool stopping_ = false;
    std::thread thread_;  // last: starts once the rest is ready
};

struct WrittenRegion {
    Region region;
    std::uint64_t used = 0;  // bytes written from region.offset
    std::uint32_t crc = 0;
};

class Writer final : public ObjectWriter {
public:
    Writer(EngineImpl& e, WriteTarget target, PutOptions options, std::optional<std::string> reservation)
        : e_(e), target_(std::move(target)), options_(std::move(options)), reservation_(std::move(reservation)) {}

    ~Writer() override {
        if (!finished_) abandon();
    }

    Result<void> write(std::span<const std::byte> data) override {
        if (finished_ || failed_) return Error(Errc::InvalidArgument, "the writer is already finished");
        if (size_ + data.size() > kMaxObjectBytes || (options_.size_hint && size_ + data.size() > *options_.size_hint)) {
            failed_ = true;
            return Error(Errc::EntityTooLarge, options_.size_hint ? "the body is longer than its declared length"
                                                                 : "objects are at most 5 TiB");
        }
        size_ += data.size();
        while (!data.empty()) {
            std::byte* buf = buffer(current_);
            std::size_t n = std::min(data.size(), buffer_capacity() - fill_);
            std::memcpy(buf + fill_, data.data(), n);
            fill_ += n;
            data = data.subspan(n);
            // A full buffer is written now unless it holds the whole rest of a
            // body of known size: commit() decides where that goes (a small
            // body is stored inline).
            bool body_complete = options_.size_hint && size_ == *options_.size_hint && data.empty();
            if (fill_ == buffer_capacity() && !body_complete) {
                if (auto r = flush(false); !r) {
                    failed_ = true;
                    return r;
                }
            }
        }
        return {};
    }

    Result<ObjectInfo> commit() override {
        if (finished_ || failed_) return Error(Errc::InvalidArgument, "the writer is already finished");
        // A small object never reached a segment: it goes into its record.
        inline_ = target_.kind == WriteTargetKind::Object && regions_.empty() && size_ <= kInlineMaxBytes;
        auto r = finish_data();
        if (!r) {
            abandon();
            return std::move(r).error();
        }
        auto info = commit_metadata();
        if (!info) abandon();
        finished_ = true;
        return info;
    }

    void commit_async(std::function<void(Result<ObjectInfo>)> done) override {
        e_.async->submit([this, done = std::move(done)] { done(commit()); });
    }

    std::uint64_t size() const override { return size_; }
    void set_checksums(std::vector<std::pair<std::string, std::string>> checksums) override {
        options_.meta.checksums = std::move(checksums);
    }

private:
    // Buffers are allocated on first use, uninitialised, and no larger than
    // a body of known size needs: most PUTs are small, and zeroing (or
    // mapping) 256 KiB for each was a large part of a small PUT's CPU time.
    std::byte* buffer(std::size_t i) {
        if (!buffers_[i]) buffers_[i].reset(new std::byte[buffer_capacity()]);
        return buffers_[i].get();
    }
    std::size_t buffer_capacity() const {
        if (options_.size_hint && *options_.size_hint < kBufferBytes)
            return std::max<std::size_t>(*options_.size_hint, 1);
        return kBufferBytes;
    }

    // Writes the current buffer (fill_ bytes) into a region and switches to
    // the other buffer, waiting for its earlier write if needed.
    Result<void> flush(bool last) {
        if (fill_ == 0) return {};
        if (regions_.empty() || regions_.back().region.capacity - regions_.back().used < fill_) {
            // A new extent: as large as the rest of the body is known to be,
            // at most kExtentMaxBytes.
            std::uint64_t want = kExtentMaxBytes;
            if (last) want = fill_;
            else if (options_.size_hint) want = std::clamp<std::uint64_t>(*options_.size_hint - written_, fill_, kExtentMaxBytes);
            auto region = e_.segments->allocate(want);
            if (!region) return std::move(region).error();
            regions_.push_back(WrittenRegion{std::move(*region), 0, 0});
        }
        auto& wr = regions_.back();
        std::byte* buf = buffer(current_);
        std::span<const std::byte> filled(buf, fill_);
        // A body of one buffer is hashed here; a longer one on the pipeline.
        if (!last && !hasher_ && !hash_here_) {
            try {
                hasher_ = std::make_unique<Md5Pipeline>(md5_);
            } catch (const std::system_error&) {
                hash_here_ = true;  // no thread to be had: hash on this one
            }
        }
        if (hasher_) hashed_seq_[current_] = hasher_->submit(filled);
        else md5_.update(filled);
        wr.crc = crc32c(filled, wr.crc);
        if (!ring_) ring_ = e_.rings.acquire();
        ring_->write(wr.region.segment->fd, buf, fill_, wr.region.offset + wr.used, current_);
        in_flight_[current_] = true;
        written_range_[current_] = {wr.region.segment.get(), wr.region.offset + wr.used, fill_};
        wr.used += fill_;
        written_ += fill_;
        fill_ = 0;
        current_ = (current_ + 1) % kBufferCount;
        while (in_flight_[current_]) {
            auto done = ring_->wait();
            if (!done) {
                fail_segments_in_flight();
                return std::move(done).error();
            }
            in_flight_[done->tag] = false;
            // Start writing the page cache out now, so that the commit's
            // fdatasync finds little left to do. A failure here may be the
            // only report of lost pages: the segment is never trusted again.
            const auto& range = written_range_[done->tag];
            if (::sync_file_range(range.segment->fd, static_cast<off_t>(range.offset),
                                  static_cast<off_t>(range.length), SYNC_FILE_RANGE_WRITE) != 0)
                mark_segment_failed(*range.segment);
        }
        if (hasher_) hasher_->wait_for(hashed_seq_[current_]);
        return {};
    }

    // A failed completion does not say which write failed: every segment
    // written to and not yet completed is taken as failed.
    void fail_segments_in_flight() {
        for (std::size_t i = 0; i < kBufferCount; ++i)
            if (in_flight_[i] && written_range_[i].segment) mark_segment_failed(*written_range_[i].segment);
    }

    Result<void> wait_all() {
        Result<void> out;
        while (ring_ && ring_->in_flight() > 0) {
            auto done = ring_->wait();
            if (!done) {
                fail_segments_in_flight();
                out = std::move(done).error();
            } else {
                in_flight_[done->tag] = false;
            }
        }
        in_flight_.fill(false);
        return out;
    }

    Result<void> finish_data() {
        if (inline_ && fill_ > 0) {
            inline_data_.assign(reinterpret_cast<const char*>(buffer(current_)), fill_);
            md5_.update(std::as_bytes(std::span(inline_data_)));
        }
        auto r = inline_ ? Result<void>() : flush(true);
        auto w = wait_all();
        if (!r) return r;
        if (!w) return w;
        if (options_.size_hint && size_ != *options_.size_hint)
            return Error(Errc::InvalidArgument, "the body is shorter than its declared length (" + std::to_string(size_) +
                                                    " of " + std::to_string(*options_.size_hint) + " bytes)");
        if (hasher_) {
            hasher_->wait_all();
            hasher_.reset();
        }
        digest_ = md5_.finish();
        if (options_.expected_md5 &&
            (options_.expected_md5->size() != digest_.size() ||
             std::memcmp(options_.expected_md5->data(), digest_.data(), digest_.size()) != 0))
            return Error(Errc::BadDigest, "the Content-MD5 you specified did not match what we received");
        buffers_ = {};  // the data is written: free the memory before waiting on the commit
        ring_.reset();
        return {};
    }

    Result<ObjectInfo> commit_metadata() {
        ObjectRecord rec;
        rec.info.bucket = target_.bucket;
        rec.info.key = target_.key;
        rec.info.size = size_;
        rec.info.etag = to_hex(digest_);
        rec.info.last_modified_ms = now_ms();
        rec.info.meta = options_.meta;
        rec.inline_data = std::move(inline_data_);
        rec.inline_crc = crc32c(std::as_bytes(std::span(rec.inline_data)));
        auto staged = std::make_shared<LocalStagedData>();
        for (auto& wr : regions_) {
            rec.extents.push_back(Extent{wr.region.segment->id, wr.region.offset, static_cast<std::uint32_t>(wr.used), wr.crc});
            if (staged->segments.empty() || staged->segments.back() != wr.region.segment)
                staged->segments.push_back(wr.region.segment);
        }
        // A part's commit answers with the part; the writer's caller wants the
        // body's info either way.
        ObjectInfo info = rec.info;
        BodyCommit body{std::move(rec), std::move(staged), reservation_};
        FreedExtents freed;
        Result<void> committed;
        if (target_.kind == WriteTargetKind::Object) {
            auto r = e_.objects->put_object(std::move(body), options_.conditions, freed);
            if (r) info = std::move(*r);
            else committed = std::move(r).error();
        } else {
            auto r = e_.objects->put_part(target_.upload_id, target_.part_number, std::move(body), freed);
            if (!r) committed = std::move(r).error();
        }
        if (!committed) return std::move(committed).error();
        reservation_.reset();  // dropped by the commit
        regions_.clear();      // owned by the object now
        release_extents(e_, freed);
        return info;
    }

    // Gives back what was written and reserved; nothing becomes visible.
    void abandon() {
        (void)wait_all();
        for (auto& wr : regions_) SegmentStore::punch(wr.region.segment->fd, wr.region.offset, wr.used);
        regions_.clear();
        if (reservation_) e_.objects->release(*reservation_);
        reservation_.reset();
        finished_ = true;
    }

    EngineImpl& e_;
    WriteTarget target_;
    PutOptions options_;
    std::optional<std::string> reservation_;

    RingPool::Handle ring_{nullptr, RingPool::Return{nullptr}};
    std::array<std::unique_ptr<std::byte[]>, kBufferCount> buffers_;
    std::array<bool, kBufferCount> in_flight_{};
    struct FileRange {
        Segment* segment = nullptr;  // kept alive by regions_
        std::uint64_t offset = 0;
        std::size_t length = 0;
    };
    std::array<FileRange, kBufferCount> written_range_{};
    std::size_t current_ = 0;
    std::size_t fill_ = 0;
    std::uint64_t size_ = 0;     // bytes accepted
    std::uint64_t written_ = 0;  // bytes handed to the ring
    std::vector<WrittenRegion> regions_;
    Md5 md5_;
    // Hashes in the background once a body outgrows one buffer; declared
    // after buffers_ so that it stops before they go.
    std::unique_ptr<Md5Pipeline> hasher_;
    std::array<std::uint64_t, kBufferCount> hashed_seq_{};  // the hasher's job reading each buffer
    bool hash_here_ = false;
    Md5Digest digest_{};
    bool finished_ = false;
    bool failed_ = false;
    bool inline_ = false;
    std::string inline_data_;
};

}  // namespace

std::unique_ptr<ObjectWriter> make_writer(EngineImpl& e, WriteTarget target, PutOptions options,
                                          std::optional<std::string> reservation) {
    return std::make_unique<Writer>(e, std::move(target), std::move(options), std::move(reservation));
}

}  // namespace ostor::detail
