// Tag sets as requests carry them (gateway-lite/s3/tag_sets.hpp): the
// <Tagging> body and the x-amz-tagging header, and S3's answer for each
// kind of bad tag.
#include <gtest/gtest.h>

#include <string>

#include "s3/tag_sets.hpp"

namespace ostor::gw::s3 {
namespace {

template <class T>
std::string code_of(const std::variant<T, S3Error>& parsed) {
    auto* e = std::get_if<S3Error>(&parsed);
    return e ? e->code : "";
}

TEST(TaggingHeader, QueryEncodedPairsInOrder) {
    auto parsed = parse_tagging_header("b+c=d%26e%3Df%2Bg&a=1&&flag&empty=");
    ASSERT_EQ(code_of(parsed), "");
    EXPECT_EQ(std::get<TagSet>(parsed), (TagSet{{"b c", "d&e=f+g"}, {"a", "1"}, {"flag", ""}, {"empty", ""}}));
    auto none = parse_tagging_header("");
    ASSERT_EQ(code_of(none), "");
    EXPECT_TRUE(std::get<TagSet>(none).empty());
}

TEST(TaggingHeader, Refusals) {
    EXPECT_EQ(code_of(parse_tagging_header("k=1&k=2")), "InvalidArgument");
    EXPECT_EQ(code_of(parse_tagging_header("k=%zz")), "InvalidArgument");
    EXPECT_EQ(code_of(parse_tagging_header("=v")), "InvalidTag");
    EXPECT_EQ(code_of(parse_tagging_header("aws%3Ax=v")), "InvalidTag");
    std::string eleven;
    for (int i = 0; i < 11; ++i) eleven += "k" + std::to_string(i) + "=v&";
    EXPECT_EQ(code_of(parse_tagging_header(eleven)), "BadRequest");
}

TEST(TaggingBody, KeysAndValuesByteForByte) {
    auto parsed = parse_tagging(
        "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
        "<Tag><Key> k </Key><Value> </Value></Tag><Tag><Value>&amp;</Value><Key>b</Key></Tag>"
        "<Tag><Key>e</Key><Value/></Tag></TagSet></Tagging>");
    ASSERT_EQ(code_of(parsed), "");
    EXPECT_EQ(std::get<TagSet>(parsed), (TagSet{{" k ", " "}, {"b", "&"}, {"e", ""}}));
}

TEST(TaggingBody, EachRefusalWithS3sAnswer) {
    auto message = [](std::string_view body) {
        auto parsed = parse_tagging(body);
        auto* e = std::get_if<S3Error>(&parsed);
        return e ? e->code + ": " + e->message : std::string("accepted");
    };
    auto tag = [](std::string k, std::string v) { return "<Tag><Key>" + k + "</Key><Value>" + v + "</Value></Tag>"; };
    auto doc = [](std::string tags) { return "<Tagging><TagSet>" + tags + "</TagSet></Tagging>"; };
    EXPECT_EQ(message(doc(tag("", "v"))), "InvalidTag: The TagKey you have provided is invalid");
    EXPECT_EQ(message(doc(tag(std::string(129, 'k'), "v"))), "InvalidTag: The TagKey you have provided is invalid");
    EXPECT_EQ(message(doc(tag(std::string(128, 'k'), std::string(256, 'v')))), "accepted");
    EXPECT_EQ(message(doc(tag("k", std::string(257, 'v')))), "InvalidTag: The TagValue you have provided is invalid");
    EXPECT_EQ(message(doc(tag("d", "1") + tag("d", "2"))),
              "InvalidTag: Cannot provide multiple Tags with the same key");
    EXPECT_EQ(message(doc(tag("aws:x", "1"))), "InvalidTag: Your TagKey cannot be prefixed with aws:");
    std::string eleven;
    for (int i = 0; i < 11; ++i) eleven += tag("k" + std::to_string(i), "v");
    EXPECT_EQ(message(doc(eleven)), "BadRequest: Object tags cannot be greater than 10");
    // Bucket tags pass their own count.
    EXPECT_EQ(code_of(parse_tagging(doc(eleven), 50)), "");
    for (std::string_view bad : {"", "<Tagging>", "<Other><TagSet/></Other>", "<Tagging/>",
                                 "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",
                                 "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>"})
        EXPECT_EQ(code_of(parse_tagging(bad)), "MalformedXML") << bad;
}

}  // namespace
}  // namespace ostor::gw::s3
