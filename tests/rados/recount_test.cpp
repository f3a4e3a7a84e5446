// The space ledger's recount from the object index (docs/rados.md, "Space
// ledger", "Recount") against the throwaway cluster: what a gateway that
// dies after its index write under no quota leaves is queued by its adopter
// and recounted; a bucket written within the quiet window, or holding an
// open reservation, is left queued; the owner's delta counts once however
// often it is made again; a gone incarnation's entry is dropped; open
// uploads' parts are counted. Every case has a user and bucket of its own;
// bodies are inline or fake extents (the catalog never reads them).
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

namespace ostor::detail::rados {
namespace {

using cluster_test::connect_gateway;
using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
// The tests' quiet window: a bucket left alone this long is recounted.
constexpr auto kQuiet = 1000ms;

SpaceLedger::Options quiet_after(std::chrono::milliseconds quiet) {
    SpaceLedger::Options o;
    o.recount_quiet = quiet;
    return o;
}

// One gateway: a connection and the object catalog on it. `fault` as
// Client::set_applied_fault_for_tests, installed before the lease's thread
// shares the client.
struct Gateway {
    explicit Gateway(SpaceLedger::Options ledger_options = quiet_after(kQuiet), RadosLeases::Options lease_options = {},
                     Client::AppliedFault fault = {})
        : client(connect_gateway()) {
        if (fault) client->set_applied_fault_for_tests(std::move(fault));
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
        auto b = gw1_->objects->create_bucket(bucket_, user_, "", "acl");
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
    static std::unique_ptr<Gateway> doomed(std::shared_ptr<Doom> doom) {
        auto g = std::make_unique<Gateway>(quiet_after(kQuiet), RadosLeases::Options{3000ms, "", 750ms},
                                           [doom](Pool p, const std::string&, const WriteOp&) {
                                               if (p == Pool::Index && !doom->killed.exchange(true)) {
                                                   Gateway& dying = *doom->gateway.load();
                                                   dying.leases->abandon_for_test();
                                                   auto fenced = gw1_->client->blocklist(dying.client->address(),
                                                                                         std::chrono::seconds(3600));
                                                   EXPECT_TRUE(fenced) << fenced.error().message();
                                               }
                                               return false;
                                           });
        doom->gateway = g.get();
        g->dead = true;  // its close would be refused anyway (fenced)
        return g;
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

// The quiet check relies on it: on Ceph 16.2 an omap write changes the mtime
// stat returns, to the nanosecond.
TEST_F(RadosRecountTest, AnOmapWriteChangesTheObjectsMtime) {
    const std::string oid = "recount-mtime-" + random_hex16();
    ASSERT_OK(gw1_->client->apply(Pool::Meta, oid, WriteOp().omap_set("a", "1")));
    auto before = gw1_->client->stat(Pool::Meta, oid);
    ASSERT_OK(before);
    std::this_thread::sleep_for(20ms);
    ASSERT_OK(gw1_->client->apply(Pool::Meta, oid, WriteOp().omap_set("b", "2")));
    auto after = gw1_->client->stat(Pool::Meta, oid);
    ASSERT_OK(after);
    const auto ns = [](const ObjectStat& s) { return s.mtime_s * 1'000'000'000 + s.mtime_nsec; };
    EXPECT_GT(ns(*after), ns(*before));
    EXPECT_NE(before->mtime_nsec, 0);  // nanoseconds, not whole seconds
    (void)gw1_->client->remove(Pool::Meta, oid);
}

// A live instance names each bucket it writes in touched.<instance>, once;
// a clean close removes it.
TEST_F(RadosRecountTest, TouchedBucketsAreNamedOnceAndGoWithACleanClose) {
    auto g = std::make_unique<Gateway>();
    const std::string touched = touched_oid(g->leases->instance_id());
    ASSERT_NO_FATAL_FAILURE(put(*g, "a", 10));
    auto first = gw1_->client->stat(Pool::Meta, touched);
    ASSERT_OK(first);
    auto names = gw1_->client->omap_get(Pool::Meta, touched, {recount_key(bucket_, epoch_)});
    ASSERT_OK(names);
    EXPECT_EQ(names->size(), 1u);
    ASSERT_NO_FATAL_FAILURE(put(*g, "b", 10));
    FreedExtents freed;
    ASSERT_OK(g->objects->delete_object(bucket_, "a", freed));
    auto again = gw1_->client->stat(Pool::Meta, touched);
    ASSERT_OK(again);
    EXPECT_EQ(again->mtime_s, first->mtime_s);  // not written again
    EXPECT_EQ(again->mtime_nsec, first->mtime_nsec);
    ASSERT_OK(g->ledger->close());
    auto gone = gw1_->client->stat(Pool::Meta, touched);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), kNotFound);
    g->dead = true;
}

// Under no quota nothing is reserved: gateways that die after their index
// write (an inline body, a blob body, a delete) leave the ledgers wrong with
// nothing to reconcile. The adopter queues the bucket; the recount makes
// both ledgers count exactly the index.
TEST_F(RadosRecountTest, WritesCutOffAfterTheirIndexWriteUnderNoQuotaAreRecounted) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "before", 1000));
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "doomed-delete", 2000));
    std::vector<std::string> dead;
    for (std::uint64_t size : {std::uint64_t{100}, 3 * kMiB}) {
        auto doom = std::make_shared<Doom>();
        auto g = doomed(doom);
        dead.push_back(g->leases->instance_id());
        ASSERT_NO_FATAL_FAILURE(put(*g, "cut-" + std::to_string(size), size));
        ASSERT_TRUE(doom->killed);
    }
    {
        auto doom = std::make_shared<Doom>();
        auto g = doomed(doom);
        dead.push_back(g->leases->instance_id());
        FreedExtents freed;
        ASSERT_OK(g->objects->delete_object(bucket_, "doomed-delete", freed));
        ASSERT_TRUE(doom->killed);
    }
    // The two PUTs uncounted, the delete not taken off.
    expect_ledgers(3000, 2);
    EXPECT_EQ(index_counts(), std::make_pair(std::uint64_t{1000 + 100 + 3 * kMiB}, std::uint64_t{3}));
    EXPECT_FALSE(queued());
    for (auto& d : dead) adopt(d);
    EXPECT_TRUE(queued());
    for (auto& d : dead) EXPECT_FALSE(gw1_->client->stat(Pool::Meta, touched_oid(d)));
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers_match_the_index();
    EXPECT_EQ(bucket_usage().reserved, 0u);
}

// A bucket written within the quiet window, or holding an open reservation,
// is left queued with its ledger as it is; once quiet it is recounted.
TEST_F(RadosRecountTest, ABucketNotQuietIsLeftQueued) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    ASSERT_NO_FATAL_FAILURE(drift(700, 1));  // counted too high
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    Gateway patient(quiet_after(60s));
    auto pass = patient.objects->recount_queued(1000);
    ASSERT_OK(pass);
    EXPECT_GE(pass->not_quiet, 1u);
    EXPECT_TRUE(queued());
    expect_ledgers(1200, 2);

    // Quiet by the clock, but a reservation is open.
    auto r = gw1_->ledger->reserve(user_, lb(), 10, 0, 0);
    ASSERT_OK(r);
    std::this_thread::sleep_for(kQuiet + 200ms);
    ASSERT_OK(recounter_->objects->recount_queued(1000));
    EXPECT_TRUE(queued());
    EXPECT_EQ(bucket_usage().bytes, 1200u);
    ASSERT_OK(gw1_->ledger->release(*r));

    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(500, 1);
}

// The bucket ledger's write is guarded on the `ver` read before the scan: a
// change of the ledger meanwhile refuses it, and leaves the ledger as the
// change left it.
TEST_F(RadosRecountTest, TheRecountsWriteIsGuardedOnTheLedgerReadBeforeTheScan) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    auto state = recounter_->ledger->read_recount_state(lb());
    ASSERT_OK(state);
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "b", 300));  // between the scan and the write
    auto written = recounter_->ledger->write_recount(lb(), state->ver, 500, 1, "");
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code(), Errc::PreconditionFailed);
    expect_ledgers(800, 2);
}

// Cut after the bucket ledger's write (its outcome unknown: it landed), the
// next pass finishes the owner's delta; made again, however late, the delta
// counts once.
TEST_F(RadosRecountTest, TheOwnersDeltaCountsOnceHoweverOftenAndLateItIsMade) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    ASSERT_NO_FATAL_FAILURE(drift(-500, -1));  // counted too low
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    std::this_thread::sleep_for(kQuiet + 200ms);
    fault_->arm(bucket_ledger_oid(bucket_, epoch_));
    auto cut = recounter_->objects->recount_queued(1000);
    EXPECT_FALSE(cut);
    EXPECT_FALSE(fault_->armed());
    // The bucket counted, the owner not yet, the delta pending.
    EXPECT_EQ(bucket_usage().bytes, 500u);
    EXPECT_EQ(user_usage().bytes, 0u);
    EXPECT_TRUE(queued());
    auto state = recounter_->ledger->read_recount_state(lb());
    ASSERT_OK(state);
    const std::string pending = state->pending_owner;
    ASSERT_FALSE(pending.empty());

    // The owner's write lands and is reported failed: made again, it counts once.
    fault_->arm(user_ledger_oid(user_));
    ASSERT_OK(recounter_->objects->recount_queued(1000));
    EXPECT_FALSE(fault_->armed());
    EXPECT_FALSE(queued());
    expect_ledgers(500, 1);

    // Made again past the settled markers' lifetime (a ledger whose markers
    // last 1 ms), straight from the pending text.
    SpaceLedger::Options brief = quiet_after(kQuiet);
    brief.settled_lifetime = 1ms;
    SpaceLedger forgetful(*gw1_->client, "forgetful-" + random_hex16(), brief);
    std::this_thread::sleep_for(10ms);
    ASSERT_OK(forgetful.finish_owner_delta(user_, lb(), pending));
    expect_ledgers(500, 1);
}

// An entry of an incarnation deleted (and made again) is dropped, and the
// new incarnation's ledger is left as it is.
TEST_F(RadosRecountTest, AGoneIncarnationsEntryIsDropped) {
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    FreedExtents freed;
    ASSERT_OK(gw1_->objects->delete_bucket(bucket_, freed));
    auto again = gw1_->objects->create_bucket(bucket_, user_, "", "");
    ASSERT_OK(again);
    ASSERT_NE(again->epoch, epoch_);
    const LedgerBucket fresh{bucket_, again->epoch};
    ASSERT_OK(gw1_->ledger->apply(user_, fresh, 42, 1, gw1_->ledger->new_token()));  // not the index's
    auto pass = recounter_->objects->recount_queued(1000);
    ASSERT_OK(pass);
    EXPECT_GE(pass->dropped, 1u);
    EXPECT_FALSE(queued());
    auto counts = gw1_->ledger->bucket_usage(fresh);
    ASSERT_OK(counts);
    EXPECT_EQ(counts->bytes, 42u);
    EXPECT_EQ(counts->objects, 1u);
}

// The parts of an open upload count in the ledger (no object): the recount
// counts them too.
TEST_F(RadosRecountTest, OpenUploadsPartsAreCounted) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    auto up = gw1_->objects->create_upload(bucket_, "mp", {});
    ASSERT_OK(up);
    BodyCommit part;
    part.record.info.size = 5 * kMiB;
    part.record.info.etag = "p";
    part.record.info.last_modified_ms = 1;
    part.record.extents.push_back(Extent{11, 0, static_cast<std::uint32_t>(kExtentMaxBytes), 0});
    FreedExtents freed;
    ASSERT_OK(gw1_->objects->put_part(up->id, 1, std::move(part), freed));
    expect_ledgers(500 + 5 * kMiB, 1);
    ASSERT_NO_FATAL_FAILURE(drift(-static_cast<std::int64_t>(5 * kMiB), 0));
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(500 + 5 * kMiB, 1);
    ASSERT_OK(gw1_->objects->abort_upload(up->id, freed));
    expect_ledgers(500, 1);
}

// A bucket deleted while its ledger still counted something (its owner's
// counted too high) queues an owner recount: the owner's counts become the
// sum of its other buckets' ledgers.
TEST_F(RadosRecountTest, AnOwnerCountedHighAfterABucketDeletionIsRecounted) {
    const std::string other = unique("b");
    ASSERT_OK(gw1_->objects->create_bucket(other, user_, "", ""));
    FreedExtents freed;
    BodyCommit kept = body("kept", 300);
    kept.record.info.bucket = other;
    ASSERT_OK(gw1_->objects->put_object(std::move(kept), {}, freed));
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    ASSERT_NO_FATAL_FAILURE(drift(700, 1));  // both too high: a change that did not land
    ASSERT_OK(gw1_->objects->delete_object(bucket_, "a", freed));
    ASSERT_OK(gw1_->objects->delete_bucket(bucket_, freed));
    EXPECT_EQ(user_usage().bytes, 1000u);
    EXPECT_EQ(user_usage().objects, 2u);
    auto q = gw1_->client->omap_get(Pool::Meta, std::string(kRecountQueueOid), {owner_recount_key(user_)});
    ASSERT_OK(q);
    ASSERT_EQ(q->size(), 1u);
    // Not while the owner's ledger was just changed.
    Gateway patient(quiet_after(60s));
    ASSERT_OK(patient.objects->recount_queued(1000));
    EXPECT_EQ(user_usage().bytes, 1000u);
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        std::this_thread::sleep_for(kQuiet / 2);
        ASSERT_OK(recounter_->objects->recount_queued(1000));
        q = gw1_->client->omap_get(Pool::Meta, std::string(kRecountQueueOid), {owner_recount_key(user_)});
        ASSERT_OK(q);
        if (q->empty()) break;
        ASSERT_LT(std::chrono::steady_clock::now() - start, 20s) << "never recounted";
    }
    EXPECT_EQ(user_usage().bytes, 300u);
    EXPECT_EQ(user_usage().objects, 1u);
    ASSERT_OK(gw1_->objects->delete_object(other, "kept", freed));
    ASSERT_OK(gw1_->objects->delete_bucket(other, freed));
}

}  // namespace
}  // namespace ostor::detail::rados
