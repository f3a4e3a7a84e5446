// The limit syntax the CLI, the REST API and the FUSE tree share, and the
// JSON they print (a bucket as ?ostor-buckets lists it).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ostor/admin_format.hpp"

namespace {

using ostor::Errc;
using ostor::admin::parse_limit;
using ostor::admin::parse_limit_line;

TEST(ParseLimit, OpsRatesKeepTheTwoDecimalsTheyPrintWith) {
    auto l = parse_limit("ops", "get", "1.234");
    ASSERT_TRUE(l);
    EXPECT_DOUBLE_EQ(l->value, 1.23);
    l = parse_limit("ops", "default", "0.01");
    ASSERT_TRUE(l);
    EXPECT_DOUBLE_EQ(l->value, 0.01);
    l = parse_limit("ops", "put", "0");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->value, 0);  // unlimited
}

TEST(ParseLimit, AnOpsRateBelowOneHundredthIsRefused) {
    // It would print as 0.00, which reads as unlimited.
    for (const char* v : {"0.001", "0.0099", "0.000000000000000000001"}) {
        auto l = parse_limit("ops", "get", v);
        ASSERT_FALSE(l) << v;
        EXPECT_EQ(l.error().code(), Errc::InvalidLimit) << v;
    }
}

TEST(ParseLimit, MalformedValuesTypesAndResourcesAreRefused) {
    for (auto [type, resource, value] : {std::tuple{"ops", "get", "-1"},
                                         {"ops", "get", "1e3"},
                                         {"ops", "get", ""},
                                         {"ops", "get", "."},
                                         {"ops", "get", "nan"},
                                         {"ops", "out", "1"},
                                         {"bandwidth", "out", "1.5"},
                                         {"bandwidth", "get", "1"},
                                         {"opx", "get", "1"}}) {
        auto l = parse_limit(type, resource, value);
        ASSERT_FALSE(l) << type << ':' << resource << '=' << value;
        EXPECT_EQ(l.error().code(), Errc::InvalidLimit);
    }
}

TEST(ParseLimitLine, TakesTheTreesTypeResourceValueForm) {
    auto l = parse_limit_line("bandwidth:out=100");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->kind, ostor::LimitSetting::Kind::BandwidthOut);
    EXPECT_EQ(l->value, 100);
    l = parse_limit_line("ops:delete=2.5");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->kind, ostor::LimitSetting::Kind::Ops);
    EXPECT_EQ(l->op, ostor::OpClass::Delete);
    EXPECT_EQ(l->value, 2.5);
    EXPECT_FALSE(parse_limit_line("ops=get:1"));
    EXPECT_FALSE(parse_limit_line("ops:get"));
}

// The op classes' names are the vendor guide's, and each names one class.
TEST(OpClassNames, EachClassHasTheGuidesNameAndParsesBack) {
    std::vector<std::string> names;
    for (auto c : ostor::kOpClasses) {
        names.emplace_back(ostor::op_class_name(c));
        EXPECT_EQ(ostor::parse_op_class(names.back()), c);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"default", "get", "put", "list", "delete"}));
    EXPECT_FALSE(ostor::parse_op_class("GET"));
    EXPECT_FALSE(ostor::parse_op_class(""));
    EXPECT_FALSE(ostor::parse_op_class("out"));
}

TEST(Json, PrintsTheSeedsShapeInInsertionOrder) {
    using ostor::admin::Json;
    Json keys = Json::array();
    keys.push(Json::object().set("AWSAccessKeyId", "a49e12a226bd760f0F3Z"));
    Json doc = Json::object();
    doc.set("UserEmail", "user@example.com")
        .set("Flags", Json::array())
        .set("Size", Json::object())
        .set("nr_items", std::uint64_t{8000000000000065})
        .set("epoch", 0)
        .set("truncated", false)
        .set("marker", nullptr)
        .set("AWSAccessKeys", keys);
    EXPECT_EQ(doc.pretty(),
              "{\n"
              "  \"UserEmail\": \"user@example.com\",\n"
              "  \"Flags\": [],\n"
              "  \"Size\": {},\n"
              "  \"nr_items\": 8000000000000065,\n"
              "  \"epoch\": 0,\n"
              "  \"truncated\": false,\n"
              "  \"marker\": null,\n"
              "  \"AWSAccessKeys\": [\n"
              "    {\n"
              "      \"AWSAccessKeyId\": \"a49e12a226bd760f0F3Z\"\n"
              "    }\n"
              "  ]\n"
              "}\n");
}

TEST(Json, EscapesQuotesBackslashesAndControlCharacters) {
    using ostor::admin::Json;
    Json doc = Json::object();
    doc.set("k\"ey", std::string("a\\b\n\t\x01", 6));
    EXPECT_EQ(doc.pretty(), "{\n  \"k\\\"ey\": \"a\\\\b\\n\\t\\u0001\"\n}\n");
}

TEST(Json, AMovedFromDocumentIsNullAndStaysUsable) {
    using ostor::admin::Json;
    Json doc = Json::object();
    doc.set("a", 1);
    Json moved = std::move(doc);
    EXPECT_EQ(moved.pretty(), "{\n  \"a\": 1\n}\n");
    EXPECT_EQ(doc.pretty(), "null\n");  // NOLINT(bugprone-use-after-move): what this test is about
    doc.set("b", "c");
    EXPECT_EQ(doc.pretty(), "{\n  \"b\": \"c\"\n}\n");
    Json again = Json::object();
    again.set("k", 1).set("k", 2);
    EXPECT_EQ(again.pretty(), "{\n  \"k\": 2\n}\n");
}

// The guide's bucket (GUIDE_USER_BUCKETS of tests/admin), as the engine gives it.
ostor::Bucket guide_bucket() {
    ostor::Bucket b;
    b.name = "bucketname";
    b.owner_id = "ba7eba06129464c5";
    b.created_ms = 1527268320123;  // 2018-05-25T17:12:00.123Z: printed in whole seconds
    b.size = {.current = 12288, .hmax = 12288, .h_integral = 7360512, .last_ts = 424241};
    return b;
}

constexpr const char* kGuideBucketFields =
    "{\n"
    "  \"size\": {\n"
    "    \"current\": 12288,\n"
    "    \"h_integral\": 7360512,\n"
    "    \"hmax\": 12288,\n"
    "    \"last_ts\": 424241\n"
    "  },\n"
    "  \"epoch\": 0,\n"
    "  \"owner_id\": \"ba7eba06129464c5\",\n"
    "  \"name\": \"bucketname\",\n"
    "  \"creation_date\": \"2018-05-25T17:12:00.000Z\"";

TEST(BucketJson, AnUnversionedBucketHasExactlyTheSeedsShape) {
    EXPECT_EQ(ostor::admin::bucket_json(guide_bucket()).pretty(), std::string(kGuideBucketFields) + "\n}\n");
}

TEST(BucketJson, AVersionedBucketAddsItsStateAfterTheSeedsFields) {
    auto b = guide_bucket();
    b.versioning = ostor::VersioningState::Enabled;
    EXPECT_EQ(ostor::admin::bucket_json(b).pretty(),
              std::string(kGuideBucketFields) + ",\n  \"versioning\": \"Enabled\"\n}\n");
    b.versioning = ostor::VersioningState::Suspended;
    EXPECT_EQ(ostor::admin::bucket_json(b).pretty(),
              std::string(kGuideBucketFields) + ",\n  \"versioning\": \"Suspended\"\n}\n");
}

TEST(BucketJson, ALockBucketAddsItsDefaultRetentionLockedUntilAndLegalHolds) {
    auto b = guide_bucket();
    b.versioning = ostor::VersioningState::Enabled;  // a lock bucket always is
    b.object_lock = {.enabled = true, .default_mode = ostor::RetentionMode::Governance, .default_days = 30};
    b.locked_until_ms = 1798761600000;  // 2027-01-01T00:00:00Z
    b.legal_holds = 2;
    EXPECT_EQ(ostor::admin::bucket_json(b).pretty(), std::string(kGuideBucketFields) +
                                                         ",\n"
                                                         "  \"versioning\": \"Enabled\",\n"
                                                         "  \"object_lock\": {\n"
                                                         "    \"mode\": \"GOVERNANCE\",\n"
                                                         "    \"days\": 30,\n"
                                                         "    \"locked_until\": \"2027-01-01T00:00:00.000Z\",\n"
                                                         "    \"legal_holds\": 2\n"
                                                         "  }\n"
                                                         "}\n");
}

TEST(ObjectLockJson, YearsAndComplianceAreSpelledAsS3DoesAndAbsentPartsAreLeftOut) {
    auto b = guide_bucket();
    b.versioning = ostor::VersioningState::Enabled;
    b.object_lock = {.enabled = true, .default_mode = ostor::RetentionMode::Compliance, .default_years = 2};
    b.locked_until_ms = 1798761600042;
    EXPECT_EQ(ostor::admin::object_lock_json(b).pretty(),
              "{\n"
              "  \"mode\": \"COMPLIANCE\",\n"
              "  \"years\": 2,\n"
              "  \"locked_until\": \"2027-01-01T00:00:00.042Z\",\n"
              "  \"legal_holds\": 0\n"
              "}\n");
    // Lock without a default retention, no version ever retained: the count alone.
    b.object_lock = {.enabled = true};
    b.locked_until_ms = 0;
    EXPECT_EQ(ostor::admin::object_lock_json(b).pretty(), "{\n  \"legal_holds\": 0\n}\n");
}

TEST(ObjectLockJson, ABucketWithoutLockIsAnEmptyObject) {
    auto b = guide_bucket();
    b.versioning = ostor::VersioningState::Enabled;
    // Whatever else the record holds, lock off shows nothing of it.
    b.object_lock.default_mode = ostor::RetentionMode::Governance;
    b.object_lock.default_days = 5;
    b.locked_until_ms = 1'800'000'000'000;
    b.legal_holds = 3;
    EXPECT_EQ(ostor::admin::object_lock_json(b).pretty(), "{}\n");
    EXPECT_EQ(ostor::admin::bucket_json(b).pretty().find("object_lock"), std::string::npos);
    EXPECT_EQ(ostor::admin::object_lock_json(guide_bucket()).pretty(), "{}\n");
}

TEST(BucketJson, AnUnknownVersioningStateAddsNoField) {
    auto b = guide_bucket();
    b.versioning = static_cast<ostor::VersioningState>(7);  // a record of a newer version, or damaged
    EXPECT_EQ(ostor::admin::bucket_json(b).pretty().find("versioning"), std::string::npos);
}

TEST(VersioningName, NamesEachStateAsS3AndTheTreeSpellIt) {
    EXPECT_EQ(ostor::admin::versioning_name(ostor::VersioningState::Off), "Off");
    EXPECT_EQ(ostor::admin::versioning_name(ostor::VersioningState::Enabled), "Enabled");
    EXPECT_EQ(ostor::admin::versioning_name(ostor::VersioningState::Suspended), "Suspended");
}

}  // namespace
