#include "rados/ledger_batches.hpp"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <set>

#include "engine_impl.hpp"
#include "rados/catalog_support.hpp"
#include "rados/records_layout.hpp"
#include "size_history.hpp"

namespace ostor::detail::rados {

namespace {

// A stored count plus a delta, never below zero: a negative result means the
// counts already drifted (a crash window, see space_ledger.hpp), and a
// recount is what repairs them, not a wrap-around.
std::uint64_t add_clamped(std::uint64_t n, std::int64_t delta) {
    if (delta >= 0) return n + static_cast<std::uint64_t>(delta);
    auto down = static_cast<std::uint64_t>(-(delta + 1)) + 1;  // -INT64_MIN safely
    return n - std::min(n, down);
}

// `delta` made no larger downwards than `n` (apply_size_change asserts on drift).
std::int64_t clamp_down(std::uint64_t n, std::int64_t delta) {
    if (delta < 0 && static_cast<std::uint64_t>(-(delta + 1)) + 1 > n) return -static_cast<std::int64_t>(n);
    return delta;
}

std::uint64_t count_of(const std::map<std::string, std::string>& omap, std::string_view key) {
    return decode_count(value_of(omap, key)).value_or(0);
}

// A reservation entry as the batch goes.
struct Held {
    std::uint64_t counted = 0;     // bytes it counts in quota checks and `reserved` (0: expired)
    bool droppable = false;        // the next change drops it: expired (or unreadable), see LedgerExpiry
    std::uint64_t mark_token = 0;  // its CommitMark's token (0: none)
};

bool is_seq_value(std::string_view v) {
    return v.size() == 16 &&
           std::all_of(v.begin(), v.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::string recount_seq_value(std::uint64_t seq) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(seq));
    return buf;
}

bool once_counted(std::string_view held, std::string_view value) {
    // Fixed width lowercase hex: the string order is the numbers'.
    if (is_seq_value(held)) {
        if (is_seq_value(value)) return held >= value;
        // An older engine's token, finished late: a sequence is written only
        // by recounts made after the upgrade, so the token's recount came
        // before one the marker holds, which counted its drift already.
        return !value.empty();
    }
    return !held.empty() && held == value;
}

LedgerBatchPlan plan_ledger_batch(std::string_view oid, const LedgerState& state,
                                  std::span<const LedgerChange* const> batch, const LedgerExpiry& expiry) {
    const std::map<std::string, std::string>& omap = state.omap;
    const std::int64_t now = expiry.now_ms;

    // The reservations, read once; the changes then work on this map.
    std::map<std::string, Held> held;
    for (auto it = omap.lower_bound(std::string(kReservationPrefix));
         it != omap.end() && it->first.starts_with(kReservationPrefix); ++it) {
        auto entry = decode_reservation_entry(it->second);
        // By its maker's clock another's may still be running: it goes only
        // past the clocks' disagreement, but counts no more at once.
        const std::int64_t drop_after = it->first.starts_with(expiry.own_prefix) ? 0 : expiry.others_grace_ms;
        Held h;
        h.droppable = !entry || entry->expiry_ms + drop_after <= now;
        h.counted = entry && entry->expiry_ms > now ? entry->bytes : 0;
        if (entry && entry->committing) h.mark_token = entry->committing->token;
        held.emplace(it->first, h);
    }
    std::uint64_t bytes = count_of(omap, kLedgerBytesKey);
    std::uint64_t objects = count_of(omap, kLedgerObjectsKey);
    std::map<std::string, std::string> added;  // key -> encoded entry, of the reservations the batch adds
    // Settled markers: those read (by key), and those the batch writes.
    std::set<std::string> settled;
    std::set<std::string> stale;  // marker and age keys past their lifetime: removed with the batch's write
    auto is_stale = [&](std::int64_t written_ms) { return written_ms + expiry.settled_lifetime_ms <= now; };
    for (auto it = omap.lower_bound(std::string(kSettledPrefix));
         it != omap.end() && it->first.starts_with(kSettledPrefix); ++it) {
        settled.insert(it->first);
        auto at = decode_count(it->second);  // written ms; unreadable: dropped (its age key stays until listed)
        if (at && !is_stale(static_cast<std::int64_t>(*at))) continue;
        stale.insert(it->first);
        if (at) stale.insert(settled_age_key(static_cast<std::int64_t>(*at), it->first.substr(kSettledPrefix.size())));
    }
    // The oldest age keys, as read: a stale one goes with its marker (read or not).
    for (auto it = omap.lower_bound(std::string(kSettledAgePrefix));
         it != omap.end() && it->first.starts_with(kSettledAgePrefix); ++it) {
        auto age = decode_settled_age_key(it->first);
        if (age && !is_stale(age->written_ms)) continue;
        stale.insert(it->first);
        if (age) stale.insert(settled_key(age->token));
    }
    std::map<std::string, std::string> settled_added;

    // A bucket's size history changes with its bytes, in the same write.
    const bool bucket_ledger = is_bucket_ledger(oid);
    Bucket size;
    bool size_changed = false;
    if (bucket_ledger) {
        size.bytes = bytes;
        size.objects = objects;
        size.size.current = bytes;
        size.size.hmax = count_of(omap, kLedgerSizeMaxKey);
        size.size.h_integral = count_of(omap, kLedgerSizeIntegralKey);
        auto hour = decode_count(value_of(omap, kLedgerSizeHourKey));
        size.size.last_ts = omap.contains(std::string(kLedgerSizeHourKey)) && hour ? *hour : size_history_hour(now);
    }

    // The lock summary, written only when a change moves it.
    std::uint64_t lock_until = count_of(omap, kLedgerLockUntilKey);
    std::int64_t lock_holds = decode_lock_holds(value_of(omap, kLedgerLockHoldsKey));
    // A bucket ledger made now gets the summary (0/0): one with none is
    // older than it (SpaceLedger::fill_bucket_counts queues its recount),
    // and a recount's set_lock writes it however little it moves.
    bool lock_changed = bucket_ledger && !state.exists;
    bool lock_absent = bucket_ledger && !omap.contains(std::string(kLedgerLockHoldsKey));

    LedgerBatchPlan plan;
    plan.results.reserve(batch.size());
    bool changes_anything = false;
    std::vector<std::map<std::string, Held>::iterator> ends;
    std::vector<std::uint64_t> released_marks;    // a note_unsettled change's marked reservations
    std::map<std::string, std::string> keys_set;  // set_keys and once keys of the batch ("" removed)
    auto current = [&](const std::string& key) {
        if (auto it = keys_set.find(key); it != keys_set.end()) return it->second;
        return value_of(omap, key);
    };
    for (const LedgerChange* c : batch) {
        ends.clear();
        if (!c->once_key.empty() && once_counted(current(c->once_key), c->once_value)) {
            plan.results.emplace_back();  // counted already, however long ago
            continue;
        }
        const bool expected = std::all_of(c->expect.begin(), c->expect.end(), [&](const auto& kv) {
            if (kv.first == kLedgerVersionKey) return !changes_anything && state.ver == kv.second;
            return current(kv.first) == kv.second;
        });
        if (!expected) {
            plan.results.emplace_back(Error(Errc::PreconditionFailed, std::string(oid) + " changed since it was read"));
            continue;
        }
        if (c->only_if_exists && !state.exists) {
            // Gone, or not made yet (a ledger deleted between read and write fails its guard).
            plan.results.emplace_back(Error(Errc::NoSuchBucket, std::string(oid) + " does not exist"));
            continue;
        }
        if (!c->token.empty() && settled.contains(settled_key(c->token))) {
            plan.results.emplace_back();  // made already (an unknown outcome that landed)
            continue;
        }
        // After the marker check: a change made again after an unknown outcome
        // that landed in time is made, however late the retry; refusing it
        // would end the reservation on the other ledger uncounted.
        if (c->deadline && expiry.boot_now > *c->deadline) {
            plan.results.emplace_back(
                Error(Errc::PreconditionFailed, "a change of " + std::string(oid) + " past its deadline: not made"));
            continue;
        }
        if (c->only_if_held && !c->remove_key.empty() && !held.contains(c->remove_key)) {
            plan.results.emplace_back();  // settled by another meanwhile: its deltas are counted
            continue;
        }
        std::uint64_t reserved = 0;  // by the unexpired entries that stay
        // The replaced commit's reservation, still open: settled by this change.
        std::optional<std::string> replaced_key;
        for (auto it = held.begin(); it != held.end(); ++it) {
            const std::string& key = it->first;
            const bool replaced = c->replaced && c->replaced->token != 0 && it->second.mark_token == c->replaced->token;
            if (replaced) replaced_key = key;
            if (replaced || it->second.droppable || key == c->remove_key ||
                (!c->remove_prefix.empty() && key.starts_with(c->remove_prefix)))
                ends.push_back(it);
            else
                reserved += it->second.counted;
        }
        // A reservation of nothing is never refused, as the local ledger's.
        if (c->add && c->add->second.bytes > 0 && c->quota_bytes > 0 &&
            bytes + reserved + c->add->second.bytes > c->quota_bytes) {
            plan.results.emplace_back(Error(Errc::QuotaExceeded, "the write would take " + c->quota_subject +
                                                                     " past its quota of " +
                                                                     std::to_string(c->quota_bytes / kGiB) + " GiB"));
            continue;
        }
        // No open reservation of the replaced commit, but its adopter
        // released it not finding its record (this change's commit took it
        // off first): counted here, once.
        std::optional<std::string> unsettled;
        if (!replaced_key && c->replaced && c->replaced->token != 0) {
            std::string marker = settled_key(unsettled_token(c->replaced->token));
            if (settled.contains(marker)) unsettled = std::move(marker);
        }
        plan.results.emplace_back();
        const auto raised = [](std::uint64_t until, std::int64_t to) {
            return to > 0 ? std::max(until, static_cast<std::uint64_t>(to)) : until;
        };
        // Only the bucket's ledger has a lock summary (a commit's change goes
        // to its user's too). One that exists without it (older than it)
        // gets it from a recount's set_lock alone: moved, it would be written
        // from nothing, short of the versions, and no read would queue the
        // recount again (SpaceLedger::queue_missing_summary).
        const bool moves_summary = bucket_ledger && !(state.exists && lock_absent);
        std::uint64_t new_until = lock_until;
        std::int64_t new_holds = lock_holds;  // not clamped (deltas landing out of order commute)
        if (moves_summary) {
            // The replaced commit settled here first: its own move with its
            // counts (its writer's settle, finding its marker, is skipped).
            if (replaced_key || unsettled) {
                new_until = raised(new_until, c->replaced->lock_until_ms);
                new_holds += c->replaced->lock_holds_delta;
            }
            new_until = raised(new_until, c->lock_until_ms);
            new_holds += c->lock_holds_delta;
        }
        if (c->set_lock && bucket_ledger) {
            new_until = raised(lock_until, c->set_lock->first);
            new_holds = static_cast<std::int64_t>(c->set_lock->second);
        }
        const bool moves_lock =
            new_until != lock_until || new_holds != lock_holds || (c->set_lock && lock_absent && !lock_changed);
        // A move an older ledger does not take still changes its version: a
        // recount that read the ledger before the move's version entry was
        // written then fails its guarded write and scans again, seeing it.
        const bool move_left_to_recount =
            bucket_ledger && !moves_summary && (c->lock_until_ms > 0 || c->lock_holds_delta != 0);
        if (!c->add && ends.empty() && !unsettled && c->delta_bytes == 0 && c->delta_objects == 0 && !c->set_counts &&
            c->set_keys.empty() && c->once_key.empty() && !moves_lock && !move_left_to_recount)
            continue;  // nothing to change (a release of a reservation already gone)
        changes_anything = true;
        if (moves_lock) {
            lock_until = new_until;
            lock_holds = new_holds;
            lock_changed = true;
            lock_absent = false;
        }
        for (auto& [k, v] : c->set_keys) keys_set.insert_or_assign(k, v);
        if (!c->once_key.empty()) keys_set.insert_or_assign(c->once_key, c->once_value);
        for (auto it : ends) {
            if (c->note_unsettled && it->second.mark_token != 0 && !c->remove_prefix.empty() &&
                it->first.starts_with(c->remove_prefix))
                released_marks.push_back(it->second.mark_token);
            added.erase(it->first);
            held.erase(it);
        }
        if (c->add) {
            held.insert_or_assign(c->add->first, Held{c->add->second.bytes, false});
            added.insert_or_assign(c->add->first, encode_reservation(c->add->second));
        }
        auto add_deltas = [&](std::int64_t delta_bytes, std::int64_t delta_objects) {
            if (bucket_ledger && (delta_bytes != 0 || delta_objects != 0)) {
                apply_size_change(size, clamp_down(size.bytes, delta_bytes), clamp_down(size.objects, delta_objects),
                                  now);
                size_changed = true;
            }
            bytes = add_clamped(bytes, delta_bytes);
            objects = add_clamped(objects, delta_objects);
        };
        auto mark_settled = [&](const std::string& token) {
            const std::string marker = settled_key(token);
            const std::string age = settled_age_key(now, token);
            settled.insert(marker);
            stale.erase(marker);
            stale.erase(age);
            settled_added.insert_or_assign(marker, encode_count(static_cast<std::uint64_t>(now)));
            settled_added.insert_or_assign(age, "");
        };
        // The replaced commit first: its deltas came first (a shrinking
        // overwrite's negative delta would otherwise be clamped).
        if (replaced_key) {
            add_deltas(c->replaced->delta_bytes, c->replaced->delta_objects);
            mark_settled(*replaced_key);
        } else if (unsettled) {
            add_deltas(c->replaced->delta_bytes, c->replaced->delta_objects);
            settled.erase(*unsettled);
            // Its age key, by the ms it was written (now when this batch wrote it).
            const std::string token = unsettled->substr(kSettledPrefix.size());
            std::optional<std::uint64_t> at;
            if (auto a = settled_added.find(*unsettled); a != settled_added.end())
                at = decode_count(a->second);
            else
                at = decode_count(value_of(omap, *unsettled));
            settled_added.erase(*unsettled);
            stale.insert(*unsettled);
            if (at) {
                const std::string age = settled_age_key(static_cast<std::int64_t>(*at), token);
                settled_added.erase(age);
                stale.insert(age);
            }
        }
        for (std::uint64_t t : released_marks) mark_settled(unsettled_token(t));
        released_marks.clear();
        add_deltas(c->delta_bytes, c->delta_objects);
        if (c->set_counts) {
            // Both fit in int64 (counts of one ledger); the difference is the delta.
            add_deltas(static_cast<std::int64_t>(c->set_counts->first) - static_cast<std::int64_t>(bytes),
                       static_cast<std::int64_t>(c->set_counts->second) - static_cast<std::int64_t>(objects));
        }
        if (!c->token.empty()) mark_settled(c->token);
    }
    if (!changes_anything) return plan;

    WriteOp& op = plan.write.emplace();
    // An omap compare on a missing object fails with ENOENT whatever it
    // compares: the first change creates the ledger exclusively instead
    // (a concurrent first change makes the other one read again).
    if (state.exists)
        op.compare_omap(std::string(kLedgerVersionKey), Compare::Eq, state.ver);
    else
        op.create_exclusive();
    std::set<std::string> removed;
    for (auto it = omap.lower_bound(std::string(kReservationPrefix));
         it != omap.end() && it->first.starts_with(kReservationPrefix); ++it)
        if (!held.contains(it->first)) removed.insert(it->first);
    removed.insert(stale.begin(), stale.end());
    std::map<std::string, std::string> keys_written;
    for (auto& [k, v] : keys_set) {
        if (v.empty())
            removed.insert(k);
        else
            keys_written.emplace(k, v);
    }
    if (!removed.empty()) op.omap_remove_keys(removed);
    if (!keys_written.empty()) op.omap_set(keys_written);
    if (!added.empty()) op.omap_set(added);
    if (!settled_added.empty()) op.omap_set(settled_added);
    std::uint64_t reserved = 0;
    for (auto& [_, h] : held) reserved += h.counted;
    op.omap_set({
        {std::string(kLedgerBytesKey), encode_count(bytes)},
        {std::string(kLedgerObjectsKey), encode_count(objects)},
        {std::string(kLedgerReservedKey), encode_count(reserved)},
        {std::string(kLedgerVersionKey), encode_count(count_of(omap, kLedgerVersionKey) + 1)},
    });
    if (lock_changed)
        op.omap_set({
            {std::string(kLedgerLockUntilKey), encode_count(lock_until)},
            {std::string(kLedgerLockHoldsKey), encode_lock_holds(lock_holds)},
        });
    if (size_changed)
        op.omap_set({
            {std::string(kLedgerSizeMaxKey), encode_count(size.size.hmax)},
            {std::string(kLedgerSizeIntegralKey), encode_count(size.size.h_integral)},
            {std::string(kLedgerSizeHourKey), encode_count(size.size.last_ts)},
        });
    return plan;
}

// One caller of submit, on its own stack. The leader of its batch sets
// `result`, or sets `leads` to hand it the lead, and notifies `wake`, all
// under the combiner's mutex: the caller, which reads them under that mutex,
// cannot return (and destroy `wake`) before the leader has let go of it.
struct LedgerCombiner::Waiter {
    const LedgerChange* change = nullptr;
    std::optional<Result<void>> result;
    bool leads = false;
    std::condition_variable wake;
};

Result<void> LedgerCombiner::submit(const std::string& oid, const LedgerChange& change, const WriteBatch& write) {
    Waiter self;
    self.change = &change;
    std::vector<Waiter*> members{&self};
    std::unique_lock lock(mutex_);
    auto [queue, first] = queues_.try_emplace(oid);
    if (!first) {
        // A batch of this object is in flight: wait for a result, or for the lead.
        queue->second.waiting.push_back(&self);
        self.wake.wait(lock, [&] { return self.result || self.leads; });
        if (self.result) return std::move(*self.result);
        // Leading: the batch is every change queued by now (this one was the first).
        members.insert(members.end(), queue->second.waiting.begin(), queue->second.waiting.end());
        queue->second.waiting.clear();
    }
    ++batches_;
    changes_ += members.size();
    lock.unlock();

    std::vector<Result<void>> results;
    try {
        std::vector<const LedgerChange*> changes;
        changes.reserve(members.size());
        for (Waiter* m : members) changes.push_back(m->change);
        results = write(changes);
        assert(results.size() == members.size());
    } catch (...) {
        results.clear();
    }
    // Whatever went wrong, the members are answered and the lead passes on
    // (else every later change of the object would wait for ever). The write
    // may have landed: IoError, not to be repeated.
    if (results.size() != members.size())
        results.assign(members.size(),
                       Error(Errc::IoError, "changing " + oid + " failed; the change may have applied"));

    lock.lock();
    finish(queue, members, results);
    return std::move(results[0]);
}

void LedgerCombiner::finish(std::map<std::string, Queue>::iterator queue, const std::vector<Waiter*>& members,
                            std::vector<Result<void>>& results) {
    for (std::size_t i = 1; i < members.size(); ++i) {
        members[i]->result = std::move(results[i]);
        members[i]->wake.notify_one();
    }
    std::deque<Waiter*>& waiting = queue->second.waiting;
    if (waiting.empty()) {
        queues_.erase(queue);  // nothing in flight any more
        return;
    }
    Waiter* next = waiting.front();
    waiting.pop_front();
    next->leads = true;
    next->wake.notify_one();
}

std::size_t LedgerCombiner::queued(const std::string& oid) const {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(oid);
    return it == queues_.end() ? 0 : it->second.waiting.size();
}

std::uint64_t LedgerCombiner::batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
}

std::uint64_t LedgerCombiner::changes() const {
    std::lock_guard lock(mutex_);
    return changes_;
}

}  // namespace ostor::detail::rados
