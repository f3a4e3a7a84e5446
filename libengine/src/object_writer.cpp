// Streams an object or a part into the blob store (storage/blob_store.hpp).
//
// Bytes collect in one of two buffers; a full buffer is written while the
// other fills. The blob writer turns them into extents, each with its CRC32C.
// Nothing is visible until commit(): it waits for the writes, then commits
// the record, whose commit makes the staged data durable first. On failure or
// abandonment the blob writer frees what it wrote.
#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>

#include "engine_impl.hpp"
#include "hashing.hpp"

namespace ostor::detail {

namespace {

// Up to fifteen writes in flight while the next buffer fills, as the
// engine's memory for bodies allows (body_memory.hpp): a writer has one
// buffer, and up to fifteen more while the budget has room. A buffer is a
// whole extent: each is one write, one MD5 job and (read straight into it)
// about one receive. With 256 KiB buffers the hand-offs between threads,
// not MD5, bounded a 1 GiB PUT (bench/README.md); with four, the disk's
// flushes of full segments (local/early_syncs.hpp) left MD5 waiting for
// buffers; sixteen against eight gave a 1 GiB PUT 8-9% more on a quiet
// machine, the disk and MD5 taking turns at the slower (bench/README.md).
constexpr std::size_t kBufferBytes = kExtentMaxBytes;
constexpr std::size_t kBufferCount = 16;
static_assert(kExtentMaxBytes % kBufferBytes == 0);
// Buffers of larger bodies start on a page, and a body's last one is a
// whole number of pages: the blob writer can then write them with O_DIRECT,
// past the page cache (local/direct_io.hpp).
constexpr std::size_t kBufferAlign = 4096;
constexpr std::size_t kAlignedMinBytes = 256 * 1024;
static_assert(kBufferBytes % kBufferAlign == 0 && kAlignedMinBytes % kBufferAlign == 0);

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

struct BufferFree {
    bool aligned = false;
    void operator()(std::byte* p) const {
        if (aligned)
            ::operator delete[](p, std::align_val_t{kBufferAlign});
        else
            delete[] p;
    }
};
using Buffer = std::unique_ptr<std::byte[], BufferFree>;

// Uninitialised; aligned when large (small bodies are never written
// directly, and aligned allocation costs them time and memory).
Buffer new_buffer(std::size_t bytes) {
    if (bytes < kAlignedMinBytes) return Buffer(new std::byte[bytes], BufferFree{false});
    return Buffer(static_cast<std::byte*>(::operator new[](bytes, std::align_val_t{kBufferAlign})), BufferFree{true});
}

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

class Writer final : public ObjectWriter {
public:
    Writer(EngineImpl& e, WriteTarget target, PutOptions options)
        : e_(e), target_(std::move(target)), options_(std::move(options)), memory_(*e.body_memory) {}

    // Takes the memory of the first buffer (body_memory.hpp) and reserves
    // the size hint against the quotas. When there is no memory now, the
    // quotas are asked first (a write they refuse is refused at once, not
    // after the wait) but the reservation is not kept through the wait,
    // which may end in SlowDown: a waiting writer holds nothing that would
    // refuse other writes of the same user or bucket. A refused writer
    // gives back what it took as it goes (abandon()).
    Result<void> start(bool reserve_quota) {
        const bool reserves = reserve_quota && options_.size_hint && *options_.size_hint > 0;
        if (!memory_.try_take(buffer_capacity())) {
            if (reserves) {
                OSTOR_TRY(reserve());
                e_.objects->release(*reservation_);
                reservation_.reset();
            }
            OSTOR_TRY(memory_.take_waiting(buffer_capacity()));
        }
        return reserves ? reserve() : Result<void>{};
    }

    ~Writer() override {
        if (!finished_) abandon();
    }

    Result<void> write(std::span<const std::byte> data) override {
        OSTOR_TRY(accept(data.size()));
        while (!data.empty()) {
            std::size_t n = std::min(data.size(), buffer_capacity() - fill_);
            std::memcpy(buffer(current_) + fill_, data.data(), n);
            data = data.subspan(n);
            OSTOR_TRY(filled(n, data.empty()));
        }
        return {};
    }

    std::span<std::byte> space() override {
        // A full buffer stays when it holds the whole body (see filled()):
        // a byte past the declared length goes to a scratch byte, and
        // append() refuses it.
        if (fill_ == buffer_capacity()) return overflow_;
        return std::span<std::byte>(buffer(current_) + fill_, buffer_capacity() - fill_);
    }

    Result<void> append(std::size_t n) override {
        if (n == 0) return {};
        OSTOR_TRY(accept(n));
        return filled(n, true);
    }

    Result<ObjectInfo> commit() override {
        if (finished_ || failed_) return Error(Errc::InvalidArgument, "the writer is already finished");
        // A small object never reached a segment: it goes into its record.
        inline_ = target_.kind == WriteTargetKind::Object && written_ == 0 && size_ <= kInlineMaxBytes;
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
    Result<void> reserve() {
        // A part reserves with no key: it commits no object.
        std::string_view key = target_.kind == WriteTargetKind::Object ? std::string_view(target_.key) : "";
        auto r = e_.objects->reserve(target_.bucket, key, *options_.size_hint);
        if (!r) return std::move(r).error();
        reservation_ = std::move(*r);
        return {};
    }

    // Counts `n` more body bytes, or refuses them.
    Result<void> accept(std::size_t n) {
        if (finished_ || failed_) return Error(Errc::InvalidArgument, "the writer is already finished");
        if (size_ + n > kMaxObjectBytes || (options_.size_hint && size_ + n > *options_.size_hint)) {
            failed_ = true;
            return Error(Errc::EntityTooLarge, options_.size_hint ? "the body is longer than its declared length"
                                                                  : "objects are at most 5 TiB");
        }
        size_ += n;
        return {};
    }

    // `n` bytes were put into the current buffer; `last_of_call`: the last
    // of the bytes accepted.
    Result<void> filled(std::size_t n, bool last_of_call) {
        fill_ += n;
        // A full buffer is written now unless it holds the whole rest of a
        // body of known size: commit() decides where that goes (a small
        // body is stored inline).
        bool body_complete = options_.size_hint && size_ == *options_.size_hint && last_of_call;
        if (fill_ == buffer_capacity() && !body_complete) {
            if (auto r = flush(false); !r) {
                failed_ = true;
                return r;
            }
        }
        return {};
    }

    // Buffers are allocated on first use, uninitialised, and no larger than
    // a body of known size needs: most PUTs are small, and zeroing (or
    // mapping) 256 KiB for each was a large part of a small PUT's CPU time.
    std::byte* buffer(std::size_t i) {
        if (!buffers_[i]) buffers_[i] = new_buffer(buffer_capacity());
        return buffers_[i].get();
    }
    std::size_t buffer_capacity() const {
        if (!options_.size_hint || *options_.size_hint >= kBufferBytes) return kBufferBytes;
        auto hint = static_cast<std::size_t>(*options_.size_hint);
        // Room to pad the end to a page (see flush()).
        if (hint >= kAlignedMinBytes) return round_up(hint, kBufferAlign);
        return std::max<std::size_t>(hint, 1);
    }

    // Hands the current buffer (fill_ bytes) to the blob writer and switches
    // to the other buffer, waiting for its earlier write if needed.
    Result<void> flush(bool last) {
        if (fill_ == 0) return {};
        std::byte* buf = buffer(current_);
        std::span<const std::byte> filled(buf, fill_);
        // Body bytes known to follow this buffer, to size its extent.
        std::optional<std::uint64_t> rest;
        if (last)
            rest = 0;
        else if (options_.size_hint)
            rest = *options_.size_hint - written_ - fill_;
        // The last buffer is padded with zeros to a block, so that a large
        // body's end can go with O_DIRECT too (storage/blob_store.hpp).
        std::size_t room = 0;
        if (last) {
            room = std::min(round_up(fill_, kBufferAlign), buffer_capacity()) - fill_;
            std::memset(buf + fill_, 0, room);
        }
        if (!blobs_) blobs_ = e_.blobs->begin_write();
        OSTOR_TRY(blobs_->write(filled, static_cast<unsigned>(current_), rest, room));
        // A body of one buffer is hashed here; a longer one on the pipeline.
        if (!last && !hasher_ && !hash_here_) {
            try {
                hasher_ = std::make_unique<Md5Pipeline>(md5_);
            } catch (const std::system_error&) {
                hash_here_ = true;  // no thread to be had: hash on this one
            }
        }
        if (hasher_)
            hashed_seq_[current_] = hasher_->submit(filled);
        else
            md5_.update(filled);
        written_ += fill_;
        fill_ = 0;
        // The body's last buffer: finish_data() waits for everything.
        if (last) return {};
        current_ = next_buffer();
        OSTOR_TRY(blobs_->wait(static_cast<unsigned>(current_)));
        if (hasher_) hasher_->wait_for(hashed_seq_[current_]);
        return {};
    }

    // The buffer to fill after the current one: the next of those the writer
    // has, a new one while the memory for bodies has room for it, else the
    // first again (once its write and hashing are done: flush() waits).
    std::size_t next_buffer() {
        std::size_t next = current_ + 1;
        if (next < buffers_held_) return next;
        if (next < kBufferCount && memory_.try_take(buffer_capacity())) {
            buffers_held_ = next + 1;
            return next;
        }
        return 0;
    }

    Result<void> finish_data() {
        if (inline_ && fill_ > 0) {
            inline_data_.assign(reinterpret_cast<const char*>(buffer(current_)), fill_);
            md5_.update(std::as_bytes(std::span(inline_data_)));
        }
        OSTOR_TRY(inline_ ? Result<void>() : flush(true));
        if (blobs_) {
            auto staged = blobs_->finish();
            if (!staged) return std::move(staged).error();
            staged_ = std::move(*staged);
        }
        if (options_.size_hint && size_ != *options_.size_hint)
            return Error(Errc::InvalidArgument, "the body is shorter than its declared length (" +
                                                    std::to_string(size_) + " of " +
                                                    std::to_string(*options_.size_hint) + " bytes)");
        if (hasher_) {
            hasher_->wait_all();
            hasher_.reset();
        }
        digest_ = md5_.finish();
        if (options_.expected_md5 && (options_.expected_md5->size() != digest_.size() ||
                                      std::memcmp(options_.expected_md5->data(), digest_.data(), digest_.size()) != 0))
            return Error(Errc::BadDigest, "the Content-MD5 you specified did not match what we received");
        free_buffers();  // the data is written: free the memory before waiting on the commit
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
        // The lock the request asks of the new version (the commit applies the
        // bucket's default to it).
        if (target_.kind == WriteTargetKind::Object && options_.lock) rec.info.lock = *options_.lock;
        rec.inline_data = std::move(inline_data_);
        rec.inline_crc = crc32c(std::as_bytes(std::span(rec.inline_data)));
        StagedBlobs staged = std::move(staged_);
        rec.extents = std::move(staged.extents);
        // A part's commit answers with the part; the writer's caller wants the
        // body's info either way.
        ObjectInfo info = rec.info;
        BodyCommit body{std::move(rec), std::move(staged.data), reservation_};
        bool outcome_unknown = false;
        body.outcome_unknown = &outcome_unknown;
        FreedExtents freed;
        Result<void> committed;
        if (target_.kind == WriteTargetKind::Object) {
            auto r = e_.objects->put_object(std::move(body), options_.conditions, freed);
            if (r)
                info = std::move(*r);
            else
                committed = std::move(r).error();
        } else {
            auto r = e_.objects->put_part(target_.upload_id, target_.part_number, std::move(body), freed);
            if (!r) committed = std::move(r).error();
        }
        if (!committed) {
            // The record may name the blobs (catalog.hpp, BodyCommit): they
            // stay (a leak at worst) and the caller still gets the error.
            if (outcome_unknown && blobs_) {
                blobs_->committed();
                blobs_.reset();
            }
            return std::move(committed).error();
        }
        reservation_.reset();             // dropped by the commit
        if (blobs_) blobs_->committed();  // owned by the object now
        blobs_.reset();
        e_.blobs->release(freed);
        return info;
    }

    void free_buffers() {
        buffers_ = {};
        memory_.release();
    }

    // Gives back what was written and reserved; nothing becomes visible.
    void abandon() {
        blobs_.reset();   // waits for its writes, then frees what it wrote
        hasher_.reset();  // done reading the buffers
        free_buffers();
        if (reservation_) e_.objects->release(*reservation_);
        reservation_.reset();
        finished_ = true;
    }

    EngineImpl& e_;
    WriteTarget target_;
    PutOptions options_;
    std::optional<std::string> reservation_;

    BodyMemoryHeld memory_;  // what buffers_ take of the engine's memory for bodies
    std::array<Buffer, kBufferCount> buffers_;
    std::size_t buffers_held_ = 1;         // buffers_[0, buffers_held_) are in memory_
    std::array<std::byte, 1> overflow_{};  // space() past a full body
    // Declared after buffers_ so that its writes end before they go.
    std::unique_ptr<BlobWriter> blobs_;
    StagedBlobs staged_;  // what blobs_ wrote, once finished
    std::size_t current_ = 0;
    std::size_t fill_ = 0;
    std::uint64_t size_ = 0;     // bytes accepted
    std::uint64_t written_ = 0;  // bytes handed to the blob writer
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

Result<std::unique_ptr<ObjectWriter>> make_writer(EngineImpl& e, WriteTarget target, PutOptions options,
                                                  bool reserve_quota) {
    auto writer = std::make_unique<Writer>(e, std::move(target), std::move(options));
    // Refused: the writer gives back its memory (and no reservation) as it goes.
    OSTOR_TRY(writer->start(reserve_quota));
    return std::unique_ptr<ObjectWriter>(std::move(writer));
}

}  // namespace ostor::detail
