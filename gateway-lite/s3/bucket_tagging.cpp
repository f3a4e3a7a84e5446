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
    const auto& b = *ctx.bucket_record;
    if (!ctx.is_owner(b)) return access_denied();
    auto it = b.configs.find(std::string(kTagging));
    if (it == b.configs.end()) return *no_such_bucket_config(kTagging);
    return xml_answer(it->second);
}

Reply put_bucket_tagging(const RequestContext& ctx, RequestBody& body) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    if (auto missing = missing_body_digest(ctx)) return *missing;
    auto text = body.small();
    if (!text) return text.error();
    auto tags = parse_tagging(*text, kMaxBucketTags);
    if (auto* e = std::get_if<S3Error>(&tags)) return *e;
    auto r = ctx.engine.set_bucket_config(ctx.bucket, kTagging, tagging_xml(std::get<TagSet>(tags)));
    if (!r) return r.error();
    return empty_answer(204);
}

Reply delete_bucket_tagging(const RequestContext& ctx) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    auto r = ctx.engine.set_bucket_config(ctx.bucket, kTagging, std::nullopt);
    if (!r) return r.error();
    return empty_answer(204);
}

}  // namespace ostor::gw::s3
