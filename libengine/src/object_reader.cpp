// Reads an object's extents through the blob store (BlobReads), a chunk
// ahead of the caller. Extents read whole are checked against their CRC32C
// (verify_reads).
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "engine_impl.hpp"
#include "hashing.hpp"

namespace ostor::detail {

namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;
constexpr std::size_t kChunksAhead = 2;  // bounds a reader's memory to 512 KiB

struct Chunk {
    std::size_t extent = 0;    // index into the record's extents
    std::uint64_t offset = 0;  // within the extent
    std::size_t length = 0;
    std::unique_ptr<std::byte[]> data;  // chunk_capacity_ bytes, not zeroed: the read fills it
    bool done = false;
    std::size_t consumed = 0;
};

class Reader final : public ObjectReader {
public:
    Reader(EngineImpl& e, ObjectRecord rec, std::unique_ptr<BlobReads> reads, std::uint64_t first, std::uint64_t end)
        : e_(e),
          rec_(std::move(rec)),
          reads_(std::move(reads)),
          next_pos_(first),
          end_(end),
          remaining_(end - first),
          // A small object or range needs no full-size chunk buffers.
          chunk_capacity_(static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, end - first))) {
        std::uint64_t start = 0;
        for (auto& x : rec_.extents) {
            extent_starts_.push_back(start);
            start += x.length;
        }
        // Only extents this read covers whole can be verified.
        verify_.resize(rec_.extents.size());
        for (std::size_t i = 0; i < rec_.extents.size(); ++i)
            verify_[i] = e.options.verify_reads && extent_starts_[i] >= first &&
                         extent_starts_[i] + rec_.extents[i].length <= end;
        running_crc_.resize(rec_.extents.size(), 0);
        if (!rec_.extents.empty()) chunks_.reserve(kChunksAhead);
    }

    ~Reader() override {
        // Waits for the reads into chunks_ before they go, drops the pins,
        // then frees what was deleted meanwhile.
        reads_.reset();
    }

    const ObjectInfo& info() const override { return rec_.info; }
    std::uint64_t remaining() const override { return remaining_; }

    Result<std::size_t> read(std::span<std::byte> out) override {
        if (failed_) return *failed_;
        if (out.empty()) return std::size_t{0};
        if (rec_.extents.empty()) return read_inline(out);
        std::size_t total = 0;
        while (total < out.size() && remaining_ > 0) {
            auto piece = next_piece(out.size() - total);
            if (!piece) return piece.error();
            std::memcpy(out.data() + total, piece->data(), piece->size());
            total += piece->size();
        }
        return total;
    }

    Result<std::span<const std::byte>> read_view(std::size_t max_bytes) override {
        if (failed_) return *failed_;
        if (remaining_ == 0 || max_bytes == 0) return std::span<const std::byte>();
        if (rec_.extents.empty()) {
            std::size_t at = static_cast<std::size_t>(next_pos_);
            auto n = read_inline({}, max_bytes);
            if (!n) return n.error();
            return std::as_bytes(std::span(rec_.inline_data)).subspan(at, *n);
        }
        return next_piece(max_bytes);
    }

    void read_async(std::span<std::byte> out, std::function<void(Result<std::size_t>)> done) override {
        e_.async->submit([this, out, done = std::move(done)] { done(read(out)); });
    }

private:
    // The next bytes of the body, up to max_bytes, as a view into the chunk
    // at the head of the pipeline (valid until the next call).
    Result<std::span<const std::byte>> next_piece(std::size_t max_bytes) {
        // The head chunk handed out whole by the previous call goes now.
        if (!chunks_.empty() && chunks_.front().done && chunks_.front().consumed == chunks_.front().length) {
            spare_.push_back(std::move(chunks_.front().data));
            chunks_.erase(chunks_.begin());
            ++first_seq_;
        }
        if (auto r = fill_pipeline(); !r) return fail(r.error());
        Chunk& head = chunks_.front();
        while (!head.done) {
            auto tag = reads_->wait();
            if (!tag) return fail(tag.error());
            // Tags are chunk sequence numbers; map back to chunks_.
            chunks_[*tag - first_seq_].done = true;
        }
        if (head.consumed == 0) {
            if (auto r = check(head); !r) return fail(r.error());
        }
        std::size_t n = std::min(max_bytes, head.length - head.consumed);
        std::span<const std::byte> piece(head.data.get() + head.consumed, n);
        head.consumed += n;
        remaining_ -= n;
        return piece;
    }

    // Copies into `out` (or, with `out` empty, only advances by up to
    // `max_bytes`) from an object kept inline in its record.
    Result<std::size_t> read_inline(std::span<std::byte> out, std::size_t max_bytes = SIZE_MAX) {
        const std::string& data = rec_.inline_data;
        if (!inline_checked_ && next_pos_ == 0 && end_ == data.size() && e_.options.verify_reads &&
            crc32c(std::as_bytes(std::span(data))) != rec_.inline_crc)
            return fail(Error(Errc::DataCorrupted, "object " + rec_.info.bucket + "/" + rec_.info.key +
                                                       ": stored data does not match its checksum"));
        inline_checked_ = true;
        std::size_t want = out.empty() ? max_bytes : out.size();
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(want, end_ - next_pos_));
        if (!out.empty()) std::memcpy(out.data(), data.data() + next_pos_, n);
        next_pos_ += n;
        remaining_ -= n;
        return n;
    }

    Error fail(const Error& err) {
        failed_ = err;
        return err;
    }

    // Keeps up to kChunksAhead chunks queued or read.
    Result<void> fill_pipeline() {
        while (chunks_.size() < kChunksAhead && next_pos_ < end_) {
            // The extent holding next_pos_.
            while (ext_ + 1 < extent_starts_.size() && extent_starts_[ext_ + 1] <= next_pos_) ++ext_;
            const Extent& x = rec_.extents[ext_];
            std::uint64_t in_extent = next_pos_ - extent_starts_[ext_];
            std::size_t len = static_cast<std::size_t>(
                std::min<std::uint64_t>({chunk_capacity_, x.length - in_extent, end_ - next_pos_}));
            Chunk chunk;
            chunk.extent = ext_;
            chunk.offset = in_extent;
            chunk.length = len;
            if (spare_.empty()) {
                chunk.data = std::make_unique_for_overwrite<std::byte[]>(chunk_capacity_);
            } else {
                chunk.data = std::move(spare_.back());
                spare_.pop_back();
            }
            chunks_.push_back(std::move(chunk));
            Chunk& c = chunks_.back();
            reads_->submit(x, in_extent, std::span(c.data.get(), len), first_seq_ + chunks_.size() - 1);
            next_pos_ += len;
        }
        return {};
    }

    // Verifies a chunk as it is first consumed (chunks arrive in order).
    Result<void> check(const Chunk& c) {
        if (!verify_[c.extent]) return {};
        running_crc_[c.extent] = crc32c(std::span<const std::byte>(c.data.get(), c.length), running_crc_[c.extent]);
        const Extent& x = rec_.extents[c.extent];
        if (c.offset + c.length < x.length) return {};
        if (running_crc_[c.extent] == x.crc) return {};
        return Error(Errc::DataCorrupted,
                     "object " + rec_.info.bucket + "/" + rec_.info.key + ": stored data does not match its checksum");
    }

    EngineImpl& e_;
    ObjectRecord rec_;
    std::unique_ptr<BlobReads> reads_;  // null for a body kept inline
    std::vector<std::uint64_t> extent_starts_;
    std::vector<bool> verify_;
    std::vector<std::uint32_t> running_crc_;
    std::uint64_t next_pos_;  // next byte to queue
    std::uint64_t end_;
    std::uint64_t remaining_;  // bytes not yet handed out
    std::size_t chunk_capacity_;
    std::size_t ext_ = 0;
    // At most kChunksAhead: a vector, which (unlike a deque) allocates
    // nothing for a body kept inline, the common small GET.
    std::vector<Chunk> chunks_;
    std::vector<std::unique_ptr<std::byte[]>> spare_;  // buffers of chunks already consumed
    std::uint64_t first_seq_ = 0;                      // sequence number of chunks_.front()
    std::optional<Error> failed_;
    bool inline_checked_ = false;
};

}  // namespace

std::unique_ptr<ObjectReader> make_reader(EngineImpl& e, ObjectRecord record, std::unique_ptr<BlobReads> reads,
                                          std::uint64_t first, std::uint64_t end) {
    return std::make_unique<Reader>(e, std::move(record), std::move(reads), first, end);
}

}  // namespace ostor::detail
