#include "rate_limits.hpp"

#include <algorithm>
#include <cmath>

namespace ostor::gw {

namespace {

// Past this many tracked keys, idle ones are dropped (bounded memory).
constexpr std::size_t kMaxTrackedKeys = 100000;
// A paced download may run ahead of its rate by this much (smooths the
// pacing without letting the average drift).
constexpr double kBandwidthBurstSeconds = 0.05;

std::chrono::nanoseconds seconds(double s) { return std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9)); }

}  // namespace

void RateLimiter::share_limits(std::function<std::optional<std::uint32_t>()> count_gateways) {
    count_gateways_ = std::move(count_gateways);
    next_count_.store(0);
}

double RateLimiter::share_divisor(Clock::time_point now) {
    if (count_gateways_) {
        auto due = next_count_.load(std::memory_order_relaxed);
        // One request counts (a catalog read); the others go on with the
        // count they have.
        if (now.time_since_epoch().count() >= due &&
            next_count_.compare_exchange_strong(due, (now + kShareRefresh).time_since_epoch().count())) {
            if (auto n = count_gateways_()) sharing_.store(std::max<std::uint32_t>(1, *n), std::memory_order_relaxed);
        }
    }
    return static_cast<double>(sharing_.load(std::memory_order_relaxed));
}

bool RateLimiter::try_admit(std::initializer_list<Charge> charges) {
    struct Check {
        Cell* cell;
        Clock::time_point next_tat;
    };
    Check checks[8];
    std::size_t n = 0;
    auto now = Clock::now();
    const double divisor = share_divisor(now);
    std::lock_guard lock(mu_);
    forget_idle(now);
    for (const auto& charge : charges) {
        if (!(charge.rate_per_s > 0)) continue;
        if (n == std::size(checks)) break;  // more charges than any request has
        double rate = std::max(charge.rate_per_s / divisor, kMinOpsRate);
        // A burst small next to the rate keeps the served rate close to it
        // over a few seconds; at low rates a few ops may still come at once
        // (5 ops/s admits 5 back-to-back, the 6th within the second is
        // refused).
        double burst = std::max(1.0, std::min(rate, std::max(5.0, rate / 10)));
        auto interval = seconds(1.0 / rate);
        auto tolerance = seconds((burst - 1) / rate);
        Cell& cell = cells_[charge.key];
        if (cell.rate != rate) cell = Cell{rate, now};
        auto tat = std::max(cell.tat, now);
        if (tat - now > tolerance) return false;
        checks[n++] = {&cell, tat + interval};
    }
    for (std::size_t i = 0; i < n; ++i) checks[i].cell->tat = checks[i].next_tat;
    return true;
}

RateLimiter::Clock::duration RateLimiter::reserve_bytes(const std::string& key, std::uint64_t rate_bytes_per_s,
                                                        std::uint64_t bytes) {
    if (rate_bytes_per_s == 0) return Clock::duration::zero();
    auto now = Clock::now();
    double rate = static_cast<double>(rate_bytes_per_s) / share_divisor(now);
    std::lock_guard lock(mu_);
    forget_idle(now);
    Cell& cell = cells_[key];
    if (cell.rate != rate) cell = Cell{rate, now};
    auto start = std::max(cell.tat, now);
    cell.tat = start + seconds(static_cast<double>(bytes) / rate);
    auto wait = cell.tat - now - seconds(kBandwidthBurstSeconds);
    return std::max(wait, Clock::duration::zero());
}

bool RateLimiter::pause(Clock::duration d) {
    std::unique_lock lock(stop_mu_);
    return !stop_cv_.wait_for(lock, d, [&] { return stopping_; });
}

void RateLimiter::stop() {
    {
        std::lock_guard lock(stop_mu_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
}

void RateLimiter::forget_idle(Clock::time_point now) {
    if (cells_.size() < kMaxTrackedKeys) return;
    std::erase_if(cells_, [&](const auto& entry) { return entry.second.tat < now; });
}

}  // namespace ostor::gw
