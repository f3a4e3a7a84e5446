// RadosObjectCatalog against the throwaway cluster: buckets, objects and
// listings, and several connections standing for several gateways racing on
// one key, one bucket's deletion and one quota. Every case uses users and
// buckets of its own; bodies are inline or fake extents (the catalog never
// reads them), except the copy's, which the blob store wrote.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "cluster_clients.hpp"
#include "engine_impl.hpp"
#include "hashing.hpp"
#include "listing.hpp"
#include "rados/blob_store.hpp"
#include "rados/identity_catalog.hpp"
#include "rados/leases.hpp"
#include "rados/object_catalog.hpp"
#include "rados/object_index.hpp"
#include "rados/object_layout.hpp"
#include "rados/records_layout.hpp"
#include "rados/settings_catalog.hpp"
#include "rados/space_ledger.hpp"
#include "rados/user_buckets.hpp"
#include "rados/user_object.hpp"
#include "versions/version_ids.hpp"

namespace ostor::detail::rados {
namespace {

using cluster_test::connect_gateway;
using cluster_test::fence_now;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

// One gateway: a connection and the object catalog on it, with what it needs.
struct Gateway {
    // `fault`: installed before the lease's renewal thread shares the client
    // (client.hpp), and left there: what it refers to it must own.
    explicit Gateway(RadosLeases::Options lease_options = {}, Client::AppliedFault fault = {})
        : client(connect_gateway()) {
        if (fault) client->set_applied_fault_for_tests(std::move(fault));
        auto l = RadosLeases::acquire(*client, lease_options);
        if (!l) std::abort();
        leases = std::move(*l);
        ledger = std::make_unique<SpaceLedger>(*client, leases->instance_id());
        blobs = std::make_unique<RadosBlobStore>(*client, *leases);
        settings = std::make_unique<RadosSettingsCatalog>(*client, leases->instance_id());
        ids = std::make_unique<RadosIdentityCatalog>(*client);
        objects = std::make_unique<RadosObjectCatalog>(*client, *ledger, *blobs, *settings, leases.get());
    }
    ~Gateway() {
        objects.reset();
        (void)ledger->close();
    }
    std::unique_ptr<Client> client;
    std::unique_ptr<RadosLeases> leases;
    std::unique_ptr<SpaceLedger> ledger;
    std::unique_ptr<RadosBlobStore> blobs;
    std::unique_ptr<RadosSettingsCatalog> settings;
    std::unique_ptr<RadosIdentityCatalog> ids;
    std::unique_ptr<RadosObjectCatalog> objects;
    std::shared_ptr<struct Doom> doom;  // a doomed one's (RadosReconcileTest)
};

class RadosObjectCatalogTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        gw1_ = std::make_unique<Gateway>();
        gw2_ = std::make_unique<Gateway>();
    }
    static void TearDownTestSuite() {
        gw1_.reset();
        gw2_.reset();
    }
    void SetUp() override {
        auto u = gw1_->ids->create_user(unique("u") + "@example.com", false, false);
        ASSERT_OK(u);
        user_ = u->user.id;
        auto b = gw1_->objects->create_bucket(bucket_, user_, "", {.acl = "acl", .configs = {}});
        ASSERT_OK(b);
    }
    static RadosObjectCatalog& cat1() { return *gw1_->objects; }
    static RadosObjectCatalog& cat2() { return *gw2_->objects; }
    static std::string unique(const std::string& what) { return what + "-" + random_hex16(); }
    // A body of `size` bytes: inline when small, else fake extents of segment `segment`.
    BodyCommit body(const std::string& key, std::uint64_t size, std::uint64_t segment = 0, std::string etag = "e") {
        BodyCommit b;
        b.record.info.bucket = bucket_;
        b.record.info.key = key;
        b.record.info.size = size;
        b.record.info.etag = std::move(etag);
        b.record.info.last_modified_ms = now_ms();
        if (size <= kInlineMaxBytes)
            b.record.inline_data = std::string(size, 'x');
        else
            b.record.extents.push_back(
                Extent{segment, 0, static_cast<std::uint32_t>(std::min(size, kExtentMaxBytes)), 0});
        return b;
    }
    Result<ObjectInfo> put(RadosObjectCatalog& c, const std::string& key, std::uint64_t size, FreedExtents& freed,
                           std::uint64_t segment = 0, WriteConditions cond = {}) {
        return c.put_object(body(key, size, segment), cond, freed);
    }
    Bucket bucket_now() {
        auto b = cat1().get_bucket(bucket_);
        EXPECT_TRUE(b) << b.error().message();
        return b ? *b : Bucket{};
    }

    static inline std::unique_ptr<Gateway> gw1_, gw2_;
    std::string user_;
    const std::string bucket_ = unique("b");
};

TEST_F(RadosObjectCatalogTest, BucketsCreateGetListDelete) {
    auto again = cat2().create_bucket(bucket_, user_, "", {});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), Errc::BucketAlreadyOwnedByYou);
    auto other = gw1_->ids->create_user(unique("o") + "@example.com", false, false);
    ASSERT_OK(other);
    auto taken = cat2().create_bucket(bucket_, other->user.id, "", {});
    ASSERT_FALSE(taken);
    EXPECT_EQ(taken.error().code(), Errc::BucketAlreadyExists);
    auto nouser = cat1().create_bucket(unique("b"), "nosuchuser0000", "", {});
    ASSERT_FALSE(nouser);
    EXPECT_EQ(nouser.error().code(), Errc::NoSuchUser);
    auto noacct = cat1().create_bucket(unique("b"), user_, "nosuchaccount", {});
    ASSERT_FALSE(noacct);
    EXPECT_EQ(noacct.error().code(), Errc::NoSuchAccount);

    auto b = cat2().get_bucket(bucket_);
    ASSERT_OK(b);
    EXPECT_EQ(b->owner_id, user_);
    EXPECT_EQ(b->acl, "acl");
    auto acl = cat2().set_bucket_acl(bucket_, "new");
    ASSERT_OK(acl);
    EXPECT_EQ(cat1().get_bucket(bucket_)->acl, "new");
    auto listed = cat1().list_buckets(BucketFilter{user_, std::nullopt});
    ASSERT_OK(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].name, bucket_);

    // The owner cannot go while it has the bucket.
    auto refused = gw1_->ids->delete_user(user_);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::UserHasBuckets);

    FreedExtents freed;
    ASSERT_OK(put(cat1(), "k", 10, freed));
    auto full = cat2().delete_bucket(bucket_, freed);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code(), Errc::BucketNotEmpty);
    ASSERT_OK(cat2().delete_object(bucket_, "k", freed));
    ASSERT_OK(cat2().delete_bucket(bucket_, freed));
    auto gone = cat1().get_bucket(bucket_);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), Errc::NoSuchBucket);
    EXPECT_TRUE(cat1().list_buckets(BucketFilter{user_, std::nullopt})->empty());
    ASSERT_OK(gw1_->ids->delete_user(user_));
    // The name is free again, for a new incarnation.
    ASSERT_OK(cat1().create_bucket(bucket_, other->user.id, "", {}));
    auto recreated = cat1().get_bucket(bucket_);
    ASSERT_OK(recreated);
    EXPECT_EQ(recreated->epoch, b->epoch + 1);
    EXPECT_EQ(recreated->objects, 0u);
    ASSERT_OK(cat1().delete_bucket(bucket_, freed));
}

TEST_F(RadosObjectCatalogTest, ObjectsPutGetOverwriteDeleteAcrossGateways) {
    FreedExtents freed;
    auto p = put(cat1(), "small", 100, freed);
    ASSERT_OK(p);
    // Read-after-write on another connection.
    auto got = cat2().get_object(bucket_, "small");
    ASSERT_OK(got);
    EXPECT_EQ(got->inline_data, std::string(100, 'x'));
    EXPECT_EQ(got->info.bucket, bucket_);
    ASSERT_OK(put(cat2(), "big", 5 * kMiB, freed, 77));
    EXPECT_TRUE(freed.empty());
    // Overwrite: the big one's extents are freed; inline replaces extents.
    ASSERT_OK(put(cat1(), "big", 10, freed));
    ASSERT_EQ(freed.size(), 1u);
    EXPECT_EQ(freed[0].segment, 77u);
    auto b = bucket_now();
    EXPECT_EQ(b.objects, 2u);
    EXPECT_EQ(b.bytes, 110u);
    EXPECT_EQ(b.size.current, 110u);
    EXPECT_GE(b.size.hmax, 5 * kMiB + 100);

    WriteConditions none_match;
    none_match.if_none_match = true;
    auto refused = put(cat2(), "big", 10, freed, 0, none_match);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::PreconditionFailed);
    WriteConditions match;
    match.if_match_etag = "other";
    refused = put(cat2(), "nokey", 10, freed, 0, match);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::NoSuchKey);

    auto acl = cat2().set_object_acl(bucket_, "small", "private");
    ASSERT_OK(acl);
    got = cat1().get_object(bucket_, "small");
    ASSERT_OK(got);
    EXPECT_EQ(got->info.meta.acl, "private");
    EXPECT_EQ(got->inline_data.size(), 100u);
    // Tags set through one catalog, the ACL through the other: the record
    // keeps both, and its body.
    const std::vector<std::pair<std::string, std::string>> tags = {{"k", "v"}, {"empty", ""}};
    ASSERT_OK(cat1().set_object_tags(bucket_, "small", tags));
    ASSERT_OK(cat2().set_object_acl(bucket_, "small", "public-read"));
    got = cat1().get_object(bucket_, "small");
    ASSERT_OK(got);
    EXPECT_EQ(got->info.meta.tags, tags);
    EXPECT_EQ(got->info.meta.acl, "public-read");
    EXPECT_EQ(got->inline_data, std::string(100, 'x'));
    auto untagged = cat2().set_object_tags(bucket_, "nokey", tags);
    ASSERT_FALSE(untagged);
    EXPECT_EQ(untagged.error().code(), Errc::NoSuchKey);

    ASSERT_OK(cat2().delete_object(bucket_, "small", freed));
    ASSERT_OK(cat1().delete_object(bucket_, "big", freed));
    auto missing = cat1().get_object(bucket_, "small");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), Errc::NoSuchKey);
    missing = cat1().get_object(bucket_, "small");
    auto del = cat1().delete_object(bucket_, "small", freed);
    ASSERT_FALSE(del);
    EXPECT_EQ(del.error().code(), Errc::NoSuchKey);
    b = bucket_now();
    EXPECT_EQ(b.objects, 0u);
    EXPECT_EQ(b.bytes, 0u);
    auto usage = cat2().get_user_usage(user_);
    ASSERT_OK(usage);
    EXPECT_EQ(usage->bytes, 0u);
    EXPECT_EQ(usage->objects, 0u);
    ASSERT_OK(cat1().delete_bucket(bucket_, freed));
}

TEST_F(RadosObjectCatalogTest, CopySharesTheSourceExtents) {
    auto w = gw1_->blobs->begin_write();
    std::vector<std::byte> data(100 * 1024, std::byte{7});
    ASSERT_OK(w->write(data, 0, 0, 0));
    auto staged = w->finish();
    ASSERT_OK(staged);
    BodyCommit b = body("src", data.size());
    b.record.inline_data.clear();
    b.record.extents = staged->extents;
    FreedExtents freed;
    ASSERT_OK(cat1().put_object(std::move(b), {}, freed));
    w->committed();
    auto copy =
        cat2().copy_object(bucket_, "src", {}, bucket_, "dst", std::nullopt, std::nullopt, std::nullopt, {}, freed);
    ASSERT_OK(copy);
    EXPECT_EQ(copy->key, "dst");
    auto refs = gw1_->client->get_xattr(Pool::Data, blob_oid(staged->extents[0].segment), std::string(kRefsXattr));
    ASSERT_OK(refs);
    EXPECT_EQ(*refs, "2");
    EXPECT_EQ(bucket_now().bytes, 2 * data.size());
    for (auto key : {"src", "dst"}) {
        ASSERT_OK(cat1().delete_object(bucket_, key, freed));
        gw1_->blobs->release(freed);
    }
    ASSERT_OK(cat1().delete_bucket(bucket_, freed));
}

TEST_F(RadosObjectCatalogTest, ConcurrentOverwritesEndWithOneWinnerAndFreeTheRest) {
    constexpr int kPerGateway = 12;
    std::mutex m;
    std::multiset<std::uint64_t> freed_all;
    std::set<std::uint64_t> written;
    auto writer = [&](RadosObjectCatalog& c, std::uint64_t base) {
        for (int i = 0; i < kPerGateway; ++i) {
            FreedExtents freed;
            auto r = put(c, "same", 2 * kMiB + base + i, freed, base + i);
            ASSERT_OK(r);
            std::lock_guard lock(m);
            written.insert(base + i);
            for (auto& x : freed) freed_all.insert(x.segment);
        }
    };
    std::thread t1(writer, std::ref(cat1()), 1000);
    std::thread t2(writer, std::ref(cat2()), 2000);
    t1.join();
    t2.join();
    auto winner = cat1().get_object(bucket_, "same");
    ASSERT_OK(winner);
    ASSERT_EQ(winner->extents.size(), 1u);
    // Every body but the winner's was freed, each once.
    std::set<std::uint64_t> expected = written;
    expected.erase(winner->extents[0].segment);
    EXPECT_EQ(std::set<std::uint64_t>(freed_all.begin(), freed_all.end()), expected);
    EXPECT_EQ(freed_all.size(), expected.size());
    auto b = bucket_now();
    EXPECT_EQ(b.objects, 1u);
    EXPECT_EQ(b.bytes, winner->info.size);
    FreedExtents freed;
    ASSERT_OK(cat1().delete_object(bucket_, "same", freed));
    ASSERT_OK(cat1().delete_bucket(bucket_, freed));
}

TEST_F(RadosObjectCatalogTest, ListingMergesShardsInKeyOrder) {
    std::vector<std::string> keys;
    for (auto dir : {"a/", "b/", "c"})
        for (int i = 0; i < 7; ++i) keys.push_back(std::string(dir) + std::to_string(i));
    keys.push_back("a");
    keys.push_back("b/0/deep");
    FreedExtents freed;
    for (std::size_t i = 0; i < keys.size(); ++i) ASSERT_OK(put(i % 2 ? cat1() : cat2(), keys[i], 1, freed));
    std::sort(keys.begin(), keys.end());

    // Everything, in pages of 4.
    std::vector<std::string> seen;
    ListObjectsParams p;
    p.max_keys = 4;
    for (;;) {
        auto page = cat2().list_objects(bucket_, p);
        ASSERT_OK(page);
        for (auto& o : page->objects) seen.push_back(o.key);
        if (!page->truncated) break;
        p.marker = page->objects.back().key;
    }
    EXPECT_EQ(seen, keys);

    ListObjectsParams d;
    d.delimiter = "/";
    auto top = cat1().list_objects(bucket_, d);
    ASSERT_OK(top);
    EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"a/", "b/"}));
    ASSERT_EQ(top->objects.size(), 8u);
    EXPECT_EQ(top->objects[0].key, "a");

    ListObjectsParams pre;
    pre.prefix = "b/";
    pre.delimiter = "/";
    auto bs = cat1().list_objects(bucket_, pre);
    ASSERT_OK(bs);
    EXPECT_EQ(bs->objects.size(), 7u);
    EXPECT_EQ(bs->common_prefixes, (std::vector<std::string>{"b/0/"}));

    // Scrub's walk sees every body.
    std::size_t bodies = 0;
    ASSERT_OK(cat1().scan_bodies([&](std::vector<StoredBody>& batch) -> Result<void> {
        for (auto& s : batch)
            if (s.name.starts_with(bucket_ + "/")) {
                ++bodies;
                EXPECT_FALSE(s.damaged_record) << s.name;
                EXPECT_EQ(s.inline_data, "x");
            }
        return {};
    }));
    EXPECT_EQ(bodies, keys.size());
    for (auto& k : keys) ASSERT_OK(cat1().delete_object(bucket_, k, freed));
    ASSERT_OK(cat1().delete_bucket(bucket_, freed));
}

// ListObjectVersions merges the o entries of every shard with their v
// entries, by key and each key's newest first: the v entries and heads are
// planted as RADOS versioning (docs/versioning.md, step 4) will write them.
TEST_F(RadosObjectCatalogTest, VersionListingMergesTheVersionsOfEveryShard) {
    const Bucket b = bucket_now();
    auto got = gw1_->client->omap_get(Pool::Meta, bucket_oid(bucket_), {std::string(kBucketShardsKey)});
    ASSERT_OK(got);
    const auto shards = static_cast<std::uint32_t>(std::stoul(got->at(std::string(kBucketShardsKey))));
    auto shard_of = [&](const std::string& key) { return index_oid(bucket_, b.epoch, index_shard_of(key, shards)); };
    auto instance = [](std::int64_t t) { return make_instance(1'000'000 + t, 7); };
    auto record = [&](const std::string& key, const std::string& inst, bool marker, bool null_version) {
        ObjectRecord r;
        r.info.key = key;
        r.info.size = marker ? 0 : 1;
        r.info.etag = marker ? "" : "e";
        r.info.last_modified_ms = now_ms();
        r.info.delete_marker = marker;
        r.instance = inst;
        r.null_version = null_version;
        return encode(r);
    };
    const std::string nul_key("a\0b", 3);
    struct Planted {
        std::string key, omap_key, value;
    };
    std::vector<Planted> planted;
    auto plant_version = [&](const std::string& key, std::int64_t t, bool marker, bool null_version = false) {
        const std::string inst = instance(t);
        planted.push_back({key, versions_prefix(key) + inst, record(key, inst, marker, null_version)});
        return null_version ? std::string("null") : inst;
    };
    auto plant_current = [&](const std::string& key, std::int64_t t) {
        const std::string inst = instance(t);
        planted.push_back({key, record_key(key), record(key, inst, false, false)});
        return inst;
    };
    auto plant_head = [&](const std::string& key, std::int64_t newest, bool marker, std::string null_instance = {}) {
        planted.push_back({key, head_key(key), encode(VersionHead{instance(newest), marker, null_instance})});
    };
    // a: a current above a marker and an object; a\0b: a marker as its latest
    // (no current); b: an unversioned current; c: a current above its null
    // version.
    const std::string a3 = plant_current("a", 3), a2 = plant_version("a", 2, true), a1 = plant_version("a", 1, false);
    plant_head("a", 3, false);
    const std::string n2 = plant_version(nul_key, 2, true), n1 = plant_version(nul_key, 1, false);
    plant_head(nul_key, 2, true);
    FreedExtents freed;
    ASSERT_OK(put(cat1(), "b", 1, freed));
    // Only a versioned bucket can hold v entries: an Off one's listing reads none.
    ASSERT_OK(cat1().set_bucket_versioning(bucket_, VersioningState::Enabled));
    const std::string c2 = plant_current("c", 2);
    plant_version("c", 1, false, true);
    plant_head("c", 2, false, instance(1));
    for (const auto& e : planted)
        ASSERT_OK(gw1_->client->apply(Pool::Index, shard_of(e.key), WriteOp().omap_set(e.omap_key, e.value)));

    using Listed = std::tuple<std::string, std::string, bool, bool>;  // key, version id, marker, latest
    const std::vector<Listed> all = {{"a", a3, false, true},    {"a", a2, true, false},      {"a", a1, false, false},
                                     {nul_key, n2, true, true}, {nul_key, n1, false, false}, {"b", "null", false, true},
                                     {"c", c2, false, true},    {"c", "null", false, false}};
    auto list = [&](ListVersionsParams p) {
        std::vector<Listed> out;
        auto page = cat2().list_versions(bucket_, p);
        EXPECT_TRUE(page) << page.error().message();
        if (page)
            for (const auto& v : page->versions) out.emplace_back(v.key, v.version_id, v.delete_marker, v.is_latest);
        return out;
    };
    EXPECT_EQ(list({}), all);
    for (std::uint32_t max = 1; max <= all.size() + 1; ++max) {
        std::vector<Listed> seen;
        ListVersionsParams p;
        p.max_keys = max;
        for (std::size_t pages = 0; pages <= all.size(); ++pages) {
            auto page = cat2().list_versions(bucket_, p);
            ASSERT_OK(page);
            for (const auto& v : page->versions) seen.emplace_back(v.key, v.version_id, v.delete_marker, v.is_latest);
            if (!page->truncated) break;
            p.key_marker = page->next_key_marker;
            p.version_id_marker = page->next_version_id_marker;
        }
        EXPECT_EQ(seen, all) << "max-keys " << max;
    }
    // Markers: after a version (its key's older ones, none the latest); after
    // "null" through the head; after a whole key.
    ListVersionsParams p;
    p.key_marker = nul_key;
    p.version_id_marker = n2;
    EXPECT_EQ(list(p), std::vector<Listed>(all.begin() + 4, all.end()));
    p.key_marker = "c";
    p.version_id_marker = "null";
    EXPECT_EQ(list(p), std::vector<Listed>{});
    p.key_marker = "a";
    p.version_id_marker.clear();
    EXPECT_EQ(list(p), std::vector<Listed>(all.begin() + 3, all.end()));
    ListVersionsParams d;
    d.prefix = "a";
    d.delimiter = std::string(1, '\0');
    auto grouped = cat2().list_versions(bucket_, d);
    ASSERT_OK(grouped);
    EXPECT_EQ(grouped->versions.size(), 3u);  // a's
    EXPECT_EQ(grouped->common_prefixes, (std::vector<std::string>{std::string("a\0", 2)}));
    // ListObjects lists the currents alone: no h or v entry, no key whose
    // latest is a marker.
    auto objects = cat2().list_objects(bucket_, {});
    ASSERT_OK(objects);
    std::vector<std::string> keys;
    for (const auto& o : objects->objects) keys.push_back(o.key);
    EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(objects->common_prefixes.empty());

    for (const auto& e : planted)
        ASSERT_OK(gw1_->client->apply(Pool::Index, shard_of(e.key), WriteOp().omap_remove_keys({e.omap_key})));
    DeleteOptions null_version;
    null_version.version_id = "null";
    ASSERT_OK(cat1().delete_version(bucket_, "b", null_version, freed));
    ASSERT_OK(cat1().delete_bucket(bucket_, freed));
}

// ListBuckets of an owner reads its claims, then the records and ledgers:
// in name order, with counts; a claim or list entry without its record (a
// crash's leftover), and a claim of a name now another owner's, list
// nothing; a bucket whose list entry names another owner (a losing create's
// window) is still its owner's. Without a filter: every bucket of the list.
TEST_F(RadosObjectCatalogTest, ListBucketsOfAnOwnerFollowsTheRecords) {
    auto other = gw1_->ids->create_user(unique("o") + "@example.com", false, false);
    ASSERT_OK(other);
    std::vector<std::string> mine{bucket_};
    for (int i = 0; i < 5; ++i) {
        mine.push_back(unique("m" + std::to_string(i)));
        ASSERT_OK(cat2().create_bucket(mine.back(), user_, "", {.acl = "acl" + std::to_string(i), .configs = {}}));
    }
    const std::string theirs = unique("t");
    ASSERT_OK(cat1().create_bucket(theirs, other->user.id, "", {}));
    std::sort(mine.begin(), mine.end());
    FreedExtents freed;
    ASSERT_OK(put(cat1(), "k1", 10, freed));
    ASSERT_OK(put(cat1(), "k2", 20, freed));
    // Leftovers: a claim of ours naming a bucket that is not there, one
    // naming the other user's bucket, a list entry without a record.
    const std::string ghost = unique("ghost");
    ASSERT_OK(gw1_->client->apply(Pool::Meta, user_oid(user_),
                                  WriteOp()
                                      .omap_set(bucket_claim_key(ghost, 1), std::to_string(now_ms()) + " ")
                                      .omap_set(bucket_claim_key(theirs, 7), std::to_string(now_ms()) + " ")));
    ASSERT_OK(gw1_->client->apply(Pool::Meta, bucket_list_oid(ghost),
                                  WriteOp().omap_set(ghost, bucket_list_value(user_, 1))));
    // Our bucket's list entry naming the other user.
    auto sb = cat1().load_bucket(mine[2]);
    ASSERT_OK(sb);
    ASSERT_OK(gw1_->client->apply(Pool::Meta, bucket_list_oid(mine[2]),
                                  WriteOp().omap_set(mine[2], bucket_list_value(other->user.id, sb->bucket.epoch))));

    auto listed = cat1().list_buckets(BucketFilter{user_, std::nullopt});
    ASSERT_OK(listed);
    std::vector<std::string> names;
    for (auto& b : *listed) {
        names.push_back(b.name);
        EXPECT_EQ(b.owner_id, user_);
        auto one = cat1().get_bucket(b.name);
        ASSERT_OK(one);
        EXPECT_EQ(b.acl, one->acl);
        EXPECT_EQ(b.epoch, one->epoch);
        EXPECT_EQ(b.objects, one->objects);
        EXPECT_EQ(b.bytes, one->bytes);
        EXPECT_EQ(b.size.last_ts, one->size.last_ts);
        EXPECT_EQ(b.created_ms, one->created_ms);
    }
    EXPECT_EQ(names, mine);
    auto counted = std::find_if(listed->begin(), listed->end(), [&](const Bucket& b) { return b.name == bucket_; });
    ASSERT_NE(counted, listed->end());
    EXPECT_EQ(counted->objects, 2u);
    EXPECT_EQ(counted->bytes, 30u);
    // An account filter: none of ours is an account's.
    EXPECT_TRUE(cat1().list_buckets(BucketFilter{user_, std::string("acct")})->empty());
    auto all = cat2().list_buckets(BucketFilter{std::nullopt, std::nullopt});
    ASSERT_OK(all);
    std::vector<std::string> every;
    for (auto& b : *all) every.push_back(b.name);
    EXPECT_TRUE(std::is_sorted(every.begin(), every.end()));
    for (auto& n : mine) EXPECT_TRUE(std::binary_search(every.begin(), every.end(), n)) << n;
    EXPECT_TRUE(std::binary_search(every.begin(), every.end(), theirs));
    EXPECT_FALSE(std::binary_search(every.begin(), every.end(), ghost));
    EXPECT_TRUE(cat1().list_buckets(BucketFilter{std::string("nosuchuser0000"), std::nullopt})->empty());

    ASSERT_OK(cat1().delete_object(bucket_, "k1", freed));
    ASSERT_OK(cat1().delete_object(bucket_, "k2", freed));
    for (auto& n : mine) ASSERT_OK(cat1().delete_bucket(n, freed));
    ASSERT_OK(cat1().delete_bucket(theirs, freed));
}

// The listing's reference: the same pages over the keys in memory.
class KeysWalk final : public ObjectWalk {
public:
    explicit KeysWalk(const std::vector<std::string>& sorted) : keys_(sorted) {}
    void seek(std::string_view start) override {
        at_ = std::lower_bound(keys_.begin(), keys_.end(), start) - keys_.begin();
    }
    std::optional<ObjectInfo> next() override {
        if (at_ >= keys_.size()) return std::nullopt;
        ObjectInfo o;
        o.key = keys_[at_++];
        return o;
    }

private:
    const std::vector<std::string>& keys_;
    std::size_t at_ = 0;
};

std::vector<std::string> names_of(const ListObjectsResult& r) {
    std::vector<std::string> out;
    for (auto& o : r.objects) out.push_back("k:" + o.key);
    for (auto& p : r.common_prefixes) out.push_back("p:" + p);
    out.push_back(r.truncated ? "truncated at " + r.next_marker : "end");
    return out;
}

// Many common prefixes across the shards: every page (a seek per prefix,
// forward, keeping what the shards buffered) is the reference's, also from
// a marker inside a prefix, between prefixes and past the end, in pages.
TEST_F(RadosObjectCatalogTest, DelimiterListingsOverManyPrefixesMatchTheReference) {
    std::vector<std::string> keys;
    char name[32];
    for (int i = 0; i < 300; ++i) {
        std::snprintf(name, sizeof name, "p%04d", i);
        for (const char* leaf : {"/a", "/b", "/c/d"}) keys.push_back(std::string(name) + leaf);
        if (i % 3 == 0) keys.push_back(name);  // an object beside its prefix
    }
    keys.push_back("q");
    FreedExtents freed;
    for (std::size_t i = 0; i < keys.size(); ++i) ASSERT_OK(put(i % 2 ? cat1() : cat2(), keys[i], 1, freed));
    std::sort(keys.begin(), keys.end());

    for (std::string marker : {"", "p0005/b", "p0005", "p0006/", "p0150/c/d", "p0299/a", "q", "r"})
        for (std::uint32_t max_keys : {1000u, 7u, 1u})
            for (std::string prefix : {"", "p01"}) {
                ListObjectsParams p;
                p.delimiter = "/";
                p.prefix = prefix;
                p.marker = marker;
                p.max_keys = max_keys;
                for (int page = 0; page < 3; ++page) {
                    auto got = cat2().list_objects(bucket_, p);
                    ASSERT_OK(got);
                    KeysWalk ref(keys);
                    auto want = list_objects_page(ref, bucket_, p);
                    ASSERT_EQ(names_of(*got), names_of(want))
                        << "marker " << p.marker << " max_keys " << max_keys << " prefix " << prefix;
                    if (!got->truncated) break;
                    p.marker = got->next_marker;
                }
            }
    for (auto& k : keys) ASSERT_OK(cat1().delete_object(bucket_, k, freed));
    ASSERT_OK(cat1().delete_bucket(bucket_, freed));
}

// 2000 common prefixes, each holding one object, spread over the 8 shards,
// listed in pages of 1000: the round trips and time (printed), far below
// the 1 + 8 sequential reads per prefix a seek used to cost.
TEST_F(RadosObjectCatalogTest, ADelimiterPageOfManyPrefixesTakesFewRoundTrips) {
    constexpr int kPrefixes = 2000;
    FreedExtents freed;
    std::vector<std::thread> writers;
    std::atomic<bool> ok{true};
    for (int t = 0; t < 4; ++t)
        writers.emplace_back([&, t] {
            char name[32];
            for (int i = t; i < kPrefixes; i += 4) {
                std::snprintf(name, sizeof name, "d%05d/x", i);
                FreedExtents f;
                if (!put(t % 2 ? cat1() : cat2(), name, 1, f)) ok = false;
            }
        });
    for (auto& w : writers) w.join();
    ASSERT_TRUE(ok);
    auto sb = cat1().load_bucket(bucket_);
    ASSERT_OK(sb);
    ListObjectsParams p;
    p.delimiter = "/";
    std::size_t prefixes = 0;
    std::uint64_t round_trips = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (;;) {
        ShardMergeWalk walk(*gw1_->client, bucket_, sb->bucket.epoch, sb->shards,
                            std::min<std::uint32_t>(256, p.max_keys + 1));
        auto page = list_objects_page(walk, bucket_, p);
        ASSERT_FALSE(walk.error());
        round_trips += walk.round_trips();
        prefixes += page.common_prefixes.size();
        if (!page.truncated) break;
        p.marker = page.next_marker;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    std::printf("delimiter listing of %d prefixes (pages of 1000): %llu round trips, %lld ms\n", kPrefixes,
                static_cast<unsigned long long>(round_trips), static_cast<long long>(ms));
    EXPECT_EQ(prefixes, static_cast<std::size_t>(kPrefixes));
    // A seek keeps what the shards buffered: a batch per 256 entries of a
    // shard (here one per page), not 1 + 8 reads per prefix.
    EXPECT_LE(round_trips, 20u);
    auto timed = std::chrono::steady_clock::now();
    auto listed = cat1().list_objects(bucket_, ListObjectsParams{"", "/", "", 1000});
    ASSERT_OK(listed);
    EXPECT_EQ(listed->common_prefixes.size(), 1000u);
    std::printf(
        "one page of 1000 prefixes through list_objects: %lld ms\n",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - timed).count()));
}

TEST_F(RadosObjectCatalogTest, DeleteRacingPutsNeverLeavesAnObjectInADeletedBucket) {
    for (int round = 0; round < 8; ++round) {
        const std::string name = unique("race");
        ASSERT_OK(cat1().create_bucket(name, user_, "", {}));
        std::atomic<bool> put_ok{false};
        std::atomic<bool> delete_ok{false};
        std::thread putter([&] {
            BodyCommit b = body("k", 3);
            b.record.info.bucket = name;
            FreedExtents freed;
            auto r = cat2().put_object(std::move(b), {}, freed);
            if (r)
                put_ok = true;
            else
                EXPECT_EQ(r.error().code(), Errc::NoSuchBucket) << r.error().message();
        });
        std::thread deleter([&] {
            FreedExtents freed;
            auto r = cat1().delete_bucket(name, freed);
            if (r)
                delete_ok = true;
            else
                EXPECT_EQ(r.error().code(), Errc::BucketNotEmpty) << r.error().message();
        });
        putter.join();
        deleter.join();
        EXPECT_NE(put_ok.load(), delete_ok.load()) << "round " << round;
        if (put_ok) {
            auto got = cat1().get_object(name, "k");
            ASSERT_OK(got);
            FreedExtents freed;
            ASSERT_OK(cat1().delete_object(name, "k", freed));
            ASSERT_OK(cat1().delete_bucket(name, freed));
        }
    }
    FreedExtents freed;
    ASSERT_OK(cat1().delete_bucket(bucket_, freed));
}

// A delete's close does not say the bucket goes: a delete that finds an
// object (here one of two PUTs on other keys, racing it through the other
// gateway) answers BucketNotEmpty and reopens, and then no PUT may have
// been told NoSuchBucket (an SDK takes it for final). A PUT answers
// NoSuchBucket only when the delete went through.
TEST_F(RadosObjectCatalogTest, PutsRacingADeleteThatFailsAreNeverNoSuchBucket) {
    int refused = 0;
    for (int round = 0; round < 16; ++round) {
        const std::string name = unique("race2");
        ASSERT_OK(cat1().create_bucket(name, user_, "", {}));
        std::optional<Result<ObjectInfo>> put1, put2;
        std::optional<Result<void>> deleted;
        // The putters start a little later each round, so that the delete
        // meets them at different points (or not at all).
        auto putter = [&](RadosObjectCatalog& c, const std::string& key, std::optional<Result<ObjectInfo>>& out) {
            std::this_thread::sleep_for(std::chrono::microseconds(150 * round));
            BodyCommit b = body(key, 3);
            b.record.info.bucket = name;
            FreedExtents freed;
            out = c.put_object(std::move(b), {}, freed);
        };
        std::thread p1([&] { putter(cat2(), "k1", put1); });
        std::thread p2([&] { putter(cat1(), "k2", put2); });
        std::thread deleter([&] {
            FreedExtents freed;
            deleted = cat1().delete_bucket(name, freed);
        });
        p1.join();
        p2.join();
        deleter.join();
        if (*deleted) {
            // NoSuchBucket, or the retryable IoError of a wait that the
            // delete outlasted (on a loaded machine).
            for (auto* p : {&put1, &put2}) {
                ASSERT_FALSE(**p) << "round " << round << ": a PUT into a bucket deleted after it";
                const Errc code = (*p)->error().code();
                EXPECT_TRUE(code == Errc::NoSuchBucket || code == Errc::IoError) << (*p)->error().message();
            }
            continue;
        }
        ++refused;
        EXPECT_EQ(deleted->error().code(), Errc::BucketNotEmpty) << deleted->error().message();
        FreedExtents freed;
        for (auto [p, key] : {std::pair{&put1, "k1"}, std::pair{&put2, "k2"}}) {
            if (**p) {
                ASSERT_OK(cat1().get_object(name, key));
                ASSERT_OK(cat1().delete_object(name, key, freed));
            } else {
                EXPECT_NE((*p)->error().code(), Errc::NoSuchBucket)
                    << "round " << round << ": " << key << " told NoSuchBucket for a bucket that stays";
            }
        }
        ASSERT_OK(cat1().delete_bucket(name, freed));
    }
    std::printf("deletes refused: %d of 16\n", refused);
    EXPECT_GT(refused, 0);
}

// delete_bucket goes by the index, not by the ledger's counts: a bucket
// whose ledger counts objects its index does not hold (here two PUTs counted
// as committed whose index writes did not land, as after an unknown outcome)
// is deleted, and the owner's counts stay as they were (too high until a
// recount, never lowered below what the owner stores); a bucket whose ledger
// lost the count of an object it holds is refused, and its shards stay open
// for writes.
TEST_F(RadosObjectCatalogTest, DeleteBucketGoesByTheIndexNotTheLedger) {
    const std::string other = unique("b");
    ASSERT_OK(cat1().create_bucket(other, user_, "", {}));
    FreedExtents freed;
    BodyCommit kept = body("kept", 7);
    kept.record.info.bucket = other;
    ASSERT_OK(cat1().put_object(std::move(kept), {}, freed));
    const Bucket b = bucket_now();
    ASSERT_OK(gw2_->ledger->apply(user_, LedgerBucket{b.name, b.epoch}, 300, 2, ""));  // counted, never written
    EXPECT_EQ(bucket_now().objects, 2u);
    auto before = cat1().get_user_usage(user_);
    ASSERT_OK(before);
    EXPECT_EQ(before->bytes, 307u);
    EXPECT_EQ(before->objects, 3u);
    ASSERT_OK(cat2().delete_bucket(bucket_, freed));
    EXPECT_EQ(cat1().get_bucket(bucket_).error().code(), Errc::NoSuchBucket);
    auto usage = cat1().get_user_usage(user_);
    ASSERT_OK(usage);
    EXPECT_EQ(usage->bytes, 307u);  // as before the delete: a recount lowers it to 7
    EXPECT_EQ(usage->objects, 3u);

    auto o = cat1().get_bucket(other);
    ASSERT_OK(o);
    ASSERT_OK(gw1_->ledger->apply(user_, LedgerBucket{other, o->epoch}, -7, -1, ""));  // a count lost
    auto full = cat2().delete_bucket(other, freed);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code(), Errc::BucketNotEmpty);
    BodyCommit after = body("after", 3);
    after.record.info.bucket = other;
    ASSERT_OK(cat1().put_object(std::move(after), {}, freed));  // reopened
    ASSERT_OK(cat1().get_object(other, "kept"));
}

TEST_F(RadosObjectCatalogTest, SixteenWritersOnTwoGatewaysStayUnderTheBucketQuota) {
    ASSERT_OK(gw1_->settings->set_quota(QuotaTarget::bucket(bucket_), 1));  // 1 GiB
    constexpr int kWriters = 16;
    constexpr std::uint64_t kObjectBytes = 100 * kMiB;
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kWriters; ++t)
        threads.emplace_back([&, t] {
            RadosObjectCatalog& c = t % 2 ? cat1() : cat2();
            for (int i = 0; i < 2; ++i) {
                FreedExtents freed;
                const std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
                // Half reserve up front (as the engine does with a size hint),
                // half rely on the commit's own reservation.
                std::optional<ReservationId> resv;
                if (i == 0) {
                    auto r = c.reserve(bucket_, key, kObjectBytes);
                    if (!r) {
                        EXPECT_EQ(r.error().code(), Errc::QuotaExceeded);
                        ++refused;
                        continue;
                    }
                    resv = *r;
                }
                BodyCommit b = body(key, kObjectBytes, 1);
                b.reservation = resv;
                auto r = c.put_object(std::move(b), {}, freed);
                if (!r) {
                    EXPECT_EQ(r.error().code(), Errc::QuotaExceeded) << r.error().message();
                    ++refused;
                }
            }
        });
    for (auto& t : threads) t.join();
    auto b = bucket_now();
    EXPECT_LE(b.bytes, kGiB);
    EXPECT_EQ(b.bytes, b.objects * kObjectBytes);
    EXPECT_EQ(b.objects, 10u);  // as many as fit: refusals only when full
    EXPECT_EQ(refused.load(), 2 * kWriters - 10);
    auto usage = cat1().get_user_usage(user_);
    ASSERT_OK(usage);
    EXPECT_EQ(usage->reserved, 0u);
    ListObjectsParams p;
    auto all = cat1().list_objects(bucket_, p);
    ASSERT_OK(all);
    FreedExtents freed;
    for (auto& o : all->objects) ASSERT_OK(cat1().delete_object(bucket_, o.key, freed));
    ASSERT_OK(cat1().delete_bucket(bucket_, freed));
}

TEST_F(RadosObjectCatalogTest, ConcurrentCreatesOfOneNameMakeOneBucketAndCountIt) {
    const std::string name = unique("contended");
    constexpr int kCreators = 8;
    std::atomic<int> won{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kCreators; ++t)
        threads.emplace_back([&, t] {
            auto r = (t % 2 ? cat1() : cat2()).create_bucket(name, user_, "", {});
            if (r)
                ++won;
            else
                EXPECT_EQ(r.error().code(), Errc::BucketAlreadyOwnedByYou) << r.error().message();
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(won.load(), 1);
    // The losers lowered the count again: two buckets (this and the fixture's).
    auto count = gw1_->client->omap_get(Pool::Meta, user_oid(user_), {std::string(kBucketsKey)});
    ASSERT_OK(count);
    EXPECT_EQ((*count)[std::string(kBucketsKey)], "2");
    auto listed = cat1().list_buckets(BucketFilter{user_, std::string()});
    ASSERT_OK(listed);
    EXPECT_EQ(listed->size(), 2u);
    FreedExtents freed;
    ASSERT_OK(cat1().delete_bucket(name, freed));
    ASSERT_OK(cat2().delete_bucket(bucket_, freed));
    count = gw1_->client->omap_get(Pool::Meta, user_oid(user_), {std::string(kBucketsKey)});
    ASSERT_OK(count);
    EXPECT_EQ((*count)[std::string(kBucketsKey)], "0");
    ASSERT_OK(gw2_->ids->delete_user(user_));
}

TEST_F(RadosObjectCatalogTest, DeleteUserDropsClaimsACrashLeftButNotACreateInFlight) {
    FreedExtents freed;
    ASSERT_OK(cat1().delete_bucket(bucket_, freed));
    // What a create that crashed after counting leaves: a claim and a count,
    // no record. Young, it may be a create in flight: the user stays.
    auto leave_claim = [&](const std::string& name, std::int64_t ms) {
        auto count = gw1_->client->omap_get(Pool::Meta, user_oid(user_), {std::string(kBucketsKey)});
        ASSERT_OK(count);
        auto n = decode_count((*count)[std::string(kBucketsKey)]).value_or(0);
        ASSERT_OK(gw1_->client->apply(Pool::Meta, user_oid(user_),
                                      WriteOp()
                                          .omap_set(bucket_claim_key(name, 0), std::to_string(ms) + " ")
                                          .omap_set(std::string(kBucketsKey), encode_count(n + 1))));
    };
    leave_claim(unique("crashed"), now_ms());
    auto refused = gw2_->ids->delete_user(user_);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::UserHasBuckets);
    // Old enough, with no bucket behind it: dropped, and the user goes.
    ASSERT_OK(recount_user_buckets(*gw1_->client, user_, std::chrono::milliseconds(0)));
    leave_claim(unique("crashed"), now_ms() - 2 * kStaleBucketClaimAge.count());
    ASSERT_OK(gw2_->ids->delete_user(user_));
}

// ---- Reconciliation (space_ledger.hpp): a gateway that dies between its
// commit point (the index write) and the settle of its reservation. It dies
// as a SIGKILL looks from the cluster: inside the fault hook on its index
// write (the OSD applied it), its connection is fenced and its lease no
// longer renewed, so nothing it sends after lands (its settle included).
// The second gateway then adopts it, as a sweep does; the ledgers must then
// count exactly what the index holds.
// What a SIGKILL of a doomed gateway leaves, and when. Owned by the
// gateway's fault hook and the test (shared): it outlives the gateway.
struct Doom {
    std::optional<Pool> pool;  // kill right after its first write of it that follows an index write (none: by hand)
    std::string oid;           // "" any object of `pool`
    std::atomic<bool> index_written{false};
    std::atomic<bool> killed{false};
    std::atomic<Gateway*> gateway{nullptr};  // set once built, before the test's writes
};

class RadosReconcileTest : public RadosObjectCatalogTest {
protected:
    // An engine instance on a connection of its own, with a lease of 3 s,
    // killed (see kill) right after its first write of `pool` (and `oid`,
    // when not empty) that follows a write of the index, or by hand. The
    // hook is in place before the lease's renewal thread starts; that
    // thread's writes (its lease) are never the ones it kills on.
    static std::unique_ptr<Gateway> doomed(std::optional<Pool> pool = std::nullopt, std::string oid = {}) {
        auto doom = std::make_shared<Doom>();
        doom->pool = pool;
        doom->oid = std::move(oid);
        auto g = std::make_unique<Gateway>(
            RadosLeases::Options{std::chrono::milliseconds(3000), "", std::chrono::milliseconds(750)},
            [doom](Pool p, const std::string& o, const WriteOp&) {
                const bool after_index = doom->index_written || doom->pool == Pool::Index;
                if (p == Pool::Index) doom->index_written = true;
                if (doom->pool && after_index && p == *doom->pool && (doom->oid.empty() || o == doom->oid)) kill(*doom);
                return false;
            });
        doom->gateway = g.get();
        g->doom = doom;
        return g;
    }
    // What a SIGKILL of the gateway leaves, as the cluster sees it: its
    // connection is fenced and its lease no longer renewed, so nothing it
    // sends after lands (its settle included). Once only.
    static void kill(Doom& doom) {
        if (doom.killed.exchange(true)) return;
        Gateway& g = *doom.gateway.load();
        g.leases->abandon_for_test();
        fence_now(*gw2_->client, *g.client);
    }
    // gw2's sweep, run until it adopted `dead` (its lock expires within its
    // lease of 3 s).
    static void adopt(const std::string& dead) {
        const auto start = std::chrono::steady_clock::now();
        for (;;) {
            auto swept = gw2_->ledger->drop_dead_reservations(*gw2_->leases);
            ASSERT_OK(swept);
            auto lease = gw2_->client->stat(Pool::Meta, lease_oid(dead));
            if (!lease && lease.error().code() == kNotFound) return;
            ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << "never adopted " << dead;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    // gw2 adopts `dead` alone, as a sweep does each instance: its lease
    // (once expired), then its reservations.
    static void adopt_only(const std::string& dead) {
        const auto start = std::chrono::steady_clock::now();
        for (;;) {
            if (auto adopted = gw2_->leases->adopt_if_dead(dead)) {
                ASSERT_OK(gw2_->ledger->drop_reservations_of(dead));
                return;
            }
            ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << "never adopted " << dead;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    // The user's and the bucket's ledgers count exactly the objects of the
    // index, and nothing is reserved.
    void expect_ledgers_match_the_index() {
        ListObjectsParams p;
        auto all = cat1().list_objects(bucket_, p);
        ASSERT_OK(all);
        std::uint64_t bytes = 0;
        for (auto& o : all->objects) bytes += o.size;
        const std::uint64_t objects = all->objects.size();
        auto user = cat1().get_user_usage(user_);
        ASSERT_OK(user);
        EXPECT_EQ(user->objects, objects);
        EXPECT_EQ(user->bytes, bytes);
        EXPECT_EQ(user->reserved, 0u);
        Bucket b = bucket_now();
        EXPECT_EQ(b.objects, objects);
        EXPECT_EQ(b.bytes, bytes);
        auto bucket = gw1_->ledger->bucket_usage(ledger_bucket_of(b));
        ASSERT_OK(bucket);
        EXPECT_EQ(bucket->reserved, 0u);
    }
    // Doomed gateway `g` PUTs `key` under a reservation and dies right after
    // its commit point (its index write landed, nothing after it).
    void die_committing(Gateway& g, const std::string& key, std::uint64_t size, std::uint64_t segment = 0) {
        FreedExtents freed;
        auto resv = g.objects->reserve(bucket_, key, size);
        ASSERT_OK(resv);
        BodyCommit b = body(key, size, segment);
        b.reservation = *resv;
        (void)g.objects->put_object(std::move(b), {}, freed);
        ASSERT_TRUE(g.doom->killed);
    }
    // The ledgers do not count the dead write yet: `counted` objects, the
    // index one more (its commit landed, its settle did not).
    void expect_dead_write_uncounted(std::uint64_t counted) {
        EXPECT_EQ(user_objects(), counted);
        EXPECT_EQ(bucket_now().objects, counted);
        EXPECT_EQ(cat1().list_objects(bucket_, ListObjectsParams{})->objects.size(), counted + 1);
    }
    std::uint64_t user_objects() {
        auto user = cat1().get_user_usage(user_);
        EXPECT_TRUE(user);
        return user ? user->objects : 0;
    }
};

TEST_F(RadosReconcileTest, APutCutOffAfterItsCommitPointIsCountedByTheAdopter) {
    FreedExtents freed;
    ASSERT_OK(put(cat1(), "before", 1000, freed));
    // An inline body, and one of blobs (fake extents: the catalog never reads them).
    std::uint64_t counted = 1;
    for (std::uint64_t size : {std::uint64_t{100}, 3 * kMiB}) {
        auto g = doomed(Pool::Index);
        const std::string dead = g->leases->instance_id();
        const std::string key = "cut-" + std::to_string(size);
        ASSERT_NO_FATAL_FAILURE(die_committing(*g, key, size, 7));
        // Committed, and not counted: its settle landed nowhere.
        ASSERT_OK(cat1().get_object(bucket_, key));
        expect_dead_write_uncounted(counted++);
        adopt(dead);
        expect_ledgers_match_the_index();
    }
}

TEST_F(RadosReconcileTest, ACopyCutOffAfterItsCommitPointIsCountedByTheAdopter) {
    // Under a quota a copy reserves its growth at its commit, marked.
    ASSERT_OK(gw1_->settings->set_quota(QuotaTarget::user(user_), 1));
    FreedExtents freed;
    ASSERT_OK(put(cat1(), "src", 700, freed));
    auto g = doomed(Pool::Index);
    const std::string dead = g->leases->instance_id();
    (void)g->objects->copy_object(bucket_, "src", {}, bucket_, "copy", std::nullopt, std::nullopt, std::nullopt, {},
                                  freed);
    ASSERT_TRUE(g->doom->killed);
    ASSERT_OK(cat1().get_object(bucket_, "copy"));
    expect_dead_write_uncounted(1);
    adopt(dead);
    expect_ledgers_match_the_index();
}

// The settle reached the user's ledger and not the bucket's: the adopter
// settles the bucket's alone (the user's entry is gone with its settle).
TEST_F(RadosReconcileTest, ASettleCutOffBetweenTheTwoLedgersIsFinishedByTheAdopter) {
    FreedExtents freed;
    ASSERT_OK(put(cat1(), "before", 1000, freed));
    auto g = doomed(Pool::Meta, user_ledger_oid(user_));
    const std::string dead = g->leases->instance_id();
    ASSERT_NO_FATAL_FAILURE(die_committing(*g, "half", 4000));
    EXPECT_EQ(user_objects(), 2u);
    EXPECT_EQ(bucket_now().objects, 1u);
    adopt(dead);
    expect_ledgers_match_the_index();
}

// The client's retry of a PUT that died with its gateway, through another
// gateway before the adoption: the retry's record replaces the dead one's
// and carries its charge, so the dead write still counts, once.
TEST_F(RadosReconcileTest, ARetryThroughAnotherGatewayBeforeTheAdoptionCountsOnce) {
    FreedExtents freed;
    ASSERT_OK(put(cat1(), "before", 1000, freed));
    auto g = doomed(Pool::Index);
    const std::string dead = g->leases->instance_id();
    ASSERT_NO_FATAL_FAILURE(die_committing(*g, "k", 5000));
    expect_dead_write_uncounted(1);
    auto retry = cat2().reserve(bucket_, "k", 3000);
    ASSERT_OK(retry);
    BodyCommit again = body("k", 3000);
    again.reservation = *retry;
    ASSERT_OK(cat2().put_object(std::move(again), {}, freed));
    adopt(dead);
    expect_ledgers_match_the_index();
    auto got = cat1().get_object(bucket_, "k");
    ASSERT_OK(got);
    EXPECT_EQ(got->info.size, 3000u);
}

// Two writers of one key die after their commit points, the second having
// replaced the first's record: adopted in either order, each write counts
// once (the second's record names the first's charge).
TEST_F(RadosReconcileTest, TwoDeadWritersOfOneKeyAreEachCountedOnce) {
    std::uint64_t counted = 0;
    for (bool first_adopted_first : {true, false}) {
        const std::string key = first_adopted_first ? "k1" : "k2";
        FreedExtents freed;
        std::vector<std::string> dead;
        std::vector<std::unique_ptr<Gateway>> doomed_gateways;
        for (std::uint64_t size : {std::uint64_t{6000}, std::uint64_t{2500}}) {
            auto& g = doomed_gateways.emplace_back(doomed(Pool::Index));
            dead.push_back(g->leases->instance_id());
            ASSERT_NO_FATAL_FAILURE(die_committing(*g, key, size));
            expect_dead_write_uncounted(counted);
        }
        if (!first_adopted_first) std::swap(dead[0], dead[1]);
        adopt_only(dead[0]);
        adopt_only(dead[1]);
        expect_ledgers_match_the_index();
        ++counted;
    }
}

// A DELETE of a dead writer's object before the adoption: the delete settles
// the dead write's reservation before taking the object off.
TEST_F(RadosReconcileTest, ADeleteBeforeTheAdoptionCountsTheDeadWriteOnce) {
    FreedExtents freed;
    ASSERT_OK(put(cat1(), "before", 1000, freed));
    auto g = doomed(Pool::Index);
    const std::string dead = g->leases->instance_id();
    ASSERT_NO_FATAL_FAILURE(die_committing(*g, "gone", 5000));
    expect_dead_write_uncounted(1);
    ASSERT_OK(cat2().delete_object(bucket_, "gone", freed));
    adopt(dead);
    expect_ledgers_match_the_index();
    EXPECT_EQ(user_objects(), 1u);
}

// A DELETE of a dead writer's object whose ledger changes come after the
// adoption: the adopter looked the record up once it was gone and released
// the dead write's reservations; the delete's changes still count the dead
// write (its commit did happen: the record was in the index) before taking
// it off, once.
TEST_F(RadosReconcileTest, ADeleteWhoseLedgerChangesFollowTheAdoptionCountsTheDeadWriteOnce) {
    FreedExtents freed;
    ASSERT_OK(put(cat1(), "before", 1000, freed));
    auto g = doomed(Pool::Index);
    const std::string dead = g->leases->instance_id();
    ASSERT_NO_FATAL_FAILURE(die_committing(*g, "gone", 5000));
    expect_dead_write_uncounted(1);
    // The deleting gateway: gw2 adopts the dead one right after its index
    // write (the record's removal), before its ledger changes.
    auto armed = std::make_shared<std::atomic<bool>>(false);
    auto adopted = std::make_shared<std::atomic<bool>>(false);
    Gateway deleter({}, [armed, adopted, dead](Pool p, const std::string&, const WriteOp&) {
        if (p == Pool::Index && armed->exchange(false)) {
            adopt_only(dead);
            *adopted = true;
        }
        return false;
    });
    *armed = true;
    ASSERT_OK(deleter.objects->delete_object(bucket_, "gone", freed));
    ASSERT_TRUE(*adopted);
    expect_ledgers_match_the_index();
    EXPECT_EQ(user_objects(), 1u);
}

// A PUT whose gateway died before its commit point: its reservation goes,
// nothing is counted for it, also when the key holds an older object (not
// the dead write's: another token) and when the client's retry through
// another gateway overwrote it before the adoption.
TEST_F(RadosReconcileTest, APutCutOffBeforeItsCommitPointIsReleased) {
    FreedExtents freed;
    ASSERT_OK(put(cat1(), "before", 1000, freed));
    ASSERT_OK(put(cat1(), "k", 1500, freed));
    auto g = doomed();
    const std::string dead = g->leases->instance_id();
    auto resv = g->objects->reserve(bucket_, "k", 4000);
    ASSERT_OK(resv);
    kill(*g->doom);
    BodyCommit b = body("k", 4000);
    b.reservation = *resv;
    EXPECT_FALSE(g->objects->put_object(std::move(b), {}, freed));
    auto user = cat1().get_user_usage(user_);
    ASSERT_OK(user);
    EXPECT_EQ(user->reserved, 4000u);
    auto retry = cat2().reserve(bucket_, "k", 2000);
    ASSERT_OK(retry);
    BodyCommit again = body("k", 2000);
    again.reservation = *retry;
    ASSERT_OK(cat2().put_object(std::move(again), {}, freed));
    adopt(dead);
    expect_ledgers_match_the_index();
    EXPECT_EQ(user_objects(), 2u);
    auto user_after = cat1().get_user_usage(user_);
    ASSERT_OK(user_after);
    EXPECT_EQ(user_after->bytes, 3000u);
}

// An index record the adopter cannot decode is no answer: its lookup fails
// (the adoption stays unfinished, for the next sweep) rather than take the
// dead write for one that never committed and release it for good.
TEST_F(RadosReconcileTest, AnIndexRecordThatDoesNotDecodeLeavesTheLookupFailed) {
    FreedExtents freed;
    ASSERT_OK(put(cat1(), "k", 100, freed));
    const Bucket b = bucket_now();
    auto found = find_commit_charge(*gw1_->client, bucket_, b.epoch, "k", 1);
    ASSERT_OK(found);
    EXPECT_FALSE(*found);  // another token: not this commit
    auto got = gw1_->client->omap_get(Pool::Meta, bucket_oid(bucket_), {std::string(kBucketShardsKey)});
    ASSERT_OK(got);
    const auto shards = static_cast<std::uint32_t>(std::stoul(got->at(std::string(kBucketShardsKey))));
    WriteOp damage;
    damage.omap_set({{record_key("k"), "not a record"}});
    ASSERT_OK(gw1_->client->apply(Pool::Index, index_oid(bucket_, b.epoch, index_shard_of("k", shards)), damage));
    found = find_commit_charge(*gw1_->client, bucket_, b.epoch, "k", 1);
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().code(), Errc::Internal);
    damage = WriteOp();
    damage.omap_remove_keys({record_key("k")});  // for the bucket's cleanup
    ASSERT_OK(gw1_->client->apply(Pool::Index, index_oid(bucket_, b.epoch, index_shard_of("k", shards)), damage));
}

TEST(ObjectRecordCharges, EncodeAfterTheRecordAndRoundTrip) {
    ObjectRecord r;
    r.info.key = "k";
    r.info.size = 5;
    r.body_id = 0x10;
    const std::string plain = encode(r);
    r.charge = CommitCharge{0x10, 5, 1};
    const std::string charged = encode(r);
    EXPECT_EQ(charged.substr(0, plain.size()), plain) << "readers that stop at body_id see the same record";
    auto d = decode_object(charged, false);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->charge, r.charge);
    EXPECT_FALSE(d->replaced_charge);
    r.replaced_charge = CommitCharge{0x20, -3, 0};
    d = decode_object(encode(r), false);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->charge, r.charge);
    EXPECT_EQ(d->replaced_charge, r.replaced_charge);
    d = decode_object(plain, false);
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->charge);
    EXPECT_FALSE(d->replaced_charge);
}

}  // namespace
}  // namespace ostor::detail::rados
