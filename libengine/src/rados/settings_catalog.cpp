// Limits, quotas, usage statistics objects and billing totals in the RADOS
// meta pool.
#include "rados/settings_catalog.hpp"

#include <charconv>
#include <map>
#include <set>
#include <thread>

#include "billing_record.hpp"
#include "engine_impl.hpp"
#include "rados/catalog_support.hpp"
#include "rados/records_layout.hpp"
#include "rados/user_object.hpp"

namespace ostor::detail::rados {

namespace {

constexpr std::uint32_t kBillingPageEntries = 512;
// Between two page writes of a fold (fold_billing_of).
constexpr std::chrono::milliseconds kBillingFoldPagePause{200};

// Where one setting is kept: an omap entry of a user's object, a bucket's
// record, or the settings object (defaults, no owner to check).
struct Place {
    enum class Owner : std::uint8_t { User, Bucket, Defaults } owner;
    std::string id;  // user id or bucket name
    std::string oid;
    std::string key;
};

Place limits_place(const LimitTarget& t) {
    if (t.kind == LimitTarget::Kind::User) return {Place::Owner::User, t.id, user_oid(t.id), std::string(kLimitsKey)};
    return {Place::Owner::Bucket, t.id, bucket_oid(t.id), std::string(kLimitsKey)};
}

Place quota_place(const QuotaTarget& t) {
    switch (t.kind) {
        case QuotaTarget::Kind::User:
            return {Place::Owner::User, t.id, user_oid(t.id), std::string(kQuotaKey)};
        case QuotaTarget::Kind::Bucket:
            return {Place::Owner::Bucket, t.id, bucket_oid(t.id), std::string(kQuotaKey)};
        case QuotaTarget::Kind::DefaultUser:
            return {Place::Owner::Defaults, {}, std::string(kSettingsOid), std::string(kDefaultUserQuotaKey)};
        case QuotaTarget::Kind::DefaultBucket:
            return {Place::Owner::Defaults, {}, std::string(kSettingsOid), std::string(kDefaultBucketQuotaKey)};
    }
    return {};
}

Error no_such_bucket(std::string_view name) {
    if (name.empty()) return Error(Errc::NoSuchBucket, "no bucket name given");
    return Error(Errc::NoSuchBucket, "bucket " + std::string(name) + " does not exist");
}

// The stored value at `p` ("" when none). Fails: NoSuchUser, NoSuchBucket
// (the owner does not exist).
Result<std::string> read_setting(Client& client, const Place& p) {
    if (p.owner == Place::Owner::User) {
        auto got = read_user_entries(client, p.id, {p.key});
        if (!got) return std::move(got).error();
        return value_of(*got, p.key);
    }
    if (p.owner == Place::Owner::Bucket && p.id.empty()) return no_such_bucket(p.id);
    auto got = client.omap_get(Pool::Meta, p.oid, {p.key});
    if (!got) {
        if (got.error().code() != kNotFound) return std::move(got).error();
        if (p.owner == Place::Owner::Bucket) return no_such_bucket(p.id);
        return std::string();  // no settings object yet: no defaults
    }
    return value_of(*got, p.key);
}

// The guard of a change at `p`: its owner still exists when it applies.
WriteOp guarded_at(const Place& p) {
    WriteOp op;
    switch (p.owner) {
        case Place::Owner::User:
            guard_live_user(op);
            break;
        case Place::Owner::Bucket:
            op.assert_exists();
            break;
        case Place::Owner::Defaults:
            op.create();
            break;  // made on first use
    }
    return op;
}

// A guarded change that failed because the owner went: say which.
Error owner_gone(const Place& p, Error e) {
    if (e.code() != kNotFound && e.code() != kCompareFailed) return e;
    if (p.owner == Place::Owner::User) return no_such_user(p.id);
    if (p.owner == Place::Owner::Bucket) return no_such_bucket(p.id);
    return e;
}

Result<std::optional<std::uint64_t>> decode_quota(const Place& p, const std::string& v) {
    if (v.empty()) return std::optional<std::uint64_t>();
    auto gib = decode_count(v);
    if (!gib) return Error(Errc::Internal, "damaged quota " + p.key + " of " + p.oid);
    return std::optional<std::uint64_t>(*gib);
}

}  // namespace

// ---- Limits ----------------------------------------------------------------

Result<Limits> RadosSettingsCatalog::get_limits(const LimitTarget& target) {
    auto v = read_setting(client_, limits_place(target));
    if (!v) return std::move(v).error();
    if (v->empty()) return Limits{};
    return decode_limits(*v).value_or(Limits{});
}

Result<Limits> RadosSettingsCatalog::update_limits(const LimitTarget& target,
                                                   const std::function<Result<void>(Limits&)>& change) {
    auto p = limits_place(target);
    return retry_on_conflict<Limits>(p.oid, [&]() -> std::optional<Result<Limits>> {
        auto stored = read_setting(client_, p);
        if (!stored) return Result<Limits>(std::move(stored).error());
        Limits l = stored->empty() ? Limits{} : decode_limits(*stored).value_or(Limits{});
        if (auto changed = change(l); !changed) return Result<Limits>(changed.error());
        auto op = guarded_at(p);
        op.compare_omap(p.key, Compare::Eq, *stored).omap_set(p.key, encode(l));
        auto applied = client_.apply(Pool::Meta, p.oid, op);
        if (applied) return Result<Limits>(l);
        if (changed_meanwhile(applied.error())) return std::nullopt;  // gone or changed: read again
        return Result<Limits>(applied.error());
    });
}

Result<void> RadosSettingsCatalog::remove_limits(const LimitTarget& target) {
    auto p = limits_place(target);
    auto op = guarded_at(p);
    op.omap_remove(p.key);
    auto removed = client_.apply(Pool::Meta, p.oid, op);
    if (!removed) return owner_gone(p, removed.error());
    return {};
}

// ---- Quotas ----------------------------------------------------------------

Result<std::optional<std::uint64_t>> RadosSettingsCatalog::get_quota(const QuotaTarget& target) {
    auto p = quota_place(target);
    auto v = read_setting(client_, p);
    if (!v) return std::move(v).error();
    return decode_quota(p, *v);
}

Result<std::uint64_t> RadosSettingsCatalog::effective_quota(const QuotaTarget& target) {
    auto specific = get_quota(target);
    if (!specific) return std::move(specific).error();
    if (*specific) return **specific;
    if (target.kind != QuotaTarget::Kind::User && target.kind != QuotaTarget::Kind::Bucket) return 0;
    auto fallback =
        get_quota(target.kind == QuotaTarget::Kind::User ? QuotaTarget::default_user() : QuotaTarget::default_bucket());
    if (!fallback) return std::move(fallback).error();
    return fallback->value_or(0);
}

Result<void> RadosSettingsCatalog::set_quota(const QuotaTarget& target, std::uint64_t size_gib) {
    auto p = quota_place(target);
    auto op = guarded_at(p);
    op.omap_set(p.key, encode_count(size_gib));
    auto set = client_.apply(Pool::Meta, p.oid, op);
    if (!set) return owner_gone(p, set.error());
    return {};
}

Result<void> RadosSettingsCatalog::remove_quota(const QuotaTarget& target) {
    auto p = quota_place(target);
    auto op = guarded_at(p);
    op.omap_remove(p.key);
    auto removed = client_.apply(Pool::Meta, p.oid, op);
    if (!removed) return owner_gone(p, removed.error());
    return {};
}

// ---- Usage statistics objects ------------------------------------------------
//
// usage.<name> holds the JSON; usage-index lists the names in order. A
// usage object exists when both do: put writes the object then the entry
// (the entry is the commit), delete removes the entry (the commit) then the
// object. So a crash between the two steps of either leaves an object
// without its entry, seen neither by list nor by get (the next put of the
// name makes it whole), and a put racing a delete of one name leaves an
// entry without its object, which list and get skip and delete removes.

namespace {

Error no_such_usage_object(std::string_view name) {
    return Error(Errc::NoSuchUsageObject, "no usage statistics object " + std::string(name));
}

}  // namespace

Result<void> RadosSettingsCatalog::put_usage_object(std::string_view name, std::string_view content) {
    OSTOR_TRY(client_.apply(Pool::Meta, usage_oid(name), WriteOp().create().write_full(std::string(content))));
    return client_.apply(Pool::Meta, std::string(kUsageIndexOid),
                         WriteOp().omap_set(std::string(name), std::string(kPresent)));
}

Result<UsageObjectList> RadosSettingsCatalog::list_usage_objects(std::string_view after, std::uint32_t max_items) {
    constexpr std::uint32_t kIndexPageEntries = 256;
    UsageObjectList out;
    std::string from(after);
    for (;;) {
        auto page = client_.omap_list(Pool::Meta, std::string(kUsageIndexOid), from, "", kIndexPageEntries);
        if (!page) {
            if (page.error().code() == kNotFound) return out;  // nothing was ever put
            return std::move(page).error();
        }
        for (auto& [name, v] : page->entries) {
            auto st = client_.stat(Pool::Meta, usage_oid(name));
            if (!st) {
                if (st.error().code() == kNotFound) continue;  // its object is gone: not there
                return std::move(st).error();
            }
            if (out.names.size() == max_items) {
                out.truncated = true;
                return out;
            }
            out.names.push_back(name);
        }
        if (!page->more || page->entries.empty()) return out;
        from = page->entries.back().first;
    }
}

Result<std::string> RadosSettingsCatalog::get_usage_object(std::string_view name) {
    if (name.empty()) return no_such_usage_object(name);
    auto entry = client_.omap_get(Pool::Meta, std::string(kUsageIndexOid), {std::string(name)});
    if (!entry) return entry.error().code() == kNotFound ? no_such_usage_object(name) : std::move(entry).error();
    if (entry->empty()) return no_such_usage_object(name);
    auto content = client_.read(Pool::Meta, usage_oid(name));
    if (!content) return content.error().code() == kNotFound ? no_such_usage_object(name) : std::move(content).error();
    return content;
}

Result<void> RadosSettingsCatalog::delete_usage_object(std::string_view name) {
    if (name.empty()) return no_such_usage_object(name);
    auto entry = client_.omap_get(Pool::Meta, std::string(kUsageIndexOid), {std::string(name)});
    if (!entry) return entry.error().code() == kNotFound ? no_such_usage_object(name) : std::move(entry).error();
    if (entry->empty()) return no_such_usage_object(name);
    OSTOR_TRY(client_.apply(Pool::Meta, std::string(kUsageIndexOid), WriteOp().omap_remove(std::string(name))));
    auto removed = client_.remove(Pool::Meta, usage_oid(name));
    if (!removed) return removed.error().code() == kNotFound ? no_such_usage_object(name) : removed;
    return {};
}

// ---- Billing totals ----------------------------------------------------------

namespace {

// `sent` less `landed`, row by row and counter by counter, never below zero
// (a caller that sends less than it kept: nothing is taken twice).
std::map<std::string, BillingCounters> billing_less(const std::map<std::string, BillingCounters>& sent,
                                                    const std::map<std::string, BillingCounters>& landed) {
    auto less = [](std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; };
    std::map<std::string, BillingCounters> out;
    for (const auto& [key, c] : sent) {
        BillingCounters left = c;
        if (auto it = landed.find(key); it != landed.end()) {
            const auto& l = it->second;
            left.put = less(c.put, l.put), left.get = less(c.get, l.get), left.list = less(c.list, l.list);
            left.other = less(c.other, l.other), left.uploaded = less(c.uploaded, l.uploaded);
            left.downloaded = less(c.downloaded, l.downloaded);
        }
        if (left != BillingCounters{}) out.emplace(key, left);
    }
    return out;
}

}  // namespace

void RadosSettingsCatalog::settle_billing(const std::string& flush) {
    if (!unsettled_billing_ || flush == unsettled_billing_->guarded_on) return;  // none landed, so far
    // The token moved on: to one of the attempts (it landed, and the others
    // cannot), or, were another writer of this object possible, elsewhere
    // (only this instance writes it, one call at a time: not expected).
    for (auto& attempt : unsettled_billing_->attempts)
        if (attempt.token == flush)
            for (auto& [key, c] : attempt.rows) landed_billing_[key] += c;
    unsettled_billing_.reset();
}

Result<void> RadosSettingsCatalog::add_billing_totals(const std::vector<BillingDelta>& deltas) {
    const auto oid = billing_oid(instance_id_);
    std::lock_guard adding(adding_billing_);
    if (!indexed_.load()) {
        // The object first (the guarded writes below compare its omap, which
        // needs the object), then the index entry, before any row: a row is
        // never in an object that readers do not find.
        OSTOR_TRY(client_.apply(Pool::Meta, oid, WriteOp().create()));
        OSTOR_TRY(client_.apply(Pool::Meta, std::string(kBillingIndexOid),
                                WriteOp().omap_set(instance_id_, std::string(kPresent))));
        indexed_.store(true);
    }
    std::map<std::string, BillingCounters> sent;
    for (const auto& d : deltas) sent[billing_key(d.user_id, d.account)] += d.counters;
    std::set<std::string> keys{std::string(kBillingFlushKey)};
    for (auto& [k, c] : sent) keys.insert(k);
    // This call's token, the same in every attempt: an attempt finds it when
    // an earlier one landed.
    const std::string token = instance_id_ + "." + std::to_string(flushes_.fetch_add(1) + 1);
    int unknown = 0;
    std::map<std::string, BillingCounters> added;  // by the last attempt
    std::string guarded_on;                        // the flush token it compared
    auto result = retry_on_conflict<void>(oid, [&]() -> std::optional<Result<void>> {
        auto stored = client_.omap_get(Pool::Meta, oid, keys);
        if (!stored) return Result<void>(std::move(stored).error());
        const std::string last = value_of(*stored, kBillingFlushKey);
        if (last == token) return Result<void>();  // an attempt whose outcome was unknown landed
        // An earlier call's unsettled attempt first: what of it landed is
        // in what the caller sends again.
        settle_billing(last);
        added = billing_less(sent, landed_billing_);
        guarded_on = last;
        // Only this instance writes its object, but its threads may add at
        // once: every addition sets the token, so comparing it orders them
        // (and an earlier attempt of this call can no longer land after it).
        WriteOp op;
        op.compare_omap(std::string(kBillingFlushKey), Compare::Eq, last);
        for (auto& [k, c] : added) {
            auto old = value_of(*stored, k);
            BillingCounters total;
            if (!old.empty()) {
                auto row = decode_billing_counters(k, old);
                if (!row) return Result<void>(row.error());
                total = *row;
            }
            total += c;
            op.omap_set(k, encode_billing_counters(total));
        }
        op.omap_set(std::string(kBillingFlushKey), token);
        auto applied = client_.apply(Pool::Meta, oid, op);
        if (applied) return Result<void>();
        if (changed_meanwhile(applied.error())) return std::nullopt;
        // Unknown: the OSD may have applied it. The next attempt reads the
        // token and settles it.
        if (++unknown >= kBillingUnknownAttempts) return applied;
        return std::nullopt;
    });
    if (result) {
        // Landed (guarded on the token read: an unsettled attempt cannot
        // land any more), and the caller forgets what it sent.
        unsettled_billing_.reset();
        landed_billing_.clear();
        return result;
    }
    if (unknown > 0) {
        // The last attempt may have landed: kept for the next call (with
        // earlier ones guarded on the same token: at most one of them did).
        if (!unsettled_billing_ || unsettled_billing_->guarded_on != guarded_on)
            unsettled_billing_ = UnsettledBilling{guarded_on, {}};
        unsettled_billing_->attempts.push_back({token, std::move(added)});
    }
    return result;
}

Result<std::vector<std::string>> RadosSettingsCatalog::billing_instances() {
    auto index = read_whole_omap(client_, Pool::Meta, std::string(kBillingIndexOid));
    if (!index) {
        if (index.error().code() == kNotFound) return std::vector<std::string>();
        return std::move(index).error();
    }
    std::vector<std::string> out;
    for (auto& [instance, v] : *index) out.push_back(instance);
    return out;
}

Result<RadosSettingsCatalog::FoldState> RadosSettingsCatalog::fold_state() {
    FoldState state;
    const std::string prefix(kBillingFoldKey);
    std::string after;
    for (bool more = true; more;) {
        auto page = client_.omap_list(Pool::Meta, std::string(kBillingFoldedOid), after, prefix, kBillingPageEntries);
        if (!page) {
            if (page.error().code() == kNotFound) return state;  // nothing folded yet
            return std::move(page).error();
        }
        for (auto& [k, v] : page->entries) {
            if (k == prefix)
                state.generation = v;
            else if (k.size() > prefix.size() && k[prefix.size()] == '.')
                state.cursors[k.substr(prefix.size() + 1)] = v;
        }
        more = page->more && !page->entries.empty();
        if (more) after = page->entries.back().first;
    }
    return state;
}

Result<void> RadosSettingsCatalog::read_billing(
    std::map<std::string, BillingCounters>& out,
    const std::function<Result<std::map<std::string, std::string>>(const std::string&)>& read_rows) {
    // A fold moves rows from an instance's object into billing.folded in
    // several writes, then removes the object: reading billing.folded
    // first, each instance's rows past its fold cursor, and the same
    // generation again after, sees every row once.
    return retry_on_conflict<void>(kBillingFoldedOid, [&]() -> std::optional<Result<void>> {
        auto before = fold_state();
        if (!before) return Result<void>(std::move(before).error());
        std::map<std::string, BillingCounters> sum;
        auto add_rows = [&](const std::string& oid, const std::string& folded_up_to) -> Result<void> {
            auto rows = read_rows(oid);
            if (!rows) return std::move(rows).error();
            for (auto& [k, v] : *rows) {
                if (k.find('/') == std::string::npos) continue;            // flush, fold keys
                if (!folded_up_to.empty() && k <= folded_up_to) continue;  // counted in billing.folded
                auto row = decode_billing_counters(k, v);
                if (!row) return std::move(row).error();
                sum[k] += *row;
            }
            return {};
        };
        if (auto r = add_rows(std::string(kBillingFoldedOid), ""); !r) return r;
        auto instances = billing_instances();
        if (!instances) return Result<void>(std::move(instances).error());
        for (auto& instance : *instances) {
            auto cursor = before->cursors.find(instance);
            if (auto r = add_rows(billing_oid(instance), cursor == before->cursors.end() ? "" : cursor->second); !r)
                return r;
        }
        auto after = fold_state();
        if (!after) return Result<void>(std::move(after).error());
        if (after->generation != before->generation) return std::nullopt;  // a fold wrote meanwhile: again
        out = std::move(sum);
        return Result<void>();
    });
}

Result<BillingCounters> RadosSettingsCatalog::billing_totals(std::string_view user_id,
                                                             std::optional<std::string_view> account) {
    std::map<std::string, BillingCounters> rows;
    auto read = read_billing(rows, [&](const std::string& oid) -> Result<std::map<std::string, std::string>> {
        std::map<std::string, std::string> found;
        if (account) {
            auto got = client_.omap_get(Pool::Meta, oid, {billing_key(user_id, *account)});
            if (!got && got.error().code() != kNotFound) return std::move(got).error();
            if (got) found = std::move(*got);
            return found;
        }
        // The user's own row and its accounts' share the prefix "<id>/".
        auto prefix = billing_key(user_id, "");
        std::string after;
        for (bool more = true; more;) {
            auto page = client_.omap_list(Pool::Meta, oid, after, prefix, kBillingPageEntries);
            if (!page && page.error().code() != kNotFound) return std::move(page).error();
            if (!page || page->entries.empty()) break;
            for (auto& [k, v] : page->entries) found.insert_or_assign(k, std::move(v));
            more = page->more;
            after = page->entries.back().first;
        }
        return found;
    });
    if (!read) return std::move(read).error();
    BillingCounters sum;
    for (auto& [k, c] : rows) sum += c;
    return sum;
}

Result<std::vector<BillingDelta>> RadosSettingsCatalog::list_billing_totals() {
    std::map<std::string, BillingCounters> totals;  // in key order, as the local catalog lists them
    auto read = read_billing(totals, [&](const std::string& oid) -> Result<std::map<std::string, std::string>> {
        auto rows = read_whole_omap(client_, Pool::Meta, oid);
        if (!rows && rows.error().code() == kNotFound) return std::map<std::string, std::string>();
        return rows;
    });
    if (!read) return std::move(read).error();
    std::vector<BillingDelta> out;
    for (auto& [k, c] : totals) {
        auto slash = k.find('/');
        out.push_back({k.substr(0, slash), k.substr(slash + 1), c});
    }
    return out;
}

Result<void> RadosSettingsCatalog::fold_billing_of(const std::string& instance) {
    if (instance == instance_id_) return Error(Errc::InvalidArgument, "an instance does not fold its own billing");
    const std::string oid = billing_oid(instance);
    const std::string folded(kBillingFoldedOid);
    const std::string cursor_key = std::string(kBillingFoldKey) + "." + instance;
    for (bool more = true; more;) {
        auto step = retry_on_conflict<bool>(folded, [&]() -> std::optional<Result<bool>> {
            auto read = client_.omap_get(Pool::Meta, folded, {cursor_key, std::string(kBillingFoldKey)});
            const bool folded_exists = read || read.error().code() != kNotFound;
            if (!read && folded_exists) return Result<bool>(std::move(read).error());
            std::map<std::string, std::string> state;
            if (read) state = std::move(*read);
            const std::string cursor = value_of(state, cursor_key);
            const std::string generation = value_of(state, kBillingFoldKey);
            auto page = client_.omap_list(Pool::Meta, oid, cursor, "", kBillingPageEntries);
            if (!page) {
                if (page.error().code() == kNotFound) return Result<bool>(false);  // removed: folded before
                return Result<bool>(std::move(page).error());
            }
            if (page->entries.empty()) return Result<bool>(false);
            if (!folded_exists) {
                // The first fold of the volume: the compares below need the
                // object. Read again.
                if (auto r = client_.apply(Pool::Meta, folded, WriteOp().create()); !r) return Result<bool>(r.error());
                return std::nullopt;
            }
            std::set<std::string> keys;
            for (auto& [k, v] : page->entries)
                if (k.find('/') != std::string::npos) keys.insert(k);
            std::map<std::string, std::string> into;
            if (!keys.empty()) {
                auto got = client_.omap_get(Pool::Meta, folded, keys);
                if (!got) return Result<bool>(std::move(got).error());
                into = std::move(*got);
            }
            // Guarded on the cursor (no row twice, whoever folds again) and
            // on the generation (every other fold write, and the rows read).
            WriteOp op;
            op.compare_omap(cursor_key, Compare::Eq, cursor)
                .compare_omap(std::string(kBillingFoldKey), Compare::Eq, generation);
            for (auto& [k, v] : page->entries) {
                if (!keys.contains(k)) continue;
                auto row = decode_billing_counters(k, v);
                if (!row) return Result<bool>(row.error());
                BillingCounters total = *row;
                if (auto old = value_of(into, k); !old.empty()) {
                    auto stored = decode_billing_counters(k, old);
                    if (!stored) return Result<bool>(stored.error());
                    total += *stored;
                }
                op.omap_set(k, encode_billing_counters(total));
            }
            std::uint64_t gen = 0;
            if (!generation.empty()) {
                auto [end, ec] = std::from_chars(generation.data(), generation.data() + generation.size(), gen);
                if (ec != std::errc() || end != generation.data() + generation.size())
                    return Result<bool>(Error(Errc::Internal, folded + ": a damaged fold generation: " + generation));
            }
            op.omap_set(cursor_key, page->entries.back().first)
                .omap_set(std::string(kBillingFoldKey), std::to_string(gen + 1));
            auto applied = client_.apply(Pool::Meta, folded, op);
            if (applied) return Result<bool>(page->more);
            if (changed_meanwhile(applied.error())) return std::nullopt;
            // Unknown: the cursor says, when the fold is done again.
            return Result<bool>(std::move(applied).error());
        });
        if (!step) return std::move(step).error();
        more = *step;
        // Each page bumps the generation that bill reads retry on: a pause
        // lets the reads that a page write overlapped finish in between.
        if (more) std::this_thread::sleep_for(kBillingFoldPagePause);
    }
    // Every row is in billing.folded: its object goes, then the index
    // entry, then its cursor (readers skip its rows up to the cursor while
    // the object is there, and read a missing object as no rows). In that
    // order a step that fails leaves the index entry, so a later sweep
    // finishes the job; removing the entry first could leave an object and
    // cursor nothing names.
    // Each may be gone already (a fold done before, an instance that never
    // billed).
    auto gone = [](Result<void> r) { return r || r.error().code() == kNotFound ? Result<void>() : r; };
    OSTOR_TRY(gone(client_.remove(Pool::Meta, oid)));
    OSTOR_TRY(gone(client_.apply(Pool::Meta, std::string(kBillingIndexOid), WriteOp().omap_remove(instance))));
    return gone(client_.apply(Pool::Meta, folded, WriteOp().omap_remove(cursor_key)));
}

}  // namespace ostor::detail::rados
