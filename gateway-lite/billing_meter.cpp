#include "billing_meter.hpp"

namespace ostor::gw {

namespace {

bool selected(const BillingMeter::Selection& s, const std::string& user_id, const std::string& account) {
    return (!s.user_id || *s.user_id == user_id) && (!s.account || *s.account == account);
}

}  // namespace

void BillingMeter::record(const std::string& user_id, const std::string& account, OpClass op, std::uint64_t uploaded,
                          std::uint64_t downloaded) {
    BillingCounters c;
    switch (op) {
        case OpClass::Get:
            c.get = 1;
            break;
        case OpClass::Put:
            c.put = 1;
            break;
        case OpClass::List:
            c.list = 1;
            break;
        case OpClass::Delete:
        case OpClass::Default:
            c.other = 1;
            break;
    }
    c.uploaded = uploaded;
    c.downloaded = downloaded;
    std::lock_guard lock(mu_);
    pending_[{user_id, account}] += c;
}

Result<void> BillingMeter::flush() {
    std::lock_guard flushing(flush_mu_);
    std::vector<BillingDelta> deltas;
    {
        std::lock_guard lock(mu_);
        for (const auto& [key, c] : pending_) deltas.push_back({key.first, key.second, c});
    }
    if (deltas.empty()) return {};
    auto added = engine_.add_billing_totals(deltas);
    if (!added) return added;
    // Only what was added leaves; counts recorded meanwhile stay pending.
    std::lock_guard lock(mu_);
    for (const auto& d : deltas) {
        auto it = pending_.find({d.user_id, d.account});
        auto& c = it->second;
        c.put -= d.counters.put, c.get -= d.counters.get, c.list -= d.counters.list, c.other -= d.counters.other;
        c.uploaded -= d.counters.uploaded, c.downloaded -= d.counters.downloaded;
        if (c == BillingCounters{}) pending_.erase(it);
    }
    return {};
}

Result<BillingCounters> BillingMeter::billed(const Selection& selection) const {
    std::lock_guard flushing(flush_mu_);
    BillingCounters sum;
    if (selection.user_id) {
        auto durable = engine_.billing_totals(
            *selection.user_id, selection.account ? std::optional<std::string_view>(*selection.account) : std::nullopt);
        if (!durable) return std::move(durable).error();
        sum = *durable;
    } else {
        auto rows = engine_.list_billing_totals();
        if (!rows) return std::move(rows).error();
        for (const auto& r : *rows)
            if (selected(selection, r.user_id, r.account)) sum += r.counters;
    }
    std::lock_guard lock(mu_);
    for (const auto& [key, c] : pending_)
        if (selected(selection, key.first, key.second)) sum += c;
    return sum;
}

}  // namespace ostor::gw
