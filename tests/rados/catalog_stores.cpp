// The two backends' stores for the catalog-facets cases.
#include "catalog_stores.hpp"
#include "cluster_clients.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "local/commit_queue.hpp"
#include "local/identity_catalog.hpp"
#include "local/lmdb_env.hpp"
#include "local/settings_catalog.hpp"
#include "rados/identity_catalog.hpp"
#include "rados/records_layout.hpp"
#include "rados/settings_catalog.hpp"
#include "records.hpp"

namespace ostor::detail::facets_test {

namespace fs = std::filesystem;
using rados::Client;
using rados::Pool;
using rados::WriteOp;

Client& cluster() {
    static std::unique_ptr<Client> client = rados::cluster_test::connect_gateway();
    return *client;
}

namespace {

constexpr std::uint64_t kTestMapBytes = std::uint64_t{1} << 30;

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
    // A row of the Buckets table written directly: the local object catalog
    // would need a segment store, and this row is all delete_user and
    // delete_account look at.
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

}  // namespace

std::unique_ptr<Store> make_store(Backend backend) {
    if (backend == Backend::Local) return std::make_unique<LocalStore>();
    return std::make_unique<RadosStore>();
}

}  // namespace ostor::detail::facets_test
