// The memory the engine's object writers buffer bodies in, under one budget
// per open Engine (EngineOptions::body_memory_bytes).
//
// A writer needs one buffer to make progress, and up to fifteen more to
// overlap receiving, hashing and writing (object_writer.cpp). The first is
// taken when the writer is made, waiting for room if the budget is spent
// (EngineOptions::body_memory_wait_ms, then SlowDown: the gateway answers
// 503, which S3 clients retry); the others only when there is room, a
// writer otherwise going on with the buffers it has. So the bodies being
// written never hold more than the budget, however many connections send
// them, and a writer never waits for memory while holding buffers.
//
// Memory and quota: begin_put and begin_upload_part reserve a body's
// declared size against the user's and bucket's quotas once the writer has
// its first buffer (make_writer). When there is no memory now, the quotas
// are asked first, so that a write they refuse is refused at once, but the
// reservation is given back for the wait: a writer waiting for memory,
// which may end in SlowDown, holds no reservation that would refuse other
// writes of the same user QuotaExceeded. A writer refused by the quota
// gives its memory back at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "ostor/error.hpp"

namespace ostor::detail {

class BodyMemory {
public:
    // `budget`: 0 picks the default (default_budget()).
    BodyMemory(std::uint64_t budget, std::chrono::milliseconds wait);
    BodyMemory(const BodyMemory&) = delete;
    BodyMemory& operator=(const BodyMemory&) = delete;

    // An eighth of the memory the process may use (the machine's, or its
    // cgroup's cap), at least 64 MiB and at most 4 GiB.
    static std::uint64_t default_budget();

    // Takes `bytes`, or the whole budget when it is smaller (so that a
    // writer can go on under a budget below a buffer's size, 1 MiB),
    // waiting for room up to the configured wait; SlowDown then. Returns the
    // bytes taken.
    Result<std::uint64_t> take_waiting(std::uint64_t bytes);
    // Takes `bytes` only if there is room now and no one is waiting.
    bool try_take(std::uint64_t bytes);
    void give_back(std::uint64_t bytes);

    std::uint64_t budget() const { return budget_; }
    std::uint64_t in_use() const;

private:
    const std::uint64_t budget_;
    const std::chrono::milliseconds wait_;
    mutable std::mutex mu_;
    std::condition_variable freed_;
    std::uint64_t in_use_ = 0;
    unsigned waiting_ = 0;  // in take_waiting
};

// What one writer holds of a BodyMemory; given back when it goes.
class BodyMemoryHeld {
public:
    explicit BodyMemoryHeld(BodyMemory& memory) : memory_(memory) {}
    ~BodyMemoryHeld() { release(); }
    BodyMemoryHeld(const BodyMemoryHeld&) = delete;
    BodyMemoryHeld& operator=(const BodyMemoryHeld&) = delete;

    Result<void> take_waiting(std::uint64_t bytes);
    bool try_take(std::uint64_t bytes);
    void release();

private:
    BodyMemory& memory_;
    std::uint64_t held_ = 0;
};

}  // namespace ostor::detail
