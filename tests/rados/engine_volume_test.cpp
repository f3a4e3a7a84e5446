// Engine::open on a RADOS volume (rados/volume.cpp), on the throwaway
// cluster: the volume id object, namespaces, the sweep of dead instances at
// open, the commit margin (a lost lease stops every mutating call), and
// `ostor-ctl get-config` on the volume.
// Each test works in a RADOS namespace of its own.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <thread>
#include <tuple>

#include "cluster_clients.hpp"
#include "hashing.hpp"
#include "ostor/engine.hpp"
#include "rados/leases.hpp"

namespace ostor::detail::rados {
namespace {

using namespace std::chrono_literals;

// The cluster's spec with a fresh namespace.
std::string fresh_spec() { return cluster_test::test_volume_in_new_namespace("engine"); }

std::unique_ptr<Client> connect_to(const std::string& spec_text) {
    auto spec = VolumeSpec::parse(spec_text);
    if (!spec) std::abort();
    auto c = Client::connect(*spec);
    if (!c) std::abort();
    return std::move(*c);
}

TEST(RadosVolumeSpec, NamespaceIsParsedAndPrinted) {
    auto spec = VolumeSpec::parse("rados:ostor?id=ostor&ns=tenant-1");
    ASSERT_TRUE(spec) << spec.error().message();
    EXPECT_EQ(spec->rados_namespace, "tenant-1");
    EXPECT_EQ(spec->to_string(), "rados:ostor?id=ostor&ns=tenant-1");
    EXPECT_FALSE(VolumeSpec::parse("rados:ostor?ns=a/b"));
    EXPECT_FALSE(VolumeSpec::parse("rados:ostor?ns=a&ns=b"));
    EXPECT_FALSE(VolumeSpec::parse("rados:ostor?ns="));
}

TEST(RadosVolume, CreatedOnceThenReopenedWithItsId) {
    const std::string spec = fresh_spec();
    EngineOptions no_create;
    no_create.create_if_missing = false;
    auto refused = Engine::open(spec, no_create);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::InvalidArgument) << refused.error().message();

    std::string id;
    {
        auto e = Engine::open(spec);
        ASSERT_TRUE(e) << e.error().message();
        id = (*e)->volume_id();
        EXPECT_EQ(id.size(), 16u);
        EXPECT_TRUE((*e)->directory().empty());
        ASSERT_TRUE((*e)->create_user("someone@example.com", false, true));
    }
    auto again = Engine::open(spec, no_create);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ((*again)->volume_id(), id);
    EXPECT_TRUE((*again)->get_user_by_email("someone@example.com"));

    EngineOptions other;
    other.volume_id = "0123456789abcdef";
    auto mismatch = Engine::open(spec, other);
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error().code(), Errc::VolumeMismatch);
}

TEST(RadosVolume, NamespacesSeparateVolumesOnTheSamePools) {
    auto a = Engine::open(fresh_spec());
    auto b = Engine::open(fresh_spec());
    ASSERT_TRUE(a && b);
    EXPECT_NE((*a)->volume_id(), (*b)->volume_id());
    ASSERT_TRUE((*a)->create_user("only-in-a@example.com", false, false));
    EXPECT_FALSE((*b)->get_user_by_email("only-in-a@example.com"));
}

TEST(RadosVolume, SeveralEnginesOfOneProcessShareAVolume) {
    const std::string spec = fresh_spec();
    auto a = Engine::open(spec);
    auto b = Engine::open(spec);
    ASSERT_TRUE(a && b);
    EXPECT_EQ((*a)->volume_id(), (*b)->volume_id());
    ASSERT_TRUE((*a)->create_user("shared@example.com", false, false));
    EXPECT_TRUE((*b)->get_user_by_email("shared@example.com"));
}

TEST(RadosVolume, OpenSweepsADeadInstanceAndACleanCloseLeavesNoLease) {
    const std::string spec = fresh_spec();
    auto client = connect_to(spec);
    {
        auto e = Engine::open(spec);
        ASSERT_TRUE(e) << e.error().message();
        auto listed = list_leases(*client);
        ASSERT_TRUE(listed);
        EXPECT_EQ(listed->size(), 1u);
    }
    auto listed = list_leases(*client);
    ASSERT_TRUE(listed);
    EXPECT_TRUE(listed->empty()) << "a clean close removes its lease";

    // A gateway that died: its lease expires, and the next open adopts it
    // (and fences the dead one's connection: one of its own).
    auto dead_client = connect_to(spec);
    auto dead = RadosLeases::acquire(*dead_client, {1000ms, "dead:1"});
    ASSERT_TRUE(dead) << dead.error().message();
    const std::string dead_id = (*dead)->instance_id();
    ASSERT_TRUE(
        dead_client->apply(Pool::Meta, "blobs.pending." + dead_id, WriteOp().omap_set("blob.00000000000000aa", "")));
    (*dead)->abandon_for_test();
    std::this_thread::sleep_for(1300ms);
    auto e = Engine::open(spec);
    ASSERT_TRUE(e) << e.error().message();
    listed = list_leases(*client);
    ASSERT_TRUE(listed);
    EXPECT_TRUE(std::none_of(listed->begin(), listed->end(), [&](auto& l) { return l.instance == dead_id; }));
    EXPECT_FALSE(client->stat(Pool::Meta, lease_oid(dead_id)));
    EXPECT_FALSE(client->stat(Pool::Meta, "blobs.pending." + dead_id)) << "its pending blob list was cleaned";
    e->reset();
    dead->reset();
}

TEST(RadosVolume, ALeaseShorterThan48SecondsIsRefusedOutsideTests) {
    const std::string spec = fresh_spec();
    EngineOptions options;
    options.rados_lease_duration_ms = 47'000;
    auto refused = Engine::open(spec, options);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::InvalidArgument);
    EXPECT_NE(refused.error().message().find("at least 48 s"), std::string_view::npos) << refused.error().message();
    options.rados_lease_duration_ms = 48'000;
    EXPECT_TRUE(Engine::open(spec, options));
}

// A closed instance leaves its billing object: the next sweep (here, the
// next open's) folds it into billing.folded, and the bill stays the same.
TEST(RadosVolume, TheSweepFoldsTheBillingOfAClosedInstance) {
    const std::string spec = fresh_spec();
    auto client = connect_to(spec);
    BillingCounters c;
    c.put = 4;
    c.uploaded = 400;
    std::string closed_id;
    {
        auto a = Engine::open(spec);
        ASSERT_TRUE(a) << a.error().message();
        ASSERT_TRUE((*a)->add_billing_totals({{"billed-user", "", c}, {"billed-user", "acc", c}}));
        auto listed = list_leases(*client);
        ASSERT_TRUE(listed);
        ASSERT_EQ(listed->size(), 1u);
        closed_id = listed->front().instance;
    }
    ASSERT_TRUE(client->stat(Pool::Meta, "billing." + closed_id));
    auto b = Engine::open(spec);
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_FALSE(client->stat(Pool::Meta, "billing." + closed_id)) << "folded at open";
    auto index = client->omap_get(Pool::Meta, "billing-index", {closed_id});
    ASSERT_TRUE(index);
    EXPECT_TRUE(index->empty());
    auto total = (*b)->billing_totals("billed-user", std::nullopt);
    ASSERT_TRUE(total) << total.error().message();
    EXPECT_EQ(total->put, 8u);
    EXPECT_EQ(total->uploaded, 800u);
    auto rows = (*b)->list_billing_totals();
    ASSERT_TRUE(rows);
    EXPECT_EQ(rows->size(), 2u);
}

TEST(RadosVolume, ALostLeaseStopsEveryChangeButNotReads) {
    const std::string spec = fresh_spec();
    auto client = connect_to(spec);
    EngineOptions options;
    options.rados_lease_duration_ms = 2000;  // renewed every 0.67 s
    options.rados_short_lease_for_tests = true;
    options.instance_address = "gw-test:7480";
    auto e = Engine::open(spec, options);
    ASSERT_TRUE(e) << e.error().message();
    auto user = (*e)->create_user("before@example.com", false, false);
    ASSERT_TRUE(user) << user.error().message();

    auto listed = list_leases(*client);
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->front().address, "gw-test:7480");
    // Someone took the lease away (an adopter that thought it dead): the next
    // renewal finds no hold.
    ASSERT_TRUE(client->remove(Pool::Meta, lease_oid(listed->front().instance)));
    std::this_thread::sleep_for(1500ms);

    auto refused = (*e)->create_user("after@example.com", false, false);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::IoError);
    EXPECT_NE(refused.error().message().find("restart"), std::string_view::npos) << refused.error().message();
    EXPECT_EQ((*e)->put_usage_object("u1", "{}").error().code(), Errc::IoError);
    EXPECT_EQ((*e)->set_user_state(user->user.id, UserState::Disabled).error().code(), Errc::IoError);
    EXPECT_EQ((*e)->create_bucket("bkt", user->user.id).error().code(), Errc::IoError);
    EXPECT_TRUE((*e)->get_user(user->user.id)) << "reads go on";
}

// The blob collector runs under the volume's collector lock: one gateway
// holds it, and a clean close gives it up.
TEST(RadosVolume, OneCollectorHoldsTheVolumesCollectorLock) {
    const std::string spec = fresh_spec();
    auto client = connect_to(spec);
    EngineOptions options;
    options.rados_collect_interval_ms = 200;
    auto a = Engine::open(spec, options);
    auto b = Engine::open(spec, options);
    ASSERT_TRUE(a && b);
    std::this_thread::sleep_for(1s);
    auto holders = client->lockers(Pool::Meta, "gc.collector", "ostor.collector");
    ASSERT_TRUE(holders) << holders.error().message();
    ASSERT_EQ(holders->size(), 1u);
    auto leases = list_leases(*client);
    ASSERT_TRUE(leases);
    EXPECT_TRUE(std::any_of(leases->begin(), leases->end(), [&](auto& l) {
        return l.instance == holders->front().cookie;
    })) << "the holder is one of the open instances";
    a->reset();
    b->reset();
    holders = client->lockers(Pool::Meta, "gc.collector", "ostor.collector");
    ASSERT_TRUE(holders);
    EXPECT_TRUE(holders->empty()) << "a clean close unlocks";
}

// The collector recounts what is queued: a bucket's ledger drifted (both
// its and its owner's counted 1000 bytes too many, as a change reported
// failed that landed), once queued, is set from the index by the engine's
// own collector within a few passes (a quiet window of 500 ms, for tests).
TEST(RadosVolume, TheCollectorRecountsAQueuedBucket) {
    const std::string spec = fresh_spec();
    auto client = connect_to(spec);
    EngineOptions options;
    options.rados_collect_interval_ms = 200;
    options.rados_recount_quiet_ms_for_tests = 500;
    auto e = Engine::open(spec, options);
    ASSERT_TRUE(e) << e.error().message();
    Engine& engine = **e;
    auto user = engine.create_user("recount@example.com");
    ASSERT_TRUE(user) << user.error().message();
    auto bucket = engine.create_bucket("recounted", user->user.id);
    ASSERT_TRUE(bucket) << bucket.error().message();
    const std::string text(300, 'x');
    ASSERT_TRUE(engine.put_object("recounted", "k", std::as_bytes(std::span(text)), {}));
    const std::string bucket_ledger = "ledger.bucket/recounted/" + std::to_string(bucket->epoch);
    const std::string user_ledger = "ledger.user." + user->user.id;
    for (const auto* oid : {&bucket_ledger, &user_ledger})
        ASSERT_TRUE(client->apply(Pool::Meta, *oid, WriteOp().omap_set("bytes", "1300")));
    ASSERT_EQ(engine.get_user_usage(user->user.id)->bytes, 1300u);
    ASSERT_TRUE(client->apply(Pool::Meta, "recount.queue",
                              WriteOp().omap_set("recounted/" + std::to_string(bucket->epoch), "1 queued")));
    const auto start = std::chrono::steady_clock::now();
    while (engine.get_user_usage(user->user.id)->bytes != 300u) {
        ASSERT_LT(std::chrono::steady_clock::now() - start, 15s) << "never recounted";
        std::this_thread::sleep_for(100ms);
    }
    auto b = engine.get_bucket("recounted");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->bytes, 300u);
    EXPECT_EQ(b->objects, 1u);
    // The bucket's entry goes; the owner's recount it queued (the bucket's
    // drift moved the owner) runs in a later pass and goes too.
    for (;;) {
        auto queue = client->omap_list(Pool::Meta, "recount.queue", "", "", 10);
        ASSERT_TRUE(queue);
        if (queue->entries.empty()) break;
        ASSERT_LT(std::chrono::steady_clock::now() - start, 30s)
            << "the queue never emptied: " << queue->entries.begin()->first;
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(engine.get_user_usage(user->user.id)->bytes, 300u);
}

// What `command` printed on its standard output, and its exit status.
std::pair<std::string, int> run(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return {"", -1};
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    int status = ::pclose(p);
    return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

// ostor-ctl get-config on a RADOS volume: the volume's row, then its live
// gateways (address, instance, since when). OSTOR_CTL names the binary
// (tests/rados/meson.build).
TEST(RadosVolume, OstorCtlGetConfigListsTheVolumeAndItsLiveGateways) {
    const char* ctl = std::getenv("OSTOR_CTL");
    ASSERT_TRUE(ctl && *ctl) << "OSTOR_CTL must name the ostor-ctl binary";
    const std::string spec = fresh_spec();
    auto missing = run("OSTOR_DATA='" + spec + "' " + ctl + " get-config 2>&1");
    EXPECT_NE(missing.second, 0);
    EXPECT_NE(missing.first.find("not an ostor volume"), std::string::npos) << missing.first;

    EngineOptions a_options, b_options;
    a_options.instance_address = "10.0.0.1:7480";
    b_options.instance_address = "10.0.0.2:7480";
    auto a = Engine::open(spec, a_options);
    auto b = Engine::open(spec, b_options);
    ASSERT_TRUE(a && b);
    auto client = connect_to(spec);
    auto leases = list_leases(*client);
    ASSERT_TRUE(leases);
    ASSERT_EQ(leases->size(), 2u);

    auto [out, status] = run(std::string(ctl) + " get-config -n some-other-node --data '" + spec + "'");
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(out.rfind("VOL_ID          TYPE      STATE\n" + (*a)->volume_id() + "  OBJ      READY\n", 0), 0u) << out;
    EXPECT_NE(out.find("GATEWAY                 INSTANCE          SINCE (UTC)"), std::string::npos) << out;
    for (const auto& lease : *leases) {
        auto row = out.find(lease.address);
        ASSERT_NE(row, std::string::npos) << out;
        EXPECT_EQ(out.substr(row + 24, 16), lease.instance) << out;
    }
    b->reset();  // closed: no longer listed
    std::tie(out, status) = run(std::string(ctl) + " get-config --data '" + spec + "'");
    EXPECT_EQ(status, 0);
    EXPECT_NE(out.find("10.0.0.1:7480"), std::string::npos) << out;
    EXPECT_EQ(out.find("10.0.0.2:7480"), std::string::npos) << out;
}

// Reported, not asserted, and not run by default (it stores 1 GiB; the
// OSD needs OSTOR_CEPH_OSD_BYTES above that): how long an unversioned
// overwrite and a delete of a large body take through the engine, the old
// body's blob objects released before each answers, and a copy of it (each
// object's count raised before it answers). Run it alone (one line):
//   OSTOR_CEPH_OSD_BYTES=3221225472 tests/rados/run_with_cluster.sh
//     build/tests/rados/rados-engine-volume-test --gtest_also_run_disabled_tests
//     --gtest_filter='*ReleaseTimes*'
TEST(RadosVolume, DISABLED_ReleaseTimesOfALargeBody) {
    const std::size_t size = std::size_t{256} << 20;  // 64 blob objects
    auto e = Engine::open(fresh_spec());
    ASSERT_TRUE(e) << e.error().message();
    auto user = (*e)->create_user("timer@example.com", false, false);
    ASSERT_TRUE(user) << user.error().message();
    ASSERT_TRUE((*e)->create_bucket("timed", user->user.id));
    std::vector<std::byte> body(size);
    std::mt19937_64 rng(1);
    for (auto& b : body) b = static_cast<std::byte>(rng());
    auto seconds_of = [](auto&& step) {
        auto start = std::chrono::steady_clock::now();
        step();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    // EXPECT in the steps (an ASSERT would leave only the lambda); no
    // figures printed after a failed one.
    double put_s = seconds_of([&] { EXPECT_TRUE((*e)->put_object("timed", "k", body)); });
    double overwrite_s = seconds_of([&] { EXPECT_TRUE((*e)->put_object("timed", "k", body)); });
    double delete_s = seconds_of([&] { EXPECT_TRUE((*e)->delete_object("timed", "k")); });
    // An overwrite by a small body: mostly the large one's release.
    ASSERT_TRUE((*e)->put_object("timed", "k", body));
    const std::byte small[1]{};
    double small_overwrite_s = seconds_of([&] { EXPECT_TRUE((*e)->put_object("timed", "k", small)); });
    // A copy shares the body: it adds a reference to each of its objects.
    ASSERT_TRUE((*e)->put_object("timed", "k", body));
    double copy_s = seconds_of([&] { EXPECT_TRUE((*e)->copy_object("timed", "k", "timed", "copy")); });
    if (HasFailure()) return;
    std::printf(
        "[release-times] %zu MiB: new put %.3f s, overwrite %.3f s, delete %.3f s, overwrite by 1 byte %.3f s, "
        "copy %.3f s\n",
        size >> 20, put_s, overwrite_s, delete_s, small_overwrite_s, copy_s);
}

}  // namespace
}  // namespace ostor::detail::rados
