// The space ledger's share of the recount (space_ledger.hpp, "Recount";
// docs/rados.md, "Space ledger"): which buckets an instance touched, the
// queue of bucket incarnations to recount, and the guarded writes that set a
// bucket ledger's counts and carry the difference to its owner's, once.
// The sum itself (index and uploads) is the object catalog's
// (object_recount.cpp).
#include <charconv>

#include "engine_impl.hpp"
#include "hashing.hpp"
#include "rados/catalog_support.hpp"
#include "rados/records_layout.hpp"
#include "rados/space_ledger.hpp"

namespace ostor::detail::rados {

namespace {

// A queue entry's value: the ms it was queued and a random part, so that a
// re-queue within the same ms is still told apart by the guard of the
// entry's removal.
std::string queued_value() { return std::to_string(now_ms()) + " " + random_hex16(); }

// recount.queue entries per write when an adopter moves touched.<dead>.
constexpr std::size_t kQueueEntriesPerWrite = 256;

template <class T>
bool parse_whole(std::string_view text, T& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

Result<void> SpaceLedger::note_touched(const LedgerBucket& bucket) {
    const std::string key = recount_key(bucket.name, bucket.epoch);
    std::unique_lock lock(touched_mutex_);
    for (;;) {
        auto it = touched_.find(key);
        if (it == touched_.end()) break;
        if (it->second) return {};    // written already in this life
        touched_written_.wait(lock);  // another caller writes it: its outcome first
    }
    touched_.emplace(key, false);
    lock.unlock();
    // Whatever the write does (an exception included), the waiters are
    // released: each writes the entry itself unless it was written.
    bool written_ok = false;
    struct Release {
        SpaceLedger& self;
        const std::string& key;
        const bool& ok;
        ~Release() {
            std::lock_guard relock(self.touched_mutex_);
            if (ok)
                self.touched_[key] = true;
            else
                self.touched_.erase(key);
            self.touched_written_.notify_all();
        }
    } release{*this, key, written_ok};
    auto written = client_.apply(Pool::Meta, touched_oid(instance_id_),
                                 WriteOp().omap_set(key, encode_count(static_cast<std::uint64_t>(now_ms()))));
    written_ok = written.has_value();
    return written;
}

void SpaceLedger::forget_touched(const LedgerBucket& bucket) {
    const std::string key = recount_key(bucket.name, bucket.epoch);
    {
        std::lock_guard lock(touched_mutex_);
        auto it = touched_.find(key);
        if (it == touched_.end() || !it->second) return;  // not ours, or being written: left
        touched_.erase(it);
    }
    // A late write into the gone incarnation names it again (its recount
    // would be dropped anyway: the bucket record is gone).
    (void)client_.apply(Pool::Meta, touched_oid(instance_id_), WriteOp().omap_remove(key));
}

Result<void> SpaceLedger::queue_recount(const LedgerBucket& bucket) {
    const std::string key = recount_key(bucket.name, bucket.epoch);
    auto queued = client_.apply(Pool::Meta, std::string(kRecountQueueOid), WriteOp().omap_set(key, queued_value()));
    if (!queued) {
        // Made again by close(), before it removes touched.<instance>.
        std::lock_guard lock(touched_mutex_);
        unqueued_.insert(key);
    }
    return queued;
}

Result<void> SpaceLedger::queue_unqueued() {
    std::set<std::string> keys;
    {
        std::lock_guard lock(touched_mutex_);
        keys.swap(unqueued_);
    }
    std::map<std::string, std::string> entries;
    for (auto& k : keys) entries.emplace(k, queued_value());
    if (entries.empty()) return {};
    auto queued = client_.apply(Pool::Meta, std::string(kRecountQueueOid), WriteOp().omap_set(entries));
    if (!queued) {
        std::lock_guard lock(touched_mutex_);
        unqueued_.insert(keys.begin(), keys.end());
    }
    return queued;
}

Result<void> SpaceLedger::queue_owner_recount(std::string_view user_id) {
    const std::string key = owner_recount_key(user_id);
    auto queued = client_.apply(Pool::Meta, std::string(kRecountQueueOid), WriteOp().omap_set(key, queued_value()));
    if (!queued) {
        // Made again by close(), as queue_recount's.
        std::lock_guard lock(touched_mutex_);
        unqueued_.insert(key);
    }
    return queued;
}

Result<void> SpaceLedger::queue_touched_of(const std::string& instance) {
    const std::string oid = touched_oid(instance);
    auto touched = read_whole_omap(client_, Pool::Meta, oid);
    if (!touched) {
        if (touched.error().code() == kNotFound) return {};  // touched nothing, or queued already
        return std::move(touched).error();
    }
    // In writes of kQueueEntriesPerWrite keys: an instance may have
    // touched many buckets, and one huge omap write is one huge OSD op.
    std::map<std::string, std::string> entries;
    for (auto it = touched->begin(); it != touched->end(); ++it) {
        entries.emplace(it->first, queued_value());
        if (entries.size() == kQueueEntriesPerWrite || std::next(it) == touched->end()) {
            OSTOR_TRY(client_.apply(Pool::Meta, std::string(kRecountQueueOid), WriteOp().omap_set(entries)));
            entries.clear();
        }
    }
    // Last: a failure above leaves it for the next adoption.
    auto removed = client_.remove(Pool::Meta, oid);
    if (!removed && removed.error().code() != kNotFound) return removed;
    return {};
}

Result<std::vector<SpaceLedger::QueuedRecount>> SpaceLedger::queued_recounts(const std::string& after,
                                                                             std::uint32_t max) {
    std::vector<QueuedRecount> out;
    auto page = client_.omap_list(Pool::Meta, std::string(kRecountQueueOid), after, "", max);
    if (!page) {
        if (page.error().code() == kNotFound) return out;
        return std::move(page).error();
    }
    for (auto& [k, v] : page->entries) out.push_back(QueuedRecount{k, v});
    return out;
}

Result<void> SpaceLedger::unqueue_recount(const QueuedRecount& queued) {
    WriteOp op;
    op.compare_omap(queued.key, Compare::Eq, queued.value).omap_remove(queued.key);
    auto removed = client_.apply(Pool::Meta, std::string(kRecountQueueOid), op);
    if (!removed && changed_meanwhile(removed.error())) return {};  // queued again (or gone): it stays
    return removed;
}

Result<SpaceLedger::RecountState> SpaceLedger::read_recount_state(const LedgerBucket& bucket) {
    return read_recount_state_of(bucket_ledger_oid(bucket.name, bucket.epoch));
}

Result<SpaceLedger::RecountState> SpaceLedger::read_owner_recount_state(std::string_view user_id) {
    return read_recount_state_of(user_ledger_oid(user_id));
}

Result<SpaceLedger::RecountState> SpaceLedger::read_recount_state_of(const std::string& oid) {
    RecountState out;
    for (int attempt = 0;; ++attempt) {
        auto read = read_ledger(oid, {});
        if (!read) return std::move(read).error();
        if (!read->consistent) {
            if (attempt >= kMaxGuardedAttempts) return Error(Errc::IoError, "could not read " + oid + " whole");
            conflict_backoff(attempt + 1);
            continue;
        }
        out.exists = read->exists;
        out.ver = read->ver;
        out.bytes = decode_count(value_of(read->omap, kLedgerBytesKey)).value_or(0);
        out.objects = decode_count(value_of(read->omap, kLedgerObjectsKey)).value_or(0);
        out.pending_owner = value_of(read->omap, kRecountOwnerKey);
        out.lock_until_ms =
            static_cast<std::int64_t>(decode_count(value_of(read->omap, kLedgerLockUntilKey)).value_or(0));
        out.legal_holds = decode_lock_holds(value_of(read->omap, kLedgerLockHoldsKey));
        out.lock_known = read->omap.contains(std::string(kLedgerLockHoldsKey));
        {
            const std::string seq = value_of(read->omap, kRecountSeqKey);
            std::uint64_t n = 0;
            auto [end, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), n, 16);
            out.recount_seq = ec == std::errc() && end == seq.data() + seq.size() ? n : 0;
        }
        const std::int64_t now = now_ms();
        for (auto it = read->omap.lower_bound(std::string(kReservationPrefix));
             it != read->omap.end() && it->first.starts_with(kReservationPrefix); ++it) {
            auto entry = decode_reservation_entry(it->second);
            // A writer whose clock is behind may still commit under one just expired here.
            if (!entry || entry->expiry_ms + options_.max_clock_skew.count() > now) out.reservations_open = true;
        }
        return out;
    }
}

Result<void> SpaceLedger::write_recount(const LedgerBucket& bucket, const std::string& ver, std::uint64_t bytes,
                                        std::uint64_t objects, const std::string& pending_owner,
                                        std::optional<std::pair<std::int64_t, std::uint64_t>> lock) {
    Change c;
    c.expect = {{std::string(kLedgerVersionKey), ver}, {std::string(kRecountOwnerKey), ""}};
    c.set_counts = std::make_pair(bytes, objects);
    c.set_lock = lock;
    if (!pending_owner.empty()) {
        c.set_keys.emplace(std::string(kRecountOwnerKey), pending_owner);
        // Its sequence (the delta's token), so that the next recount draws a higher one.
        if (auto delta = decode_owner_delta(pending_owner))
            c.set_keys.emplace(std::string(kRecountSeqKey), delta->token);
    }
    return change(bucket_ledger_oid(bucket.name, bucket.epoch), c);
}

Result<void> SpaceLedger::write_owner_recount(std::string_view user_id, const std::string& ver, std::uint64_t bytes,
                                              std::uint64_t objects) {
    Change c;
    c.expect = {{std::string(kLedgerVersionKey), ver}};
    c.set_counts = std::make_pair(bytes, objects);
    return change(user_ledger_oid(user_id), c);
}

std::string SpaceLedger::encode_owner_delta(std::int64_t bytes, std::int64_t objects, const std::string& token,
                                            const std::string& queued_value) {
    return std::to_string(bytes) + " " + std::to_string(objects) + " " + token + " " + queued_value;
}

std::optional<SpaceLedger::OwnerDelta> SpaceLedger::decode_owner_delta(std::string_view text) {
    OwnerDelta d;
    auto a = text.find(' ');
    if (a == std::string_view::npos) return std::nullopt;
    auto b = text.find(' ', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    auto c = text.find(' ', b + 1);
    if (c == std::string_view::npos) return std::nullopt;
    if (!parse_whole(text.substr(0, a), d.bytes) || !parse_whole(text.substr(a + 1, b - a - 1), d.objects))
        return std::nullopt;
    d.token = std::string(text.substr(b + 1, c - b - 1));
    d.queued_value = std::string(text.substr(c + 1));
    if (d.token.empty()) return std::nullopt;
    return d;
}

Result<void> SpaceLedger::finish_owner_delta(std::string_view owner, const LedgerBucket& bucket,
                                             const std::string& pending,
                                             std::optional<BootClock::time_point> deadline) {
    auto delta = decode_owner_delta(pending);
    if (delta) {
        Change on_owner;
        on_owner.deadline = deadline;
        on_owner.delta_bytes = delta->bytes;
        on_owner.delta_objects = delta->objects;
        on_owner.once_key = recount_mark_key(bucket.name, bucket.epoch);
        on_owner.once_value = delta->token;
        OSTOR_TRY(change_retried(user_ledger_oid(owner), on_owner));
    }
    // Applied (or unreadable: dropped, the owner left as it is).
    Change done;
    done.expect = {{std::string(kRecountOwnerKey), pending}};
    done.set_keys.emplace(std::string(kRecountOwnerKey), "");
    auto removed = change_retried(bucket_ledger_oid(bucket.name, bucket.epoch), done);
    if (!removed && removed.error().code() == Errc::PreconditionFailed) return {};  // removed already
    return removed;
}

Result<void> SpaceLedger::queue_marker_prune(std::string_view owner, const LedgerBucket& bucket) {
    const std::string marker = recount_mark_key(bucket.name, bucket.epoch);
    auto held = client_.omap_get(Pool::Meta, user_ledger_oid(owner), {marker});
    if (!held) {
        if (held.error().code() == kNotFound) return {};  // no ledger, no marker
        return std::move(held).error();
    }
    if (held->empty()) return {};  // never recounted
    return client_.apply(
        Pool::Meta, std::string(kRecountQueueOid),
        WriteOp().omap_set(marker_prune_key(bucket.name, bucket.epoch), queued_value() + " " + std::string(owner)));
}

Result<bool> SpaceLedger::prune_marker(const QueuedRecount& entry) {
    auto incarnation = bucket_of_recount_key(std::string_view(entry.key).substr(kMarkerPrunePrefix.size()));
    // "<ms> <random> <owner>"
    const auto first = entry.value.find(' ');
    const auto second = first == std::string::npos ? first : entry.value.find(' ', first + 1);
    std::int64_t queued_ms = 0;
    if (!incarnation || second == std::string::npos ||
        !parse_whole(std::string_view(entry.value).substr(0, first), queued_ms)) {
        OSTOR_TRY(unqueue_recount(entry));  // not one of ours: dropped
        return true;
    }
    // A finisher that read the delta before the ledger went makes its change
    // within kLedgerChangeDeadline of that read; the window (measured here
    // against the deleter's clock) covers that, its write landing and the
    // clocks' disagreement.
    if (now_ms() < queued_ms + options_.recount_quiet.count()) return false;
    const std::string owner = entry.value.substr(second + 1);
    auto state = read_owner_recount_state(owner);
    if (!state) return std::move(state).error();
    if (state->exists) {
        Change c;
        c.set_keys.emplace(recount_mark_key(incarnation->first, incarnation->second), "");
        OSTOR_TRY(change_retried(user_ledger_oid(owner), c));
    }
    OSTOR_TRY(unqueue_recount(entry));
    return true;
}

}  // namespace ostor::detail::rados
