// PutBucketLifecycleConfiguration's body (gateway-lite/lifecycle_config.hpp):
// AWS's documented examples parse into the model and come back the same
// through GetBucketLifecycleConfiguration's XML; every refusal answers S3's
// code and message.
#include <gtest/gtest.h>

#include <string>

#include "lifecycle_config.hpp"
#include "util.hpp"

namespace ostor::gw {
namespace {

using detail::LifecycleConfig;

constexpr std::string_view kOpen = "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
constexpr std::string_view kClose = "</LifecycleConfiguration>";
// 2023-01-01T00:00:00Z
constexpr TimestampMs kJan2023 = 1'672'531'200'000;

std::string doc(std::string_view rules) { return std::string(kOpen) + std::string(rules) + std::string(kClose); }
std::string rule(std::string_view inner) { return doc("<Rule>" + std::string(inner) + "</Rule>"); }

LifecycleConfig parsed(std::string_view body) {
    auto r = parse_lifecycle_config(body, [] { return std::string("generated"); });
    if (auto* e = std::get_if<S3Error>(&r)) ADD_FAILURE() << e->code << ": " << e->message << "\n" << body;
    auto* c = std::get_if<LifecycleConfig>(&r);
    return c ? *c : LifecycleConfig{};
}

// Parsing the answer gives the same model back.
void expect_round_trip(const LifecycleConfig& c) { EXPECT_EQ(parsed(lifecycle_config_xml(c)), c); }

TEST(LifecycleConfigParse, TheApiReferenceExampleOfTwoPrefixedExpirations) {
    auto c =
        parsed(doc("<Rule><ID>id1</ID><Filter><Prefix>documents/</Prefix></Filter><Status>Enabled</Status>"
                   "<Expiration><Days>365</Days></Expiration></Rule>"
                   "<Rule><ID>id2</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>"
                   "<Expiration><Days>30</Days></Expiration></Rule>"));
    ASSERT_EQ(c.rules.size(), 2u);
    EXPECT_EQ(c.rules[0].id, "id1");
    EXPECT_EQ(c.rules[0].filter.prefix, "documents/");
    EXPECT_TRUE(c.rules[0].enabled);
    EXPECT_EQ(c.rules[0].expiration->days, 365u);
    EXPECT_EQ(c.rules[1].expiration->days, 30u);
    expect_round_trip(c);
}

TEST(LifecycleConfigParse, TheUserGuideExampleOfDeleteMarkersAndNoncurrentVersions) {
    auto c =
        parsed(rule("<ID>ExampleRule</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>"
                    "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"
                    "<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays>"
                    "<NewerNoncurrentVersions>5</NewerNoncurrentVersions></NoncurrentVersionExpiration>"));
    ASSERT_EQ(c.rules.size(), 1u);
    EXPECT_TRUE(c.rules[0].expiration->expired_object_delete_marker);
    EXPECT_FALSE(c.rules[0].expiration->days);
    EXPECT_EQ(c.rules[0].noncurrent_expiration->noncurrent_days, 30u);
    EXPECT_EQ(c.rules[0].noncurrent_expiration->newer_noncurrent_versions, 5u);
    expect_round_trip(c);
}

TEST(LifecycleConfigParse, TheUserGuideExampleOfAbortingIncompleteUploads) {
    auto c =
        parsed(rule("<ID>sample-rule</ID><Filter><Prefix>SomeKeyPrefix/</Prefix></Filter><Status>Enabled</Status>"
                    "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>"
                    "</AbortIncompleteMultipartUpload>"));
    ASSERT_EQ(c.rules.size(), 1u);
    EXPECT_EQ(c.rules[0].abort_upload_days, 7u);
    expect_round_trip(c);
}

TEST(LifecycleConfigParse, AndFiltersWithTagsAndSizesADateAndTheDeprecatedPrefix) {
    auto c = parsed(doc(
        "<Rule><ID>and</ID><Filter><And><Prefix>tax/</Prefix>"
        "<Tag><Key>key1</Key><Value>value1</Value></Tag><Tag><Key>key2</Key><Value>value2</Value></Tag>"
        "<ObjectSizeGreaterThan>500</ObjectSizeGreaterThan><ObjectSizeLessThan>64000</ObjectSizeLessThan>"
        "</And></Filter><Status>Disabled</Status><Expiration><Date>2023-01-01T00:00:00.000Z</Date></Expiration></Rule>"
        "<Rule><ID>legacy</ID><Prefix>old/</Prefix><Status>Enabled</Status>"
        "<Expiration><Days>1</Days></Expiration></Rule>"
        "<Rule><ID>all</ID><Filter></Filter><Status>Enabled</Status>"
        "<Expiration><Date>2023-01-01T01:00:00+01:00</Date></Expiration></Rule>"
        "<Rule><ID>tag</ID><Filter><Tag><Key>k</Key><Value></Value></Tag></Filter><Status>Enabled</Status>"
        "<Expiration><Days>2</Days></Expiration></Rule>"));
    ASSERT_EQ(c.rules.size(), 4u);
    const auto& f = c.rules[0].filter;
    EXPECT_TRUE(f.use_and);
    EXPECT_EQ(f.prefix, "tax/");
    EXPECT_EQ(f.tags, (ObjectTags{{"key1", "value1"}, {"key2", "value2"}}));
    EXPECT_EQ(f.size_greater_than, 500u);
    EXPECT_EQ(f.size_less_than, 64000u);
    EXPECT_FALSE(c.rules[0].enabled);
    EXPECT_EQ(c.rules[0].expiration->date_ms, kJan2023);
    EXPECT_TRUE(c.rules[1].filter.legacy_prefix);
    EXPECT_EQ(c.rules[1].filter.prefix, "old/");
    EXPECT_EQ(c.rules[2].expiration->date_ms, kJan2023);  // midnight UTC, written with an offset
    EXPECT_EQ(c.rules[3].filter.tags, (ObjectTags{{"k", ""}}));
    expect_round_trip(c);
    auto xml = lifecycle_config_xml(c);
    EXPECT_NE(xml.find("<Date>2023-01-01T00:00:00.000Z</Date>"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<Rule><ID>legacy</ID><Prefix>old/</Prefix>"), std::string::npos) << xml;
}

TEST(LifecycleConfigParse, ARuleWithoutIdGetsOneThatRepeatsNoOther) {
    std::vector<std::string> draws{"taken", "", "fresh"};
    std::size_t next = 0;
    auto r = parse_lifecycle_config(
        doc("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
            "<Rule><ID>taken</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"),
        [&] { return draws.at(next++); });
    auto& c = std::get<LifecycleConfig>(r);
    EXPECT_EQ(c.rules[0].id, "fresh");
    EXPECT_EQ(c.rules[1].id, "taken");
}

TEST(LifecycleConfigParse, GeneratedIdsAreUuidsInBase64AsAwsMakesThem) {
    auto a = random_lifecycle_rule_id();
    EXPECT_EQ(a.size(), 48u);
    auto text = base64_decode(a);
    ASSERT_TRUE(text);
    EXPECT_EQ(text->size(), 36u);
    EXPECT_EQ((*text)[14], '4');  // a version 4 UUID
    EXPECT_NE(a, random_lifecycle_rule_id());
}

TEST(LifecycleConfigParse, TheLimitsThemselvesAreAccepted) {
    std::string many;
    for (int i = 0; i < 1000; ++i)
        many += "<Rule><ID>r" + std::to_string(i) +
                "</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>";
    EXPECT_EQ(parsed(doc(many)).rules.size(), 1000u);
    auto c = parsed(rule("<ID>" + std::string(255, 'i') + "</ID><Filter><Prefix>" + std::string(1024, 'p') +
                         "</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration>"
                         "<NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>100</NewerNoncurrentVersions>"
                         "</NoncurrentVersionExpiration>"));
    EXPECT_EQ(c.rules.at(0).noncurrent_expiration->newer_noncurrent_versions, 100u);
}

struct Refusal {
    const char* what;
    std::string body;
    std::string code;
    std::string message;  // "" when S3's code has one message
};

constexpr std::string_view kOk = "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>";

std::string with_filter(std::string_view filter, std::string_view actions) {
    return rule("<ID>r</ID><Filter>" + std::string(filter) + "</Filter><Status>Enabled</Status>" +
                std::string(actions));
}

std::vector<Refusal> refusals() {
    const std::string m = "MalformedXML", a = "InvalidArgument", r = "InvalidRequest";
    std::string too_many;
    for (int i = 0; i < 1001; ++i) too_many += "<Rule><Filter/>" + std::string(kOk) + "</Rule>";
    return {
        {"not XML", "<LifecycleConfiguration><Rule>", m, ""},
        {"another root", "<Lifecycle><Rule><Filter/>" + std::string(kOk) + "</Rule></Lifecycle>", m, ""},
        {"no rule", doc(""), m, ""},
        {"unknown element in the configuration", doc("<Rule><Filter/>" + std::string(kOk) + "</Rule><Bogus/>"), m, ""},
        {"unknown element in a rule", rule("<Filter/><Bogus/>" + std::string(kOk)), m, ""},
        {"neither Filter nor Prefix", rule(std::string(kOk)), m, ""},
        {"both Filter and Prefix", rule("<Filter/><Prefix>a</Prefix>" + std::string(kOk)), m, ""},
        {"Filter twice", rule("<Filter/><Filter/>" + std::string(kOk)), m, ""},
        {"two conditions outside And",
         with_filter("<Prefix>a</Prefix><ObjectSizeLessThan>5</ObjectSizeLessThan>",
                     "<Expiration><Days>1</Days></Expiration>"),
         m, ""},
        {"an empty And", with_filter("<And></And>", "<Expiration><Days>1</Days></Expiration>"), m, ""},
        {"And beside a Prefix", with_filter("<Prefix>a</Prefix><And><Prefix>b</Prefix></And>", ""), m, ""},
        {"a Tag without Value", with_filter("<Tag><Key>k</Key></Tag>", "<Expiration><Days>1</Days></Expiration>"), m,
         ""},
        {"no Status", rule("<Filter/><Expiration><Days>1</Days></Expiration>"), m, ""},
        {"Status in lower case", rule("<Filter/><Status>enabled</Status><Expiration><Days>1</Days></Expiration>"), m,
         ""},
        {"Days not a number", rule("<Filter/><Status>Enabled</Status><Expiration><Days>ten</Days></Expiration>"), m,
         ""},
        {"Days past an int", rule("<Filter/><Status>Enabled</Status><Expiration><Days>2147483648</Days></Expiration>"),
         m, ""},
        {"an empty Expiration", rule("<Filter/><Status>Enabled</Status><Expiration/>"), m, ""},
        {"ExpiredObjectDeleteMarker not a boolean",
         rule("<Filter/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>yes"
              "</ExpiredObjectDeleteMarker></Expiration>"),
         m, ""},
        {"AbortIncompleteMultipartUpload without days",
         rule("<Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload/>"), m, ""},
        {"ExpiredObjectDeleteMarker with a size filter",
         with_filter("<ObjectSizeGreaterThan>5</ObjectSizeGreaterThan>",
                     "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
         m, ""},
        {"a negative size", with_filter("<ObjectSizeLessThan>-1</ObjectSizeLessThan>", ""), m, ""},
        {"1001 rules", doc(too_many), a, "Lifecycle configuration allows a maximum of 1000 rules"},
        {"an ID of 256 bytes", rule("<ID>" + std::string(256, 'i') + "</ID><Filter/>" + std::string(kOk)), a,
         "ID length should not exceed allowed limit of 255"},
        // Each would break the x-amz-expiration header the ID is sent in.
        {"an ID with a double quote", rule("<ID>a\"b</ID><Filter/>" + std::string(kOk)), a,
         "ID must not contain a double quote, a carriage return or a line feed"},
        {"an ID with a carriage return", rule("<ID>a&#13;b</ID><Filter/>" + std::string(kOk)), a,
         "ID must not contain a double quote, a carriage return or a line feed"},
        {"an ID with a line feed", rule("<ID>a\nb</ID><Filter/>" + std::string(kOk)), a,
         "ID must not contain a double quote, a carriage return or a line feed"},
        {"Days 0", rule("<Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration>"), a,
         "'Days' for Expiration action must be a positive integer"},
        {"Days -1", rule("<Filter/><Status>Enabled</Status><Expiration><Days>-1</Days></Expiration>"), a,
         "'Days' for Expiration action must be a positive integer"},
        {"NoncurrentDays 0",
         rule("<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays>"
              "</NoncurrentVersionExpiration>"),
         a, "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
        {"no NoncurrentDays",
         rule("<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NewerNoncurrentVersions>2"
              "</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
         a, "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
        {"DaysAfterInitiation 0",
         rule("<Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>0"
              "</DaysAfterInitiation></AbortIncompleteMultipartUpload>"),
         a, "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"},
        {"Days and Date",
         rule("<Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2023-01-01T00:00:00Z</Date>"
              "</Expiration>"),
         a,
         "Exactly one of Days (positive integer) or Date (positive ISO 8601 format) should be present inside "
         "Expiration."},
        {"ExpiredObjectDeleteMarker with Days",
         rule("<Filter/><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true"
              "</ExpiredObjectDeleteMarker></Expiration>"),
         a, "Delete marker cannot be specified with Days or Date in a Lifecycle Expiration Policy"},
        {"a Date that is no date",
         rule("<Filter/><Status>Enabled</Status><Expiration><Date>yesterday</Date></Expiration>"), a,
         "Date must be provided in ISO 8601 format"},
        {"February 30th",
         rule("<Filter/><Status>Enabled</Status><Expiration><Date>2023-02-30T00:00:00Z</Date></Expiration>"), a,
         "Date must be provided in ISO 8601 format"},
        {"a Date at 1 am",
         rule("<Filter/><Status>Enabled</Status><Expiration><Date>2023-01-01T01:00:00Z</Date></Expiration>"), a,
         "'Date' must be at midnight GMT"},
        {"a local midnight that is not UTC's",
         rule("<Filter/><Status>Enabled</Status><Expiration><Date>2023-01-01T00:00:00+01:00</Date></Expiration>"), a,
         "'Date' must be at midnight GMT"},
        {"a Date a millisecond past midnight",
         rule("<Filter/><Status>Enabled</Status><Expiration><Date>2023-01-01T00:00:00.001Z</Date></Expiration>"), a,
         "'Date' must be at midnight GMT"},
        {"NewerNoncurrentVersions 0",
         rule("<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
              "<NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
         a, "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer"},
        {"NewerNoncurrentVersions 101",
         rule("<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
              "<NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
         a, "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must not exceed 100"},
        {"the same ID twice",
         doc("<Rule><ID>x</ID><Filter/>" + std::string(kOk) + "</Rule><Rule><ID>x</ID><Filter/>" + std::string(kOk) +
             "</Rule>"),
         a, "Rule ID must be unique. Found same ID for more than one rule"},
        {"no action", rule("<Filter/><Status>Enabled</Status>"), r,
         "At least one action needs to be specified in a rule"},
        {"ExpiredObjectDeleteMarker with a tag",
         with_filter("<Tag><Key>k</Key><Value>v</Value></Tag>",
                     "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
         r, "Tag-based filter cannot be used with ExpiredObjectDeleteMarker action"},
        {"AbortIncompleteMultipartUpload with tags",
         with_filter("<And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And>",
                     "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
                     "</AbortIncompleteMultipartUpload>"),
         r, "Tag-based filter cannot be used with AbortIncompleteMultipartUpload action"},
        {"a prefix of 1025 bytes",
         with_filter("<Prefix>" + std::string(1025, 'p') + "</Prefix>", "<Expiration><Days>1</Days></Expiration>"), r,
         "The maximum size of a prefix is 1024"},
        {"size bounds that leave nothing",
         with_filter("<And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>10"
                     "</ObjectSizeLessThan></And>",
                     "<Expiration><Days>1</Days></Expiration>"),
         r, "ObjectSizeGreaterThan must be less than ObjectSizeLessThan"},
        {"a reserved tag key",
         with_filter("<Tag><Key>aws:x</Key><Value>v</Value></Tag>", "<Expiration><Days>1</Days></Expiration>"),
         "InvalidTag", "Your TagKey cannot be prefixed with aws:"},
        {"a tag key twice",
         with_filter("<And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And>",
                     "<Expiration><Days>1</Days></Expiration>"),
         "InvalidTag", "Cannot provide multiple Tags with the same key"},
        {"a Transition",
         rule("<Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass>"
              "</Transition>"),
         "InvalidStorageClass", "The storage class you specified is not valid"},
        {"a NoncurrentVersionTransition",
         rule("<Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration><NoncurrentVersionTransition>"
              "<NoncurrentDays>30</NoncurrentDays><StorageClass>STANDARD_IA</StorageClass>"
              "</NoncurrentVersionTransition>"),
         "InvalidStorageClass", "The storage class you specified is not valid"},
    };
}

TEST(LifecycleConfigParse, EveryRefusalAnswersS3sCodeAndMessage) {
    for (const auto& c : refusals()) {
        auto r = parse_lifecycle_config(c.body);
        auto* e = std::get_if<S3Error>(&r);
        ASSERT_NE(e, nullptr) << c.what << " was accepted";
        EXPECT_EQ(e->status, 400) << c.what;
        EXPECT_EQ(e->code, c.code) << c.what << ": " << e->message;
        if (!c.message.empty()) {
            EXPECT_EQ(e->message, c.message) << c.what;
        }
    }
}

}  // namespace
}  // namespace ostor::gw
