// evaluate: which statements of a parsed policy match a request.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "bucket_policy.hpp"
#include "util.hpp"

namespace ostor::gw {

namespace {

constexpr unsigned kV4Bits = 32;
constexpr unsigned kV6Bits = 128;
constexpr std::size_t kV4Bytes = 4;
constexpr std::size_t kMappedPrefixBytes = 12;  // ::ffff:a.b.c.d
constexpr unsigned char kMappedMarker = 0xff;
constexpr unsigned kBitsPerByte = 8;

// The address's bytes; nullopt unless inet_pton reads it.
std::optional<IpNetwork> parse_address(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    std::string z(text);  // inet_pton wants NUL-terminated text
    IpNetwork n;
    if (inet_pton(AF_INET, z.c_str(), n.bytes.data()) == 1) {
        n.prefix_bits = kV4Bits;
        return n;
    }
    if (inet_pton(AF_INET6, z.c_str(), n.bytes.data()) == 1) {
        n.v6 = true;
        n.prefix_bits = kV6Bits;
        return n;
    }
    return std::nullopt;
}

bool is_v4_mapped(const IpNetwork& a) {
    for (std::size_t i = 0; i < kMappedPrefixBytes - 2; ++i)
        if (a.bytes[i] != 0) return false;
    return a.bytes[kMappedPrefixBytes - 2] == kMappedMarker && a.bytes[kMappedPrefixBytes - 1] == kMappedMarker;
}

std::optional<double> parse_number(std::string_view text) {
    double d = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return d;
}

bool principal_matches(const std::vector<PolicyPrincipalEntry>& entries, const PolicyRequest& r) {
    return std::ranges::any_of(entries, [&](const PolicyPrincipalEntry& p) {
        if (p.everyone()) return true;
        return !r.anonymous && p.user_id == r.user_id && (p.account.empty() || p.account == r.account);
    });
}

bool action_matches(const std::vector<std::string>& patterns, std::string_view action) {
    auto lower = to_lower(action);
    return std::ranges::any_of(patterns, [&](const auto& p) { return wildcard_match(p, lower); });
}

bool resource_matches(const std::vector<std::string>& patterns, std::string_view resource) {
    return std::ranges::any_of(patterns, [&](const auto& p) { return wildcard_match(p, resource); });
}

// The request's value of a condition key; nullopt when it has none.
std::optional<std::string> key_value(const PolicyRequest& r, std::string_view key) {
    if (key == policy_key::kSecureTransport) return r.secure_transport ? "true" : "false";
    if (key == policy_key::kSourceIp)
        return r.source_ip.empty() ? std::nullopt : std::optional<std::string>(r.source_ip);
    if (key == policy_key::kUserId) return r.anonymous ? std::nullopt : std::optional<std::string>(r.user_id);
    if (key == policy_key::kUsername)
        return r.anonymous || r.account.empty() ? std::nullopt : std::optional<std::string>(r.account);
    auto it = r.keys.find(key);
    return it == r.keys.end() ? std::nullopt : std::optional<std::string>(it->second);
}

bool negated(ConditionOperator op) {
    using enum ConditionOperator;
    return op == StringNotEquals || op == StringNotEqualsIgnoreCase || op == StringNotLike || op == NumericNotEquals ||
           op == NotIpAddress;
}

// Whether the request's value compares as the (positive form of the)
// operator says with one expected value.
bool compares(ConditionOperator op, std::string_view value, std::string_view expected) {
    using enum ConditionOperator;
    switch (op) {
        case StringEquals:
        case StringNotEquals:
            return value == expected;
        case StringEqualsIgnoreCase:
        case StringNotEqualsIgnoreCase:
        case Bool:
            return iequals(value, expected);
        case StringLike:
        case StringNotLike:
            return wildcard_match(expected, value);
        case IpAddress:
        case NotIpAddress: {
            auto network = parse_ip_network(expected);
            return network && ip_in_network(value, *network);
        }
        case Null:
            return false;  // decided by presence (condition_holds)
        default:
            break;
    }
    auto a = parse_number(value), b = parse_number(expected);
    if (!a || !b) return false;
    switch (op) {
        case NumericEquals:
        case NumericNotEquals:
            return *a == *b;
        case NumericLessThan:
            return *a < *b;
        case NumericLessThanEquals:
            return *a <= *b;
        case NumericGreaterThan:
            return *a > *b;
        case NumericGreaterThanEquals:
            return *a >= *b;
        default:
            return false;
    }
}

bool condition_holds(const PolicyCondition& c, const PolicyRequest& r) {
    auto value = key_value(r, c.key);
    if (c.op == ConditionOperator::Null)
        return std::ranges::any_of(c.values, [&](const auto& v) { return iequals(v, "true") == !value.has_value(); });
    if (!value) return c.if_exists || negated(c.op);
    bool any = std::ranges::any_of(c.values, [&](const auto& e) { return compares(c.op, *value, e); });
    return negated(c.op) ? !any : any;
}

bool statement_matches(const PolicyStatement& s, const PolicyRequest& r) {
    return principal_matches(s.principals, r) != s.not_principal &&
           action_matches(s.actions, r.action) != s.not_action &&
           resource_matches(s.resources, r.resource) != s.not_resource &&
           std::ranges::all_of(s.conditions, [&](const auto& c) { return condition_holds(c, r); });
}

}  // namespace

std::optional<IpNetwork> parse_ip_network(std::string_view text) {
    auto slash = text.find('/');
    auto n = parse_address(text.substr(0, slash));
    if (!n || slash == std::string_view::npos) return n;
    auto bits = text.substr(slash + 1);
    unsigned prefix = 0;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (bits.empty() || ec != std::errc{} || end != bits.data() + bits.size() || prefix > n->prefix_bits)
        return std::nullopt;
    n->prefix_bits = prefix;
    return n;
}

bool ip_in_network(std::string_view address, const IpNetwork& network) {
    auto a = parse_address(address);
    if (!a) return false;
    if (a->v6 && !network.v6 && is_v4_mapped(*a)) {
        std::memmove(a->bytes.data(), a->bytes.data() + kMappedPrefixBytes, kV4Bytes);
        a->v6 = false;
    }
    if (a->v6 != network.v6) return false;
    for (unsigned bit = 0; bit < network.prefix_bits; bit += kBitsPerByte) {
        unsigned take = std::min(kBitsPerByte, network.prefix_bits - bit);
        auto mask = static_cast<unsigned char>(0xffU << (kBitsPerByte - take));
        if ((a->bytes[bit / kBitsPerByte] & mask) != (network.bytes[bit / kBitsPerByte] & mask)) return false;
    }
    return true;
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
    // Greedy with one backtrack point (the last '*'): each '*' retried from
    // one character further, never nested, so O(pattern * text).
    std::size_t p = 0, t = 0, star = std::string_view::npos, retry = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            retry = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++retry;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::string bucket_arn(std::string_view bucket) { return "arn:aws:s3:::" + std::string(bucket); }

std::string object_arn(std::string_view bucket, std::string_view key) {
    return bucket_arn(bucket) + '/' + std::string(key);
}

bool uses_existing_object_tags(const BucketPolicy& policy) {
    return std::ranges::any_of(policy.statements, [](const PolicyStatement& s) {
        return std::ranges::any_of(
            s.conditions, [](const PolicyCondition& c) { return c.key.starts_with(policy_key::kExistingObjectTag); });
    });
}

PolicyDecision evaluate(const BucketPolicy& policy, const PolicyRequest& request) {
    bool allowed = false;
    for (const auto& s : policy.statements) {
        if (!statement_matches(s, request)) continue;
        if (s.deny) return PolicyDecision::Deny;
        allowed = true;
    }
    return allowed ? PolicyDecision::Allow : PolicyDecision::NoMatch;
}

}  // namespace ostor::gw
