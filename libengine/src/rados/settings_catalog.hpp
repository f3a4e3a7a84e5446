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
//     between gateways), with a flush token that makes a retry after an
//     unknown outcome add nothing twice; reads sum billing.folded and the
//     instances in billing-index. The sweep that adopted a gone instance
//     folds its rows into billing.folded (fold_billing_of). A call that
//     fails while one of its attempts may have landed leaves its token and
//     rows with the catalog, and the next call settles them first.
//
// Thread-safe: it holds the Client (which is), a once-set flag, a counter
// and the unsettled additions (under a mutex that orders additions).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rados/client.hpp"
#include "storage/catalog.hpp"

namespace ostor::detail::rados {

// A billing addition whose outcome stayed unknown is tried (and settled by
// its token) so many times before the call fails.
inline constexpr int kBillingUnknownAttempts = 3;

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

    // All deltas in one write, which also sets the instance's `flush` key
    // to a token of this call and is guarded on the token read: an attempt
    // whose outcome is unknown (IoError: a timeout may come after the OSD
    // applied it) is settled by the next attempt, which finds the token
    // (landed: done) or not (then the old attempt can no longer land: its
    // guard fails). Fails: IoError when the outcome stayed unknown through
    // kBillingUnknownAttempts attempts, or a read after an unknown attempt
    // failed (it may then have landed). The caller (the gateway's meter)
    // keeps the counts of a failed call and sends them again with its next:
    // that call first settles the unsettled one by the token it finds
    // (landed: its rows are taken out of what is sent again, until a call
    // succeeds; not landed: it never can once that call's write lands).
    // Additions of one catalog are one at a time.
    Result<void> add_billing_totals(const std::vector<BillingDelta>& deltas) override;
    // role_state.cpp: the record is the omap key `state` of role.<name>.state.
    Result<std::optional<std::string>> role_state(std::string_view name) override;
    Result<void> swap_role_state(std::string_view name, const std::optional<std::string>& expected,
                                 std::string value) override;
    Result<BillingCounters> billing_totals(std::string_view user_id, std::optional<std::string_view> account) override;
    Result<std::vector<BillingDelta>> list_billing_totals() override;

    // Moves the rows of `instance` (not this one; it must be dead and
    // fenced, and the caller must hold its adoption: nothing adds to it any
    // more) into billing.folded, a page of rows per write, each write
    // guarded on the fold's cursor (`fold.<instance>`) and generation; then
    // removes the instance from billing-index, its object, then its cursor.
    // Idempotent: a fold cut off anywhere (a crash, an IoError) and done
    // again adds no row twice. Bills read during a fold see each row once.
    // Fails: IoError (left for the next sweep), InvalidArgument (itself).
    Result<void> fold_billing_of(const std::string& instance);
    // The instances listed in billing-index (some may be alive).
    Result<std::vector<std::string>> billing_instances();

private:
    // What billing.folded says about folds: its generation, and the cursor
    // of each fold under way (rows of that instance up to it are folded).
    struct FoldState {
        std::string generation;
        std::map<std::string, std::string> cursors;  // instance -> last folded row key
    };
    Result<FoldState> fold_state();
    // Sums (into `out`, by row key) the rows that `read_rows` returns of
    // billing.folded and of each instance, each row once, as of one fold
    // generation. `read_rows(oid)` gives the rows of one object (empty when
    // it is gone).
    Result<void> read_billing(
        std::map<std::string, BillingCounters>& out,
        const std::function<Result<std::map<std::string, std::string>>(const std::string&)>& read_rows);

    Client& client_;
    const std::string instance_id_;
    std::atomic<bool> indexed_{false};       // this instance is in billing-index
    std::atomic<std::uint64_t> flushes_{0};  // numbers this instance's flush tokens

    // A failed call's last attempts that may have landed, all guarded on
    // the flush token `guarded_on` (so one at most did): the next call
    // settles them by the token it reads.
    struct UnsettledBilling {
        std::string guarded_on;
        struct Attempt {
            std::string token;
            std::map<std::string, BillingCounters> rows;  // by row key
        };
        std::vector<Attempt> attempts;
    };
    // Settles unsettled_billing_ by `flush`, the flush token read now:
    // a landed attempt's rows go to landed_billing_.
    void settle_billing(const std::string& flush);
    std::mutex adding_billing_;  // one addition at a time: settling needs their order
    std::optional<UnsettledBilling> unsettled_billing_;
    // Rows found landed whose counts the caller still holds (its call
    // failed): taken out of what it sends again, until a call succeeds.
    std::map<std::string, BillingCounters> landed_billing_;
};

}  // namespace ostor::detail::rados
