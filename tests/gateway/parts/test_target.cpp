// Request targets (gateway-lite/s3/target.hpp): path-style and
// virtual-host-style addressing, as clients send them.
#include <gtest/gtest.h>

#include "s3/target.hpp"

namespace ostor::gw::s3 {
namespace {

RequestTarget parsed(std::string_view target, std::string_view host = "127.0.0.1:9000",
                     std::string_view domain = "s3.example.com") {
    auto t = parse_target(target, host, domain);
    if (auto* e = std::get_if<S3Error>(&t)) ADD_FAILURE() << target << ": " << e->code;
    return std::get_if<RequestTarget>(&t) ? std::get<RequestTarget>(t) : RequestTarget{};
}

TEST(Target, PathStyle) {
    auto t = parsed("/bucket/dir/a%20b.txt?uploadId=x&partNumber=2");
    EXPECT_EQ(t.path, "/bucket/dir/a%20b.txt");
    EXPECT_EQ(t.bucket, "bucket");
    EXPECT_EQ(t.key, "dir/a b.txt");
    EXPECT_TRUE(t.key_given);
    EXPECT_EQ(t.vhost_bucket, "");
    ASSERT_EQ(t.query.size(), 2u);
    EXPECT_EQ(t.query[0], (std::pair<std::string, std::string>{"uploadId", "x"}));
    // "/bucket/" names the bucket: no key.
    t = parsed("/bucket/");
    EXPECT_EQ(t.bucket, "bucket");
    EXPECT_FALSE(t.key_given);
    t = parsed("/");
    EXPECT_EQ(t.bucket, "");
    EXPECT_FALSE(t.key_given);
}

TEST(Target, VirtualHostStyle) {
    auto t = parsed("/photos/cat.jpg", "My-Bucket.S3.Example.com:9000");
    EXPECT_EQ(t.bucket, "my-bucket");
    EXPECT_EQ(t.vhost_bucket, "my-bucket");
    EXPECT_EQ(t.key, "photos/cat.jpg");
    // Dots in the bucket name: all leading labels.
    t = parsed("/k", "a.b.c.s3.example.com");
    EXPECT_EQ(t.bucket, "a.b.c");
    // The domain itself, or no domain configured: path-style.
    t = parsed("/bucket/k", "s3.example.com");
    EXPECT_EQ(t.bucket, "bucket");
    t = parsed("/bucket/k", "bucket.s3.example.com", "");
    EXPECT_EQ(t.bucket, "bucket");
    // An IPv6 literal's colons are not a port.
    t = parsed("/bucket/k", "[::1]:9000");
    EXPECT_EQ(t.bucket, "bucket");
}

TEST(Target, AbsoluteForm) {
    auto t = parsed("http://127.0.0.1:9000/bucket/key?acl");
    EXPECT_EQ(t.path, "/bucket/key");
    EXPECT_EQ(t.key, "key");
    EXPECT_EQ(parsed("http://127.0.0.1:9000").path, "/");
}

TEST(Target, BadTargetsAreRefused) {
    auto bad = [](std::string_view target) {
        auto t = parse_target(target, "h", "");
        auto* e = std::get_if<S3Error>(&t);
        return e ? e->code : std::string("(parsed)");
    };
    EXPECT_EQ(bad("bucket/key"), "InvalidRequest");
    EXPECT_EQ(bad(""), "InvalidRequest");
    EXPECT_EQ(bad("/bucket/%zz"), "InvalidArgument");
    EXPECT_EQ(bad("/bucket/%4"), "InvalidArgument");
    EXPECT_EQ(bad("/bucket/k?a=%g0"), "InvalidArgument");
    // Found by fuzzing: "//key" named a key under no bucket, and was
    // answered as the service (GET listed the caller's buckets).
    EXPECT_EQ(bad("//key"), "InvalidBucketName");
}

}  // namespace
}  // namespace ostor::gw::s3
