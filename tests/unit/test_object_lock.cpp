// The rules of object lock (docs/versioning.md, "Object lock"): COMPLIANCE is
// never shortened nor removed, bypass or not; GOVERNANCE gives way to bypass
// only; a legal hold blocks removal; a version counts as retained for the
// clock margin past its date; defaults count a year as 365 days.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <limits>

#include "versions/object_lock.hpp"

namespace ostor::detail {
namespace {

constexpr TimestampMs kNow = 1'764'806'400'000;
constexpr TimestampMs kHour = 3'600'000;
constexpr TimestampMs kMargin = 5 * 60'000;  // as a RADOS volume's clock skew allowance

ObjectLock retained(RetentionMode mode, TimestampMs until) { return ObjectLock{Retention{mode, until}, false}; }

bool locked(const Result<void>& r) { return !r && r.error().code() == Errc::ObjectLocked; }

TEST(ObjectLockRules, AVersionWithoutLockIsRemovable) {
    EXPECT_TRUE(may_remove(ObjectLock{}, kNow, false, kMargin));
    EXPECT_FALSE(retention_active(Retention{}, kNow));
}

TEST(ObjectLockRules, ComplianceIsNeverRemovedBeforeItsDateEvenWithBypass) {
    ObjectLock lock = retained(RetentionMode::Compliance, kNow + kHour);
    EXPECT_TRUE(locked(may_remove(lock, kNow, false, 0)));
    EXPECT_TRUE(locked(may_remove(lock, kNow, true, 0)));
    EXPECT_TRUE(locked(may_remove(lock, kNow + kHour - 1, true, 0)));
    EXPECT_TRUE(may_remove(lock, kNow + kHour, false, 0));  // retained until, not through, its date
}

TEST(ObjectLockRules, GovernanceGivesWayToBypassOnly) {
    ObjectLock lock = retained(RetentionMode::Governance, kNow + kHour);
    EXPECT_TRUE(locked(may_remove(lock, kNow, false, 0)));
    EXPECT_TRUE(may_remove(lock, kNow, true, 0));
    EXPECT_TRUE(may_remove(lock, kNow + kHour, false, 0));
}

TEST(ObjectLockRules, ALegalHoldBlocksRemovalWhateverTheRetentionAndBypass) {
    ObjectLock hold{Retention{}, true};
    EXPECT_TRUE(locked(may_remove(hold, kNow, false, 0)));
    EXPECT_TRUE(locked(may_remove(hold, kNow, true, 0)));
    ObjectLock expired_with_hold{Retention{RetentionMode::Governance, kNow - kHour}, true};
    EXPECT_TRUE(locked(may_remove(expired_with_hold, kNow, true, 0)));
}

TEST(ObjectLockRules, TheClockMarginKeepsAVersionPastItsDate) {
    ObjectLock lock = retained(RetentionMode::Compliance, kNow);
    EXPECT_TRUE(may_remove(lock, kNow, false, 0));
    EXPECT_TRUE(locked(may_remove(lock, kNow, false, kMargin)));
    EXPECT_TRUE(locked(may_remove(lock, kNow + kMargin - 1, false, kMargin)));
    EXPECT_TRUE(may_remove(lock, kNow + kMargin, false, kMargin));
    EXPECT_TRUE(retention_active(lock.retention, kNow + kMargin - 1, kMargin));
}

TEST(ObjectLockRules, ARefusalSaysWhy) {
    auto r = may_remove(retained(RetentionMode::Compliance, kNow + kHour), kNow, true, 0);
    ASSERT_FALSE(r);
    EXPECT_NE(std::string(r.error().message()).find("COMPLIANCE"), std::string::npos) << r.error().message();
    auto h = may_remove(ObjectLock{Retention{}, true}, kNow, false, 0);
    ASSERT_FALSE(h);
    EXPECT_NE(std::string(h.error().message()).find("legal hold"), std::string::npos) << h.error().message();
}

TEST(ObjectLockRules, ComplianceMayOnlyBeExtended) {
    Retention old{RetentionMode::Compliance, kNow + kHour};
    for (bool bypass : {false, true}) {
        SCOPED_TRACE(bypass);
        EXPECT_TRUE(may_set_retention(old, {RetentionMode::Compliance, kNow + 2 * kHour}, kNow, bypass));
        EXPECT_TRUE(may_set_retention(old, old, kNow, bypass));
        EXPECT_TRUE(locked(may_set_retention(old, {RetentionMode::Compliance, kNow + kHour - 1}, kNow, bypass)));
        EXPECT_TRUE(locked(may_set_retention(old, Retention{}, kNow, bypass)));  // removal
        EXPECT_TRUE(locked(may_set_retention(old, {RetentionMode::Governance, kNow + 2 * kHour}, kNow, bypass)));
    }
}

TEST(ObjectLockRules, GovernanceIsExtendedFreelyAndOtherwiseChangedWithBypass) {
    Retention old{RetentionMode::Governance, kNow + kHour};
    EXPECT_TRUE(may_set_retention(old, {RetentionMode::Governance, kNow + 2 * kHour}, kNow, false));
    EXPECT_TRUE(locked(may_set_retention(old, {RetentionMode::Governance, kNow + 1}, kNow, false)));
    EXPECT_TRUE(locked(may_set_retention(old, Retention{}, kNow, false)));
    EXPECT_TRUE(locked(may_set_retention(old, {RetentionMode::Compliance, kNow + 2 * kHour}, kNow, false)));
    EXPECT_TRUE(may_set_retention(old, {RetentionMode::Governance, kNow + 1}, kNow, true));
    EXPECT_TRUE(may_set_retention(old, Retention{}, kNow, true));
    EXPECT_TRUE(may_set_retention(old, {RetentionMode::Compliance, kNow + 2 * kHour}, kNow, true));
}

TEST(ObjectLockRules, AnExpiredRetentionMayBeReplacedByAnything) {
    Retention old{RetentionMode::Compliance, kNow - 1};
    EXPECT_TRUE(may_set_retention(old, Retention{}, kNow, false));
    EXPECT_TRUE(may_set_retention(old, {RetentionMode::Governance, kNow + kHour}, kNow, false));
    EXPECT_TRUE(may_set_retention(Retention{}, {RetentionMode::Compliance, kNow + kHour}, kNow, false));
}

TEST(ObjectLockDefaults, DaysAndYearsOfAYearOf365Days) {
    ObjectLockConfig days{true, RetentionMode::Governance, 3, 0};
    auto r = default_retention(days, kNow);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->mode, RetentionMode::Governance);
    EXPECT_EQ(r->until_ms, kNow + 3 * kMsPerDay);
    ObjectLockConfig years{true, RetentionMode::Compliance, 0, 2};
    r = default_retention(years, kNow);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->mode, RetentionMode::Compliance);
    EXPECT_EQ(r->until_ms, kNow + 2 * 365 * kMsPerDay);
}

TEST(ObjectLockDefaults, APeriodStoredBeyondTheAcceptedRangeStopsAtTheLatestDateAndStillRetains) {
    // set_object_lock_config refuses such periods; a record holding one
    // (written before the range checks, or by hand) must not wrap around.
    constexpr TimestampMs kMax = std::numeric_limits<TimestampMs>::max();
    ObjectLockConfig years{true, RetentionMode::Compliance, 0, std::numeric_limits<std::uint32_t>::max()};
    auto r = default_retention(years, kNow);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->until_ms, kMaxRetainUntilMs);  // the latest date S3 clients read
    EXPECT_TRUE(locked(may_remove(retained(RetentionMode::Compliance, r->until_ms), kNow, true, kMargin)));
    // The clock margin added to the latest date does not wrap either.
    EXPECT_TRUE(retention_active(Retention{RetentionMode::Governance, kMax - 1}, kNow, kMargin));
}

TEST(ObjectLockDefaults, NoneWithoutLockOrWithoutADefaultMode) {
    EXPECT_FALSE(default_retention(ObjectLockConfig{}, kNow));
    EXPECT_FALSE(default_retention(ObjectLockConfig{true, RetentionMode::None, 0, 0}, kNow));
    EXPECT_FALSE(default_retention(ObjectLockConfig{false, RetentionMode::Governance, 1, 0}, kNow));
}

TEST(ObjectLockDefaults, ANewVersionTakesTheRequestsLockElseTheDefault) {
    ObjectLockConfig config{true, RetentionMode::Governance, 1, 0};
    auto by_default = lock_of_new_version(config, std::nullopt, kNow);
    ASSERT_TRUE(by_default);
    EXPECT_EQ(by_default->retention.until_ms, kNow + kMsPerDay);
    EXPECT_FALSE(by_default->legal_hold);

    ObjectLock asked = retained(RetentionMode::Compliance, kNow + kHour);
    auto requested = lock_of_new_version(config, asked, kNow);
    ASSERT_TRUE(requested);
    EXPECT_EQ(requested->retention.mode, RetentionMode::Compliance);
    EXPECT_EQ(requested->retention.until_ms, kNow + kHour);

    auto hold_only = lock_of_new_version(config, ObjectLock{Retention{}, true}, kNow);
    ASSERT_TRUE(hold_only);
    EXPECT_TRUE(hold_only->legal_hold);
    EXPECT_EQ(hold_only->retention.mode, RetentionMode::Governance);
    EXPECT_EQ(hold_only->retention.until_ms, kNow + kMsPerDay);
}

TEST(ObjectLockDefaults, LockSettingsOnABucketWithoutLockAreRefused) {
    auto r = lock_of_new_version(ObjectLockConfig{}, ObjectLock{Retention{}, true}, kNow);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
    auto none = lock_of_new_version(ObjectLockConfig{}, std::nullopt, kNow);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->retention.mode, RetentionMode::None);
}

// How each face reports the new codes (the one error table).
TEST(VersionErrors, LockedIsAccessDeniedAndEperm) {
    const ErrorInfo& i = error_info(Errc::ObjectLocked);
    EXPECT_EQ(i.s3_code, "AccessDenied");
    EXPECT_EQ(i.http_status, 403);
    EXPECT_EQ(i.errno_value, EPERM);
    EXPECT_EQ(i.exit_status, 1);
    EXPECT_EQ(error_info(Errc::NoSuchVersion).s3_code, "NoSuchVersion");
    EXPECT_EQ(error_info(Errc::NoSuchVersion).http_status, 404);
    EXPECT_EQ(error_info(Errc::InvalidBucketState).s3_code, "InvalidBucketState");
    EXPECT_EQ(error_info(Errc::InvalidBucketState).http_status, 409);
}

}  // namespace
}  // namespace ostor::detail
