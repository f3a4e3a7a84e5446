// A browser upload's parts (POST Object): the multipart/form-data reader
// (gateway-lite/s3/form_data.hpp) fed in pieces as a connection delivers
// them, and the policy document's parser and checker (s3/post_policy.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "s3/form_data.hpp"
#include "s3/post_policy.hpp"

namespace ostor::gw::s3 {
namespace {

// A body handed out `piece` bytes at a time (a boundary then falls across
// reads), optionally failing at its end as a dropped connection does.
class PieceBody final : public BodyReader {
public:
    PieceBody(std::string data, std::size_t piece, bool fail_at_end = false)
        : data_(std::move(data)), piece_(piece), fail_(fail_at_end) {}
    std::ptrdiff_t read(std::span<std::byte> out) override {
        if (at_ == data_.size()) return fail_ ? -1 : 0;
        std::size_t n = std::min({piece_, out.size(), data_.size() - at_});
        std::memcpy(out.data(), data_.data() + at_, n);
        at_ += n;
        return static_cast<std::ptrdiff_t>(n);
    }
    bool done() const override { return at_ == data_.size(); }

private:
    std::string data_;
    std::size_t piece_;
    bool fail_;
    std::size_t at_ = 0;
};

struct Parsed {
    std::vector<std::pair<FormPartHead, std::string>> parts;
    FormStatus last;
};

Parsed parse_all(const std::string& body, std::size_t piece, std::string_view boundary = "XyZ") {
    PieceBody b(body, piece);
    FormReader r(b, boundary);
    Parsed out;
    for (;;) {
        FormPartHead head;
        out.last = r.next_part(head);
        if (out.last != FormStatus::Part) return out;
        std::string value;
        if (!r.read_value(value, 1 << 20)) {
            out.last = r.failure();
            return out;
        }
        out.parts.emplace_back(head, value);
    }
}

const std::string kForm =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"key\"\r\n\r\n"
    "uploads/${filename}\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "line one\r\n--XyY\r\nx--XyZ\r\n\r\nend\r\n"
    "--XyZ--\r\n";

TEST(FormData, BoundaryFromContentType) {
    EXPECT_EQ(form_boundary("multipart/form-data; boundary=----WebKit123"), "----WebKit123");
    EXPECT_EQ(form_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
    EXPECT_EQ(form_boundary("multipart/mixed; boundary=x"), std::nullopt);
    EXPECT_EQ(form_boundary("multipart/form-data"), std::nullopt);
    EXPECT_EQ(form_boundary("multipart/form-data; boundary=" + std::string(71, 'a')), std::nullopt);
}

TEST(FormData, PartsWholeAndWithBoundariesSplitAcrossEveryRead) {
    for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, kForm.size()}) {
        auto p = parse_all(kForm, piece);
        ASSERT_EQ(p.last, FormStatus::End) << piece;
        ASSERT_EQ(p.parts.size(), 2u) << piece;
        EXPECT_EQ(p.parts[0].first.name, "key");
        EXPECT_EQ(p.parts[0].first.filename, std::nullopt);
        EXPECT_EQ(p.parts[0].second, "uploads/${filename}");
        EXPECT_EQ(p.parts[1].first.name, "file");
        EXPECT_EQ(p.parts[1].first.filename, "a \"b\".txt");
        EXPECT_EQ(p.parts[1].first.content_type, "text/plain");
        // CRLF inside the data, and the boundary without the CRLF before it, are data.
        EXPECT_EQ(p.parts[1].second, "line one\r\n--XyY\r\nx--XyZ\r\n\r\nend") << piece;
    }
}

TEST(FormData, AWindowsPathFilenameKeepsItsBackslashes) {
    // Old browsers send the file's full path, unescaped; only \" and \\ are escapes.
    auto p = parse_all(
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
        "filename=\"C:\\Users\\b\\\\c.jpg\"\r\n\r\nx\r\n--XyZ--",
        5);
    ASSERT_EQ(p.last, FormStatus::End);
    ASSERT_EQ(p.parts.size(), 1u);
    EXPECT_EQ(p.parts[0].first.filename, "C:\\Users\\b\\c.jpg");
}

TEST(FormData, SkippingAPartStopsPastItsLimit) {
    const std::string body = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n" + std::string(300000, 'p') +
                             "\r\n--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\nv\r\n--XyZ--";
    for (std::uint64_t limit : {std::uint64_t{299999}, std::uint64_t{300000}}) {
        PieceBody b(body, 4096);
        FormReader r(b, "XyZ");
        FormPartHead head;
        ASSERT_EQ(r.next_part(head), FormStatus::Part);
        EXPECT_EQ(head.name, "a");
        auto status = r.next_part(head, limit);
        EXPECT_EQ(status, limit < 300000 ? FormStatus::Malformed : FormStatus::Part) << limit;
        if (status == FormStatus::Part) {
            EXPECT_EQ(head.name, "b");
        }
    }
}

TEST(FormData, PreambleAndPaddingAreSkippedAndTheEpilogueIgnored) {
    auto p =
        parse_all("a preamble\r\n--XyZ \t\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--epilogue", 4);
    ASSERT_EQ(p.last, FormStatus::End);
    ASSERT_EQ(p.parts.size(), 1u);
    EXPECT_EQ(p.parts[0].first.name, "a");
    EXPECT_EQ(p.parts[0].second, "v");
}

TEST(FormData, EmptyValueAndBinaryData) {
    std::string data("\0\r\r\n-\r\n--X", 10);
    auto p = parse_all(
        "--XyZ\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"b\"\r\n\r\n" +
            data + "\r\n--XyZ--",
        3);
    ASSERT_EQ(p.last, FormStatus::End);
    ASSERT_EQ(p.parts.size(), 2u);
    EXPECT_EQ(p.parts[0].second, "");
    EXPECT_EQ(p.parts[1].second, data);
}

TEST(FormData, MissingFinalBoundaryIsMalformed) {
    // The file's data runs to the end of the body: no delimiter closes it.
    auto p = parse_all("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", 2);
    EXPECT_EQ(p.last, FormStatus::Malformed);
    EXPECT_TRUE(p.parts.empty());
    // A delimiter, then nothing: neither "--" nor a part head.
    p = parse_all("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc\r\n--XyZ", 5);
    EXPECT_EQ(p.last, FormStatus::Malformed);
    EXPECT_EQ(p.parts.size(), 1u);
}

TEST(FormData, BadHeadsAreMalformed) {
    // No Content-Disposition name; a disposition other than form-data; a
    // header line without a colon; bytes after the boundary other than CRLF;
    // no boundary at all.
    for (const char* body :
         {"--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--",
          "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--XyZ--",
          "--XyZ\r\nContent-Disposition form-data\r\n\r\nv\r\n--XyZ--",
          "--XyZjunk\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--", "no boundary here at all"})
        EXPECT_EQ(parse_all(body, 3).last, FormStatus::Malformed) << body;
}

TEST(FormData, HugeHeadOrPreambleIsRefusedNotBuffered) {
    std::string big(64 * 1024, 'x');
    EXPECT_EQ(parse_all("--XyZ\r\nX-Big: " + big + "\r\n\r\nv\r\n--XyZ--", 4096).last, FormStatus::Malformed);
    EXPECT_EQ(parse_all(big + "\r\n--XyZ--", 4096).last, FormStatus::Malformed);
}

TEST(FormData, ALargeFileStreamsThroughTheFixedBuffer) {
    std::string data;
    for (int i = 0; data.size() < 3 * 1024 * 1024; ++i) data += "chunk " + std::to_string(i) + "\r\n--XyY--XyZ\r\n-";
    auto body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n" + data + "\r\n--XyZ--";
    PieceBody b(body, 65536 + 13);
    FormReader r(b, "XyZ");
    FormPartHead head;
    ASSERT_EQ(r.next_part(head), FormStatus::Part);
    std::string got;
    std::vector<std::byte> out(100000);
    for (;;) {
        auto n = r.read(out);
        ASSERT_GE(n, 0);
        if (n == 0) break;
        got.append(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
    }
    EXPECT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data);
    EXPECT_EQ(r.next_part(head), FormStatus::End);
}

TEST(FormData, AFailedReadIsReadFailed) {
    PieceBody b("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", 8, /*fail_at_end=*/true);
    FormReader r(b, "XyZ");
    FormPartHead head;
    ASSERT_EQ(r.next_part(head), FormStatus::Part);
    std::string v;
    EXPECT_FALSE(r.read_value(v, 100));
    EXPECT_EQ(r.failure(), FormStatus::ReadFailed);
}

TEST(FormData, ValueOverTheLimitIsRefused) {
    PieceBody b("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n0123456789\r\n--XyZ--", 3);
    FormReader r(b, "XyZ");
    FormPartHead head;
    ASSERT_EQ(r.next_part(head), FormStatus::Part);
    std::string v;
    EXPECT_FALSE(r.read_value(v, 5));
    EXPECT_GT(v.size(), 5u);
}

// ---- the policy ----------------------------------------------------------------

constexpr std::int64_t kNow = 1'900'000'000'000;  // 2030-03-17
const std::string kPolicy = R"({"expiration": "2030-06-01T12:00:00.000Z",
  "conditions": [{"bucket": "photos"}, ["starts-with", "$key", "user/"], {"acl": "public-read"},
                 ["eq", "$Content-Type", "image/png"], ["starts-with", "$x-amz-meta-tag", ""],
                 ["content-length-range", 10, "2048"]]})";

PostPolicy parsed(const std::string& text) {
    auto p = parse_post_policy(text);
    EXPECT_TRUE(std::holds_alternative<PostPolicy>(p))
        << (std::holds_alternative<std::string>(p) ? std::get<std::string>(p) : "");
    return std::holds_alternative<PostPolicy>(p) ? std::get<PostPolicy>(p) : PostPolicy{};
}

FormFields good_fields() {
    return {{"key", "user/cat.png"},
            {"acl", "public-read"},
            {"content-type", "image/png"},
            {"x-amz-meta-tag", "anything"},
            {"policy", "..."},
            {"x-amz-signature", "..."},
            {"x-ignore-me", "1"}};
}

TEST(PostPolicy, ParsesConditionsAndLengthRange) {
    auto p = parsed(kPolicy);
    EXPECT_EQ(p.expiration_ms, 1'906'545'600'000);
    EXPECT_EQ(p.conditions.size(), 5u);
    EXPECT_EQ(p.min_length, 10u);
    EXPECT_EQ(p.max_length, 2048u);
    EXPECT_EQ(p.conditions[1].field, "key");
    EXPECT_EQ(p.conditions[3].field, "content-type");  // field names are case-insensitive
    EXPECT_EQ(check_post_policy(p, good_fields(), "photos", kNow), std::nullopt);
}

TEST(PostPolicy, ExpiredPolicy) {
    auto p = parsed(kPolicy);
    EXPECT_EQ(check_post_policy(p, good_fields(), "photos", p.expiration_ms + 1),
              "Invalid according to Policy: Policy expired.");
}

TEST(PostPolicy, UnmetConditionsAreNamed) {
    auto p = parsed(kPolicy);
    auto f = good_fields();
    f[0].second = "other/cat.png";
    EXPECT_EQ(check_post_policy(p, f, "photos", kNow),
              "Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", \"user/\"]");
    EXPECT_EQ(check_post_policy(p, good_fields(), "videos", kNow),
              "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$bucket\", \"photos\"]");
    f = good_fields();
    f[2].second = "image/png2";
    EXPECT_EQ(check_post_policy(p, f, "photos", kNow),
              "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$content-type\", \"image/png\"]");
    // A field a condition names but the form lacks fails its condition.
    f = good_fields();
    f.erase(f.begin() + 1);
    EXPECT_NE(check_post_policy(p, f, "photos", kNow), std::nullopt);
}

TEST(PostPolicy, StartsWithHoldsForEachContentTypeOfAList) {
    auto p = parsed(R"({"expiration": "2031-01-01T00:00:00Z", "conditions": [["starts-with", "$Content-Type", "image/"],
        ["starts-with", "$x-amz-meta-a", "x"]]})");
    auto check = [&](std::string type, std::string meta) {
        return check_post_policy(p, {{"content-type", type}, {"x-amz-meta-a", meta}}, "b", kNow);
    };
    EXPECT_EQ(check("image/png", "x"), std::nullopt);
    EXPECT_EQ(check("image/jpg,image/png, image/gif", "x"), std::nullopt);
    EXPECT_NE(check("image/png,text/html", "x"), std::nullopt);
    EXPECT_NE(check("image/png,", "x"), std::nullopt);
    // Only Content-Type is a list.
    EXPECT_EQ(check("image/png", "x,y"), std::nullopt);
}

TEST(PostPolicy, EveryFieldMustBeNamedButTheExemptOnes) {
    auto p = parsed(kPolicy);
    auto f = good_fields();
    f.emplace_back("x-amz-meta-other", "v");
    EXPECT_EQ(check_post_policy(p, f, "photos", kNow),
              "Invalid according to Policy: Extra input fields: x-amz-meta-other");
    f = good_fields();
    f.emplace_back("awsaccesskeyid", "AK");
    f.emplace_back("signature", "s");
    f.emplace_back("file", "");
    EXPECT_EQ(check_post_policy(p, f, "photos", kNow), std::nullopt);
}

TEST(PostPolicy, MalformedDocumentsAreRefused) {
    for (const char* text : {
             "not json",
             "[]",
             R"({"conditions": []})",
             R"({"expiration": "tomorrow", "conditions": []})",
             R"({"expiration": "2030-01-01T00:00:00Z"})",
             R"({"expiration": "2030-01-01T00:00:00Z", "conditions": {}})",
             R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "key", "v"]]})",
             R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["matches", "$key", "v"]]})",
             R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$key"]]})",
             R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": "1", "b": "2"}]})",
             R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": 1}]})",
             R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 5, 1]]})",
             R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", -1, 1]]})",
             R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [[[[[[[[[[[]]]]]]]]]]]})",
         }) {
        auto p = parse_post_policy(text);
        ASSERT_TRUE(std::holds_alternative<std::string>(p)) << text;
        EXPECT_TRUE(std::get<std::string>(p).starts_with("Invalid Policy: ")) << text;
    }
}

TEST(PostPolicy, ExpirationWithoutFractionAndAnEmptyPrefix) {
    auto p = parsed(R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["starts-with", "$key", ""]]})");
    EXPECT_EQ(p.expiration_ms, 1'893'456'000'000);
    EXPECT_EQ(check_post_policy(p, {{"key", "anything"}}, "b", kNow - 1'000'000'000'000), std::nullopt);
}

}  // namespace
}  // namespace ostor::gw::s3
