// Validation of names shared by every face: buckets, e-mails, accounts, keys,
// usage objects.
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

TEST(Names, ValidBucketNamesAccepted) {
    for (std::string_view name : {"abc", "my-bucket", "my.bucket.name", "a1b", "123", "0-0", "bucket-2024.logs",
                                  "1.2.3", "192.168.1.1a", "a.b.c.d.e"}) {
        EXPECT_TRUE(IsOk(validate_bucket_name(name))) << name;
    }
    EXPECT_TRUE(IsOk(validate_bucket_name(std::string(63, 'a'))));
    EXPECT_TRUE(IsOk(validate_bucket_name(std::string(3, 'z'))));
}

TEST(Names, BucketNameLengthTwoAndSixtyFourRefused) {
    EXPECT_TRUE(FailsWith(validate_bucket_name("ab"), Errc::InvalidBucketName));
    EXPECT_TRUE(FailsWith(validate_bucket_name(std::string(64, 'a')), Errc::InvalidBucketName));
    EXPECT_TRUE(FailsWith(validate_bucket_name(""), Errc::InvalidBucketName));
    EXPECT_TRUE(FailsWith(validate_bucket_name("a"), Errc::InvalidBucketName));
}

TEST(Names, BucketNameUppercaseRefused) {
    EXPECT_TRUE(FailsWith(validate_bucket_name("MyBucket"), Errc::InvalidBucketName));
    EXPECT_TRUE(FailsWith(validate_bucket_name("bucketA"), Errc::InvalidBucketName));
}

TEST(Names, BucketNameIPv4Refused) {
    EXPECT_TRUE(FailsWith(validate_bucket_name("192.168.5.4"), Errc::InvalidBucketName));
    EXPECT_TRUE(FailsWith(validate_bucket_name("10.0.0.1"), Errc::InvalidBucketName));
    EXPECT_TRUE(FailsWith(validate_bucket_name("255.255.255.255"), Errc::InvalidBucketName));
}

TEST(Names, BucketNameAdjacentDotsAndDashDotRefused) {
    for (std::string_view name : {"my..bucket", "my.-bucket", "my-.bucket", "a..b"})
        EXPECT_TRUE(FailsWith(validate_bucket_name(name), Errc::InvalidBucketName)) << name;
}

TEST(Names, BucketNameMustStartAndEndWithLetterOrDigit) {
    for (std::string_view name : {"-abc", "abc-", ".abc", "abc."})
        EXPECT_TRUE(FailsWith(validate_bucket_name(name), Errc::InvalidBucketName)) << name;
}

TEST(Names, BucketNameForeignCharactersRefused) {
    for (std::string_view name : {"my_bucket", "my bucket", "my/bucket", "b\xc3\xa9t", "abc\n", "a:bc"})
        EXPECT_TRUE(FailsWith(validate_bucket_name(name), Errc::InvalidBucketName)) << name;
}

TEST(Names, BucketNameReservedPrefixesAndSuffixesRefused) {
    for (std::string_view name : {"xn--abc", "xn--bcher-kva", "sthree-bucket", "data-s3alias", "data--ol-s3"})
        EXPECT_TRUE(FailsWith(validate_bucket_name(name), Errc::InvalidBucketName)) << name;
    // Only as a prefix: "xn--" elsewhere is fine.
    EXPECT_TRUE(IsOk(validate_bucket_name("axn--b")));
}

TEST(Names, ValidEmailsAccepted) {
    for (std::string_view email :
         {"user@example.com", "First.Last+tag@sub.example.org", "a@b", "x_y-z@host.io", "UPPER@EXAMPLE.COM"})
        EXPECT_TRUE(IsOk(validate_email(email))) << email;
}

TEST(Names, EmailWithSlashRefused) {
    EXPECT_TRUE(FailsWith(validate_email("user/x@example.com"), Errc::InvalidEmail));
    EXPECT_TRUE(FailsWith(validate_email("user@example.com/x"), Errc::InvalidEmail));
}

TEST(Names, EmailWithSpacesRefused) {
    EXPECT_TRUE(FailsWith(validate_email("user @example.com"), Errc::InvalidEmail));
    EXPECT_TRUE(FailsWith(validate_email(" user@example.com"), Errc::InvalidEmail));
    EXPECT_TRUE(FailsWith(validate_email("user@example.com "), Errc::InvalidEmail));
    EXPECT_TRUE(FailsWith(validate_email("us\ter@example.com"), Errc::InvalidEmail));
}

TEST(Names, EmailWithoutAtRefused) {
    EXPECT_TRUE(FailsWith(validate_email("userexample.com"), Errc::InvalidEmail));
    EXPECT_TRUE(FailsWith(validate_email(""), Errc::InvalidEmail));
    EXPECT_TRUE(FailsWith(validate_email("@example.com"), Errc::InvalidEmail));
    EXPECT_TRUE(FailsWith(validate_email("user@"), Errc::InvalidEmail));
    EXPECT_TRUE(FailsWith(validate_email("a@b@c"), Errc::InvalidEmail));
}

TEST(Names, EmailLongerThan254BytesRefused) {
    std::string ok = std::string(64, 'u') + "@" + std::string(189, 'd');  // 254 bytes
    ASSERT_EQ(ok.size(), 254u);
    EXPECT_TRUE(IsOk(validate_email(ok)));
    EXPECT_TRUE(FailsWith(validate_email(ok + "d"), Errc::InvalidEmail));
}

TEST(Names, ValidAccountNamesAccepted) {
    for (std::string_view name : {"acc1", "My_Account-1.x", "A", "finance"})
        EXPECT_TRUE(IsOk(validate_account_name(name))) << name;
    EXPECT_TRUE(IsOk(validate_account_name(std::string(64, 'a'))));
}

TEST(Names, InvalidAccountNamesRefused) {
    for (std::string_view name : {"", "a b", "a/b", "a@b", "acc\xc3\xa9", "a:b"})
        EXPECT_TRUE(FailsWith(validate_account_name(name), Errc::InvalidAccountName)) << name;
    EXPECT_TRUE(FailsWith(validate_account_name(std::string(65, 'a')), Errc::InvalidAccountName));
}

TEST(Names, ObjectKeyOf1024BytesAcceptedAnd1025Refused) {
    EXPECT_TRUE(IsOk(validate_object_key(std::string(1024, 'k'))));
    EXPECT_TRUE(FailsWith(validate_object_key(std::string(1025, 'k')), Errc::InvalidObjectName));
}

TEST(Names, EmptyObjectKeyRefused) { EXPECT_TRUE(FailsWith(validate_object_key(""), Errc::InvalidObjectName)); }

TEST(Names, ObjectKeysOfAnyUtf8Accepted) {
    for (std::string_view key : {"a", "dir/sub/file.txt", "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", "with space",
                                 "emoji-\xf0\x9f\x98\x80", "../..", "/leading", "trailing/"})
        EXPECT_TRUE(IsOk(validate_object_key(key))) << key;
}

TEST(Names, ObjectKeyWithInvalidUtf8Refused) {
    EXPECT_TRUE(FailsWith(validate_object_key("bad\xff"), Errc::InvalidObjectName));
    EXPECT_TRUE(FailsWith(validate_object_key("\xc3"), Errc::InvalidObjectName));  // truncated sequence
}

TEST(Names, UsageObjectNames) {
    EXPECT_TRUE(IsOk(validate_usage_object_name("s3-usage-0100000000000001-2024-01-01T00:00:00.000Z-3600")));
    EXPECT_TRUE(IsOk(validate_usage_object_name(std::string(255, 'u'))));
    EXPECT_TRUE(FailsWith(validate_usage_object_name(std::string(256, 'u')), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(validate_usage_object_name(""), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(validate_usage_object_name("a/b"), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(validate_usage_object_name("has space"), Errc::InvalidArgument));
}

}  // namespace
}  // namespace ostor::test
