// Limits, quotas, usage statistics objects and billing totals in the local
// metadata store.
#include "local/settings_catalog.hpp"

#include "billing_record.hpp"
#include "codec.hpp"
#include "engine_impl.hpp"
#include "local/read_snapshot.hpp"
#include "local/tables.hpp"

namespace ostor::detail {

namespace {

Result<void> check_target_exists(const Txn& txn, QuotaTarget::Kind kind, const std::string& id) {
    if (kind == QuotaTarget::Kind::User) {
        auto u = load_user(txn, id);
        if (!u) return std::move(u).error();
    } else if (kind == QuotaTarget::Kind::Bucket) {
        auto b = load_bucket(txn, id);
        if (!b) return std::move(b).error();
    }
    return {};
}

Result<void> check_target_exists(const Txn& txn, const LimitTarget& t) {
    return check_target_exists(
        txn, t.kind == LimitTarget::Kind::User ? QuotaTarget::Kind::User : QuotaTarget::Kind::Bucket, t.id);
}

Limits stored_limits(const Txn& txn, const LimitTarget& target) {
    auto v = txn.get(Table::Limits, limits_key(target));
    if (!v) return {};
    return decode_limits(*v).value_or(Limits{});
}

}  // namespace

// ---- Limits ----------------------------------------------------------------

Result<Limits> LocalSettingsCatalog::get_limits(const LimitTarget& target) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<Limits> {
        OSTOR_TRY(check_target_exists(txn, target));
        return stored_limits(txn, target);
    });
}

RequestLimits LocalSettingsCatalog::request_limits(std::string_view user_id, std::string_view bucket) {
    auto r = read_snapshot(env_, [&](const Txn& txn) -> Result<RequestLimits> {
        RequestLimits limits;
        if (!user_id.empty()) limits.user = stored_limits(txn, LimitTarget::user(std::string(user_id)));
        if (!bucket.empty()) limits.bucket = stored_limits(txn, LimitTarget::bucket(std::string(bucket)));
        return limits;
    });
    return r ? *r : RequestLimits{};
}

Result<Limits> LocalSettingsCatalog::update_limits(const LimitTarget& target,
                                                   const std::function<Result<void>(Limits&)>& change) {
    return commits_.run_value<Limits>([&](Txn& txn) -> Result<Limits> {
        OSTOR_TRY(check_target_exists(txn, target));
        Limits l = stored_limits(txn, target);
        OSTOR_TRY(change(l));
        txn.put(Table::Limits, limits_key(target), encode(l));
        return l;
    });
}

Result<void> LocalSettingsCatalog::remove_limits(const LimitTarget& target) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        OSTOR_TRY(check_target_exists(txn, target));
        txn.del(Table::Limits, limits_key(target));
        return {};
    });
}

// ---- Quotas ----------------------------------------------------------------

Result<std::optional<std::uint64_t>> LocalSettingsCatalog::get_quota(const QuotaTarget& target) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<std::optional<std::uint64_t>> {
        OSTOR_TRY(check_target_exists(txn, target.kind, target.id));
        return stored_quota_gib(txn, target);
    });
}

Result<std::uint64_t> LocalSettingsCatalog::effective_quota(const QuotaTarget& target) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<std::uint64_t> {
        OSTOR_TRY(check_target_exists(txn, target.kind, target.id));
        return effective_quota_bytes(txn, target) / kGiB;
    });
}

Result<void> LocalSettingsCatalog::set_quota(const QuotaTarget& target, std::uint64_t size_gib) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        OSTOR_TRY(check_target_exists(txn, target.kind, target.id));
        txn.put(Table::Quotas, quota_key(target), Encoder().u64(size_gib).take());
        return {};
    });
}

Result<void> LocalSettingsCatalog::remove_quota(const QuotaTarget& target) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        OSTOR_TRY(check_target_exists(txn, target.kind, target.id));
        txn.del(Table::Quotas, quota_key(target));
        return {};
    });
}

// ---- Usage statistics objects ------------------------------------------------

Result<void> LocalSettingsCatalog::put_usage_object(std::string_view name, std::string_view content) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        txn.put(Table::UsageObjects, name, content);
        return {};
    });
}

Result<UsageObjectList> LocalSettingsCatalog::list_usage_objects(std::string_view after, std::uint32_t max_items) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<UsageObjectList> {
        UsageObjectList out;
        auto cur = txn.cursor(Table::UsageObjects);
        for (auto e = cur.seek(after); e; e = cur.next()) {
            if (!after.empty() && e->first <= after) continue;
            if (out.names.size() == max_items) {
                out.truncated = true;
                break;
            }
            out.names.emplace_back(e->first);
        }
        return out;
    });
}

Result<std::string> LocalSettingsCatalog::get_usage_object(std::string_view name) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<std::string> {
        auto v = name.empty() ? std::nullopt : txn.get(Table::UsageObjects, name);
        if (!v) return Error(Errc::NoSuchUsageObject, "no usage statistics object " + std::string(name));
        return std::string(*v);
    });
}

Result<void> LocalSettingsCatalog::delete_usage_object(std::string_view name) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        if (name.empty() || !txn.del(Table::UsageObjects, name))
            return Error(Errc::NoSuchUsageObject, "no usage statistics object " + std::string(name));
        return {};
    });
}

// ---- Billing totals ----------------------------------------------------------

Result<void> LocalSettingsCatalog::add_billing_totals(const std::vector<BillingDelta>& deltas) {
    // Read and written inside the one write transaction: LMDB's single
    // writer orders concurrent adders, so none overwrites another's sum.
    return commits_.run([&](Txn& txn) -> Result<void> {
        for (const auto& d : deltas) {
            auto key = billing_key(d.user_id, d.account);
            auto old = txn.get(Table::BillingTotals, key);
            BillingCounters total;
            if (old) {
                auto row = decode_billing_counters(key, *old);
                if (!row) return row.error();
                total = *row;
            }
            total += d.counters;
            txn.put(Table::BillingTotals, key, encode_billing_counters(total));
        }
        return {};
    });
}

Result<BillingCounters> LocalSettingsCatalog::billing_totals(std::string_view user_id,
                                                             std::optional<std::string_view> account) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<BillingCounters> {
        if (account) {
            auto v = txn.get(Table::BillingTotals, billing_key(user_id, *account));
            if (!v) return BillingCounters{};
            return decode_billing_counters(billing_key(user_id, *account), *v);
        }
        BillingCounters sum;
        auto prefix = billing_key(user_id, "");
        auto cur = txn.cursor(Table::BillingTotals);
        for (auto e = cur.seek(prefix); e && e->first.starts_with(prefix); e = cur.next()) {
            auto row = decode_billing_counters(e->first, e->second);
            if (!row) return row.error();
            sum += *row;
        }
        return sum;
    });
}

Result<std::vector<BillingDelta>> LocalSettingsCatalog::list_billing_totals() {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<std::vector<BillingDelta>> {
        std::vector<BillingDelta> out;
        auto cur = txn.cursor(Table::BillingTotals);
        for (auto e = cur.first(); e; e = cur.next()) {
            auto slash = e->first.find('/');
            if (slash == std::string_view::npos) continue;
            auto row = decode_billing_counters(e->first, e->second);
            if (!row) return row.error();
            out.push_back({std::string(e->first.substr(0, slash)), std::string(e->first.substr(slash + 1)), *row});
        }
        return out;
    });
}

// ---- Role state records ------------------------------------------------------
//
// Rows "role/<name>" of the Meta table; the compare and the write are one
// LMDB write transaction, which LMDB's single writer orders across processes.

namespace {

std::string role_state_key(std::string_view name) { return "role/" + std::string(name); }

}  // namespace

Result<std::optional<std::string>> LocalSettingsCatalog::role_state(std::string_view name) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<std::optional<std::string>> {
        auto v = txn.get(Table::Meta, role_state_key(name));
        if (!v) return std::optional<std::string>();
        return std::optional<std::string>(std::string(*v));
    });
}

Result<void> LocalSettingsCatalog::swap_role_state(std::string_view name, const std::optional<std::string>& expected,
                                                   std::string value) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        auto v = txn.get(Table::Meta, role_state_key(name));
        const bool same = v ? expected && *expected == *v : !expected;
        if (!same) return Error(Errc::PreconditionFailed, "the state of role " + std::string(name) + " changed");
        txn.put(Table::Meta, role_state_key(name), value);
        return {};
    });
}

}  // namespace ostor::detail
