// Access control lists of buckets and objects.
//
// The engine stores an ACL as an opaque string; this is its encoding: one
// grant a line, "<grantee> <permission>", where grantee is "id:<user id>",
// "group:AllUsers" or "group:AuthenticatedUsers" and permission one of READ,
// WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL. The owner (the bucket's owner)
// always has FULL_CONTROL and is not stored; "" is the `private` ACL. An
// object written by another user than the bucket's owner records its writer,
// who owns it, as an "owner:<user id> OWNER" line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http.hpp"
#include "ostor/engine.hpp"
#include "s3_error.hpp"

namespace ostor::gw {

enum class Permission { Read, Write, ReadAcp, WriteAcp, FullControl };

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
std::string encode_acl(const std::vector<Grant>& grants);

// The grants of a canned ACL (x-amz-acl); nullopt for an unknown name.
std::optional<std::vector<Grant>> canned_acl(std::string_view name);

// The ACL a request asks for through x-amz-acl or x-amz-grant-* headers;
// nullopt when it sets none. Errors: an unknown canned ACL, a malformed
// grantee, an unknown e-mail address, both kinds at once.
std::variant<std::optional<std::vector<Grant>>, S3Error> acl_from_headers(Engine& engine, const HttpRequest& request);

// The ACL in an AccessControlPolicy XML body (PutBucketAcl / PutObjectAcl).
std::variant<std::vector<Grant>, S3Error> acl_from_xml(Engine& engine, std::string_view xml);

// The AccessControlPolicy document of GetBucketAcl / GetObjectAcl.
std::string acl_to_xml(const std::string& owner_id, const std::string& owner_name, const std::vector<Grant>& grants);

// Whether the grants give `who` (empty: anonymous) `needed`.
bool acl_allows(const std::vector<Grant>& grants, const std::string* who, Permission needed);

}  // namespace ostor::gw
