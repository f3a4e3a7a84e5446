#include "metrics.hpp"

#include <cstdio>

#include "ostor/engine.hpp"

namespace ostor::gw {

void Metrics::record(const Request& r) {
    double seconds = std::chrono::duration<double>(r.latency).count();
    std::lock_guard lock(mu_);
    ++requests_[{r.op, r.status}];
    for (std::size_t i = 0; i < kLatencyBounds.size(); ++i)
        if (seconds <= kLatencyBounds[i]) ++latency_buckets_[i];
    ++latency_count_;
    latency_sum_s_ += seconds;
    bytes_in_ += r.bytes_in;
    bytes_out_ += r.bytes_out;
    limit_refusals_ += r.limit_refusal;
    quota_refusals_ += r.quota_refusal;
}

void Metrics::watch_connections(std::string listener, const Server& server) {
    listeners_.emplace_back(std::move(listener), &server);
}

Metrics::Totals Metrics::totals() const {
    std::lock_guard lock(mu_);
    Totals t;
    for (const auto& [key, n] : requests_) {
        t.requests += n;
        if (key.second >= 400 && key.second < 500) t.client_errors += n;
        if (key.second >= 500) t.server_errors += n;
    }
    return t;
}

std::string Metrics::render() const {
    // Read before taking mu_: a server's count takes the server's own lock.
    std::string connections;
    for (const auto& [listener, server] : listeners_)
        connections += "ostor_open_connections{listener=\"" + listener + "\"} " +
                       std::to_string(server->open_connections()) + "\n";
    std::string body_memory;
    if (engine_) {
        auto use = engine_->body_memory();
        body_memory =
            "# HELP ostor_body_memory_bytes Memory held now by request bodies being received and written.\n"
            "# TYPE ostor_body_memory_bytes gauge\n"
            "ostor_body_memory_bytes " +
            std::to_string(use.in_use_bytes) +
            "\n"
            "# HELP ostor_body_memory_budget_bytes The most request bodies may hold (--body-memory-mib).\n"
            "# TYPE ostor_body_memory_budget_bytes gauge\n"
            "ostor_body_memory_budget_bytes " +
            std::to_string(use.budget_bytes) + "\n";
    }
    std::lock_guard lock(mu_);
    std::string out;
    auto counter = [&](const char* name, const char* help, std::uint64_t value) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
               std::to_string(value) + "\n";
    };
    out +=
        "# HELP ostor_requests_total S3 and admin requests answered, by op class and HTTP status.\n"
        "# TYPE ostor_requests_total counter\n";
    for (const auto& [key, n] : requests_)
        out += "ostor_requests_total{op=\"" + std::string(op_class_name(key.first)) + "\",status=\"" +
               std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
    counter("ostor_received_bytes_total", "Request body bytes received.", bytes_in_);
    counter("ostor_sent_bytes_total", "Response body bytes sent.", bytes_out_);
    counter("ostor_limit_refusals_total", "Requests refused with 503 SlowDown by an ops limit.", limit_refusals_);
    counter("ostor_quota_refusals_total", "Writes refused with 403 QuotaExceeded.", quota_refusals_);
    out +=
        "# HELP ostor_request_duration_seconds Time from the request head to the end of the answer.\n"
        "# TYPE ostor_request_duration_seconds histogram\n";
    for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
        char le[32];
        std::snprintf(le, sizeof le, "%g", kLatencyBounds[i]);
        out += "ostor_request_duration_seconds_bucket{le=\"" + std::string(le) + "\"} " +
               std::to_string(latency_buckets_[i]) + "\n";
    }
    out += "ostor_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(latency_count_) + "\n";
    char sum[64];
    std::snprintf(sum, sizeof sum, "%.6f", latency_sum_s_);
    out += "ostor_request_duration_seconds_sum " + std::string(sum) + "\n";
    out += "ostor_request_duration_seconds_count " + std::to_string(latency_count_) + "\n";
    char start[64];
    std::snprintf(start, sizeof start, "%.3f", start_time_s_);
    out +=
        "# HELP ostor_start_time_seconds Start time of the gateway since the Unix epoch in seconds.\n"
        "# TYPE ostor_start_time_seconds gauge\n"
        "ostor_start_time_seconds " +
        std::string(start) + "\n";
    if (!connections.empty())
        out +=
            "# HELP ostor_open_connections Connections open now on a listener, idle keep-alive ones included.\n"
            "# TYPE ostor_open_connections gauge\n" +
            connections;
    return out + body_memory;
}

}  // namespace ostor::gw
