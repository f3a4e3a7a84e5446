// The fixture of the recount's tests (recount_test.cpp, recount_races_test.cpp):
// gateways on connections of their own, one that dies after its first index
// write, a recounter whose next write of one object is reported failed after
// it landed, and the ledgers' and the index's counts of a bucket of each test.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "cluster_clients.hpp"
#include "engine_impl.hpp"
#include "hashing.hpp"
#include "rados/blob_store.hpp"
#include "rados/identity_catalog.hpp"
#include "rados/leases.hpp"
#include "rados/ledger_layout.hpp"
#include "rados/object_catalog.hpp"
#include "rados/settings_catalog.hpp"
#include "rados/space_ledger.hpp"

namespace ostor::detail::rados::recount_test {

using cluster_test::connect_gateway;
using cluster_test::fence_now;
using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
// The tests' quiet window: a bucket left alone this long is recounted.
constexpr auto kQuiet = 1000ms;

inline SpaceLedger::Options quiet_after(std::chrono::milliseconds quiet) {
    SpaceLedger::Options o;
    o.recount_quiet = quiet;
    return o;
}

// One gateway: a connection and the object catalog on it. `fault` as
// Client::set_applied_fault_for_tests, `read_fault` as
// set_read_fault_for_tests, installed before the lease's thread shares the
// client.
struct Gateway {
    explicit Gateway(SpaceLedger::Options ledger_options = quiet_after(kQuiet), RadosLeases::Options lease_options = {},
                     Client::AppliedFault fault = {}, Client::ReadFault read_fault = {})
        : client(connect_gateway()) {
        if (fault) client->set_applied_fault_for_tests(std::move(fault));
        if (read_fault) client->set_read_fault_for_tests(std::move(read_fault));
        auto l = RadosLeases::acquire(*client, lease_options);
        if (!l) std::abort();
        leases = std::move(*l);
        ledger = std::make_unique<SpaceLedger>(*client, leases->instance_id(), ledger_options);
        blobs = std::make_unique<RadosBlobStore>(*client, *leases);
        settings = std::make_unique<RadosSettingsCatalog>(*client, leases->instance_id());
        ids = std::make_unique<RadosIdentityCatalog>(*client);
        objects = std::make_unique<RadosObjectCatalog>(*client, *ledger, *blobs, *settings, leases.get());
    }
    ~Gateway() {
        objects.reset();
        if (!dead) (void)ledger->close();
    }
    std::unique_ptr<Client> client;
    std::unique_ptr<RadosLeases> leases;
    std::unique_ptr<SpaceLedger> ledger;
    std::unique_ptr<RadosBlobStore> blobs;
    std::unique_ptr<RadosSettingsCatalog> settings;
    std::unique_ptr<RadosIdentityCatalog> ids;
    std::unique_ptr<RadosObjectCatalog> objects;
    bool dead = false;
};

// The object whose next write the recounter's client reports failed after
// it landed (as a timeout would): "" none. Read by the lease's thread too.
class WriteFault {
public:
    void arm(std::string oid) {
        std::lock_guard lock(mutex_);
        oid_ = std::move(oid);
    }
    bool armed() {
        std::lock_guard lock(mutex_);
        return !oid_.empty();
    }
    bool fires(Pool pool, const std::string& oid) {
        std::lock_guard lock(mutex_);
        if (pool != Pool::Meta || oid_.empty() || oid != oid_) return false;
        oid_.clear();
        return true;
    }

private:
    std::mutex mutex_;
    std::string oid_;
};

// A gateway killed (fenced, its lease abandoned: nothing it sends after
// lands, as after a SIGKILL) right after its first index write.
struct Doom {
    std::atomic<bool> killed{false};
    std::atomic<Gateway*> gateway{nullptr};
};

class RadosRecountTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        gw1_ = std::make_unique<Gateway>();
        recounter_ = std::make_unique<Gateway>(
            quiet_after(kQuiet), RadosLeases::Options{},
            [](Pool p, const std::string& oid, const WriteOp&) { return fault_->fires(p, oid); });
    }
    static void TearDownTestSuite() {
        gw1_.reset();
        recounter_.reset();
    }
    void SetUp() override {
        auto u = gw1_->ids->create_user(unique("u") + "@example.com", false, false);
        ASSERT_OK(u);
        user_ = u->user.id;
        auto b = gw1_->objects->create_bucket(bucket_, user_, "", {.acl = "acl", .configs = {}});
        ASSERT_OK(b);
        epoch_ = b->epoch;
    }
    static std::string unique(const std::string& what) { return what + "-" + random_hex16(); }
    LedgerBucket lb() const { return LedgerBucket{bucket_, epoch_}; }

    BodyCommit body(const std::string& key, std::uint64_t size) {
        BodyCommit b;
        b.record.info.bucket = bucket_;
        b.record.info.key = key;
        b.record.info.size = size;
        b.record.info.etag = "e";
        b.record.info.last_modified_ms = now_ms();
        if (size <= kInlineMaxBytes)
            b.record.inline_data = std::string(size, 'x');
        else
            b.record.extents.push_back(Extent{9, 0, static_cast<std::uint32_t>(std::min(size, kExtentMaxBytes)), 0});
        return b;
    }
    void put(Gateway& g, const std::string& key, std::uint64_t size) {
        FreedExtents freed;
        ASSERT_OK(g.objects->put_object(body(key, size), {}, freed));
    }
    // A bucket of its own with object lock on (the lock summary cases).
    LedgerBucket lock_bucket(const std::string& what) {
        const std::string name = unique(what);
        auto made = gw1_->objects->create_bucket(name, user_, "", {.acl = "acl", .configs = {}, .object_lock = true});
        EXPECT_TRUE(made);
        return LedgerBucket{name, made ? made->epoch : 0};
    }
    // The bucket's lock summary as the admin view reads it: (locked until, legal holds).
    static std::pair<TimestampMs, std::uint64_t> lock_summary(const std::string& bucket) {
        auto b = gw1_->objects->get_bucket(bucket);
        EXPECT_TRUE(b);
        return b ? std::make_pair(b->locked_until_ms, b->legal_holds)
                 : std::make_pair(TimestampMs{-1}, std::uint64_t{0} - 1);
    }
    Result<ObjectInfo> put_locked(Gateway& g, const std::string& bucket, const std::string& key, ObjectLock lock) {
        BodyCommit b = body(key, 10);
        b.record.info.bucket = bucket;
        b.record.info.lock = lock;
        FreedExtents freed;
        return g.objects->put_object(std::move(b), {}, freed);
    }
    static std::unique_ptr<Gateway> doomed(std::shared_ptr<Doom> doom) {
        auto g = std::make_unique<Gateway>(quiet_after(kQuiet), RadosLeases::Options{3000ms, "", 750ms},
                                           [doom](Pool p, const std::string&, const WriteOp&) {
                                               if (p == Pool::Index && !doom->killed.exchange(true)) {
                                                   Gateway& dying = *doom->gateway.load();
                                                   dying.leases->abandon_for_test();
                                                   fence_now(*gw1_->client, *dying.client);
                                               }
                                               return false;
                                           });
        doom->gateway = g.get();
        g->dead = true;  // its close would be refused anyway (fenced)
        return g;
    }
    // What a gateway that died after a commit's index write left: its
    // instance (to adopt) and the reservation the commit was under.
    struct DeadPut {
        std::string instance;
        ReservationId reservation;
    };
    // `commit` PUT under a reservation of its size by a gateway that dies
    // after its index write: its ledger change never lands.
    void put_dying(BodyCommit commit, DeadPut& dead) {
        auto doom = std::make_shared<Doom>();
        auto g = doomed(doom);
        dead.instance = g->leases->instance_id();
        const ObjectInfo& info = commit.record.info;
        auto reservation = g->objects->reserve(info.bucket, info.key, info.size);
        ASSERT_OK(reservation);
        dead.reservation = *reservation;
        commit.reservation = *reservation;
        FreedExtents freed;
        (void)g->objects->put_object(std::move(commit), {}, freed);
        ASSERT_TRUE(doom->killed);
    }
    // gw1's sweep, run until it adopted `dead`.
    static void adopt(const std::string& dead) {
        const auto start = std::chrono::steady_clock::now();
        for (;;) {
            ASSERT_OK(gw1_->ledger->drop_dead_reservations(*gw1_->leases));
            auto lease = gw1_->client->stat(Pool::Meta, lease_oid(dead));
            if (!lease && lease.error().code() == kNotFound) return;
            ASSERT_LT(std::chrono::steady_clock::now() - start, 20s) << "never adopted " << dead;
            std::this_thread::sleep_for(200ms);
        }
    }
    bool queued() {
        auto q = gw1_->client->omap_get(Pool::Meta, std::string(kRecountQueueOid), {recount_key(bucket_, epoch_)});
        return q && !q->empty();
    }
    // The recounter's passes until this bucket's entry is no longer queued.
    void recount_until_done() {
        const auto start = std::chrono::steady_clock::now();
        while (queued()) {
            std::this_thread::sleep_for(kQuiet / 2);
            ASSERT_OK(recounter_->objects->recount_queued(1000));
            ASSERT_LT(std::chrono::steady_clock::now() - start, 20s) << "never recounted";
        }
    }
    // What the index (and the open uploads' parts, `parts_bytes`) holds.
    std::pair<std::uint64_t, std::uint64_t> index_counts() {
        auto all = gw1_->objects->list_objects(bucket_, ListObjectsParams{});
        EXPECT_TRUE(all);
        std::uint64_t bytes = 0;
        for (auto& o : all->objects) bytes += o.size;
        return {bytes, all->objects.size()};
    }
    UserUsage user_usage() {
        auto u = gw1_->ledger->usage(user_);
        EXPECT_TRUE(u);
        return u ? *u : UserUsage{};
    }
    UserUsage bucket_usage() {
        auto u = gw1_->ledger->bucket_usage(lb());
        EXPECT_TRUE(u);
        return u ? *u : UserUsage{};
    }
    void expect_ledgers(std::uint64_t bytes, std::uint64_t objects) {
        EXPECT_EQ(bucket_usage().bytes, bytes);
        EXPECT_EQ(bucket_usage().objects, objects);
        EXPECT_EQ(user_usage().bytes, bytes);
        EXPECT_EQ(user_usage().objects, objects);
    }
    void expect_ledgers_match_the_index() {
        auto [bytes, objects] = index_counts();
        expect_ledgers(bytes, objects);
    }
    // This bucket deleted, its owner's recount marker's prune is queued; the
    // recounter's passes act on it: the marker goes, the owner's counts are 0.
    void expect_marker_pruned() {
        const std::string marker = recount_mark_key(bucket_, epoch_);
        const std::string prune = marker_prune_key(bucket_, epoch_);
        auto q = gw1_->client->omap_get(Pool::Meta, std::string(kRecountQueueOid), {prune});
        ASSERT_OK(q);
        ASSERT_EQ(q->size(), 1u);
        const auto start = std::chrono::steady_clock::now();
        do {
            std::this_thread::sleep_for(kQuiet / 2);
            ASSERT_OK(recounter_->objects->recount_queued(1000));
            q = gw1_->client->omap_get(Pool::Meta, std::string(kRecountQueueOid), {prune});
            ASSERT_OK(q);
            ASSERT_LT(std::chrono::steady_clock::now() - start, 20s) << "never pruned";
        } while (!q->empty());
        auto held = gw1_->client->omap_get(Pool::Meta, user_ledger_oid(user_), {marker});
        ASSERT_OK(held);
        EXPECT_TRUE(held->empty());
        EXPECT_EQ(user_usage().bytes, 0u);
        EXPECT_EQ(user_usage().objects, 0u);
    }
    // Counts the ledgers off by `bytes`/`objects` (as a lost change would).
    void drift(std::int64_t bytes, std::int64_t objects) {
        ASSERT_OK(gw1_->ledger->apply(user_, lb(), bytes, objects, gw1_->ledger->new_token()));
    }

    static inline std::unique_ptr<Gateway> gw1_, recounter_;
    static inline std::shared_ptr<WriteFault> fault_ = std::make_shared<WriteFault>();
    std::string user_;
    const std::string bucket_ = unique("b");
    std::uint64_t epoch_ = 0;
};

}  // namespace ostor::detail::rados::recount_test
