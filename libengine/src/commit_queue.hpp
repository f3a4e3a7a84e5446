// Group commit: every metadata change of this process goes through here.
//
// A caller hands in a function that applies its change to a write
// transaction, plus the segment files whose data the change refers to. The
// first caller to find no commit in progress becomes the leader: it takes
// every change queued so far, fdatasyncs their segment files (data before
// metadata), applies each change in a nested transaction (so one change's
// refusal does not undo the others), and commits the lot with one LMDB
// transaction. Callers that arrived meanwhile wait and form the next batch.
//
// LMDB runs with MDB_NOMETASYNC: a commit syncs its data pages but not its
// meta page. The next commit's sync carries the previous meta page to disk,
// so under load every batch costs one sync; a batch is acknowledged only once
// that has happened (or an explicit sync did it when no batch followed).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "lmdb_env.hpp"
#include "ostor/error.hpp"

namespace ostor::detail {

class CommitQueue {
public:
    explicit CommitQueue(const Env& env) : env_(env) {}

    using Apply = std::function<Result<void>(Txn&)>;

    // Applies and durably commits one change; returns what `apply` returned,
    // or the commit's failure. `data_fds` are fdatasync'ed before the commit.
    Result<void> run(Apply apply, std::vector<int> data_fds = {});

    // The same with a value computed inside the transaction.
    template <class T, class F>
    Result<T> run_value(F&& fn, std::vector<int> data_fds = {}) {
        std::optional<T> value;
        auto r = run(
            [&](Txn& txn) -> Result<void> {
                Result<T> out = fn(txn);
                if (!out) return std::move(out).error();
                value.emplace(std::move(*out));
                return {};
            },
            std::move(data_fds));
        if (!r) return r.error();
        return std::move(*value);
    }

    // Batches committed and changes applied so far (for tests and metrics).
    std::uint64_t batches() const;
    std::uint64_t changes() const;

private:
    struct Change {
        Apply apply;
        std::vector<int> data_fds;
        std::optional<Result<void>> outcome;
        bool committed = false;  // applied and committed, not yet known durable
    };
    // Applies and commits; says whether the commit (and so its sync) happened.
    bool execute(std::vector<Change*>& batch);

    const Env& env_;
    mutable std::mutex mu_;
    std::condition_variable done_cv_;
    std::deque<Change*> queue_;
    std::vector<Change*> awaiting_sync_;  // committed; their meta page is not yet durable
    bool leader_active_ = false;
    std::uint64_t batches_ = 0;
    std::uint64_t changes_ = 0;
};

}  // namespace ostor::detail
