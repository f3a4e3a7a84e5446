#include "local/early_syncs.hpp"

#include <exception>

#include "local/segment_store.hpp"

namespace ostor::detail {

EarlySyncs::EarlySyncs() : thread_([this] { run(); }) {}

EarlySyncs::~EarlySyncs() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void EarlySyncs::sync_soon(std::shared_ptr<Segment> segment) {
    {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        queued_.push_back(std::move(segment));
    }
    cv_.notify_one();
}

void EarlySyncs::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !queued_.empty(); });
        if (stopping_) {
            queued_.clear();  // may retire segments (their last references)
            return;
        }
        auto batch = std::move(queued_);
        queued_.clear();
        lock.unlock();
        for (auto& segment : batch) {
            try {
                (void)sync_segment(*segment);
            } catch (const std::exception&) {
                // Only an early start: the commit syncs it again.
            }
        }
        batch.clear();  // outside the lock: may retire segments
        lock.lock();
    }
}

}  // namespace ostor::detail
