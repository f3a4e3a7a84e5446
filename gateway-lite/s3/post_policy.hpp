// The policy document of a browser upload (POST Object): a JSON object with
// an expiration time and the conditions every field of the form must meet,
// as AWS documents it ("Creating a POST policy"):
//
//   {"expiration": "2030-01-01T00:00:00.000Z",
//    "conditions": [{"bucket": "b"}, ["starts-with", "$key", "uploads/"],
//                   ["eq", "$Content-Type", "image/png"], ["content-length-range", 1, 1048576]]}
//
// Parsing and checking are pure functions of the text, the form's fields and
// the time, so that they are tested and fuzzed without a gateway.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ostor::gw::s3 {

struct PolicyCondition {
    enum class Kind { Eq, StartsWith };
    Kind kind;
    std::string field;  // lowercase, without the '$'
    std::string value;
    // How an unmet condition is named in the refusal: ["eq", "$key", "v"].
    std::string text;
};

struct PostPolicy {
    std::int64_t expiration_ms = 0;
    std::vector<PolicyCondition> conditions;
    // content-length-range: the file's size must be within [min, max].
    std::uint64_t min_length = 0;
    std::uint64_t max_length = UINT64_MAX;
};

// The policy from its JSON text (already base64-decoded); else why it is not
// one, as the message of an InvalidPolicyDocument answer.
std::variant<PostPolicy, std::string> parse_post_policy(std::string_view json);

// A form's fields: names lowercased, values as sent (the key with
// ${filename} already replaced).
using FormFields = std::vector<std::pair<std::string, std::string>>;

// Whether the form meets the policy at `now_ms`: nullopt, or the refusal's
// message ("Invalid according to Policy: Policy expired.", "... Policy
// Condition failed: [...]", "... Extra input fields: name"). `bucket` is the
// bucket posted to, which the {"bucket": ...} condition checks. Every field
// but the signature's, the file, the policy and x-ignore-* ones must be named
// by a condition. The file's length is checked while it is read (min_length,
// max_length).
std::optional<std::string> check_post_policy(const PostPolicy& policy, const FormFields& fields,
                                             std::string_view bucket, std::int64_t now_ms);

// Whether a field needs no condition naming it.
bool policy_exempt_field(std::string_view lowercase_name);

}  // namespace ostor::gw::s3
