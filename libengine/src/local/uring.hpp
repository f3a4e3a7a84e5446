// io_uring for object data: a Ring submits reads and writes of whole buffers
// at file offsets and reaps their completions. Rings come from a RingPool so
// that a writer or reader can keep I/O in flight across calls without
// setting up a ring per request. Where the kernel refuses io_uring (old
// kernels, seccomp), a Ring falls back to pread/pwrite so the engine still
// works; `uses_io_uring()` tells which.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "ostor/error.hpp"

namespace ostor::detail {

struct IoCompletion {
    std::uint64_t tag;
    // Bytes transferred; the whole buffer unless an error was returned.
    std::size_t bytes;
    // Some of a write went through its fallback descriptor (the page
    // cache): the direct descriptor refused it or left a ragged remainder.
    bool fell_back = false;
};

class Ring {
public:
    static constexpr unsigned kDepth = 16;

    Ring();
    ~Ring();
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    // Queue a write / read of the whole buffer; `tag` comes back with the
    // completion. It is submitted to the kernel at once. At most kDepth
    // operations may be outstanding. A write with a `fallback_fd` (the
    // buffered descriptor of the file an O_DIRECT `fd` names) goes there
    // when `fd` refuses it (EINVAL: the file system wants another
    // alignment) and for what a short write left unaligned.
    void write(int fd, const void* buf, std::size_t len, std::uint64_t offset, std::uint64_t tag, int fallback_fd = -1);
    void read(int fd, void* buf, std::size_t len, std::uint64_t offset, std::uint64_t tag);
    // Waits for the next completion (in any order). Short transfers are
    // completed synchronously; errors come back as IoError / NoSpace.
    Result<IoCompletion> wait();
    unsigned in_flight() const { return in_flight_; }
    bool uses_io_uring() const { return ok_; }

private:
    struct Op {
        int fd;
        int fallback_fd;  // -1: none
        bool is_write;
        std::byte* buf;
        std::size_t len;
        std::uint64_t offset;
        std::uint64_t tag;
    };
    void queue(const Op& op);
    // Completes `op` after the kernel's result `res` (bytes or -errno).
    Result<IoCompletion> complete(const Op& op, int res);
    // Transfers what the kernel left of `op` (from `done`) through `fd`.
    Result<IoCompletion> finish_sync(const Op& op, std::size_t done, int fd);

    io_uring ring_{};
    bool ok_ = false;
    unsigned in_flight_ = 0;
    std::vector<Op> ops_;  // by slot; user_data is the slot index
    std::vector<unsigned> free_slots_;
    std::vector<Op> fallback_done_;             // ops performed synchronously (no io_uring)
    std::vector<std::pair<Op, int>> injected_;  // test faults: ops and their results
};

namespace testing {
// Test only: of the direct writes queued from now on (those with a fallback
// descriptor), the next `refused` fail with EINVAL, then the next `short`
// write only their first half (rounded down to a block), as a file system
// may.
void fault_direct_writes(int refused, int shortened);
}  // namespace testing

class RingPool {
public:
    struct Return {
        RingPool* pool;
        void operator()(Ring* r) const { pool->give_back(r); }
    };
    using Handle = std::unique_ptr<Ring, Return>;

    ~RingPool();
    Handle acquire();

private:
    void give_back(Ring* r);
    // Rings kept for reuse; more are made on demand and freed past this.
    static constexpr std::size_t kMaxIdleRings = 64;
    std::mutex mu_;
    std::vector<std::unique_ptr<Ring>> idle_;
};

}  // namespace ostor::detail
