// PutBucketPolicy's checks (gateway-lite/bucket_policy.hpp): the documents
// S3 stores, and each refusal with S3's MalformedPolicy message, so that a
// client sees what it would see from S3 and no policy is stored that would
// be evaluated other than written.
#include <gtest/gtest.h>

#include <string>

#include "bucket_policy.hpp"

namespace ostor::gw {
namespace {

constexpr std::string_view kBucket = "b";
constexpr const char* kUser = "0123456789abcdef";

// A policy of one statement with these elements (JSON text after '{').
std::string statement(const std::string& elements) {
    return R"({"Version":"2012-10-17","Statement":[{)" + elements + "}]}";
}
std::string allow(const std::string& extra) { return statement(R"("Effect":"Allow","Principal":"*",)" + extra); }
constexpr const char* kGetObjects = R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*")";

BucketPolicy parsed(const std::string& json) {
    auto r = parse_bucket_policy(json, kBucket);
    if (auto* e = std::get_if<S3Error>(&r)) ADD_FAILURE() << json << ": " << e->message;
    return std::holds_alternative<BucketPolicy>(r) ? std::get<BucketPolicy>(r) : BucketPolicy{};
}

// The MalformedPolicy message a document is refused with ("" if accepted).
std::string refusal(const std::string& json) {
    auto r = parse_bucket_policy(json, kBucket);
    if (std::holds_alternative<BucketPolicy>(r)) return "";
    const auto& e = std::get<S3Error>(r);
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, "MalformedPolicy");
    return e.message;
}

TEST(BucketPolicyParse, ThePublicReadPolicy) {
    auto p = parsed(R"({"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",
        "Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]})");
    ASSERT_EQ(p.statements.size(), 1u);
    const auto& s = p.statements[0];
    EXPECT_EQ(s.sid, "PublicRead");
    EXPECT_FALSE(s.deny);
    ASSERT_EQ(s.principals.size(), 1u);
    EXPECT_TRUE(s.principals[0].everyone());
    EXPECT_EQ(s.actions, std::vector<std::string>{"s3:getobject"});
    EXPECT_EQ(s.resources, std::vector<std::string>{"arn:aws:s3:::b/*"});
}

TEST(BucketPolicyParse, StatementAsAnObjectAndTheDefaultVersion) {
    auto p =
        parsed(R"({"Id":"x","Statement":{"Effect":"Deny","Principal":{"AWS":"*"},)" + std::string(kGetObjects) + "}}");
    EXPECT_EQ(p.version, "2008-10-17");
    EXPECT_EQ(p.id, "x");
    ASSERT_EQ(p.statements.size(), 1u);
    EXPECT_TRUE(p.statements[0].deny);
    EXPECT_TRUE(p.statements[0].principals[0].everyone());
}

TEST(BucketPolicyParse, PrincipalsNameUsersAndTheirAccounts) {
    auto p = parsed(statement(R"("Effect":"Allow","Principal":{"AWS":["0123456789abcdef",
        "arn:aws:iam::1111111111111111:root","arn:aws:iam::2222222222222222:user/backup.job-1"],
        "CanonicalUser":"3333333333333333"},)" +
                              std::string(kGetObjects)));
    const auto& who = p.statements[0].principals;
    ASSERT_EQ(who.size(), 4u);
    EXPECT_EQ(who[0].user_id, kUser);
    EXPECT_EQ(who[1].user_id, "1111111111111111");
    EXPECT_EQ(who[1].account, "");
    EXPECT_EQ(who[2].user_id, "2222222222222222");
    EXPECT_EQ(who[2].account, "backup.job-1");
    EXPECT_EQ(who[3].user_id, "3333333333333333");
    EXPECT_EQ(named_user_ids(p),
              (std::vector<std::string>{kUser, "1111111111111111", "2222222222222222", "3333333333333333"}));
}

TEST(BucketPolicyParse, ActionsAreCaseInsensitiveAndMayBePatterns) {
    auto p = parsed(allow(R"("Action":["S3:GETOBJECT","s3:Get*","s3:*Object?cl","*"],"Resource":"arn:aws:s3:::b/*")"));
    EXPECT_EQ(p.statements[0].actions, (std::vector<std::string>{"s3:getobject", "s3:get*", "s3:*object?cl", "*"}));
}

TEST(BucketPolicyParse, ConditionsKeepTheirKeysCanonicalAndValuesAsText) {
    auto p = parsed(allow(R"("Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{
        "IpAddressIfExists":{"AWS:SourceIp":["10.0.0.0/8","2001:db8::/32"]},
        "Bool":{"aws:SecureTransport":true},
        "NumericLessThanEquals":{"s3:max-keys":10},
        "StringEquals":{"s3:ExistingObjectTag/Project":"Blue"}})"));
    const auto& c = p.statements[0].conditions;
    ASSERT_EQ(c.size(), 4u);
    EXPECT_EQ(c[0].op, ConditionOperator::IpAddress);
    EXPECT_TRUE(c[0].if_exists);
    EXPECT_EQ(c[0].key, "aws:sourceip");
    EXPECT_EQ(c[0].values.size(), 2u);
    EXPECT_EQ(c[1].values, std::vector<std::string>{"true"});
    EXPECT_EQ(c[2].values, std::vector<std::string>{"10"});
    EXPECT_EQ(c[3].key, "s3:existingobjecttag/Project");
}

TEST(BucketPolicyParse, RefusesWhatIsNotAJsonObject) {
    const std::string first = "Policies must be valid JSON and the first byte must be '{'";
    EXPECT_EQ(refusal(""), first);
    EXPECT_EQ(refusal(" {}"), first);
    EXPECT_EQ(refusal("[{}]"), first);
    EXPECT_EQ(refusal("{\"Statement\":"), "This policy contains invalid Json");
    EXPECT_EQ(refusal("{} {}"), "This policy contains invalid Json");
}

TEST(BucketPolicyParse, RefusesADocumentOverTwentyKilobytes) {
    std::string sid(kMaxBucketPolicyBytes, 'x');
    auto big = allow(R"("Sid":")" + sid + R"(",)" + kGetObjects);
    EXPECT_EQ(refusal(big), "Policy exceeds the maximum allowed document size.");
    // Just under the limit is stored.
    auto fits = allow(R"("Sid":")" + sid.substr(0, kMaxBucketPolicyBytes - allow(kGetObjects).size() - 9) + R"(",)" +
                      kGetObjects);
    EXPECT_EQ(fits.size(), kMaxBucketPolicyBytes);
    EXPECT_EQ(refusal(fits), "");
}

TEST(BucketPolicyParse, RefusesMissingAndUnknownFields) {
    EXPECT_EQ(refusal(R"({"Version":"2012-10-17"})"), "Missing required field Statement");
    EXPECT_EQ(refusal(R"({"Statement":[]})"), "Could not parse the policy: Statement is empty!");
    EXPECT_EQ(refusal(R"({"Statement":[],"Extra":1})"), "Unknown field Extra");
    EXPECT_EQ(refusal(allow(std::string(kGetObjects) + R"(,"Effects":"Allow")")), "Unknown field Effects");
    EXPECT_EQ(refusal(statement(R"("Principal":"*",)" + std::string(kGetObjects))), "Missing required field Effect");
    EXPECT_EQ(refusal(statement(R"("Effect":"Allow",)" + std::string(kGetObjects))),
              "Missing required field Principal");
    EXPECT_EQ(refusal(allow(R"("Resource":"arn:aws:s3:::b/*")")), "Missing required field Action");
    EXPECT_EQ(refusal(allow(R"("Action":"s3:GetObject")")), "Missing required field Resource");
    EXPECT_EQ(refusal(allow(R"("Action":[],"Resource":"arn:aws:s3:::b/*")")),
              "Missing required field Action cannot be empty!");
}

TEST(BucketPolicyParse, RefusesBadVersionsEffectsAndTypes) {
    auto with_version = [](const std::string& v) {
        return R"({"Version":)" + v + R"(,"Statement":{"Effect":"Allow","Principal":"*",)" + kGetObjects + "}}";
    };
    EXPECT_EQ(refusal(with_version(R"("2012-10-18")")), "The policy must contain a valid version string");
    EXPECT_EQ(refusal(with_version("2012")), "The policy must contain a valid version string");
    EXPECT_EQ(refusal(statement(R"("Effect":"allow","Principal":"*",)" + std::string(kGetObjects))),
              "Invalid effect: allow");
    EXPECT_EQ(refusal(statement(R"("Effect":true,"Principal":"*",)" + std::string(kGetObjects))),
              "Invalid effect: true");
    EXPECT_EQ(refusal(allow(R"("Sid":1,)" + std::string(kGetObjects))), "Invalid policy syntax.");
    EXPECT_EQ(refusal(allow(R"("Action":{"a":1},"Resource":"arn:aws:s3:::b/*")")), "Invalid policy syntax.");
    EXPECT_EQ(refusal(R"({"Statement":["x"]})"), "Invalid policy syntax.");
}

TEST(BucketPolicyParse, RefusesAnElementWithItsNotForm) {
    EXPECT_EQ(refusal(allow(R"("NotPrincipal":"*",)" + std::string(kGetObjects))),
              "Statement/policy already has instance of Principal");
    EXPECT_EQ(refusal(allow(R"("NotAction":"s3:PutObject",)" + std::string(kGetObjects))),
              "Statement/policy already has instance of Action");
    EXPECT_EQ(refusal(allow(R"("NotResource":"arn:aws:s3:::b",)" + std::string(kGetObjects))),
              "Statement/policy already has instance of Resource");
}

TEST(BucketPolicyParse, RefusesInvalidPrincipals) {
    for (const char* principal :
         {R"("someone")", R"({})", R"({"AWS":[]})", R"({"AWS":"0123456789ABCDEF"})", R"({"AWS":"0123456789abcde"})",
          R"({"AWS":"arn:aws:iam::0123456789abcdef:role/r"})", R"({"AWS":"arn:aws:iam::0123456789abcdef:user/"})",
          R"({"AWS":"arn:aws:iam::0123456789abcdef:user/a b"})", R"({"CanonicalUser":"*"})",
          R"({"Service":"cloudfront.amazonaws.com"})", R"({"AWS":1})", "7"}) {
        auto json = statement(R"("Effect":"Allow","Principal":)" + std::string(principal) + "," + kGetObjects);
        auto message = refusal(json);
        EXPECT_TRUE(message == "Invalid principal in policy" || message == "Invalid policy syntax.") << json;
    }
    EXPECT_EQ(refusal(statement(R"("Effect":"Allow","Principal":{"AWS":"nobody"},)" + std::string(kGetObjects))),
              "Invalid principal in policy");
}

TEST(BucketPolicyParse, RefusesUnknownActions) {
    for (const char* action :
         {"s3:GetObjects", "GetObject", "s3:", "iam:GetUser", "s3:ListAllMyBuckets", "s3:Nope*", "ec2:*"}) {
        auto json = allow(R"("Action":")" + std::string(action) + R"(","Resource":"arn:aws:s3:::b/*")");
        EXPECT_EQ(refusal(json), "Policy has invalid action") << action;
    }
}

TEST(BucketPolicyParse, RefusesResourcesOutsideTheBucket) {
    for (const char* resource : {"*", "arn:aws:s3:::*", "arn:aws:s3:::bb/*", "arn:aws:s3:::other", "b/*",
                                 "arn:aws:s3:::b*", "arn:aws:s3::b/*", "arn:aws:iam:::b", "arn:aws:s3:::"}) {
        auto json = allow(R"("Action":"s3:*","Resource":")" + std::string(resource) + R"(")");
        EXPECT_EQ(refusal(json), "Policy has invalid resource") << resource;
    }
}

TEST(BucketPolicyParse, RefusesActionsOnResourcesOfTheOtherKind) {
    const std::string mismatch = "Action does not apply to any resource(s) in statement";
    EXPECT_EQ(refusal(allow(R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::b")")), mismatch);
    EXPECT_EQ(refusal(allow(R"("Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/*")")), mismatch);
    EXPECT_EQ(refusal(allow(R"("Action":"s3:ListBucket*","Resource":"arn:aws:s3:::b/*")")), mismatch);
    // A pattern applies when one of the actions it matches does; both kinds
    // of resource take both kinds of action; NotAction and NotResource are
    // not checked.
    EXPECT_EQ(refusal(allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::b/*")")), "");
    EXPECT_EQ(refusal(allow(R"("Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b",
        "arn:aws:s3:::b/*"])")),
              "");
    EXPECT_EQ(refusal(allow(R"("NotAction":"s3:GetObject","Resource":"arn:aws:s3:::b")")), "");
}

TEST(BucketPolicyParse, RefusesUnknownConditionOperatorsAndKeys) {
    auto with = [](const std::string& condition) {
        return allow(std::string(kGetObjects) + R"(,"Condition":)" + condition);
    };
    EXPECT_EQ(refusal(with(R"({"stringequals":{"aws:Referer":"x"}})")), "Invalid Condition type : stringequals");
    EXPECT_EQ(refusal(with(R"({"DateLessThan":{"aws:CurrentTime":"2030-01-01"}})")),
              "Invalid Condition type : DateLessThan");
    EXPECT_EQ(refusal(with(R"({"NullIfExists":{"aws:Referer":"true"}})")), "Invalid Condition type : NullIfExists");
    EXPECT_EQ(refusal(with(R"({"ForAnyValue:StringEquals":{"aws:Referer":"x"}})")),
              "Invalid Condition type : ForAnyValue:StringEquals");
    EXPECT_EQ(refusal(with(R"({"StringEquals":{"aws:FakeKey":"x"}})")), "Policy has an invalid condition key");
    EXPECT_EQ(refusal(with(R"({"StringEquals":{"s3:ExistingObjectTag/":"x"}})")),
              "Policy has an invalid condition key");
    EXPECT_EQ(refusal(with(R"({"StringEquals":{"s3:RequestObjectTag/":"x"}})")), "Policy has an invalid condition key");
    EXPECT_EQ(refusal(with(R"({"StringEquals":{"s3:OtherTag/k":"x"}})")), "Policy has an invalid condition key");
    EXPECT_EQ(refusal(with(R"({"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}})")), "Invalid IP address in Conditions");
    EXPECT_EQ(refusal(with(R"({"IpAddress":{"aws:SourceIp":["10.0.0.1","2001:db8::/129"]}})")),
              "Invalid IP address in Conditions");
    EXPECT_EQ(refusal(with(R"({"StringEquals":{"aws:SourceIp":"my-laptop"}})")), "Invalid IP address in Conditions");
    EXPECT_EQ(refusal(with(R"({"StringEquals":{"aws:Referer":[]}})")), "Invalid policy syntax.");
    EXPECT_EQ(refusal(with(R"({"StringEquals":{"aws:Referer":{"a":"b"}}})")), "Invalid policy syntax.");
    EXPECT_EQ(refusal(with(R"({"StringEquals":"x"})")), "Invalid policy syntax.");
    EXPECT_EQ(refusal(with(R"(["x"])")), "Invalid policy syntax.");
}

TEST(BucketPolicyParse, RefusesConditionKeysTheActionsNeverHave) {
    const std::string mismatch = "Conditions do not apply to combination of actions and resources in statement";
    auto with = [](const std::string& actions, const std::string& condition) {
        return allow(R"("Action":)" + actions + R"(,"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":)" +
                     condition);
    };
    EXPECT_EQ(refusal(with(R"("s3:GetObject")", R"({"StringLike":{"s3:prefix":"home/*"}})")), mismatch);
    EXPECT_EQ(refusal(with(R"(["s3:ListBucket","s3:GetObject"])", R"({"StringEquals":{"s3:delimiter":"/"}})")),
              mismatch);
    EXPECT_EQ(refusal(with(R"("s3:GetObject")", R"({"StringEquals":{"s3:x-amz-acl":"private"}})")), mismatch);
    EXPECT_EQ(refusal(with(R"("s3:GetObject")", R"({"StringEquals":{"s3:VersionId":"v1"}})")), mismatch);
    // The actions that have them, patterns, NotAction, and keys any action has.
    EXPECT_EQ(refusal(with(R"("s3:ListBucket")", R"({"StringLike":{"s3:prefix":"home/*"}})")), "");
    EXPECT_EQ(refusal(with(R"(["s3:PutObject","s3:PutObjectAcl"])", R"({"StringEquals":{"s3:x-amz-acl":"private"}})")),
              "");
    EXPECT_EQ(refusal(with(R"("s3:*")", R"({"StringLike":{"s3:prefix":"home/*"}})")), "");
    EXPECT_EQ(refusal(allow(R"("NotAction":"s3:GetObject","Resource":"arn:aws:s3:::b","Condition":{"StringLike":
        {"s3:prefix":"home/*"}})")),
              "");
    EXPECT_EQ(refusal(with(R"("s3:GetObject")", R"({"StringLike":{"aws:Referer":"https://example.com/*"}})")), "");
}

// The keys the gateway supplies with a request: each only with the actions
// S3 gives it for (the tag keys too, which the parser does not refuse).
TEST(BucketPolicyParse, ConditionKeysApplyToTheActionsS3GivesThemFor) {
    EXPECT_TRUE(condition_key_applies("s3:requestobjecttag/env", "s3:PutObject"));
    EXPECT_TRUE(condition_key_applies("s3:requestobjecttag/env", "s3:PutObjectTagging"));
    EXPECT_FALSE(condition_key_applies("s3:requestobjecttag/env", "s3:GetObject"));
    EXPECT_FALSE(condition_key_applies("s3:requestobjecttag/env", "s3:DeleteObject"));
    EXPECT_TRUE(condition_key_applies("s3:existingobjecttag/env", "s3:GetObject"));
    EXPECT_TRUE(condition_key_applies("s3:existingobjecttag/Env", "s3:GetObjectVersion"));
    EXPECT_TRUE(condition_key_applies("s3:existingobjecttag/env", "s3:PutObjectTagging"));
    EXPECT_FALSE(condition_key_applies("s3:existingobjecttag/env", "s3:PutObject"));
    EXPECT_FALSE(condition_key_applies("s3:existingobjecttag/env", "s3:DeleteObject"));
    EXPECT_FALSE(condition_key_applies("s3:existingobjecttag/env", "s3:DeleteObjectVersion"));
    EXPECT_TRUE(condition_key_applies("s3:x-amz-acl", "s3:PutObject"));
    EXPECT_TRUE(condition_key_applies("s3:x-amz-grant-read", "s3:PutBucketAcl"));
    EXPECT_TRUE(condition_key_applies("s3:x-amz-acl", "s3:PutObjectVersionAcl"));  // PUT ?acl&versionId=
    EXPECT_FALSE(condition_key_applies("s3:x-amz-acl", "s3:GetObject"));
    EXPECT_FALSE(condition_key_applies("s3:x-amz-grant-full-control", "s3:DeleteObject"));
    EXPECT_FALSE(condition_key_applies("s3:prefix", "s3:GetObject"));
    EXPECT_TRUE(condition_key_applies("s3:prefix", "s3:ListBucket"));
    // Keys every action has.
    EXPECT_TRUE(condition_key_applies("aws:referer", "s3:GetObject"));
    EXPECT_TRUE(condition_key_applies("s3:x-amz-copy-source", "s3:PutObject"));
}

}  // namespace
}  // namespace ostor::gw
