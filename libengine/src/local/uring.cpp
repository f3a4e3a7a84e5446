#include "local/uring.hpp"

#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <string>

namespace ostor::detail {

namespace {

Error io_error(int err, bool is_write) {
    return Error(err == ENOSPC || err == EDQUOT ? Errc::NoSpace : Errc::IoError,
                 std::string(is_write ? "write" : "read") + " of object data failed: " + std::strerror(err));
}

}  // namespace

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
}

Result<IoCompletion> Ring::finish_sync(const Op& op, std::size_t done) {
    // The rest of a short direct write is likely unaligned: buffered.
    int fd = done > 0 && op.fallback_fd >= 0 ? op.fallback_fd : op.fd;
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
    return IoCompletion{op.tag, done};
}

Result<IoCompletion> Ring::wait() {
    assert(in_flight_ > 0);
    if (!ok_) {
        Op op = fallback_done_.front();
        fallback_done_.erase(fallback_done_.begin());
        --in_flight_;
        return finish_sync(op, 0);
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
    if (res < 0) {
        if (res == -EAGAIN || res == -EINTR || (res == -EINVAL && op.fallback_fd >= 0)) return finish_sync(op, 0);
        return io_error(-res, op.is_write);
    }
    return finish_sync(op, static_cast<std::size_t>(res));
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
