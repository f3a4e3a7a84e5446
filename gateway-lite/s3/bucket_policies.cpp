// Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy and
// GetBucketPolicyStatus, and what a bucket's policy says of a request (the
// pipeline asks it once, in read_bucket; docs/architecture.md has the
// order). The document is stored as sent, under the bucket's "policy"
// configuration; its parsed form is cached by the document, so a request
// parses nothing, and a bucket without a policy costs one map lookup.
#include <memory>
#include <string_view>

#include "acl.hpp"
#include "bucket_policy.hpp"
#include "bucket_policy_actions.hpp"
#include "s3/config_cache.hpp"
#include "s3/handlers.hpp"
#include "s3/tag_sets.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::string_view kPolicy = "policy";
// A stored document that no longer parses (a policy language narrowed
// since) is null: no policy.
std::shared_ptr<const BucketPolicy> parse_stored_policy(const Bucket& b, std::string_view document) {
    auto parsed = parse_bucket_policy(document, b.name);
    if (auto* p = std::get_if<BucketPolicy>(&parsed)) return std::make_shared<const BucketPolicy>(std::move(*p));
    return nullptr;
}

bool listing(Operation op) {
    return op == Operation::ListObjects || op == Operation::ListObjectsV2 || op == Operation::ListObjectVersions;
}

// A condition that limits a statement to fixed values, as AWS's "The
// meaning of public" lists them (of the keys ostor supplies): aws:SourceIp
// within bounded CIDR blocks (a /0 is everyone), or aws:userid equal to
// fixed ids. Anything else (Bool aws:SecureTransport, a StringLike on the
// User-Agent, a negated operator, IfExists, a wildcard) leaves it open.
bool pins_to_fixed_values(const PolicyCondition& c) {
    if (c.if_exists || c.values.empty()) return false;
    if (c.key == policy_key::kSourceIp && c.op == ConditionOperator::IpAddress) {
        for (const auto& v : c.values) {
            auto network = parse_ip_network(v);
            if (!network || network->prefix_bits == 0) return false;
        }
        return true;
    }
    if (c.key == policy_key::kUserId && c.op == ConditionOperator::StringEquals) {
        for (const auto& v : c.values)
            if (v.empty() || v.find_first_of("*?") != std::string::npos) return false;
        return true;
    }
    return false;
}

// A statement that makes the bucket public, as AWS's policy status sees
// it: an Allow reaching principals that are not fixed (everyone, or all
// but those a NotPrincipal names), unless a condition pins it to fixed
// values (all conditions must hold, so one such is enough).
bool public_statement(const PolicyStatement& s) {
    if (s.deny) return false;
    bool open = s.not_principal;
    for (const auto& p : s.principals) open |= p.everyone();
    if (!open) return false;
    for (const auto& c : s.conditions)
        if (pins_to_fixed_values(c)) return false;
    return true;
}

}  // namespace

std::shared_ptr<const BucketPolicy> RequestContext::bucket_policy(const Bucket& b) {
    auto it = b.configs.find(std::string(kPolicy));
    if (it == b.configs.end()) return nullptr;
    static ParsedConfigCache<std::shared_ptr<const BucketPolicy>> cache(parse_stored_policy);
    return cache.get(b, it->second);
}

PolicyDecision RequestContext::policy_decision(const Bucket& b, std::string_view action, const std::string* key,
                                               const std::string* version_id, const TagSet* request_tags,
                                               bool written) const {
    auto policy = bucket_policy(b);
    if (!policy) return PolicyDecision::NoMatch;
    PolicyRequest r;
    r.action = std::string(action);
    r.resource = key ? object_arn(b.name, *key) : bucket_arn(b.name);
    r.anonymous = principal.anonymous;
    r.user_id = principal.user_id;
    r.account = principal.account;
    r.source_ip = request.remote;
    r.secure_transport = request.tls;
    auto header_key = [&](std::string_view header, std::string_view name) {
        if (const auto* v = request.header(header)) r.keys.emplace(std::string(name), std::string(trim(*v)));
    };
    header_key("referer", policy_key::kReferer);
    header_key("user-agent", policy_key::kUserAgent);
    header_key("x-amz-acl", policy_key::kAcl);
    header_key("x-amz-grant-read", policy_key::kGrantRead);
    header_key("x-amz-grant-write", policy_key::kGrantWrite);
    header_key("x-amz-grant-read-acp", policy_key::kGrantReadAcp);
    header_key("x-amz-grant-write-acp", policy_key::kGrantWriteAcp);
    header_key("x-amz-grant-full-control", policy_key::kGrantFullControl);
    header_key("x-amz-content-sha256", policy_key::kContentSha256);
    header_key("x-amz-metadata-directive", policy_key::kMetadataDirective);
    header_key("x-amz-copy-source", policy_key::kCopySource);
    // "" names no version (the pipeline refuses an empty versionId).
    if (const auto* v = version_id ? version_id : param("versionId"); v && !v->empty())
        r.keys.emplace(std::string(policy_key::kVersionId), *v);
    if (route && listing(route->operation)) {
        for (auto [param_name, name] :
             {std::pair{"prefix", policy_key::kPrefix}, std::pair{"delimiter", policy_key::kDelimiter},
              std::pair{"max-keys", policy_key::kMaxKeys}})
            if (const auto* v = param(param_name)) r.keys.emplace(std::string(name), *v);
    }
    // s3:RequestObjectTag/<key>: the tags a write asks for, those of its body
    // or form when the handler passes them, else x-amz-tagging (one that
    // does not parse is refused by the write itself).
    const auto* tagging = request.header("x-amz-tagging");
    if (key && condition_key_applies(policy_key::kRequestObjectTag, action) && (request_tags || tagging)) {
        std::variant<TagSet, S3Error> parsed = request_tags ? *request_tags : parse_tagging_header(*tagging);
        if (auto* tags = std::get_if<TagSet>(&parsed))
            for (auto& [tag, value] : *tags) r.keys.emplace(std::string(policy_key::kRequestObjectTag) + tag, value);
    }
    // s3:ExistingObjectTag/<key>: the tags of the object (version) the
    // request names, read only for a policy that asks for them; none for an
    // object that does not exist.
    if (key && !written && condition_key_applies(policy_key::kExistingObjectTag, action) &&
        uses_existing_object_tags(*policy)) {
        const auto* v = version_id ? version_id : param("versionId");
        if (auto info = engine.head_object(b.name, *key, v ? std::string_view(*v) : std::string_view()))
            for (const auto& [tag, value] : info->meta.tags)
                r.keys.emplace(std::string(policy_key::kExistingObjectTag) + tag, value);
    }
    // Each key only with the actions S3 supplies it for (the ACL headers
    // with the ACL writes, ...), whatever headers the request carries; but
    // s3:versionid, which the plain action asked with a version's
    // (object_policy_decision) keeps, as its version action sees it.
    std::erase_if(r.keys, [&](const auto& k) {
        return k.first != policy_key::kVersionId && !condition_key_applies(k.first, action);
    });
    auto decision = evaluate(*policy, r);
    // RestrictPublicBuckets: a public policy's Allow reaches the bucket
    // owner's user alone (S3: its account), nobody else, whatever statement
    // allowed it (one naming another user too, as S3 blocks cross-account
    // access then).
    if (decision == PolicyDecision::Allow && (principal.anonymous || principal.user_id != b.owner_id) &&
        settings(b).block.restrict_public_buckets && policy_is_public(*policy))
        return PolicyDecision::NoMatch;
    return decision;
}

PolicyDecision RequestContext::request_policy_decision(const Bucket& b) const {
    // The common case first: a bucket without a policy costs one lookup.
    static const std::string kPolicyKind(kPolicy);
    if (!route || !b.configs.contains(kPolicyKind)) return PolicyDecision::NoMatch;
    const auto* row = policy_action_for(route->name);
    if (!row) return PolicyDecision::NoMatch;
    const std::string* target = row->kind == PolicyResourceKind::Object ? &key : nullptr;
    const auto* version_id = param("versionId");
    if (row->version_action.empty() || !version_id) return policy_decision(b, row->action, target);
    return object_policy_decision(b, row->action, row->version_action, key, *version_id);
}

PolicyDecision RequestContext::object_policy_decision(const Bucket& b, std::string_view action,
                                                      std::string_view version_action, const std::string& object_key,
                                                      const std::string& version_id, const TagSet* request_tags) const {
    if (version_id.empty()) return policy_decision(b, action, &object_key, &version_id, request_tags);
    auto plain = policy_decision(b, action, &object_key, &version_id, request_tags);
    if (plain == PolicyDecision::Deny) return plain;
    return policy_decision(b, version_action, &object_key, &version_id, request_tags);
}

bool RequestContext::may_write_key(const Bucket& b, std::string_view action, const std::string& object_key,
                                   const TagSet* request_tags) const {
    auto decision = policy_decision(b, action, &object_key, nullptr, request_tags);
    if (decision == PolicyDecision::Deny) return false;
    return decision == PolicyDecision::Allow || acl_bucket_allows(b, Permission::Write);
}

RequestContext::WriteExtras RequestContext::header_write_extras() const {
    WriteExtras extras;
    extras.acl = request.header("x-amz-acl") != nullptr;
    for (const auto& [header, permission] : kGrantHeaders) extras.acl = extras.acl || request.header(header) != nullptr;
    const auto* tagging = request.header("x-amz-tagging");
    bool copies_tags = route && route->operation == Operation::CopyObject &&
                       trim(request.header_or("x-amz-tagging-directive", "COPY")) != "REPLACE";
    if (tagging && !copies_tags) {
        auto parsed = parse_tagging_header(*tagging);
        const auto* tags = std::get_if<TagSet>(&parsed);
        extras.tags = !tags || !tags->empty();
    }
    return extras;
}

bool RequestContext::may_write_extras(const Bucket& b, const std::string& object_key, WriteExtras extras,
                                      const TagSet* request_tags) const {
    auto denied = [&](bool asked, std::string_view action) {
        return asked &&
               policy_decision(b, action, &object_key, nullptr, request_tags, /*written=*/true) == PolicyDecision::Deny;
    };
    return !denied(extras.tags, "s3:PutObjectTagging") && !denied(extras.acl, "s3:PutObjectAcl");
}

bool RequestContext::policy_is_public(const BucketPolicy& policy) {
    for (const auto& s : policy.statements)
        if (public_statement(s)) return true;
    return false;
}

// Only the bucket's owner (as AWS: its account's root, whatever the policy
// says), or one of the owner's accounts the policy allows.
bool RequestContext::may_manage_policy(const Bucket& b) const {
    return is_owner(b) || (!principal.anonymous && principal.user_id == b.owner_id && policy == PolicyDecision::Allow);
}

Reply get_bucket_policy(const RequestContext& ctx) {
    if (!ctx.may_manage_policy(*ctx.bucket_record)) return access_denied();
    auto stored = stored_bucket_config(*ctx.bucket_record, kPolicy);
    if (stored) stored->content_type = "application/json";
    return stored;
}

Reply put_bucket_policy(const RequestContext& ctx, RequestBody& body) {
    const auto& b = *ctx.bucket_record;
    if (!ctx.may_manage_policy(b)) return access_denied();
    auto text = body.small();
    if (!text) return text.error();
    if (text->size() > kMaxBucketPolicyBytes)
        return malformed_policy("Policy exceeds the maximum allowed document size.");
    auto parsed = parse_bucket_policy(*text, ctx.bucket);
    if (auto* e = std::get_if<S3Error>(&parsed)) return *e;
    // A policy naming a user that does not exist is refused, as S3 does.
    const auto& parsed_policy = std::get<BucketPolicy>(parsed);
    for (const auto& id : named_user_ids(parsed_policy))
        if (!ctx.engine.get_user(id)) return malformed_policy("Invalid principal in policy");
    // BlockPublicPolicy refuses a public one, the owner's too (as S3).
    if (ctx.settings(b).block.block_public_policy && RequestContext::policy_is_public(parsed_policy))
        return access_denied();
    return store_bucket_config(ctx, kPolicy, std::string(*text));
}

Reply delete_bucket_policy(const RequestContext& ctx) {
    if (!ctx.may_manage_policy(*ctx.bucket_record)) return access_denied();
    return store_bucket_config(ctx, kPolicy, std::nullopt);
}

Reply get_bucket_policy_status(const RequestContext& ctx) {
    const auto& b = *ctx.bucket_record;
    if (!ctx.may_manage_policy(b)) return access_denied();
    if (!b.configs.contains(std::string(kPolicy))) return *no_such_bucket_config(kPolicy);
    auto policy = RequestContext::bucket_policy(b);
    // The policy's own status, as AWS documents IsPublic ("The meaning of
    // public" judges the policy's statements): RestrictPublicBuckets limits
    // whom a public policy reaches, it does not make the policy another.
    bool is_public = policy && RequestContext::policy_is_public(*policy);
    XmlWriter x("PolicyStatus");
    x.el("IsPublic", is_public ? "true" : "false");
    return xml_answer(x.finish());
}

}  // namespace ostor::gw::s3
