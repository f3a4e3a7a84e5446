// White-box checks of the contracts the seams add beyond the Engine's calls:
// SettingsCatalog::update_limits (a refused change stores nothing; changes
// of different values made at the same time are all kept) on the local
// catalogs over a bare metadata store, and the key-pair rules every backend
// shares (access_keys.hpp).
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "access_keys.hpp"
#include "local/commit_queue.hpp"
#include "local/identity_catalog.hpp"
#include "local/lmdb_env.hpp"
#include "local/settings_catalog.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

using detail::CommitQueue;
using detail::Env;
using detail::LocalIdentityCatalog;
using detail::LocalSettingsCatalog;

constexpr std::uint64_t kTestMapBytes = std::uint64_t{1} << 30;

class LocalSettings : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(dir_.path() / "meta");
        auto env = Env::open(dir_.path() / "meta", kTestMapBytes);
        ASSERT_TRUE(env) << env.error().message();
        env_ = std::move(*env);
        commits_ = std::make_unique<CommitQueue>(*env_);
        identities_ = std::make_unique<LocalIdentityCatalog>(*env_, *commits_);
        settings_ = std::make_unique<LocalSettingsCatalog>(*env_, *commits_);
        auto created = identities_->create_user("a@example.com", false, false);
        ASSERT_TRUE(created) << created.error().message();
        user_ = LimitTarget::user(created->user.id);
    }

    TestDir dir_;
    std::unique_ptr<Env> env_;
    std::unique_ptr<CommitQueue> commits_;
    std::unique_ptr<LocalIdentityCatalog> identities_;
    std::unique_ptr<LocalSettingsCatalog> settings_;
    LimitTarget user_ = LimitTarget::user("");
};

TEST_F(LocalSettings, RefusedLimitChangeStoresNothing) {
    SKIP_ON_RADOS("the LMDB settings catalog, white-box");
    auto set = settings_->update_limits(user_, [](Limits& l) -> Result<void> {
        l.ops_get = 5;
        return {};
    });
    ASSERT_TRUE(set) << set.error().message();
    EXPECT_EQ(set->ops_get, 5);

    auto refused = settings_->update_limits(user_, [](Limits& l) -> Result<void> {
        l.ops_put = 7;
        return Error(Errc::InvalidLimit, "refused");
    });
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::InvalidLimit);

    auto stored = settings_->get_limits(user_);
    ASSERT_TRUE(stored) << stored.error().message();
    EXPECT_EQ(stored->ops_get, 5);
    EXPECT_EQ(stored->ops_put, 0);
}

TEST_F(LocalSettings, LimitChangeOfMissingTargetFailsWithoutRunning) {
    SKIP_ON_RADOS("the LMDB settings catalog, white-box");
    bool ran = false;
    auto r = settings_->update_limits(LimitTarget::user("0123456789abcdef"), [&](Limits&) -> Result<void> {
        ran = true;
        return {};
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::NoSuchUser);
    EXPECT_FALSE(ran);
}

TEST_F(LocalSettings, ConcurrentChangesOfDifferentLimitsAreAllKept) {
    SKIP_ON_RADOS("the LMDB settings catalog, white-box");
    constexpr int kChangesPerThread = 50;
    auto bump = [&](double Limits::*field) {
        for (int i = 0; i < kChangesPerThread; ++i) {
            auto r = settings_->update_limits(user_, [&](Limits& l) -> Result<void> {
                l.*field += 1;
                return {};
            });
            EXPECT_TRUE(r) << r.error().message();
        }
    };
    std::thread gets(bump, &Limits::ops_get);
    std::thread puts(bump, &Limits::ops_put);
    gets.join();
    puts.join();
    auto stored = settings_->get_limits(user_);
    ASSERT_TRUE(stored) << stored.error().message();
    EXPECT_EQ(stored->ops_get, kChangesPerThread);
    EXPECT_EQ(stored->ops_put, kChangesPerThread);
}

TEST(AccessKeyRules, NewPairIsDrawnAgainWhileItsIdIsTaken) {
    int asked = 0;
    auto key = detail::new_key_pair("0123456789abcdef", "", {}, [&](std::string_view) { return ++asked < 3; });
    ASSERT_TRUE(key) << key.error().message();
    EXPECT_EQ(asked, 3);
    EXPECT_EQ(key->access_key_id.size(), 16u + 4u);
    EXPECT_EQ(key->access_key_id.substr(0, 16), "0123456789abcdef");
    EXPECT_EQ(key->secret.size(), 40u);
    EXPECT_EQ(key->user_id, "0123456789abcdef");
    EXPECT_TRUE(key->account.empty());
}

TEST(AccessKeyRules, NewPairIsCreatedAfterTheOlderOne) {
    KeyPair older;
    older.created_ms = std::numeric_limits<TimestampMs>::max() / 2;  // "in the future"
    auto key = detail::new_key_pair("0123456789abcdef", "acc", {older}, [](std::string_view) { return false; });
    ASSERT_TRUE(key) << key.error().message();
    EXPECT_EQ(key->created_ms, older.created_ms + 1);
    EXPECT_EQ(key->account, "acc");
}

TEST(AccessKeyRules, AtMostTwoPairsPerIdentity) {
    std::vector<KeyPair> two(detail::kMaxKeysPerIdentity);
    auto key = detail::new_key_pair("0123456789abcdef", "", two, [](std::string_view) { return false; });
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code(), Errc::TooManyAccessKeys);
}

}  // namespace
}  // namespace ostor::test
