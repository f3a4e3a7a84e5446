// Range and conditional headers (gateway-lite/s3/conditions.hpp), as S3
// applies RFC 9110: the forms clients send, and which condition decides.
#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "s3/conditions.hpp"
#include "util.hpp"

namespace ostor::gw::s3 {
namespace {

TEST(Range, TheThreeFormsS3Takes) {
    auto r = parse_range("bytes=0-9");
    EXPECT_EQ(r.kind, RangeRequest::Kind::Absolute);
    EXPECT_EQ(r.first, 0u);
    EXPECT_EQ(r.last, 9u);
    r = parse_range("bytes=100-");
    EXPECT_EQ(r.kind, RangeRequest::Kind::Absolute);
    EXPECT_EQ(r.first, 100u);
    EXPECT_FALSE(r.last);
    r = parse_range("bytes=-500");
    EXPECT_EQ(r.kind, RangeRequest::Kind::Suffix);
    EXPECT_EQ(r.suffix, 500u);
    r = parse_range("  bytes= 5 - 5 ");
    EXPECT_EQ(r.kind, RangeRequest::Kind::Absolute);
    EXPECT_EQ(r.first, 5u);
    EXPECT_EQ(r.last, 5u);
    // A suffix of 0 bytes is a form of its own (answered 416 by GET).
    EXPECT_EQ(parse_range("bytes=-0").kind, RangeRequest::Kind::Suffix);
}

TEST(Range, WhatHttpLetsAServerIgnoreIsIgnored) {
    for (const char* header : {"", "bytes=0-1,4-5", "items=0-9", "bytes=9-0", "bytes=a-b", "bytes=-", "bytes=5",
                               "bytes=--5", "bytes=99999999999999999999-", "0-9"})
        EXPECT_EQ(parse_range(header).kind, RangeRequest::Kind::None) << header;
}

TEST(ETags, ListsQuotesWeakTagsAndTheWildcard) {
    EXPECT_TRUE(etag_matches("\"abc\"", "abc"));
    EXPECT_TRUE(etag_matches("abc", "abc"));
    EXPECT_TRUE(etag_matches("W/\"abc\"", "abc"));
    EXPECT_TRUE(etag_matches("\"x\", \"abc\"", "abc"));
    EXPECT_TRUE(etag_matches("*", "abc"));
    EXPECT_FALSE(etag_matches("\"abcd\"", "abc"));
    EXPECT_FALSE(etag_matches("", "abc"));
    EXPECT_EQ(unquote_etag(" \"d41d8cd98f00b204e9800998ecf8427e-2\" "), "d41d8cd98f00b204e9800998ecf8427e-2");
}

// The object: ETag "e", last modified Wed, 21 Oct 2015 07:28:00 GMT.
constexpr std::int64_t kModifiedMs = 1445412480000 + 250;  // the stored time has milliseconds
constexpr std::int64_t kNowMs = 1700000000000;
const std::string kEtag = "e";
const std::string kBefore = "Wed, 21 Oct 2015 07:27:59 GMT";
const std::string kAtModification = "Wed, 21 Oct 2015 07:28:00 GMT";
const std::string kAfter = "Wed, 21 Oct 2015 07:28:01 GMT";
const std::string kFuture = "Wed, 21 Oct 2099 07:28:00 GMT";
const std::string kMatching = "\"e\"";
const std::string kOther = "\"other\"";
const std::string kGarbage = "yesterday";

Precondition read(ConditionalHeaders h) { return evaluate_preconditions(h, kEtag, kModifiedMs, true, kNowMs); }
Precondition write(ConditionalHeaders h) { return evaluate_preconditions(h, kEtag, kModifiedMs, false, kNowMs); }

TEST(Preconditions, EachAlone) {
    EXPECT_EQ(read({}), Precondition::Met);
    EXPECT_EQ(read({.if_match = &kMatching}), Precondition::Met);
    EXPECT_EQ(read({.if_match = &kOther}), Precondition::Failed);
    EXPECT_EQ(read({.if_none_match = &kOther}), Precondition::Met);
    EXPECT_EQ(read({.if_none_match = &kMatching}), Precondition::NotModified);
    EXPECT_EQ(write({.if_none_match = &kMatching}), Precondition::Failed);  // 412 on a write or copy
    // Times compare in whole seconds: modified at 07:28:00.250 is "not
    // modified since 07:28:00".
    EXPECT_EQ(read({.if_modified_since = &kAtModification}), Precondition::NotModified);
    EXPECT_EQ(read({.if_modified_since = &kBefore}), Precondition::Met);
    EXPECT_EQ(read({.if_unmodified_since = &kAtModification}), Precondition::Met);
    EXPECT_EQ(read({.if_unmodified_since = &kBefore}), Precondition::Failed);
}

TEST(Preconditions, ETagConditionsDecideOverDates) {
    // If-Match true and If-Unmodified-Since false: 200 (S3's GetObject).
    EXPECT_EQ(read({.if_match = &kMatching, .if_unmodified_since = &kBefore}), Precondition::Met);
    // If-None-Match false and If-Modified-Since false: 200.
    EXPECT_EQ(read({.if_none_match = &kOther, .if_modified_since = &kAfter}), Precondition::Met);
    // If-None-Match true wins whatever the date.
    EXPECT_EQ(read({.if_none_match = &kMatching, .if_modified_since = &kBefore}), Precondition::NotModified);
    // If-Match failing is 412 even when If-None-Match would be 304.
    EXPECT_EQ(read({.if_match = &kOther, .if_none_match = &kMatching}), Precondition::Failed);
}

TEST(Preconditions, DatesThatDoNotApplyAreIgnored) {
    EXPECT_EQ(read({.if_modified_since = &kGarbage}), Precondition::Met);
    EXPECT_EQ(read({.if_unmodified_since = &kGarbage}), Precondition::Met);
    // A date in the future is not a valid If-Modified-Since.
    EXPECT_EQ(read({.if_modified_since = &kFuture}), Precondition::Met);
    // If-Modified-Since is for reads only.
    EXPECT_EQ(write({.if_modified_since = &kAfter}), Precondition::Met);
}

// http_date formats 1970-9999 itself: the same text as strftime's over
// gmtime_r, on a sweep of instants (leap days, month and year ends) and at
// the ends of its range.
TEST(HttpDate, FormatsAsStrftimeDoes) {
    auto reference = [](std::int64_t ms) {
        std::time_t t = static_cast<std::time_t>(ms / 1000);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        return std::string(buf);
    };
    EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(http_date(951782400123), "Tue, 29 Feb 2000 00:00:00 GMT");
    EXPECT_EQ(http_date(253402300799999), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(http_date(253402300800000), "Sat, 01 Jan 10000 00:00:00 GMT");  // past the range: strftime's
    for (std::int64_t ms = 0; ms < 4102444800000; ms += 86399999 / 7 * 13)
        EXPECT_EQ(http_date(ms), reference(ms)) << ms;
    // Coarser up to 9999, and the days after February in 2100, 2200 and 2300
    // (not leap years) and 29 February 2400 (one).
    for (std::int64_t ms = 4102444800000; ms < 253402300800000; ms += 37 * 86400000LL + 3723001)
        EXPECT_EQ(http_date(ms), reference(ms)) << ms;
    for (std::int64_t year_start_ms : {4107542400000LL, 7263216000000LL, 10418889600000LL, 13574563200000LL})
        EXPECT_EQ(http_date(year_start_ms), reference(year_start_ms)) << year_start_ms;
}

}  // namespace
}  // namespace ostor::gw::s3
