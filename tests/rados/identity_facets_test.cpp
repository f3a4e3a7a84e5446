// IdentityCatalog cases (users, access keys, accounts), the same on the
// local and the RADOS facets (catalog_stores.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <string>
#include <thread>
#include <vector>

#include "catalog_stores.hpp"

namespace ostor::detail::facets_test {
namespace {

class IdentityFacets : public CatalogFacets {};

// ---- Users -----------------------------------------------------------------

TEST_P(IdentityFacets, Users_CreateGetByEmailList) {
    auto mail = email("Alice.Smith");
    auto created = ids().create_user(mail, true, true);
    ASSERT_OK(created);
    EXPECT_EQ(created->user.id.size(), 16u);
    EXPECT_EQ(created->user.email, mail);
    EXPECT_TRUE(created->user.system);
    EXPECT_EQ(created->user.state, UserState::Enabled);
    ASSERT_TRUE(created->key);
    EXPECT_EQ(created->key->user_id, created->user.id);
    EXPECT_TRUE(created->key->access_key_id.starts_with(created->user.id));

    auto got = ids().get_user(created->user.id);
    ASSERT_OK(got);
    EXPECT_EQ(got->email, mail);
    EXPECT_EQ(got->created_ms, created->user.created_ms);

    for (auto variant : {mail, lowercase(mail), [&] {
                             std::string up = mail;
                             for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                             return up;
                         }()}) {
        auto by = ids().get_user_by_email(variant);
        ASSERT_OK(by);
        EXPECT_EQ(by->id, created->user.id) << variant;
    }
    EXPECT_ERRC(ids().get_user_by_email(email("nobody")), Errc::NoSuchUser);
    EXPECT_ERRC(ids().get_user_by_email(""), Errc::NoSuchUser);
    EXPECT_ERRC(ids().get_user("0123456789abcdef"), Errc::NoSuchUser);
    EXPECT_ERRC(ids().get_user(""), Errc::NoSuchUser);

    auto second = new_user();
    auto all = ids().list_users();
    ASSERT_OK(all);
    std::vector<std::string> ids_listed;
    for (auto& u : *all) ids_listed.push_back(u.id);
    EXPECT_TRUE(std::is_sorted(ids_listed.begin(), ids_listed.end()));
    EXPECT_NE(std::find(ids_listed.begin(), ids_listed.end(), created->user.id), ids_listed.end());
    EXPECT_NE(std::find(ids_listed.begin(), ids_listed.end(), second.id), ids_listed.end());
}

TEST_P(IdentityFacets, Users_DuplicateEmailRefusedInAnyCase) {
    auto mail = email("bob");
    ASSERT_OK(ids().create_user(mail, false, false));
    auto upper = mail;
    upper[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[0])));
    EXPECT_ERRC(ids().create_user(upper, false, false), Errc::UserAlreadyExists);
    EXPECT_ERRC(ids().create_user(mail, false, true), Errc::UserAlreadyExists);
}

TEST_P(IdentityFacets, Users_ConcurrentCreatesOfOneEmailMakeOneUser) {
    auto mail = email("race");
    std::atomic<int> made{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&] {
            auto r = ids().create_user(mail, false, false);
            if (r)
                ++made;
            else if (r.error().code() == Errc::UserAlreadyExists)
                ++refused;
            else
                ADD_FAILURE() << r.error().message();
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(made.load(), 1);
    EXPECT_EQ(refused.load(), kThreads - 1);
    ASSERT_OK(ids().get_user_by_email(mail));
}

TEST_P(IdentityFacets, Users_StateChanges) {
    auto u = new_user();
    auto disabled = ids().set_user_state(u.id, UserState::Disabled);
    ASSERT_OK(disabled);
    EXPECT_EQ(disabled->state, UserState::Disabled);
    EXPECT_EQ(ids().get_user(u.id)->state, UserState::Disabled);
    ASSERT_OK(ids().set_user_state(u.id, UserState::Enabled));
    EXPECT_EQ(ids().get_user(u.id)->state, UserState::Enabled);
    EXPECT_EQ(ids().get_user(u.id)->email, u.email);
    EXPECT_ERRC(ids().set_user_state("0123456789abcdef", UserState::Disabled), Errc::NoSuchUser);
}

TEST_P(IdentityFacets, Users_DeleteTakesKeysAccountsLimitsQuotaAndFreesTheEmail) {
    auto created = ids().create_user(email("carol"), false, true);
    ASSERT_OK(created);
    auto id = created->user.id;
    ASSERT_OK(ids().create_account(id, "acc", true));
    ASSERT_OK(settings().update_limits(LimitTarget::user(id), [](Limits& l) -> Result<void> {
        l.ops_get = 3;
        return {};
    }));
    ASSERT_OK(settings().set_quota(QuotaTarget::user(id), 5));

    ASSERT_OK(ids().delete_user(id));
    EXPECT_ERRC(ids().get_user(id), Errc::NoSuchUser);
    EXPECT_ERRC(ids().get_user_by_email(created->user.email), Errc::NoSuchUser);
    EXPECT_ERRC(ids().lookup_key(created->key->access_key_id), Errc::NoSuchAccessKey);
    EXPECT_ERRC(ids().list_accounts(id), Errc::NoSuchUser);
    EXPECT_ERRC(settings().get_limits(LimitTarget::user(id)), Errc::NoSuchUser);
    EXPECT_ERRC(settings().get_quota(QuotaTarget::user(id)), Errc::NoSuchUser);
    EXPECT_ERRC(ids().delete_user(id), Errc::NoSuchUser);
    auto all = ids().list_users();
    ASSERT_OK(all);
    for (auto& u : *all) EXPECT_NE(u.id, id);

    auto again = ids().create_user(created->user.email, false, false);
    ASSERT_OK(again);
    EXPECT_NE(again->user.id, id);
    EXPECT_EQ(ids().get_user_by_email(created->user.email)->id, again->user.id);
}

TEST_P(IdentityFacets, Users_DeleteRefusedWhileTheUserOwnsBuckets) {
    auto u = new_user();
    ASSERT_OK(ids().create_account(u.id, "acc", false));
    auto bucket = unique("bkt");
    store_->add_bucket(bucket, u.id, "acc");
    EXPECT_ERRC(ids().delete_user(u.id), Errc::UserHasBuckets);
    EXPECT_ERRC(ids().delete_account(u.id, "acc"), Errc::AccountHasBuckets);
    ASSERT_OK(ids().get_user(u.id));
    ASSERT_OK(ids().get_account(u.id, "acc"));

    store_->remove_bucket(bucket, u.id, "acc");
    ASSERT_OK(ids().delete_account(u.id, "acc"));
    ASSERT_OK(ids().delete_user(u.id));
}

// ---- Access keys -------------------------------------------------------------

TEST_P(IdentityFacets, Keys_TwoAtMostRevokeLookupOldestFirst) {
    auto u = new_user();
    auto first = ids().generate_key(u.id, "");
    ASSERT_OK(first);
    auto second = ids().generate_key(u.id, "");
    ASSERT_OK(second);
    EXPECT_GT(second->created_ms, first->created_ms);
    EXPECT_ERRC(ids().generate_key(u.id, ""), Errc::TooManyAccessKeys);

    auto listed = ids().list_keys(u.id, "");
    ASSERT_OK(listed);
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[0].access_key_id, first->access_key_id);
    EXPECT_EQ((*listed)[1].access_key_id, second->access_key_id);

    auto found = ids().lookup_key(second->access_key_id);
    ASSERT_OK(found);
    EXPECT_EQ(found->secret, second->secret);
    EXPECT_EQ(found->user_id, u.id);
    EXPECT_ERRC(ids().lookup_key(u.id + "ZZZZ"), Errc::NoSuchAccessKey);
    EXPECT_ERRC(ids().lookup_key("short"), Errc::NoSuchAccessKey);
    EXPECT_ERRC(ids().lookup_key(""), Errc::NoSuchAccessKey);

    ASSERT_OK(ids().revoke_key(u.id, first->access_key_id, std::nullopt));
    EXPECT_ERRC(ids().lookup_key(first->access_key_id), Errc::NoSuchAccessKey);
    EXPECT_ERRC(ids().revoke_key(u.id, first->access_key_id, std::nullopt), Errc::NoSuchAccessKey);
    auto other = new_user();
    EXPECT_ERRC(ids().revoke_key(other.id, second->access_key_id, std::nullopt), Errc::NoSuchAccessKey);
    EXPECT_ERRC(ids().revoke_key("0123456789abcdef", second->access_key_id, std::nullopt), Errc::NoSuchUser);
    EXPECT_ERRC(ids().generate_key("0123456789abcdef", ""), Errc::NoSuchUser);
    EXPECT_ERRC(ids().generate_key(u.id, "nope"), Errc::NoSuchAccount);

    auto third = ids().generate_key(u.id, "");
    ASSERT_OK(third);
    listed = ids().list_keys(u.id, "");
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[0].access_key_id, second->access_key_id);
    EXPECT_EQ((*listed)[1].access_key_id, third->access_key_id);
}

TEST_P(IdentityFacets, Keys_ConcurrentGenerateNeverMakesThree) {
    auto u = new_user();
    ASSERT_OK(ids().create_account(u.id, "acc", false));
    for (std::string account : {"", "acc"}) {
        std::atomic<int> made{0}, refused{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i)
            threads.emplace_back([&] {
                auto r = ids().generate_key(u.id, account);
                if (r)
                    ++made;
                else if (r.error().code() == Errc::TooManyAccessKeys)
                    ++refused;
                else
                    ADD_FAILURE() << r.error().message();
            });
        for (auto& t : threads) t.join();
        EXPECT_EQ(made.load(), 2) << "account '" << account << "'";
        EXPECT_EQ(refused.load(), kThreads - 2);
        auto listed = ids().list_keys(u.id, account);
        ASSERT_OK(listed);
        EXPECT_EQ(listed->size(), 2u);
    }
}

// ---- Accounts ----------------------------------------------------------------

TEST_P(IdentityFacets, Accounts_CreateDuplicateDeleteWithKeys) {
    auto u = new_user(true);
    auto made = ids().create_account(u.id, "billing", true);
    ASSERT_OK(made);
    EXPECT_EQ(made->account.user_id, u.id);
    EXPECT_EQ(made->account.name, "billing");
    ASSERT_TRUE(made->key);
    EXPECT_EQ(made->key->account, "billing");
    EXPECT_ERRC(ids().create_account(u.id, "billing", false), Errc::AccountAlreadyExists);
    EXPECT_ERRC(ids().create_account("0123456789abcdef", "billing", false), Errc::NoSuchUser);
    ASSERT_OK(ids().create_account(u.id, "archive", false));

    auto listed = ids().list_accounts(u.id);
    ASSERT_OK(listed);
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[0].name, "archive");
    EXPECT_EQ((*listed)[1].name, "billing");
    auto got = ids().get_account(u.id, "billing");
    ASSERT_OK(got);
    EXPECT_EQ(got->created_ms, made->account.created_ms);
    EXPECT_ERRC(ids().get_account(u.id, "nope"), Errc::NoSuchAccount);

    // The account's keys are its own: not the user's.
    auto own = ids().list_keys(u.id, "");
    ASSERT_OK(own);
    EXPECT_EQ(own->size(), 1u);
    auto second = ids().generate_key(u.id, "billing");
    ASSERT_OK(second);
    EXPECT_ERRC(ids().revoke_key(u.id, second->access_key_id, std::string_view("archive")), Errc::NoSuchAccessKey);

    ASSERT_OK(ids().delete_account(u.id, "billing"));
    EXPECT_ERRC(ids().get_account(u.id, "billing"), Errc::NoSuchAccount);
    EXPECT_ERRC(ids().lookup_key(made->key->access_key_id), Errc::NoSuchAccessKey);
    EXPECT_ERRC(ids().lookup_key(second->access_key_id), Errc::NoSuchAccessKey);
    EXPECT_ERRC(ids().delete_account(u.id, "billing"), Errc::NoSuchAccount);
    EXPECT_ERRC(ids().list_keys(u.id, "billing"), Errc::NoSuchAccount);
    EXPECT_EQ(ids().list_keys(u.id, "")->size(), 1u);

    // Made again, it starts without keys.
    ASSERT_OK(ids().create_account(u.id, "billing", false));
    EXPECT_EQ(ids().list_keys(u.id, "billing")->size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, IdentityFacets, ::testing::Values(Backend::Local, Backend::Rados), backend_name);

}  // namespace
}  // namespace ostor::detail::facets_test
