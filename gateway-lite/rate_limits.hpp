// Enforcement of the provider's rate limits (docs/architecture.md, "Data model"): ops/s per
// op class and outgoing bandwidth, per user and per bucket. The limits
// themselves live in the engine and are read on every request, so a change
// made through the CLI, the REST API or the FUSE tree applies at once; this
// keeps only the timing state, in memory.
//
// Several gateways on one volume (RADOS) each enforce their share of a
// limit: the limit divided by the number of gateways serving the volume
// (Engine::serving_instances, counted again every kShareRefresh). Spread
// evenly by a load balancer, the clients together get the limit; a client
// sent to one gateway only gets its share.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ostor/types.hpp"

namespace ostor::gw {

// The slowest ops rate enforced: 0.01 op/s, one op every 100 s (limits are
// set with two decimals). A smaller positive rate counts as this one.
inline constexpr double kMinOpsRate = 0.01;

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // How often the number of gateways sharing the limits is counted again.
    static constexpr std::chrono::seconds kShareRefresh{5};

    // `count_gateways` gives the number of gateways sharing the volume's
    // limits (at least 1); it is called at most once per kShareRefresh, by
    // one request at a time, outside the limiter's lock. A failure (nullopt)
    // keeps the last count. Unset: this gateway enforces whole limits.
    void share_limits(std::function<std::optional<std::uint32_t>()> count_gateways);
    // The count the limits are divided by now.
    std::uint32_t sharing_gateways() const { return sharing_.load(std::memory_order_relaxed); }

    // One rate an operation is counted against, e.g. {"u/<id>/get", 50}.
    // A rate of 0 means unlimited.
    struct Charge {
        std::string key;
        double rate_per_s;
    };

    // Admits one operation when every charge admits it, and then counts it
    // against each; a refusal counts against none (a request refused by its
    // bucket's limit does not use up its user's rate). Bursts up to
    // max(1, min(rate, max(5, rate/10))) ops are admitted at once; beyond
    // that, one op every 1/rate seconds.
    bool try_admit(std::initializer_list<Charge> charges);

    // Accounts `bytes` sent under `rate_bytes_per_s` for `key` and returns
    // how long the sender must wait before sending them (zero when within
    // the rate). Senders sharing a key share the rate.
    Clock::duration reserve_bytes(const std::string& key, std::uint64_t rate_bytes_per_s, std::uint64_t bytes);

    // Sleeps for `d` (a paced sender's wait), cut short by stop(); false
    // once stopping, so that a slow paced download does not hold up a stop.
    bool pause(Clock::duration d);
    void stop();

private:
    // Counts the gateways again when kShareRefresh has passed; the divisor.
    double share_divisor(Clock::time_point now);

    std::function<std::optional<std::uint32_t>()> count_gateways_;
    std::atomic<std::uint32_t> sharing_{1};
    std::atomic<Clock::rep> next_count_{0};  // Clock ticks; the refresher takes it by exchange

    // Generic cell rate algorithm: the theoretical arrival time of the next
    // unit, per key.
    struct Cell {
        double rate = 0;
        Clock::time_point tat{};
    };
    void forget_idle(Clock::time_point now);

    std::mutex mu_;
    std::unordered_map<std::string, Cell> cells_;

    std::mutex stop_mu_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
};

}  // namespace ostor::gw
