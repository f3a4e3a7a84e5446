// Accounts: named containers of a user's buckets with their own key pairs.
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

class Accounts : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        uid_ = make_user("owner@example.com");
        ASSERT_FALSE(uid_.empty());
    }
    std::string uid_;
};

TEST_F(Accounts, CreateWithKey) {
    TimestampMs before = now_ms();
    auto r = engine().create_account(uid_, "acc1");
    TimestampMs after = now_ms();
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->account.user_id, uid_);
    EXPECT_EQ(r->account.name, "acc1");
    EXPECT_GE(r->account.created_ms, before);
    EXPECT_LE(r->account.created_ms, after);
    ASSERT_TRUE(r->key.has_value());
    EXPECT_EQ(r->key->user_id, uid_);
    EXPECT_EQ(r->key->account, "acc1");
    EXPECT_EQ(r->key->access_key_id.size(), 20u);
    EXPECT_EQ(r->key->access_key_id.substr(0, 16), uid_);
    EXPECT_EQ(r->key->secret.size(), 40u);

    auto keys = engine().list_keys(uid_, "acc1");
    ASSERT_TRUE(keys) << keys.error().message();
    ASSERT_EQ(keys->size(), 1u);
    EXPECT_EQ((*keys)[0].access_key_id, r->key->access_key_id);
    // The account's key is not one of the user's own.
    auto own = engine().list_keys(uid_);
    ASSERT_TRUE(own) << own.error().message();
    EXPECT_TRUE(own->empty());
}

TEST_F(Accounts, CreateWithoutKey) {
    auto r = engine().create_account(uid_, "bare", false);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_FALSE(r->key.has_value());
    auto keys = engine().list_keys(uid_, "bare");
    ASSERT_TRUE(keys) << keys.error().message();
    EXPECT_TRUE(keys->empty());
}

TEST_F(Accounts, LookupOfAccountKeyNamesTheAccount) {
    auto r = engine().create_account(uid_, "sales");
    ASSERT_TRUE(r) << r.error().message();
    auto k = engine().lookup_key(r->key->access_key_id);
    ASSERT_TRUE(k) << k.error().message();
    EXPECT_EQ(k->account, "sales");
    EXPECT_EQ(k->user_id, uid_);
    EXPECT_EQ(k->secret, r->key->secret);
}

TEST_F(Accounts, ListByName) {
    for (std::string_view n : {"gamma", "alpha", "beta"}) ASSERT_TRUE(IsOk(engine().create_account(uid_, n, false)));
    std::string other = make_user("other@example.com");
    ASSERT_TRUE(IsOk(engine().create_account(other, "delta", false)));
    auto list = engine().list_accounts(uid_);
    ASSERT_TRUE(list) << list.error().message();
    ASSERT_EQ(list->size(), 3u);
    EXPECT_EQ((*list)[0].name, "alpha");
    EXPECT_EQ((*list)[1].name, "beta");
    EXPECT_EQ((*list)[2].name, "gamma");
    for (const auto& a : *list) EXPECT_EQ(a.user_id, uid_);
}

TEST_F(Accounts, GetKnownAndUnknown) {
    ASSERT_TRUE(IsOk(engine().create_account(uid_, "ops", false)));
    auto a = engine().get_account(uid_, "ops");
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(a->name, "ops");
    EXPECT_EQ(a->user_id, uid_);
    EXPECT_TRUE(FailsWith(engine().get_account(uid_, "nope"), Errc::NoSuchAccount));
    EXPECT_TRUE(FailsWith(engine().get_account("0123456789abcdef", "ops"), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().delete_account(uid_, "nope"), Errc::NoSuchAccount));
    EXPECT_TRUE(FailsWith(engine().generate_key(uid_, "nope"), Errc::NoSuchAccount));
    EXPECT_TRUE(FailsWith(engine().list_keys(uid_, "nope"), Errc::NoSuchAccount));
    EXPECT_TRUE(FailsWith(engine().create_bucket("nope-bucket", uid_, "nope"), Errc::NoSuchAccount));
}

TEST_F(Accounts, DuplicateRefusedButSameNameUnderAnotherUserAllowed) {
    ASSERT_TRUE(IsOk(engine().create_account(uid_, "dup", false)));
    EXPECT_TRUE(FailsWith(engine().create_account(uid_, "dup", false), Errc::AccountAlreadyExists));
    std::string other = make_user("other@example.com");
    EXPECT_TRUE(IsOk(engine().create_account(other, "dup", false)));
}

TEST_F(Accounts, InvalidNameRefused) {
    EXPECT_TRUE(FailsWith(engine().create_account(uid_, ""), Errc::InvalidAccountName));
    EXPECT_TRUE(FailsWith(engine().create_account(uid_, "a b"), Errc::InvalidAccountName));
    EXPECT_TRUE(FailsWith(engine().create_account(uid_, "a/b"), Errc::InvalidAccountName));
    auto list = engine().list_accounts(uid_);
    ASSERT_TRUE(list) << list.error().message();
    EXPECT_TRUE(list->empty());
}

TEST_F(Accounts, AtMostTwoKeysPerAccountIndependentOfUserKeys) {
    auto r = engine().create_account(uid_, "acc1");
    ASSERT_TRUE(r) << r.error().message();
    auto second = engine().generate_key(uid_, "acc1");
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_EQ(second->account, "acc1");
    EXPECT_TRUE(FailsWith(engine().generate_key(uid_, "acc1"), Errc::TooManyAccessKeys));
    // The user's own two pairs are counted apart.
    EXPECT_TRUE(IsOk(engine().generate_key(uid_)));
    EXPECT_TRUE(IsOk(engine().generate_key(uid_)));
    EXPECT_TRUE(FailsWith(engine().generate_key(uid_), Errc::TooManyAccessKeys));

    auto keys = engine().list_keys(uid_, "acc1");
    ASSERT_TRUE(keys) << keys.error().message();
    ASSERT_EQ(keys->size(), 2u);
    EXPECT_EQ((*keys)[0].access_key_id, r->key->access_key_id);
    EXPECT_EQ((*keys)[1].access_key_id, second->access_key_id);

    ASSERT_TRUE(IsOk(engine().revoke_key(uid_, r->key->access_key_id, "acc1")));
    EXPECT_TRUE(FailsWith(engine().lookup_key(r->key->access_key_id), Errc::NoSuchAccessKey));
    EXPECT_TRUE(IsOk(engine().generate_key(uid_, "acc1")));
}

// Keys made within the same millisecond still list in creation order.
TEST_F(Accounts, KeysListOldestFirst) {
    ASSERT_TRUE(IsOk(engine().create_account(uid_, "acc1", false)));
    for (int round = 0; round < 12; ++round) {
        SCOPED_TRACE(round);
        auto k1 = engine().generate_key(uid_, "acc1");
        auto k2 = engine().generate_key(uid_, "acc1");
        ASSERT_TRUE(k1 && k2);
        auto keys = engine().list_keys(uid_, "acc1");
        ASSERT_TRUE(keys) << keys.error().message();
        ASSERT_EQ(keys->size(), 2u);
        EXPECT_EQ((*keys)[0].access_key_id, k1->access_key_id);
        EXPECT_EQ((*keys)[1].access_key_id, k2->access_key_id);
        ASSERT_TRUE(IsOk(engine().revoke_key(uid_, k1->access_key_id, "acc1")));
        ASSERT_TRUE(IsOk(engine().revoke_key(uid_, k2->access_key_id, "acc1")));
    }
}

TEST_F(Accounts, RevokingAnotherAccountsKeyRefused) {
    auto a = engine().create_account(uid_, "a1");
    auto b = engine().create_account(uid_, "b1");
    ASSERT_TRUE(a) << a.error().message();
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_TRUE(FailsWith(engine().revoke_key(uid_, a->key->access_key_id, "b1"), Errc::NoSuchAccessKey));
    EXPECT_TRUE(IsOk(engine().lookup_key(a->key->access_key_id)));
}

TEST_F(Accounts, DeleteRefusedWhileItOwnsABucket) {
    auto r = engine().create_account(uid_, "acc1");
    ASSERT_TRUE(r) << r.error().message();
    auto b = engine().create_bucket("acc-bucket", uid_, "acc1");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->account, "acc1");
    EXPECT_TRUE(FailsWith(engine().delete_account(uid_, "acc1"), Errc::AccountHasBuckets));
    EXPECT_TRUE(IsOk(engine().get_account(uid_, "acc1")));
    EXPECT_TRUE(IsOk(engine().lookup_key(r->key->access_key_id)));

    ASSERT_TRUE(IsOk(engine().delete_bucket("acc-bucket")));
    ASSERT_TRUE(IsOk(engine().delete_account(uid_, "acc1")));
    EXPECT_TRUE(FailsWith(engine().get_account(uid_, "acc1"), Errc::NoSuchAccount));
    EXPECT_TRUE(FailsWith(engine().lookup_key(r->key->access_key_id), Errc::NoSuchAccessKey));
    auto list = engine().list_accounts(uid_);
    ASSERT_TRUE(list) << list.error().message();
    EXPECT_TRUE(list->empty());
}

TEST_F(Accounts, UsersOwnBucketDoesNotBlockAccountDeletion) {
    ASSERT_TRUE(IsOk(engine().create_account(uid_, "acc1", false)));
    ASSERT_TRUE(IsOk(engine().create_bucket("user-own-bucket", uid_)));
    EXPECT_TRUE(IsOk(engine().delete_account(uid_, "acc1")));
}

TEST_F(Accounts, DeletingTheUserRemovesItsAccountsAndTheirKeys) {
    auto r = engine().create_account(uid_, "acc1");
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(IsOk(engine().delete_user(uid_)));
    EXPECT_TRUE(FailsWith(engine().lookup_key(r->key->access_key_id), Errc::NoSuchAccessKey));
    EXPECT_TRUE(FailsWith(engine().get_account(uid_, "acc1"), Errc::NoSuchUser));
}

}  // namespace
}  // namespace ostor::test
