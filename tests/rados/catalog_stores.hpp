// What the catalog-facets cases stand on: one backend's IdentityCatalog and
// SettingsCatalog on one store (the local ones on a metadata store in a
// temporary directory, the RADOS ones on the throwaway cluster that
// run_with_cluster.sh names in OSTOR_TEST_VOLUME), and the fixture the cases
// share, parameterised by the backend.
//
// The RADOS cases share the cluster's pools, so every case uses emails and
// names of its own and checks listings for what it made (not for equality).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "engine_impl.hpp"
#include "hashing.hpp"
#include "rados/client.hpp"
#include "storage/catalog.hpp"

namespace ostor {

inline void PrintTo(Errc code, std::ostream* os) { *os << error_info(code).name; }

}  // namespace ostor

namespace ostor::detail::facets_test {

inline constexpr int kThreads = 8;

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

std::unique_ptr<Store> make_store(Backend backend);

// The cluster's client, connected at first use (aborts when it cannot be).
rados::Client& cluster();

class CatalogFacets : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override { store_ = make_store(GetParam()); }
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

// The names of `list` that start with `prefix`.
inline std::vector<std::string> named(const UsageObjectList& list, const std::string& prefix) {
    std::vector<std::string> out;
    for (auto& n : list.names)
        if (n.starts_with(prefix)) out.push_back(n);
    return out;
}

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::Local ? "Local" : "Rados";
}

}  // namespace ostor::detail::facets_test
