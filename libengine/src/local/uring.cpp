#include "local/uring.hpp"

#include <unistd.h>

#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <string>

namespace ostor::detail {

namespace {

std::atomic<int> refused_direct_writes{0};
std::atomic<int> shortened_direct_writes{0};

// Takes one from `counter` if it is positive.
bool take_one(std::atomic<int>& counter) {
    int n = counter.load();
    while (n > 0)
        if (counter.compare_exchange_weak(n, n - 1)) return true;
    return false;
}

// The direct block size a short write is cut to (test faults).
constexpr std::size_t kFaultBlockBytes = 4096;

Error io_error(int err, bool is_write) {
    return Error(err == ENOSPC || err == EDQUOT ? Errc::NoSpace : Errc::IoError,
                 std::string(is_write ? "write" : "read") + " of object data failed: " + std::strerror(err));
}

}  // namespace

void testing::fault_direct_writes(int refused, int shortened) {
    refused_direct_writes = refused;
    shortened_direct_writes = shortened;
}

Ring::Ring() : ops_(kDepth) {
    ok_ = io_uring_queue_init(kDepth, &ring_, 0) == 0;
    for (unsigned i = 0; i < kDepth; ++i) free_slots_.push_back(kDepth - 1 - i);
}

Ring::~Ring() {
    // Never leave the kernel writing into buffers that are about to be freed.
    while (in_flight_ > 0) (void)wait();
    if (ok_) io_uring_queue_exit(&ring_);
}

void Ring::write(int fd, const void* buf, std::size_t len, std::uint64_t offset, std::uint64_t tag, int fallback_fd) {
    queue(Op{fd, fallback_fd, true, static_cast<std::byte*>(const_cast<void*>(buf)), len, offset, tag});
}

void Ring::read(int fd, void* buf, std::size_t len, std::uint64_t offset, std::uint64_t tag) {
    queue(Op{fd, -1, false, static_cast<std::byte*>(buf), len, offset, tag});
}

void Ring::queue(const Op& op) {
    assert(in_flight_ < kDepth && "Ring: too many operations in flight");
    ++in_flight_;
    if (op.is_write && op.fallback_fd >= 0) {
        if (take_one(refused_direct_writes)) {
            injected_.emplace_back(op, -EINVAL);
            return;
        }
        if (take_one(shortened_direct_writes)) {
            std::size_t half = op.len / 2 / kFaultBlockBytes * kFaultBlockBytes;
            ssize_t n = ::pwrite(op.fd, op.buf, half, static_cast<off_t>(op.offset));
            injected_.emplace_back(op, n < 0 ? -errno : static_cast<int>(n));
            return;
        }
    }
    if (!ok_) {
        fallback_done_.push_back(op);
        return;
    }
    unsigned slot = free_slots_.back();
    free_slots_.pop_back();
    ops_[slot] = op;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {
        io_uring_submit(&ring_);
        sqe = io_uring_get_sqe(&ring_);
    }
    assert(sqe);
    if (op.is_write)
        io_uring_prep_write(sqe, op.fd, op.buf, static_cast<unsigned>(op.len), op.offset);
    else
        io_uring_prep_read(sqe, op.fd, op.buf, static_cast<unsigned>(op.len), op.offset);
    io_uring_sqe_set_data64(sqe, slot);
    // Started now, not at the next wait(): a writer goes back to reading the
    // network meanwhile, and the disk should be busy while it does.
    io_uring_submit(&ring_);
}

Result<IoCompletion> Ring::finish_sync(const Op& op, std::size_t done, int fd) {
    // The rest of a short direct write stays direct where it starts on a
    // block (the direct descriptor refuses it otherwise, with EINVAL).
    while (done < op.len) {
        ssize_t n = op.is_write ? ::pwrite(fd, op.buf + done, op.len - done, op.offset + done)
                                : ::pread(fd, op.buf + done, op.len - done, op.offset + done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EINVAL && fd != op.fallback_fd && op.fallback_fd >= 0) {
            fd = op.fallback_fd;
            continue;
        }
        if (n < 0) return io_error(errno, op.is_write);
        if (n == 0) return Error(Errc::IoError, "object data ends early (segment file truncated)");
        done += static_cast<std::size_t>(n);
    }
    return IoCompletion{op.tag, done, op.fallback_fd >= 0 && fd == op.fallback_fd};
}

Result<IoCompletion> Ring::wait() {
    assert(in_flight_ > 0);
    if (!injected_.empty()) {
        auto [op, res] = injected_.front();
        injected_.erase(injected_.begin());
        --in_flight_;
        return complete(op, res);
    }
    if (!ok_) {
        Op op = fallback_done_.front();
        fallback_done_.erase(fallback_done_.begin());
        --in_flight_;
        return finish_sync(op, 0, op.fd);
    }
    io_uring_cqe* cqe = nullptr;
    int rc;
    do {
        rc = io_uring_submit_and_wait(&ring_, 1);
    } while (rc == -EINTR);
    do {
        rc = io_uring_wait_cqe(&ring_, &cqe);
    } while (rc == -EINTR);
    if (rc < 0) return Error(Errc::IoError, std::string("io_uring wait failed: ") + std::strerror(-rc));
    auto slot = static_cast<unsigned>(io_uring_cqe_get_data64(cqe));
    int res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    Op op = ops_[slot];
    free_slots_.push_back(slot);
    --in_flight_;
    return complete(op, res);
}

Result<IoCompletion> Ring::complete(const Op& op, int res) {
    if (res == -EINVAL && op.fallback_fd >= 0) return finish_sync(op, 0, op.fallback_fd);
    if (res == -EAGAIN || res == -EINTR) return finish_sync(op, 0, op.fd);
    if (res < 0) return io_error(-res, op.is_write);
    return finish_sync(op, static_cast<std::size_t>(res), op.fd);
}

RingPool::~RingPool() = default;

RingPool::Handle RingPool::acquire() {
    {
        std::lock_guard lock(mu_);
        if (!idle_.empty()) {
            Ring* r = idle_.back().release();
            idle_.pop_back();
            return Handle(r, Return{this});
        }
    }
    return Handle(std::make_unique<Ring>().release(), Return{this});
}

void RingPool::give_back(Ring* r) {
    std::unique_ptr<Ring> owned(r);
    while (owned->in_flight() > 0) (void)owned->wait();
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdleRings) idle_.push_back(std::move(owned));
}

}  // namespace ostor::detail
