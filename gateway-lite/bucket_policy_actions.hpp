// The S3 actions a bucket policy names, and which of them each of the
// gateway's operations is, per AWS's "Actions, resources, and condition keys
// for Amazon S3": the action and whether its resource is the bucket's ARN or
// the object's.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace ostor::gw {

enum class PolicyResourceKind : std::uint8_t { Bucket, Object };

struct PolicyActionInfo {
    std::string_view name;  // "s3:GetObject"
    PolicyResourceKind kind;
};

// Every S3 action a bucket policy may name (those on a bucket or an object;
// s3:ListAllMyBuckets and the like name no resource a bucket policy has).
std::span<const PolicyActionInfo> known_policy_actions();

// The known action of that name, compared case-insensitively.
const PolicyActionInfo* find_policy_action(std::string_view name);

struct OperationAction {
    std::string_view operation;  // the route's AWS name (s3/routes.hpp)
    std::string_view action;     // what the policy is asked
    // With a versionId in the request (s3:GetObjectVersion, ...); "" when the
    // operation takes none.
    std::string_view version_action;
    PolicyResourceKind kind;
};

// The row for an operation named as the route table names it
// ("ListObjectsV2"); nullptr for those no bucket policy governs (ListBuckets,
// the admin API, MethodNotAllowed). CopyObject and UploadPartCopy are the
// destination's s3:PutObject: the gateway asks s3:GetObject of the source
// (on the source's bucket and policy) too. A write setting tags or an ACL
// is refused by a Deny of s3:PutObjectTagging or s3:PutObjectAcl
// (RequestContext::may_write_extras). DeleteObjects is s3:DeleteObject
// of each key. PostObject (a browser upload) is s3:PutObject on the object
// the form's `key` field names: the route is the bucket's and ctx.key is
// empty, so whoever evaluates policies for it must do so inside post_object,
// once the key is read and ${filename} substituted, never on the request's
// path (a Deny on arn:aws:s3:::b/private/* would otherwise not apply).
const OperationAction* policy_action_for(std::string_view operation);

std::span<const OperationAction> operation_actions();

}  // namespace ostor::gw
