// The one error table: every code maps to an S3 code, an HTTP status, an errno
// and a CLI exit status; Error and Result behave as the header promises.
#include <cerrno>
#include <set>
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

constexpr Errc kFirst = Errc::InvalidArgument;
constexpr Errc kLast = Errc::SlowDown;

std::vector<Errc> all_codes() {
    std::vector<Errc> out;
    for (int i = static_cast<int>(kFirst); i <= static_cast<int>(kLast); ++i) out.push_back(static_cast<Errc>(i));
    return out;
}

TEST(Errors, EveryCodeHasACompleteRow) {
    for (Errc code : all_codes()) {
        const ErrorInfo& info = error_info(code);
        SCOPED_TRACE(static_cast<int>(code));
        EXPECT_EQ(info.code, code);
        EXPECT_FALSE(info.name.empty());
        EXPECT_FALSE(info.s3_code.empty());
        EXPECT_FALSE(info.message.empty());
        EXPECT_GE(info.http_status, 400);
        EXPECT_LE(info.http_status, 599);
        EXPECT_GT(info.errno_value, 0);
        EXPECT_NE(info.exit_status, 0) << info.name << ": a failure must not exit with 0";
    }
}

TEST(Errors, NamesAreUniqueAndMatchTheEnumerators) {
    std::set<std::string_view> names;
    for (Errc code : all_codes()) EXPECT_TRUE(names.insert(error_info(code).name).second) << error_info(code).name;
    EXPECT_EQ(error_info(Errc::InvalidArgument).name, "InvalidArgument");
    EXPECT_EQ(error_info(Errc::NoSuchBucket).name, "NoSuchBucket");
    EXPECT_EQ(error_info(Errc::QuotaExceeded).name, "QuotaExceeded");
    EXPECT_EQ(error_info(Errc::NoSuchUsageObject).name, "NoSuchUsageObject");
}

TEST(Errors, NoSuchBucketIs404WithENOENT) {
    const auto& i = error_info(Errc::NoSuchBucket);
    EXPECT_EQ(i.s3_code, "NoSuchBucket");
    EXPECT_EQ(i.http_status, 404);
    EXPECT_EQ(i.errno_value, ENOENT);
}

TEST(Errors, NoSuchKeyIs404WithENOENT) {
    const auto& i = error_info(Errc::NoSuchKey);
    EXPECT_EQ(i.s3_code, "NoSuchKey");
    EXPECT_EQ(i.http_status, 404);
    EXPECT_EQ(i.errno_value, ENOENT);
}

TEST(Errors, NoSuchUserAndAccountAre404WithENOENT) {
    for (Errc c : {Errc::NoSuchUser, Errc::NoSuchAccount, Errc::NoSuchUpload, Errc::NoSuchUsageObject}) {
        SCOPED_TRACE(error_info(c).name);
        EXPECT_EQ(error_info(c).http_status, 404);
        EXPECT_EQ(error_info(c).errno_value, ENOENT);
    }
    EXPECT_EQ(error_info(Errc::NoSuchUpload).s3_code, "NoSuchUpload");
}

TEST(Errors, BucketNotEmptyIs409WithENOTEMPTY) {
    const auto& i = error_info(Errc::BucketNotEmpty);
    EXPECT_EQ(i.s3_code, "BucketNotEmpty");
    EXPECT_EQ(i.http_status, 409);
    EXPECT_EQ(i.errno_value, ENOTEMPTY);
}

TEST(Errors, OwnerHasBucketsIs409WithENOTEMPTY) {
    for (Errc c : {Errc::UserHasBuckets, Errc::AccountHasBuckets}) {
        SCOPED_TRACE(error_info(c).name);
        EXPECT_EQ(error_info(c).http_status, 409);
        EXPECT_EQ(error_info(c).errno_value, ENOTEMPTY);
    }
}

TEST(Errors, AlreadyExistsCodesAre409WithEEXIST) {
    for (Errc c : {Errc::BucketAlreadyExists, Errc::BucketAlreadyOwnedByYou, Errc::UserAlreadyExists,
                   Errc::AccountAlreadyExists}) {
        SCOPED_TRACE(error_info(c).name);
        EXPECT_EQ(error_info(c).http_status, 409);
        EXPECT_EQ(error_info(c).errno_value, EEXIST);
    }
    EXPECT_EQ(error_info(Errc::BucketAlreadyExists).s3_code, "BucketAlreadyExists");
    EXPECT_EQ(error_info(Errc::BucketAlreadyOwnedByYou).s3_code, "BucketAlreadyOwnedByYou");
}

TEST(Errors, QuotaExceededIs403) {
    const auto& i = error_info(Errc::QuotaExceeded);
    EXPECT_EQ(i.s3_code, "QuotaExceeded");
    EXPECT_EQ(i.http_status, 403);
    EXPECT_EQ(i.errno_value, EDQUOT);
}

TEST(Errors, InvalidArgumentIs400WithEINVAL) {
    const auto& i = error_info(Errc::InvalidArgument);
    EXPECT_EQ(i.s3_code, "InvalidArgument");
    EXPECT_EQ(i.http_status, 400);
    EXPECT_EQ(i.errno_value, EINVAL);
}

TEST(Errors, BadInputCodesAre400) {
    for (Errc c : {Errc::InvalidBucketName, Errc::InvalidEmail, Errc::InvalidAccountName, Errc::InvalidObjectName,
                   Errc::EntityTooSmall, Errc::EntityTooLarge, Errc::BadDigest, Errc::InvalidPart,
                   Errc::InvalidPartOrder, Errc::InvalidLimit}) {
        SCOPED_TRACE(error_info(c).name);
        EXPECT_EQ(error_info(c).http_status, 400);
    }
    EXPECT_EQ(error_info(Errc::InvalidBucketName).s3_code, "InvalidBucketName");
    EXPECT_EQ(error_info(Errc::BadDigest).s3_code, "BadDigest");
    EXPECT_EQ(error_info(Errc::InvalidPart).s3_code, "InvalidPart");
    EXPECT_EQ(error_info(Errc::InvalidPartOrder).s3_code, "InvalidPartOrder");
    EXPECT_EQ(error_info(Errc::EntityTooSmall).s3_code, "EntityTooSmall");
    EXPECT_EQ(error_info(Errc::EntityTooLarge).s3_code, "EntityTooLarge");
}

// "echo bogus > limits" must answer "Invalid argument" (docs/architecture.md).
TEST(Errors, InvalidLimitIsEINVAL) { EXPECT_EQ(error_info(Errc::InvalidLimit).errno_value, EINVAL); }

TEST(Errors, InvalidRangeIs416) {
    EXPECT_EQ(error_info(Errc::InvalidRange).s3_code, "InvalidRange");
    EXPECT_EQ(error_info(Errc::InvalidRange).http_status, 416);
}

TEST(Errors, ServerSideFailuresAre5xx) {
    for (Errc c : {Errc::Internal, Errc::IoError, Errc::DataCorrupted, Errc::NoSpace}) {
        SCOPED_TRACE(error_info(c).name);
        EXPECT_GE(error_info(c).http_status, 500);
    }
    EXPECT_EQ(error_info(Errc::Internal).s3_code, "InternalError");
    EXPECT_EQ(error_info(Errc::Internal).http_status, 500);
    EXPECT_EQ(error_info(Errc::NoSpace).errno_value, ENOSPC);
    EXPECT_EQ(error_info(Errc::IoError).errno_value, EIO);
}

TEST(Errors, DisabledUserIsAccessDenied) {
    EXPECT_EQ(error_info(Errc::UserDisabled).s3_code, "AccessDenied");
    EXPECT_EQ(error_info(Errc::UserDisabled).http_status, 403);
}

TEST(Errors, UnknownCodeGetsTheInternalRow) {
    EXPECT_EQ(error_info(static_cast<Errc>(0)).code, Errc::Internal);
    EXPECT_EQ(error_info(static_cast<Errc>(60000)).code, Errc::Internal);
}

TEST(Errors, MessageDefaultsToTheTableAndKeepsASpecificOne) {
    Error plain(Errc::NoSuchBucket);
    EXPECT_EQ(plain.code(), Errc::NoSuchBucket);
    EXPECT_EQ(plain.message(), error_info(Errc::NoSuchBucket).message);
    EXPECT_EQ(&plain.info(), &error_info(Errc::NoSuchBucket));
    Error specific(Errc::NoSuchBucket, "bucket 'x' is gone");
    EXPECT_EQ(specific.message(), "bucket 'x' is gone");
}

Result<int> half(int v) {
    if (v % 2) return Result<int>(Errc::InvalidArgument, "odd");
    return v / 2;
}

Result<void> quarter_is_even(int v, int& out) {
    auto h = half(v);
    OSTOR_TRY(h);
    auto q = half(*h);
    OSTOR_TRY(q);
    out = *q;
    return {};
}

TEST(Errors, ResultCarriesValueOrErrorAndTryPropagates) {
    auto ok = half(8);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 4);
    auto bad = half(3);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code(), Errc::InvalidArgument);
    EXPECT_EQ(bad.error().message(), "odd");

    int out = -1;
    EXPECT_TRUE(quarter_is_even(8, out));
    EXPECT_EQ(out, 2);
    auto r = quarter_is_even(6, out);  // 6/2 = 3 is odd
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
    EXPECT_EQ(out, 2);  // untouched
}

}  // namespace
}  // namespace ostor::test
