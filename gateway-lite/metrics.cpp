#include "metrics.hpp"

#include <cstdio>
#include <optional>
#include <string_view>

#include "ostor/engine.hpp"

namespace ostor::gw {

namespace {

// One metric's HELP and TYPE lines, then its samples: each a line
// "NAME{LABELS} VALUE" (no braces with no labels).
using Samples = std::vector<std::pair<std::string, std::string>>;  // labels, value
void metric(std::string& out, std::string_view type, std::string_view name, std::string_view help,
            const Samples& samples) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    for (const auto& [labels, value] : samples) {
        out.append(name);
        if (!labels.empty()) out.append("{").append(labels).append("}");
        out.append(" ").append(value).append("\n");
    }
}

void counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
    metric(out, "counter", name, help, {{"", std::to_string(value)}});
}

void gauge(std::string& out, std::string_view name, std::string_view help, std::string value) {
    metric(out, "gauge", name, help, {{"", std::move(value)}});
}

}  // namespace

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
    Samples connections;
    for (const auto& [listener, server] : listeners_)
        connections.emplace_back("listener=\"" + listener + "\"", std::to_string(server->open_connections()));
    std::optional<Engine::BodyMemoryUse> body_memory;
    if (engine_) body_memory = engine_->body_memory();
    std::lock_guard lock(mu_);
    std::string out;
    out +=
        "# HELP ostor_requests_total S3 and admin requests answered, by op class and HTTP status.\n"
        "# TYPE ostor_requests_total counter\n";
    for (const auto& [key, n] : requests_)
        out += "ostor_requests_total{op=\"" + std::string(op_class_name(key.first)) + "\",status=\"" +
               std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
    counter(out, "ostor_received_bytes_total", "Request body bytes received.", bytes_in_);
    counter(out, "ostor_sent_bytes_total", "Response body bytes sent.", bytes_out_);
    counter(out, "ostor_limit_refusals_total", "Requests refused with 503 SlowDown by an ops limit.", limit_refusals_);
    counter(out, "ostor_quota_refusals_total", "Writes refused with 403 QuotaExceeded.", quota_refusals_);
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
    gauge(out, "ostor_start_time_seconds", "Start time of the gateway since the Unix epoch in seconds.", start);
    if (!connections.empty())
        metric(out, "gauge", "ostor_open_connections",
               "Connections open now on a listener, idle keep-alive ones included.", connections);
    if (body_memory) {
        gauge(out, "ostor_body_memory_bytes", "Memory held now by request bodies being received and written.",
              std::to_string(body_memory->in_use_bytes));
        gauge(out, "ostor_body_memory_budget_bytes", "The most request bodies may hold (--body-memory-mib).",
              std::to_string(body_memory->budget_bytes));
    }
    return out;
}

}  // namespace ostor::gw
