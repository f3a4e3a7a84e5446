// parse_bucket_policy: the JSON document to a BucketPolicy, with the checks
// and messages of S3's PutBucketPolicy.
#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <utility>

#include "bucket_policy.hpp"
#include "bucket_policy_actions.hpp"
#include "ostor/names.hpp"
#include "util.hpp"

namespace ostor::gw {

namespace {

namespace json = boost::json;

constexpr std::string_view kArnPrefix = "arn:aws:s3:::";
constexpr std::string_view kIamArnPrefix = "arn:aws:iam::";
constexpr std::size_t kUserIdLength = 16;
constexpr std::string_view kIfExists = "IfExists";

// The document's fault, as S3 words it; thrown inside this file only and
// caught in parse_bucket_policy, so that each check is one line deep down.
struct Malformed {
    std::string message;
};

[[noreturn]] void fail(std::string message) { throw Malformed{std::move(message)}; }
[[noreturn]] void fail_syntax() { fail("Invalid policy syntax."); }

void check_fields(const json::object& object, std::span<const std::string_view> known) {
    for (const auto& field : object)
        if (std::ranges::find(known, std::string_view(field.key())) == known.end())
            fail("Unknown field " + std::string(field.key()));
}

// A string, or a non-empty array of strings.
std::vector<std::string> string_list(const json::value& value, std::string_view field) {
    if (const auto* s = value.if_string()) return {std::string(*s)};
    const auto* array = value.if_array();
    if (!array) fail_syntax();
    if (array->empty()) fail("Missing required field " + std::string(field) + " cannot be empty!");
    std::vector<std::string> out;
    for (const auto& item : *array) {
        const auto* s = item.if_string();
        if (!s) fail_syntax();
        out.emplace_back(*s);
    }
    return out;
}

bool is_user_id(std::string_view id) {
    return id.size() == kUserIdLength &&
           std::ranges::all_of(id, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// "*", an id, "arn:aws:iam::<id>:root" or "arn:aws:iam::<id>:user/<account>".
PolicyPrincipalEntry aws_principal(std::string_view value) {
    if (value == "*") return {};
    if (is_user_id(value)) return {std::string(value), ""};
    if (value.starts_with(kIamArnPrefix)) {
        auto rest = value.substr(kIamArnPrefix.size());
        auto colon = rest.find(':');
        if (colon != std::string_view::npos && is_user_id(rest.substr(0, colon))) {
            auto id = rest.substr(0, colon);
            auto name = rest.substr(colon + 1);
            if (name == "root") return {std::string(id), ""};
            constexpr std::string_view kUser = "user/";
            if (name.starts_with(kUser) && validate_account_name(name.substr(kUser.size())))
                return {std::string(id), std::string(name.substr(kUser.size()))};
        }
    }
    fail("Invalid principal in policy");
}

std::vector<PolicyPrincipalEntry> parse_principal(const json::value& value) {
    constexpr std::string_view kInvalid = "Invalid principal in policy";
    if (const auto* s = value.if_string()) {
        if (*s != "*") fail(std::string(kInvalid));
        return {PolicyPrincipalEntry{}};
    }
    const auto* object = value.if_object();
    if (!object || object->empty()) fail(std::string(kInvalid));
    std::vector<PolicyPrincipalEntry> out;
    for (const auto& [type, ids] : *object) {
        bool empty_list = ids.is_array() && ids.get_array().empty();
        if ((type != "AWS" && type != "CanonicalUser") || empty_list) fail(std::string(kInvalid));
        for (const auto& id : string_list(ids, "Principal")) {
            if (type == "AWS") {
                out.push_back(aws_principal(id));
            } else {
                if (!is_user_id(id)) fail(std::string(kInvalid));
                out.push_back({id, ""});
            }
        }
    }
    return out;
}

// Lowercase patterns: s3:<a known action or a pattern matching one>, or "*".
std::vector<std::string> parse_actions(const json::value& value) {
    auto actions = string_list(value, "Action");
    for (auto& a : actions) {
        a = to_lower(a);
        if (a == "*") continue;
        bool known = std::ranges::any_of(known_policy_actions(),
                                         [&](const auto& k) { return wildcard_match(a, to_lower(k.name)); });
        if (!a.starts_with("s3:") || !known) fail("Policy has invalid action");
    }
    return actions;
}

// ARN patterns of the bucket itself or of objects in it.
std::vector<std::string> parse_resources(const json::value& value, std::string_view bucket) {
    auto resources = string_list(value, "Resource");
    for (const auto& r : resources) {
        std::string_view rest = r;
        bool ours = rest.starts_with(kArnPrefix);
        rest.remove_prefix(ours ? kArnPrefix.size() : 0);
        ours = ours && rest.starts_with(bucket) && (rest.size() == bucket.size() || rest[bucket.size()] == '/');
        if (!ours) fail("Policy has invalid resource");
    }
    return resources;
}

struct OperatorName {
    std::string_view name;
    ConditionOperator op;
};
constexpr OperatorName kOperators[] = {
    {"StringEquals", ConditionOperator::StringEquals},
    {"StringNotEquals", ConditionOperator::StringNotEquals},
    {"StringEqualsIgnoreCase", ConditionOperator::StringEqualsIgnoreCase},
    {"StringNotEqualsIgnoreCase", ConditionOperator::StringNotEqualsIgnoreCase},
    {"StringLike", ConditionOperator::StringLike},
    {"StringNotLike", ConditionOperator::StringNotLike},
    {"NumericEquals", ConditionOperator::NumericEquals},
    {"NumericNotEquals", ConditionOperator::NumericNotEquals},
    {"NumericLessThan", ConditionOperator::NumericLessThan},
    {"NumericLessThanEquals", ConditionOperator::NumericLessThanEquals},
    {"NumericGreaterThan", ConditionOperator::NumericGreaterThan},
    {"NumericGreaterThanEquals", ConditionOperator::NumericGreaterThanEquals},
    {"IpAddress", ConditionOperator::IpAddress},
    {"NotIpAddress", ConditionOperator::NotIpAddress},
    {"Bool", ConditionOperator::Bool},
    {"Null", ConditionOperator::Null},
};

// Operator names are case-sensitive (as in IAM); Null takes no IfExists.
std::pair<ConditionOperator, bool> parse_operator(std::string_view name) {
    bool if_exists = name.ends_with(kIfExists);
    auto base = if_exists ? name.substr(0, name.size() - kIfExists.size()) : name;
    auto it = std::ranges::find(kOperators, base, &OperatorName::name);
    if (it == std::end(kOperators) || (if_exists && it->op == ConditionOperator::Null))
        fail("Invalid Condition type : " + std::string(name));
    return {it->op, if_exists};
}

std::string shortest(double d) {
    std::array<char, 32> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d);
    return ec == std::errc{} ? std::string(buf.data(), end) : std::string{};
}

// Condition values: strings, or numbers and booleans as their JSON text.
std::vector<std::string> condition_values(const json::value& value) {
    auto one = [](const json::value& v) -> std::string {
        if (const auto* s = v.if_string()) return std::string(*s);
        if (v.is_bool()) return v.get_bool() ? "true" : "false";
        if (v.is_int64()) return std::to_string(v.get_int64());
        if (v.is_uint64()) return std::to_string(v.get_uint64());
        if (v.is_double()) return shortest(v.get_double());
        fail_syntax();
    };
    const auto* array = value.if_array();
    if (!array) return {one(value)};
    if (array->empty()) fail_syntax();
    std::vector<std::string> out;
    for (const auto& v : *array) out.push_back(one(v));
    return out;
}

std::vector<PolicyCondition> parse_conditions(const json::value& value) {
    const auto* block = value.if_object();
    if (!block) fail_syntax();
    std::vector<PolicyCondition> out;
    for (const auto& [name, keys] : *block) {
        auto [op, if_exists] = parse_operator(name);
        const auto* entries = keys.if_object();
        if (!entries) fail_syntax();
        for (const auto& [key, values] : *entries) {
            auto canonical = condition_key_name(key);
            if (!canonical) fail("Policy has an invalid condition key");
            PolicyCondition c{op, if_exists, std::move(*canonical), condition_values(values)};
            bool ip = c.key == policy_key::kSourceIp || op == ConditionOperator::IpAddress ||
                      op == ConditionOperator::NotIpAddress;
            if (ip && !std::ranges::all_of(c.values, [](const auto& v) { return parse_ip_network(v).has_value(); }))
                fail("Invalid IP address in Conditions");
            out.push_back(std::move(c));
        }
    }
    return out;
}

// The S3 condition keys S3 takes with some actions only (the rest go with
// any): the gateway supplies such a key for these actions alone
// (condition_key_applies), and a statement pairing it with an action that
// never has it would never match, so S3 refuses it (but the tag keys,
// whose refusal would turn stored policies unparseable: those are checked
// only when supplied). Patterns and NotAction are not checked.
struct KeyActions {
    std::string_view key;  // a tag key's prefix for the tag keys
    bool tag_prefix = false;
    std::array<std::string_view, 20> actions;  // lowercase; "" pads
};
constexpr std::array<std::string_view, 20> kAclHeaderActions = {
    "s3:putobject", "s3:putobjectacl", "s3:putobjectversionacl", "s3:putbucketacl", "s3:createbucket"};
constexpr KeyActions kKeyActions[] = {
    {policy_key::kPrefix, false, {"s3:listbucket", "s3:listbucketversions"}},
    {policy_key::kDelimiter, false, {"s3:listbucket", "s3:listbucketversions"}},
    {policy_key::kMaxKeys, false, {"s3:listbucket", "s3:listbucketversions"}},
    {policy_key::kAcl, false, kAclHeaderActions},
    {policy_key::kGrantRead, false, kAclHeaderActions},
    {policy_key::kGrantWrite, false, kAclHeaderActions},
    {policy_key::kGrantReadAcp, false, kAclHeaderActions},
    {policy_key::kGrantWriteAcp, false, kAclHeaderActions},
    {policy_key::kGrantFullControl, false, kAclHeaderActions},
    {policy_key::kVersionId,
     false,
     {"s3:getobjectversion", "s3:deleteobjectversion", "s3:getobjectversionacl", "s3:putobjectversionacl",
      "s3:getobjectversiontagging", "s3:putobjectversiontagging"}},
    // The tags a write asks for: PutObject (POST, CreateMultipartUpload and
    // CopyObject are s3:PutObject) and the tagging calls ("Tagging and access
    // control policies").
    {policy_key::kRequestObjectTag, true, {"s3:putobject", "s3:putobjecttagging", "s3:putobjectversiontagging"}},
    // The object's tags: never for PutObject or DeleteObject(Version) (AWS:
    // "you cannot ... delete or overwrite an object based on its existing
    // tags").
    {policy_key::kExistingObjectTag,
     true,
     {"s3:getobject", "s3:getobjectversion", "s3:getobjectacl", "s3:getobjectversionacl", "s3:getobjecttagging",
      "s3:getobjectversiontagging", "s3:getobjectattributes", "s3:getobjectversionattributes", "s3:getobjectlegalhold",
      "s3:getobjectretention", "s3:putobjectacl", "s3:putobjectversionacl", "s3:putobjecttagging",
      "s3:putobjectversiontagging", "s3:deleteobjecttagging", "s3:deleteobjectversiontagging", "s3:putobjectlegalhold",
      "s3:putobjectretention"}},
};

const KeyActions* key_actions(std::string_view key) {
    for (const auto& k : kKeyActions)
        if (k.tag_prefix ? key.starts_with(k.key) : key == k.key) return &k;
    return nullptr;
}

void check_conditions_apply(const PolicyStatement& s) {
    if (s.not_action) return;
    for (const auto& c : s.conditions) {
        const auto* rule = key_actions(c.key);
        if (!rule || rule->tag_prefix) continue;
        for (const auto& a : s.actions) {
            bool pattern = a.find_first_of("*?") != std::string::npos;
            if (!pattern && std::ranges::find(rule->actions, a) == rule->actions.end())
                fail("Conditions do not apply to combination of actions and resources in statement");
        }
    }
}

// S3 refuses a statement whose actions apply to none of its resources (an
// object action with the bucket's ARN only). Patterns count as applying when
// one action they match does.
void check_actions_apply(const PolicyStatement& s) {
    if (s.not_action || s.not_resource) return;
    bool bucket = false, object = false;
    for (const auto& r : s.resources) (r.find('/') == std::string::npos ? bucket : object) = true;
    for (const auto& a : s.actions) {
        if (a == "*") continue;
        bool applies = std::ranges::any_of(known_policy_actions(), [&](const auto& k) {
            return wildcard_match(a, to_lower(k.name)) && (k.kind == PolicyResourceKind::Bucket ? bucket : object);
        });
        if (!applies) fail("Action does not apply to any resource(s) in statement");
    }
}

constexpr std::array<std::string_view, 3> kPolicyFields = {"Version", "Id", "Statement"};
constexpr std::array<std::string_view, 9> kStatementFields = {
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"};

// The element or its Not form: which one, and its value (nullptr: neither).
std::pair<const json::value*, bool> element(const json::object& s, std::string_view name) {
    std::string not_name = "Not" + std::string(name);
    const auto* plain = s.if_contains(name);
    const auto* negated = s.if_contains(not_name);
    if (plain && negated) fail("Statement/policy already has instance of " + std::string(name));
    if (!plain && !negated) fail("Missing required field " + std::string(name));
    return {plain ? plain : negated, negated != nullptr};
}

PolicyStatement parse_statement(const json::value& value, std::string_view bucket) {
    const auto* object = value.if_object();
    if (!object) fail_syntax();
    check_fields(*object, kStatementFields);
    PolicyStatement s;
    if (const auto* sid = object->if_contains("Sid")) {
        if (!sid->is_string()) fail_syntax();
        s.sid = sid->get_string();
    }
    const auto* effect = object->if_contains("Effect");
    if (!effect) fail("Missing required field Effect");
    const auto* effect_name = effect->if_string();
    if (!effect_name || (*effect_name != "Allow" && *effect_name != "Deny"))
        fail("Invalid effect: " + (effect_name ? std::string(*effect_name) : json::serialize(*effect)));
    s.deny = *effect_name == "Deny";

    auto [principal, not_principal] = element(*object, "Principal");
    s.principals = parse_principal(*principal);
    s.not_principal = not_principal;
    auto [action, not_action] = element(*object, "Action");
    s.actions = parse_actions(*action);
    s.not_action = not_action;
    auto [resource, not_resource] = element(*object, "Resource");
    s.resources = parse_resources(*resource, bucket);
    s.not_resource = not_resource;
    if (const auto* condition = object->if_contains("Condition")) s.conditions = parse_conditions(*condition);
    check_conditions_apply(s);
    check_actions_apply(s);
    return s;
}

BucketPolicy parse_document(std::string_view text, std::string_view bucket) {
    if (text.size() > kMaxBucketPolicyBytes) fail("Policy exceeds the maximum allowed document size.");
    if (!text.starts_with('{')) fail("Policies must be valid JSON and the first byte must be '{'");
    boost::system::error_code ec;
    auto document = json::parse(text, ec);
    if (ec || !document.is_object()) fail("This policy contains invalid Json");
    const auto& top = document.get_object();
    check_fields(top, kPolicyFields);

    BucketPolicy policy;
    policy.version = "2008-10-17";
    if (const auto* version = top.if_contains("Version")) {
        const auto* v = version->if_string();
        if (!v || (*v != "2012-10-17" && *v != "2008-10-17")) fail("The policy must contain a valid version string");
        policy.version = *v;
    }
    if (const auto* id = top.if_contains("Id")) {
        if (!id->is_string()) fail_syntax();
        policy.id = id->get_string();
    }
    const auto* statement = top.if_contains("Statement");
    if (!statement) fail("Missing required field Statement");
    if (const auto* list = statement->if_array()) {
        if (list->empty()) fail("Could not parse the policy: Statement is empty!");
        for (const auto& s : *list) policy.statements.push_back(parse_statement(s, bucket));
    } else {
        policy.statements.push_back(parse_statement(*statement, bucket));
    }
    return policy;
}

}  // namespace

bool condition_key_applies(std::string_view key, std::string_view action) {
    const auto* rule = key_actions(key);
    if (!rule) return true;
    auto lower = to_lower(action);
    return !lower.empty() && std::ranges::find(rule->actions, std::string_view(lower)) != rule->actions.end();
}

std::optional<std::string> condition_key_name(std::string_view key) {
    auto slash = key.find('/');
    std::string name = to_lower(key.substr(0, slash));
    if (slash != std::string_view::npos) {
        auto tag = key.substr(slash + 1);
        bool tag_key = name + '/' == policy_key::kExistingObjectTag || name + '/' == policy_key::kRequestObjectTag;
        if (!tag_key || tag.empty()) return std::nullopt;
        return name + '/' + std::string(tag);
    }
    using namespace policy_key;
    constexpr std::string_view kKnown[] = {
        kSourceIp,     kSecureTransport, kUserId,           kUsername,  kReferer,       kUserAgent,
        kPrefix,       kDelimiter,       kMaxKeys,          kAcl,       kGrantRead,     kGrantWrite,
        kGrantReadAcp, kGrantWriteAcp,   kGrantFullControl, kVersionId, kContentSha256, kMetadataDirective,
        kCopySource};
    if (std::ranges::find(kKnown, name) == std::end(kKnown)) return std::nullopt;
    return name;
}

std::variant<BucketPolicy, S3Error> parse_bucket_policy(std::string_view json, std::string_view bucket) {
    try {
        return parse_document(json, bucket);
    } catch (const Malformed& m) {
        return malformed_policy(m.message);
    }
}

std::vector<std::string> named_user_ids(const BucketPolicy& policy) {
    std::vector<std::string> ids;
    for (const auto& s : policy.statements)
        for (const auto& p : s.principals)
            if (!p.everyone() && std::ranges::find(ids, p.user_id) == ids.end()) ids.push_back(p.user_id);
    return ids;
}

}  // namespace ostor::gw
