// libFuzzer target: PutBucketPolicy's document (gateway-lite/bucket_policy*.cpp)
// for bucket "b": any text is a policy of statements that each name at least
// one principal, action and resource, resources of "b" only and condition
// keys in their canonical spelling, or a MalformedPolicy error; a parsed
// policy is then evaluated (anonymously and as a user, over TLS or not),
// which must neither crash nor grant an action a Deny statement for everyone
// on everything refuses.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bucket_policy.hpp"

namespace {

using namespace ostor::gw;

void check(const BucketPolicy& policy) {
    if (policy.statements.empty()) std::abort();
    for (const auto& s : policy.statements) {
        if (s.principals.empty() || s.actions.empty() || s.resources.empty()) std::abort();
        for (const auto& r : s.resources)
            if (r != "arn:aws:s3:::b" && !r.starts_with("arn:aws:s3:::b/")) std::abort();
        for (const auto& c : s.conditions)
            if (condition_key_name(c.key) != c.key || c.values.empty()) std::abort();
    }
}

PolicyRequest request(bool anonymous, bool tls, std::string_view action, std::string resource) {
    PolicyRequest r;
    r.action = action;
    r.resource = std::move(resource);
    r.anonymous = anonymous;
    r.user_id = anonymous ? "" : "0123456789abcdef";
    r.source_ip = tls ? "2001:db8::5" : "192.0.2.9";
    r.secure_transport = tls;
    r.keys = {{"s3:prefix", "home/"}, {"aws:referer", "https://example.com/"}};
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_bucket_policy(body, "b");
    auto* policy = std::get_if<BucketPolicy>(&parsed);
    if (!policy) {
        if (std::get<S3Error>(parsed).code != "MalformedPolicy") std::abort();
        return 0;
    }
    check(*policy);
    // A Deny of everything to everyone, added to any policy, wins.
    auto denied = *policy;
    denied.statements.push_back({.deny = true, .principals = {{}}, .actions = {"*"}, .resources = {"arn:aws:s3:::b*"}});
    for (bool anonymous : {true, false})
        for (bool tls : {true, false})
            for (auto [action, resource] :
                 {std::pair{"s3:GetObject", object_arn("b", "home/k")}, std::pair{"s3:ListBucket", bucket_arn("b")}}) {
                auto r = request(anonymous, tls, action, resource);
                (void)evaluate(*policy, r);
                if (evaluate(denied, r) != PolicyDecision::Deny) std::abort();
            }
    return 0;
}
