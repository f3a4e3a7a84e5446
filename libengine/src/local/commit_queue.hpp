// Group commit: every metadata change of this process goes through here.
//
// A caller hands in a function that applies its change to a write
// transaction, plus the segment files whose data the change refers to. The
// first caller to find no commit in progress becomes the leader: it takes
// every change queued so far and applies each in a nested transaction (so
// one change's refusal does not undo the others), fdatasyncs their segment
// files (data before the metadata that points to it), and commits the lot as
// one LMDB transaction: one sync of the data pages, one of the meta page.
// Callers that arrive while it commits queue up; once the batch is durable
// the leader wakes its callers and hands the lead to the first caller of the
// next batch.
//
// A commit costs nearly the same for one change as for sixteen (two syncs),
// so batches should be large. Callers that were just answered usually come
// straight back with their next change (a client that PUTs as soon as its
// PUT returns), so a new leader lingers for them while changes keep arriving
// and its batch holds fewer than were in flight when the last batch ended. It
// applies arrivals as they come (woken every few), so that only the commit is
// left at the end. How long it waits for more arrivals adapts: the wait halves
// each time nothing came (callers that think between changes, such as clients
// across a network) and doubles each time everyone expected came; a leader
// never lingers longer than the last commit took, nor over a millisecond.
#pragma once

#include <semaphore.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "local/lmdb_env.hpp"
#include "ostor/error.hpp"

namespace ostor::detail {

struct Segment;

class CommitQueue {
public:
    explicit CommitQueue(const Env& env);

    using Apply = std::function<Result<void>(Txn&)>;

    // Applies and durably commits one change; returns what `apply` returned,
    // or the commit's failure. The `data` segments are synced (sync_segment)
    // before the commit; the batch fails if any sync does.
    using DataFiles = std::vector<std::shared_ptr<Segment>>;
    Result<void> run(Apply apply, DataFiles data = {});

    // The same with a value computed inside the transaction.
    template <class T, class F>
    Result<T> run_value(F&& fn, DataFiles data = {}) {
        std::optional<T> value;
        auto r = run(
            [&](Txn& txn) -> Result<void> {
                Result<T> out = fn(txn);
                if (!out) return std::move(out).error();
                value.emplace(std::move(*out));
                return {};
            },
            std::move(data));
        if (!r) return r.error();
        return std::move(*value);
    }

    // Batches committed and changes applied so far (for tests and metrics).
    std::uint64_t batches() const;
    std::uint64_t changes() const;

private:
    using Clock = std::chrono::steady_clock;

    struct Change {
        Change() {
            if (::sem_init(&woken, 0, 0) != 0) std::abort();  // cannot fail for a private semaphore at 0
        }
        ~Change() { ::sem_destroy(&woken); }
        Change(const Change&) = delete;
        Change& operator=(const Change&) = delete;

        Apply apply;
        DataFiles data;
        Change* batch_next = nullptr;  // the batch is a list through its changes: taking one allocates nothing
        // The leader sets `outcome`, or `leads` to hand it the lead, then posts
        // `woken` and touches the change no more; the caller reads them only
        // once woken. A POSIX semaphore because the caller may destroy it as
        // soon as sem_wait returns, even while sem_post is still returning
        // (glibc guarantees that); and waking does not make the woken caller
        // contend for a mutex the leader holds, as a condition variable would.
        std::optional<Result<void>> outcome;
        bool leads = false;
        sem_t woken;
    };

    // The changes of one commit, applied to `txn` as they are taken.
    struct Batch {
        std::optional<Txn> txn;
        Change* first = nullptr;
        Change* last = nullptr;
        std::size_t size = 0;
        std::optional<Error> failure;  // of the whole batch: no change commits
    };

    // Commits one batch, which starts with `self` (the leader's own change),
    // wakes its callers and passes the lead on. A failure of any step fails
    // the whole batch.
    void lead(Change& self);
    // Takes the queued changes into `batch` and applies them (unlocked meanwhile).
    void apply_queued(Batch& batch, std::unique_lock<std::mutex>& lock);
    // Waits for the callers expected back, applying them as they come.
    void linger(Batch& batch, std::unique_lock<std::mutex>& lock);
    // Syncs the batch's object data, then commits its transaction.
    std::optional<Error> sync_data_and_commit(Batch& batch);

    const Env& env_;
    mutable std::mutex mu_;
    std::condition_variable arrived_cv_;  // a change was queued while a leader lingers
    std::deque<Change*> queue_;
    bool leader_active_ = false;
    std::size_t linger_wake_at_ = 0;
    std::size_t expected_ = 1;  // changes in flight when the last batch was done
    Clock::duration last_commit_{};
    Clock::duration linger_gap_;
    std::uint64_t batches_ = 0;
    std::uint64_t changes_ = 0;
};

}  // namespace ostor::detail
