// Prometheus metrics of the gateway, served as text on the admin listener's
// /metrics: requests by op class and status, bytes in and out, a latency
// histogram, the requests refused by rate limits and by quotas, the
// connections open on each listener, and when the gateway started (which
// tells a restart from the counters alone going on, whatever their values).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "rate_limits.hpp"
#include "server.hpp"

namespace ostor {
class Engine;
}

namespace ostor::gw {

class Metrics {
public:
    struct Request {
        OpClass op = OpClass::Default;
        int status = 0;
        std::uint64_t bytes_in = 0, bytes_out = 0;
        std::chrono::steady_clock::duration latency{};
        bool limit_refusal = false;  // 503 SlowDown from an ops limit
        bool quota_refusal = false;  // 403 QuotaExceeded
    };
    void record(const Request& r);
    // Shows `server`'s open connections as ostor_open_connections{listener=
    // `listener`}. Called before serving starts (not synchronised with
    // render); `server` outlives this.
    void watch_connections(std::string listener, const Server& server);
    // Shows the engine's memory for bodies being received, in use and its
    // budget (EngineOptions::body_memory_bytes). `engine` outlives this.
    void watch_body_memory(const Engine& engine) { engine_ = &engine; }
    // The Prometheus text exposition format (version 0.0.4).
    std::string render() const;

    // Requests answered so far, and those answered with a 4xx / 5xx status.
    struct Totals {
        std::uint64_t requests = 0, client_errors = 0, server_errors = 0;
    };
    Totals totals() const;

private:
    // Upper bounds of the latency histogram buckets, in seconds.
    static constexpr std::array<double, 12> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                              0.1,   0.25,   0.5,   1,    2.5,   10};
    // Unix time (s, ms precise) of the start: made in main before serving,
    // as Prometheus' process_start_time_seconds.
    const double start_time_s_ =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    mutable std::mutex mu_;
    std::map<std::pair<OpClass, int>, std::uint64_t> requests_;
    std::array<std::uint64_t, kLatencyBounds.size()> latency_buckets_{};
    std::uint64_t latency_count_ = 0;
    double latency_sum_s_ = 0;
    std::uint64_t bytes_in_ = 0, bytes_out_ = 0;
    std::uint64_t limit_refusals_ = 0, quota_refusals_ = 0;
    std::vector<std::pair<std::string, const Server*>> listeners_;
    const Engine* engine_ = nullptr;
};

}  // namespace ostor::gw
