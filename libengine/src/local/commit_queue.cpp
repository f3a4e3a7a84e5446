#include "local/commit_queue.hpp"

#include "local/segment_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace ostor::detail {

namespace {

using namespace std::chrono_literals;

// Bounds the work (and the nested-transaction memory) of one commit.
constexpr std::size_t kMaxChangesPerBatch = 512;

// Bounds of the wait for the next arrival while a leader lingers. The upper
// one is well under a commit's two syncs (several hundred microseconds on an
// SSD); the lower one costs nothing that matters.
constexpr std::chrono::steady_clock::duration kMinLingerGap = 8us;
constexpr std::chrono::steady_clock::duration kMaxLingerGap = 256us;
// A commit that synced much object data took long; lingering need not.
constexpr std::chrono::steady_clock::duration kMaxLinger = 1ms;
// A lingering leader is woken for every few arrivals, not each one: a wake-up
// costs more than applying a change.
constexpr std::size_t kArrivalsPerWake = 4;

}  // namespace

CommitQueue::CommitQueue(const Env& env) : env_(env), linger_gap_(kMinLingerGap) {}

Result<void> CommitQueue::run(Apply apply, DataFiles data) {
    Change change;
    change.apply = std::move(apply);
    change.data = std::move(data);
    bool leads = false;
    {
        std::lock_guard lock(mu_);
        queue_.push_back(&change);
        leads = !leader_active_;
        leader_active_ = true;
        if (!leads && linger_wake_at_ && queue_.size() >= linger_wake_at_) arrived_cv_.notify_one();
    }
    for (;;) {
        // The leader's own change is always in the batch it commits. Anyone
        // else reads its change only once woken: until then the leader may be
        // writing it.
        if (leads) {
            lead(change);
            return std::move(*change.outcome);
        }
        while (::sem_wait(&change.woken) != 0) {
            // EINTR: a signal handler ran; keep waiting.
        }
        if (change.outcome) return std::move(*change.outcome);
        leads = std::exchange(change.leads, false);
    }
}

void CommitQueue::lead(Change& self) {
    Batch batch;
    // Whatever fails from here on fails the batch; its callers are woken
    // below in every case, and the lead passes on.
    auto fail_batch = [&batch](Errc code, std::string_view why) {
        if (!batch.failure) batch.failure = Error(code, std::string(why));
    };
    try {
        batch.txn.emplace(Txn::write(env_));
    } catch (const DbFailure& e) {
        fail_batch(e.code, e.what());
    } catch (...) {
        fail_batch(Errc::Internal, "the metadata commit failed");
    }
    {
        std::unique_lock lock(mu_);
        try {
            apply_queued(batch, lock);
            linger(batch, lock);
        } catch (...) {
            if (!lock.owns_lock()) lock.lock();
            fail_batch(Errc::Internal, "the metadata commit failed");
        }
    }
    auto started = Clock::now();
    try {
        if (!batch.failure) batch.failure = sync_data_and_commit(batch);
    } catch (...) {
        fail_batch(Errc::Internal, "the metadata commit failed");
    }
    batch.txn.reset();  // a failed transaction ends here, before the lead passes on
    auto took = Clock::now() - started;

    Change* next_leader = nullptr;
    {
        std::lock_guard lock(mu_);
        last_commit_ = took;
        expected_ = std::min(batch.size + queue_.size(), kMaxChangesPerBatch);
        ++batches_;
        changes_ += batch.size;
        if (queue_.empty())
            leader_active_ = false;
        else
            next_leader = queue_.front();
    }
    // A caller may return (and its Change go) as soon as it is woken, so each
    // change is touched for the last time here.
    for (Change* c = batch.first; c;) {
        Change* next = c->batch_next;
        if (batch.failure) c->outcome = Result<void>(*batch.failure);
        if (c != &self) ::sem_post(&c->woken);
        c = next;
    }
    if (next_leader) {
        next_leader->leads = true;
        ::sem_post(&next_leader->woken);
    }
}

void CommitQueue::apply_queued(Batch& batch, std::unique_lock<std::mutex>& lock) {
    Change* first_taken = nullptr;
    while (!queue_.empty() && batch.size < kMaxChangesPerBatch) {
        Change* c = queue_.front();
        queue_.pop_front();
        (batch.last ? batch.last->batch_next : batch.first) = c;
        batch.last = c;
        ++batch.size;
        if (!first_taken) first_taken = c;
    }
    lock.unlock();
    for (Change* c = first_taken; c && !batch.failure; c = c->batch_next) {
        try {
            // Each change in a nested transaction: a refusal undoes only its own.
            Txn nested = Txn::write(env_, &*batch.txn);
            Result<void> r = [&]() -> Result<void> {
                try {
                    return c->apply(nested);
                } catch (const DbFailure& e) {
                    return Result<void>(e.code, e.what());
                } catch (const std::exception& e) {
                    // Out of memory, most likely: the change fails, and must
                    // not take the leader (and every waiting caller) with it.
                    return Result<void>(Errc::Internal, e.what());
                } catch (...) {
                    return Result<void>(Errc::Internal, "a metadata change failed");
                }
            }();
            if (r)
                nested.commit();
            else
                nested.abort();
            // Read by the caller only once it is woken, after the commit.
            c->outcome = std::move(r);
        } catch (const DbFailure& e) {
            // The transaction itself failed: nothing of the batch commits.
            batch.failure = Error(e.code, e.what());
        }
    }
    lock.lock();
}

void CommitQueue::linger(Batch& batch, std::unique_lock<std::mutex>& lock) {
    if (batch.failure || batch.size >= expected_) return;
    auto deadline = Clock::now() + std::min(last_commit_, kMaxLinger);
    while (batch.size < kMaxChangesPerBatch) {
        auto now = Clock::now();
        if (now >= deadline) return;
        // Woken by the arrival that completes the batch or a handful, else
        // when the gap or the deadline runs out.
        linger_wake_at_ = std::min(kArrivalsPerWake, expected_ - batch.size);
        arrived_cv_.wait_until(lock, std::min(deadline, now + linger_gap_),
                               [&] { return queue_.size() >= linger_wake_at_; });
        linger_wake_at_ = 0;
        if (queue_.empty()) {
            if (Clock::now() < deadline) linger_gap_ = std::max(linger_gap_ / 2, kMinLingerGap);
            return;
        }
        apply_queued(batch, lock);
        if (batch.failure) return;  // later arrivals get a batch of their own
        if (batch.size >= expected_) {
            linger_gap_ = std::min(linger_gap_ * 2, kMaxLingerGap);
            return;
        }
    }
}

std::optional<Error> CommitQueue::sync_data_and_commit(Batch& batch) {
    // Data first: every segment file a change points into is made durable
    // before the metadata that refers to it can be.
    std::vector<Segment*> segments;
    for (Change* c = batch.first; c; c = c->batch_next)
        for (const auto& s : c->data) segments.push_back(s.get());
    std::sort(segments.begin(), segments.end());
    segments.erase(std::unique(segments.begin(), segments.end()), segments.end());
    for (Segment* s : segments)
        if (auto r = sync_segment(*s); !r) return std::move(r).error();
    try {
        // Writes the data pages, syncs them, then writes and syncs the meta
        // page that makes them the database (LMDB's durable commit).
        batch.txn->commit();
    } catch (const DbFailure& e) {
        return Error(e.code, e.what());
    }
    return std::nullopt;
}

std::uint64_t CommitQueue::batches() const {
    std::lock_guard lock(mu_);
    return batches_;
}

std::uint64_t CommitQueue::changes() const {
    std::lock_guard lock(mu_);
    return changes_;
}

}  // namespace ostor::detail
