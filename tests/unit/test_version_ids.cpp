// Version ids (docs/versioning.md, "Version ids"): an instance is 16 hex digits
// of ~t and 8 random ones, so a key's versions sort newest first by their id;
// only "null" and 24 lowercase hex digits name a version.
#include <gtest/gtest.h>

#include <string>

#include "versions/version_ids.hpp"

namespace ostor::detail {
namespace {

constexpr std::int64_t kSomeTimeUs = 1'764'806'400'000'000;  // 2025-12-04, in µs

TEST(VersionIds, AnInstanceIsTheComplementOfItsTimeThenTheRandomPart) {
    EXPECT_EQ(make_instance(0, 0), "ffffffffffffffff00000000");
    EXPECT_EQ(make_instance(1, 0xabcdef12), "fffffffffffffffeabcdef12");
    std::string id = make_instance(kSomeTimeUs, random_instance_part());
    EXPECT_EQ(id.size(), kInstanceChars);
    EXPECT_TRUE(is_instance(id));
    EXPECT_EQ(instance_time_us(id), kSomeTimeUs);
}

TEST(VersionIds, ANewerTimeSortsFirstWhateverTheRandomParts) {
    EXPECT_LT(make_instance(kSomeTimeUs + 1, 0xffffffff), make_instance(kSomeTimeUs, 0));
    EXPECT_LT(make_instance(kSomeTimeUs + 1'000'000, 0), make_instance(kSomeTimeUs, 0xffffffff));
}

TEST(VersionIds, ANewTimeIsAboveTheNewestEvenWhenTheClockStepsBack) {
    EXPECT_EQ(next_instance_time(kSomeTimeUs, std::nullopt), kSomeTimeUs);
    EXPECT_EQ(next_instance_time(kSomeTimeUs, kSomeTimeUs - 5), kSomeTimeUs);
    EXPECT_EQ(next_instance_time(kSomeTimeUs, kSomeTimeUs), kSomeTimeUs + 1);  // same µs: never a tie
    EXPECT_EQ(next_instance_time(kSomeTimeUs - 60'000'000, kSomeTimeUs), kSomeTimeUs + 1);
}

TEST(VersionIds, OnlyNullAnd24LowercaseHexDigitsAreVersionIds) {
    EXPECT_TRUE(is_version_id("null"));
    EXPECT_TRUE(is_version_id("0123456789abcdef01234567"));
    EXPECT_FALSE(is_instance("null"));
    for (std::string_view bad :
         {"", "NULL", "Null", "0123456789ABCDEF01234567", "0123456789abcdef0123456", "0123456789abcdef012345678",
          "0123456789abcdef0123456g", "0123456789abcdef 1234567", "../../etc/passwd"}) {
        SCOPED_TRACE(std::string(bad));
        EXPECT_FALSE(is_version_id(bad));
        EXPECT_FALSE(instance_time_us(bad).has_value());
    }
}

TEST(VersionIds, RandomPartsDiffer) {
    // Two draws in a row being equal has probability 2^-32.
    EXPECT_NE(random_instance_part(), random_instance_part());
}

}  // namespace
}  // namespace ostor::detail
