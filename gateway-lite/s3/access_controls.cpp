// Object ownership controls (Put/Get/DeleteBucketOwnershipControls) and the
// public access block (Put/Get/DeletePublicAccessBlock): bucket
// configuration documents (kinds "ownership" and "public-access-block")
// stored in the canonical form bucket_access_controls.hpp writes, their
// parsed form cached so that the permission checks of a request parse
// nothing (and a bucket without them costs one map lookup each). Where they
// bite: permissions.cpp (ACLs off or public grants ignored),
// bucket_policies.cpp (public policies blocked or restricted),
// objects.cpp and acls.cpp (check_new_acl on every ACL set).
#include "s3/config_cache.hpp"
#include "s3/handlers.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::string_view kOwnership = "ownership";
constexpr std::string_view kPublicAccessBlock = "public-access-block";

// A stored document that does not parse (never stored by the gateway: a
// damaged record) counts as the strictest setting, not as none.
ObjectOwnership parse_stored_ownership(std::string_view document) {
    auto parsed = parse_ownership_controls(document);
    if (auto* o = std::get_if<ObjectOwnership>(&parsed)) return *o;
    return ObjectOwnership::BucketOwnerEnforced;
}

PublicAccessBlock parse_stored_block(std::string_view document) {
    auto parsed = parse_public_access_block(document);
    if (auto* b = std::get_if<PublicAccessBlock>(&parsed)) return *b;
    return PublicAccessBlock{true, true, true, true};
}

// The configuration's own calls: as the policy's (may_manage_policy), the
// bucket's owner or another account of the owner's user the policy allows;
// never another user or an anonymous caller, whatever the policy says (it
// must not let them lift the block that holds it in check).
bool may_configure(const RequestContext& ctx) { return ctx.may_manage_policy(*ctx.bucket_record); }

// With ACLs off, S3 takes no canned ACL but these two (both the owner's
// full control on what the bucket's owner owns).
bool canned_acl_allowed_when_enforced(std::string_view name) {
    return name == "private" || name == "bucket-owner-full-control";
}

// The body of a PUT of either configuration: S3 asks for a digest of it.
Outcome<std::string> configuration_body(const RequestContext& ctx, RequestBody& body) {
    if (auto missing = missing_body_digest(ctx)) return *missing;
    return body.small();
}

}  // namespace

ObjectOwnership RequestContext::object_ownership(const Bucket& b) {
    static const std::string kind(kOwnership);
    static ParsedConfigCache<ObjectOwnership> cache(
        [](const Bucket&, std::string_view document) { return parse_stored_ownership(document); });
    auto it = b.configs.find(kind);
    if (it == b.configs.end()) return ObjectOwnership::ObjectWriter;
    return cache.get(b, it->second);
}

PublicAccessBlock RequestContext::public_access_block(const Bucket& b) {
    static const std::string kind(kPublicAccessBlock);
    static ParsedConfigCache<PublicAccessBlock> cache(
        [](const Bucket&, std::string_view document) { return parse_stored_block(document); });
    auto it = b.configs.find(kind);
    if (it == b.configs.end()) return {};
    return cache.get(b, it->second);
}

RequestContext::BucketSettings RequestContext::settings(const Bucket& b) const {
    if (remembered_settings && remembered_settings->epoch == b.epoch && remembered_settings->bucket == b.name)
        return remembered_settings->settings;
    return {object_ownership(b), public_access_block(b)};
}

void RequestContext::remember_settings(const Bucket& b) {
    remembered_settings = RememberedSettings{b.name, b.epoch, {object_ownership(b), public_access_block(b)}};
}

std::optional<S3Error> RequestContext::check_new_acl(const Bucket& b, const std::string* canned,
                                                     std::string_view stored, std::string_view owner_id) const {
    auto s = settings(b);
    if (s.ownership == ObjectOwnership::BucketOwnerEnforced) {
        // By the name asked for, not only its grants: bucket-owner-read or
        // log-delivery-write encode to the owner's full control here, yet
        // S3 refuses them.
        if (canned && !canned_acl_allowed_when_enforced(trim(*canned))) return acl_not_supported();
        if (!acl_owner_only(stored, owner_id)) return acl_not_supported();
    }
    if (s.block.block_public_acls && acl_is_public(stored)) return access_denied();
    return std::nullopt;
}

Reply get_bucket_ownership_controls(const RequestContext& ctx) {
    if (!may_configure(ctx)) return access_denied();
    return stored_bucket_config(*ctx.bucket_record, kOwnership);
}

Reply put_bucket_ownership_controls(const RequestContext& ctx, RequestBody& body) {
    const auto& b = *ctx.bucket_record;
    if (!may_configure(ctx)) return access_denied();
    auto text = configuration_body(ctx, body);
    if (!text) return text.error();
    auto parsed = parse_ownership_controls(*text);
    if (auto* e = std::get_if<S3Error>(&parsed)) return *e;
    auto ownership = std::get<ObjectOwnership>(parsed);
    // ACLs go off only on a bucket whose own ACL is its owner's
    // FULL_CONTROL alone, as S3 asks (its grants would otherwise silently
    // vanish): the rule CreateBucket with x-amz-object-ownership follows.
    if (ownership == ObjectOwnership::BucketOwnerEnforced && !acl_owner_only(b.acl, b.owner_id))
        return invalid_bucket_acl_with_object_ownership();
    return store_bucket_config(ctx, kOwnership, ownership_controls_xml(ownership), 200);
}

Reply delete_bucket_ownership_controls(const RequestContext& ctx) {
    if (!may_configure(ctx)) return access_denied();
    return store_bucket_config(ctx, kOwnership, std::nullopt);
}

Reply get_public_access_block(const RequestContext& ctx) {
    if (!may_configure(ctx)) return access_denied();
    return stored_bucket_config(*ctx.bucket_record, kPublicAccessBlock);
}

Reply put_public_access_block(const RequestContext& ctx, RequestBody& body) {
    if (!may_configure(ctx)) return access_denied();
    auto text = configuration_body(ctx, body);
    if (!text) return text.error();
    auto parsed = parse_public_access_block(*text);
    if (auto* e = std::get_if<S3Error>(&parsed)) return *e;
    return store_bucket_config(ctx, kPublicAccessBlock, public_access_block_xml(std::get<PublicAccessBlock>(parsed)),
                               200);
}

Reply delete_public_access_block(const RequestContext& ctx) {
    if (!may_configure(ctx)) return access_denied();
    return store_bucket_config(ctx, kPublicAccessBlock, std::nullopt);
}

}  // namespace ostor::gw::s3
