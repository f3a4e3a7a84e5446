// The RADOS backend's SettingsCatalog: limits, quotas, usage statistics
// objects and billing totals in the meta pool (records_layout.hpp).
//
//   - A user's limits and quota are omap entries of user.<id>, a bucket's of
//     bucket.<name> (the object catalog's record, which must exist), the
//     default quotas of `settings`: each change is one guarded write.
//   - A usage object is usage.<name> plus its entry in usage-index; it
//     exists when both do (settings_catalog.cpp says why).
//   - Billing totals: each engine instance adds to its own billing.<instance>
//     object only (one write per call: all deltas or none, and no contention
//     between gateways); reads sum over the instances in billing-index.
//     Folding the rows of an instance that is gone into a shared object is
//     not done yet: they stay, still summed.
//
// Thread-safe: it holds the Client (which is) and a once-set flag.
#pragma once

#include <atomic>
#include <string>

#include "rados/client.hpp"
#include "storage/catalog.hpp"

namespace ostor::detail::rados {

class RadosSettingsCatalog final : public SettingsCatalog {
public:
    // `client` must outlive the catalog. `instance_id` names this engine
    // instance's billing object: no two open engines may share one.
    RadosSettingsCatalog(Client& client, std::string instance_id)
        : client_(client), instance_id_(std::move(instance_id)) {}

    Result<Limits> get_limits(const LimitTarget& target) override;
    // A compare-and-set loop on the stored limits: `change` runs once per
    // attempt, again when another client changed them in between.
    Result<Limits> update_limits(const LimitTarget& target,
                                 const std::function<Result<void>(Limits&)>& change) override;
    Result<void> remove_limits(const LimitTarget& target) override;

    Result<std::optional<std::uint64_t>> get_quota(const QuotaTarget& target) override;
    Result<std::uint64_t> effective_quota(const QuotaTarget& target) override;
    Result<void> set_quota(const QuotaTarget& target, std::uint64_t size_gib) override;
    Result<void> remove_quota(const QuotaTarget& target) override;

    Result<void> put_usage_object(std::string_view name, std::string_view content) override;
    Result<UsageObjectList> list_usage_objects(std::string_view after, std::uint32_t max_items) override;
    Result<std::string> get_usage_object(std::string_view name) override;
    Result<void> delete_usage_object(std::string_view name) override;

    Result<void> add_billing_totals(const std::vector<BillingDelta>& deltas) override;
    Result<BillingCounters> billing_totals(std::string_view user_id, std::optional<std::string_view> account) override;
    Result<std::vector<BillingDelta>> list_billing_totals() override;

private:
    // The instances that have billing objects.
    Result<std::vector<std::string>> billing_instances();

    Client& client_;
    const std::string instance_id_;
    std::atomic<bool> indexed_{false};  // this instance is in billing-index
};

}  // namespace ostor::detail::rados
