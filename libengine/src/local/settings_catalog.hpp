// The local backend's SettingsCatalog: limits, quotas, usage statistics
// objects and billing totals in LMDB tables. Each read runs on one snapshot,
// each change as one CommitQueue change (one nested LMDB transaction), so
// every call is atomic and durable when it returns, for every process
// sharing the environment. Thread-safe as the Env and CommitQueue are.
#pragma once

#include "local/commit_queue.hpp"
#include "local/lmdb_env.hpp"
#include "storage/catalog.hpp"

namespace ostor::detail {

class LocalSettingsCatalog final : public SettingsCatalog {
public:
    // Both must outlive the catalog.
    LocalSettingsCatalog(const Env& env, CommitQueue& commits) : env_(env), commits_(commits) {}

    Result<Limits> get_limits(const LimitTarget& target) override;
    // One read of both, with no existence checks: a user's or bucket's
    // limits are removed with it, in the same commit.
    RequestLimits request_limits(std::string_view user_id, std::string_view bucket) override;
    // `change` runs once here, inside the write transaction (LMDB's single
    // writer orders concurrent updates); callers still allow re-runs, as the
    // interface says other backends may make.
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

    Result<std::optional<std::string>> role_state(std::string_view name) override;
    Result<void> swap_role_state(std::string_view name, const std::optional<std::string>& expected,
                                 std::string value) override;

private:
    const Env& env_;
    CommitQueue& commits_;
};

}  // namespace ostor::detail
