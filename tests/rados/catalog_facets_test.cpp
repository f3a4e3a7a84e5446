// The same behaviour cases on both backends' IdentityCatalog and
// SettingsCatalog: the local ones on a metadata store in a temporary
// directory, the RADOS ones on the throwaway cluster that run_with_cluster.sh
// names in OSTOR_TEST_VOLUME. The RADOS cases share the cluster's pools, so
// every case uses emails and names of its own and checks listings for what
// it made (not for equality). Cases about the RADOS layout's crash leftovers
// run on RADOS only.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "access_keys.hpp"
#include "engine_impl.hpp"
#include "hashing.hpp"
#include "local/commit_queue.hpp"
#include "local/identity_catalog.hpp"
#include "local/lmdb_env.hpp"
#include "local/settings_catalog.hpp"
#include "rados/client.hpp"
#include "rados/identity_catalog.hpp"
#include "rados/records_layout.hpp"
#include "rados/settings_catalog.hpp"
#include "records.hpp"

namespace ostor {

inline void PrintTo(Errc code, std::ostream* os) { *os << error_info(code).name; }

}  // namespace ostor

namespace ostor::detail {
namespace {

namespace fs = std::filesystem;
using rados::Client;
using rados::Pool;
using rados::WriteOp;

constexpr std::uint64_t kTestMapBytes = std::uint64_t{1} << 30;
constexpr int kThreads = 8;

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().message()
#define EXPECT_ERRC(r, c)                                        \
    do {                                                         \
        auto&& r_ = (r);                                         \
        ASSERT_FALSE(r_);                                        \
        EXPECT_EQ(r_.error().code(), c) << r_.error().message(); \
    } while (0)

enum class Backend { Local, Rados };

// One backend's two facets on one store, and what the cases need to set up
// that belongs to the object catalog (buckets).
class Store {
public:
    virtual ~Store() = default;
    virtual IdentityCatalog& ids() = 0;
    virtual SettingsCatalog& settings() = 0;
    // Another engine instance's settings catalog on the same store.
    virtual std::unique_ptr<SettingsCatalog> other_instance(const std::string& instance_id) = 0;
    // A bucket of (owner, account), as the object catalog would record it.
    virtual void add_bucket(const std::string& name, const std::string& owner, const std::string& account) = 0;
    virtual void remove_bucket(const std::string& name, const std::string& owner, const std::string& account) = 0;
};

class LocalStore final : public Store {
public:
    LocalStore() {
        dir_ = fs::temp_directory_path() / ("ostor-facets-" + random_hex16());
        fs::create_directories(dir_);
        auto env = Env::open(dir_, kTestMapBytes);
        if (!env) throw std::runtime_error(std::string(env.error().message()));
        env_ = std::move(*env);
        commits_ = std::make_unique<CommitQueue>(*env_);
        ids_ = std::make_unique<LocalIdentityCatalog>(*env_, *commits_);
        settings_ = std::make_unique<LocalSettingsCatalog>(*env_, *commits_);
    }
    ~LocalStore() override {
        settings_.reset();
        ids_.reset();
        commits_.reset();
        env_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    IdentityCatalog& ids() override { return *ids_; }
    SettingsCatalog& settings() override { return *settings_; }
    std::unique_ptr<SettingsCatalog> other_instance(const std::string&) override {
        // The local catalog has no instances: another one on the same store.
        return std::make_unique<LocalSettingsCatalog>(*env_, *commits_);
    }
    void add_bucket(const std::string& name, const std::string& owner, const std::string& account) override {
        Bucket b;
        b.name = name;
        b.owner_id = owner;
        b.account = account;
        auto r = commits_->run([&](Txn& txn) -> Result<void> {
            txn.put(Table::Buckets, name, encode(b));
            return {};
        });
        ASSERT_OK(r);
    }
    void remove_bucket(const std::string& name, const std::string&, const std::string&) override {
        auto r = commits_->run([&](Txn& txn) -> Result<void> {
            txn.del(Table::Buckets, name);
            return {};
        });
        ASSERT_OK(r);
    }

private:
    fs::path dir_;
    std::unique_ptr<Env> env_;
    std::unique_ptr<CommitQueue> commits_;
    std::unique_ptr<LocalIdentityCatalog> ids_;
    std::unique_ptr<LocalSettingsCatalog> settings_;
};

Client& cluster() {
    static std::unique_ptr<Client> client = [] {
        const char* text = std::getenv("OSTOR_TEST_VOLUME");
        if (!text) {
            std::fprintf(stderr, "OSTOR_TEST_VOLUME is not set: run this through tests/rados/run_with_cluster.sh\n");
            std::abort();
        }
        auto spec = VolumeSpec::parse(text);
        if (!spec) std::abort();
        auto c = Client::connect(*spec);
        if (!c) {
            std::fprintf(stderr, "connect: %s\n", std::string(c.error().message()).c_str());
            std::abort();
        }
        return std::move(*c);
    }();
    return *client;
}

class RadosStore final : public Store {
public:
    RadosStore() : ids_(cluster()), settings_(cluster(), "instance-" + random_hex16()) {}
    IdentityCatalog& ids() override { return ids_; }
    SettingsCatalog& settings() override { return settings_; }
    std::unique_ptr<SettingsCatalog> other_instance(const std::string& instance_id) override {
        return std::make_unique<rados::RadosSettingsCatalog>(cluster(), instance_id);
    }
    // The bucket record and the counts of user.<id> (records_layout.hpp),
    // written directly: the object catalog is not built yet.
    void add_bucket(const std::string& name, const std::string& owner, const std::string& account) override {
        ASSERT_OK(cluster().create_exclusive(Pool::Meta, rados::bucket_oid(name)));
        change_counts(owner, account, +1);
    }
    void remove_bucket(const std::string& name, const std::string& owner, const std::string& account) override {
        ASSERT_OK(cluster().remove(Pool::Meta, rados::bucket_oid(name)));
        change_counts(owner, account, -1);
    }

private:
    static void change_counts(const std::string& owner, const std::string& account, int by) {
        std::set<std::string> keys{std::string(rados::kBucketsKey)};
        if (!account.empty()) keys.insert(rados::account_buckets_key(account));
        auto got = cluster().omap_get(Pool::Meta, rados::user_oid(owner), keys);
        ASSERT_OK(got);
        WriteOp op;
        op.assert_exists();
        for (auto& k : keys) {
            auto it = got->find(k);
            auto n = it == got->end() ? 0 : std::stoll(it->second);
            op.omap_set(k, rados::encode_count(static_cast<std::uint64_t>(n + by)));
        }
        ASSERT_OK(cluster().apply(Pool::Meta, rados::user_oid(owner), op));
    }

    rados::RadosIdentityCatalog ids_;
    rados::RadosSettingsCatalog settings_;
};

class Facets : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (GetParam() == Backend::Local)
            store_ = std::make_unique<LocalStore>();
        else
            store_ = std::make_unique<RadosStore>();
    }
    bool rados() const { return GetParam() == Backend::Rados; }
    IdentityCatalog& ids() { return store_->ids(); }
    SettingsCatalog& settings() { return store_->settings(); }
    // Unique on the shared cluster.
    static std::string unique(const std::string& what) { return what + "-" + random_hex16(); }
    static std::string email(const std::string& who) { return unique(who) + "@example.com"; }
    User new_user(bool with_key = false) {
        auto created = ids().create_user(email("user"), false, with_key);
        EXPECT_TRUE(created) << created.error().message();
        return created ? created->user : User{};
    }

    std::unique_ptr<Store> store_;
};

// ---- Users -----------------------------------------------------------------

TEST_P(Facets, Users_CreateGetByEmailList) {
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

TEST_P(Facets, Users_DuplicateEmailRefusedInAnyCase) {
    auto mail = email("bob");
    ASSERT_OK(ids().create_user(mail, false, false));
    auto upper = mail;
    upper[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[0])));
    EXPECT_ERRC(ids().create_user(upper, false, false), Errc::UserAlreadyExists);
    EXPECT_ERRC(ids().create_user(mail, false, true), Errc::UserAlreadyExists);
}

TEST_P(Facets, Users_ConcurrentCreatesOfOneEmailMakeOneUser) {
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

TEST_P(Facets, Users_StateChanges) {
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

TEST_P(Facets, Users_DeleteTakesKeysAccountsLimitsQuotaAndFreesTheEmail) {
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

TEST_P(Facets, Users_DeleteRefusedWhileTheUserOwnsBuckets) {
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

TEST_P(Facets, Keys_TwoAtMostRevokeLookupOldestFirst) {
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

TEST_P(Facets, Keys_ConcurrentGenerateNeverMakesThree) {
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

TEST_P(Facets, Accounts_CreateDuplicateDeleteWithKeys) {
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

// ---- Limits --------------------------------------------------------------------

TEST_P(Facets, Limits_ConcurrentChangesOfDifferentFieldsAreAllKept) {
    auto u = new_user();
    auto target = LimitTarget::user(u.id);
    constexpr int kRounds = 5;
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&, i] {
            for (int r = 0; r < kRounds; ++r) {
                auto changed = settings().update_limits(target, [i](Limits& l) -> Result<void> {
                    switch (i % 6) {
                        case 0:
                            l.ops_default += 1;
                            break;
                        case 1:
                            l.ops_get += 1;
                            break;
                        case 2:
                            l.ops_put += 1;
                            break;
                        case 3:
                            l.ops_list += 1;
                            break;
                        case 4:
                            l.ops_delete += 1;
                            break;
                        default:
                            l.bandwidth_out_kbps += 1;
                            break;
                    }
                    return {};
                });
                if (!changed) ADD_FAILURE() << changed.error().message();
            }
        });
    for (auto& t : threads) t.join();
    auto l = settings().get_limits(target);
    ASSERT_OK(l);
    // Threads 0..5 change one field each; 6 and 7 change the first two again.
    EXPECT_EQ(l->ops_default, 2 * kRounds);
    EXPECT_EQ(l->ops_get, 2 * kRounds);
    EXPECT_EQ(l->ops_put, kRounds);
    EXPECT_EQ(l->ops_list, kRounds);
    EXPECT_EQ(l->ops_delete, kRounds);
    EXPECT_EQ(l->bandwidth_out_kbps, static_cast<std::uint64_t>(kRounds));
}

TEST_P(Facets, Limits_RefusedChangeStoresNothingMissingTargetsFail) {
    auto u = new_user();
    auto target = LimitTarget::user(u.id);
    EXPECT_EQ(settings().get_limits(target)->ops_get, 0);
    ASSERT_OK(settings().update_limits(target, [](Limits& l) -> Result<void> {
        l.ops_get = 5;
        return {};
    }));
    EXPECT_ERRC(settings().update_limits(target,
                                         [](Limits& l) -> Result<void> {
                                             l.ops_put = 7;
                                             return Error(Errc::InvalidLimit, "refused");
                                         }),
                Errc::InvalidLimit);
    EXPECT_EQ(settings().get_limits(target)->ops_get, 5);
    EXPECT_EQ(settings().get_limits(target)->ops_put, 0);
    ASSERT_OK(settings().remove_limits(target));
    EXPECT_EQ(settings().get_limits(target)->ops_get, 0);

    auto bucket = unique("limits-bkt");
    EXPECT_ERRC(settings().get_limits(LimitTarget::bucket(bucket)), Errc::NoSuchBucket);
    EXPECT_ERRC(settings().remove_limits(LimitTarget::bucket(bucket)), Errc::NoSuchBucket);
    bool ran = false;
    EXPECT_ERRC(settings().update_limits(LimitTarget::user("0123456789abcdef"),
                                         [&](Limits&) -> Result<void> {
                                             ran = true;
                                             return {};
                                         }),
                Errc::NoSuchUser);
    EXPECT_FALSE(ran);
    EXPECT_ERRC(settings().remove_limits(LimitTarget::user("0123456789abcdef")), Errc::NoSuchUser);

    store_->add_bucket(bucket, u.id, "");
    ASSERT_OK(settings().update_limits(LimitTarget::bucket(bucket), [](Limits& l) -> Result<void> {
        l.bandwidth_out_kbps = 100;
        return {};
    }));
    EXPECT_EQ(settings().get_limits(LimitTarget::bucket(bucket))->bandwidth_out_kbps, 100u);
    store_->remove_bucket(bucket, u.id, "");
}

// ---- Quotas --------------------------------------------------------------------

TEST_P(Facets, Quotas_SetGetRemoveDefaultsEffective) {
    auto u = new_user();
    auto bucket = unique("quota-bkt");
    store_->add_bucket(bucket, u.id, "");
    auto user_q = QuotaTarget::user(u.id);
    auto bucket_q = QuotaTarget::bucket(bucket);

    EXPECT_FALSE(*settings().get_quota(user_q));
    EXPECT_EQ(*settings().effective_quota(user_q), 0u);
    ASSERT_OK(settings().set_quota(QuotaTarget::default_user(), 10));
    ASSERT_OK(settings().set_quota(QuotaTarget::default_bucket(), 20));
    EXPECT_EQ(settings().get_quota(QuotaTarget::default_user())->value_or(0), 10u);
    EXPECT_EQ(*settings().effective_quota(QuotaTarget::default_bucket()), 20u);
    EXPECT_FALSE(*settings().get_quota(user_q));
    EXPECT_EQ(*settings().effective_quota(user_q), 10u);
    EXPECT_EQ(*settings().effective_quota(bucket_q), 20u);

    ASSERT_OK(settings().set_quota(user_q, 3));
    ASSERT_OK(settings().set_quota(bucket_q, 4));
    EXPECT_EQ(settings().get_quota(user_q)->value_or(0), 3u);
    EXPECT_EQ(*settings().effective_quota(user_q), 3u);
    EXPECT_EQ(*settings().effective_quota(bucket_q), 4u);
    ASSERT_OK(settings().set_quota(user_q, 0));  // zero is a quota of its own, not "none"
    EXPECT_EQ(settings().get_quota(user_q)->value_or(99), 0u);

    ASSERT_OK(settings().remove_quota(user_q));
    ASSERT_OK(settings().remove_quota(bucket_q));
    ASSERT_OK(settings().remove_quota(QuotaTarget::default_user()));
    ASSERT_OK(settings().remove_quota(QuotaTarget::default_bucket()));
    EXPECT_FALSE(*settings().get_quota(user_q));
    EXPECT_FALSE(*settings().get_quota(QuotaTarget::default_user()));
    EXPECT_EQ(*settings().effective_quota(user_q), 0u);
    EXPECT_EQ(*settings().effective_quota(bucket_q), 0u);

    EXPECT_ERRC(settings().set_quota(QuotaTarget::user("0123456789abcdef"), 1), Errc::NoSuchUser);
    EXPECT_ERRC(settings().get_quota(QuotaTarget::user("0123456789abcdef")), Errc::NoSuchUser);
    EXPECT_ERRC(settings().effective_quota(QuotaTarget::bucket(unique("none"))), Errc::NoSuchBucket);
    EXPECT_ERRC(settings().set_quota(QuotaTarget::bucket(unique("none")), 1), Errc::NoSuchBucket);
    EXPECT_ERRC(settings().remove_quota(QuotaTarget::bucket("")), Errc::NoSuchBucket);
    store_->remove_bucket(bucket, u.id, "");
}

// ---- Usage statistics objects ---------------------------------------------------

// The names of `list` that start with `prefix` (the RADOS cases share pools).
std::vector<std::string> named(const UsageObjectList& list, const std::string& prefix) {
    std::vector<std::string> out;
    for (auto& n : list.names)
        if (n.starts_with(prefix)) out.push_back(n);
    return out;
}

TEST_P(Facets, UsageObjects_PutReplaceListPagedGetDelete) {
    auto prefix = unique("usage") + "-";
    for (int i = 1; i <= 5; ++i)
        ASSERT_OK(settings().put_usage_object(prefix + std::to_string(i), "{\"n\":" + std::to_string(i) + "}"));
    ASSERT_OK(settings().put_usage_object(prefix + "3", "{\"n\":33}"));
    EXPECT_EQ(*settings().get_usage_object(prefix + "3"), "{\"n\":33}");
    EXPECT_EQ(*settings().get_usage_object(prefix + "1"), "{\"n\":1}");

    auto page = settings().list_usage_objects(prefix, 2);
    ASSERT_OK(page);
    EXPECT_EQ(page->names, (std::vector<std::string>{prefix + "1", prefix + "2"}));
    EXPECT_TRUE(page->truncated);
    page = settings().list_usage_objects(prefix + "2", 2);
    ASSERT_OK(page);
    EXPECT_EQ(page->names, (std::vector<std::string>{prefix + "3", prefix + "4"}));
    EXPECT_TRUE(page->truncated);
    page = settings().list_usage_objects(prefix + "4", 1000);
    ASSERT_OK(page);
    EXPECT_EQ(named(*page, prefix), (std::vector<std::string>{prefix + "5"}));
    if (!rados()) {
        EXPECT_FALSE(page->truncated);
    }

    ASSERT_OK(settings().delete_usage_object(prefix + "2"));
    EXPECT_ERRC(settings().get_usage_object(prefix + "2"), Errc::NoSuchUsageObject);
    EXPECT_ERRC(settings().delete_usage_object(prefix + "2"), Errc::NoSuchUsageObject);
    EXPECT_ERRC(settings().get_usage_object(""), Errc::NoSuchUsageObject);
    page = settings().list_usage_objects(prefix, 1000);
    ASSERT_OK(page);
    EXPECT_EQ(named(*page, prefix), (std::vector<std::string>{prefix + "1", prefix + "3", prefix + "4", prefix + "5"}));
    ASSERT_OK(settings().put_usage_object(prefix + "empty", ""));
    EXPECT_EQ(*settings().get_usage_object(prefix + "empty"), "");
}

// ---- Billing totals ------------------------------------------------------------

BillingCounters counters(std::uint64_t put, std::uint64_t uploaded) {
    BillingCounters c;
    c.put = put;
    c.uploaded = uploaded;
    c.get = 1;
    return c;
}

TEST_P(Facets, Billing_TwoInstancesSum) {
    auto user = random_hex16();
    auto a = store_->other_instance(unique("inst-a"));
    auto b = store_->other_instance(unique("inst-b"));
    ASSERT_OK(a->add_billing_totals({{user, "", counters(1, 100)}, {user, "acc", counters(2, 200)}}));
    ASSERT_OK(b->add_billing_totals({{user, "", counters(10, 1000)}}));
    ASSERT_OK(a->add_billing_totals({{user, "", counters(5, 5)}, {user, "", counters(5, 5)}}));

    auto own = settings().billing_totals(user, std::string_view(""));
    ASSERT_OK(own);
    EXPECT_EQ(own->put, 21u);
    EXPECT_EQ(own->uploaded, 1110u);
    EXPECT_EQ(own->get, 4u);
    auto acc = b->billing_totals(user, std::string_view("acc"));
    ASSERT_OK(acc);
    EXPECT_EQ(acc->put, 2u);
    auto all = a->billing_totals(user, std::nullopt);
    ASSERT_OK(all);
    EXPECT_EQ(all->put, 23u);
    EXPECT_EQ(all->uploaded, 1310u);
    EXPECT_EQ(settings().billing_totals(random_hex16(), std::nullopt)->put, 0u);

    auto listed = settings().list_billing_totals();
    ASSERT_OK(listed);
    std::vector<BillingDelta> mine;
    for (auto& d : *listed)
        if (d.user_id == user) mine.push_back(d);
    ASSERT_EQ(mine.size(), 2u);
    EXPECT_EQ(mine[0].account, "");
    EXPECT_EQ(mine[0].counters.put, 21u);
    EXPECT_EQ(mine[1].account, "acc");
    EXPECT_EQ(mine[1].counters.uploaded, 200u);
}

TEST_P(Facets, Billing_ConcurrentAddsOfOneInstanceAreAllKept) {
    auto user = random_hex16();
    constexpr int kAdds = 10;
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&] {
            for (int r = 0; r < kAdds; ++r) {
                auto added = settings().add_billing_totals({{user, "", counters(1, 1)}});
                if (!added) ADD_FAILURE() << added.error().message();
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(settings().billing_totals(user, std::nullopt)->put, static_cast<std::uint64_t>(kThreads * kAdds));
}

// ---- Crash leftovers of the RADOS layout -----------------------------------------

class RadosLeftovers : public Facets {};

TEST_P(RadosLeftovers, OrphanEmailClaimIsTakenOverByCreateUser) {
    auto mail = email("orphan");
    auto orphan_id = random_hex16();
    // A create_user that crashed after its claim, before its user object.
    ASSERT_OK(cluster().apply(Pool::Meta, rados::email_oid(lowercase(mail)),
                              WriteOp().create_exclusive().omap_set(std::string(rados::kEmailUserKey), orphan_id)));
    EXPECT_ERRC(ids().get_user_by_email(mail), Errc::NoSuchUser);

    auto created = ids().create_user(mail, false, false);
    ASSERT_OK(created);
    EXPECT_EQ(ids().get_user_by_email(mail)->id, created->user.id);
    // The old id is burned: a create still in progress could not make it.
    auto late = cluster().apply(Pool::Meta, rados::user_oid(orphan_id), WriteOp().create_exclusive());
    EXPECT_ERRC(late, rados::kAlreadyExists);
    EXPECT_ERRC(ids().get_user(orphan_id), Errc::NoSuchUser);
}

TEST_P(RadosLeftovers, ClaimOfADeletedUserIsTakenOver) {
    auto created = ids().create_user(email("half-deleted"), false, false);
    ASSERT_OK(created);
    // A delete_user that crashed after removing the user object.
    ASSERT_OK(cluster().remove(Pool::Meta, rados::user_oid(created->user.id)));
    EXPECT_ERRC(ids().get_user_by_email(created->user.email), Errc::NoSuchUser);
    auto all = ids().list_users();
    ASSERT_OK(all);
    for (auto& u : *all) EXPECT_NE(u.id, created->user.id);

    auto again = ids().create_user(created->user.email, false, false);
    ASSERT_OK(again);
    EXPECT_EQ(ids().get_user_by_email(created->user.email)->id, again->user.id);
}

TEST_P(RadosLeftovers, IndexEntriesWithoutTheirUserAreSkippedAndOldOnesRemoved) {
    auto fresh_id = random_hex16();
    auto old_id = random_hex16();
    ASSERT_OK(cluster().apply(Pool::Meta, rados::user_index_oid(rados::user_index_shard(fresh_id)),
                              WriteOp().omap_set(fresh_id, rados::encode_count(now_ms()))));
    ASSERT_OK(cluster().apply(Pool::Meta, rados::user_index_oid(rados::user_index_shard(old_id)),
                              WriteOp().omap_set(old_id, rados::encode_count(1))));
    auto all = ids().list_users();
    ASSERT_OK(all);
    for (auto& u : *all) {
        EXPECT_NE(u.id, fresh_id);
        EXPECT_NE(u.id, old_id);
    }
    auto fresh = cluster().omap_get(Pool::Meta, rados::user_index_oid(rados::user_index_shard(fresh_id)), {fresh_id});
    ASSERT_OK(fresh);
    EXPECT_EQ(fresh->size(), 1u) << "a create may be in progress: its entry stays";
    auto old = cluster().omap_get(Pool::Meta, rados::user_index_oid(rados::user_index_shard(old_id)), {old_id});
    ASSERT_OK(old);
    EXPECT_EQ(old->size(), 0u);
}

TEST_P(RadosLeftovers, UsageObjectWithoutItsIndexEntryIsNotThere) {
    auto name = unique("usage-leftover");
    // A put that crashed after writing the object.
    ASSERT_OK(cluster().write_full(Pool::Meta, rados::usage_oid(name), "{}"));
    EXPECT_ERRC(settings().get_usage_object(name), Errc::NoSuchUsageObject);
    EXPECT_ERRC(settings().delete_usage_object(name), Errc::NoSuchUsageObject);
    auto listed = settings().list_usage_objects(name.substr(0, name.size() - 1), 1000);
    ASSERT_OK(listed);
    EXPECT_TRUE(named(*listed, name).empty());
    // An entry whose object is gone (a put racing a delete) is skipped.
    auto gone = unique("usage-gone");
    ASSERT_OK(settings().put_usage_object(gone, "{}"));
    ASSERT_OK(cluster().remove(Pool::Meta, rados::usage_oid(gone)));
    listed = settings().list_usage_objects(gone.substr(0, gone.size() - 1), 1000);
    ASSERT_OK(listed);
    EXPECT_TRUE(named(*listed, gone).empty());
    EXPECT_ERRC(settings().get_usage_object(gone), Errc::NoSuchUsageObject);
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::Local ? "Local" : "Rados";
}

INSTANTIATE_TEST_SUITE_P(Backends, Facets, ::testing::Values(Backend::Local, Backend::Rados), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, RadosLeftovers, ::testing::Values(Backend::Rados), backend_name);

}  // namespace
}  // namespace ostor::detail
