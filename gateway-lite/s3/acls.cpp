#include "s3/exchange.hpp"

namespace ostor::gw::s3 {

void Exchange::get_bucket_acl() {
    auto b = load_bucket(std::nullopt);
    if (!b) return;
    if (!bucket_allows(*b, Permission::ReadAcp)) return error(access_denied());
    xml(acl_to_xml(b->owner_id, display_name(b->owner_id), b->acl));
}

// The ACL of a PutBucketAcl / PutObjectAcl: headers or an XML body.
// `owners`: the bucket's owner ("" for a bucket) and the ACL's owner.
std::optional<std::string> Exchange::requested_acl(const CannedAclOwners& owners) {
    auto from_headers = acl_from_headers(engine_, req_, owners);
    if (auto* e = std::get_if<S3Error>(&from_headers)) {
        error(*e);
        return std::nullopt;
    }
    auto body = small_body();
    if (auto* e = std::get_if<S3Error>(&body)) {
        error(*e);
        return std::nullopt;
    }
    const auto& text = std::get<std::string>(body);
    auto& header_grants = std::get<std::optional<std::vector<Grant>>>(from_headers);
    if (!trim(text).empty()) {
        if (header_grants) {
            error({400, "UnexpectedContent", "This request does not support content"});
            return std::nullopt;
        }
        auto grants = acl_from_xml(engine_, text);
        if (auto* e = std::get_if<S3Error>(&grants)) {
            error(*e);
            return std::nullopt;
        }
        return encode_policy_acl(std::get<std::vector<Grant>>(grants), owners.owner);
    }
    if (!header_grants) {
        error({400, "MissingSecurityHeader", "Your request was missing a required header: x-amz-acl"});
        return std::nullopt;
    }
    return encode_acl(*header_grants);
}

void Exchange::put_bucket_acl() {
    auto b = load_bucket(std::nullopt, Freshness::Fresh);
    if (!b) return;
    if (!bucket_allows(*b, Permission::WriteAcp)) return error(access_denied());
    auto acl = requested_acl({{}, b->owner_id});
    if (!acl) return;
    auto r = engine_.set_bucket_acl(bucket_, *acl);
    if (!r) return error(r.error());
    send(200, {}, {});
}

void Exchange::get_object_acl() {
    auto b = load_bucket(std::nullopt);
    if (!b) return;
    auto info = engine_.head_object(bucket_, key_);
    if (!info) return error(object_error(info.error(), *b));
    if (!object_allows(*b, *info, Permission::ReadAcp)) return error(access_denied());
    if (req_.method == "HEAD") return send(200, {}, {});
    auto owner = object_owner(*b, *info);
    xml(acl_to_xml(owner, display_name(owner), info->meta.acl));
}

void Exchange::put_object_acl() {
    auto b = load_bucket(std::nullopt);
    if (!b) return;
    auto info = engine_.head_object(bucket_, key_);
    if (!info) return error(object_error(info.error(), *b));
    if (!object_allows(*b, *info, Permission::WriteAcp)) return error(access_denied());
    auto acl = requested_acl({b->owner_id, object_owner(*b, *info)});
    if (!acl) return;
    auto r = engine_.set_object_acl(bucket_, key_, acl_with_object_owner(*acl, acl_object_owner(info->meta.acl)));
    if (!r) return error(r.error());
    send(200, {}, {});
}

}  // namespace ostor::gw::s3
