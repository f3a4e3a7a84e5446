// ACLs of buckets and objects, read and set (acl.hpp holds their rules).
#include "s3/handlers.hpp"

namespace ostor::gw::s3 {

namespace {

// The ACL of a PutBucketAcl / PutObjectAcl: headers or an XML body.
// `owners`: the bucket's owner ("" for a bucket) and the ACL's owner.
Outcome<std::string> requested_acl(const RequestContext& ctx, RequestBody& body, const CannedAclOwners& owners) {
    auto from_headers = acl_from_headers(ctx.engine, ctx.request, owners);
    if (auto* e = std::get_if<S3Error>(&from_headers)) return *e;
    auto text = body.small();
    if (!text) return text.error();
    auto& header_grants = std::get<std::optional<std::string>>(from_headers);
    if (!trim(*text).empty()) {
        if (header_grants) return unexpected_content();
        auto stored = acl_from_xml(ctx.engine, *text, owners.owner);
        if (auto* e = std::get_if<S3Error>(&stored)) return *e;
        return std::get<std::string>(stored);
    }
    if (!header_grants) return missing_security_header();
    return *header_grants;
}

// With ACLs off (BucketOwnerEnforced) an ACL reads as its owner's
// FULL_CONTROL alone, whatever is stored, as S3 answers.
std::string_view shown_acl(const RequestContext& ctx, const Bucket& b, std::string_view stored) {
    return ctx.settings(b).ownership == ObjectOwnership::BucketOwnerEnforced ? std::string_view() : stored;
}

}  // namespace

Reply get_bucket_acl(const RequestContext& ctx) {
    const auto& b = ctx.bucket_record;
    if (!ctx.bucket_allows(*b, Permission::ReadAcp)) return access_denied();
    DisplayNames names(ctx.engine);
    return xml_answer(acl_to_xml(b->owner_id, names(b->owner_id), shown_acl(ctx, *b, b->acl), std::ref(names)));
}

Reply put_bucket_acl(const RequestContext& ctx, RequestBody& body) {
    const auto& b = ctx.bucket_record;
    if (!ctx.bucket_allows(*b, Permission::WriteAcp)) return access_denied();
    auto acl = requested_acl(ctx, body, {{}, b->owner_id});
    if (!acl) return acl.error();
    if (auto refused = ctx.check_new_acl(*b, ctx.request.header("x-amz-acl"), *acl, b->owner_id)) return *refused;
    auto r = ctx.engine.set_bucket_acl(ctx.bucket, *acl);
    if (!r) return r.error();
    return empty_answer();
}

Reply get_object_acl(const RequestContext& ctx) {
    const auto& b = ctx.bucket_record;
    const auto version_id = requested_version(ctx);
    auto info = ctx.engine.head_object(ctx.bucket, ctx.key, version_id);
    if (!info) return read_error(ctx, info.error(), *b, version_id);
    if (!ctx.object_allows(*b, *info, Permission::ReadAcp)) return access_denied();
    if (ctx.request.method == "HEAD") return empty_answer();
    auto owner = ctx.object_owner(*b, *info);
    DisplayNames names(ctx.engine);
    return xml_answer(acl_to_xml(owner, names(owner), shown_acl(ctx, *b, info->meta.acl), std::ref(names)));
}

Reply put_object_acl(const RequestContext& ctx, RequestBody& body) {
    const auto& b = ctx.bucket_record;
    const auto version_id = requested_version(ctx);
    auto info = ctx.engine.head_object(ctx.bucket, ctx.key, version_id);
    if (!info) return read_error(ctx, info.error(), *b, version_id);
    if (!ctx.object_allows(*b, *info, Permission::WriteAcp)) return access_denied();
    auto owner = ctx.object_owner(*b, *info);
    auto acl = requested_acl(ctx, body, {b->owner_id, owner});
    if (!acl) return acl.error();
    if (auto refused = ctx.check_new_acl(*b, ctx.request.header("x-amz-acl"), *acl, owner)) return *refused;
    auto r = ctx.engine.set_object_acl(ctx.bucket, ctx.key,
                                       acl_with_object_owner(*acl, acl_object_owner(info->meta.acl)), version_id);
    if (!r) return read_error(ctx, r.error(), *b, version_id);
    return empty_answer();
}

}  // namespace ostor::gw::s3
