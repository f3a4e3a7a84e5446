// The reclaimer of a segment store: gives the blocks of extents that lost
// their last reference back to the file system after the commit that dropped
// them, on a thread of its own, so that no write or delete waits for it.
//
// The commit that drops an extent lists it in the FreedExtents table; the
// row is forgotten once its blocks are punched (or its segment is gone). A
// process that crashes in between leaves the rows to the next open, which
// punches them again: punching is idempotent, and the space of a segment is
// never handed out twice (segments are appended to and never reused).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "local/segment_store.hpp"

namespace ostor::detail {

namespace {

// Extents handed to release() and not yet through reclaim(), in every store
// of the process (for testing::wait_for_reclaims).
std::mutex pending_mu;
std::condition_variable pending_cv;
std::size_t pending_extents = 0;
std::atomic<bool> reclaims_held{false};  // testing::hold_reclaims

void count_pending(std::size_t added, std::size_t done) {
    {
        std::lock_guard lock(pending_mu);
        pending_extents = pending_extents + added - done;
    }
    if (done > 0) pending_cv.notify_all();
}

bool by_place(const Extent& a, const Extent& b) {
    return a.segment != b.segment ? a.segment < b.segment : a.offset < b.offset;
}

bool same_place(const Extent& a, const Extent& b) { return a.segment == b.segment && a.offset == b.offset; }

}  // namespace

void testing::hold_reclaims(bool hold) { reclaims_held = hold; }

void testing::wait_for_reclaims() {
    std::unique_lock lock(pending_mu);
    pending_cv.wait(lock, [] { return pending_extents == 0; });
}

void SegmentStore::release(const std::vector<Extent>& freed) {
    if (freed.empty()) return;
    count_pending(freed.size(), 0);
    {
        std::lock_guard lock(reclaim_mu_);
        if (!reclaim_stopping_) {
            to_reclaim_.insert(to_reclaim_.end(), freed.begin(), freed.end());
            reclaim_cv_.notify_one();
            return;
        }
    }
    try {
        reclaim(freed);  // the store is closing: no thread left to hand them to
    } catch (const std::exception&) {
        // Left listed: the next open punches them.
    }
    count_pending(0, freed.size());
}

void SegmentStore::reclaim_loop() {
    std::unique_lock lock(reclaim_mu_);
    for (;;) {
        reclaim_cv_.wait(lock, [&] { return reclaim_stopping_ || (!to_reclaim_.empty() && !reclaims_held); });
        if (reclaim_stopping_ && reclaims_held) {  // a test's crash: they stay listed
            count_pending(0, to_reclaim_.size());
            return;
        }
        if (to_reclaim_.empty()) return;  // stopping, and everything handed over is done
        std::vector<Extent> batch = std::move(to_reclaim_);
        to_reclaim_.clear();
        lock.unlock();
        // In place order, so that a body's extents are punched as one run.
        const std::size_t handed = batch.size();
        std::sort(batch.begin(), batch.end(), by_place);
        // Two readers letting go of the same extent hand it over twice.
        batch.erase(std::unique(batch.begin(), batch.end(), same_place), batch.end());
        try {
            reclaim(batch);
        } catch (const std::exception&) {
            // Left listed: the next open punches them.
        }
        count_pending(0, handed);
        lock.lock();
    }
}

void SegmentStore::stop_reclaimer() {
    {
        std::lock_guard lock(reclaim_mu_);
        reclaim_stopping_ = true;
    }
    reclaim_cv_.notify_one();
    if (reclaimer_.joinable()) reclaimer_.join();
}

void SegmentStore::reclaim(const std::vector<Extent>& freed) {
    std::vector<Extent> done;  // punched, or their segment is gone: rows to forget
    // The segments punched in (in place order), each with its descriptor.
    std::vector<std::pair<std::uint64_t, std::shared_ptr<SegmentFile>>> touched;
    for (std::size_t i = 0; i < freed.size();) {
        // A run of extents that follow each other in one segment (a body
        // written in one go) is punched with one call, unless a reader pins
        // part of it: then extent by extent, so the rest is freed now.
        const Extent& first = freed[i];
        std::size_t next = i + 1;
        std::uint64_t end = first.offset + round_up_block(first.length);
        while (next < freed.size() && freed[next].segment == first.segment && freed[next].offset == end)
            end += round_up_block(freed[next++].length);
        auto file = open_file(first.segment);
        if (!file) {
            // Left listed when the open failed otherwise (no descriptor
            // left...): the next release or open tries again.
            if (is_gone(first.segment)) done.insert(done.end(), freed.begin() + i, freed.begin() + next);
        } else if (int fd = (*file)->fd; next - i > 1 && punch_unless_pinned(fd, first.offset, end - first.offset)) {
            done.insert(done.end(), freed.begin() + i, freed.begin() + next);
        } else {
            for (std::size_t k = i; k < next; ++k)
                if (punch_unless_pinned(fd, freed[k].offset, freed[k].length)) done.push_back(freed[k]);
        }
        if (file && (touched.empty() || touched.back().first != first.segment))
            touched.emplace_back(first.segment, *file);
        i = next;
    }
    bool unlinked = false;
    for (const auto& [id, file] : touched) unlinked = unlink_if_empty(id) || unlinked;
    // The punches made durable before their rows go: has the file system
    // commit them now (with online discard, the blocks' discards too: about
    // half a second per GiB here), not in the next writer's sync.
    bool synced = true;
    for (const auto& [id, file] : touched) synced = ::fdatasync(file->fd) == 0 && synced;
    if (unlinked) synced = sync_dir() && synced;
    if (done.empty() || !synced) return;  // a failed sync: left listed for the next open
    // Not forgotten when this commit fails: the next open punches them again.
    (void)commits_.run([&](Txn& txn) -> Result<void> {
        for (const Extent& x : done) txn.del(Table::FreedExtents, extent_key(x.segment, x.offset));
        return {};
    });
}

Result<void> SegmentStore::reclaim_listed() {
    std::vector<Extent> listed;
    try {
        listed = extents_in(Txn::read(env_), Table::FreedExtents);
    } catch (const DbFailure& e) {
        return Error(e.code, e.what());
    }
    reclaim(listed);  // in key order: by segment and offset
    return {};
}

}  // namespace ostor::detail
