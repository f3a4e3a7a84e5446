// The S3 API on the engine: routes a request to its operation, checks the
// caller's signature and permissions, and answers as S3 does.
#pragma once

#include <string>

#include "access_log.hpp"
#include "http.hpp"
#include "metrics.hpp"
#include "ostor/engine.hpp"
#include "rate_limits.hpp"
#include "usage_stats.hpp"

namespace ostor::gw {

struct S3Options {
    // Virtual-host addressing: "<bucket>.<domain>" in Host names the bucket.
    std::string domain;
    // The region GetBucketLocation answers; any region is accepted in
    // signatures. In us-east-1 CreateBucket of a bucket one owns answers
    // 200 (elsewhere BucketAlreadyOwnedByYou), as AWS does.
    std::string region = "us-east-1";
    // The length of a lifecycle "day" (--lifecycle-day-seconds), for the
    // x-amz-expiration header of objects a rule will expire.
    std::int64_t lifecycle_day_ms = 86'400'000;
};

class S3Handler {
public:
    // `stats`, when given, counts every request (usage statistics);
    // `metrics`, when given, records it for /metrics; `access_log`, when
    // given, gets a line for it.
    S3Handler(Engine& engine, S3Options options, UsageStats* stats = nullptr, Metrics* metrics = nullptr,
              AccessLog* access_log = nullptr)
        : engine_(engine), options_(std::move(options)), stats_(stats), metrics_(metrics), access_log_(access_log) {
        limiter_.share_limits([&engine]() -> std::optional<std::uint32_t> {
            auto n = engine.serving_instances();
            return n ? std::optional<std::uint32_t>(*n) : std::nullopt;
        });
    }
    void handle(const HttpRequest& request, BodyReader& body, ResponseWriter& response);
    // The admin listener's entry: serves only what routes to the admin API
    // (ostor-* on the service); anything else it leaves unanswered and
    // returns false.
    bool handle_admin(const HttpRequest& request, BodyReader& body, ResponseWriter& response);
    // Cuts short the pauses of paced downloads (called when the gateway stops).
    void stop() { limiter_.stop(); }

private:
    bool serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response, bool admin_only);

    Engine& engine_;
    S3Options options_;
    UsageStats* stats_;
    Metrics* metrics_;
    AccessLog* access_log_;
    RateLimiter limiter_;
};

}  // namespace ostor::gw
