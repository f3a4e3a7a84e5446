#include "s3/post_policy.hpp"

#include <algorithm>
#include <ctime>

#include <boost/json.hpp>

#include "util.hpp"

namespace ostor::gw::s3 {

namespace {

namespace json = boost::json;

// AWS: a Content-Type with commas is a list, and starts-with holds only when
// each of its values starts with the prefix ("image/png,text/html" does not
// meet "image/"). Other fields are compared whole.
bool starts_with_met(const PolicyCondition& c, std::string_view actual) {
    if (c.field != "content-type") return actual.starts_with(c.value);
    for (;;) {
        auto comma = actual.find(',');
        if (!trim(actual.substr(0, comma)).starts_with(c.value)) return false;
        if (comma == std::string_view::npos) return true;
        actual.remove_prefix(comma + 1);
    }
}

// A policy nests three deep ({"conditions": [[...]]}); deeper is refused
// as invalid JSON before it costs the parser more.
constexpr std::size_t kMaxPolicyDepth = 8;

// "2030-01-01T00:00:00.000Z" or without the fraction; UTC only.
std::optional<std::int64_t> parse_expiration(std::string_view s) {
    std::string str(s);
    std::tm tm{};
    const char* end = strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end) return std::nullopt;
    std::int64_t ms = 0;
    if (*end == '.') {
        ++end;
        int digits = 0;
        std::int64_t scale = 100;
        while (*end >= '0' && *end <= '9') {
            if (digits++ < 3) ms += (*end - '0') * scale, scale /= 10;
            ++end;
        }
        if (digits == 0) return std::nullopt;
    }
    if (*end != 'Z' || end[1] != '\0') return std::nullopt;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

std::optional<std::uint64_t> length_bound(const json::value& v) {
    if (v.is_int64()) return v.as_int64() < 0 ? std::nullopt : std::optional<std::uint64_t>(v.as_int64());
    if (v.is_uint64()) return v.as_uint64();
    if (v.is_string()) return parse_u64(std::string_view(v.as_string()));
    return std::nullopt;
}

std::string condition_text(std::string_view op, std::string_view field, std::string_view value) {
    return "[\"" + std::string(op) + "\", \"$" + std::string(field) + "\", \"" + std::string(value) + "\"]";
}

const std::string* field_value(const FormFields& fields, std::string_view name) {
    for (const auto& [n, v] : fields)
        if (n == name) return &v;
    return nullptr;
}

}  // namespace

bool policy_exempt_field(std::string_view name) {
    return name == "x-amz-signature" || name == "signature" || name == "awsaccesskeyid" || name == "file" ||
           name == "policy" || name.starts_with("x-ignore-");
}

std::variant<PostPolicy, std::string> parse_post_policy(std::string_view text) {
    json::parse_options options;
    options.max_depth = kMaxPolicyDepth;
    std::error_code ec;
    json::value doc = json::parse(text, ec, {}, options);
    if (ec || !doc.is_object()) return std::string("Invalid Policy: Invalid JSON.");
    const auto& top = doc.as_object();
    PostPolicy policy;
    const auto* expiration = top.if_contains("expiration");
    if (!expiration) return std::string("Invalid Policy: Policy missing expiration.");
    auto when = expiration->is_string() ? parse_expiration(std::string_view(expiration->as_string())) : std::nullopt;
    if (!when) return std::string("Invalid Policy: Invalid 'expiration' value: must be an ISO 8601 UTC time.");
    policy.expiration_ms = *when;
    const auto* conditions = top.if_contains("conditions");
    if (!conditions) return std::string("Invalid Policy: Policy missing conditions.");
    if (!conditions->is_array()) return std::string("Invalid Policy: 'conditions' must be an array.");
    for (const auto& c : conditions->as_array()) {
        if (c.is_object()) {
            // {"field": "value"}: the field equals the value.
            const auto& o = c.as_object();
            if (o.size() != 1 || !o.begin()->value().is_string())
                return std::string("Invalid Policy: Invalid Simple-Condition: value must be a string.");
            std::string field = to_lower(std::string_view(o.begin()->key()));
            std::string value(o.begin()->value().as_string());
            policy.conditions.push_back({PolicyCondition::Kind::Eq, field, value, condition_text("eq", field, value)});
            continue;
        }
        if (!c.is_array() || c.as_array().size() != 3 || !c.as_array()[0].is_string())
            return std::string("Invalid Policy: Invalid Condition: each must be an object or a three-element array.");
        const auto& a = c.as_array();
        std::string op = to_lower(std::string_view(a[0].as_string()));
        if (op == "content-length-range") {
            auto min = length_bound(a[1]);
            auto max = length_bound(a[2]);
            if (!min || !max || *min > *max)
                return std::string(
                    "Invalid Policy: Invalid content-length-range: bounds must be integers, min <= max.");
            policy.min_length = std::max(policy.min_length, *min);
            policy.max_length = std::min(policy.max_length, *max);
            continue;
        }
        if (op != "eq" && op != "starts-with")
            return std::string("Invalid Policy: Invalid Condition: unknown operation '" + op + "'.");
        if (!a[1].is_string() || !a[2].is_string() || !std::string_view(a[1].as_string()).starts_with("$"))
            return std::string("Invalid Policy: Invalid Condition: expected [\"" + op + "\", \"$field\", \"value\"].");
        std::string field = to_lower(std::string_view(a[1].as_string()).substr(1));
        std::string value(a[2].as_string());
        auto kind = op == "eq" ? PolicyCondition::Kind::Eq : PolicyCondition::Kind::StartsWith;
        policy.conditions.push_back({kind, field, value, condition_text(op, field, value)});
    }
    return policy;
}

std::optional<std::string> check_post_policy(const PostPolicy& policy, const FormFields& fields,
                                             std::string_view bucket, std::int64_t now_ms) {
    constexpr std::string_view kRefusal = "Invalid according to Policy: ";
    if (now_ms > policy.expiration_ms) return std::string(kRefusal) + "Policy expired.";
    for (const auto& c : policy.conditions) {
        std::string_view actual;
        if (c.field == "bucket")
            actual = bucket;
        else if (const auto* v = field_value(fields, c.field))
            actual = *v;
        bool met = c.kind == PolicyCondition::Kind::Eq ? actual == c.value : starts_with_met(c, actual);
        if (!met) return std::string(kRefusal) + "Policy Condition failed: " + c.text;
    }
    for (const auto& [name, value] : fields) {
        if (policy_exempt_field(name)) continue;
        bool named = false;
        for (const auto& c : policy.conditions) named = named || c.field == name;
        if (!named) return std::string(kRefusal) + "Extra input fields: " + name;
    }
    return std::nullopt;
}

}  // namespace ostor::gw::s3
