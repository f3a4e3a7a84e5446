// Percent-encoding as S3 needs it (gateway-lite/util.hpp, on Boost.URL): the
// escapes of a request's path and query, and AWS's canonical encoding that
// signatures and encoding-type=url listings are made of.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ostor::gw
