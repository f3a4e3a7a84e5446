// Object lock in the engine (docs/versioning.md, "Object lock", build step
// 6), on both backends: lock at creation, the bucket's default retention,
// retention and legal hold of a version, the rules on every removal path,
// the lock summary and the admin refusals that name it.
#include <chrono>
#include <ctime>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

constexpr TimestampMs kDayMs = 86'400'000;

// A retain-until date as S3 shows it, in whole seconds: 2027-01-01T00:00:00Z.
std::string iso8601_seconds(TimestampMs ms) {
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

class ObjectLockEngine : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        owner_ = make_user("owner@example.com");
        ASSERT_FALSE(owner_.empty());
        BucketCreateOptions options;
        options.object_lock = true;
        auto b = engine().create_bucket("locked", owner_, {}, options);
        ASSERT_TRUE(b) << b.error().message();
    }
    static ObjectLock retention(RetentionMode mode, TimestampMs until_ms) {
        return ObjectLock{{mode, until_ms}, false};
    }
    Result<ObjectInfo> put_locked(std::string_view key, std::string_view body, std::optional<ObjectLock> lock) {
        PutOptions options;
        options.lock = std::move(lock);
        return put(engine(), "locked", key, body, std::move(options));
    }
    Result<DeleteResult> remove(std::string_view key, std::string_view version_id, bool bypass = false) {
        DeleteOptions options;
        options.version_id = version_id;
        options.bypass_governance = bypass;
        return engine().delete_object("locked", key, options);
    }
    std::string body_of_version(std::string_view key, std::string_view version_id) {
        auto reader = engine().open_object("locked", key, std::nullopt, version_id);
        if (!reader) return "<error " + std::string(reader.error().info().name) + ">";
        auto got = drain(**reader);
        return got ? *got : "<read error>";
    }
    std::string owner_;
};

TEST_F(ObjectLockEngine, ALockBucketIsVersionedForGood) {
    auto b = engine().get_bucket("locked");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_TRUE(b->object_lock.enabled);
    EXPECT_EQ(b->versioning, VersioningState::Enabled);
    EXPECT_TRUE(
        FailsWith(engine().set_bucket_versioning("locked", VersioningState::Suspended), Errc::InvalidBucketState));
    EXPECT_EQ(engine().get_bucket_record("locked")->versioning, VersioningState::Enabled);
    reopen();
    EXPECT_TRUE(engine().get_bucket_record("locked")->object_lock.enabled);
}

TEST_F(ObjectLockEngine, LockConfigOnlyWithLockAndWellFormed) {
    ASSERT_TRUE(IsOk(engine().create_bucket("plain", owner_)));
    ObjectLockConfig days{true, RetentionMode::Governance, 3, 0};
    EXPECT_TRUE(FailsWith(engine().set_object_lock_config("plain", days), Errc::InvalidBucketState));
    EXPECT_FALSE(engine().get_bucket("plain")->object_lock.enabled);
    EXPECT_TRUE(FailsWith(engine().set_object_lock_config("nobucket", days), Errc::NoSuchBucket));
    // Exactly one of days and years, positive; a period needs a mode.
    EXPECT_TRUE(FailsWith(engine().set_object_lock_config("locked", {true, RetentionMode::Compliance, 1, 1}),
                          Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().set_object_lock_config("locked", {true, RetentionMode::Compliance, 0, 0}),
                          Errc::InvalidArgument));
    EXPECT_TRUE(
        FailsWith(engine().set_object_lock_config("locked", {true, RetentionMode::None, 2, 0}), Errc::InvalidArgument));
    // At most 36500 days or 100 years: a longer period would overflow the date.
    EXPECT_TRUE(FailsWith(engine().set_object_lock_config("locked", {true, RetentionMode::Compliance, 36'501, 0}),
                          Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().set_object_lock_config("locked", {true, RetentionMode::Compliance, 0, 101}),
                          Errc::InvalidArgument));
    EXPECT_TRUE(
        FailsWith(engine().set_object_lock_config("locked", {true, RetentionMode::Compliance, 0, 4'000'000'000}),
                  Errc::InvalidArgument));
    EXPECT_EQ(engine().get_bucket("locked")->object_lock, (ObjectLockConfig{true, RetentionMode::None, 0, 0}));
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("locked", {true, RetentionMode::Governance, 36'500, 0})));
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("locked", {true, RetentionMode::Governance, 0, 100})));
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("locked", days)));
    EXPECT_EQ(engine().get_bucket_record("locked")->object_lock, days);
    // Replaced, then removed; lock itself stays.
    ObjectLockConfig years{true, RetentionMode::Compliance, 0, 2};
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("locked", years)));
    EXPECT_EQ(engine().get_bucket("locked")->object_lock, years);
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("locked", {false, RetentionMode::None, 0, 0})));
    EXPECT_EQ(engine().get_bucket("locked")->object_lock, (ObjectLockConfig{true, RetentionMode::None, 0, 0}));
}

// A bucket made without lock takes it once its versioning is Enabled (as S3
// does since 2023), for good; before, refused and unchanged. Versions
// written before stay unlocked; the default applies to new ones.
TEST_F(ObjectLockEngine, AVersionedBucketMadeWithoutLockTakesIt) {
    ASSERT_TRUE(IsOk(engine().create_bucket("later", owner_)));
    const ObjectLockConfig days{true, RetentionMode::Governance, 3, 0};
    for (auto state : {VersioningState::Off, VersioningState::Suspended}) {
        if (state != VersioningState::Off) {
            ASSERT_TRUE(IsOk(engine().set_bucket_versioning("later", state)));
        }
        auto refused = engine().set_object_lock_config("later", days);
        ASSERT_TRUE(FailsWith(refused, Errc::InvalidBucketState));
        EXPECT_NE(refused.error().message().find("Versioning must be 'Enabled'"), std::string::npos);
        auto b = engine().get_bucket_record("later");
        EXPECT_FALSE(b->object_lock.enabled);
        EXPECT_EQ(b->object_lock.default_mode, RetentionMode::None);
    }
    ASSERT_TRUE(IsOk(engine().set_bucket_versioning("later", VersioningState::Enabled)));
    auto before = put(engine(), "later", "k", "old");
    ASSERT_TRUE(before) << before.error().message();
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("later", days)));
    EXPECT_EQ(engine().get_bucket_record("later")->object_lock, days);
    // For good: versioned for good too.
    EXPECT_TRUE(
        FailsWith(engine().set_bucket_versioning("later", VersioningState::Suspended), Errc::InvalidBucketState));
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("later", {false, RetentionMode::None, 0, 0})));
    reopen();
    EXPECT_EQ(engine().get_bucket_record("later")->object_lock, (ObjectLockConfig{true, RetentionMode::None, 0, 0}));
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("later", days)));
    // The version written before has no lock; a new one takes the default.
    auto old_version = engine().stat_version("later", "k", before->version_id);
    ASSERT_TRUE(old_version) << old_version.error().message();
    EXPECT_EQ(old_version->lock.retention.mode, RetentionMode::None);
    DeleteOptions by_id;
    by_id.version_id = before->version_id;
    auto after = put(engine(), "later", "k", "new");
    ASSERT_TRUE(after) << after.error().message();
    EXPECT_EQ(after->lock.retention.mode, RetentionMode::Governance);
    EXPECT_TRUE(IsOk(engine().delete_object("later", "k", by_id)));
    by_id.version_id = after->version_id;
    EXPECT_TRUE(FailsWith(engine().delete_object("later", "k", by_id), Errc::ObjectLocked));
}

TEST_F(ObjectLockEngine, ComplianceIsNeverRemovedNorShortened) {
    const TimestampMs until = now_ms() + 10 * kDayMs;
    auto v = put_locked("k", "kept", retention(RetentionMode::Compliance, until));
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_EQ(v->lock.retention, (Retention{RetentionMode::Compliance, until}));
    EXPECT_TRUE(FailsWith(remove("k", v->version_id), Errc::ObjectLocked));
    EXPECT_TRUE(FailsWith(remove("k", v->version_id, true), Errc::ObjectLocked));
    EXPECT_TRUE(FailsWith(engine().set_object_retention("locked", "k", v->version_id,
                                                        Retention{RetentionMode::Compliance, until - kDayMs}, true),
                          Errc::ObjectLocked));
    EXPECT_TRUE(
        FailsWith(engine().set_object_retention("locked", "k", v->version_id, std::nullopt, true), Errc::ObjectLocked));
    EXPECT_TRUE(FailsWith(engine().set_object_retention("locked", "k", v->version_id,
                                                        Retention{RetentionMode::Governance, until + kDayMs}, true),
                          Errc::ObjectLocked));
    // Extended in the same mode: allowed.
    auto longer = engine().set_object_retention("locked", "k", v->version_id,
                                                Retention{RetentionMode::Compliance, until + kDayMs}, false);
    ASSERT_TRUE(longer) << longer.error().message();
    auto read = engine().head_object("locked", "k", v->version_id);
    ASSERT_TRUE(read) << read.error().message();
    EXPECT_EQ(read->lock.retention, (Retention{RetentionMode::Compliance, until + kDayMs}));
    // A delete without id adds a marker: the version stays, readable by id.
    auto marker = remove("k", "");
    ASSERT_TRUE(marker) << marker.error().message();
    EXPECT_TRUE(marker->delete_marker);
    EXPECT_EQ(body_of_version("k", v->version_id), "kept");
    EXPECT_TRUE(FailsWith(remove("k", v->version_id, true), Errc::ObjectLocked));
}

TEST_F(ObjectLockEngine, GovernanceGivesWayOnlyToBypass) {
    const TimestampMs until = now_ms() + 10 * kDayMs;
    auto v = put_locked("k", "governed", retention(RetentionMode::Governance, until));
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_TRUE(FailsWith(remove("k", v->version_id), Errc::ObjectLocked));
    EXPECT_TRUE(FailsWith(engine().set_object_retention("locked", "k", v->version_id,
                                                        Retention{RetentionMode::Governance, until - kDayMs}, false),
                          Errc::ObjectLocked));
    EXPECT_EQ(engine().head_object("locked", "k", v->version_id)->lock.retention.until_ms, until);
    // Shortened with bypass, then removed with bypass.
    ASSERT_TRUE(IsOk(engine().set_object_retention("locked", "k", v->version_id,
                                                   Retention{RetentionMode::Governance, until - kDayMs}, true)));
    EXPECT_EQ(engine().head_object("locked", "k", v->version_id)->lock.retention.until_ms, until - kDayMs);
    auto gone = remove("k", v->version_id, true);
    ASSERT_TRUE(gone) << gone.error().message();
    EXPECT_TRUE(FailsWith(engine().head_object("locked", "k"), Errc::NoSuchKey));
}

TEST_F(ObjectLockEngine, LegalHoldBlocksRemovalUntilReleased) {
    auto v = put_locked("k", "held", ObjectLock{{}, true});
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_TRUE(v->lock.legal_hold);
    EXPECT_TRUE(FailsWith(remove("k", v->version_id, true), Errc::ObjectLocked));
    EXPECT_FALSE(v->lock.legal_hold_off);
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("locked", "k", v->version_id, false)));
    // Released: said so (S3's Status OFF), kept across a reopen.
    reopen();
    auto released = engine().head_object("locked", "k");
    ASSERT_TRUE(released) << released.error().message();
    EXPECT_FALSE(released->lock.legal_hold);
    EXPECT_TRUE(released->lock.legal_hold_off);
    // On again by the current (empty id), off, then removed.
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("locked", "k", "", true)));
    EXPECT_EQ(engine().head_object("locked", "k")->lock, (ObjectLock{{}, true, false}));
    EXPECT_TRUE(FailsWith(remove("k", v->version_id), Errc::ObjectLocked));
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("locked", "k", "", false)));
    ASSERT_TRUE(IsOk(remove("k", v->version_id)));
}

TEST_F(ObjectLockEngine, RetentionCallsNameVersionsOnly) {
    auto v = put_locked("k", "x", std::nullopt);
    ASSERT_TRUE(v) << v.error().message();
    auto marker = remove("k", "");
    ASSERT_TRUE(marker) << marker.error().message();
    const Retention r{RetentionMode::Governance, now_ms() + kDayMs};
    EXPECT_TRUE(
        FailsWith(engine().set_object_retention("locked", "k", marker->version_id, r, false), Errc::MethodNotAllowed));
    EXPECT_TRUE(
        FailsWith(engine().set_object_legal_hold("locked", "k", marker->version_id, true), Errc::MethodNotAllowed));
    EXPECT_TRUE(FailsWith(engine().set_object_retention("locked", "k", "", r, false), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().set_object_retention("locked", "k", "0123456789abcdef01234567", r, false),
                          Errc::NoSuchVersion));
    EXPECT_TRUE(FailsWith(engine().set_object_retention("locked", "k", "bad", r, false), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().set_object_retention("locked", "nokey", "", r, false), Errc::NoSuchKey));
}

TEST_F(ObjectLockEngine, RequestsWithAPastFarOrModelessDateAreRefused) {
    // As S3: the date must be in the future; a date needs a mode; and no date
    // past 9999-12-31, which would overflow with the RADOS clock margin.
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("locked", {true, RetentionMode::Governance, 1, 0})));
    const TimestampMs after_9999 = 253'402'300'800'000;  // 10000-01-01T00:00:00Z
    const std::vector<Retention> bad{{RetentionMode::Compliance, now_ms() - kDayMs},
                                     {RetentionMode::Governance, after_9999},
                                     {RetentionMode::Compliance, std::numeric_limits<TimestampMs>::max()},
                                     {RetentionMode::None, now_ms() + kDayMs}};
    auto v = put_locked("k", "kept", retention(RetentionMode::Governance, now_ms() + 10 * kDayMs));
    ASSERT_TRUE(v) << v.error().message();
    for (const Retention& r : bad) {
        SCOPED_TRACE(r.until_ms);
        EXPECT_TRUE(FailsWith(put_locked("new", "x", ObjectLock{r, false}), Errc::InvalidArgument));
        CopyOptions copy;
        copy.lock = ObjectLock{r, false};
        EXPECT_TRUE(FailsWith(engine().copy_object("locked", "k", "locked", "copy", copy), Errc::InvalidArgument));
        EXPECT_TRUE(FailsWith(engine().create_upload("locked", "mp", {}, ObjectLock{r, false}), Errc::InvalidArgument));
        EXPECT_TRUE(
            FailsWith(engine().set_object_retention("locked", "k", v->version_id, r, true), Errc::InvalidArgument));
    }
    EXPECT_TRUE(FailsWith(engine().head_object("locked", "new"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().head_object("locked", "copy"), Errc::NoSuchKey));
    EXPECT_EQ(engine().list_uploads("locked")->uploads.size(), 0u);
    EXPECT_EQ(engine().head_object("locked", "k", v->version_id)->lock, v->lock);
    // The last date S3 can name is taken; removal (no retention) still works.
    const Retention last{RetentionMode::Governance, 253'402'300'799'000};  // 9999-12-31T23:59:59Z
    auto far = engine().set_object_retention("locked", "k", v->version_id, last, true);
    ASSERT_TRUE(far) << far.error().message();
    EXPECT_EQ(far->lock.retention, last);
    ASSERT_TRUE(IsOk(engine().set_object_retention("locked", "k", v->version_id, std::nullopt, true)));
    EXPECT_EQ(engine().head_object("locked", "k", v->version_id)->lock, ObjectLock{});
}

TEST_F(ObjectLockEngine, WithoutLockRetentionRequestsChangeNothing) {
    ASSERT_TRUE(IsOk(engine().create_bucket("plain", owner_)));
    auto v = put(engine(), "plain", "k", "plain body");
    ASSERT_TRUE(v) << v.error().message();
    const Retention r{RetentionMode::Governance, now_ms() + kDayMs};
    EXPECT_TRUE(FailsWith(engine().set_object_retention("plain", "k", "", r, false), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().set_object_legal_hold("plain", "k", "", true), Errc::InvalidArgument));
    PutOptions locked_put;
    locked_put.lock = ObjectLock{r, false};
    EXPECT_TRUE(FailsWith(put(engine(), "plain", "k", "other", locked_put), Errc::InvalidArgument));
    CopyOptions locked_copy;
    locked_copy.lock = ObjectLock{{}, true};
    EXPECT_TRUE(FailsWith(engine().copy_object("plain", "k", "plain", "k2", locked_copy), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().create_upload("plain", "mp", {}, ObjectLock{{}, true}), Errc::InvalidArgument));
    auto read = engine().head_object("plain", "k");
    ASSERT_TRUE(read) << read.error().message();
    EXPECT_EQ(read->etag, v->etag);
    EXPECT_EQ(read->lock, ObjectLock{});
    EXPECT_TRUE(FailsWith(engine().head_object("plain", "k2"), Errc::NoSuchKey));
    EXPECT_EQ(engine().list_uploads("plain")->uploads.size(), 0u);
    // Deletable: nothing locked it.
    ASSERT_TRUE(IsOk(engine().delete_object("plain", "k")));
    EXPECT_TRUE(IsOk(engine().delete_bucket("plain")));
}

TEST_F(ObjectLockEngine, DefaultsApplyOnPutCopyAndComplete) {
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("locked", {true, RetentionMode::Governance, 2, 0})));
    const TimestampMs before = now_ms();
    auto put_default = put_locked("p", "put", std::nullopt);
    ASSERT_TRUE(put_default) << put_default.error().message();
    const TimestampMs after = now_ms();
    EXPECT_EQ(put_default->lock.retention.mode, RetentionMode::Governance);
    EXPECT_GE(put_default->lock.retention.until_ms, before + 2 * kDayMs);
    EXPECT_LE(put_default->lock.retention.until_ms, after + 2 * kDayMs);
    // A request's own retention wins; one naming only a legal hold gets the default.
    const TimestampMs own_until = now_ms() + 30 * kDayMs;
    auto own = put_locked("own", "own", retention(RetentionMode::Compliance, own_until));
    ASSERT_TRUE(own) << own.error().message();
    EXPECT_EQ(own->lock.retention, (Retention{RetentionMode::Compliance, own_until}));
    auto hold_only = put_locked("hold", "hold", ObjectLock{{}, true});
    ASSERT_TRUE(hold_only) << hold_only.error().message();
    EXPECT_TRUE(hold_only->lock.legal_hold);
    EXPECT_EQ(hold_only->lock.retention.mode, RetentionMode::Governance);
    // A copy takes the default, never its source's lock.
    auto copied = engine().copy_object("locked", "own", "locked", "copy");
    ASSERT_TRUE(copied) << copied.error().message();
    EXPECT_EQ(copied->lock.retention.mode, RetentionMode::Governance);
    EXPECT_LT(copied->lock.retention.until_ms, own_until);
    CopyOptions with_lock;
    with_lock.lock = retention(RetentionMode::Compliance, own_until + kDayMs);
    auto copied_own = engine().copy_object("locked", "p", "locked", "copy2", with_lock);
    ASSERT_TRUE(copied_own) << copied_own.error().message();
    EXPECT_EQ(copied_own->lock, *with_lock.lock);
    EXPECT_EQ(engine().head_object("locked", "copy2")->lock, *with_lock.lock);
    // A completed upload: the default, or the lock given at its creation.
    auto plain_up = engine().create_upload("locked", "mp");
    ASSERT_TRUE(plain_up) << plain_up.error().message();
    auto part = engine().upload_part(plain_up->id, 1, as_bytes(std::string_view("part")));
    ASSERT_TRUE(part) << part.error().message();
    auto done = engine().complete_upload(plain_up->id, {{1, part->etag}});
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_EQ(done->lock.retention.mode, RetentionMode::Governance);
    EXPECT_GE(done->lock.retention.until_ms, before + 2 * kDayMs);
    const ObjectLock asked = retention(RetentionMode::Compliance, own_until);
    auto locked_up = engine().create_upload("locked", "mp2", {}, asked);
    ASSERT_TRUE(locked_up) << locked_up.error().message();
    EXPECT_EQ(engine().get_upload(locked_up->id)->lock, asked);
    auto part2 = engine().upload_part(locked_up->id, 1, as_bytes(std::string_view("part")));
    ASSERT_TRUE(part2) << part2.error().message();
    auto done2 = engine().complete_upload(locked_up->id, {{1, part2->etag}});
    ASSERT_TRUE(done2) << done2.error().message();
    EXPECT_EQ(done2->lock, asked);
    EXPECT_EQ(engine().head_object("locked", "mp2")->lock, asked);
    EXPECT_TRUE(FailsWith(remove("mp2", done2->version_id, true), Errc::ObjectLocked));
}

TEST_F(ObjectLockEngine, SummaryNamesTheLockInAdminRefusals) {
    // Over a year ahead whenever the test runs, in whole seconds as the summary shows it.
    const TimestampMs until = (now_ms() + 400 * kDayMs) / 1000 * 1000;
    const std::string reason = "bucket locked holds versions under object lock until " + iso8601_seconds(until);
    auto v = put_locked("k", "x", retention(RetentionMode::Compliance, until));
    ASSERT_TRUE(v) << v.error().message();
    auto held = put_locked("h", "x", ObjectLock{{}, true});
    ASSERT_TRUE(held) << held.error().message();
    auto b = engine().get_bucket("locked");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->locked_until_ms, until);
    EXPECT_EQ(b->legal_holds, 1u);
    // A shorter lock leaves the maximum; a hold released counts down.
    ASSERT_TRUE(IsOk(put_locked("short", "x", retention(RetentionMode::Governance, now_ms() + kDayMs))));
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("locked", "h", "", false)));
    b = engine().get_bucket("locked");
    EXPECT_EQ(b->locked_until_ms, until);
    EXPECT_EQ(b->legal_holds, 0u);
    auto refused = engine().delete_bucket("locked");
    ASSERT_TRUE(FailsWith(refused, Errc::BucketNotEmpty));
    EXPECT_NE(refused.error().message().find(reason), std::string::npos) << refused.error().message();
    auto user_refused = engine().delete_user(owner_);
    ASSERT_TRUE(FailsWith(user_refused, Errc::UserHasBuckets));
    EXPECT_NE(user_refused.error().message().find(reason), std::string::npos) << user_refused.error().message();
    reopen();
    EXPECT_EQ(engine().get_bucket("locked")->locked_until_ms, until);
    EXPECT_TRUE(IsOk(engine().head_object("locked", "k", v->version_id)));
}

// An account's refusal names the lock of one of its own buckets, never of
// another of the user's.
TEST_F(ObjectLockEngine, AnAccountsRefusalNamesItsOwnLockedBucket) {
    const TimestampMs until = (now_ms() + 400 * kDayMs) / 1000 * 1000;
    ASSERT_TRUE(IsOk(put_locked("k", "x", retention(RetentionMode::Compliance, until))));  // the user's own bucket
    for (const char* name : {"team", "plain"}) ASSERT_TRUE(IsOk(engine().create_account(owner_, name, false)));
    BucketCreateOptions lock;
    lock.object_lock = true;
    ASSERT_TRUE(IsOk(engine().create_bucket("team-locked", owner_, "team", lock)));
    ASSERT_TRUE(IsOk(engine().create_bucket("plain-bucket", owner_, "plain")));
    PutOptions held;
    held.lock = ObjectLock{{}, true};
    ASSERT_TRUE(IsOk(put(engine(), "team-locked", "h", "x", std::move(held))));
    auto refused = engine().delete_account(owner_, "team");
    ASSERT_TRUE(FailsWith(refused, Errc::AccountHasBuckets));
    EXPECT_EQ(refused.error().message(),
              "account team owns buckets; delete them first (bucket team-locked holds 1 version under legal hold)");
    auto plain = engine().delete_account(owner_, "plain");
    ASSERT_TRUE(FailsWith(plain, Errc::AccountHasBuckets));
    EXPECT_EQ(plain.error().message(), "account plain owns buckets; delete them first");
}

// The summary follows PutObjectRetention and PutObjectLegalHold on a version
// written without a lock: the date only grows, a hold counts once however
// often it is set, and a bucket whose only lock is a hold names it.
TEST_F(ObjectLockEngine, SummaryFollowsRetentionAndLegalHoldCalls) {
    auto v = put_locked("k", "x", std::nullopt);
    ASSERT_TRUE(v) << v.error().message();
    auto b = engine().get_bucket("locked");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->locked_until_ms, 0);
    EXPECT_EQ(b->legal_holds, 0u);
    const TimestampMs until = (now_ms() + 30 * kDayMs) / 1000 * 1000;
    ASSERT_TRUE(IsOk(engine().set_object_retention("locked", "k", v->version_id,
                                                   Retention{RetentionMode::Governance, until}, false)));
    EXPECT_EQ(engine().get_bucket("locked")->locked_until_ms, until);
    // Shortened under the bypass: the summary keeps the latest date given.
    ASSERT_TRUE(IsOk(engine().set_object_retention("locked", "k", v->version_id,
                                                   Retention{RetentionMode::Governance, until - kDayMs}, true)));
    EXPECT_EQ(engine().get_bucket("locked")->locked_until_ms, until);
    ASSERT_TRUE(IsOk(engine().set_object_retention("locked", "k", v->version_id, std::nullopt, true)));
    EXPECT_EQ(engine().get_bucket("locked")->locked_until_ms, until);

    auto h = put_locked("h", "x", std::nullopt);
    ASSERT_TRUE(h) << h.error().message();
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("locked", "h", h->version_id, true)));
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("locked", "h", h->version_id, true)));  // already on
    EXPECT_EQ(engine().get_bucket("locked")->legal_holds, 1u);
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("locked", "k", v->version_id, true)));
    EXPECT_EQ(engine().get_bucket("locked")->legal_holds, 2u);
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("locked", "k", v->version_id, false)));
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("locked", "k", v->version_id, false)));  // already off
    EXPECT_EQ(engine().get_bucket("locked")->legal_holds, 1u);
    // The listing reads the same summary.
    auto listed = engine().list_buckets();
    ASSERT_TRUE(listed) << listed.error().message();
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].locked_until_ms, until);
    EXPECT_EQ((*listed)[0].legal_holds, 1u);

    // The date past (retention removed, the summary's until still ahead: set
    // a bucket whose only lock is the hold), the refusals name the hold.
    BucketCreateOptions with_lock;
    with_lock.object_lock = true;
    auto other = engine().create_bucket("held", owner_, {}, with_lock);
    ASSERT_TRUE(other) << other.error().message();
    auto hv = put(engine(), "held", "k", "x", {});
    ASSERT_TRUE(hv) << hv.error().message();
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("held", "k", hv->version_id, true)));
    const std::string reason = "bucket held holds 1 version under legal hold";
    auto refused = engine().delete_bucket("held");
    ASSERT_TRUE(FailsWith(refused, Errc::BucketNotEmpty));
    EXPECT_EQ(refused.error().message(), reason + ": it is not empty");
    ASSERT_TRUE(IsOk(engine().set_object_legal_hold("held", "k", hv->version_id, false)));
    EXPECT_EQ(engine().get_bucket("held")->legal_holds, 0u);
    refused = engine().delete_bucket("held");
    ASSERT_TRUE(FailsWith(refused, Errc::BucketNotEmpty));
    EXPECT_EQ(refused.error().message(), "bucket held is not empty");
    // Released, the version goes, and so does the bucket.
    DeleteOptions by_id;
    by_id.version_id = hv->version_id;
    ASSERT_TRUE(IsOk(engine().delete_object("held", "k", by_id)));
    EXPECT_TRUE(IsOk(engine().delete_bucket("held")));
}

TEST_F(ObjectLockEngine, AdminRefusalsKeepALockBucket) {
    auto v = put_locked("k", "x", retention(RetentionMode::Compliance, now_ms() + kDayMs));
    ASSERT_TRUE(v) << v.error().message();
    ASSERT_TRUE(IsOk(remove("k", "")));  // a marker: the locked version stays
    auto refused = engine().delete_bucket("locked");
    ASSERT_TRUE(FailsWith(refused, Errc::BucketNotEmpty));
    auto user_refused = engine().delete_user(owner_);
    ASSERT_TRUE(FailsWith(user_refused, Errc::UserHasBuckets));
    const std::string reason = "bucket locked holds versions under object lock until ";
    EXPECT_NE(refused.error().message().find(reason), std::string::npos) << refused.error().message();
    EXPECT_NE(user_refused.error().message().find(reason), std::string::npos) << user_refused.error().message();
    EXPECT_TRUE(IsOk(engine().head_object("locked", "k", v->version_id)));
}

TEST_F(ObjectLockEngine, RadosClockMarginHoldsAJustPastRetention) {
    // A retention one second past: locally free at once; on RADOS still held
    // for kMaxClockSkew (5 minutes), so no gateway with a fast clock frees it.
    ASSERT_TRUE(IsOk(engine().set_object_lock_config("locked", {true, RetentionMode::None, 0, 0})));
    auto v = put_locked("k", "x", retention(RetentionMode::Compliance, now_ms() + 1000));
    ASSERT_TRUE(v) << v.error().message();
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    if (on_rados()) {
        EXPECT_TRUE(FailsWith(remove("k", v->version_id, true), Errc::ObjectLocked));
        // Nor can it be taken away meanwhile.
        EXPECT_TRUE(FailsWith(engine().set_object_retention("locked", "k", v->version_id, std::nullopt, true),
                              Errc::ObjectLocked));
        EXPECT_TRUE(IsOk(engine().head_object("locked", "k", v->version_id)));
    } else {
        EXPECT_TRUE(IsOk(remove("k", v->version_id)));
    }
}

}  // namespace
}  // namespace ostor::test
