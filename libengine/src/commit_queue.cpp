#include "commit_queue.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ostor::detail {

namespace {
// Bounds the work (and the nested-transaction memory) of one commit.
constexpr std::size_t kMaxChangesPerBatch = 512;
}  // namespace

Result<void> CommitQueue::run(Apply apply, std::vector<int> data_fds) {
    Change change{std::move(apply), std::move(data_fds), std::nullopt, false};
    std::unique_lock lock(mu_);
    queue_.push_back(&change);
    while (!change.outcome) {
        if (leader_active_) {
            done_cv_.wait(lock);
            continue;
        }
        leader_active_ = true;
        std::vector<Change*> batch;
        while (!queue_.empty() && batch.size() < kMaxChangesPerBatch) {
            batch.push_back(queue_.front());
            queue_.pop_front();
        }
        std::vector<Change*> previous;
        previous.swap(awaiting_sync_);
        lock.unlock();
        // This batch's commit syncs the previous batch's meta page; without a
        // commit (nothing queued, or it failed), sync explicitly.
        bool previous_durable = !batch.empty() && execute(batch);
        std::optional<Error> sync_error;
        if (!previous_durable && !previous.empty()) {
            int rc = mdb_env_sync(env_.get(), 1);
            if (rc == 0) previous_durable = true;
            else sync_error = Error(Errc::IoError, std::string("metadata sync failed: ") + mdb_strerror(rc));
        }
        lock.lock();
        for (Change* c : previous) c->outcome = previous_durable ? Result<void>() : Result<void>(*sync_error);
        for (Change* c : batch)
            if (!c->outcome) awaiting_sync_.push_back(c);
        ++batches_;
        changes_ += batch.size();
        leader_active_ = false;
        done_cv_.notify_all();
    }
    return std::move(*change.outcome);
}

bool CommitQueue::execute(std::vector<Change*>& batch) {
    auto fail_all = [&](const Error& e) {
        for (Change* c : batch) c->outcome = Result<void>(e);
    };

    // Data first: every segment file a change points into is made durable
    // before the metadata that refers to it can be.
    std::vector<int> fds;
    for (Change* c : batch) fds.insert(fds.end(), c->data_fds.begin(), c->data_fds.end());
    std::sort(fds.begin(), fds.end());
    fds.erase(std::unique(fds.begin(), fds.end()), fds.end());
    for (int fd : fds) {
        if (::fdatasync(fd) != 0) {
            fail_all(Error(errno == ENOSPC ? Errc::NoSpace : Errc::IoError,
                           std::string("fdatasync of object data failed: ") + std::strerror(errno)));
            return false;
        }
    }

    std::vector<Result<void>> outcomes;
    outcomes.reserve(batch.size());
    try {
        Txn txn = Txn::write(env_);
        for (Change* c : batch) {
            Txn nested = Txn::write(env_, &txn);
            Result<void> r = [&]() -> Result<void> {
                try {
                    return c->apply(nested);
                } catch (const DbFailure& e) {
                    return Result<void>(e.code, e.what());
                }
            }();
            if (r) nested.commit();
            else nested.abort();
            outcomes.push_back(std::move(r));
        }
        txn.commit();
    } catch (const DbFailure& e) {
        fail_all(Error(e.code, e.what()));
        return false;
    }
    // Refusals changed nothing: answer them now. Applied changes wait until
    // their commit is known durable.
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (outcomes[i]) batch[i]->committed = true;
        else batch[i]->outcome = std::move(outcomes[i]);
    }
    return true;
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
