// Billing totals: running sums of the usage counters per (user id, account),
// kept in the engine's own table so that a bill depends neither on the
// statistics objects (which providers delete once collected) nor on whether
// statistics objects are written at all.
//
// Row: key user id "/" account (user ids never hold '/', so the first '/'
// splits them); value a version byte then six u64 (put, get, list, other,
// uploaded, downloaded).
#include "codec.hpp"
#include "engine_impl.hpp"

namespace ostor {

using namespace detail;

namespace {

constexpr std::uint8_t kBillingRecordVersion = 1;

std::string billing_key(std::string_view user_id, std::string_view account) {
    std::string k(user_id);
    k += '/';
    k += account;
    return k;
}

std::string encode_counters(const BillingCounters& c) {
    Encoder e;
    e.u8(kBillingRecordVersion).u64(c.put).u64(c.get).u64(c.list).u64(c.other).u64(c.uploaded).u64(c.downloaded);
    return e.take();
}

// A row this version cannot read fails: read as zeros, a bill would silently
// lose the customer's totals, and the next addition would overwrite them with
// the delta alone.
Result<BillingCounters> decode_counters(std::string_view key, std::string_view v) {
    Decoder d(v);
    auto version = d.u8();
    if (d.ok() && version != kBillingRecordVersion)
        return Error(Errc::Internal, "the billing totals of " + std::string(key) + " have record version " +
                                         std::to_string(version) + ", which this version cannot read");
    BillingCounters c;
    c.put = d.u64(), c.get = d.u64(), c.list = d.u64(), c.other = d.u64();
    c.uploaded = d.u64(), c.downloaded = d.u64();
    if (!d.ok()) return Error(Errc::Internal, "the billing totals row of " + std::string(key) + " is damaged");
    return c;
}

}  // namespace

Result<void> Engine::add_billing_totals(const std::vector<BillingDelta>& deltas) {
    for (const auto& d : deltas) {
        if (d.user_id.find('/') != std::string::npos)
            return Error(Errc::InvalidArgument, "a user id holds no '/': " + d.user_id);
        if (d.account.find('/') != std::string::npos)
            return Error(Errc::InvalidArgument, "an account name holds no '/': " + d.account);
    }
    if (deltas.empty()) return {};
    // Read and written inside the one write transaction: LMDB's single
    // writer orders concurrent adders, so none overwrites another's sum.
    return impl_->commits->run([&](Txn& txn) -> Result<void> {
        for (const auto& d : deltas) {
            auto key = billing_key(d.user_id, d.account);
            auto old = txn.get(Table::BillingTotals, key);
            BillingCounters total;
            if (old) {
                auto row = decode_counters(key, *old);
                if (!row) return row.error();
                total = *row;
            }
            total += d.counters;
            txn.put(Table::BillingTotals, key, encode_counters(total));
        }
        return {};
    });
}

Result<BillingCounters> Engine::billing_totals(std::string_view user_id, std::optional<std::string_view> account) {
    return impl_->read([&](const Txn& txn) -> Result<BillingCounters> {
        if (account) {
            auto v = txn.get(Table::BillingTotals, billing_key(user_id, *account));
            if (!v) return BillingCounters{};
            return decode_counters(billing_key(user_id, *account), *v);
        }
        BillingCounters sum;
        auto prefix = billing_key(user_id, "");
        auto cur = txn.cursor(Table::BillingTotals);
        for (auto e = cur.seek(prefix); e && e->first.starts_with(prefix); e = cur.next()) {
            auto row = decode_counters(e->first, e->second);
            if (!row) return row.error();
            sum += *row;
        }
        return sum;
    });
}

Result<std::vector<BillingDelta>> Engine::list_billing_totals() {
    return impl_->read([&](const Txn& txn) -> Result<std::vector<BillingDelta>> {
        std::vector<BillingDelta> out;
        auto cur = txn.cursor(Table::BillingTotals);
        for (auto e = cur.first(); e; e = cur.next()) {
            auto slash = e->first.find('/');
            if (slash == std::string_view::npos) continue;
            auto row = decode_counters(e->first, e->second);
            if (!row) return row.error();
            out.push_back({std::string(e->first.substr(0, slash)), std::string(e->first.substr(slash + 1)), *row});
        }
        return out;
    });
}

}  // namespace ostor
