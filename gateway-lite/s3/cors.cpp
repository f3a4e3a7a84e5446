// CORS: a bucket's rules set, read and removed (owner only, as S3 without
// bucket policies: s3:PutBucketCORS / s3:GetBucketCORS are the owner's),
// the preflight (OPTIONS) answered from them, and the headers an allowed
// cross-origin request gets (added by the pipeline to every answer).
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "s3/cors_rules.hpp"
#include "s3/handlers.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::string_view kCors = "cors";
// Header names (lowercase, as the request holds them).
constexpr std::string_view kOrigin = "origin";
constexpr std::string_view kRequestMethod = "access-control-request-method";
constexpr std::string_view kRequestHeaders = "access-control-request-headers";
constexpr std::string_view kChecksumPrefix = "x-amz-checksum-";

// The stored rules of `bucket`, if it has any that parse (the gateway
// stored them parsed, so they do unless the record was damaged).
std::optional<CorsConfiguration> stored_rules(const Bucket& bucket) {
    auto it = bucket.configs.find(std::string(kCors));
    if (it == bucket.configs.end()) return std::nullopt;
    auto parsed = parse_cors_configuration(it->second);
    if (auto* config = std::get_if<CorsConfiguration>(&parsed)) return std::move(*config);
    return std::nullopt;
}

// Buckets found missing by cors_headers_by_name, until when they count as
// missing: briefly, as one created meanwhile gets its CORS headers on such
// answers only once that passes; bounded, as the names come from requests.
constexpr auto kMissingBucketMemory = std::chrono::seconds(1);
constexpr std::size_t kMaxMissingBuckets = 4096;

class MissingBuckets {
public:
    bool remembered(const std::string& name) {
        std::lock_guard lock(mutex_);
        auto it = until_.find(name);
        if (it == until_.end()) return false;
        if (it->second > Clock::now()) return true;
        until_.erase(it);
        return false;
    }
    void remember(const std::string& name) {
        std::lock_guard lock(mutex_);
        const auto now = Clock::now();
        if (until_.size() >= kMaxMissingBuckets) std::erase_if(until_, [&](const auto& e) { return e.second <= now; });
        if (until_.size() >= kMaxMissingBuckets) until_.clear();
        until_[name] = now + kMissingBucketMemory;
    }

private:
    using Clock = std::chrono::steady_clock;
    std::mutex mutex_;
    std::unordered_map<std::string, Clock::time_point> until_;
};

MissingBuckets& missing_buckets() {
    static MissingBuckets buckets;
    return buckets;
}

}  // namespace

std::optional<S3Error> missing_body_digest(const RequestContext& ctx) {
    const auto& req = ctx.request;
    if (req.header("content-md5")) return std::nullopt;
    for (const auto& [name, value] : req.headers)
        if (name.starts_with(kChecksumPrefix) && name != "x-amz-checksum-algorithm" && name != "x-amz-checksum-type")
            return std::nullopt;
    if (to_lower(trim(req.header_or("x-amz-trailer"))).starts_with(kChecksumPrefix)) return std::nullopt;
    return missing_content_md5();
}

Reply get_bucket_cors(const RequestContext& ctx) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    return stored_bucket_config(*ctx.bucket_record, kCors);
}

Reply put_bucket_cors(const RequestContext& ctx, RequestBody& body) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    if (auto missing = missing_body_digest(ctx)) return *missing;
    auto text = body.small();
    if (!text) return text.error();
    if (text->size() > kMaxCorsDocumentBytes) return max_message_length_exceeded();
    auto parsed = parse_cors_configuration(*text);
    if (auto* e = std::get_if<S3Error>(&parsed)) return *e;
    // Stored as GetBucketCors answers it: what was understood, nothing else.
    auto stored = cors_configuration_xml(std::get<CorsConfiguration>(parsed));
    // Escaping can make that several times the input (a '"' is "&quot;"):
    // past what a bucket keeps, it is refused as a document too long.
    if (stored.size() > kMaxBucketConfigBytes) return max_message_length_exceeded();
    return store_bucket_config(ctx, kCors, std::move(stored), 200);
}

Reply delete_bucket_cors(const RequestContext& ctx) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    return store_bucket_config(ctx, kCors, std::nullopt);
}

// Browsers send preflights without credentials, so none is asked for; the
// checks come in S3's order (the origin, the bucket, its rules, the method).
Reply preflight(const RequestContext& ctx) {
    const auto* origin = ctx.request.header(kOrigin);
    if (!origin) return cors_origin_missing();
    if (!validate_bucket_name(ctx.bucket)) return cors_bucket_not_found();
    auto b = ctx.engine.get_bucket_record(ctx.bucket);
    if (!b && b.error().code() == Errc::NoSuchBucket) return cors_bucket_not_found();
    if (!b) return b.error();
    if (!b->configs.contains(std::string(kCors))) return cors_not_enabled();
    const auto* method = ctx.request.header(kRequestMethod);
    if (!method) return cors_request_method_invalid("null");
    auto rules = stored_rules(*b);
    if (!rules) return S3Error();  // a record the gateway did not write
    auto requested = requested_cors_headers(ctx.request.header_or(kRequestHeaders));
    const auto* rule = match_cors_rule(*rules, *origin, trim(*method), requested);
    if (!rule) return cors_not_allowed();
    return empty_answer(200, cors_answer_headers(*rule, *origin, requested));
}

HeaderList cors_headers(const RequestContext& ctx, const Bucket& bucket) {
    const auto* origin = ctx.request.header(kOrigin);
    if (!origin) return {};
    auto rules = stored_rules(bucket);
    if (!rules) return {};
    // The request's own method decides (its headers are not checked: a
    // browser sends only those a preflight allowed).
    const auto* rule = match_cors_rule(*rules, *origin, ctx.request.method, {});
    if (!rule) return {};
    return cors_answer_headers(*rule, *origin, {});
}

HeaderList cors_headers_by_name(const RequestContext& ctx) {
    if (!ctx.request.header(kOrigin) || !validate_bucket_name(ctx.bucket)) return {};
    if (missing_buckets().remembered(ctx.bucket)) return {};
    auto b = ctx.engine.get_bucket_record(ctx.bucket);
    if (!b) {
        if (b.error().code() == Errc::NoSuchBucket) missing_buckets().remember(ctx.bucket);
        return {};
    }
    return cors_headers(ctx, *b);
}

}  // namespace ostor::gw::s3
