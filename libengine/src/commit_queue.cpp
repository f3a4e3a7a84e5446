#include "commit_queue.hpp"

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

}  // namespace

CommitQueue::CommitQueue(const Env& env) : env_(env), linger_gap_(kMinLingerGap) {}

Result<void> CommitQueue::run(Apply apply, std::vector<int> data_fds) {
    Change change;
    change.apply = std::move(apply);
    change.data_fds = std::move(data_fds);
    bool leads = false;
    {
        std::lock_guard lock(mu_);
        queue_.push_back(&change);
        leads = !leader_active_;
        leader_active_ = true;
        if (!leads) arrived_cv_.notify_one();
    }
    for (;;) {
        if (leads) lead(change);
        if (change.outcome) return std::move(*change.outcome);
        while (::sem_wait(&change.woken) != 0) {
            // EINTR: a signal handler ran; keep waiting.
        }
        if (change.outcome) return std::move(*change.outcome);
        leads = std::exchange(change.leads, false);
    }
}

void CommitQueue::lead(Change& self) {
    Batch batch;
    try {
        batch.txn.emplace(Txn::write(env_));
    } catch (const DbFailure& e) {
        batch.failure = Error(e.code, e.what());
    }
    {
        std::unique_lock lock(mu_);
        apply_queued(batch, lock);
        linger(batch, lock);
    }
    auto started = Clock::now();
    commit(batch);
    auto took = Clock::now() - started;

    Change* next_leader = nullptr;
    {
        std::lock_guard lock(mu_);
        last_commit_ = took;
        expected_ = std::min(batch.changes.size() + queue_.size(), kMaxChangesPerBatch);
        ++batches_;
        changes_ += batch.changes.size();
        if (queue_.empty()) leader_active_ = false;
        else next_leader = queue_.front();
    }
    // A caller may return (and its Change go) as soon as it sees its outcome,
    // so each change is touched for the last time here.
    for (std::size_t i = 0; i < batch.changes.size(); ++i) {
        Change* c = batch.changes[i];
        c->outcome = batch.failure ? Result<void>(*batch.failure) : std::move(batch.outcomes[i]);
        if (c != &self) ::sem_post(&c->woken);
    }
    if (next_leader) {
        next_leader->leads = true;
        ::sem_post(&next_leader->woken);
    }
}

void CommitQueue::apply_queued(Batch& batch, std::unique_lock<std::mutex>& lock) {
    std::vector<Change*> taken;
    while (!queue_.empty() && batch.changes.size() + taken.size() < kMaxChangesPerBatch) {
        taken.push_back(queue_.front());
        queue_.pop_front();
    }
    lock.unlock();
    for (Change* c : taken) {
        batch.changes.push_back(c);
        if (batch.failure) {
            batch.outcomes.emplace_back(*batch.failure);
            continue;
        }
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
                }
            }();
            if (r) nested.commit();
            else nested.abort();
            batch.outcomes.push_back(std::move(r));
        } catch (const DbFailure& e) {
            // The transaction itself failed: nothing of the batch commits.
            batch.failure = Error(e.code, e.what());
            batch.outcomes.emplace_back(*batch.failure);
        }
    }
    lock.lock();
}

void CommitQueue::linger(Batch& batch, std::unique_lock<std::mutex>& lock) {
    if (batch.failure || batch.changes.size() >= expected_) return;
    auto deadline = Clock::now() + std::min(last_commit_, kMaxLinger);
    while (batch.changes.size() < kMaxChangesPerBatch) {
        auto now = Clock::now();
        if (now >= deadline) return;
        bool arrived =
            arrived_cv_.wait_until(lock, std::min(deadline, now + linger_gap_), [&] { return !queue_.empty(); });
        if (!arrived) {
            if (Clock::now() < deadline) linger_gap_ = std::max(linger_gap_ / 2, kMinLingerGap);
            return;
        }
        apply_queued(batch, lock);
        if (batch.failure) return;  // later arrivals get a batch of their own
        if (batch.changes.size() >= expected_) {
            linger_gap_ = std::min(linger_gap_ * 2, kMaxLingerGap);
            return;
        }
    }
}

void CommitQueue::commit(Batch& batch) {
    if (!batch.failure) batch.failure = sync_data_and_commit(batch);
    batch.txn.reset();  // a failed transaction ends here, not once its callers are woken
}

std::optional<Error> CommitQueue::sync_data_and_commit(Batch& batch) {
    // Data first: every segment file a change points into is made durable
    // before the metadata that refers to it can be.
    std::vector<int> fds;
    for (Change* c : batch.changes) fds.insert(fds.end(), c->data_fds.begin(), c->data_fds.end());
    std::sort(fds.begin(), fds.end());
    fds.erase(std::unique(fds.begin(), fds.end()), fds.end());
    for (int fd : fds)
        if (::fdatasync(fd) != 0)
            return Error(errno == ENOSPC ? Errc::NoSpace : Errc::IoError,
                         std::string("fdatasync of object data failed: ") + std::strerror(errno));
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
