// What one engine instance caches of the catalogs (keys, users, limits,
// quotas, bucket records) is kept true by watch/notify: two Engines opened on
// one RADOS volume stand for two gateways; a change made through one is seen
// by the other on its very next call, after having been read (and cached)
// there first. Also the notifier alone: a lost watch stops the caches at once
// and clears them when the watch is back.
// Each test works in a RADOS namespace of its own.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <span>
#include <thread>

#include "cluster_clients.hpp"
#include "hashing.hpp"
#include "ostor/engine.hpp"
#include "rados/notifier.hpp"

namespace ostor::detail::rados {
namespace {

using namespace std::chrono_literals;

std::string fresh_spec() { return cluster_test::test_volume_in_new_namespace("changes"); }

struct TwoGateways : ::testing::Test {
    void SetUp() override {
        const std::string spec = fresh_spec();
        auto a_open = Engine::open(spec);
        ASSERT_TRUE(a_open) << a_open.error().message();
        a = std::move(*a_open);
        auto b_open = Engine::open(spec);
        ASSERT_TRUE(b_open) << b_open.error().message();
        b = std::move(*b_open);
        auto created = a->create_user("owner@example.com", false, true);
        ASSERT_TRUE(created) << created.error().message();
        user = created->user;
        key = *created->key;
    }
    std::unique_ptr<Engine> a, b;
    User user;
    KeyPair key;
};

TEST_F(TwoGateways, ARevokedKeyIsRefusedByTheOtherAtOnce) {
    // Read twice on A: the second comes from its cache.
    ASSERT_TRUE(a->lookup_key(key.access_key_id));
    ASSERT_TRUE(a->lookup_key(key.access_key_id));
    ASSERT_TRUE(b->revoke_key(user.id, key.access_key_id, std::nullopt));
    auto gone = a->lookup_key(key.access_key_id);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), Errc::NoSuchAccessKey);
}

TEST_F(TwoGateways, ADisabledUserIsSeenDisabledByTheOtherAtOnce) {
    ASSERT_EQ(a->get_user(user.id)->state, UserState::Enabled);
    ASSERT_TRUE(b->set_user_state(user.id, UserState::Disabled));
    EXPECT_EQ(a->get_user(user.id)->state, UserState::Disabled);
    ASSERT_TRUE(b->set_user_state(user.id, UserState::Enabled));
    EXPECT_EQ(a->get_user(user.id)->state, UserState::Enabled);
}

TEST_F(TwoGateways, LimitsSetOnOneAreReadOnTheOtherAtOnce) {
    const auto target = LimitTarget::user(user.id);
    ASSERT_EQ(a->get_limits(target)->ops_get, 0);
    Limits limits;
    limits.ops_get = 7;
    ASSERT_TRUE(b->set_limits(target, limits));
    EXPECT_EQ(a->get_limits(target)->ops_get, 7);
    ASSERT_TRUE(b->remove_limits(target));
    EXPECT_EQ(a->get_limits(target)->ops_get, 0);
}

TEST_F(TwoGateways, QuotasAndDefaultQuotasSetOnOneAreEnforcedByTheOther) {
    const auto target = QuotaTarget::user(user.id);
    ASSERT_EQ(*a->effective_quota(target), 0u);
    ASSERT_TRUE(b->set_quota(QuotaTarget::default_user(), 5));
    EXPECT_EQ(*a->effective_quota(target), 5u);
    ASSERT_TRUE(b->set_quota(target, 3));
    EXPECT_EQ(*a->effective_quota(target), 3u);
    EXPECT_EQ(*a->get_quota(target), std::optional<std::uint64_t>(3));
    ASSERT_TRUE(b->remove_quota(target));
    EXPECT_EQ(*a->effective_quota(target), 5u);
}

TEST_F(TwoGateways, ABucketsAclAndRebirthAreSeenByTheOther) {
    ASSERT_TRUE(a->create_bucket("shared", user.id));
    auto before = a->get_bucket_record("shared");
    ASSERT_TRUE(before) << before.error().message();
    ASSERT_TRUE(b->set_bucket_acl("shared", "public-read"));
    auto after = a->get_bucket_record("shared");
    ASSERT_TRUE(after);
    EXPECT_NE(after->acl, before->acl);

    // Deleted and made again by another owner through B: A sees the new one.
    auto other = b->create_user("other@example.com", false, false);
    ASSERT_TRUE(other);
    ASSERT_TRUE(b->delete_bucket("shared"));
    auto missing = a->get_bucket_record("shared");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), Errc::NoSuchBucket);
    ASSERT_TRUE(b->create_bucket("shared", other->user.id));
    auto reborn = a->get_bucket_record("shared");
    ASSERT_TRUE(reborn);
    EXPECT_EQ(reborn->owner_id, other->user.id);
    EXPECT_NE(reborn->epoch, before->epoch);
}

// A bucket's configuration documents (its CORS rules, read by every
// cross-origin request from the cached record) set or removed through one
// gateway are what the other answers from next.
TEST_F(TwoGateways, ABucketsConfigDocumentsSetOnOneAreSeenByTheOther) {
    ASSERT_TRUE(a->create_bucket("configured", user.id));
    ASSERT_TRUE(a->get_bucket_record("configured"));  // cached on A
    ASSERT_TRUE(b->set_bucket_config("configured", "cors", "rules"));
    auto set = a->get_bucket_record("configured");
    ASSERT_TRUE(set) << set.error().message();
    EXPECT_EQ(set->configs, (std::map<std::string, std::string>{{"cors", "rules"}}));
    ASSERT_TRUE(b->set_bucket_config("configured", "cors", std::nullopt));
    auto removed = a->get_bucket_record("configured");
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(removed->configs.empty());
}

TEST_F(TwoGateways, ObjectsWrittenIntoARebornBucketThroughTheOtherLand) {
    ASSERT_TRUE(a->create_bucket("reborn", user.id));
    ASSERT_TRUE(a->get_bucket_record("reborn"));  // cached on A
    ASSERT_TRUE(b->delete_bucket("reborn"));
    ASSERT_TRUE(b->create_bucket("reborn", user.id));
    const std::string body = "body";
    auto put = a->put_object("reborn", "k", std::as_bytes(std::span(body)));
    ASSERT_TRUE(put) << put.error().message();
    auto got = b->head_object("reborn", "k");
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(got->size, body.size());
}

// A bucket's versioning and object lock settings changed through one gateway
// are what the other's very next writes follow, though it had the record
// cached: versioned (then suspended) writes, the default retention, lock
// headers and lock calls accepted (issue 15).
TEST_F(TwoGateways, VersioningAndObjectLockSetOnOneAreFollowedByTheOthersNextWrites) {
    constexpr TimestampMs kDayMs = 86'400'000;
    const std::string body = "body";
    const auto bytes = std::as_bytes(std::span(body));
    ASSERT_TRUE(a->create_bucket("locking", user.id));
    ASSERT_TRUE(a->create_bucket("suspending", user.id));
    auto plain = b->put_object("locking", "k", bytes);  // the record cached on B
    ASSERT_TRUE(plain) << plain.error().message();
    EXPECT_TRUE(plain->version_id.empty());

    ASSERT_TRUE(a->set_bucket_versioning("locking", VersioningState::Enabled));
    auto versioned = b->put_object("locking", "k", bytes);
    ASSERT_TRUE(versioned) << versioned.error().message();
    EXPECT_FALSE(versioned->version_id.empty());
    EXPECT_NE(versioned->version_id, "null");
    EXPECT_FALSE(b->get_bucket_record("locking")->object_lock.enabled);  // cached on B again

    // Lock turned on for the versioned bucket, with a default retention.
    ObjectLockConfig governance_day;
    governance_day.default_mode = RetentionMode::Governance;
    governance_day.default_days = 1;
    ASSERT_TRUE(a->set_object_lock_config("locking", governance_day));
    const TimestampMs before_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    auto defaulted = b->put_object("locking", "d", bytes);
    ASSERT_TRUE(defaulted) << defaulted.error().message();
    EXPECT_EQ(defaulted->lock.retention.mode, RetentionMode::Governance);
    EXPECT_GE(defaulted->lock.retention.until_ms, before_ms + kDayMs);
    auto stored = a->head_object("locking", "d", defaulted->version_id);
    ASSERT_TRUE(stored) << stored.error().message();
    EXPECT_EQ(stored->lock.retention, defaulted->lock.retention);

    // A lock asked for on the write, and a lock call on a version written
    // before the lock: accepted by B.
    PutOptions held;
    held.lock = ObjectLock{};
    held.lock->legal_hold = true;
    auto with_hold = b->put_object("locking", "h", bytes, held);
    ASSERT_TRUE(with_hold) << with_hold.error().message();
    EXPECT_TRUE(with_hold->lock.legal_hold);
    EXPECT_EQ(with_hold->lock.retention.mode, RetentionMode::Governance);  // a hold alone keeps the default
    auto hold_set = b->set_object_legal_hold("locking", "k", versioned->version_id, true);
    ASSERT_TRUE(hold_set) << hold_set.error().message();
    EXPECT_TRUE(hold_set->lock.legal_hold);

    // The default retention changed through A: B's next write has the new one.
    ObjectLockConfig compliance_years;
    compliance_years.default_mode = RetentionMode::Compliance;
    compliance_years.default_years = 1;
    ASSERT_TRUE(a->set_object_lock_config("locking", compliance_years));
    auto changed = b->put_object("locking", "c", bytes);
    ASSERT_TRUE(changed) << changed.error().message();
    EXPECT_EQ(changed->lock.retention.mode, RetentionMode::Compliance);
    EXPECT_GE(changed->lock.retention.until_ms, before_ms + 365 * kDayMs);

    // Versioning enabled, then suspended, through A: B's writes follow each.
    ASSERT_TRUE(b->put_object("suspending", "k", bytes));  // cached on B
    ASSERT_TRUE(a->set_bucket_versioning("suspending", VersioningState::Enabled));
    auto kept = b->put_object("suspending", "k", bytes);
    ASSERT_TRUE(kept) << kept.error().message();
    EXPECT_FALSE(kept->version_id.empty());
    ASSERT_TRUE(a->set_bucket_versioning("suspending", VersioningState::Suspended));
    auto null_write = b->put_object("suspending", "k", bytes);
    ASSERT_TRUE(null_write) << null_write.error().message();
    EXPECT_EQ(null_write->version_id, "null");
    EXPECT_TRUE(a->head_object("suspending", "k", kept->version_id));  // kept, not replaced
}

// The notifier alone, on one connection.
TEST(RadosNotifier, ALostWatchStopsCachesUntilItIsBackAndThenClearsThem) {
    auto spec = VolumeSpec::parse(fresh_spec());
    ASSERT_TRUE(spec);
    auto client = Client::connect(*spec);
    ASSERT_TRUE(client) << client.error().message();
    auto notifier = RadosNotifier::open(**client);
    ASSERT_TRUE(notifier) << notifier.error().message();
    std::atomic<int> cleared{0};
    (*notifier)->subscribe([&](ChangeKind kind, std::string_view) {
        if (kind == ChangeKind::All) ++cleared;
    });
    EXPECT_TRUE((*notifier)->caches_may_serve());
    (*notifier)->simulate_watch_lost_for_tests();
    EXPECT_FALSE((*notifier)->caches_may_serve());
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!(*notifier)->caches_may_serve() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    EXPECT_TRUE((*notifier)->caches_may_serve());
    EXPECT_EQ(cleared.load(), 1);
}

TEST(RadosNotifier, AnAnnouncementReachesEveryOtherWatcherBeforeChangedReturns) {
    const std::string spec_text = fresh_spec();
    auto spec = VolumeSpec::parse(spec_text);
    ASSERT_TRUE(spec);
    auto c1 = Client::connect(*spec);
    auto c2 = Client::connect(*spec);
    ASSERT_TRUE(c1 && c2);
    auto n1 = RadosNotifier::open(**c1);
    auto n2 = RadosNotifier::open(**c2);
    ASSERT_TRUE(n1 && n2);
    std::atomic<int> seen{0};
    (*n2)->subscribe([&](ChangeKind kind, std::string_view subject) {
        if (kind == ChangeKind::Limits && subject == "u/0123456789abcdef") ++seen;
    });
    (*n1)->changed(ChangeKind::Limits, "u/0123456789abcdef");
    EXPECT_EQ(seen.load(), 1);
}

}  // namespace
}  // namespace ostor::detail::rados
