// Billing totals: running sums of the usage counters per (user id, account),
// kept in the engine's own table so that a bill depends neither on the
// statistics objects (which providers delete once collected) nor on whether
// statistics objects are written at all. The SettingsCatalog stores them, in
// the form billing_record.hpp gives.
#include "billing_record.hpp"
#include "codec.hpp"
#include "engine_impl.hpp"

namespace ostor {

using namespace detail;

namespace detail {

namespace {

constexpr std::uint8_t kBillingRecordVersion = 1;

}  // namespace

std::string billing_key(std::string_view user_id, std::string_view account) {
    std::string k(user_id);
    k += '/';
    k += account;
    return k;
}

std::string encode_billing_counters(const BillingCounters& c) {
    Encoder e;
    e.u8(kBillingRecordVersion).u64(c.put).u64(c.get).u64(c.list).u64(c.other).u64(c.uploaded).u64(c.downloaded);
    return e.take();
}

// A row this version cannot read fails: read as zeros, a bill would silently
// lose the customer's totals, and the next addition would overwrite them with
// the delta alone.
Result<BillingCounters> decode_billing_counters(std::string_view key, std::string_view v) {
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

}  // namespace detail

Result<void> Engine::add_billing_totals(const std::vector<BillingDelta>& deltas) {
    OSTOR_TRY(check_may_commit(*impl_));
    for (const auto& d : deltas) {
        if (d.user_id.find('/') != std::string::npos)
            return Error(Errc::InvalidArgument, "a user id holds no '/': " + d.user_id);
        if (d.account.find('/') != std::string::npos)
            return Error(Errc::InvalidArgument, "an account name holds no '/': " + d.account);
    }
    if (deltas.empty()) return {};
    return impl_->settings->add_billing_totals(deltas);
}

Result<BillingCounters> Engine::billing_totals(std::string_view user_id, std::optional<std::string_view> account) {
    return impl_->settings->billing_totals(user_id, account);
}

Result<std::vector<BillingDelta>> Engine::list_billing_totals() { return impl_->settings->list_billing_totals(); }

}  // namespace ostor
