// RadosLeases against the throwaway cluster, with several connections
// standing for several gateways. Leases here last kTestLease (not 30 s), so
// that "not renewed past its duration" takes a second or two. An instance
// that a test lets die (or be adopted) has a connection of its own: its
// adopter blocklists that connection.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include "cluster_clients.hpp"
#include "engine_impl.hpp"
#include "rados/leases.hpp"
#include "rados/space_ledger.hpp"

namespace ostor::detail::rados {
namespace {

using namespace std::chrono_literals;
using cluster_test::connect_gateway;

constexpr std::chrono::milliseconds kTestLease = 1500ms;

class RadosLeasesTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        gw1_ = connect_gateway();
        gw2_ = connect_gateway();
        gw3_ = connect_gateway();
    }
    static void TearDownTestSuite() {
        gw1_.reset();
        gw2_.reset();
        gw3_.reset();
    }
    static std::unique_ptr<RadosLeases> lease_on(Client& c, std::string address = "gw:8080") {
        auto l = RadosLeases::acquire(c, {kTestLease, std::move(address)});
        EXPECT_TRUE(l) << l.error().message();
        return l ? std::move(*l) : nullptr;
    }
    static bool listed(const std::string& instance) {
        auto all = list_leases(*gw3_);
        EXPECT_TRUE(all) << all.error().message();
        return all && std::any_of(all->begin(), all->end(), [&](auto& e) { return e.instance == instance; });
    }
    static bool lease_object_exists(const std::string& instance) {
        auto st = gw3_->stat(Pool::Meta, lease_oid(instance));
        return static_cast<bool>(st);
    }

    static inline std::unique_ptr<Client> gw1_;
    static inline std::unique_ptr<Client> gw2_;
    static inline std::unique_ptr<Client> gw3_;
};

TEST_F(RadosLeasesTest, ALiveLeaseIsNotAdoptableEvenPastItsDuration) {
    auto a = lease_on(*gw1_);
    auto b = lease_on(*gw2_);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->instance_id().size(), 16u);
    EXPECT_NE(a->instance_id(), b->instance_id());
    EXPECT_EQ(b->adopt_if_dead(a->instance_id()), nullptr);
    EXPECT_EQ(a->adopt_if_dead(a->instance_id()), nullptr);  // itself
    // Renewed by its thread: still held two durations later.
    std::this_thread::sleep_for(2 * kTestLease);
    EXPECT_FALSE(a->lost());
    EXPECT_EQ(b->adopt_if_dead(a->instance_id()), nullptr);
}

TEST_F(RadosLeasesTest, ALeaseNotRenewedPastItsDurationIsAdoptedOnceAndRemoved) {
    auto dead_gw = connect_gateway();
    auto dead = lease_on(*dead_gw);
    auto b = lease_on(*gw2_);
    auto c = lease_on(*gw3_);
    ASSERT_TRUE(dead && b && c);
    const std::string id = dead->instance_id();
    dead->abandon_for_test();                  // as if its process died: no renewal, nothing removed
    EXPECT_EQ(b->adopt_if_dead(id), nullptr);  // its last hold has not expired yet
    std::this_thread::sleep_for(kTestLease + 300ms);
    EXPECT_TRUE(dead->lost());  // it would know, if it were still running
    auto adopted = b->adopt_if_dead(id);
    ASSERT_NE(adopted, nullptr);
    EXPECT_EQ(c->adopt_if_dead(id), nullptr);  // b holds it
    EXPECT_EQ(b->adopt_if_dead(id), nullptr);  // b is adopting it already
    // The adopter's hold is renewed while it cleans up.
    std::this_thread::sleep_for(kTestLease + 300ms);
    EXPECT_EQ(c->adopt_if_dead(id), nullptr);
    EXPECT_TRUE(listed(id));
    adopted.reset();
    EXPECT_FALSE(lease_object_exists(id));
    EXPECT_FALSE(listed(id));
}

TEST_F(RadosLeasesTest, AnInstanceThatLeftNothingIsAdoptableAndLeavesNothing) {
    auto b = lease_on(*gw2_);
    ASSERT_TRUE(b);
    const std::string never = "00000000deadbeef";
    auto adopted = b->adopt_if_dead(never);
    ASSERT_NE(adopted, nullptr);
    adopted.reset();
    EXPECT_FALSE(lease_object_exists(never));
}

TEST_F(RadosLeasesTest, TheIndexListsLiveInstancesAndForgetsClosedOnes) {
    auto a = lease_on(*gw1_, "10.0.0.1:7480");
    auto b = lease_on(*gw2_, "10.0.0.2:7480");
    ASSERT_TRUE(a && b);
    auto all = list_leases(*gw3_);
    ASSERT_OK(all);
    int found = 0;
    for (auto& e : *all) {
        if (e.instance == a->instance_id()) {
            ++found;
            EXPECT_EQ(e.address, "10.0.0.1:7480");
        } else if (e.instance == b->instance_id()) {
            ++found;
            EXPECT_EQ(e.address, "10.0.0.2:7480");
        } else {
            continue;
        }
        EXPECT_TRUE(e.live_at(now_ms()));
        EXPECT_EQ(e.duration_ms, kTestLease.count());
        EXPECT_LE(e.since_ms, e.renewed_ms);
    }
    EXPECT_EQ(found, 2);
    const std::string a_id = a->instance_id();
    a.reset();  // closes cleanly
    EXPECT_FALSE(listed(a_id));
    EXPECT_FALSE(lease_object_exists(a_id));
    EXPECT_TRUE(listed(b->instance_id()));
}

TEST_F(RadosLeasesTest, ARenewalRefusedByTheClusterLosesTheLeaseForGood) {
    auto a_gw = connect_gateway();  // its entry stays: a later sweep fences it
    auto a = lease_on(*a_gw);
    ASSERT_TRUE(a);
    const std::string id = a->instance_id();
    const std::string oid = lease_oid(id);
    const std::string name(kLeaseLockName);
    // Another gateway breaks a's hold and takes the lock: a's next renewal
    // finds it held.
    auto holders = gw2_->lockers(Pool::Meta, oid, name);
    ASSERT_OK(holders);
    ASSERT_EQ(holders->size(), 1u);
    EXPECT_EQ(holders->at(0).cookie, id);
    ASSERT_OK(gw2_->break_lock(Pool::Meta, oid, name, holders->at(0)));
    ASSERT_OK(gw2_->lock_exclusive(Pool::Meta, oid, name, "thief", 60s));
    auto deadline = std::chrono::steady_clock::now() + kTestLease + 1s;
    while (!a->lost() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(a->lost());
    EXPECT_EQ(a->adopt_if_dead("00000000feedface"), nullptr);  // a lost lease adopts nothing
    a.reset();
    // Closing a lost lease leaves the object to whoever holds it now.
    auto after = gw3_->lockers(Pool::Meta, oid, name);
    ASSERT_OK(after);
    ASSERT_EQ(after->size(), 1u);
    EXPECT_EQ(after->at(0).cookie, "thief");
    ASSERT_OK(gw2_->remove(Pool::Meta, oid));
}

TEST_F(RadosLeasesTest, ABreakAloneLosesTheLease) {
    auto a_gw = connect_gateway();
    auto a = lease_on(*a_gw);
    ASSERT_TRUE(a);
    const std::string oid = lease_oid(a->instance_id());
    const std::string name(kLeaseLockName);
    auto holders = gw2_->lockers(Pool::Meta, oid, name);
    ASSERT_OK(holders);
    ASSERT_EQ(holders->size(), 1u);
    // Broken, taken by nobody: the next renewal must not take it again.
    ASSERT_OK(gw2_->break_lock(Pool::Meta, oid, name, holders->at(0)));
    auto deadline = std::chrono::steady_clock::now() + kTestLease / 3 + 1s;
    while (!a->lost() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(a->lost());
    auto after = gw3_->lockers(Pool::Meta, oid, name);
    ASSERT_OK(after);
    EXPECT_TRUE(after->empty());
    const std::string id = a->instance_id();
    a.reset();  // lost: leaves the object and entry to an adopter
    auto b = lease_on(*gw2_);
    ASSERT_TRUE(b);
    auto adopted = b->adopt_if_dead(id);
    ASSERT_NE(adopted, nullptr);
    adopted.reset();
    EXPECT_FALSE(lease_object_exists(id));
    EXPECT_FALSE(listed(id));
}

TEST_F(RadosLeasesTest, AZombiesRenewalDoesNotRecreateAnAdoptedAndRemovedLease) {
    // 3 s: a renews every second, time for the break, the adoption and its
    // end in between.
    auto zombie_gw = connect_gateway();
    auto a = RadosLeases::acquire(*zombie_gw, {3000ms, "zombie:1"});
    ASSERT_OK(a);
    auto b = lease_on(*gw2_);
    ASSERT_TRUE(b);
    const std::string id = (*a)->instance_id();
    const std::string name(kLeaseLockName);
    auto holders = gw3_->lockers(Pool::Meta, lease_oid(id), name);
    ASSERT_OK(holders);
    ASSERT_EQ(holders->size(), 1u);
    ASSERT_OK(gw3_->break_lock(Pool::Meta, lease_oid(id), name, holders->at(0)));
    auto adopted = b->adopt_if_dead(id);
    ASSERT_NE(adopted, nullptr);
    adopted.reset();
    EXPECT_FALSE(lease_object_exists(id));
    EXPECT_FALSE(listed(id));
    // The zombie's next renewals find nothing to renew, or are refused
    // (its connection is blocklisted): lost by its duration at the latest.
    auto deadline = std::chrono::steady_clock::now() + 3500ms;
    while (!(*a)->lost() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    EXPECT_TRUE((*a)->lost());
    EXPECT_FALSE(lease_object_exists(id));
    a->reset();
    EXPECT_FALSE(lease_object_exists(id));
}

TEST_F(RadosLeasesTest, MayCommitEndsACommitMarginBeforeTheLease) {
    auto a_gw = connect_gateway();
    auto a = RadosLeases::acquire(*a_gw, {kTestLease, "gw:1", 700ms});
    ASSERT_OK(a);
    auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE((*a)->may_commit());
    (*a)->abandon_for_test();
    std::this_thread::sleep_until(started + kTestLease - 700ms + 100ms);
    EXPECT_FALSE((*a)->may_commit());
    if (std::chrono::steady_clock::now() < started + kTestLease - 100ms) {
        EXPECT_FALSE((*a)->lost());
    }
    std::this_thread::sleep_until(started + kTestLease + 100ms);
    EXPECT_TRUE((*a)->lost());
    EXPECT_FALSE((*a)->may_commit());
    auto b = lease_on(*gw2_);
    ASSERT_TRUE(b);
    auto adopted = b->adopt_if_dead((*a)->instance_id());
    ASSERT_NE(adopted, nullptr);
}

TEST_F(RadosLeasesTest, AnAdoptionWhoseHoldIsBrokenIsLostAndLeavesTheObject) {
    auto dead_gw = connect_gateway();
    auto dead = lease_on(*dead_gw);
    auto b = lease_on(*gw2_);
    ASSERT_TRUE(dead && b);
    const std::string id = dead->instance_id();
    const std::string name(kLeaseLockName);
    dead->abandon_for_test();
    std::this_thread::sleep_for(kTestLease + 300ms);
    auto adopted = b->adopt_if_dead(id);
    ASSERT_NE(adopted, nullptr);
    EXPECT_FALSE(adopted->lost());
    auto holders = gw3_->lockers(Pool::Meta, lease_oid(id), name);
    ASSERT_OK(holders);
    ASSERT_EQ(holders->size(), 1u);
    ASSERT_OK(gw3_->break_lock(Pool::Meta, lease_oid(id), name, holders->at(0)));
    auto deadline = std::chrono::steady_clock::now() + kTestLease / 3 + 1s;
    while (!adopted->lost() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(adopted->lost());
    EXPECT_FALSE(b->lost());  // its own lease is fine
    adopted.reset();          // the unlock fails: the object and entry stay for the next sweep
    EXPECT_TRUE(lease_object_exists(id));
    EXPECT_TRUE(listed(id));
    auto again = b->adopt_if_dead(id);
    ASSERT_NE(again, nullptr);
    again.reset();
    EXPECT_FALSE(lease_object_exists(id));
    EXPECT_FALSE(listed(id));
}

TEST_F(RadosLeasesTest, AnAdoptedZombiesWritesAreRefusedAndTheAdopterWorks) {
    // The zombie: a gateway that stopped renewing (a pause, a partition)
    // but whose connection still works, with a write still to send.
    auto zombie_gw = connect_gateway();
    auto zombie = lease_on(*zombie_gw);
    auto b = lease_on(*gw2_);
    ASSERT_TRUE(zombie && b);
    const std::string id = zombie->instance_id();
    const std::string oid = "fence-probe." + id;
    ASSERT_OK(zombie_gw->write_full(Pool::Meta, oid, "before"));
    auto entries = list_leases(*gw3_);
    ASSERT_OK(entries);
    auto entry = std::find_if(entries->begin(), entries->end(), [&](auto& e) { return e.instance == id; });
    ASSERT_NE(entry, entries->end());
    EXPECT_EQ(entry->client, zombie_gw->address());  // what an adopter fences
    zombie->abandon_for_test();
    std::this_thread::sleep_for(kTestLease + 300ms);
    auto adopted = b->adopt_if_dead(id);
    ASSERT_NE(adopted, nullptr);
    // From here on the adopter acts on the dead instance's state; the
    // zombie's write must not land after that. An OSD refuses the zombie
    // once it has the OSD map with the blocklist entry; the adopter's client
    // has it when the fence returns, and its first request to an OSD makes
    // that OSD take it before serving it: the adopter looks at the object
    // first, as it looks at every object it acts on.
    ASSERT_OK(gw2_->read(Pool::Meta, oid));
    auto late = zombie_gw->write_full(Pool::Meta, oid, "after the adoption");
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code(), Errc::IoError);
    EXPECT_NE(late.error().message().find("blocklisted"), std::string_view::npos) << late.error().message();
    auto stored = gw3_->read(Pool::Meta, oid);
    ASSERT_OK(stored);
    EXPECT_EQ(*stored, "before");
    // The adopter's connection works, and the entry still names the dead
    // owner's connection only (an adopter never writes it: an entry naming
    // a live adopter could outlive the adoption and get it fenced), also
    // after a cleanup that failed part way.
    ASSERT_OK(gw2_->write_full(Pool::Meta, oid, "adopter"));
    adopted->release_unfinished();
    adopted.reset();
    entries = list_leases(*gw3_);
    ASSERT_OK(entries);
    entry = std::find_if(entries->begin(), entries->end(), [&](auto& e) { return e.instance == id; });
    ASSERT_NE(entry, entries->end());
    EXPECT_EQ(entry->client, zombie_gw->address());
    auto again = b->adopt_if_dead(id);
    ASSERT_NE(again, nullptr);
    again.reset();
    EXPECT_FALSE(listed(id));
    ASSERT_OK(gw3_->remove(Pool::Meta, oid));
}

TEST_F(RadosLeasesTest, TheSweepSkipsAnEntryLiveByItsRenewalTime) {
    // An instance between its index entry and its lock (acquire's first
    // steps): the lock is free, but the entry was renewed just now.
    auto b = lease_on(*gw2_);
    ASSERT_TRUE(b);
    const std::string opening = "00000000c0ffee00";
    LeaseEntry e{opening, now_ms(), now_ms(), 60'000, "opening:1", "127.0.0.1:0/1"};
    ASSERT_OK(
        gw3_->apply(Pool::Meta, std::string(kLeasesIndexOid), WriteOp().omap_set(opening, encode_lease_entry(e))));
    SpaceLedger ledger(*gw2_, b->instance_id());
    auto swept = ledger.drop_dead_reservations(*b);
    ASSERT_OK(swept);
    EXPECT_TRUE(listed(opening)) << "a live entry is not adopted (nor its lease taken)";
    EXPECT_FALSE(lease_object_exists(opening));
    // Once its renewal time is past its duration, it is adopted.
    e.renewed_ms = now_ms() - 61'000;
    e.client.clear();  // nothing to fence here
    ASSERT_OK(
        gw3_->apply(Pool::Meta, std::string(kLeasesIndexOid), WriteOp().omap_set(opening, encode_lease_entry(e))));
    swept = ledger.drop_dead_reservations(*b);
    ASSERT_OK(swept);
    EXPECT_FALSE(listed(opening));
    EXPECT_FALSE(lease_object_exists(opening));
}

TEST_F(RadosLeasesTest, TheSweepAdoptsAnEntryRenewedFarInTheFuture) {
    // A holder whose clock ran far ahead, then died: its lock expired long
    // ago, but its renewal time is still to come by ours.
    auto b = lease_on(*gw2_);
    ASSERT_TRUE(b);
    const std::string ahead = "00000000c0ffee01";
    const std::int64_t duration = 60'000;
    LeaseEntry e{ahead, now_ms() + 10 * duration, now_ms() + 10 * duration, duration, "ahead:1", ""};
    ASSERT_OK(gw3_->apply(Pool::Meta, std::string(kLeasesIndexOid), WriteOp().omap_set(ahead, encode_lease_entry(e))));
    SpaceLedger ledger(*gw2_, b->instance_id());
    auto swept = ledger.drop_dead_reservations(*b);
    ASSERT_OK(swept);
    EXPECT_FALSE(listed(ahead)) << "adopted (the lock decided) and removed";
    EXPECT_FALSE(lease_object_exists(ahead));
}

TEST_F(RadosLeasesTest, AnAdoptionBetweenTheEntryAndTheLockFencesNothing) {
    // A sweeper whose clock runs a duration ahead takes a fresh entry as
    // dead and adopts its id before the opener's lock: the opener must go
    // on with another id, on a connection that still works.
    auto opener_gw = connect_gateway();
    auto sweeper = lease_on(*gw2_);
    ASSERT_TRUE(sweeper);
    std::string first_id;
    std::unique_ptr<AdoptedLease> adopted;
    RadosLeases::Options options{kTestLease, "opener:1"};
    options.listed_for_tests = [&](const std::string& instance) {
        if (!first_id.empty()) return;
        first_id = instance;
        auto entries = list_leases(*gw3_);
        ASSERT_OK(entries);
        auto entry = std::find_if(entries->begin(), entries->end(), [&](auto& e) { return e.instance == instance; });
        ASSERT_NE(entry, entries->end());
        EXPECT_EQ(entry->client, "") << "no connection named before the lock is ours";
        adopted = sweeper->adopt_if_dead(instance);
        EXPECT_NE(adopted, nullptr);
    };
    auto opened = RadosLeases::acquire(*opener_gw, options);
    ASSERT_OK(opened);
    ASSERT_FALSE(first_id.empty());
    EXPECT_NE((*opened)->instance_id(), first_id);
    ASSERT_NE(adopted, nullptr);
    // Not fenced: the opener's connection writes.
    const std::string oid = "fence-probe." + (*opened)->instance_id();
    ASSERT_OK(opener_gw->write_full(Pool::Meta, oid, "works"));
    ASSERT_OK(opener_gw->remove(Pool::Meta, oid));
    // The new id's entry names the connection, once locked.
    auto entries = list_leases(*gw3_);
    ASSERT_OK(entries);
    auto entry =
        std::find_if(entries->begin(), entries->end(), [&](auto& e) { return e.instance == (*opened)->instance_id(); });
    ASSERT_NE(entry, entries->end());
    EXPECT_EQ(entry->client, opener_gw->address());
    adopted.reset();
    EXPECT_FALSE(listed(first_id));
    EXPECT_FALSE(lease_object_exists(first_id));
    opened->reset();
}

// BootClock reads CLOCK_BOOTTIME: its reading lies between two direct
// reads of that clock. This tells it from CLOCK_MONOTONIC only on a machine
// suspended since its boot (where the two differ: printed below); elsewhere
// the two read alike and no test in a process can tell them apart.
TEST(BootClock, ReadsClockBoottime) {
    auto read = [](clockid_t id) {
        timespec ts{};
        EXPECT_EQ(::clock_gettime(id, &ts), 0);
        return std::chrono::nanoseconds(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
    };
    const auto first = read(CLOCK_BOOTTIME);
    const auto ours = BootClock::now().time_since_epoch();
    const auto last = read(CLOCK_BOOTTIME);
    EXPECT_LE(first, ours);
    EXPECT_LE(ours, last);
    const auto suspended = read(CLOCK_BOOTTIME) - read(CLOCK_MONOTONIC);
    std::printf("CLOCK_BOOTTIME - CLOCK_MONOTONIC here: %lld ms%s\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(suspended).count()),
                suspended > 1ms ? "" : " (the bracket cannot tell the two clocks apart)");
    static_assert(BootClock::is_steady);
}

TEST(LeaseEntry, EncodesAndDecodes) {
    LeaseEntry e{"0123456789abcdef", 1000, 2000, 30000, "host name:80", "127.0.0.1:0/2093732133"};
    auto d = decode_lease_entry(e.instance, encode_lease_entry(e));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->since_ms, 1000);
    EXPECT_EQ(d->renewed_ms, 2000);
    EXPECT_EQ(d->duration_ms, 30000);
    EXPECT_EQ(d->address, "host name:80");
    EXPECT_EQ(d->client, "127.0.0.1:0/2093732133");
    // An entry of an older version names no connection.
    auto old = decode_lease_entry(e.instance, "1000 2000 30000 host name:80");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->client, "");
    EXPECT_EQ(old->address, "host name:80");
    EXPECT_TRUE(d->live_at(31999));
    EXPECT_FALSE(d->live_at(32000));
    // Renewed more than a duration ahead of us: a clock that ran ahead.
    EXPECT_TRUE(d->live_at(-28000));
    EXPECT_FALSE(d->live_at(-28001));
    EXPECT_FALSE(decode_lease_entry("x", "12 nope"));
}

}  // namespace
}  // namespace ostor::detail::rados
