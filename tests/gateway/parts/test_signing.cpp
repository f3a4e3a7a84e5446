// Signature V4 and V2 against AWS's published examples (the S3 API
// reference: "Examples of signature calculations", the chunked upload
// example, and the V2 REST authentication examples), and the aws-chunked
// decoder on AWS's chunked upload example.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "s3/aws_chunked.hpp"
#include "s3/signing.hpp"

namespace ostor::gw::s3 {
namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAmzDate = "20130524T000000Z";

std::string v4_signature(std::string_view method, std::string_view path, const QueryList& query,
                         const HeaderList& headers, std::string_view payload_hash, std::string_view skip_query = "") {
    std::vector<std::string> signed_headers;
    for (const auto& [name, value] : headers) signed_headers.push_back(name);
    std::string canonical = sigv4_canonical_request({.method = method,
                                                     .decoded_path = path,
                                                     .query = query,
                                                     .skip_query = skip_query,
                                                     .headers = headers,
                                                     .signed_headers = signed_headers,
                                                     .payload_hash = payload_hash});
    auto scope = sigv4_scope("20130524", "us-east-1", "s3");
    return sigv4_signature(sigv4_signing_key(kSecret, "20130524", "us-east-1", "s3"),
                           sigv4_string_to_sign(kAmzDate, scope, canonical));
}

// HMAC-SHA256 (util.cpp's, a MAC context per thread with its digest set once) on RFC 4231's
// test cases: a short key, a key of a whole block, and one longer than a
// block (hashed first).
TEST(HmacSha256, Rfc4231TestCases) {
    EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(hex_encode(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(
        hex_encode(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    EXPECT_EQ(hex_encode(hmac_sha256(std::string(64, 'k'), "a block-sized key")),
              "cbce58acdd790146ef8ba976f32c22ee528b6b83c53d8f7dbfd7ce13dd1d7ee7");
    EXPECT_EQ(hex_encode(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// A 32-byte key (a derived SigV4 key) used again starts from the keyed
// state kept from the call before: the same MACs as from a fresh key, and a
// key one bit apart is never taken for it (values from Python's hmac).
TEST(HmacSha256, ARememberedKeyGivesTheSameMacsAndNoOtherKeyDoes) {
    const std::string key = sha256("a signing key");
    std::string near_key = key;
    near_key.back() ^= 1;
    const char* kSigned = "463af2ed5867b4613b3679a4df5a66ed20c8359aacf1068e53fae6cb1dd293f5";
    for (int round = 0; round < 2; ++round) {
        EXPECT_EQ(hex_encode(hmac_sha256(key, "the string to sign")), kSigned);
        EXPECT_EQ(hex_encode(hmac_sha256(key, "the string to sign")), kSigned);
        EXPECT_EQ(hex_encode(hmac_sha256(key, "another chunk")),
                  "0a72bd2d84097259df4221aaff28485eaef91c2cd56fb0ba76ab9dea2323696b");
        EXPECT_EQ(hex_encode(hmac_sha256(near_key, "the string to sign")),
                  "7f27b728846b9286c00b70a645d56a27d0e2d3f6e395ea933c39d31942327a06");
        EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
                  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}

TEST(SigV4, GetObjectWithRange) {
    HeaderList headers = {{"host", "examplebucket.s3.amazonaws.com"},
                          {"range", "bytes=0-9"},
                          {"x-amz-content-sha256", std::string(kEmptySha256Hex)},
                          {"x-amz-date", std::string(kAmzDate)}};
    std::vector<std::string> signed_headers = {"host", "range", "x-amz-content-sha256", "x-amz-date"};
    QueryList none;
    std::string canonical = sigv4_canonical_request({.method = "GET",
                                                     .decoded_path = "/test.txt",
                                                     .query = none,
                                                     .skip_query = "",
                                                     .headers = headers,
                                                     .signed_headers = signed_headers,
                                                     .payload_hash = kEmptySha256Hex});
    EXPECT_EQ(canonical,
              "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
              "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
              "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sigv4_string_to_sign(kAmzDate, sigv4_scope("20130524", "us-east-1", "s3"), canonical),
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    EXPECT_EQ(v4_signature("GET", "/test.txt", none, headers, kEmptySha256Hex),
              "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, PutObjectWithAKeyToEncode) {
    const std::string body_sha = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    EXPECT_EQ(hex_encode(sha256("Welcome to Amazon S3.")), body_sha);
    HeaderList headers = {{"date", "Fri, 24 May 2013 00:00:00 GMT"},
                          {"host", "examplebucket.s3.amazonaws.com"},
                          {"x-amz-content-sha256", body_sha},
                          {"x-amz-date", std::string(kAmzDate)},
                          {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
    // The key is "test$file.text": '$' is signed as %24.
    EXPECT_EQ(v4_signature("PUT", "/test$file.text", {}, headers, body_sha),
              "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, SubResourceAndQueryParameters) {
    HeaderList headers = {{"host", "examplebucket.s3.amazonaws.com"},
                          {"x-amz-content-sha256", std::string(kEmptySha256Hex)},
                          {"x-amz-date", std::string(kAmzDate)}};
    EXPECT_EQ(v4_signature("GET", "/", {{"lifecycle", ""}}, headers, kEmptySha256Hex),
              "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    // Parameters are signed sorted, whatever order they came in.
    EXPECT_EQ(v4_signature("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, headers, kEmptySha256Hex),
              "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, PresignedUrlLeavesItsSignatureOut) {
    QueryList query = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
                       {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
                       {"X-Amz-Date", std::string(kAmzDate)},
                       {"X-Amz-Expires", "86400"},
                       {"X-Amz-SignedHeaders", "host"},
                       {"X-Amz-Signature", "anything"}};
    HeaderList headers = {{"host", "examplebucket.s3.amazonaws.com"}};
    EXPECT_EQ(v4_signature("GET", "/test.txt", query, headers, "UNSIGNED-PAYLOAD", "X-Amz-Signature"),
              "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

// AWS's chunked upload example: 66560 bytes of 'a' in chunks of 64 KiB and
// 1 KiB, signed in a chain from the seed signature.
struct ChunkedExample {
    static constexpr std::string_view kSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    static constexpr std::string_view kChunk1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
    static constexpr std::string_view kChunk2 = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
    static constexpr std::string_view kFinal = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";
    static std::string body(std::string_view chunk1_signature = kChunk1) {
        return "10000;chunk-signature=" + std::string(chunk1_signature) + "\r\n" + std::string(65536, 'a') +
               "\r\n400;chunk-signature=" + std::string(kChunk2) + "\r\n" + std::string(1024, 'a') +
               "\r\n0;chunk-signature=" + std::string(kFinal) + "\r\n\r\n";
    }
    static SigV4Chain chain() {
        return {sigv4_signing_key(kSecret, "20130524", "us-east-1", "s3"), std::string(kAmzDate),
                sigv4_scope("20130524", "us-east-1", "s3"), std::string(kSeed)};
    }
};

TEST(SigV4, ChunkedUploadSeedAndChunkSignatures) {
    HeaderList headers = {{"content-encoding", "aws-chunked"},
                          {"content-length", "66824"},
                          {"host", "s3.amazonaws.com"},
                          {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
                          {"x-amz-date", std::string(kAmzDate)},
                          {"x-amz-decoded-content-length", "66560"},
                          {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
    EXPECT_EQ(ChunkedExample::body().size(), 66824u);
    EXPECT_EQ(v4_signature("PUT", "/examplebucket/chunkObject.txt", {}, headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
              ChunkedExample::kSeed);
    auto key = sigv4_signing_key(kSecret, "20130524", "us-east-1", "s3");
    auto scope = sigv4_scope("20130524", "us-east-1", "s3");
    auto chunk1 = sigv4_signature(key, sigv4_chunk_string_to_sign(kAmzDate, scope, ChunkedExample::kSeed,
                                                                  hex_encode(sha256(std::string(65536, 'a')))));
    EXPECT_EQ(chunk1, ChunkedExample::kChunk1);
    auto chunk2 = sigv4_signature(
        key, sigv4_chunk_string_to_sign(kAmzDate, scope, chunk1, hex_encode(sha256(std::string(1024, 'a')))));
    EXPECT_EQ(chunk2, ChunkedExample::kChunk2);
    EXPECT_EQ(sigv4_signature(key, sigv4_chunk_string_to_sign(kAmzDate, scope, chunk2, kEmptySha256Hex)),
              ChunkedExample::kFinal);
}

// A body held in memory, handed out in reads of at most `step` bytes (as a
// socket would).
class MemoryBody final : public BodyReader {
public:
    MemoryBody(std::string data, std::size_t step) : data_(std::move(data)), step_(step) {}
    std::ptrdiff_t read(std::span<std::byte> out) override {
        std::size_t n = std::min({out.size(), step_, data_.size() - pos_});
        std::memcpy(out.data(), data_.data() + pos_, n);
        pos_ += n;
        return static_cast<std::ptrdiff_t>(n);
    }
    bool done() const override { return pos_ == data_.size(); }

private:
    std::string data_;
    std::size_t step_;
    std::size_t pos_ = 0;
};

// Reads `reader` to its end; nullopt when a read failed.
std::optional<std::string> read_all(BodyReader& reader) {
    std::string out;
    std::vector<std::byte> buf(7000);
    for (;;) {
        auto n = reader.read(buf);
        if (n < 0) return std::nullopt;
        if (n == 0) return out;
        out.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
    }
}

TEST(AwsChunked, DecodesAndChecksAwsExample) {
    for (std::size_t step : {1u << 20, 4093u, 1u}) {
        MemoryBody raw(ChunkedExample::body(), step);
        AwsChunkedReader reader(raw, PayloadMode::StreamingSigned, ChunkedExample::chain());
        auto decoded = read_all(reader);
        ASSERT_TRUE(decoded) << "step " << step;
        EXPECT_EQ(*decoded, std::string(66560, 'a'));
        EXPECT_TRUE(reader.done());
    }
}

TEST(AwsChunked, AWrongChunkSignatureIsSignatureDoesNotMatch) {
    std::string wrong(ChunkedExample::kChunk1);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    MemoryBody raw(ChunkedExample::body(wrong), 1 << 20);
    AwsChunkedReader reader(raw, PayloadMode::StreamingSigned, ChunkedExample::chain());
    EXPECT_FALSE(read_all(reader));
    ASSERT_TRUE(reader.error());
    EXPECT_EQ(reader.error()->code, "SignatureDoesNotMatch");
}

TEST(AwsChunked, ATruncatedBodyFails) {
    auto body = ChunkedExample::body();
    MemoryBody raw(body.substr(0, 40000), 1 << 20);
    AwsChunkedReader reader(raw, PayloadMode::StreamingSigned, ChunkedExample::chain());
    EXPECT_FALSE(read_all(reader));
}

TEST(AwsChunked, UnsignedTrailerModeTakesTheTrailers) {
    std::string body = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
    MemoryBody raw(body, 3);
    AwsChunkedReader reader(raw, PayloadMode::StreamingUnsignedTrailer, {});
    auto decoded = read_all(reader);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, "hello");
    ASSERT_EQ(reader.trailers().size(), 1u);
    EXPECT_EQ(reader.trailers()[0].first, "x-amz-checksum-crc32");
    EXPECT_EQ(reader.trailers()[0].second, "NhCmhg==");
}

// Signature V2 (the REST authentication examples, with the same example
// key pair).
TEST(SigV2, RestAuthenticationExamples) {
    EXPECT_EQ(sigv2_signature(kSecret, sigv2_string_to_sign("GET", "", "", "Tue, 27 Mar 2007 19:36:42 +0000", "",
                                                            "/awsexamplebucket1/photos/puppy.jpg")),
              "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");
    EXPECT_EQ(sigv2_signature(kSecret, sigv2_string_to_sign("PUT", "", "image/jpeg", "Tue, 27 Mar 2007 21:15:45 +0000",
                                                            "", "/awsexamplebucket1/photos/puppy.jpg")),
              "iqRzw+ileNPu1fhspnRs8nOjjIA=");
    QueryList acl = {{"acl", ""}};
    EXPECT_EQ(sigv2_signature(kSecret, sigv2_string_to_sign("GET", "", "", "Tue, 27 Mar 2007 19:44:46 +0000", "",
                                                            "/awsexamplebucket1/" + sigv2_subresources(acl))),
              "82ZHiFIjc+WbcwFKGUVEQspPn+0=");
    // x-amz-* headers sorted, one name's values joined, Date left empty
    // when x-amz-date is given.
    HeaderList headers = {{"x-amz-meta-reviewedby", "joe@example.com"},
                          {"x-amz-meta-filechecksum", "0x02661779"},
                          {"x-amz-acl", "public-read"},
                          {"x-amz-meta-reviewedby", "jane@example.com"},
                          {"x-amz-meta-checksumalgorithm", "crc32"}};
    auto amz = sigv2_amz_headers(headers);
    EXPECT_EQ(amz,
              "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
              "x-amz-meta-reviewedby:joe@example.com,jane@example.com\n");
    EXPECT_EQ(sigv2_signature(kSecret, sigv2_string_to_sign("PUT", "4gJE4saaMU4BqNR0kLY+lw==", "application/x-download",
                                                            "Tue, 27 Mar 2007 21:06:08 +0000", amz,
                                                            "/static.example.com/db-backup.dat.gz")),
              "jtBQa0Aq+DkULFI8qrpwIjGEx0E=");
}

TEST(SigV2, OnlySubResourcesAreSignedSorted) {
    QueryList query = {{"uploadId", "abc"}, {"partNumber", "2"}, {"prefix", "x"}, {"max-keys", "3"}};
    EXPECT_EQ(sigv2_subresources(query), "?partNumber=2&uploadId=abc");
    EXPECT_EQ(sigv2_subresources({{"ostor-users", ""}, {"emailAddress", "a@b"}}), "?ostor-users");
    EXPECT_EQ(sigv2_subresources({}), "");
}

}  // namespace
}  // namespace ostor::gw::s3
