// Evaluating bucket policies (gateway-lite/bucket_policy.hpp) and the
// actions the gateway's operations ask them (bucket_policy_actions.hpp): the
// public-read policy, explicit deny winning, wildcards, the Not* elements,
// the IP, secure-transport and IfExists conditions.
#include <gtest/gtest.h>

#include <string>

#include "bucket_policy.hpp"
#include "bucket_policy_actions.hpp"
#include "s3/routes.hpp"

namespace ostor::gw {
namespace {

constexpr const char* kAlice = "0123456789abcdef";
constexpr const char* kBob = "fedcba9876543210";

BucketPolicy policy(const std::string& json) {
    auto r = parse_bucket_policy(json, "b");
    if (auto* e = std::get_if<S3Error>(&r)) ADD_FAILURE() << json << ": " << e->message;
    return std::holds_alternative<BucketPolicy>(r) ? std::get<BucketPolicy>(r) : BucketPolicy{};
}

// One statement of `effect` with the rest of its elements.
BucketPolicy one(const std::string& effect, const std::string& elements) {
    return policy(R"({"Version":"2012-10-17","Statement":[{"Effect":")" + effect + R"(",)" + elements + "}]}");
}

PolicyRequest anonymous(std::string action, std::string resource) {
    PolicyRequest r;
    r.action = std::move(action);
    r.resource = std::move(resource);
    r.source_ip = "198.51.100.7";
    return r;
}

PolicyRequest as(const char* user, std::string action, std::string resource, std::string account = "") {
    auto r = anonymous(std::move(action), std::move(resource));
    r.anonymous = false;
    r.user_id = user;
    r.account = std::move(account);
    return r;
}

constexpr auto kAllow = PolicyDecision::Allow;
constexpr auto kDeny = PolicyDecision::Deny;
constexpr auto kNoMatch = PolicyDecision::NoMatch;

TEST(BucketPolicy, PublicReadLetsAnyoneGetObjectsAndNothingElse) {
    auto p = policy(R"({"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",
        "Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]})");
    EXPECT_EQ(evaluate(p, anonymous("s3:GetObject", object_arn("b", "photos/cat.jpg"))), kAllow);
    EXPECT_EQ(evaluate(p, as(kBob, "s3:GetObject", object_arn("b", "k"))), kAllow);
    EXPECT_EQ(evaluate(p, anonymous("s3:PutObject", object_arn("b", "k"))), kNoMatch);
    EXPECT_EQ(evaluate(p, anonymous("s3:ListBucket", bucket_arn("b"))), kNoMatch);
    EXPECT_EQ(evaluate(p, anonymous("s3:GetObject", object_arn("bb", "k"))), kNoMatch);
}

TEST(BucketPolicy, AnExplicitDenyWinsOverAnyAllow) {
    auto p = policy(R"({"Statement":[
        {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},
        {"Effect":"Deny","Principal":{"AWS":"fedcba9876543210"},"Action":"s3:DeleteObject",
         "Resource":"arn:aws:s3:::b/*"},
        {"Effect":"Allow","Principal":{"AWS":"fedcba9876543210"},"Action":"s3:DeleteObject",
         "Resource":"arn:aws:s3:::b/*"}]})");
    EXPECT_EQ(evaluate(p, as(kBob, "s3:DeleteObject", object_arn("b", "k"))), kDeny);
    EXPECT_EQ(evaluate(p, as(kAlice, "s3:DeleteObject", object_arn("b", "k"))), kAllow);
    EXPECT_EQ(evaluate(p, as(kBob, "s3:GetObject", object_arn("b", "k"))), kAllow);
}

TEST(BucketPolicy, PrincipalsMatchUsersAccountsAndNotAnonymous) {
    auto p = one("Allow", R"("Principal":{"AWS":["0123456789abcdef",
        "arn:aws:iam::fedcba9876543210:user/backup"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*")");
    auto k = object_arn("b", "k");
    EXPECT_EQ(evaluate(p, as(kAlice, "s3:GetObject", k)), kAllow);
    EXPECT_EQ(evaluate(p, as(kAlice, "s3:GetObject", k, "any-account")), kAllow);
    EXPECT_EQ(evaluate(p, as(kBob, "s3:GetObject", k, "backup")), kAllow);
    EXPECT_EQ(evaluate(p, as(kBob, "s3:GetObject", k)), kNoMatch);
    EXPECT_EQ(evaluate(p, as(kBob, "s3:GetObject", k, "other")), kNoMatch);
    auto stranger = anonymous("s3:GetObject", k);
    stranger.user_id = kAlice;  // not signed: the id means nothing
    EXPECT_EQ(evaluate(p, stranger), kNoMatch);
    auto canonical = one("Allow", R"("Principal":{"CanonicalUser":"0123456789abcdef"},"Action":"s3:GetObject",
        "Resource":"arn:aws:s3:::b/*")");
    EXPECT_EQ(evaluate(canonical, as(kAlice, "s3:GetObject", k)), kAllow);
}

TEST(BucketPolicy, ActionWildcardsAreCaseInsensitive) {
    auto p = one("Allow", R"("Principal":"*","Action":["s3:Get*","S3:LISTBUCKET"],
        "Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"])");
    EXPECT_EQ(evaluate(p, anonymous("s3:GetObject", object_arn("b", "k"))), kAllow);
    EXPECT_EQ(evaluate(p, anonymous("s3:GetObjectAcl", object_arn("b", "k"))), kAllow);
    EXPECT_EQ(evaluate(p, anonymous("s3:ListBucket", bucket_arn("b"))), kAllow);
    EXPECT_EQ(evaluate(p, anonymous("s3:ListBucketVersions", bucket_arn("b"))), kNoMatch);
    EXPECT_EQ(evaluate(p, anonymous("s3:PutObject", object_arn("b", "k"))), kNoMatch);
    auto q = one("Allow", R"("Principal":"*","Action":"s3:?etObject","Resource":"arn:aws:s3:::b/*")");
    EXPECT_EQ(evaluate(q, anonymous("s3:GetObject", object_arn("b", "k"))), kAllow);
    EXPECT_EQ(evaluate(q, anonymous("s3:GetObjectAcl", object_arn("b", "k"))), kNoMatch);
}

TEST(BucketPolicy, ResourceWildcardsAreCaseSensitiveAndSpanSlashes) {
    auto p = one("Allow", R"("Principal":"*","Action":"s3:GetObject",
        "Resource":["arn:aws:s3:::b/public/*","arn:aws:s3:::b/img-??.png"])");
    EXPECT_EQ(evaluate(p, anonymous("s3:GetObject", object_arn("b", "public/a/b/c"))), kAllow);
    EXPECT_EQ(evaluate(p, anonymous("s3:GetObject", object_arn("b", "Public/a"))), kNoMatch);
    EXPECT_EQ(evaluate(p, anonymous("s3:GetObject", object_arn("b", "img-01.png"))), kAllow);
    EXPECT_EQ(evaluate(p, anonymous("s3:GetObject", object_arn("b", "img-1.png"))), kNoMatch);
    EXPECT_EQ(evaluate(p, anonymous("s3:GetObject", object_arn("b", "private/x"))), kNoMatch);
}

TEST(BucketPolicy, NotActionNotResourceAndNotPrincipalMatchEverythingElse) {
    // Everyone but Alice is denied all but reading, outside public/.
    auto p = policy(R"({"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"0123456789abcdef"},
        "NotAction":["s3:GetObject","s3:ListBucket"],"NotResource":"arn:aws:s3:::b/public/*"}]})");
    EXPECT_EQ(evaluate(p, as(kBob, "s3:PutObject", object_arn("b", "k"))), kDeny);
    EXPECT_EQ(evaluate(p, anonymous("s3:DeleteObject", object_arn("b", "k"))), kDeny);
    EXPECT_EQ(evaluate(p, as(kBob, "s3:GetObject", object_arn("b", "k"))), kNoMatch);
    EXPECT_EQ(evaluate(p, as(kBob, "s3:PutObject", object_arn("b", "public/k"))), kNoMatch);
    EXPECT_EQ(evaluate(p, as(kAlice, "s3:PutObject", object_arn("b", "k"))), kNoMatch);
}

TEST(BucketPolicy, SourceIpConditionsInIpv4AndIpv6) {
    auto p = one("Allow", R"("Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
        "Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]},
                     "NotIpAddress":{"aws:SourceIp":["192.0.2.128/25","2001:db8:dead::1"]}})");
    auto from = [&](const char* ip) {
        auto r = anonymous("s3:GetObject", object_arn("b", "k"));
        r.source_ip = ip;
        return evaluate(p, r);
    };
    EXPECT_EQ(from("192.0.2.1"), kAllow);
    EXPECT_EQ(from("192.0.2.127"), kAllow);
    EXPECT_EQ(from("192.0.2.200"), kNoMatch);  // in the excluded half
    EXPECT_EQ(from("192.0.3.1"), kNoMatch);
    EXPECT_EQ(from("::ffff:192.0.2.5"), kAllow);  // a dual-stack socket's IPv4 client
    EXPECT_EQ(from("2001:db8:1::5"), kAllow);
    EXPECT_EQ(from("2001:DB8::"), kAllow);
    EXPECT_EQ(from("2001:db8:dead::1"), kNoMatch);
    EXPECT_EQ(from("2001:db9::1"), kNoMatch);
    EXPECT_EQ(from(""), kNoMatch);
    EXPECT_EQ(from("not-an-address"), kNoMatch);
}

TEST(BucketPolicy, DenyingRequestsNotOverTls) {
    auto p = policy(R"({"Statement":[
        {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
        {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],
         "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]})");
    auto r = anonymous("s3:GetObject", object_arn("b", "k"));
    EXPECT_EQ(evaluate(p, r), kDeny);
    r.secure_transport = true;
    EXPECT_EQ(evaluate(p, r), kAllow);
}

TEST(BucketPolicy, StringConditionsAndAbsentKeys) {
    auto p = one("Allow", R"("Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
        "Condition":{"StringLike":{"s3:prefix":["home/*","shared/?"]},
                     "StringNotEqualsIgnoreCase":{"aws:UserAgent":"BadBot/1.0"}})");
    auto listing = [&](std::map<std::string, std::string, std::less<>> keys) {
        auto r = anonymous("s3:ListBucket", bucket_arn("b"));
        r.keys = std::move(keys);
        return evaluate(p, r);
    };
    EXPECT_EQ(listing({{"s3:prefix", "home/alice/"}}), kAllow);
    EXPECT_EQ(listing({{"s3:prefix", "shared/x"}}), kAllow);
    EXPECT_EQ(listing({{"s3:prefix", "shared/xy"}}), kNoMatch);
    EXPECT_EQ(listing({{"s3:prefix", "home/a"}, {"aws:useragent", "badbot/1.0"}}), kNoMatch);
    EXPECT_EQ(listing({{"s3:prefix", "home/a"}, {"aws:useragent", "aws-cli/2"}}), kAllow);
    // No prefix: StringLike cannot hold. No user agent: StringNot* holds.
    EXPECT_EQ(listing({}), kNoMatch);
}

TEST(BucketPolicy, IfExistsHoldsForAnAbsentKeyNullTellsPresence) {
    auto p = one("Allow", R"("Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*",
        "Condition":{"StringEqualsIfExists":{"s3:x-amz-acl":"bucket-owner-full-control"}})");
    auto put = [&](const BucketPolicy& policy, std::map<std::string, std::string, std::less<>> keys) {
        auto r = anonymous("s3:PutObject", object_arn("b", "k"));
        r.keys = std::move(keys);
        return evaluate(policy, r);
    };
    EXPECT_EQ(put(p, {}), kAllow);
    EXPECT_EQ(put(p, {{"s3:x-amz-acl", "bucket-owner-full-control"}}), kAllow);
    EXPECT_EQ(put(p, {{"s3:x-amz-acl", "public-read"}}), kNoMatch);
    auto needs_acl = one("Deny", R"("Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*",
        "Condition":{"Null":{"s3:x-amz-acl":"true"}})");
    EXPECT_EQ(put(needs_acl, {}), kDeny);
    EXPECT_EQ(put(needs_acl, {{"s3:x-amz-acl", "private"}}), kNoMatch);
}

TEST(BucketPolicy, NumericConditionsAndUserKeys) {
    auto p = one("Allow", R"("Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
        "Condition":{"NumericLessThanEquals":{"s3:max-keys":100},"StringEquals":{"aws:username":"reader"}})");
    auto r = as(kAlice, "s3:ListBucket", bucket_arn("b"), "reader");
    r.keys = {{"s3:max-keys", "50"}};
    EXPECT_EQ(evaluate(p, r), kAllow);
    r.keys = {{"s3:max-keys", "1000"}};
    EXPECT_EQ(evaluate(p, r), kNoMatch);
    r.keys = {{"s3:max-keys", "many"}};
    EXPECT_EQ(evaluate(p, r), kNoMatch);
    r.keys = {{"s3:max-keys", "100"}};
    r.account = "";  // the user's own key: no aws:username
    EXPECT_EQ(evaluate(p, r), kNoMatch);
}

TEST(BucketPolicy, ExistingObjectTagsKeepTheTagKeysCase) {
    auto p = one("Allow", R"("Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
        "Condition":{"StringEquals":{"S3:ExistingObjectTag/Class":"public"}})");
    auto r = anonymous("s3:GetObject", object_arn("b", "k"));
    r.keys = {{"s3:existingobjecttag/Class", "public"}};
    EXPECT_EQ(evaluate(p, r), kAllow);
    r.keys = {{"s3:existingobjecttag/class", "public"}};
    EXPECT_EQ(evaluate(p, r), kNoMatch);
}

TEST(BucketPolicy, RequestObjectTagsAndGrantHeadersAreConditionKeys) {
    EXPECT_EQ(condition_key_name("S3:RequestObjectTag/Class"), "s3:requestobjecttag/Class");
    EXPECT_EQ(condition_key_name("s3:x-amz-grant-FULL-control"), "s3:x-amz-grant-full-control");
    auto p = one("Allow", R"("Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*",
        "Condition":{"StringEquals":{"s3:RequestObjectTag/Class":"public"}})");
    EXPECT_FALSE(uses_existing_object_tags(p));
    auto r = anonymous("s3:PutObject", object_arn("b", "k"));
    EXPECT_EQ(evaluate(p, r), kNoMatch);
    r.keys = {{"s3:requestobjecttag/Class", "public"}};
    EXPECT_EQ(evaluate(p, r), kAllow);
}

TEST(BucketPolicy, WildcardMatchingIsLinearNotExponential) {
    std::string text(4000, 'a');
    EXPECT_FALSE(wildcard_match("*a*a*a*a*a*a*a*a*a*a*b", text));
    EXPECT_TRUE(wildcard_match("*a*a*a*a*a*a*a*a*a*a*", text));
    EXPECT_TRUE(wildcard_match("", ""));
    EXPECT_TRUE(wildcard_match("*", ""));
    EXPECT_FALSE(wildcard_match("?", ""));
}

TEST(BucketPolicyActions, EveryOperationAPolicyGovernsHasAKnownAction) {
    for (const auto& route : s3::routes()) {
        // (A CORS preflight is answered before authentication, from the
        // bucket's CORS rules alone, as S3 does.)
        bool governed = route.operation != s3::Operation::AdminApi && route.operation != s3::Operation::ListBuckets &&
                        route.operation != s3::Operation::MethodNotAllowed &&
                        route.operation != s3::Operation::Preflight;
        const auto* row = policy_action_for(route.name);
        EXPECT_EQ(row != nullptr, governed) << route.name;
        if (!row) continue;
        const auto* action = find_policy_action(row->action);
        ASSERT_NE(action, nullptr) << route.name;
        EXPECT_EQ(action->kind, row->kind) << route.name;
        // DeleteObjects and PostObject are addressed to the bucket but act on
        // objects whose keys their bodies name (the delete list, the form's key).
        bool keys_in_body =
            route.operation == s3::Operation::DeleteObjects || route.operation == s3::Operation::PostObject;
        bool bucket_scope = route.scope == s3::Scope::Bucket && !keys_in_body;
        EXPECT_EQ(row->kind == PolicyResourceKind::Bucket, bucket_scope) << route.name;
        if (!row->version_action.empty()) {
            EXPECT_NE(find_policy_action(row->version_action), nullptr) << route.name;
        }
    }
}

TEST(BucketPolicyActions, TheActionsAwsNamesForTheseOperations) {
    auto action = [](std::string_view op) { return std::string(policy_action_for(op)->action); };
    EXPECT_EQ(action("ListObjectsV2"), "s3:ListBucket");
    EXPECT_EQ(action("HeadBucket"), "s3:ListBucket");
    EXPECT_EQ(action("ListObjectVersions"), "s3:ListBucketVersions");
    EXPECT_EQ(action("HeadObject"), "s3:GetObject");
    EXPECT_EQ(action("CreateMultipartUpload"), "s3:PutObject");
    EXPECT_EQ(action("UploadPart"), "s3:PutObject");
    EXPECT_EQ(action("CompleteMultipartUpload"), "s3:PutObject");
    EXPECT_EQ(action("AbortMultipartUpload"), "s3:AbortMultipartUpload");
    EXPECT_EQ(action("ListParts"), "s3:ListMultipartUploadParts");
    EXPECT_EQ(action("PutObjectAcl"), "s3:PutObjectAcl");
    EXPECT_EQ(action("PostObject"), "s3:PutObject");
    EXPECT_EQ(policy_action_for("PostObject")->kind, PolicyResourceKind::Object);
    EXPECT_EQ(action("DeleteBucketCors"), "s3:PutBucketCORS");
    EXPECT_EQ(policy_action_for("GetObject")->version_action, "s3:GetObjectVersion");
    EXPECT_EQ(policy_action_for("ListBuckets"), nullptr);
    // Each action of the table is one a policy may name.
    for (const auto& row : operation_actions()) {
        auto doc = R"({"Statement":{"Effect":"Allow","Principal":"*","Action":")" + std::string(row.action) +
                   R"(","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}})";
        EXPECT_TRUE(std::holds_alternative<BucketPolicy>(parse_bucket_policy(doc, "b"))) << row.action;
    }
}

}  // namespace
}  // namespace ostor::gw
