// The admin listener (--admin-listen, loopback): the billing API of
// ../shared/seeds/002_*.txt and Prometheus metrics.
//
//   GET /v1/info                        the service's configuration
//   GET /v1/status                      {}
//   GET /v1/bill/fetch?user=&account=   storage, bandwidth and buckets of a user
//   GET /metrics                        Prometheus text format
//
// In ostor terms `user` is a user id or email and `account` one of its
// accounts (absent or empty: the whole user). Storage is what the buckets
// hold now; bandwidth in/out is the bytes uploaded/downloaded that the usage
// statistics counted (stored statistics objects not yet deleted plus the
// period under way; collection must be on for it to be non-zero).
#pragma once

#include <string>

#include "http.hpp"
#include "metrics.hpp"
#include "ostor/engine.hpp"
#include "usage_stats.hpp"

namespace ostor::gw {

class BillingEndpoint {
public:
    BillingEndpoint(Engine& engine, const UsageStats* stats, const Metrics& metrics, std::string gateway_url)
        : engine_(engine), stats_(stats), metrics_(metrics), gateway_url_(std::move(gateway_url)) {}
    void handle(const HttpRequest& request, BodyReader& body, ResponseWriter& response);

private:
    Engine& engine_;
    const UsageStats* stats_;
    const Metrics& metrics_;
    std::string gateway_url_;
};

}  // namespace ostor::gw
