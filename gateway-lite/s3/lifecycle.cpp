// A bucket's lifecycle configuration: set, read and removed by its owner (as
// S3 without bucket policies: s3:PutLifecycleConfiguration and
// s3:GetLifecycleConfiguration are the owner's). Kept as the bucket's
// "lifecycle" document in the model's stored form (lifecycle_rules.hpp),
// which the lifecycle worker reads; Get writes the XML back from it.
#include "lifecycle_config.hpp"
#include "s3/handlers.hpp"

namespace ostor::gw::s3 {

Reply get_bucket_lifecycle(const RequestContext& ctx) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    auto it = ctx.bucket_record->configs.find(std::string(kLifecycleConfigKind));
    if (it == ctx.bucket_record->configs.end()) return *no_such_bucket_config(kLifecycleConfigKind);
    auto config = detail::decode_lifecycle_config(it->second);
    if (!config) return S3Error();  // a record the gateway did not write
    return xml_answer(lifecycle_config_xml(*config));
}

// Also the deprecated PutBucketLifecycle: same query, and its <Prefix>
// directly in <Rule> is what the parser takes as the legacy filter.
Reply put_bucket_lifecycle(const RequestContext& ctx, RequestBody& body) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    // The SDKs send a checksum (AWS requires one), as for CORS and tagging.
    if (auto missing = missing_body_digest(ctx)) return *missing;
    auto text = body.small();
    if (!text) return text.error();
    auto parsed = parse_lifecycle_config(*text);
    if (auto* e = std::get_if<S3Error>(&parsed)) return *e;
    auto stored = detail::encode_lifecycle_config(std::get<detail::LifecycleConfig>(parsed));
    // 1000 rules with long ids and prefixes go past what a bucket keeps.
    if (stored.size() > kMaxBucketConfigBytes)
        return S3Error{400, "MaxMessageLengthExceeded",
                       "The lifecycle configuration is too large: its rules take " + std::to_string(stored.size()) +
                           " bytes, more than the " + std::to_string(kMaxBucketConfigBytes) +
                           " a bucket's configuration may"};
    return store_bucket_config(ctx, kLifecycleConfigKind, std::move(stored), 200);
}

void add_expiration_header(HeaderList& h, const RequestContext& ctx, const Bucket& bucket, const ObjectInfo& info) {
    auto it = bucket.configs.find(std::string(kLifecycleConfigKind));
    if (it == bucket.configs.end()) return;
    auto config = detail::decode_lifecycle_config(it->second);
    if (!config) return;
    const auto* tags = info.meta.tags.empty() ? nullptr : &info.meta.tags;
    // The earliest due of the rules that apply, as the worker decides.
    std::optional<std::pair<TimestampMs, const std::string*>> earliest;
    for (const auto& r : config->rules) {
        if (!r.enabled || !r.expiration || !detail::lifecycle_filter_matches(r.filter, info.key, info.size, tags))
            continue;
        std::optional<TimestampMs> due;
        if (r.expiration->days)
            due = detail::lifecycle_due_ms(info.last_modified_ms, *r.expiration->days, ctx.options.lifecycle_day_ms);
        else if (r.expiration->date_ms)
            due = *r.expiration->date_ms;
        if (due && (!earliest || *due < earliest->first)) earliest.emplace(*due, &r.id);
    }
    if (!earliest) return;
    h.emplace_back("x-amz-expiration",
                   "expiry-date=\"" + http_date(earliest->first) + "\", rule-id=\"" + *earliest->second + "\"");
}

Reply delete_bucket_lifecycle(const RequestContext& ctx) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    return store_bucket_config(ctx, kLifecycleConfigKind, std::nullopt);
}

}  // namespace ostor::gw::s3
