// The AccessControlPolicy body of PutBucketAcl / PutObjectAcl as text: its
// owner and grants as written, before any id, e-mail address or group URI
// is looked up (acl.hpp does that with the engine). A pure function of the
// body's text (fuzzed: tests/fuzz/).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "s3_error.hpp"

namespace ostor::gw {

enum class Permission { Read, Write, ReadAcp, WriteAcp, FullControl };

// "READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL".
std::string_view permission_name(Permission p);
std::optional<Permission> parse_permission(std::string_view name);

// A <Grant>: the one field its grantee's xsi:type names, trimmed.
struct PolicyGrant {
    enum class Field { Id, EmailAddress, Uri } field = Field::Id;
    std::string value;
    Permission permission = Permission::Read;
};

struct AccessControlPolicy {
    std::string owner_id;  // <Owner><ID>, trimmed (may be empty)
    std::vector<PolicyGrant> grants;
};

// As Ceph RGW parses it. Fails: MalformedXML (not XML), MalformedACLError
// (another root, no <AccessControlList> (an empty one is a policy granting
// nothing), no <Owner><ID>, a grant without a known permission, or with a
// grantee whose xsi:type is missing, unknown or without the field it names:
// CanonicalUser: ID, Group: URI, AmazonCustomerByEmail: EmailAddress).
std::variant<AccessControlPolicy, S3Error> parse_access_control_policy(std::string_view xml);

}  // namespace ostor::gw
