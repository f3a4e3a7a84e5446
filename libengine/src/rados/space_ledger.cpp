#include "rados/space_ledger.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>

#include "engine_impl.hpp"
#include "rados/catalog_support.hpp"
#include "rados/leases.hpp"
#include "rados/object_index.hpp"
#include "rados/records_layout.hpp"
#include "size_history.hpp"

namespace ostor::detail::rados {

namespace {

std::string seq_hex(std::uint64_t seq) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(seq));
    return buf;
}

std::uint64_t count_of(const std::map<std::string, std::string>& omap, std::string_view key) {
    return decode_count(value_of(omap, key)).value_or(0);
}

}  // namespace

std::string encode_reservation_id(const LedgerReservation& r) {
    std::string id =
        r.key + " " + std::to_string(r.bytes) + " " + r.user_id + " " + r.bucket + " " + std::to_string(r.bucket_epoch);
    if (r.expiry_ms != 0 || r.commit_token != 0) id += " " + std::to_string(r.expiry_ms);
    if (r.commit_token != 0) id += " " + std::to_string(r.commit_token);
    return id;
}

std::optional<LedgerReservation> decode_reservation_id(std::string_view id) {
    LedgerReservation r;
    auto key_end = id.find(' ');
    if (key_end == std::string_view::npos) return std::nullopt;
    auto bytes_end = id.find(' ', key_end + 1);
    if (bytes_end == std::string_view::npos) return std::nullopt;
    auto user_end = id.find(' ', bytes_end + 1);
    if (user_end == std::string_view::npos) return std::nullopt;
    r.key = std::string(id.substr(0, key_end));
    std::string_view bytes = id.substr(key_end + 1, bytes_end - key_end - 1);
    auto [end, ec] = std::from_chars(bytes.data(), bytes.data() + bytes.size(), r.bytes);
    if (ec != std::errc() || end != bytes.data() + bytes.size()) return std::nullopt;
    r.user_id = std::string(id.substr(bytes_end + 1, user_end - bytes_end - 1));
    std::string_view rest = id.substr(user_end + 1);
    auto bucket_end = rest.find(' ');
    if (bucket_end == std::string_view::npos) return std::nullopt;
    r.bucket = std::string(rest.substr(0, bucket_end));
    rest = rest.substr(bucket_end + 1);
    std::string_view epoch = rest;
    if (auto sp = rest.find(' '); sp != std::string_view::npos) {
        epoch = rest.substr(0, sp);
        std::string_view expiry = rest.substr(sp + 1);
        if (auto sp2 = expiry.find(' '); sp2 != std::string_view::npos) {
            std::string_view token = expiry.substr(sp2 + 1);
            expiry = expiry.substr(0, sp2);
            auto [t, ect] = std::from_chars(token.data(), token.data() + token.size(), r.commit_token);
            if (ect != std::errc() || t != token.data() + token.size()) return std::nullopt;
        }
        auto [e, ec2] = std::from_chars(expiry.data(), expiry.data() + expiry.size(), r.expiry_ms);
        if (ec2 != std::errc() || e != expiry.data() + expiry.size()) return std::nullopt;
    }
    auto [e, ec3] = std::from_chars(epoch.data(), epoch.data() + epoch.size(), r.bucket_epoch);
    if (epoch.empty() || ec3 != std::errc() || e != epoch.data() + epoch.size()) return std::nullopt;
    if (!r.key.starts_with(kReservationPrefix) || r.user_id.empty() || r.bucket.empty()) return std::nullopt;
    return r;
}

SpaceLedger::SpaceLedger(Client& client, std::string instance_id, Options options)
    : client_(client), instance_id_(std::move(instance_id)), options_(options) {}

Result<SpaceLedger::LedgerRead> SpaceLedger::read_ledger(const std::string& oid, const std::set<std::string>& markers) {
    LedgerRead out;
    const std::uint32_t page_entries = std::max<std::uint32_t>(options_.page_entries, 1);
    // The markers sort first and may be many: the listing starts after them,
    // and reads only the oldest age keys (to drop the stale ones) and the
    // markers the batch names, by key, in the same read.
    const OmapListing oldest{
        "", std::string(kSettledAgePrefix),
        std::max<std::uint32_t>(kOldestMarkersRead, 2 * static_cast<std::uint32_t>(markers.size()))};
    auto take_markers = [&](OmapRead& read, const OmapPage& ages) {
        for (auto& [k, v] : ages.entries) out.omap.insert_or_assign(k, v);
        for (auto& [k, v] : read.values)
            if (k.starts_with(kSettledPrefix) || k.starts_with(kRecountMarkPrefix))
                out.omap.insert_or_assign(k, std::move(v));
    };
    auto first =
        client_.omap_read(Pool::Meta, oid, {OmapListing{std::string(kMarkersEnd), "", page_entries}, oldest}, markers);
    if (!first) {
        if (first.error().code() == kNotFound) return out;  // never changed: exists = false
        return std::move(first).error();
    }
    out.exists = true;
    if (!first->pages[0].more) {
        // One page is one OSD read: its ver matches its entries.
        for (auto& [k, v] : first->pages[0].entries) out.omap.insert_or_assign(k, std::move(v));
        take_markers(*first, first->pages[1]);
        out.ver = value_of(out.omap, kLedgerVersionKey);
        return out;
    }
    // Several pages are several reads, and `ver` sorts after the entries: a
    // change between two pages would leave the ver read last matching a mix
    // of old and new entries. So guard on the ver read before the pages, and
    // read again when the pages ended on another one. The markers come with
    // that ver (one read).
    std::set<std::string> keys = markers;
    keys.insert(std::string(kLedgerVersionKey));
    auto before = client_.omap_read(Pool::Meta, oid, {oldest}, keys);
    if (!before) return std::move(before).error();
    out.ver = value_of(before->values, kLedgerVersionKey);
    take_markers(*before, before->pages[0]);
    std::string after(kMarkersEnd);  // from the first page again: it was read before `before`
    for (;;) {
        auto page = client_.omap_list(Pool::Meta, oid, after, "", page_entries);
        if (!page) return std::move(page).error();
        for (auto& [k, v] : page->entries) out.omap.insert_or_assign(k, std::move(v));
        if (!page->more || page->entries.empty()) break;
        after = page->entries.back().first;
    }
    out.consistent = value_of(out.omap, kLedgerVersionKey) == out.ver;
    return out;
}

Result<void> SpaceLedger::change(const std::string& oid, const Change& c) {
    return batches_.submit(oid, c, [&](LedgerCombiner::Batch batch) { return write_batch(oid, batch); });
}

Result<void> SpaceLedger::change_retried(const std::string& oid, const Change& c) {
    const bool repeatable =
        !c.token.empty() || !c.once_key.empty() || (!c.add && c.delta_bytes == 0 && c.delta_objects == 0);
    for (int attempt = 1;; ++attempt) {
        auto r = change(oid, c);
        if (r || r.error().code() != Errc::IoError || !repeatable || attempt >= kLedgerChangeAttempts) return r;
        std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    }
}

std::vector<Result<void>> SpaceLedger::write_batch(const std::string& oid, LedgerCombiner::Batch batch) {
    std::vector<Result<void>> results;
    std::set<std::string> markers;
    for (const Change* c : batch) {
        if (!c->token.empty()) markers.insert(settled_key(c->token));
        if (c->replaced && c->replaced->token != 0) markers.insert(settled_key(unsettled_token(c->replaced->token)));
        if (!c->once_key.empty()) markers.insert(c->once_key);
    }
    auto written = retry_on_conflict<void>(oid, [&]() -> std::optional<Result<void>> {
        auto read = read_ledger(oid, markers);
        if (!read) return Result<void>(std::move(read).error());
        if (!read->consistent) return std::nullopt;
        LedgerBatchPlan plan = plan_ledger_batch(
            oid, LedgerState{read->exists, std::move(read->omap), std::move(read->ver)}, batch,
            LedgerExpiry{now_ms(), reservations_of_prefix(instance_id_),
                         static_cast<std::int64_t>(options_.max_clock_skew.count()),
                         static_cast<std::int64_t>(options_.settled_lifetime.count()), BootClock::now()});
        results = std::move(plan.results);
        if (!plan.write) return Result<void>();  // nothing to change
        auto applied = client_.apply(Pool::Meta, oid, *plan.write);
        if (!applied && changed_meanwhile(applied.error())) return std::nullopt;
        return applied;
    });
    // The write failed (or may have landed: a timeout): the whole batch has
    // that outcome.
    if (!written) results.assign(batch.size(), written.error());
    return results;
}

bool SpaceLedger::is_own(const LedgerReservation& r) const {
    return r.key.starts_with(reservations_of_prefix(instance_id_));
}

Result<void> SpaceLedger::note_pending(const std::string& key, const std::string& user_ledger,
                                       const std::string& bucket_ledger) {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::string> missing;
    for (const auto* oid : {&user_ledger, &bucket_ledger}) {
        auto it = noted_.find(*oid);
        if (it == noted_.end() || it->second.empty()) missing.emplace(*oid, std::string(kPresent));
    }
    if (!missing.empty())
        OSTOR_TRY(client_.apply(Pool::Meta, ledger_pending_oid(instance_id_), WriteOp().omap_set(missing)));
    noted_[user_ledger].insert(key);
    noted_[bucket_ledger].insert(key);
    return {};
}

void SpaceLedger::forget_pending(const std::string& ledger, const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = noted_.find(ledger);
    if (it == noted_.end() || it->second.erase(key) == 0 || !it->second.empty()) return;
    // The last one: a failure (or a timeout that landed) leaves it in
    // noted_ with no key, so that the next reservation names it again; an
    // adopter finds nothing of ours there, or close() removes it.
    if (client_.apply(Pool::Meta, ledger_pending_oid(instance_id_), WriteOp().omap_remove(ledger))) noted_.erase(it);
}

Result<LedgerReservation> SpaceLedger::reserve(std::string_view user_id, const LedgerBucket& bucket,
                                               std::uint64_t bytes, std::uint64_t user_quota_bytes,
                                               std::uint64_t bucket_quota_bytes,
                                               const std::optional<CommitMark>& mark) {
    LedgerReservation r{std::string(kReservationPrefix) + instance_id_ + "." + seq_hex(next_seq_++),
                        std::string(user_id), bucket.name, bucket.epoch, bytes};
    if (mark) r.commit_token = mark->token;
    const std::string user_ledger = user_ledger_oid(user_id);
    const std::string bucket_ledger = bucket_ledger_oid(bucket.name, bucket.epoch);
    if (options_.lease && !options_.lease->may_commit())
        return Error(Errc::IoError, "lease lost: instance " + instance_id_ + " may no longer reserve space");
    // Before any ledger holds the reservation: the adopter finds it there.
    OSTOR_TRY(note_pending(r.key, user_ledger, bucket_ledger));
    const std::int64_t expiry_ms = now_ms() + options_.reservation_lifetime.count();
    r.expiry_ms = expiry_ms;

    // Takes the reservation off `ledger` after a failure. A change that failed
    // with an IoError may have landed: it is ended there first, and pending
    // keeps naming the ledger unless that succeeds (then it expires, or the
    // adopter drops it).
    auto take_back = [&](const std::string& ledger, bool may_be_there) {
        if (may_be_there) {
            Change undo;
            undo.remove_key = r.key;
            if (!change_retried(ledger, undo)) return;
        }
        forget_pending(ledger, r.key);
    };
    Change on_user;
    on_user.add.emplace(r.key, ReservationEntry{bytes, expiry_ms, bucket_ledger, mark});
    on_user.quota_bytes = user_quota_bytes;
    on_user.quota_subject = "user " + r.user_id;
    if (auto taken = change(user_ledger, on_user); !taken) {
        take_back(user_ledger, taken.error().code() == Errc::IoError);
        take_back(bucket_ledger, false);
        return std::move(taken).error();
    }

    Change on_bucket;
    on_bucket.add.emplace(r.key, ReservationEntry{bytes, expiry_ms, user_ledger, mark});
    on_bucket.quota_bytes = bucket_quota_bytes;
    on_bucket.quota_subject = "bucket " + r.bucket;
    if (auto taken = change(bucket_ledger, on_bucket); !taken) {
        take_back(user_ledger, true);
        take_back(bucket_ledger, taken.error().code() == Errc::IoError);
        return std::move(taken).error();
    }
    return r;
}

Result<void> SpaceLedger::settle(const LedgerReservation& reservation, std::int64_t delta_bytes,
                                 std::int64_t delta_objects, const std::optional<CommitCharge>& replaced,
                                 std::optional<BootClock::time_point> deadline, const LockSummaryChange& lock) {
    Change c;
    c.deadline = deadline;
    c.replaced = replaced;
    c.lock_until_ms = lock.until_ms;
    c.lock_holds_delta = lock.holds_delta;
    c.remove_key = reservation.key;
    c.delta_bytes = delta_bytes;
    c.delta_objects = delta_objects;
    c.token = reservation.key;  // its marker: settled once
    return end_reservation(reservation, c);
}

Result<void> SpaceLedger::release(const LedgerReservation& reservation) {
    Change c;
    c.remove_key = reservation.key;
    return end_reservation(reservation, c);
}

Result<void> SpaceLedger::end_reservation(const LedgerReservation& reservation, const Change& c) {
    const std::string user_ledger = user_ledger_oid(reservation.user_id);
    const std::string bucket_ledger = bucket_ledger_oid(reservation.bucket, reservation.bucket_epoch);
    const LedgerBucket bucket{reservation.bucket, reservation.bucket_epoch};
    // A settle that failed leaves its counts to a recount (best effort).
    const bool counts =
        c.delta_bytes != 0 || c.delta_objects != 0 || c.replaced || c.lock_until_ms > 0 || c.lock_holds_delta != 0;
    // Past its deadline: the reservation still ends (its deltas are the
    // recount's), so that it does not keep the bucket from being recounted.
    auto too_late = [&](const Result<void>& r, const std::string& ledger) {
        if (r || r.error().code() != Errc::PreconditionFailed || !c.deadline) return;
        Change end;
        end.remove_key = reservation.key;
        if (change_retried(ledger, end) && is_own(reservation)) forget_pending(ledger, reservation.key);
    };
    if (auto r = change_retried(user_ledger, c); !r) {
        too_late(r, user_ledger);
        too_late(r, bucket_ledger);
        if (counts) (void)queue_recount(bucket);
        return r;
    }
    if (is_own(reservation)) forget_pending(user_ledger, reservation.key);
    if (auto r = change_retried(bucket_ledger, c); !r) {
        too_late(r, bucket_ledger);
        if (counts) (void)queue_recount(bucket);
        return r;
    }
    if (is_own(reservation)) forget_pending(bucket_ledger, reservation.key);
    return {};
}

Result<void> SpaceLedger::apply(std::string_view user_id, const LedgerBucket& bucket, std::int64_t delta_bytes,
                                std::int64_t delta_objects, std::string_view token,
                                const std::optional<CommitCharge>& replaced,
                                std::optional<BootClock::time_point> deadline, const LockSummaryChange& lock) {
    Change c;
    c.deadline = deadline;
    c.replaced = replaced;
    c.lock_until_ms = lock.until_ms;
    c.lock_holds_delta = lock.holds_delta;
    c.delta_bytes = delta_bytes;
    c.delta_objects = delta_objects;
    c.token = std::string(token);
    // Failed after its attempts: the counts are left to a recount of the
    // bucket (best effort).
    auto r = change_retried(user_ledger_oid(user_id), c);
    if (r) r = change_retried(bucket_ledger_oid(bucket.name, bucket.epoch), c);
    if (!r) (void)queue_recount(bucket);
    return r;
}

std::string SpaceLedger::new_token() { return "a." + instance_id_ + "." + seq_hex(next_seq_++); }

Result<void> SpaceLedger::change_lock_summary(const LedgerBucket& bucket, const LockSummaryChange& lock,
                                              BootClock::time_point deadline) {
    if (lock.empty()) return {};
    Change c;
    c.deadline = deadline;
    c.lock_until_ms = lock.until_ms;
    c.lock_holds_delta = lock.holds_delta;
    c.only_if_exists = true;  // maybe deleted meanwhile: never made again here
    // A raised date is the same made again; a count is not.
    if (lock.holds_delta != 0) c.token = new_token();
    auto r = change_retried(bucket_ledger_oid(bucket.name, bucket.epoch), c);
    if (!r && r.error().code() == Errc::NoSuchBucket) return queue_recount(bucket);  // no ledger yet
    if (!r) (void)queue_recount(bucket);
    return r;
}

Result<UserUsage> SpaceLedger::read_usage(const std::string& oid) {
    auto got = client_.omap_get(
        Pool::Meta, oid,
        {std::string(kLedgerBytesKey), std::string(kLedgerObjectsKey), std::string(kLedgerReservedKey)});
    if (!got) {
        if (got.error().code() == kNotFound) return UserUsage{};
        return std::move(got).error();
    }
    return UserUsage{count_of(*got, kLedgerBytesKey), count_of(*got, kLedgerObjectsKey),
                     count_of(*got, kLedgerReservedKey)};
}

Result<UserUsage> SpaceLedger::usage(std::string_view user_id) { return read_usage(user_ledger_oid(user_id)); }

Result<UserUsage> SpaceLedger::bucket_usage(const LedgerBucket& bucket) {
    return read_usage(bucket_ledger_oid(bucket.name, bucket.epoch));
}

namespace {

const std::set<std::string>& bucket_count_keys() {
    static const std::set<std::string> keys{std::string(kLedgerBytesKey),    std::string(kLedgerObjectsKey),
                                            std::string(kLedgerSizeMaxKey),  std::string(kLedgerSizeIntegralKey),
                                            std::string(kLedgerSizeHourKey), std::string(kLedgerLockUntilKey),
                                            std::string(kLedgerLockHoldsKey)};
    return keys;
}

// A bucket's counts from its ledger's omap as read (empty: never changed).
void fill_counts_from(Bucket& bucket, const std::map<std::string, std::string>& omap) {
    bucket.bytes = count_of(omap, kLedgerBytesKey);
    bucket.objects = count_of(omap, kLedgerObjectsKey);
    bucket.size.current = bucket.bytes;
    bucket.size.hmax = count_of(omap, kLedgerSizeMaxKey);
    bucket.size.h_integral = count_of(omap, kLedgerSizeIntegralKey);
    bucket.size.last_ts = omap.contains(std::string(kLedgerSizeHourKey)) ? count_of(omap, kLedgerSizeHourKey)
                                                                         : size_history_hour(bucket.created_ms);
    // Absent in ledgers written before object lock on RADOS: no lock.
    bucket.locked_until_ms = static_cast<TimestampMs>(count_of(omap, kLedgerLockUntilKey));
    bucket.legal_holds = lock_holds_shown(decode_lock_holds(value_of(omap, kLedgerLockHoldsKey)));
}

}  // namespace

Result<void> SpaceLedger::fill_bucket_counts(Bucket& bucket) {
    auto got = client_.omap_get(Pool::Meta, bucket_ledger_oid(bucket.name, bucket.epoch), bucket_count_keys());
    std::map<std::string, std::string> omap;
    if (got)
        omap = std::move(*got);
    else if (got.error().code() != kNotFound)
        return std::move(got).error();
    fill_counts_from(bucket, omap);
    queue_missing_summary(bucket, omap);
    return {};
}

void SpaceLedger::queue_missing_summary(const Bucket& bucket, const std::map<std::string, std::string>& omap) {
    if (!bucket.object_lock.enabled || omap.empty() || omap.contains(std::string(kLedgerLockHoldsKey))) return;
    const std::string oid = bucket_ledger_oid(bucket.name, bucket.epoch);
    {
        std::lock_guard lock(summary_queued_mutex_);
        if (!summary_queued_.insert(oid).second) return;
    }
    (void)queue_recount(LedgerBucket{bucket.name, bucket.epoch});
}

Result<void> SpaceLedger::fill_bucket_counts(std::vector<Bucket>& buckets) {
    std::vector<std::string> oids;
    oids.reserve(buckets.size());
    for (auto& b : buckets) oids.push_back(bucket_ledger_oid(b.name, b.epoch));
    auto got = omap_get_at_once(client_, Pool::Meta, oids, bucket_count_keys());
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        if (!got[i] && got[i].error().code() != kNotFound) return std::move(got[i]).error();
        const std::map<std::string, std::string> none;
        fill_counts_from(buckets[i], got[i] ? *got[i] : none);
        queue_missing_summary(buckets[i], got[i] ? *got[i] : none);
    }
    return {};
}

Result<void> SpaceLedger::remove_bucket_ledger(const LedgerBucket& bucket) {
    auto removed = client_.remove(Pool::Meta, bucket_ledger_oid(bucket.name, bucket.epoch));
    if (!removed && removed.error().code() != kNotFound) return removed;
    return {};
}

Result<void> SpaceLedger::drop_reservations_of(std::string_view instance) {
    if (instance.empty() || instance == instance_id_)
        return Error(Errc::InvalidArgument, "cannot drop the reservations of instance '" + std::string(instance) +
                                                "': it is this one (or none)");
    OSTOR_TRY(drop_all_of(std::string(instance), true));
    // What it may have left uncounted (no reservation to reconcile) is the
    // recount's: the buckets it touched.
    return queue_touched_of(std::string(instance));
}

Result<void> SpaceLedger::close() {
    OSTOR_TRY(drop_all_of(instance_id_, false));
    {
        std::lock_guard lock(mutex_);
        noted_.clear();
    }
    // Its writes all finished, each with its ledger change or a queued
    // recount when that failed; the queueings that failed are made again
    // now. Should that fail too, touched.<instance> stays (close fails), for
    // whoever ends this instance (an adopter, when its lease is not
    // released) to queue, or as a leak.
    OSTOR_TRY(queue_unqueued());
    auto removed = client_.remove(Pool::Meta, touched_oid(instance_id_));
    if (!removed && removed.error().code() != kNotFound) return removed;
    std::lock_guard lock(touched_mutex_);
    touched_.clear();
    return {};
}

Result<void> SpaceLedger::drop_all_of(const std::string& instance, bool reconcile) {
    const std::string pending = ledger_pending_oid(instance);
    auto ledgers = read_whole_omap(client_, Pool::Meta, pending);
    if (!ledgers) {
        if (ledgers.error().code() == kNotFound) return {};  // it reserved nothing
        return std::move(ledgers).error();
    }
    // One answer of the index per commit mark, for both ledgers: they settle
    // or release alike even if the key changes meanwhile.
    CommitLookups lookups;
    Change c;
    c.remove_prefix = reservations_of_prefix(instance);
    c.note_unsettled = reconcile;
    for (auto& [ledger, _] : *ledgers) {
        if (reconcile) OSTOR_TRY(settle_committed_of(instance, ledger, lookups));
        // What is left: writes that did not commit, and unmarked entries.
        OSTOR_TRY(change(ledger, c));
    }
    // Last: a failure above leaves it for the next attempt.
    auto removed = client_.remove(Pool::Meta, pending);
    if (!removed && removed.error().code() != kNotFound) return removed;
    return {};
}

Result<void> SpaceLedger::settle_committed_of(const std::string& instance, const std::string& ledger,
                                              CommitLookups& lookups) {
    // Only the adopter changes a dead (fenced) instance's entries: a read of
    // several pages still lists every one of them.
    auto read = read_ledger(ledger, {});
    if (!read) return std::move(read).error();
    const std::string prefix = reservations_of_prefix(instance);
    for (auto it = read->omap.lower_bound(prefix); it != read->omap.end() && it->first.starts_with(prefix); ++it) {
        auto entry = decode_reservation_entry(it->second);
        if (!entry || !entry->committing) continue;  // released with the rest
        auto bucket = bucket_of_ledger(is_bucket_ledger(ledger) ? std::string_view(ledger) : entry->other_ledger);
        if (!bucket) continue;
        const CommitMark& mark = *entry->committing;
        auto slot = std::make_tuple(bucket_ledger_oid(bucket->first, bucket->second), mark.key, mark.token);
        auto found = lookups.find(slot);
        if (found == lookups.end()) {
            auto commit = find_commit_charge(client_, bucket->first, bucket->second, mark.key, mark.token);
            if (!commit) return std::move(commit).error();
            found = lookups.emplace(std::move(slot), *commit).first;
        }
        if (!found->second) continue;  // never committed (or out of the index's reach: released)
        // As its own settle would have (the replaced commit's reservation
        // too, when still open): the marker makes an adoption made again
        // (after an unknown outcome) count once.
        Change settle;
        settle.remove_key = it->first;
        settle.delta_bytes = found->second->charge.delta_bytes;
        settle.delta_objects = found->second->charge.delta_objects;
        settle.lock_until_ms = found->second->charge.lock_until_ms;
        settle.lock_holds_delta = found->second->charge.lock_holds_delta;
        settle.replaced = found->second->replaced;
        settle.token = it->first;
        settle.only_if_held = true;
        OSTOR_TRY(change_retried(ledger, settle));
    }
    return {};
}

Result<std::size_t> SpaceLedger::drop_dead_reservations(Leases& leases) {
    auto listed = list_leases(client_);
    if (!listed) return std::move(listed).error();
    std::size_t adopted_count = 0;
    const auto now = now_ms();
    for (auto& entry : *listed) {
        // Live by its renewal time: the lock would refuse it anyway.
        if (entry.instance == instance_id_ || entry.live_at(now)) continue;
        auto adopted = leases.adopt_if_dead(entry.instance);
        if (!adopted) continue;  // alive, or someone else is cleaning it up
        auto dropped = drop_reservations_of(entry.instance);
        // A hold that lapsed meanwhile may be someone else's by now: what
        // we did is idempotent, but the instance is not ours to end.
        if (dropped && adopted->lost()) dropped = Error(Errc::IoError, "lost the adoption of " + entry.instance);
        if (!dropped) {
            // Not finished: the next sweep adopts the instance again.
            adopted->release_unfinished();
            return std::move(dropped).error();
        }
        ++adopted_count;
    }
    return adopted_count;
}

}  // namespace ostor::detail::rados
