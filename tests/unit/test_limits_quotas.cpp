// Rate limits, storage quotas and the usage they are enforced on.
#include <cmath>
#include <limits>
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

class RateLimits : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        uid_ = user_with_bucket("bkt");
        ASSERT_FALSE(uid_.empty());
    }
    std::string uid_;
};

void expect_limits(const Limits& l, double def, double get, double put, double list, double del, std::uint64_t bw) {
    EXPECT_EQ(l.ops_default, def);
    EXPECT_EQ(l.ops_get, get);
    EXPECT_EQ(l.ops_put, put);
    EXPECT_EQ(l.ops_list, list);
    EXPECT_EQ(l.ops_delete, del);
    EXPECT_EQ(l.bandwidth_out_kbps, bw);
}

TEST_F(RateLimits, DefaultToZeros) {
    auto u = engine().get_limits(LimitTarget::user(uid_));
    ASSERT_TRUE(u) << u.error().message();
    expect_limits(*u, 0, 0, 0, 0, 0, 0);
    auto b = engine().get_limits(LimitTarget::bucket("bkt"));
    ASSERT_TRUE(b) << b.error().message();
    expect_limits(*b, 0, 0, 0, 0, 0, 0);
}

TEST_F(RateLimits, SetLimitReturnsTheCumulativeLimits) {
    auto r = engine().set_limit(LimitTarget::user(uid_), LimitSetting::ops(OpClass::Get, 3600));
    ASSERT_TRUE(r) << r.error().message();
    expect_limits(*r, 0, 3600, 0, 0, 0, 0);
    r = engine().set_limit(LimitTarget::user(uid_), LimitSetting::bandwidth_out(100));
    ASSERT_TRUE(r) << r.error().message();
    expect_limits(*r, 0, 3600, 0, 0, 0, 100);
    auto g = engine().get_limits(LimitTarget::user(uid_));
    ASSERT_TRUE(g) << g.error().message();
    expect_limits(*g, 0, 3600, 0, 0, 0, 100);
}

TEST_F(RateLimits, EachOpsResourceSetsItsOwnField) {
    const LimitTarget t = LimitTarget::user(uid_);
    ASSERT_TRUE(IsOk(engine().set_limit(t, LimitSetting::ops(OpClass::Default, 1.5))));
    ASSERT_TRUE(IsOk(engine().set_limit(t, LimitSetting::ops(OpClass::Get, 2))));
    ASSERT_TRUE(IsOk(engine().set_limit(t, LimitSetting::ops(OpClass::Put, 3.25))));
    ASSERT_TRUE(IsOk(engine().set_limit(t, LimitSetting::ops(OpClass::List, 4))));
    auto r = engine().set_limit(t, LimitSetting::ops(OpClass::Delete, 5));
    ASSERT_TRUE(r) << r.error().message();
    expect_limits(*r, 1.5, 2, 3.25, 4, 5, 0);
    // Setting one again replaces just that one; 0 means unlimited.
    r = engine().set_limit(t, LimitSetting::ops(OpClass::Get, 0));
    ASSERT_TRUE(r) << r.error().message();
    expect_limits(*r, 1.5, 0, 3.25, 4, 5, 0);
}

// Names ("ops", "get", ...) are checked where the CLI, the REST API and the
// FUSE tree parse them (test_admin_format.cpp); the engine checks values.
TEST_F(RateLimits, BadValueIsInvalidLimitAndChangesNothing) {
    const LimitTarget t = LimitTarget::user(uid_);
    ASSERT_TRUE(IsOk(engine().set_limit(t, LimitSetting::ops(OpClass::Get, 10))));
    EXPECT_TRUE(FailsWith(engine().set_limit(t, LimitSetting::ops(OpClass::Get, -1)), Errc::InvalidLimit));
    EXPECT_TRUE(FailsWith(engine().set_limit(t, LimitSetting::bandwidth_out(-5)), Errc::InvalidLimit));
    EXPECT_TRUE(
        FailsWith(engine().set_limit(t, LimitSetting::bandwidth_out(1.5)), Errc::InvalidLimit));  // KB/s integer
    EXPECT_TRUE(FailsWith(engine().set_limit(t, LimitSetting::ops(OpClass::Get, std::nan(""))), Errc::InvalidLimit));
    EXPECT_TRUE(
        FailsWith(engine().set_limit(t, LimitSetting::ops(OpClass::Get, std::numeric_limits<double>::infinity())),
                  Errc::InvalidLimit));
    auto g = engine().get_limits(t);
    ASSERT_TRUE(g) << g.error().message();
    expect_limits(*g, 0, 10, 0, 0, 0, 0);
}

TEST_F(RateLimits, SetLimitsReplacesAllValues) {
    const LimitTarget t = LimitTarget::user(uid_);
    ASSERT_TRUE(IsOk(engine().set_limit(t, LimitSetting::ops(OpClass::Get, 10))));
    Limits l;
    l.ops_put = 7;
    l.bandwidth_out_kbps = 2048;
    auto r = engine().set_limits(t, l);
    ASSERT_TRUE(r) << r.error().message();
    expect_limits(*r, 0, 0, 7, 0, 0, 2048);
    Limits bad;
    bad.ops_list = -3;
    EXPECT_TRUE(FailsWith(engine().set_limits(t, bad), Errc::InvalidLimit));
    auto g = engine().get_limits(t);
    ASSERT_TRUE(g) << g.error().message();
    expect_limits(*g, 0, 0, 7, 0, 0, 2048);
}

TEST_F(RateLimits, RemoveRestoresZeros) {
    const LimitTarget t = LimitTarget::user(uid_);
    ASSERT_TRUE(IsOk(engine().set_limit(t, LimitSetting::ops(OpClass::Default, 100))));
    ASSERT_TRUE(IsOk(engine().set_limit(t, LimitSetting::bandwidth_out(100))));
    ASSERT_TRUE(IsOk(engine().remove_limits(t)));
    auto g = engine().get_limits(t);
    ASSERT_TRUE(g) << g.error().message();
    expect_limits(*g, 0, 0, 0, 0, 0, 0);
    EXPECT_TRUE(IsOk(engine().remove_limits(t)));  // removing nothing is fine
}

TEST_F(RateLimits, BucketLimitsAreSeparateFromUserLimits) {
    ASSERT_TRUE(IsOk(engine().set_limit(LimitTarget::bucket("bkt"), LimitSetting::ops(OpClass::Put, 50))));
    ASSERT_TRUE(IsOk(engine().set_limit(LimitTarget::user(uid_), LimitSetting::ops(OpClass::List, 5))));
    auto b = engine().get_limits(LimitTarget::bucket("bkt"));
    ASSERT_TRUE(b) << b.error().message();
    expect_limits(*b, 0, 0, 50, 0, 0, 0);
    auto u = engine().get_limits(LimitTarget::user(uid_));
    ASSERT_TRUE(u) << u.error().message();
    expect_limits(*u, 0, 0, 0, 5, 0, 0);
    ASSERT_TRUE(IsOk(engine().remove_limits(LimitTarget::bucket("bkt"))));
    u = engine().get_limits(LimitTarget::user(uid_));
    ASSERT_TRUE(u) << u.error().message();
    expect_limits(*u, 0, 0, 0, 5, 0, 0);
}

TEST_F(RateLimits, RequestLimitsAreTheUsersAndTheBucketsAndZerosForWhatIsNotThere) {
    ASSERT_TRUE(IsOk(engine().set_limit(LimitTarget::bucket("bkt"), LimitSetting::ops(OpClass::Put, 50))));
    ASSERT_TRUE(IsOk(engine().set_limit(LimitTarget::user(uid_), LimitSetting::ops(OpClass::List, 5))));
    auto r = engine().request_limits(uid_, "bkt");
    expect_limits(r.user, 0, 0, 0, 5, 0, 0);
    expect_limits(r.bucket, 0, 0, 50, 0, 0, 0);
    // Anonymous, no bucket (ListBuckets), a bucket or user that is not there.
    r = engine().request_limits("", "");
    expect_limits(r.user, 0, 0, 0, 0, 0, 0);
    expect_limits(r.bucket, 0, 0, 0, 0, 0, 0);
    r = engine().request_limits("0123456789abcdef", "nobucket");
    expect_limits(r.user, 0, 0, 0, 0, 0, 0);
    expect_limits(r.bucket, 0, 0, 0, 0, 0, 0);
    r = engine().request_limits("", "bkt");
    expect_limits(r.user, 0, 0, 0, 0, 0, 0);
    expect_limits(r.bucket, 0, 0, 50, 0, 0, 0);
    // A bucket made again under its old name starts with no limits.
    ASSERT_TRUE(IsOk(engine().delete_bucket("bkt")));
    expect_limits(engine().request_limits(uid_, "bkt").bucket, 0, 0, 0, 0, 0, 0);
    ASSERT_TRUE(IsOk(engine().create_bucket("bkt", uid_)));
    r = engine().request_limits(uid_, "bkt");
    expect_limits(r.user, 0, 0, 0, 5, 0, 0);
    expect_limits(r.bucket, 0, 0, 0, 0, 0, 0);
}

TEST_F(RateLimits, UnknownTargetsRefused) {
    const LimitTarget ghost = LimitTarget::user("0123456789abcdef");
    EXPECT_TRUE(FailsWith(engine().get_limits(ghost), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().set_limit(ghost, LimitSetting::ops(OpClass::Get, 1)), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().set_limits(ghost, Limits{}), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().remove_limits(ghost), Errc::NoSuchUser));
    const LimitTarget nob = LimitTarget::bucket("nobucket");
    EXPECT_TRUE(FailsWith(engine().get_limits(nob), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().set_limit(nob, LimitSetting::ops(OpClass::Get, 1)), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().remove_limits(nob), Errc::NoSuchBucket));
}

TEST_F(RateLimits, DeletingTheUserDropsItsLimitsAndQuota) {
    std::string id = make_user("short-lived@example.com");
    ASSERT_TRUE(IsOk(engine().set_limit(LimitTarget::user(id), LimitSetting::ops(OpClass::Get, 9))));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(id), 9)));
    EXPECT_EQ(engine().request_limits(id, "").user.ops_get, 9);
    ASSERT_TRUE(IsOk(engine().delete_user(id)));
    EXPECT_TRUE(FailsWith(engine().get_limits(LimitTarget::user(id)), Errc::NoSuchUser));
    EXPECT_EQ(engine().request_limits(id, "").user.ops_get, 0);
    EXPECT_TRUE(FailsWith(engine().get_quota(QuotaTarget::user(id)), Errc::NoSuchUser));
}

// ---- Quotas -------------------------------------------------------------------

class Quotas : public RateLimits {};

TEST_F(Quotas, SetGetRemoveForEveryKindOfTarget) {
    for (const QuotaTarget& t : {QuotaTarget::user(uid_), QuotaTarget::bucket("bkt"), QuotaTarget::default_user(),
                                 QuotaTarget::default_bucket()}) {
        SCOPED_TRACE(static_cast<int>(t.kind));
        auto g = engine().get_quota(t);
        ASSERT_TRUE(g) << g.error().message();
        EXPECT_FALSE(g->has_value());
        ASSERT_TRUE(IsOk(engine().set_quota(t, 10)));
        g = engine().get_quota(t);
        ASSERT_TRUE(g) << g.error().message();
        ASSERT_TRUE(g->has_value());
        EXPECT_EQ(**g, 10u);
        ASSERT_TRUE(IsOk(engine().set_quota(t, 25)));
        g = engine().get_quota(t);
        ASSERT_TRUE(g) << g.error().message();
        EXPECT_EQ(g->value_or(0), 25u);
        ASSERT_TRUE(IsOk(engine().remove_quota(t)));
        g = engine().get_quota(t);
        ASSERT_TRUE(g) << g.error().message();
        EXPECT_FALSE(g->has_value());
    }
}

TEST_F(Quotas, QuotasOfDifferentTargetsAreIndependent) {
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid_), 1)));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::bucket("bkt"), 2)));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::default_user(), 3)));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::default_bucket(), 4)));
    auto u = engine().get_quota(QuotaTarget::user(uid_));
    auto b = engine().get_quota(QuotaTarget::bucket("bkt"));
    auto du = engine().get_quota(QuotaTarget::default_user());
    auto db = engine().get_quota(QuotaTarget::default_bucket());
    ASSERT_TRUE(u && b && du && db);
    EXPECT_EQ(u->value_or(0), 1u);
    EXPECT_EQ(b->value_or(0), 2u);
    EXPECT_EQ(du->value_or(0), 3u);
    EXPECT_EQ(db->value_or(0), 4u);
}

TEST_F(Quotas, EffectiveQuotaFallsBackToTheDefault) {
    auto e = engine().effective_quota(QuotaTarget::user(uid_));
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_EQ(*e, 0u);  // none at all
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::default_user(), 50)));
    e = engine().effective_quota(QuotaTarget::user(uid_));
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_EQ(*e, 50u);
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid_), 7)));
    e = engine().effective_quota(QuotaTarget::user(uid_));
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_EQ(*e, 7u);  // the specific one beats the default
    ASSERT_TRUE(IsOk(engine().remove_quota(QuotaTarget::user(uid_))));
    e = engine().effective_quota(QuotaTarget::user(uid_));
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_EQ(*e, 50u);

    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::default_bucket(), 20)));
    e = engine().effective_quota(QuotaTarget::bucket("bkt"));
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_EQ(*e, 20u);
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::bucket("bkt"), 2)));
    e = engine().effective_quota(QuotaTarget::bucket("bkt"));
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_EQ(*e, 2u);
}

TEST_F(Quotas, UnknownTargetsRefused) {
    EXPECT_TRUE(FailsWith(engine().get_quota(QuotaTarget::user("0123456789abcdef")), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().set_quota(QuotaTarget::user("0123456789abcdef"), 1), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().remove_quota(QuotaTarget::user("0123456789abcdef")), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().get_quota(QuotaTarget::bucket("nobucket")), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().set_quota(QuotaTarget::bucket("nobucket"), 1), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().remove_quota(QuotaTarget::bucket("nobucket")), Errc::NoSuchBucket));
}

TEST_F(Quotas, PutWithSizeHintOverUserQuotaRefusedUpFront) {
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid_), 1)));
    PutOptions opts;
    opts.size_hint = kGiB + 1;
    EXPECT_TRUE(FailsWith(engine().begin_put("bkt", "huge", opts), Errc::QuotaExceeded));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "huge"), Errc::NoSuchKey));
    auto u = engine().get_user_usage(uid_);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->bytes, 0u);
    EXPECT_EQ(u->objects, 0u);
    EXPECT_EQ(u->reserved, 0u);
    // Exactly the quota is not past it.
    opts.size_hint = kGiB;
    auto w = engine().begin_put("bkt", "exact", opts);
    ASSERT_TRUE(w) << w.error().message();
    u = engine().get_user_usage(uid_);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->reserved, kGiB);
    w->reset();
    u = engine().get_user_usage(uid_);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->reserved, 0u);
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "exact"), Errc::NoSuchKey));
}

TEST_F(Quotas, PutWithSizeHintOverBucketQuotaRefusedUpFront) {
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::bucket("bkt"), 1)));
    PutOptions opts;
    opts.size_hint = kGiB + 1;
    EXPECT_TRUE(FailsWith(engine().begin_put("bkt", "huge", opts), Errc::QuotaExceeded));
    make_bucket("free", uid_);
    auto w = engine().begin_put("free", "huge", opts);  // the other bucket has no quota
    EXPECT_TRUE(w) << w.error().message();
}

TEST_F(Quotas, DefaultUserQuotaIsEnforced) {
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::default_user(), 1)));
    PutOptions opts;
    opts.size_hint = kGiB + 1;
    EXPECT_TRUE(FailsWith(engine().begin_put("bkt", "huge", opts), Errc::QuotaExceeded));
    // A specific quota beats the default.
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid_), 2)));
    auto w = engine().begin_put("bkt", "huge", opts);
    EXPECT_TRUE(w) << w.error().message();
}

TEST_F(Quotas, DefaultBucketQuotaIsEnforced) {
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::default_bucket(), 1)));
    PutOptions opts;
    opts.size_hint = kGiB + 1;
    EXPECT_TRUE(FailsWith(engine().begin_put("bkt", "huge", opts), Errc::QuotaExceeded));
}

TEST_F(Quotas, PartWithSizeHintOverQuotaRefused) {
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid_), 1)));
    auto up = engine().create_upload("bkt", "mp");
    ASSERT_TRUE(up) << up.error().message();
    PutOptions opts;
    opts.size_hint = kGiB + 1;
    EXPECT_TRUE(FailsWith(engine().begin_upload_part(up->id, 1, opts), Errc::QuotaExceeded));
}

TEST_F(Quotas, PutWithoutHintOverQuotaRefusedAtCommitAndNothingVisible) {
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid_), 1)));
    // Another writer holds the whole quota...
    PutOptions hold;
    hold.size_hint = kGiB;
    auto holder = engine().begin_put("bkt", "holder", hold);
    ASSERT_TRUE(holder) << holder.error().message();
    // ...so a body of unknown length cannot be stored.
    auto w = engine().begin_put("bkt", "unhinted");
    ASSERT_TRUE(w) << w.error().message();
    ASSERT_TRUE(IsOk((*w)->write(as_bytes(random_bytes(4096, 1)))));
    EXPECT_TRUE(FailsWith((*w)->commit(), Errc::QuotaExceeded));
    w->reset();
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "unhinted"), Errc::NoSuchKey));
    auto u = engine().get_user_usage(uid_);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->bytes, 0u);
    EXPECT_EQ(u->objects, 0u);
    EXPECT_EQ(u->reserved, kGiB);
    // Once the holder goes away, the same put fits.
    holder->reset();
    EXPECT_TRUE(IsOk(put(engine(), "bkt", "unhinted", random_bytes(4096, 1))));
}

TEST_F(Quotas, CopyOverQuotaRefused) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "small", std::string(50, 's'))));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "large", std::string(200, 'l'))));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid_), 1)));
    // Stored 250, reserve up to 100 bytes below the quota.
    PutOptions hold;
    hold.size_hint = kGiB - 250 - 100;
    auto holder = engine().begin_put("bkt", "holder", hold);
    ASSERT_TRUE(holder) << holder.error().message();
    EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "large", "bkt", "large-copy"), Errc::QuotaExceeded));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "large-copy"), Errc::NoSuchKey));
    EXPECT_TRUE(IsOk(engine().copy_object("bkt", "small", "bkt", "small-copy")));
}

TEST_F(Quotas, UserUsageIsExactAfterEveryKindOfWrite) {
    auto usage = [&]() {
        auto u = engine().get_user_usage(uid_);
        EXPECT_TRUE(u) << u.error().message();
        return u ? *u : UserUsage{};
    };
    auto expect_usage = [&](std::uint64_t bytes, std::uint64_t objects) {
        UserUsage u = usage();
        EXPECT_EQ(u.bytes, bytes);
        EXPECT_EQ(u.objects, objects);
        EXPECT_EQ(u.reserved, 0u);
    };
    expect_usage(0, 0);
    make_bucket("second", uid_);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", std::string(100, 'a'))));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "b", std::string(200, 'b'))));
    ASSERT_TRUE(IsOk(put(engine(), "second", "c", std::string(300, 'c'))));
    expect_usage(600, 3);                                                // across both buckets
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "b", std::string(50, 'B'))));  // overwrite
    expect_usage(450, 3);
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "a")));
    expect_usage(350, 2);
    ASSERT_TRUE(IsOk(engine().copy_object("second", "c", "bkt", "c-copy")));
    expect_usage(650, 3);
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "b", "bkt", "c-copy")));  // copy over an object
    expect_usage(400, 3);

    auto up = engine().create_upload("bkt", "mp");
    ASSERT_TRUE(up) << up.error().message();
    auto p1 = engine().upload_part(up->id, 1, as_bytes(random_bytes(5 * kMiB, 1)));
    auto p2 = engine().upload_part(up->id, 2, as_bytes(std::string(10, 'z')));
    auto p3 = engine().upload_part(up->id, 3, as_bytes(std::string(99, 'y')));  // left out
    ASSERT_TRUE(p1 && p2 && p3);
    auto done = engine().complete_upload(up->id, {{1, p1->etag}, {2, p2->etag}});
    ASSERT_TRUE(done) << done.error().message();
    expect_usage(400 + 5 * kMiB + 10, 4);

    auto aborted = engine().create_upload("bkt", "mp2");
    ASSERT_TRUE(aborted) << aborted.error().message();
    ASSERT_TRUE(IsOk(engine().upload_part(aborted->id, 1, as_bytes(std::string(1000, 'q')))));
    ASSERT_TRUE(IsOk(engine().abort_upload(aborted->id)));
    expect_usage(400 + 5 * kMiB + 10, 4);

    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "mp")));
    expect_usage(400, 3);
    ASSERT_TRUE(IsOk(engine().set_object_acl("bkt", "b", "acl")));  // metadata only
    expect_usage(400, 3);
}

TEST_F(Quotas, ObjectsOfOtherUsersDoNotCount) {
    std::string other = user_with_bucket("others", "other@example.com");
    ASSERT_TRUE(IsOk(put(engine(), "others", "o", std::string(1000, 'o'))));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "m", std::string(10, 'm'))));
    auto mine = engine().get_user_usage(uid_);
    ASSERT_TRUE(mine) << mine.error().message();
    EXPECT_EQ(mine->bytes, 10u);
    EXPECT_EQ(mine->objects, 1u);
    auto theirs = engine().get_user_usage(other);
    ASSERT_TRUE(theirs) << theirs.error().message();
    EXPECT_EQ(theirs->bytes, 1000u);
    EXPECT_EQ(theirs->objects, 1u);
}

}  // namespace
}  // namespace ostor::test
