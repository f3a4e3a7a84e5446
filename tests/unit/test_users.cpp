// Users and their key pairs.
#include <algorithm>
#include <set>
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

bool is_user_id(std::string_view id) {
    return id.size() == 16 &&
           std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

::testing::AssertionResult is_key_of(const KeyPair& key, std::string_view user_id) {
    if (key.access_key_id.size() != 20) return ::testing::AssertionFailure() << "key id " << key.access_key_id;
    if (key.access_key_id.substr(0, 16) != user_id)
        return ::testing::AssertionFailure() << "key id " << key.access_key_id << " does not start with " << user_id;
    for (char c : key.access_key_id.substr(16))
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return ::testing::AssertionFailure() << "key id suffix of " << key.access_key_id;
    if (key.secret.size() != 40) return ::testing::AssertionFailure() << "secret length " << key.secret.size();
    for (char c : key.secret)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return ::testing::AssertionFailure() << "secret " << key.secret;
    if (key.user_id != user_id) return ::testing::AssertionFailure() << "key.user_id " << key.user_id;
    return ::testing::AssertionSuccess();
}

class Users : public EngineTest {};

TEST_F(Users, CreateWithKeyGivesIdAndWellFormedKeyPair) {
    TimestampMs before = now_ms();
    auto r = engine().create_user("alice@example.com");
    TimestampMs after = now_ms();
    ASSERT_TRUE(r) << r.error().message();
    const User& u = r->user;
    EXPECT_TRUE(is_user_id(u.id)) << u.id;
    EXPECT_NE(u.id, "0000000000000000");
    EXPECT_EQ(u.email, "alice@example.com");
    EXPECT_EQ(u.state, UserState::Enabled);
    EXPECT_FALSE(u.system);
    EXPECT_GE(u.created_ms, before);
    EXPECT_LE(u.created_ms, after);
    ASSERT_TRUE(r->key.has_value());
    EXPECT_TRUE(is_key_of(*r->key, u.id));
    EXPECT_EQ(r->key->account, "");

    auto keys = engine().list_keys(u.id);
    ASSERT_TRUE(keys) << keys.error().message();
    ASSERT_EQ(keys->size(), 1u);
    EXPECT_EQ((*keys)[0].access_key_id, r->key->access_key_id);
    EXPECT_EQ((*keys)[0].secret, r->key->secret);
}

TEST_F(Users, CreateWithoutKeyHasNoKeys) {
    auto r = engine().create_user("nokey@example.com", false, false);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_FALSE(r->key.has_value());
    auto keys = engine().list_keys(r->user.id);
    ASSERT_TRUE(keys) << keys.error().message();
    EXPECT_TRUE(keys->empty());
}

TEST_F(Users, InvalidEmailRefused) {
    EXPECT_TRUE(FailsWith(engine().create_user("not-an-email"), Errc::InvalidEmail));
    EXPECT_TRUE(FailsWith(engine().create_user("a/b@example.com"), Errc::InvalidEmail));
    auto all = engine().list_users();
    ASSERT_TRUE(all) << all.error().message();
    EXPECT_TRUE(all->empty());
}

TEST_F(Users, DuplicateEmailRefusedInAnyCase) {
    ASSERT_TRUE(IsOk(engine().create_user("Bob@Example.com")));
    EXPECT_TRUE(FailsWith(engine().create_user("Bob@Example.com"), Errc::UserAlreadyExists));
    EXPECT_TRUE(FailsWith(engine().create_user("bob@example.com"), Errc::UserAlreadyExists));
    EXPECT_TRUE(FailsWith(engine().create_user("BOB@EXAMPLE.COM"), Errc::UserAlreadyExists));
    auto all = engine().list_users();
    ASSERT_TRUE(all) << all.error().message();
    EXPECT_EQ(all->size(), 1u);
}

TEST_F(Users, GetByIdAndByEmailCaseInsensitive) {
    auto r = engine().create_user("Carol@Example.com", false, false);
    ASSERT_TRUE(r) << r.error().message();
    auto by_id = engine().get_user(r->user.id);
    ASSERT_TRUE(by_id) << by_id.error().message();
    EXPECT_EQ(by_id->id, r->user.id);
    EXPECT_EQ(by_id->email, "Carol@Example.com");
    EXPECT_EQ(by_id->created_ms, r->user.created_ms);
    for (std::string_view email : {"Carol@Example.com", "carol@example.com", "CAROL@EXAMPLE.COM"}) {
        auto by_email = engine().get_user_by_email(email);
        ASSERT_TRUE(by_email) << email << ": " << by_email.error().message();
        EXPECT_EQ(by_email->id, r->user.id);
        EXPECT_EQ(by_email->email, "Carol@Example.com");  // as given at creation
    }
}

TEST_F(Users, ListReturnsAllUsersById) {
    std::vector<std::string> ids;
    for (int i = 0; i < 7; ++i) ids.push_back(make_user("user" + std::to_string(i) + "@example.com"));
    auto all = engine().list_users();
    ASSERT_TRUE(all) << all.error().message();
    std::sort(ids.begin(), ids.end());
    ASSERT_EQ(all->size(), ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ((*all)[i].id, ids[i]);
}

TEST_F(Users, IdsAndKeysAreUnique) {
    std::set<std::string> ids, key_ids, secrets;
    for (int i = 0; i < 40; ++i) {
        auto r = engine().create_user("u" + std::to_string(i) + "@example.com");
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_TRUE(ids.insert(r->user.id).second);
        EXPECT_TRUE(key_ids.insert(r->key->access_key_id).second);
        EXPECT_TRUE(secrets.insert(r->key->secret).second);
    }
}

TEST_F(Users, DisableAndEnable) {
    std::string id = make_user("dave@example.com");
    auto d = engine().set_user_state(id, UserState::Disabled);
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ(d->state, UserState::Disabled);
    auto g = engine().get_user(id);
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(g->state, UserState::Disabled);
    auto e = engine().set_user_state(id, UserState::Enabled);
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_EQ(e->state, UserState::Enabled);
    g = engine().get_user(id);
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(g->state, UserState::Enabled);
}

TEST_F(Users, DeleteRefusedWhileOwningBuckets) {
    std::string id = user_with_bucket("eve-bucket", "eve@example.com");
    EXPECT_TRUE(FailsWith(engine().delete_user(id), Errc::UserHasBuckets));
    EXPECT_TRUE(IsOk(engine().get_user(id)));
    EXPECT_TRUE(IsOk(engine().get_bucket("eve-bucket")));
}

TEST_F(Users, DeleteWorksAfterBucketDeletionAndRemovesKeys) {
    auto r = engine().create_user("frank@example.com");
    ASSERT_TRUE(r) << r.error().message();
    std::string id = r->user.id;
    ASSERT_TRUE(IsOk(engine().create_bucket("frank-bucket", id)));
    ASSERT_TRUE(IsOk(engine().delete_bucket("frank-bucket")));
    ASSERT_TRUE(IsOk(engine().delete_user(id)));
    EXPECT_TRUE(FailsWith(engine().get_user(id), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().get_user_by_email("frank@example.com"), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().lookup_key(r->key->access_key_id), Errc::NoSuchAccessKey));
    auto all = engine().list_users();
    ASSERT_TRUE(all) << all.error().message();
    EXPECT_TRUE(all->empty());
    // The e-mail is free again, for a new user with a new id.
    auto again = engine().create_user("FRANK@example.com", false, false);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_NE(again->user.id, id);
}

// What a request's authentication reads: the key with its owner as now
// (state and system flag), and nothing for a key revoked or a user deleted
// (whose keys go with it: NoSuchUser cannot be reached from here).
TEST_F(Users, LookupKeyOwnerGivesTheKeyWithItsUserAsItIsNow) {
    auto r = engine().create_user("grace@example.com", true);
    ASSERT_TRUE(r) << r.error().message();
    const std::string id = r->user.id;
    const std::string key_id = r->key->access_key_id;
    auto owner = engine().lookup_key_owner(key_id);
    ASSERT_TRUE(owner) << owner.error().message();
    EXPECT_EQ(owner->key.access_key_id, key_id);
    EXPECT_EQ(owner->key.secret, r->key->secret);
    EXPECT_EQ(owner->key.user_id, id);
    EXPECT_EQ(owner->user.id, id);
    EXPECT_EQ(owner->user.email, "grace@example.com");
    EXPECT_TRUE(owner->user.system);
    EXPECT_EQ(owner->user.state, UserState::Enabled);

    ASSERT_TRUE(IsOk(engine().set_user_state(id, UserState::Disabled)));
    owner = engine().lookup_key_owner(key_id);
    ASSERT_TRUE(owner) << owner.error().message();
    EXPECT_EQ(owner->user.state, UserState::Disabled);

    EXPECT_TRUE(FailsWith(engine().lookup_key_owner(""), Errc::NoSuchAccessKey));
    EXPECT_TRUE(FailsWith(engine().lookup_key_owner(id + "zzzz"), Errc::NoSuchAccessKey));
    ASSERT_TRUE(IsOk(engine().revoke_key(id, key_id)));
    EXPECT_TRUE(FailsWith(engine().lookup_key_owner(key_id), Errc::NoSuchAccessKey));
    auto second = engine().generate_key(id);
    ASSERT_TRUE(second) << second.error().message();
    ASSERT_TRUE(IsOk(engine().delete_user(id)));
    EXPECT_TRUE(FailsWith(engine().lookup_key_owner(second->access_key_id), Errc::NoSuchAccessKey));
}

TEST_F(Users, UnknownIdsReportNoSuchUser) {
    const std::string ghost = "0123456789abcdef";
    EXPECT_TRUE(FailsWith(engine().get_user(ghost), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().get_user_by_email("ghost@example.com"), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().set_user_state(ghost, UserState::Disabled), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().delete_user(ghost), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().generate_key(ghost), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().list_keys(ghost), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().revoke_key(ghost, ghost + "AAAA"), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().get_user_usage(ghost), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().create_bucket("ghost-bucket", ghost), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().create_account(ghost, "acc"), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().list_accounts(ghost), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().get_user("not-even-hex"), Errc::NoSuchUser));
}

TEST_F(Users, ThirdKeyPairRefused) {
    auto r = engine().create_user("gina@example.com");
    ASSERT_TRUE(r) << r.error().message();
    auto second = engine().generate_key(r->user.id);
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_TRUE(is_key_of(*second, r->user.id));
    EXPECT_NE(second->access_key_id, r->key->access_key_id);
    EXPECT_TRUE(FailsWith(engine().generate_key(r->user.id), Errc::TooManyAccessKeys));

    auto keys = engine().list_keys(r->user.id);
    ASSERT_TRUE(keys) << keys.error().message();
    ASSERT_EQ(keys->size(), 2u);
    EXPECT_EQ((*keys)[0].access_key_id, r->key->access_key_id);  // oldest first
    EXPECT_EQ((*keys)[1].access_key_id, second->access_key_id);

    // Revoking one makes room again.
    ASSERT_TRUE(IsOk(engine().revoke_key(r->user.id, r->key->access_key_id)));
    EXPECT_TRUE(IsOk(engine().generate_key(r->user.id)));
    EXPECT_TRUE(FailsWith(engine().generate_key(r->user.id), Errc::TooManyAccessKeys));
}

// Keys made within the same millisecond still list in creation order.
TEST_F(Users, KeysListOldestFirst) {
    std::string id = make_user("order@example.com");
    for (int round = 0; round < 12; ++round) {
        SCOPED_TRACE(round);
        auto k1 = engine().generate_key(id);
        auto k2 = engine().generate_key(id);
        ASSERT_TRUE(k1 && k2);
        auto keys = engine().list_keys(id);
        ASSERT_TRUE(keys) << keys.error().message();
        ASSERT_EQ(keys->size(), 2u);
        EXPECT_EQ((*keys)[0].access_key_id, k1->access_key_id);
        EXPECT_EQ((*keys)[1].access_key_id, k2->access_key_id);
        ASSERT_TRUE(IsOk(engine().revoke_key(id, k1->access_key_id)));
        ASSERT_TRUE(IsOk(engine().revoke_key(id, k2->access_key_id)));
    }
}

TEST_F(Users, LookupKeyReturnsPairAndOwner) {
    auto r = engine().create_user("hank@example.com");
    ASSERT_TRUE(r) << r.error().message();
    auto k = engine().lookup_key(r->key->access_key_id);
    ASSERT_TRUE(k) << k.error().message();
    EXPECT_EQ(k->access_key_id, r->key->access_key_id);
    EXPECT_EQ(k->secret, r->key->secret);
    EXPECT_EQ(k->user_id, r->user.id);
    EXPECT_EQ(k->account, "");
    EXPECT_TRUE(FailsWith(engine().lookup_key("0123456789abcdefZZZZ"), Errc::NoSuchAccessKey));
}

TEST_F(Users, RevokedKeyNoLongerLooksUp) {
    auto r = engine().create_user("ivy@example.com");
    ASSERT_TRUE(r) << r.error().message();
    auto second = engine().generate_key(r->user.id);
    ASSERT_TRUE(second) << second.error().message();
    ASSERT_TRUE(IsOk(engine().revoke_key(r->user.id, r->key->access_key_id)));
    EXPECT_TRUE(FailsWith(engine().lookup_key(r->key->access_key_id), Errc::NoSuchAccessKey));
    EXPECT_TRUE(FailsWith(engine().revoke_key(r->user.id, r->key->access_key_id), Errc::NoSuchAccessKey));
    EXPECT_TRUE(IsOk(engine().lookup_key(second->access_key_id)));
    auto keys = engine().list_keys(r->user.id);
    ASSERT_TRUE(keys) << keys.error().message();
    ASSERT_EQ(keys->size(), 1u);
    EXPECT_EQ((*keys)[0].access_key_id, second->access_key_id);
}

TEST_F(Users, RevokingSomeoneElsesKeyRefused) {
    auto alice = engine().create_user("alice@example.com");
    auto bob = engine().create_user("bob@example.com");
    ASSERT_TRUE(alice) << alice.error().message();
    ASSERT_TRUE(bob) << bob.error().message();
    EXPECT_TRUE(FailsWith(engine().revoke_key(bob->user.id, alice->key->access_key_id), Errc::NoSuchAccessKey));
    auto k = engine().lookup_key(alice->key->access_key_id);
    ASSERT_TRUE(k) << k.error().message();
    EXPECT_EQ(k->user_id, alice->user.id);
}

TEST_F(Users, SystemFlagKept) {
    auto sys = engine().create_user("admin@example.com", true);
    ASSERT_TRUE(sys) << sys.error().message();
    EXPECT_TRUE(sys->user.system);
    auto plain = engine().create_user("plain@example.com", false);
    ASSERT_TRUE(plain) << plain.error().message();
    EXPECT_FALSE(plain->user.system);

    auto g = engine().get_user(sys->user.id);
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_TRUE(g->system);
    auto s = engine().set_user_state(sys->user.id, UserState::Disabled);
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_TRUE(s->system);  // changing the state keeps the flag
    auto all = engine().list_users();
    ASSERT_TRUE(all) << all.error().message();
    for (const User& u : *all) EXPECT_EQ(u.system, u.id == sys->user.id) << u.email;
}

}  // namespace
}  // namespace ostor::test
