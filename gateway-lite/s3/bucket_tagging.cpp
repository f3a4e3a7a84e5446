// A bucket's tags: set, read and removed by its owner (as S3 without bucket
// policies: s3:PutBucketTagging / s3:GetBucketTagging are the owner's).
// Kept as the bucket's "tagging" document.
#include "s3/handlers.hpp"
#include "s3/tag_sets.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::string_view kTagging = "tagging";

}  // namespace

Reply get_bucket_tagging(const RequestContext& ctx) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    return stored_bucket_config(*ctx.bucket_record, kTagging);
}

Reply put_bucket_tagging(const RequestContext& ctx, RequestBody& body) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    if (auto missing = missing_body_digest(ctx)) return *missing;
    auto text = body.small();
    if (!text) return text.error();
    auto tags = parse_tagging(*text, kMaxBucketTags);
    if (auto* e = std::get_if<S3Error>(&tags)) return *e;
    return store_bucket_config(ctx, kTagging, tagging_xml(std::get<TagSet>(tags)));
}

Reply delete_bucket_tagging(const RequestContext& ctx) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    return store_bucket_config(ctx, kTagging, std::nullopt);
}

}  // namespace ostor::gw::s3
