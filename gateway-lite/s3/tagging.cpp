// Object tags: GetObjectTagging, PutObjectTagging, DeleteObjectTagging
// (the x-amz-tagging header of writes: objects.cpp, copy.cpp).
//
// Who may: reading the tags takes READ on the object, as reading the object
// does (Ceph RGW's mapping of s3:GetObjectTagging without a policy). Setting
// or removing them takes WRITE_ACP, as PutObjectAcl does: S3 gives
// s3:PutObjectTagging to the object's owner by default, and here the owner
// always holds WRITE_ACP (acl.hpp), whoever else it grants it to may change
// what describes the object, never its data.
#include "s3/handlers.hpp"
#include "s3/tag_sets.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

namespace {

// The object (the version the request names), when the caller holds
// `permission` on it.
Outcome<ObjectInfo> tagged_object(const RequestContext& ctx, Permission permission) {
    const auto& b = ctx.bucket_record;
    const auto version_id = requested_version(ctx);
    auto info = ctx.engine.head_object(ctx.bucket, ctx.key, version_id);
    if (!info) return read_error(ctx, info.error(), *b, version_id);
    if (!ctx.object_allows(*b, *info, permission)) return access_denied();
    return std::move(*info);
}

// Sets the tags of the version tagged_object read, answered with its id.
Reply set_tags(const RequestContext& ctx, TagSet tags, int status) {
    const auto& b = *ctx.bucket_record;
    const auto version_id = requested_version(ctx);
    auto r = ctx.engine.set_object_tags(ctx.bucket, ctx.key, std::move(tags), version_id);
    if (!r) return read_error(ctx, r.error(), b, version_id);
    HeaderList h;
    add_version_header(h, b, *r);
    return empty_answer(status, std::move(h));
}

}  // namespace

Reply get_object_tagging(const RequestContext& ctx) {
    auto info = tagged_object(ctx, Permission::Read);
    if (!info) return info.error();
    XmlWriter x("Tagging");
    x.open("TagSet");
    for (const auto& [key, value] : info->meta.tags) x.open("Tag").el("Key", key).el("Value", value).close("Tag");
    HeaderList h;
    add_version_header(h, *ctx.bucket_record, *info);
    return xml_answer(x.close("TagSet").finish(), std::move(h));
}

// On a bucket with a policy the pipeline leaves the decision here: the
// policy's s3:RequestObjectTag is the body's tags, known once it is read.
// Its Deny answers first, as the pipeline's would, before anything the
// object or the body could tell (tags that do not parse are decided
// without, then refused).
Reply put_object_tagging(const RequestContext& ctx, RequestBody& body) {
    const auto& b = *ctx.bucket_record;
    const bool by_policy = RequestContext::bucket_policy(b) != nullptr;
    if (!by_policy) {
        if (auto info = tagged_object(ctx, Permission::WriteAcp); !info) return info.error();
    }
    auto text = body.small();
    if (!text) return text.error();
    auto tags = parse_tagging(*text);
    auto* tag_set = std::get_if<TagSet>(&tags);
    if (by_policy) {
        const auto version_id = requested_version(ctx);
        auto decision = ctx.object_policy_decision(b, "s3:PutObjectTagging", "s3:PutObjectVersionTagging", ctx.key,
                                                   version_id, tag_set);
        if (decision == PolicyDecision::Deny) return access_denied();
        if (!tag_set) return std::get<S3Error>(tags);
        auto head = ctx.engine.head_object(ctx.bucket, ctx.key, version_id);
        if (!head) return read_error(ctx, head.error(), b, version_id);
        if (!ctx.object_allows(b, *head, Permission::WriteAcp, decision)) return access_denied();
    }
    if (!tag_set) return std::get<S3Error>(tags);
    return set_tags(ctx, std::move(*tag_set), 200);
}

Reply delete_object_tagging(const RequestContext& ctx) {
    auto info = tagged_object(ctx, Permission::WriteAcp);
    if (!info) return info.error();
    return set_tags(ctx, {}, 204);
}

}  // namespace ostor::gw::s3
