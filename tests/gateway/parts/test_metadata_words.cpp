// User metadata values between headers and storage
// (gateway-lite/s3/metadata_words.hpp): RFC 2047 encoded-words decoded on
// the way in, non-ASCII values encoded on the way out, ASCII untouched.
#include <gtest/gtest.h>

#include <string>

#include "s3/metadata_words.hpp"
#include "util.hpp"

namespace ostor::gw::s3 {
namespace {

TEST(MetadataWords, AsciiPassesBothWaysByteForByte) {
    for (std::string v : {"", "plain", " spaced  out\t", "=?not a word", "a=?b?c?=d", "=?UTF-8?X?abc?=", "50%_off?="}) {
        EXPECT_EQ(stored_metadata_value(v), v);
        EXPECT_EQ(metadata_header_value(v), v);
    }
}

TEST(MetadataWords, EncodedWordsAreDecoded) {
    // "héllo" in B and in Q, charset and encoding in any case.
    EXPECT_EQ(stored_metadata_value("=?UTF-8?B?aMOpbGxv?="), "h\xc3\xa9llo");
    EXPECT_EQ(stored_metadata_value("=?utf-8?b?aMOpbGxv?="), "h\xc3\xa9llo");
    EXPECT_EQ(stored_metadata_value("=?UTF-8?Q?h=C3=A9llo_world?="), "h\xc3\xa9llo world");
    EXPECT_EQ(stored_metadata_value("=?Utf-8?q?h=c3=a9llo?="), "h\xc3\xa9llo");
    // Other charsets become UTF-8; an RFC 2231 language is ignored.
    EXPECT_EQ(stored_metadata_value("=?ISO-8859-1?Q?h=E9llo?="), "h\xc3\xa9llo");
    EXPECT_EQ(stored_metadata_value("=?windows-1252?Q?=80?="), "\xe2\x82\xac");
    EXPECT_EQ(stored_metadata_value("=?UTF-8*en?Q?hi?="), "hi");
    // Space between adjacent words goes; space next to plain text stays.
    EXPECT_EQ(stored_metadata_value("=?UTF-8?Q?a?= =?UTF-8?Q?b?=  tail =?UTF-8?Q?c?="), "ab  tail c");
    EXPECT_EQ(stored_metadata_value("=?UTF-8?Q?"
                                    "?="),
              "");
}

TEST(MetadataWords, MalformedWordsAreKeptAsSent) {
    for (std::string v : {"=?UTF-8?B?not base64!?=", "=?UTF-8?Q?bad=ZZ?=", "=?UTF-8?Q?cut=C?=", "=?UTF-8?B?/w==?=",
                          "=?no-such-charset?Q?x?=", "=?UTF-8//TRANSLIT?Q?x?=",
                          "=?"
                          "?Q?x?=",
                          "=?UTF-8?Q?a b?=", "x=?UTF-8?Q?a?=", "=?US-ASCII?Q?=C3=A9?="}) {
        EXPECT_EQ(stored_metadata_value(v), v) << v;
    }
    EXPECT_EQ(stored_metadata_value("ok =?UTF-8?B?/w==?= =?UTF-8?Q?b?="), "ok =?UTF-8?B?/w==?= b");
}

TEST(MetadataWords, RawBytesAreStoredAsUtf8) {
    EXPECT_EQ(stored_metadata_value("h\xc3\xa9llo"), "h\xc3\xa9llo");  // UTF-8: as sent
    EXPECT_EQ(stored_metadata_value("h\xe9llo"), "h\xc3\xa9llo");      // not UTF-8: ISO-8859-1
    EXPECT_EQ(stored_metadata_value("\xc3\xa9 =?UTF-8?Q?=C3=A9?="), "\xc3\xa9 \xc3\xa9");
    // At the edges of UTF-8: U+10FFFF is; U+110000, a surrogate, an
    // overlong form and a lone continuation byte are not.
    EXPECT_EQ(stored_metadata_value("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");
    EXPECT_EQ(stored_metadata_value("\xf4\x90\x80\x80"), "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80");
    EXPECT_EQ(stored_metadata_value("\xed\xa0\x80"), "\xc3\xad\xc2\xa0\xc2\x80");
    EXPECT_EQ(stored_metadata_value("\xc0\xaf"), "\xc3\x80\xc2\xaf");
    EXPECT_EQ(stored_metadata_value("a\x80"), "a\xc2\x80");
}

TEST(MetadataWords, NonAsciiGoesOutAsOneBWord) {
    EXPECT_EQ(metadata_header_value("h\xc3\xa9llo"), "=?UTF-8?B?aMOpbGxv?=");
    EXPECT_EQ(metadata_header_value("Hello World\xc3\xa9"), "=?UTF-8?B?SGVsbG8gV29ybGTDqQ==?=");
    // Control characters (a decoded =0D=0A) cannot go in a header either.
    EXPECT_EQ(metadata_header_value("a\r\nb"), "=?UTF-8?B?YQ0KYg==?=");
    // A value stored before decoding, not UTF-8, is read as ISO-8859-1.
    EXPECT_EQ(metadata_header_value("h\xe9llo"), "=?UTF-8?B?aMOpbGxv?=");
    // A long value: words of at most 75 characters, of whole characters
    // (45 bytes of text each), a space between them; it reads back whole.
    std::string long_value(44, 'x');
    long_value += "\xe2\x82\xac";  // the euro sign across the first 45 bytes
    long_value += std::string(100, 'y');
    auto header = metadata_header_value(long_value);
    EXPECT_TRUE(header.starts_with("=?UTF-8?B?" + base64_encode(std::string(44, 'x')) + "?= =?UTF-8?B?")) << header;
    std::size_t words = 0;
    for (std::size_t at = 0; at < header.size(); ++words) {
        auto end = std::min(header.find(' ', at), header.size());
        EXPECT_LE(end - at, 75u) << header;
        at = end + 1;
    }
    EXPECT_EQ(words, 4u) << header;
    EXPECT_EQ(stored_metadata_value(header), long_value);
    // A 4-byte character that would end past byte 45 starts the next word.
    const std::string emoji = "\xf0\x9f\x98\x80";
    EXPECT_EQ(metadata_header_value(std::string(43, 'x') + emoji),
              "=?UTF-8?B?" + base64_encode(std::string(43, 'x')) + "?= =?UTF-8?B?" + base64_encode(emoji) + "?=");
}

}  // namespace
}  // namespace ostor::gw::s3
