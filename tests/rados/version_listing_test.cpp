// ListObjectVersions on RADOS while versions move between a key's current
// (its o entry) and its other versions (v entries): each shard's two kinds
// are read together (docs/rados.md, "Version listing"), so a listing never
// shows a version twice nor misses one that stayed. And listings whose
// shard pages cut a key's versions, or a key with more versions than a page,
// list every version once, in order.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "recount_fixture.hpp"

namespace ostor::detail::rados::recount_test {
namespace {

class RadosVersionListingTest : public RadosRecountTest {
protected:
    void SetUp() override {
        RadosRecountTest::SetUp();
        ASSERT_OK(gw1_->objects->set_bucket_versioning(bucket_, VersioningState::Enabled));
    }
    // The version id of a new version of `key`.
    std::string put_version(Gateway& g, const std::string& key) {
        FreedExtents freed;
        auto r = g.objects->put_object(body(key, 16), {}, freed);
        EXPECT_TRUE(r) << r.error().message();
        return r ? r->version_id : std::string();
    }
    Result<DeleteResult> delete_version(Gateway& g, const std::string& key, const std::string& version_id) {
        FreedExtents freed;
        DeleteOptions options;
        options.version_id = version_id;
        return g.objects->delete_version(bucket_, key, options, freed);
    }
    // A listing of every version, `max_keys` a page; `split` gets the keys
    // whose versions two pages share.
    std::vector<ObjectInfo> list_all(Gateway& g, std::uint32_t max_keys, std::set<std::string>* split = nullptr) {
        std::vector<ObjectInfo> all;
        ListVersionsParams params;
        params.max_keys = max_keys;
        for (int pages = 0; pages < 10'000; ++pages) {
            auto page = g.objects->list_versions(bucket_, params);
            EXPECT_TRUE(page) << page.error().message();
            if (!page) return all;
            for (auto& v : page->versions) all.push_back(std::move(v));
            if (!page->truncated) return all;
            if (split) split->insert(page->next_key_marker);
            params.key_marker = page->next_key_marker;
            params.version_id_marker = page->next_version_id_marker;
        }
        ADD_FAILURE() << "a listing that never ends";
        return all;
    }
};

// Keys in the order a listing gives them: "k-<nn>".
std::string key_of(int i) {
    std::string n = std::to_string(i);
    return "k-" + std::string(3 - n.size(), '0') + n;
}

TEST_F(RadosVersionListingTest, AVersionMovingBetweenCurrentAndNoncurrentIsListedOnceAndNeverMissed) {
    // Every key has two versions, written before the listings: its current
    // and a noncurrent one. Writers PUT a new version of every fourth key
    // (its current moves into the v entries) and DELETE it again by id (the
    // old current promoted back), so those keys' first two versions stay all
    // along, moving between o and v; the other keys are left alone.
    constexpr int kKeys = 48;
    constexpr int kWriters = 2;
    constexpr auto kListingFor = std::chrono::seconds(12);
    std::map<std::string, std::set<std::string>> stayed;  // every key's versions that stay
    std::vector<std::string> churned;
    for (int i = 0; i < kKeys; ++i) {
        const std::string key = key_of(i);
        stayed[key].insert(put_version(*gw1_, key));
        stayed[key].insert(put_version(*gw1_, key));
        if (i % 4 == 1) churned.push_back(key);
    }
    ASSERT_FALSE(HasFailure());
    std::atomic<bool> stop{false};
    std::atomic<int> moves{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w)
        writers.emplace_back([&, w] {
            Gateway gw;
            for (std::size_t n = static_cast<std::size_t>(w); !stop; n += kWriters) {
                const std::string& key = churned[n % churned.size()];
                const std::string id = put_version(gw, key);
                if (id.empty()) return;
                auto removed = delete_version(gw, key, id);
                EXPECT_TRUE(removed) << removed.error().message();
                if (!removed) return;
                moves += 2;
            }
        });
    // Pages of 5: each shard read 6 entries of each kind at a time, so that
    // shard pages cut between keys and inside a key's versions.
    Gateway lister;
    int listings = 0;
    const auto until = std::chrono::steady_clock::now() + kListingFor;
    while (std::chrono::steady_clock::now() < until && !HasFailure()) {
        const std::uint32_t max_keys = listings % 2 == 0 ? 5 : 1000;
        std::set<std::string> split;
        const auto listed = list_all(lister, max_keys, &split);
        ++listings;
        std::map<std::string, std::multiset<std::string>> seen;
        std::map<std::string, int> latest;
        for (const auto& v : listed) {
            seen[v.key].insert(v.version_id);
            if (v.is_latest) ++latest[v.key];
        }
        for (const auto& [key, ids] : stayed) {
            const auto& got = seen[key];
            for (const auto& id : ids)
                EXPECT_EQ(got.count(id), 1u) << key << " version " << id << " in listing " << listings;
            for (const auto& id : got)
                EXPECT_EQ(got.count(id), 1u) << key << " version " << id << " listed twice in listing " << listings;
            // Across pages a key's newest may change between the page that
            // lists its latest and the next (S3's pages are no snapshot).
            if (!split.contains(key)) {
                EXPECT_EQ(latest[key], 1) << key << ": its latest in listing " << listings;
            }
        }
    }
    stop = true;
    for (auto& t : writers) t.join();
    EXPECT_GT(moves.load(), 100) << "the writers hardly moved anything";
    EXPECT_GT(listings, 20);
    std::cout << listings << " listings, " << moves.load() << " moves\n";
}

TEST_F(RadosVersionListingTest, ShardPagesCutAnywhereListEveryVersionOnceInOrder) {
    // A key with more versions than a shard page holds, keys with a few,
    // markers, keys under a delimiter: every page size gives the same
    // listing as one page, and a delimiter listing rolls the groups up.
    std::vector<std::pair<std::string, std::string>> expected;  // key, version id, in listing order
    std::map<std::string, std::vector<std::string>> versions;   // newest first
    auto add = [&](const std::string& key) { versions[key].insert(versions[key].begin(), put_version(*gw1_, key)); };
    for (int i = 0; i < 30; ++i) add("many");
    for (int i = 0; i < 12; ++i) {
        for (int j = 0; j <= i % 3; ++j) add(key_of(i));
        add("dir/" + key_of(i));
    }
    for (int i = 0; i < 12; i += 5) {
        auto marker = delete_version(*gw1_, key_of(i), "");
        ASSERT_OK(marker);
        versions[key_of(i)].insert(versions[key_of(i)].begin(), marker->version_id);
    }
    ASSERT_FALSE(HasFailure());
    for (const auto& [key, ids] : versions)
        for (const auto& id : ids) expected.emplace_back(key, id);
    for (std::uint32_t max_keys : {1u, 2u, 5u, 7u, 29u, 1000u}) {
        const auto listed = list_all(*gw1_, max_keys);
        std::vector<std::pair<std::string, std::string>> got;
        std::map<std::string, int> latest;
        for (const auto& v : listed) {
            got.emplace_back(v.key, v.version_id);
            if (v.is_latest) {
                ++latest[v.key];
                EXPECT_EQ(v.version_id, versions[v.key].front()) << v.key << " with pages of " << max_keys;
            }
        }
        EXPECT_EQ(got, expected) << "pages of " << max_keys;
        for (const auto& [key, ids] : versions) EXPECT_EQ(latest[key], 1) << key << " with pages of " << max_keys;
    }
    // A delimiter listing: "dir/" once, then the keys after it.
    ListVersionsParams params;
    params.delimiter = "/";
    params.max_keys = 3;
    std::vector<std::string> prefixes;
    std::size_t listed = 0;
    for (;;) {
        auto page = gw1_->objects->list_versions(bucket_, params);
        ASSERT_OK(page);
        for (auto& p : page->common_prefixes) prefixes.push_back(p);
        listed += page->versions.size();
        if (!page->truncated) break;
        params.key_marker = page->next_key_marker;
        params.version_id_marker = page->next_version_id_marker;
    }
    EXPECT_EQ(prefixes, std::vector<std::string>{"dir/"});
    EXPECT_EQ(listed, expected.size() - 12);
}

}  // namespace
}  // namespace ostor::detail::rados::recount_test
