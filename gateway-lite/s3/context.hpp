// What the pipeline knows of a request before its handler runs: filled once
// (target, caller, limits admitted, the bucket it names) and only read
// afterwards. Handlers get it as const; nothing they do passes through it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "acl.hpp"
#include "bucket_access_controls.hpp"
#include "bucket_policy.hpp"
#include "http.hpp"
#include "ostor/engine.hpp"
#include "ostor/names.hpp"
#include "rate_limits.hpp"
#include "s3/routes.hpp"
#include "s3/tag_sets.hpp"
#include "s3_auth.hpp"
#include "s3_error.hpp"
#include "s3_handler.hpp"
#include "util.hpp"

namespace ostor::gw::s3 {

struct PostForm;

struct RequestContext {
    RequestContext(Engine& e, const S3Options& o, const HttpRequest& r, std::string id)
        : engine(e), options(o), request(r), request_id(std::move(id)) {}

    Engine& engine;
    const S3Options& options;
    const HttpRequest& request;
    std::string request_id;
    // The gateway's usage counting, when it counts (?ostor-usage&current).
    const UsageStats* usage_stats = nullptr;

    // The target (s3/target.hpp): path as sent, query decoded, the bucket
    // (name) and key it names.
    std::string path;
    QueryList query;
    std::string bucket, key, vhost_bucket;
    bool key_given = false;
    const Route* route = nullptr;

    // The caller (principal.account: the account whose key signed).
    AuthResult auth;
    Principal principal;

    // The limits the request was admitted under; their bandwidth applies to
    // the answer.
    Limits user_limits;
    Limits bucket_limits;

    // The named bucket, read (and checked: expected owner, the permission
    // the operation needs) before the handler runs, for the operations that
    // work on one (dispatch.cpp, bucket_access).
    std::optional<Bucket> bucket_record;
    // What the bucket's policy says of the request's own action and resource
    // (read_bucket): a Deny was refused there; an Allow grants what the ACLs
    // would refuse (bucket_allows, object_allows on that bucket).
    PolicyDecision policy = PolicyDecision::NoMatch;

    // POST Object: the form read up to its file (s3/post_form.hpp), whose
    // fields authenticated the request; the handler reads the file from it.
    PostForm* post_form = nullptr;

    // The query parameter `name`, if given.
    const std::string* param(std::string_view name) const {
        for (const auto& [n, v] : query)
            if (n == name) return &v;
        return nullptr;
    }

    // ---- identity and permissions (permissions.cpp) -------------------------

    bool is_owner(const Bucket& b) const;
    const std::string* who() const { return principal.anonymous ? nullptr : &principal.user_id; }
    // Without permission to list the bucket, a missing key must not be told
    // from a forbidden one (S3 answers 403 then).
    S3Error object_error(const Error& e, const Bucket& b) const;
    // The policy's Allow of the request (`policy`), else the ACLs.
    bool bucket_allows(const Bucket& b, Permission p) const;
    bool object_allows(const Bucket& b, const ObjectInfo& o, Permission p) const;
    // The same with a policy decision the handler made itself, of what only
    // it knows (PutObjectTagging: the tags its body sets).
    bool object_allows(const Bucket& b, const ObjectInfo& o, Permission p, PolicyDecision by_policy) const;
    // The ACLs alone (and the owners' implicit rights).
    bool acl_bucket_allows(const Bucket& b, Permission p) const;
    bool acl_object_allows(const Bucket& b, const ObjectInfo& o, Permission p) const;
    // Who owns an object: its writer when another user than the bucket's
    // owner, unless the bucket's ownership controls turn ACLs off.
    std::string object_owner(const Bucket& b, const ObjectInfo& o) const;
    // x-amz-expected-bucket-owner (or, for a copy's source, x-amz-source-
    // expected-bucket-owner): a request meant for another owner's bucket is
    // refused, whoever may otherwise access it.
    std::optional<S3Error> check_expected_owner(const Bucket& b, std::string_view header) const;
    // 503 when writing `bytes` would eat into the space kept for deletes
    // (space_reserve.hpp).
    std::optional<S3Error> check_space_for(std::uint64_t bytes) const;
    // Keys written from now on are ones every XML answer can carry: as AWS
    // asks of keys, valid UTF-8, and none of the characters XML 1.0 cannot
    // hold even as a reference (TAB, LF and CR are fine: they are written
    // as &#9; &#10; &#13;).
    std::optional<S3Error> check_new_key() const;

    // ---- ownership controls, public access block (access_controls.cpp) ------

    // The bucket's object ownership (ObjectWriter when it has no controls)
    // and public access block (all off when it has none), from the parsed
    // copies cached by bucket name, epoch and document.
    static ObjectOwnership object_ownership(const Bucket& b);
    static PublicAccessBlock public_access_block(const Bucket& b);
    // Both, for a permission check of this request: the named bucket's read
    // once (remember_settings, by read_bucket), so that the checks of a
    // request, and a listing's objects, take no lock and copy nothing;
    // another bucket's (a copy's source) as above.
    struct BucketSettings {
        ObjectOwnership ownership = ObjectOwnership::ObjectWriter;
        PublicAccessBlock block;
    };
    BucketSettings settings(const Bucket& b) const;
    void remember_settings(const Bucket& b);
    // The named bucket's settings (remember_settings): its name and epoch
    // say which bucket they are of.
    struct RememberedSettings {
        std::string bucket;
        std::uint64_t epoch = 0;
        BucketSettings settings;
    };
    std::optional<RememberedSettings> remembered_settings;
    // An ACL a request sets (`stored`, for a resource `owner_id` owns; asked
    // for as the canned ACL `canned`, nullptr for none) on `b` or one of its
    // objects: 400 AccessControlListNotSupported when ACLs are off
    // (BucketOwnerEnforced) unless it is the owner's FULL_CONTROL alone,
    // asked for as no canned ACL or as private or bucket-owner-full-control;
    // 403 AccessDenied for a public one when the public access block blocks
    // public ACLs.
    std::optional<S3Error> check_new_acl(const Bucket& b, const std::string* canned, std::string_view stored,
                                         std::string_view owner_id) const;

    // ---- bucket policies (bucket_policies.cpp) ------------------------------

    // The parsed policy of `b`; null when it has none (or one that does not
    // parse, which the gateway never stores).
    static std::shared_ptr<const BucketPolicy> bucket_policy(const Bucket& b);
    // What the policy of `b` says of `action` by this caller on the object
    // `key` (nullptr: on the bucket), with this request's condition values.
    // NoMatch when the bucket has no policy. `version_id` is the
    // s3:versionid the conditions see (nullptr: the request's versionId;
    // "": none). `request_tags`: the tags the request asks for when its body
    // or form carries them (PutObjectTagging, POST), for s3:RequestObjectTag
    // (nullptr: the x-amz-tagging header's). `written`: the object is the
    // one the request writes, which has no tags yet (no
    // s3:ExistingObjectTag, whatever an object of that key has now).
    PolicyDecision policy_decision(const Bucket& b, std::string_view action, const std::string* key,
                                   const std::string* version_id = nullptr, const TagSet* request_tags = nullptr,
                                   bool written = false) const;
    // policy_decision of `action` on the object `key`, or, naming the version
    // `version_id` ("": none), of `version_action` (s3:GetObjectVersion), as
    // S3 asks; a Deny of the plain action refuses it too, so that naming a
    // version is no way around a policy denying reads or deletes.
    PolicyDecision object_policy_decision(const Bucket& b, std::string_view action, std::string_view version_action,
                                          const std::string& key, const std::string& version_id,
                                          const TagSet* request_tags = nullptr) const;
    // policy_decision for the request's route (policy_action_for) on its
    // bucket or object; NoMatch for routes no policy governs.
    PolicyDecision request_policy_decision(const Bucket& b) const;
    // A write whose object is known only to the handler (DeleteObjects' keys,
    // a browser upload's form key): the policy, then the bucket's ACL.
    bool may_write_key(const Bucket& b, std::string_view action, const std::string& object_key,
                       const TagSet* request_tags = nullptr) const;
    // What a write (PutObject, CopyObject, CreateMultipartUpload, POST
    // Object) sets besides the object, each an action of its own that AWS
    // asks beside s3:PutObject: tags (s3:PutObjectTagging), an ACL
    // (s3:PutObjectAcl).
    struct WriteExtras {
        bool tags = false;
        bool acl = false;
    };
    // From the request's headers: an ACL by x-amz-acl or an x-amz-grant-*
    // header (present, whatever its value); tags by an x-amz-tagging that
    // names some (an empty one sets none) or does not parse (decided
    // without its tags, then refused by the write), for CopyObject only
    // with x-amz-tagging-directive: REPLACE (else the source's are copied).
    WriteExtras header_write_extras() const;
    // Whether the caller may set `extras` on the object `object_key` it
    // writes: not when the bucket's policy denies the action. No Allow of
    // it is needed: the write's s3:PutObject, whose conditions see the same
    // tags and ACL headers, speaks for them (AWS's policy examples and
    // Ceph's s3-tests allow another user s3:PutObject alone, conditioned on
    // s3:RequestObjectTag or s3:x-amz-grant-full-control, and expect its
    // writes with tags or grants to succeed). The conditions see the
    // request's tags (`request_tags`, nullptr: x-amz-tagging's) and ACL
    // headers.
    bool may_write_extras(const Bucket& b, const std::string& object_key, WriteExtras extras,
                          const TagSet* request_tags = nullptr) const;
    // Get/Put/DeleteBucketPolicy: the bucket's owner always (S3: the owning
    // account's root even when the policy denies it), another account of
    // the owner's with the policy's Allow.
    bool may_manage_policy(const Bucket& b) const;
    // Whether the policy of `b` makes it public (an Allow whose principals
    // are not fixed, with no condition pinning it to fixed values, as AWS's
    // "The meaning of public" says): what GetBucketPolicyStatus and the
    // public access block call a public policy.
    static bool policy_is_public(const BucketPolicy& policy);
};

// Users' display names (their e-mail addresses), each looked up once per
// answer.
class DisplayNames {
public:
    explicit DisplayNames(Engine& engine) : engine_(engine) {}
    const std::string& operator()(const std::string& user_id) {
        if (auto it = names_.find(user_id); it != names_.end()) return it->second;
        auto user = engine_.get_user(user_id);
        return names_.emplace(user_id, user ? user->email : user_id).first->second;
    }

private:
    Engine& engine_;
    std::map<std::string, std::string> names_;
};

inline std::string etag_quoted(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

}  // namespace ostor::gw::s3
