// The gateway's side of the billing totals (Engine::add_billing_totals):
// what this gateway counted since its last flush, added to the engine's
// totals in one durable transaction each second.
//
// Crash safety: a kill -9 loses at most the counts of the last flush
// interval; nothing is counted twice, because a delta leaves memory only
// when its transaction commits (a failed commit keeps it for the next one).
// Several gateways on one data directory each add their own deltas.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "ostor/engine.hpp"
#include "rate_limits.hpp"

namespace ostor::gw {

class BillingMeter {
public:
    explicit BillingMeter(Engine& engine) : engine_(engine) {}

    // Counts one request of `user_id` made with `account`'s keys ("" = its own).
    void record(const std::string& user_id, const std::string& account, OpClass op, std::uint64_t uploaded,
                std::uint64_t downloaded);

    // Adds what was counted since the last flush to the engine's totals.
    // Fails as Engine::add_billing_totals; the counts are then kept.
    Result<void> flush();

    // Which (user id, account) rows a bill covers.
    struct Selection {
        std::optional<std::string> user_id;  // one user's rows only
        std::optional<std::string> account;  // only rows of this account name
    };
    // The durable totals of the rows selected plus what this gateway counted
    // and has not flushed yet, as one consistent sum (a flush in progress is
    // waited for, so nothing is seen twice or missed). Reads only the user's
    // rows when a user is selected. Fails as Engine::billing_totals.
    Result<BillingCounters> billed(const Selection& selection) const;

private:
    using Key = std::pair<std::string, std::string>;  // user id, account
    Engine& engine_;
    // Held across a flush's commit; billed() takes it to read a state where
    // each count is either durable or pending, never both nor neither.
    mutable std::mutex flush_mu_;
    mutable std::mutex mu_;
    std::map<Key, BillingCounters> pending_;
};

}  // namespace ostor::gw
