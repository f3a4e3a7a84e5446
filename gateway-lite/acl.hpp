// Access control lists of buckets and objects.
//
// The engine stores an ACL as an opaque string; this is its encoding: one
// grant a line, "<grantee> <permission>", where grantee is "id:<user id>",
// "group:AllUsers" or "group:AuthenticatedUsers" and permission one of READ,
// WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL. The owner (the bucket's owner,
// or the object's writer) has FULL_CONTROL without it being stored; "" is the
// `private` ACL. An ACL set as an AccessControlPolicy or as x-amz-grant-*
// headers that do not grant the owner FULL_CONTROL holds a "listed-only" line: the owner then has what it
// lists, and READ_ACP / WRITE_ACP, which an owner always keeps (as in S3); no
// grant at all is "listed-only" alone. An object written by another user than
// the bucket's owner records its writer, who owns it, as an
// "owner:<user id> OWNER" line.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "acl_policy.hpp"
#include "http.hpp"
#include "ostor/engine.hpp"
#include "s3_error.hpp"

namespace ostor::gw {

struct Grant {
    enum class Kind { User, AllUsers, AuthenticatedUsers } kind = Kind::User;
    std::string user_id;  // for Kind::User
    Permission permission = Permission::Read;
};

std::vector<Grant> decode_acl(std::string_view stored);
// The object's writer recorded in its stored ACL; "" when the bucket's owner.
std::string acl_object_owner(std::string_view stored);
// `stored` with `owner_id` recorded as the object's owner ("" records none).
std::string acl_with_object_owner(std::string_view stored, std::string_view owner_id);
// Whether the owner holds FULL_CONTROL without a grant (all but "listed-only").
bool acl_grants_owner(std::string_view stored);
// Whether the ACL grants anything to AllUsers or AuthenticatedUsers: what S3
// calls a public ACL (the public access block refuses or ignores those).
bool acl_is_public(std::string_view stored);
// The grants without those to AllUsers and AuthenticatedUsers.
std::vector<Grant> without_public_grants(std::vector<Grant> grants);
// Whether the ACL is the owner's FULL_CONTROL and nothing else (`private`,
// and bucket-owner-full-control on the bucket owner's object): what a bucket
// with ACLs off (BucketOwnerEnforced) accepts.
bool acl_owner_only(std::string_view stored, std::string_view owner_id);
enum class OwnerGrant { Implicit, ListedOnly };
std::string encode_acl(const std::vector<Grant>& grants, OwnerGrant owner = OwnerGrant::Implicit);
// The stored form of an AccessControlPolicy's grants: listed-only unless
// they give `owner_id` FULL_CONTROL.
std::string encode_policy_acl(const std::vector<Grant>& grants, std::string_view owner_id);

// Whom an ACL concerns: `owner` holds it (the object's, or the bucket's);
// the bucket-owner-* canned ACLs give `bucket_owner` READ / FULL_CONTROL of an
// object another user owns, and are `private` on the bucket owner's own
// object and on a bucket (bucket_owner "").
struct CannedAclOwners {
    std::string bucket_owner;
    std::string owner;
};

// The grants of a canned ACL (x-amz-acl); nullopt for an unknown name.
std::optional<std::vector<Grant>> canned_acl(std::string_view name, const CannedAclOwners& owners = {});

// The x-amz-grant-* headers of a write or PutBucketAcl/PutObjectAcl, and
// the permission each grants.
inline constexpr std::pair<std::string_view, Permission> kGrantHeaders[] = {
    {"x-amz-grant-read", Permission::Read},
    {"x-amz-grant-write", Permission::Write},
    {"x-amz-grant-read-acp", Permission::ReadAcp},
    {"x-amz-grant-write-acp", Permission::WriteAcp},
    {"x-amz-grant-full-control", Permission::FullControl}};

// The ACL a request asks for through x-amz-acl or x-amz-grant-* headers, in
// its stored form; nullopt when it sets none. A canned ACL keeps the owner's
// FULL_CONTROL; grant headers give exactly what they list, as an
// AccessControlPolicy does (encode_policy_acl with `owners.owner`), as S3
// and Ceph RGW store them. Errors: an unknown canned ACL, a malformed
// grantee, an unknown e-mail address, both kinds at once.
std::variant<std::optional<std::string>, S3Error> acl_from_headers(Engine& engine, const HttpRequest& request,
                                                                   const CannedAclOwners& owners);

// The stored form (encode_policy_acl) of an AccessControlPolicy XML body
// (PutBucketAcl / PutObjectAcl) for a resource `owner_id` owns. As Ceph RGW
// parses it: 400 MalformedACLError for a document without
// <AccessControlList> (an empty one is a policy granting nothing), without
// <Owner><ID>, or with a grantee whose xsi:type is missing, unknown or
// without the field it names (CanonicalUser: ID, Group: URI,
// AmazonCustomerByEmail: EmailAddress); 403 AccessDenied for an <Owner> who
// is another user (RGW's EPERM); then the grantees' errors.
std::variant<std::string, S3Error> acl_from_xml(Engine& engine, std::string_view xml, std::string_view owner_id);

// The AccessControlPolicy document of GetBucketAcl / GetObjectAcl of the
// stored ACL `stored`, in Ceph RGW's order: its grant map is keyed by the
// grantee's user id, a group's key being empty. So grants to groups come
// first, in the order stored, then grants to users by id (byte order), each
// user's in the order stored, the owner's implied FULL_CONTROL first of the
// owner's. Each user grantee is shown with its display name, as S3 does:
// the owner's is `owner_name`, another user's `user_name` of its id (none
// without `user_name`).
std::string acl_to_xml(const std::string& owner_id, const std::string& owner_name, std::string_view stored,
                       const std::function<std::string(const std::string&)>& user_name = {});

// Whether the grants give `who` (empty: anonymous) `needed`.
bool acl_allows(const std::vector<Grant>& grants, const std::string* who, Permission needed);
// Whether the stored ACL gives its owner `needed`.
bool acl_owner_allows(std::string_view stored, const std::string& owner_id, Permission needed);

}  // namespace ostor::gw
