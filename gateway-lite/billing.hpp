// The admin listener (--admin-listen): the billing API of
// the billing API document and Prometheus metrics.
//
//   GET /                               what is served here (JSON)
//   GET /v1/info                        the service's configuration
//   GET /v1/status                      uptime, S3 requests answered (4xx and 5xx
//                                       among them), the volume's id and space
//   GET /v1/bill/fetch?user=&account=   storage, bandwidth and buckets
//   GET /metrics                        Prometheus text format
// (The same listener serves the web console and the admin REST API:
// admin_listener.hpp.)
//
// Who may call: admin_access.hpp (loopback peers freely; others with the
// admin bearer token or a system user's S3 signature; 403 JSON otherwise).
//
// /v1/bill/fetch, in ostor terms:
//   user=     a user id (16 hex digits) or email;
//   account=  one account name. With user: that user's account ("" or absent:
//             the whole user, own keys and all accounts). Without user:
//             account names are per user, so it is the sum over every user's
//             account of that name (its buckets, whoever owns them, and their
//             bandwidth).
// At least one of them is required (400 otherwise). Anything that names no
// existing user or account bills zeros (200, no items, the reference echoed
// as given), as the billing document's example shows; a deleted user's id
// still bills the bandwidth it used.
// Storage is what the buckets hold now; bandwidth in/out is the body bytes
// uploaded/downloaded, from the engine's billing totals (Engine::
// billing_totals) plus what this gateway counted in the last second. They
// do not depend on S3_GW_COLLECT_STAT nor on statistics objects: deleting
// those changes no bill, and a fetch reads only the totals and the buckets,
// never the statistics history.
#pragma once

#include <chrono>
#include <string>

#include "admin_access.hpp"
#include "billing_meter.hpp"
#include "http.hpp"
#include "metrics.hpp"
#include "ostor/engine.hpp"

namespace ostor::gw {

class BillingEndpoint {
public:
    BillingEndpoint(Engine& engine, const BillingMeter& meter, const Metrics& metrics, std::string gateway_url,
                    AdminAccess access = {})
        : engine_(engine),
          meter_(meter),
          metrics_(metrics),
          gateway_url_(std::move(gateway_url)),
          access_(std::move(access)) {}
    void handle(const HttpRequest& request, BodyReader& body, ResponseWriter& response);

private:
    std::string status_json() const;

    Engine& engine_;
    const BillingMeter& meter_;
    const Metrics& metrics_;
    std::string gateway_url_;
    AdminAccess access_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace ostor::gw
