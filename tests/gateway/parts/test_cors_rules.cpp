// CORS configurations and bucket tag sets parsed as text
// (gateway-lite/s3/cors_rules.hpp, tag_sets.hpp): what is kept of a valid
// document and the S3 error of a refused one; which rule a cross-origin
// request matches and the headers its answer gets.
#include <gtest/gtest.h>

#include <string>

#include "s3/cors_rules.hpp"
#include "s3/tag_sets.hpp"

namespace ostor::gw::s3 {
namespace {

std::string rule_xml(const std::string& inner) { return "<CORSRule>" + inner + "</CORSRule>"; }
std::string config_xml(const std::string& rules) {
    return "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + rules + "</CORSConfiguration>";
}

S3Error refusal(const std::string& body) {
    auto parsed = parse_cors_configuration(body);
    auto* e = std::get_if<S3Error>(&parsed);
    return e ? *e : S3Error(0, "", "");
}

CorsConfiguration parsed(const std::string& body) {
    auto p = parse_cors_configuration(body);
    if (auto* e = std::get_if<S3Error>(&p)) ADD_FAILURE() << e->code << ": " << e->message;
    auto* c = std::get_if<CorsConfiguration>(&p);
    return c ? *c : CorsConfiguration{};
}

std::string header(const HeaderList& h, const std::string& name) {
    for (const auto& [n, v] : h)
        if (n == name) return v;
    return "(none)";
}

TEST(CorsConfiguration, RulesKeptInOrderAndWrittenBackAsGetBucketCorsAnswers) {
    auto c = parsed(config_xml(rule_xml("<ID>first</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>"
                                        "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
                                        "<AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
                                        "<MaxAgeSeconds>3000</MaxAgeSeconds>") +
                               rule_xml("<AllowedMethod>HEAD</AllowedMethod><AllowedOrigin>*</AllowedOrigin>")));
    ASSERT_EQ(c.rules.size(), 2u);
    EXPECT_EQ(c.rules[0].id, "first");
    EXPECT_EQ(c.rules[0].allowed_methods, (std::vector<std::string>{"GET", "PUT"}));
    EXPECT_EQ(c.rules[0].max_age_seconds, std::optional<std::uint64_t>(3000));
    EXPECT_FALSE(c.rules[1].max_age_seconds);
    const std::string expected =
        "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><CORSRule>"
        "<AllowedHeader>x-amz-*</AllowedHeader><AllowedMethod>GET</AllowedMethod>"
        "<AllowedMethod>PUT</AllowedMethod><AllowedOrigin>https://*.example.com</AllowedOrigin>"
        "<ExposeHeader>ETag</ExposeHeader><ID>first</ID><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"
        "<CORSRule><AllowedMethod>HEAD</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule>"
        "</CORSConfiguration>";
    auto written = cors_configuration_xml(c);
    EXPECT_EQ(written.substr(written.find("<CORSConfiguration")), expected);
    // What is stored parses to the same rules.
    EXPECT_EQ(cors_configuration_xml(parsed(written)), written);
}

TEST(CorsConfiguration, RefusalsAsS3) {
    const std::string ok_rule = "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>";
    EXPECT_EQ(refusal("not xml").code, "MalformedXML");
    EXPECT_EQ(refusal("<Other/>").code, "MalformedXML");
    EXPECT_EQ(refusal(config_xml("")).code, "MalformedXML");
    EXPECT_EQ(refusal(config_xml(rule_xml("<AllowedMethod>GET</AllowedMethod>"))).code, "MalformedXML");
    EXPECT_EQ(refusal(config_xml(rule_xml("<AllowedOrigin>*</AllowedOrigin>"))).code, "MalformedXML");
    EXPECT_EQ(refusal(config_xml(rule_xml(ok_rule + "<Bogus/>"))).code, "MalformedXML");
    EXPECT_EQ(refusal(config_xml(rule_xml(ok_rule + "<MaxAgeSeconds>-1</MaxAgeSeconds>"))).code, "MalformedXML");
    std::string hundred, hundred_one;
    for (std::size_t i = 0; i < kMaxCorsRules; ++i) hundred += rule_xml(ok_rule);
    hundred_one = hundred + rule_xml(ok_rule);
    EXPECT_EQ(parsed(config_xml(hundred)).rules.size(), kMaxCorsRules);
    EXPECT_EQ(refusal(config_xml(hundred_one)).code, "MalformedXML");

    auto method =
        refusal(config_xml(rule_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>OPTIONS</AllowedMethod>")));
    EXPECT_EQ(method.status, 400);
    EXPECT_EQ(method.code, "InvalidRequest");
    EXPECT_EQ(method.message, "Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS");
    EXPECT_EQ(refusal(config_xml(rule_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>"))).code,
              "InvalidRequest");
    auto origin = refusal(config_xml(rule_xml("<AllowedOrigin>*a*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")));
    EXPECT_EQ(origin.code, "InvalidRequest");
    EXPECT_EQ(origin.message, "AllowedOrigin \"*a*\" can not have more than one wildcard.");
    EXPECT_EQ(refusal(config_xml(rule_xml(ok_rule + "<AllowedHeader>x-*-*</AllowedHeader>"))).code, "InvalidRequest");
    auto expose = refusal(config_xml(rule_xml(ok_rule + "<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-meta-*"
                                                        "</ExposeHeader>")));
    EXPECT_EQ(expose.code, "InvalidRequest");
    EXPECT_EQ(
        expose.message,
        "ExposeHeader \"x-amz-meta-*\" contains wildcard. We currently do not support wildcard for ExposeHeader.");
    EXPECT_EQ(refusal(config_xml(rule_xml(ok_rule + "<ID>" + std::string(256, 'i') + "</ID>"))).code,
              "InvalidArgument");
}

TEST(CorsMatching, OriginsMethodsAndRequestedHeaders) {
    auto c = parsed(config_xml(rule_xml("<AllowedOrigin>http://*.example.com</AllowedOrigin>"
                                        "<AllowedOrigin>https://app.test</AllowedOrigin>"
                                        "<AllowedMethod>GET</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader>"
                                        "<AllowedHeader>Content-Type</AllowedHeader>") +
                               rule_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>")));
    const auto* first = &c.rules[0];
    const auto* second = &c.rules[1];
    EXPECT_EQ(match_cors_rule(c, "http://a.example.com", "GET", {}), first);
    EXPECT_EQ(match_cors_rule(c, "http://.example.com", "GET", {}), first);  // '*' matches nothing too
    EXPECT_EQ(match_cors_rule(c, "https://app.test", "GET", {"x-amz-date", "content-type"}), first);
    EXPECT_EQ(match_cors_rule(c, "https://app.test/", "GET", {}), nullptr);  // anchored at both ends
    EXPECT_EQ(match_cors_rule(c, "https://a.example.com", "GET", {}), nullptr);
    EXPECT_EQ(match_cors_rule(c, "https://app.test", "GET", {"authorization"}), nullptr);
    EXPECT_EQ(match_cors_rule(c, "https://app.test", "DELETE", {}), nullptr);
    EXPECT_EQ(match_cors_rule(c, "anything", "PUT", {}), second);
    EXPECT_EQ(match_cors_rule(c, "anything", "PUT", {"x-amz-date"}), nullptr);  // no AllowedHeader: none allowed

    EXPECT_EQ(requested_cors_headers(" X-Amz-Date,content-type , ,Authorization"),
              (std::vector<std::string>{"x-amz-date", "content-type", "authorization"}));
}

TEST(CorsMatching, AnswerHeaders) {
    auto c =
        parsed(config_xml(rule_xml("<AllowedOrigin>https://app.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                                   "<AllowedMethod>PUT</AllowedMethod><ExposeHeader>ETag</ExposeHeader>"
                                   "<ExposeHeader>x-amz-request-id</ExposeHeader>"
                                   "<MaxAgeSeconds>600</MaxAgeSeconds>") +
                          rule_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>")));
    auto named = cors_answer_headers(c.rules[0], "https://app.test", {"x-amz-date"});
    EXPECT_EQ(header(named, "Access-Control-Allow-Origin"), "https://app.test");
    EXPECT_EQ(header(named, "Access-Control-Allow-Credentials"), "true");
    EXPECT_EQ(header(named, "Access-Control-Allow-Methods"), "GET, PUT");
    EXPECT_EQ(header(named, "Access-Control-Allow-Headers"), "x-amz-date");
    EXPECT_EQ(header(named, "Access-Control-Expose-Headers"), "ETag, x-amz-request-id");
    EXPECT_EQ(header(named, "Access-Control-Max-Age"), "600");
    EXPECT_EQ(header(named, "Vary"), "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
    auto any = cors_answer_headers(c.rules[1], "http://elsewhere", {});
    EXPECT_EQ(header(any, "Access-Control-Allow-Origin"), "*");
    EXPECT_EQ(header(any, "Access-Control-Allow-Credentials"), "(none)");
    EXPECT_EQ(header(any, "Access-Control-Allow-Headers"), "(none)");
    EXPECT_EQ(header(any, "Access-Control-Expose-Headers"), "(none)");
    EXPECT_EQ(header(any, "Access-Control-Max-Age"), "(none)");
}

std::string tag_doc(const std::string& tags) { return "<Tagging><TagSet>" + tags + "</TagSet></Tagging>"; }
std::string tag(const std::string& k, const std::string& v) {
    return "<Tag><Key>" + k + "</Key><Value>" + v + "</Value></Tag>";
}
std::string tag_refusal(const std::string& body) {
    auto parsed = parse_tagging(body, kMaxBucketTags);
    auto* e = std::get_if<S3Error>(&parsed);
    return e ? e->code + ": " + e->message : "";
}

TEST(BucketTagging, TagsKeptAsGivenAndWrittenBack) {
    auto parsed =
        parse_tagging(tag_doc(tag("team", "storage") + tag(" spaced ", "") + tag("ü", "&lt;v&gt;")), kMaxBucketTags);
    ASSERT_TRUE(std::holds_alternative<TagSet>(parsed)) << std::get<S3Error>(parsed).message;
    const auto& tags = std::get<TagSet>(parsed);
    EXPECT_EQ(tags, (TagSet{{"team", "storage"}, {" spaced ", ""}, {"ü", "<v>"}}));
    auto written = tagging_xml(tags);
    EXPECT_NE(written.find("<TagSet><Tag><Key>team</Key><Value>storage</Value></Tag>"), std::string::npos);
    EXPECT_EQ(std::get<TagSet>(parse_tagging(written, kMaxBucketTags)), tags);
}

TEST(BucketTagging, RefusalsAsS3) {
    EXPECT_EQ(tag_refusal("nope").substr(0, 12), "MalformedXML");
    EXPECT_EQ(tag_refusal("<Tagging/>").substr(0, 12), "MalformedXML");
    EXPECT_EQ(tag_refusal(tag_doc("<Tag><Key>k</Key></Tag>")).substr(0, 12), "MalformedXML");
    EXPECT_EQ(tag_refusal(tag_doc(tag("", "v"))), "InvalidTag: The TagKey you have provided is invalid");
    EXPECT_EQ(tag_refusal(tag_doc(tag(std::string(129, 'k'), "v"))),
              "InvalidTag: The TagKey you have provided is invalid");
    EXPECT_EQ(tag_refusal(tag_doc(tag(std::string(128, 'k'), std::string(257, 'v')))),
              "InvalidTag: The TagValue you have provided is invalid");
    // The limits count characters, not bytes.
    std::string wide_key, wide_value;
    for (int i = 0; i < 128; ++i) wide_key += "ü";
    for (int i = 0; i < 256; ++i) wide_value += "ü";
    EXPECT_EQ(tag_refusal(tag_doc(tag(wide_key, wide_value))), "");
    EXPECT_EQ(tag_refusal(tag_doc(tag("k", "1") + tag("k", "2"))),
              "InvalidTag: Cannot provide multiple Tags with the same key");
    EXPECT_EQ(tag_refusal(tag_doc(tag("aws:mine", "v"))), "InvalidTag: Your TagKey cannot be prefixed with aws:");
    // The same rule as object tags (names.hpp): the prefix is matched as S3's
    // documentation spells it, tag keys being case-sensitive.
    EXPECT_EQ(tag_refusal(tag_doc(tag("AWS:mine", "v"))), "");
    std::string fifty, fifty_one;
    for (std::size_t i = 0; i < kMaxBucketTags; ++i) fifty += tag("k" + std::to_string(i), "v");
    fifty_one = fifty + tag("one-more", "v");
    EXPECT_EQ(tag_refusal(tag_doc(fifty)), "");
    EXPECT_EQ(tag_refusal(tag_doc(fifty_one)), "BadRequest: Bucket tag count cannot be greater than 50");
}

}  // namespace
}  // namespace ostor::gw::s3
