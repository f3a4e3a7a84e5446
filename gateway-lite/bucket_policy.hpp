// Bucket policies (PutBucketPolicy's JSON document): the common core of the
// IAM policy language, parsed and validated as S3 does, and evaluated for one
// request. Pure functions of their inputs (fuzzed: tests/fuzz/); the gateway
// stores the document's text and looks the named users up itself.
//
// How the gateway decides a request on a bucket with a policy (S3's order):
//   1. the policy's evaluate() is Deny (a Deny statement matches): refused,
//      whatever the ACLs grant, the bucket's owner included;
//   2. else evaluate() is Allow, or the ACLs grant the request (the owner's
//      implicit rights among them): allowed;
//   3. else refused.
// evaluate() never grants by itself what step 1 refuses: an explicit Deny
// wins over every Allow, in the policy and in the ACLs.
//
// What is left out of the IAM language (refused as S3 refuses what it does
// not know, so that no statement is stored that would be evaluated other
// than written): principals other than "*", users' ids and IAM ARNs of them
// (Service, Federated); the Date, Binary and Arn operators and the
// ForAnyValue: / ForAllValues: set qualifiers ("Invalid Condition type");
// condition keys other than those listed in policy_key; policy variables
// (${aws:username} is matched as written).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "s3_error.hpp"

namespace ostor::gw {

// AWS's limit on a policy document ("less than 20 KB").
inline constexpr std::size_t kMaxBucketPolicyBytes = 20 * 1024;

// Whom a statement names. "*" (or {"AWS": "*"}) is everyone, anonymous
// requests included. An ostor user id (16 lowercase hex digits), as
// {"AWS": id}, {"AWS": "arn:aws:iam::<id>:root"} or {"CanonicalUser": id},
// is the user with every key it has; {"AWS": "arn:aws:iam::<id>:user/<name>"}
// is only the user's account <name> (the requests signed with its keys).
struct PolicyPrincipalEntry {
    std::string user_id;  // "" with everyone
    std::string account;  // "" for the user with all its accounts
    bool everyone() const { return user_id.empty(); }
};

enum class ConditionOperator : std::uint8_t {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    IpAddress,
    NotIpAddress,
    Bool,
    Null,
};

// One key of a condition block: holds when the request's value of `key`
// compares as the operator says with one of `values` (with a negated
// operator: with none of them). A key the request does not have: true with
// IfExists and with a negated operator, false otherwise; Null compares its
// absence ("true") or presence ("false").
struct PolicyCondition {
    ConditionOperator op = ConditionOperator::StringEquals;
    bool if_exists = false;
    std::string key;  // as condition_key_name() spells it
    std::vector<std::string> values;
};

struct PolicyStatement {
    std::string sid;
    bool deny = false;  // Effect
    // Exactly one of each pair is used: `not_*` says which.
    bool not_principal = false;
    std::vector<PolicyPrincipalEntry> principals;
    bool not_action = false;
    std::vector<std::string> actions;  // lowercase patterns ("s3:get*")
    bool not_resource = false;
    std::vector<std::string> resources;       // ARN patterns, as written
    std::vector<PolicyCondition> conditions;  // all must hold
};

struct BucketPolicy {
    std::string version;  // "2012-10-17" or "2008-10-17" (the default)
    std::string id;
    std::vector<PolicyStatement> statements;  // never empty
};

// PutBucketPolicy's checks, with S3's MalformedPolicy messages: "Policies
// must be valid JSON and the first byte must be '{'", "This policy contains
// invalid Json", "Policy exceeds the maximum allowed document size." (over
// kMaxBucketPolicyBytes), "Unknown field <name>", "The policy must contain a
// valid version string", "Missing required field Statement" / Effect /
// Principal / Action / Resource, "Could not parse the policy: Statement is
// empty!", "Invalid effect: <value>", "Statement/policy already has instance
// of <Principal|Action|Resource>" (with its Not form too), "Invalid
// principal in policy", "Policy has invalid action" (neither "*" nor
// s3:<a known action, or a pattern matching one>), "Policy has invalid resource"
// (an ARN outside `bucket` and its objects), "Action does not apply to any
// resource(s) in statement" (object actions on the bucket's ARN only, or
// bucket actions on object ARNs only), "Invalid Condition type : <name>",
// "Policy has an invalid condition key", "Invalid IP address in Conditions",
// "Conditions do not apply to combination of actions and resources in
// statement" (s3:prefix, s3:delimiter, s3:max-keys with actions other than
// the listings', s3:x-amz-acl with others than PutObject and the ACL puts,
// s3:VersionId with others than the *Version* ones),
// "Invalid policy syntax." (a field of the wrong JSON type).
std::variant<BucketPolicy, S3Error> parse_bucket_policy(std::string_view json, std::string_view bucket);

// The ids of the users the policy names: the gateway refuses a policy naming
// one that does not exist ("Invalid principal in policy"), as S3 does.
std::vector<std::string> named_user_ids(const BucketPolicy& policy);

// The condition keys the gateway can supply, as condition_key_name() spells them
// (lowercase; s3:ExistingObjectTag/ and s3:RequestObjectTag/<tag key> keep
// the tag key's case).
namespace policy_key {
inline constexpr std::string_view kSourceIp = "aws:sourceip";                // PolicyRequest::source_ip
inline constexpr std::string_view kSecureTransport = "aws:securetransport";  // PolicyRequest::secure_transport
inline constexpr std::string_view kUserId = "aws:userid";                    // the principal's user id
inline constexpr std::string_view kUsername = "aws:username";                // the principal's account name
inline constexpr std::string_view kReferer = "aws:referer";                  // Referer header
inline constexpr std::string_view kUserAgent = "aws:useragent";              // User-Agent header
inline constexpr std::string_view kPrefix = "s3:prefix";                     // listing query parameters
inline constexpr std::string_view kDelimiter = "s3:delimiter";
inline constexpr std::string_view kMaxKeys = "s3:max-keys";
inline constexpr std::string_view kAcl = "s3:x-amz-acl";               // x-amz-acl header
inline constexpr std::string_view kGrantRead = "s3:x-amz-grant-read";  // x-amz-grant-* headers
inline constexpr std::string_view kGrantWrite = "s3:x-amz-grant-write";
inline constexpr std::string_view kGrantReadAcp = "s3:x-amz-grant-read-acp";
inline constexpr std::string_view kGrantWriteAcp = "s3:x-amz-grant-write-acp";
inline constexpr std::string_view kGrantFullControl = "s3:x-amz-grant-full-control";
inline constexpr std::string_view kExistingObjectTag = "s3:existingobjecttag/";        // + tag key: the object's
inline constexpr std::string_view kRequestObjectTag = "s3:requestobjecttag/";          // + tag key: x-amz-tagging
inline constexpr std::string_view kVersionId = "s3:versionid";                         // versionId query
inline constexpr std::string_view kContentSha256 = "s3:x-amz-content-sha256";          // header
inline constexpr std::string_view kMetadataDirective = "s3:x-amz-metadata-directive";  // CopyObject header
inline constexpr std::string_view kCopySource = "s3:x-amz-copy-source";                // header
}  // namespace policy_key

// The key's canonical spelling: lowercase up to the first '/', the rest (a
// tag key) as written. nullopt for a key that is none of policy_key's.
std::optional<std::string> condition_key_name(std::string_view key);

// Whether S3 supplies the condition key `key` (condition_key_name's
// spelling; a tag key whole) with `action` ("s3:GetObject"): the listing
// keys with the listings only, the ACL headers with the ACL writes, the tag
// keys with the actions AWS lists (bucket_policy_parse.cpp). Other keys go
// with any action.
bool condition_key_applies(std::string_view key, std::string_view action);

// Whether a condition of `policy` asks for s3:ExistingObjectTag/<key>: the
// gateway then reads the object's tags for the request (only then).
bool uses_existing_object_tags(const BucketPolicy& policy);

struct PolicyRequest {
    std::string action;    // "s3:GetObject" (bucket_policy_actions.hpp)
    std::string resource;  // bucket_arn() or object_arn()
    bool anonymous = true;
    std::string user_id;            // of the key that signed the request
    std::string account;            // its account; "" with the user's own key
    std::string source_ip;          // the client's address, as inet_ntop prints it
    bool secure_transport = false;  // came over TLS
    // Every other key the request has, by condition_key_name() (policy_key
    // says where each comes from). A key not here is absent.
    std::map<std::string, std::string, std::less<>> keys;
};

std::string bucket_arn(std::string_view bucket);                        // arn:aws:s3:::<bucket>
std::string object_arn(std::string_view bucket, std::string_view key);  // arn:aws:s3:::<bucket>/<key>

enum class PolicyDecision : std::uint8_t { NoMatch, Allow, Deny };

// Deny when a Deny statement matches the request, else Allow when an Allow
// statement does, else NoMatch. A statement matches when its principal,
// action and resource do (or, for a Not* element, do not) and every
// condition holds. Actions match case-insensitively, resources as written;
// '*' and '?' are wildcards in both (and in StringLike's values).
PolicyDecision evaluate(const BucketPolicy& policy, const PolicyRequest& request);

inline constexpr std::size_t kIpv6Bytes = 16;

// An address ("10.0.0.1", "2001:db8::1") or a CIDR block ("10.0.0.0/8",
// "2001:db8::/32"); an address alone is a block of one.
struct IpNetwork {
    std::array<unsigned char, kIpv6Bytes> bytes{};  // an IPv4 address in the first 4
    bool v6 = false;
    unsigned prefix_bits = 0;
};
std::optional<IpNetwork> parse_ip_network(std::string_view text);
// Whether `address` (as inet_ntop prints it; an IPv4-mapped IPv6 address
// counts as its IPv4 address) is in the block.
bool ip_in_network(std::string_view address, const IpNetwork& network);

// '*' any run of bytes (none too), '?' one byte; in time
// O(pattern * text) at worst.
bool wildcard_match(std::string_view pattern, std::string_view text);

}  // namespace ostor::gw
