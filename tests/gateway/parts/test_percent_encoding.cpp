// Percent-encoding as S3 needs it (gateway-lite/util.hpp, on Boost.URL): the
// escapes of a request's path and query, and AWS's canonical encoding that
// signatures and encoding-type=url listings are made of; and the UTF-8 and
// XML 1.0 character checks that decide what an XML answer percent-encodes.
#include <gtest/gtest.h>

#include <initializer_list>

#include "util.hpp"

namespace ostor::gw {
namespace {

TEST(PercentEncoding, DecodesEscapesInEitherCaseAndKeepsPlus) {
    EXPECT_EQ(url_decode("a%20b%2Fc%2fd"), "a b/c/d");
    EXPECT_EQ(url_decode("a+b"), "a+b");
    EXPECT_EQ(url_decode("%00%FF"), std::string("\0\xff", 2));
    EXPECT_EQ(url_decode(""), "");
    // Characters outside RFC 3986's grammar that clients send raw pass.
    EXPECT_EQ(url_decode("a|b[c]\"d"), "a|b[c]\"d");
}

TEST(PercentEncoding, RefusesABrokenEscape) {
    for (std::string_view bad : {"%", "%2", "a%2", "%zz", "%2g", "abc%"})
        EXPECT_EQ(url_decode(bad), std::nullopt) << bad;
}

TEST(PercentEncoding, AwsEncodingKeepsOnlyUnreservedCharacters) {
    EXPECT_EQ(aws_uri_encode("AZaz09-_.~", false), "AZaz09-_.~");
    EXPECT_EQ(aws_uri_encode("a b+c/d*e=f&g%", false), "a%20b%2Bc%2Fd%2Ae%3Df%26g%25");
    EXPECT_EQ(aws_uri_encode("dir/a b", true), "dir/a%20b");
    EXPECT_EQ(aws_uri_encode("\xc3\xa9\x01", false), "%C3%A9%01");
}

TEST(PercentEncoding, QuerySplitsDecodesAndSkipsEmptyParts) {
    auto q = parse_query("uploads&prefix=a%2Fb&&max-keys=2&marker=x+y&empty=");
    ASSERT_TRUE(q);
    QueryList expected{{"uploads", ""}, {"prefix", "a/b"}, {"max-keys", "2"}, {"marker", "x+y"}, {"empty", ""}};
    EXPECT_EQ(*q, expected);
    EXPECT_EQ(parse_query("a=%zz"), std::nullopt);
    EXPECT_EQ(parse_query("%g=1"), std::nullopt);
    auto none = parse_query("");
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

std::size_t sequence_length(std::string_view bytes, char32_t* code_point = nullptr) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    return utf8_sequence_length(p, p + bytes.size(), code_point);
}

TEST(Utf8Sequence, TheShortestFormOfEachLengthUpToU10FFFF) {
    char32_t cp = 0;
    EXPECT_EQ(sequence_length(std::string_view("\0", 1), &cp), 1u);
    EXPECT_EQ(cp, 0u);
    EXPECT_EQ(sequence_length("\x7f"), 1u);
    EXPECT_EQ(sequence_length("\xc2\x80", &cp), 2u);
    EXPECT_EQ(cp, 0x80u);
    EXPECT_EQ(sequence_length("\xe0\xa0\x80", &cp), 3u);
    EXPECT_EQ(cp, 0x800u);
    EXPECT_EQ(sequence_length("\xed\x9f\xbf", &cp), 3u);  // U+D7FF, below the surrogates
    EXPECT_EQ(cp, 0xD7FFu);
    EXPECT_EQ(sequence_length("\xef\xbf\xbf", &cp), 3u);  // U+FFFF: UTF-8, though not XML
    EXPECT_EQ(cp, 0xFFFFu);
    EXPECT_EQ(sequence_length("\xf0\x90\x80\x80", &cp), 4u);
    EXPECT_EQ(cp, 0x10000u);
    EXPECT_EQ(sequence_length("\xf4\x8f\xbf\xbf", &cp), 4u);
    EXPECT_EQ(cp, 0x10FFFFu);
    EXPECT_EQ(sequence_length("\xc3\xa9x"), 2u);  // what follows is not its
}

TEST(Utf8Sequence, WhatIsNotUtf8HasNoLength) {
    struct Case {
        std::string_view bytes;
        const char* why;
    };
    for (auto [bad, why] : std::initializer_list<Case>{
             {"\x80", "a lone continuation byte"},
             {"\xbf", "a lone continuation byte"},
             {"\xc0\xaf", "overlong 2-byte"},
             {"\xc1\xbf", "overlong 2-byte"},
             {"\xe0\x9f\xbf", "overlong 3-byte"},
             {"\xf0\x8f\xbf\xbf", "overlong 4-byte"},
             {"\xed\xa0\x80", "surrogate U+D800"},
             {"\xed\xbf\xbf", "surrogate U+DFFF"},
             {"\xf4\x90\x80\x80", "U+110000"},
             {"\xf5\x80\x80\x80", "lead byte past U+10FFFF"},
             {"\xf8\x88\x80\x80\x80", "5-byte lead"},
             {"\xff", "no lead byte"},
             {"\xc3", "cut short"},
             {"\xe2\x82", "cut short"},
             {"\xf0\x9f\x98", "cut short"},
             {"\xc3\x28", "a continuation byte missing"},
             {"\xe2\x28\xa1", "a continuation byte missing"},
             {"\xf0\x9f\x98\x28", "a continuation byte missing"},
         })
        EXPECT_EQ(sequence_length(bad), 0u) << why;
}

TEST(XmlText, WhatXml10CannotCarryIsPercentEncoded) {
    for (std::string_view ok : {"\t\n\r", "\x20\x7f", "\xef\xbf\xbd", "\xee\x80\x80", "\xf4\x8f\xbf\xbf"})
        EXPECT_TRUE(xml_can_carry(ok)) << ::testing::PrintToString(ok);
    for (std::string_view bad :
         {std::string_view("a\0b", 3), std::string_view("\x01"), std::string_view("\x1f"),
          std::string_view("\xef\xbf\xbe"), std::string_view("\xef\xbf\xbf"), std::string_view("\xed\xa0\x80"),
          std::string_view("\xf4\x90\x80\x80"), std::string_view("\xc0\xaf"), std::string_view("\x80")})
        EXPECT_FALSE(xml_can_carry(bad)) << ::testing::PrintToString(bad);
    EXPECT_EQ(xml_text("a\x01<b"), "a%01&lt;b");
    EXPECT_EQ(xml_text("\xf0\x9f\x98\x80 x\xef\xbf\xbey \xed\xa0\x80"), "\xf0\x9f\x98\x80 x%EF%BF%BEy %ED%A0%80");
    EXPECT_EQ(xml_text("\xe2\x82\xac\xf0\x9f\x98"), "\xe2\x82\xac%F0%9F%98");
    EXPECT_EQ(xml_key("k\xef\xbf\xbf/x"), "k%EF%BF%BF/x");
}

}  // namespace
}  // namespace ostor::gw
