// What an admin call names (a user by email or id, a bucket, a default),
// resolved once for the CLI, the REST API and the FUSE tree.
#include <string>

#include "ostor/admin_targets.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

constexpr admin::TargetSpelling kSpelling{"-e or -i", "-b", "-o"};

class AdminTargets : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        uid_ = user_with_bucket("bkt", "owner@example.com");
        other_ = make_user("other@example.com");
        ASSERT_FALSE(uid_.empty());
        ASSERT_FALSE(other_.empty());
    }
    std::string uid_, other_;
};

TEST_F(AdminTargets, UserIsNamedByEmailByIdOrByBothAlike) {
    auto by_email = admin::resolve_user(engine(), {.email = "OWNER@example.com"}, kSpelling);
    ASSERT_TRUE(by_email) << by_email.error().message();
    EXPECT_EQ(by_email->id, uid_);
    auto by_id = admin::resolve_user(engine(), {.user_id = uid_}, kSpelling);
    ASSERT_TRUE(by_id) << by_id.error().message();
    EXPECT_EQ(by_id->id, uid_);
    auto both = admin::resolve_user(engine(), {.email = "owner@example.com", .user_id = uid_}, kSpelling);
    ASSERT_TRUE(both) << both.error().message();
    EXPECT_EQ(both->id, uid_);
}

TEST_F(AdminTargets, EmailAndIdOfDifferentUsersAreRefused) {
    auto r = admin::resolve_user(engine(), {.email = "owner@example.com", .user_id = other_}, kSpelling);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
}

TEST_F(AdminTargets, NoUserOrAnEmptyNameIsRefusedWithTheFacesSpelling) {
    auto none = admin::resolve_user(engine(), {}, kSpelling);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code(), Errc::InvalidArgument);
    EXPECT_NE(none.error().message().find("-e or -i"), std::string::npos) << none.error().message();
    auto empty = admin::resolve_user(engine(), {.email = ""}, kSpelling);
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code(), Errc::InvalidArgument);
    auto unknown = admin::resolve_user(engine(), {.email = "nobody@example.com"}, kSpelling);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code(), Errc::NoSuchUser);
}

TEST_F(AdminTargets, LimitTargetIsExactlyOneUserOrExistingBucket) {
    auto user = admin::resolve_limit_target(engine(), {.email = "owner@example.com"}, kSpelling);
    ASSERT_TRUE(user) << user.error().message();
    EXPECT_EQ(user->kind, LimitTarget::Kind::User);
    EXPECT_EQ(user->id, uid_);
    auto bucket = admin::resolve_limit_target(engine(), {.bucket = "bkt"}, kSpelling);
    ASSERT_TRUE(bucket) << bucket.error().message();
    EXPECT_EQ(bucket->kind, LimitTarget::Kind::Bucket);
    EXPECT_EQ(bucket->id, "bkt");

    auto missing = admin::resolve_limit_target(engine(), {.bucket = "nobkt"}, kSpelling);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), Errc::NoSuchBucket);
    for (const admin::TargetNames& bad :
         {admin::TargetNames{}, admin::TargetNames{.email = "owner@example.com", .bucket = "bkt"},
          admin::TargetNames{.defaults = "user"}}) {
        auto r = admin::resolve_limit_target(engine(), bad, kSpelling);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
    }
}

TEST_F(AdminTargets, QuotaTargetIsExactlyOneUserBucketOrDefault) {
    auto d_user = admin::resolve_quota_target(engine(), {.defaults = "user"}, kSpelling);
    ASSERT_TRUE(d_user) << d_user.error().message();
    EXPECT_EQ(d_user->kind, QuotaTarget::Kind::DefaultUser);
    auto d_bucket = admin::resolve_quota_target(engine(), {.defaults = "bucket"}, kSpelling);
    ASSERT_TRUE(d_bucket) << d_bucket.error().message();
    EXPECT_EQ(d_bucket->kind, QuotaTarget::Kind::DefaultBucket);
    auto user = admin::resolve_quota_target(engine(), {.user_id = uid_}, kSpelling);
    ASSERT_TRUE(user) << user.error().message();
    EXPECT_EQ(user->kind, QuotaTarget::Kind::User);
    auto bucket = admin::resolve_quota_target(engine(), {.bucket = "bkt"}, kSpelling);
    ASSERT_TRUE(bucket) << bucket.error().message();
    EXPECT_EQ(bucket->kind, QuotaTarget::Kind::Bucket);

    for (const admin::TargetNames& bad : {admin::TargetNames{}, admin::TargetNames{.defaults = "account"},
                                          admin::TargetNames{.bucket = "bkt", .defaults = "user"}}) {
        auto r = admin::resolve_quota_target(engine(), bad, kSpelling);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
    }
}

}  // namespace
}  // namespace ostor::test
