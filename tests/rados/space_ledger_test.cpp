// rados::SpaceLedger against the throwaway cluster: the arithmetic, the
// refusals, many gateways racing for the last free bytes, many threads of
// one gateway combined into batches (LedgerCombiner, plan_ledger_batch), and
// what a dead instance leaves. Every case uses users and buckets of its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "cluster_clients.hpp"
#include "engine_impl.hpp"
#include "hashing.hpp"
#include "rados/catalog_support.hpp"
#include "rados/leases.hpp"
#include "rados/ledger_batches.hpp"
#include "rados/space_ledger.hpp"

namespace ostor::detail::rados {
namespace {

using namespace std::chrono_literals;
using cluster_test::connect_gateway;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

class SpaceLedgerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        for (auto& gw : gateways_) gw = connect_gateway();
    }
    static void TearDownTestSuite() {
        for (auto& gw : gateways_) gw.reset();
    }
    static Client& gw(int i) { return *gateways_[i]; }
    static std::string unique(const std::string& what) { return what + "-" + random_hex16(); }
    // The reservation entries left on a ledger object.
    static std::size_t open_entries(const std::string& oid) {
        auto page = gw(0).omap_list(Pool::Meta, oid, "", std::string(kReservationPrefix), 1000);
        if (!page) return page.error().code() == kNotFound ? 0 : 9999;
        return page->entries.size();
    }
    static UserUsage user_usage(SpaceLedger& l, const std::string& user) {
        auto u = l.usage(user);
        EXPECT_TRUE(u) << u.error().message();
        return u ? *u : UserUsage{};
    }
    static UserUsage of_bucket(SpaceLedger& l, const LedgerBucket& bucket) {
        auto u = l.bucket_usage(bucket);
        EXPECT_TRUE(u) << u.error().message();
        return u ? *u : UserUsage{};
    }

    static constexpr int kGateways = 3;
    static inline std::unique_ptr<Client> gateways_[kGateways];
    const std::string user_ = unique("u");
    const LedgerBucket bucket_{unique("b"), 1};
};

#define EXPECT_USAGE(u, b, o, r)   \
    do {                           \
        UserUsage u_ = (u);        \
        EXPECT_EQ(u_.bytes, b);    \
        EXPECT_EQ(u_.objects, o);  \
        EXPECT_EQ(u_.reserved, r); \
    } while (0)

TEST_F(SpaceLedgerTest, ReserveSettleReleaseAndApplyOnBothLedgers) {
    SpaceLedger l(gw(0), random_hex16());
    EXPECT_USAGE(user_usage(l, user_), 0u, 0u, 0u);  // never changed
    auto r = l.reserve(user_, bucket_, 100, 0, 0);
    ASSERT_OK(r);
    EXPECT_USAGE(user_usage(l, user_), 0u, 0u, 100u);
    EXPECT_USAGE(of_bucket(l, bucket_), 0u, 0u, 100u);
    ASSERT_OK(l.settle(*r, 80, 1));  // smaller than reserved
    EXPECT_USAGE(user_usage(l, user_), 80u, 1u, 0u);
    EXPECT_USAGE(of_bucket(l, bucket_), 80u, 1u, 0u);

    auto r2 = l.reserve(user_, bucket_, 200, 0, 0);
    auto r3 = l.reserve(user_, bucket_, 10, 0, 0);
    ASSERT_OK(r2);
    ASSERT_OK(r3);
    EXPECT_NE(r2->key, r3->key);
    EXPECT_USAGE(user_usage(l, user_), 80u, 1u, 210u);
    ASSERT_OK(l.release(*r2));
    ASSERT_OK(l.release(*r2));        // again: nothing left to release
    ASSERT_OK(l.settle(*r3, 15, 1));  // larger than reserved: no quota check
    EXPECT_USAGE(user_usage(l, user_), 95u, 2u, 0u);
    EXPECT_USAGE(of_bucket(l, bucket_), 95u, 2u, 0u);

    ASSERT_OK(l.apply(user_, bucket_, -30, -1, ""));  // a delete
    EXPECT_USAGE(user_usage(l, user_), 65u, 1u, 0u);
    EXPECT_USAGE(of_bucket(l, bucket_), 65u, 1u, 0u);
    EXPECT_EQ(open_entries(user_ledger_oid(user_)), 0u);
    EXPECT_EQ(open_entries(bucket_ledger_oid(bucket_.name, bucket_.epoch)), 0u);
}

TEST_F(SpaceLedgerTest, QuotaRefusalsNameTheUserOrTheBucket) {
    SpaceLedger l(gw(0), random_hex16());
    auto held = l.reserve(user_, bucket_, 600 * kMiB, kGiB, 0);
    ASSERT_OK(held);
    auto refused = l.reserve(user_, bucket_, 500 * kMiB, kGiB, 0);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::QuotaExceeded);
    EXPECT_EQ(refused.error().message(), "the write would take user " + user_ + " past its quota of 1 GiB");
    ASSERT_OK(l.reserve(user_, bucket_, 400 * kMiB, kGiB, 0));  // exactly to the quota

    const std::string other_user = unique("u");
    const LedgerBucket bucket2{unique("b"), 1};
    ASSERT_OK(l.reserve(other_user, bucket2, 700 * kMiB, 0, kGiB));
    auto over_bucket = l.reserve(other_user, bucket2, 400 * kMiB, 0, kGiB);
    ASSERT_FALSE(over_bucket);
    EXPECT_EQ(over_bucket.error().code(), Errc::QuotaExceeded);
    EXPECT_EQ(over_bucket.error().message(),
              "the write would take bucket " + bucket2.name + " past its quota of 1 GiB");
    // Stored bytes count as well as reservations.
    const LedgerBucket bucket3{unique("b"), 1};
    ASSERT_OK(l.apply(other_user, bucket3, static_cast<std::int64_t>(800 * kMiB), 1, ""));
    EXPECT_EQ(l.reserve(other_user, bucket3, 300 * kMiB, 0, kGiB).error().code(), Errc::QuotaExceeded);
    ASSERT_OK(l.reserve(other_user, bucket3, 224 * kMiB, 0, kGiB));
}

TEST_F(SpaceLedgerTest, ABucketRefusalReleasesTheUserReservation) {
    SpaceLedger l(gw(1), random_hex16());
    ASSERT_OK(l.apply(user_, bucket_, static_cast<std::int64_t>(900 * kMiB), 3, ""));
    auto refused = l.reserve(user_, bucket_, 200 * kMiB, 10 * kGiB, kGiB);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::QuotaExceeded);
    EXPECT_USAGE(user_usage(l, user_), 900 * kMiB, 3u, 0u);
    EXPECT_USAGE(of_bucket(l, bucket_), 900 * kMiB, 3u, 0u);
    EXPECT_EQ(open_entries(user_ledger_oid(user_)), 0u);
    EXPECT_EQ(open_entries(bucket_ledger_oid(bucket_.name, bucket_.epoch)), 0u);
}

// 32 writers on 3 gateways race for a 1 GiB user quota in 64 MiB
// reservations, each settling a little less or all of it, until refused: no
// byte past the quota, and every settle counted exactly once.
class ConcurrentSpaceLedgerTest : public SpaceLedgerTest, public ::testing::WithParamInterface<std::uint32_t> {};

TEST_P(ConcurrentSpaceLedgerTest, WritersOnThreeGatewaysNeverPassTheUserQuota) {
    constexpr int kThreads = 32;
    constexpr std::uint64_t kChunkBytes = 64 * kMiB;
    constexpr std::uint64_t kQuotaBytes = kGiB;
    constexpr int kBuckets = 4;
    std::vector<LedgerBucket> buckets;
    for (int i = 0; i < kBuckets; ++i) buckets.push_back(LedgerBucket{unique("b"), 1});
    std::vector<std::unique_ptr<SpaceLedger>> ledgers;
    for (int g = 0; g < kGateways; ++g)
        ledgers.push_back(std::make_unique<SpaceLedger>(gw(g), random_hex16(),
                                                        SpaceLedger::Options{kReservationLifetime, GetParam()}));

    std::atomic<std::uint64_t> settled_bytes{0};
    std::atomic<std::uint64_t> settles{0};
    std::atomic<int> failures{0};
    std::vector<std::uint64_t> settled_per_bucket(kBuckets);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            SpaceLedger& l = *ledgers[t % kGateways];
            const LedgerBucket& bucket = buckets[t % kBuckets];
            std::minstd_rand rng(static_cast<unsigned>(t));
            std::uint64_t mine = 0;
            for (;;) {
                auto r = l.reserve(user_, bucket, kChunkBytes, kQuotaBytes, 0);
                if (!r) {
                    if (r.error().code() != Errc::QuotaExceeded) {
                        ADD_FAILURE() << r.error().message();
                        ++failures;
                    }
                    break;
                }
                std::uint64_t written = kChunkBytes - (rng() % 4 == 0 ? rng() % (8 * kMiB) : 0);
                if (auto s = l.settle(*r, static_cast<std::int64_t>(written), 1); !s) {
                    ADD_FAILURE() << s.error().message();
                    ++failures;
                    break;
                }
                mine += written;
                settled_bytes += written;
                ++settles;
            }
            // Each thread writes to one bucket only: its total is exact there.
            static std::mutex m;
            std::lock_guard lock(m);
            settled_per_bucket[t % kBuckets] += mine;
        });
    }
    for (auto& th : threads) th.join();
    ASSERT_EQ(failures.load(), 0);
    UserUsage u = user_usage(*ledgers[0], user_);
    EXPECT_LE(u.bytes, kQuotaBytes);
    EXPECT_EQ(u.bytes, settled_bytes.load());
    EXPECT_EQ(u.objects, settles.load());
    EXPECT_EQ(u.reserved, 0u);
    // The last refusal saw more than quota - chunk taken, by settles no larger
    // than their reservations: at least 16 reservations got through.
    EXPECT_GE(settles.load(), kQuotaBytes / kChunkBytes);
    for (int i = 0; i < kBuckets; ++i) {
        UserUsage b = of_bucket(*ledgers[1], buckets[i]);
        EXPECT_EQ(b.bytes, settled_per_bucket[i]) << buckets[i].name;
        EXPECT_EQ(b.reserved, 0u);
    }
}

// Ledgers read in one omap read, and in reads of 2 entries (every ledger
// then takes several, and a change between two is caught by `ver`).
INSTANTIATE_TEST_SUITE_P(PageSizes, ConcurrentSpaceLedgerTest, ::testing::Values(kLedgerPageEntries, 2u));

TEST_F(SpaceLedgerTest, TheReservationsOfAnAdoptedInstanceAreDropped) {
    // The dead gateway's connection is its own: the adopter fences it.
    auto dead_gw = connect_gateway();
    auto dead_lease = RadosLeases::acquire(*dead_gw, {1000ms, ""});
    auto live_lease = RadosLeases::acquire(gw(0), {1000ms, ""});
    ASSERT_OK(dead_lease);
    ASSERT_OK(live_lease);
    const std::string dead_id = (*dead_lease)->instance_id();
    SpaceLedger dead(*dead_gw, dead_id);
    SpaceLedger live(gw(0), (*live_lease)->instance_id());
    const LedgerBucket bucket2{unique("b"), 1};
    ASSERT_OK(dead.reserve(user_, bucket_, 300 * kMiB, kGiB, 0));
    ASSERT_OK(dead.reserve(user_, bucket2, 400 * kMiB, kGiB, 0));
    auto kept = live.reserve(user_, bucket_, 100 * kMiB, kGiB, 0);
    ASSERT_OK(kept);
    EXPECT_FALSE(live.reserve(user_, bucket_, 300 * kMiB, kGiB, 0));
    (*dead_lease)->abandon_for_test();  // the gateway dies with two writes under way

    EXPECT_EQ(live.drop_reservations_of(live_lease.value()->instance_id()).error().code(), Errc::InvalidArgument);
    std::this_thread::sleep_for(1300ms);
    auto adopted = (*live_lease)->adopt_if_dead(dead_id);
    ASSERT_NE(adopted, nullptr);
    ASSERT_OK(live.drop_reservations_of(dead_id));
    ASSERT_OK(live.drop_reservations_of(dead_id));  // idempotent
    adopted.reset();
    EXPECT_USAGE(user_usage(live, user_), 0u, 0u, 100 * kMiB);  // only the live one's
    EXPECT_USAGE(of_bucket(live, bucket_), 0u, 0u, 100 * kMiB);
    EXPECT_USAGE(of_bucket(live, bucket2), 0u, 0u, 0u);
    EXPECT_FALSE(gw(1).stat(Pool::Meta, ledger_pending_oid(dead_id)));
    ASSERT_OK(live.reserve(user_, bucket_, 900 * kMiB, kGiB, 0));  // the freed space
    ASSERT_OK(live.settle(*kept, 100 * kMiB, 1));
}

TEST_F(SpaceLedgerTest, TheSweepAdoptsDeadInstancesFromTheLeasesIndex) {
    auto dead_gw = connect_gateway();  // fenced by the adopter
    auto dead_lease = RadosLeases::acquire(*dead_gw, {1000ms, ""});
    auto live_lease = RadosLeases::acquire(gw(2), {1000ms, ""});
    ASSERT_OK(dead_lease);
    ASSERT_OK(live_lease);
    const std::string dead_id = (*dead_lease)->instance_id();
    SpaceLedger dead(*dead_gw, dead_id);
    SpaceLedger live(gw(2), (*live_lease)->instance_id());
    ASSERT_OK(dead.reserve(user_, bucket_, 300 * kMiB, 0, 0));
    auto swept = live.drop_dead_reservations(**live_lease);
    ASSERT_OK(swept);
    EXPECT_USAGE(user_usage(live, user_), 0u, 0u, 300 * kMiB);  // it is alive
    (*dead_lease)->abandon_for_test();
    std::this_thread::sleep_for(1300ms);
    swept = live.drop_dead_reservations(**live_lease);
    ASSERT_OK(swept);
    EXPECT_GE(*swept, 1u);
    EXPECT_USAGE(user_usage(live, user_), 0u, 0u, 0u);
    EXPECT_USAGE(of_bucket(live, bucket_), 0u, 0u, 0u);
    auto listed = list_leases(gw(0));
    ASSERT_OK(listed);
    for (auto& e : *listed) EXPECT_NE(e.instance, dead_id);
    EXPECT_TRUE(std::any_of(listed->begin(), listed->end(),
                            [&](auto& e) { return e.instance == (*live_lease)->instance_id(); }));
}

TEST(LedgerReservation, RoundTripsThroughAReservationId) {
    LedgerReservation r{"r.0123456789abcdef.0000000000000001", "u1", "my-bucket", 7, 42};
    auto d = decode_reservation_id(encode_reservation_id(r));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->key, r.key);
    EXPECT_EQ(d->user_id, "u1");
    EXPECT_EQ(d->bucket, "my-bucket");
    EXPECT_EQ(d->bucket_epoch, 7u);
    EXPECT_EQ(d->bytes, 42u);
    r.expiry_ms = 1234;
    d = decode_reservation_id(encode_reservation_id(r));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->bucket_epoch, 7u);
    EXPECT_EQ(d->expiry_ms, 1234);
    EXPECT_FALSE(decode_reservation_id("r.x 12 u1"));
    EXPECT_FALSE(decode_reservation_id("r.x 12 u1 b"));  // no epoch: which incarnation?
    EXPECT_FALSE(decode_reservation_id("r.x twelve u1 b"));
    EXPECT_FALSE(decode_reservation_id("x.1 12 u1 b"));  // not a reservation key
}

TEST_F(SpaceLedgerTest, ExpiredReservationsDoNotCountAndGoAtTheNextChange) {
    SpaceLedger short_lived(gw(0), random_hex16(), {500ms});
    // Clocks agreeing to 100 ms: another's entry goes 100 ms past its expiry.
    SpaceLedger other(gw(1), random_hex16(), {kReservationLifetime, kLedgerPageEntries, 100ms});
    auto stale = short_lived.reserve(user_, bucket_, 700 * kMiB, kGiB, 0);
    ASSERT_OK(stale);
    EXPECT_FALSE(other.reserve(user_, bucket_, 700 * kMiB, kGiB, 0));
    std::this_thread::sleep_for(700ms);
    EXPECT_USAGE(user_usage(other, user_), 0u, 0u, 700 * kMiB);  // still listed, not counted
    auto fresh = other.reserve(user_, bucket_, 700 * kMiB, kGiB, 0);
    ASSERT_OK(fresh);
    EXPECT_USAGE(user_usage(other, user_), 0u, 0u, 700 * kMiB);  // the stale one went
    EXPECT_EQ(open_entries(user_ledger_oid(user_)), 1u);
    ASSERT_OK(short_lived.release(*stale));  // already gone: nothing changes
    EXPECT_USAGE(user_usage(other, user_), 0u, 0u, 700 * kMiB);
}

TEST_F(SpaceLedgerTest, AnothersExpiredReservationStaysForTheClockSkewButDoesNotCount) {
    SpaceLedger short_lived(gw(0), random_hex16(), {500ms});
    SpaceLedger other(gw(1), random_hex16());  // kMaxClockSkew
    ASSERT_OK(short_lived.reserve(user_, bucket_, 700 * kMiB, kGiB, 0));
    std::this_thread::sleep_for(700ms);
    ASSERT_OK(other.reserve(user_, bucket_, 700 * kMiB, kGiB, 0));  // the expired one does not count
    EXPECT_USAGE(user_usage(other, user_), 0u, 0u, 700 * kMiB);
    EXPECT_EQ(open_entries(user_ledger_oid(user_)), 2u);  // but its maker's clock may be behind
    // Its maker drops its own at expiry.
    ASSERT_OK(short_lived.apply(user_, bucket_, 0, 0, ""));
    EXPECT_EQ(open_entries(user_ledger_oid(user_)), 1u);
}

TEST_F(SpaceLedgerTest, AZeroByteReservationIsNotRefusedOverQuota) {
    SpaceLedger l(gw(0), random_hex16());
    ASSERT_OK(l.apply(user_, bucket_, static_cast<std::int64_t>(kGiB + 1), 1, ""));  // past the quota already
    EXPECT_FALSE(l.reserve(user_, bucket_, 1, kGiB, 0));
    auto none = l.reserve(user_, bucket_, 0, kGiB, kGiB);
    ASSERT_OK(none);
    ASSERT_OK(l.settle(*none, 0, 1));
}

TEST_F(SpaceLedgerTest, PendingEntriesGoWithTheLastReservationAndCloseDropsTheRest) {
    const std::string id = random_hex16();
    SpaceLedger l(gw(0), id);
    auto pending_entries = [&] {
        auto page = gw(1).omap_list(Pool::Meta, ledger_pending_oid(id), "", "", 1000);
        if (!page) return page.error().code() == kNotFound ? std::size_t{0} : std::size_t{9999};
        return page->entries.size();
    };
    const LedgerBucket bucket2{unique("b"), 1};
    auto a = l.reserve(user_, bucket_, 10, 0, 0);
    auto b = l.reserve(user_, bucket2, 10, 0, 0);
    ASSERT_OK(a);
    ASSERT_OK(b);
    EXPECT_EQ(pending_entries(), 3u);  // the user's ledger, two buckets'
    ASSERT_OK(l.settle(*a, 10, 1));
    EXPECT_EQ(pending_entries(), 2u);
    ASSERT_OK(l.release(*b));
    EXPECT_EQ(pending_entries(), 0u);
    EXPECT_FALSE(l.reserve(user_, bucket_, 2 * kGiB, kGiB, 0));  // refused: named by nothing
    EXPECT_EQ(pending_entries(), 0u);
    ASSERT_OK(l.reserve(user_, bucket_, 20, 0, 0));
    ASSERT_OK(l.reserve(user_, bucket2, 30, 0, 0));
    EXPECT_EQ(pending_entries(), 3u);
    ASSERT_OK(l.close());
    EXPECT_FALSE(gw(1).stat(Pool::Meta, ledger_pending_oid(id)));
    EXPECT_EQ(open_entries(user_ledger_oid(user_)), 0u);
    EXPECT_USAGE(user_usage(l, user_), 10u, 1u, 0u);
    EXPECT_USAGE(of_bucket(l, bucket2), 0u, 0u, 0u);
}

// A failed commit gives its reservation back, and then its writer gives it
// back again: the second end must not take the ledgers out of pending while
// another reservation is open on them (the adopter of a dead gateway would
// then leave that one on the ledgers).
TEST_F(SpaceLedgerTest, AReservationEndedTwiceKeepsTheLedgersOfTheOthersPending) {
    const std::string id = random_hex16();
    SpaceLedger l(gw(0), id);
    auto pending = [&] {
        std::set<std::string> names;
        auto page = gw(1).omap_list(Pool::Meta, ledger_pending_oid(id), "", "", 1000);
        if (page)
            for (auto& [k, v] : page->entries) names.insert(k);
        return names;
    };
    auto ended_twice = l.reserve(user_, bucket_, 10, 0, 0);
    auto open = l.reserve(user_, bucket_, 20, 0, 0);
    ASSERT_OK(ended_twice);
    ASSERT_OK(open);
    const std::set<std::string> both{user_ledger_oid(user_), bucket_ledger_oid(bucket_.name, bucket_.epoch)};
    ASSERT_OK(l.release(*ended_twice));
    ASSERT_OK(l.release(*ended_twice));
    ASSERT_OK(l.settle(*ended_twice, 10, 1));  // a settle after the release changes nothing either
    EXPECT_EQ(pending(), both);

    // The adopter of this instance finds the open one and drops it.
    SpaceLedger adopter(gw(2), random_hex16());
    ASSERT_OK(adopter.drop_reservations_of(id));
    EXPECT_EQ(open_entries(user_ledger_oid(user_)), 0u);
    EXPECT_EQ(open_entries(bucket_ledger_oid(bucket_.name, bucket_.epoch)), 0u);
    EXPECT_TRUE(pending().empty());
}
TEST_F(SpaceLedgerTest, AReserveAfterTheLeaseIsLostFails) {
    // Its own connection: the abandoned lease stays in the index, and a
    // later sweep fences the connection that holds it.
    auto own = connect_gateway();
    auto lease = RadosLeases::acquire(*own, {1000ms, "", 300ms});
    ASSERT_OK(lease);
    SpaceLedger l(*own, (*lease)->instance_id(),
                  {kReservationLifetime, kLedgerPageEntries, kMaxClockSkew, lease->get()});
    ASSERT_OK(l.reserve(user_, bucket_, 10, 0, 0));
    (*lease)->abandon_for_test();
    std::this_thread::sleep_for(1100ms);
    auto late = l.reserve(user_, bucket_, 10, 0, 0);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code(), Errc::IoError);
    EXPECT_EQ(open_entries(user_ledger_oid(user_)), 1u);
}

TEST_F(SpaceLedgerTest, ASweepThatFailsPartWayLeavesTheInstanceForTheNextSweep) {
    auto dead_gw = connect_gateway();  // fenced by the adopter
    auto dead_lease = RadosLeases::acquire(*dead_gw, {1000ms, ""});
    auto live_lease = RadosLeases::acquire(gw(2), {1000ms, ""});
    ASSERT_OK(dead_lease);
    ASSERT_OK(live_lease);
    const std::string dead_id = (*dead_lease)->instance_id();
    SpaceLedger dead(*dead_gw, dead_id);
    SpaceLedger live(gw(2), (*live_lease)->instance_id());
    ASSERT_OK(dead.reserve(user_, bucket_, 300 * kMiB, 0, 0));
    // A ledger name no OSD accepts (longer than osd_max_object_name_len):
    // dropping the reservations there fails.
    const std::string poison(3000, 'x');
    ASSERT_OK(gw(1).apply(Pool::Meta, ledger_pending_oid(dead_id), WriteOp().omap_set(poison, "1")));
    (*dead_lease)->abandon_for_test();
    std::this_thread::sleep_for(1300ms);
    EXPECT_FALSE(live.drop_dead_reservations(**live_lease));
    auto listed = [&] {
        auto all = list_leases(gw(0));
        EXPECT_TRUE(all);
        return all && std::any_of(all->begin(), all->end(), [&](auto& e) { return e.instance == dead_id; });
    };
    EXPECT_TRUE(listed());
    EXPECT_TRUE(gw(0).stat(Pool::Meta, lease_oid(dead_id)));
    EXPECT_TRUE(gw(0).stat(Pool::Meta, ledger_pending_oid(dead_id)));
    // Unlocked: the next sweep adopts it again, and finishes.
    ASSERT_OK(gw(0).apply(Pool::Meta, ledger_pending_oid(dead_id), WriteOp().omap_remove(poison)));
    auto swept = live.drop_dead_reservations(**live_lease);
    ASSERT_OK(swept);
    EXPECT_GE(*swept, 1u);
    EXPECT_FALSE(listed());
    EXPECT_FALSE(gw(0).stat(Pool::Meta, lease_oid(dead_id)));
    EXPECT_USAGE(user_usage(live, user_), 0u, 0u, 0u);
}

// ---- Group commit within one process ----

// A change standing for one caller of a combiner: its delta names it.
LedgerChange numbered(std::int64_t n) {
    LedgerChange c;
    c.delta_bytes = n;
    return c;
}

// Waits (polling: only the test does) until `done` holds; false after 10 s.
template <class F>
bool eventually(F&& done) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// While a batch of an object is in flight, the changes that arrive queue; the
// first of them then leads one batch of them all, on its own thread, and each
// caller gets its own result. Another object's changes do not wait.
TEST(LedgerCombiner, ChangesQueuedDuringAWriteGoTogetherIntoTheNextBatch) {
    constexpr int kFollowers = 15;
    LedgerCombiner combiner;
    std::mutex m;
    std::vector<std::vector<std::int64_t>> batches;  // the deltas of each batch written, in order
    std::map<std::int64_t, std::thread::id> caller_of;
    std::map<std::int64_t, std::thread::id> writer_of_batch_led_by;
    std::atomic<bool> in_flight{false};
    auto write = [&](LedgerCombiner::Batch batch) {
        std::vector<Result<void>> results;
        {
            std::lock_guard lock(m);
            batches.emplace_back();
            for (const LedgerChange* c : batch) batches.back().push_back(c->delta_bytes);
            writer_of_batch_led_by[batch[0]->delta_bytes] = std::this_thread::get_id();
        }
        if (batches.size() == 1) {  // the first write: hold it until every follower queued
            in_flight = true;
            EXPECT_TRUE(eventually([&] { return combiner.queued("a") == kFollowers; }));
        }
        // Odd deltas fail, so that each caller can tell its own result.
        for (const LedgerChange* c : batch)
            results.push_back(c->delta_bytes % 2 ? Result<void>(Error(Errc::IoError, std::to_string(c->delta_bytes)))
                                                 : Result<void>());
        return results;
    };
    auto call = [&](std::int64_t n) {
        {
            std::lock_guard lock(m);
            caller_of[n] = std::this_thread::get_id();
        }
        LedgerChange c = numbered(n);
        Result<void> r = combiner.submit("a", c, write);
        if (n % 2) {
            EXPECT_FALSE(r) << n;
            if (!r) {
                EXPECT_EQ(r.error().message(), std::to_string(n));
            }
        } else {
            EXPECT_TRUE(r) << n;
        }
    };
    std::vector<std::thread> threads;
    threads.emplace_back(call, 0);
    ASSERT_TRUE(eventually([&] { return in_flight.load(); }));
    for (int i = 1; i <= kFollowers; ++i) threads.emplace_back(call, i);
    // Meanwhile, another object: written at once, not queued behind "a".
    int other_writes = 0;
    LedgerChange other = numbered(2);
    ASSERT_TRUE(combiner.submit("b", other, [&](LedgerCombiner::Batch batch) {
        ++other_writes;
        return std::vector<Result<void>>(batch.size());
    }));
    EXPECT_EQ(other_writes, 1);
    for (auto& t : threads) t.join();

    ASSERT_EQ(batches.size(), 2u);
    EXPECT_EQ(batches[0], std::vector<std::int64_t>{0});
    ASSERT_EQ(batches[1].size(), static_cast<std::size_t>(kFollowers));  // all of them, in one batch
    std::vector<std::int64_t> sorted = batches[1];
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < kFollowers; ++i) EXPECT_EQ(sorted[i], i + 1);
    // Each batch was written by the caller whose change comes first in it.
    for (auto& b : batches) EXPECT_EQ(writer_of_batch_led_by[b[0]], caller_of[b[0]]);
    EXPECT_EQ(combiner.batches(), 3u);  // "a" twice, "b" once
    EXPECT_EQ(combiner.changes(), static_cast<std::uint64_t>(kFollowers + 2));
    EXPECT_EQ(combiner.queued("a"), 0u);
}

// A reservation with `key` of `bytes` under `quota_bytes`.
LedgerChange adding(const std::string& key, std::uint64_t bytes, std::uint64_t quota_bytes,
                    const std::string& subject) {
    LedgerChange c;
    c.add.emplace(key, ReservationEntry{bytes, now_ms() + 60'000, "ledger.bucket/x/1", std::nullopt});
    c.quota_bytes = quota_bytes;
    c.quota_subject = subject;
    return c;
}

LedgerState read_state(Client& client, const std::string& oid) {
    LedgerState s;
    auto page = client.omap_list(Pool::Meta, oid, "", "", 1000);
    if (!page) return s;
    s.exists = true;
    for (auto& [k, v] : page->entries) s.omap.emplace(k, v);
    s.ver = s.omap.contains("ver") ? s.omap.at("ver") : "";
    return s;
}

// One batch: the changes in order on what the ones before left, each with
// its own result; a refused reservation refuses only itself.
TEST_F(SpaceLedgerTest, ABatchAppliesItsChangesInOrderEachWithItsOwnResult) {
    const std::string id = random_hex16();
    SpaceLedger l(gw(0), id);
    ASSERT_OK(l.apply(user_, bucket_, static_cast<std::int64_t>(100 * kMiB), 1, ""));
    auto held = l.reserve(user_, bucket_, 200 * kMiB, kGiB, 0);
    ASSERT_OK(held);
    const std::string oid = user_ledger_oid(user_);
    const LedgerState before = read_state(gw(0), oid);
    ASSERT_TRUE(before.exists);
    const std::string prefix = reservations_of_prefix(id);
    const std::string subject = "user " + user_;

    LedgerChange fits = adding(prefix + "a1", 500 * kMiB, kGiB, subject);  // 100 + 200 + 500
    LedgerChange over = adding(prefix + "a2", 300 * kMiB, kGiB, subject);  // 800 + 300 > 1024
    LedgerChange release;                                                  // the 200 go
    release.remove_key = held->key;
    LedgerChange fits_now = adding(prefix + "a3", 300 * kMiB, kGiB, subject);  // 100 + 500 + 300
    LedgerChange settle;
    settle.delta_bytes = static_cast<std::int64_t>(50 * kMiB);
    settle.delta_objects = 1;
    LedgerChange over_again = adding(prefix + "a4", 100 * kMiB, kGiB, subject);  // 150 + 800 + 100 > 1024
    LedgerChange nothing = adding(prefix + "a5", 0, kGiB, subject);              // 0 bytes: never refused
    LedgerChange gone;                                                           // nothing to end
    gone.remove_key = prefix + "never";
    std::vector<const LedgerChange*> batch{&fits, &over, &release, &fits_now, &settle, &over_again, &nothing, &gone};
    LedgerExpiry expiry{now_ms(), prefix, 60'000};
    LedgerBatchPlan plan = plan_ledger_batch(oid, before, batch, expiry);
    ASSERT_EQ(plan.results.size(), batch.size());
    const std::vector<bool> expected{true, false, true, true, true, false, true, true};
    for (std::size_t i = 0; i < batch.size(); ++i) EXPECT_EQ(static_cast<bool>(plan.results[i]), expected[i]) << i;
    EXPECT_EQ(plan.results[1].error().code(), Errc::QuotaExceeded);
    EXPECT_EQ(plan.results[1].error().message(), "the write would take user " + user_ + " past its quota of 1 GiB");
    ASSERT_TRUE(plan.write);
    ASSERT_OK(gw(0).apply(Pool::Meta, oid, *plan.write));
    EXPECT_USAGE(user_usage(l, user_), 150 * kMiB, 2u, 800 * kMiB);
    EXPECT_EQ(open_entries(oid), 3u);  // a1, a3, a5
    const LedgerState after = read_state(gw(0), oid);
    EXPECT_EQ(after.ver, std::to_string(std::stoull(before.ver) + 1));  // one write, one bump
    EXPECT_FALSE(after.omap.contains(held->key));
    // The plan was guarded on the ver it read: applying it again fails.
    EXPECT_EQ(gw(0).apply(Pool::Meta, oid, *plan.write).error().code(), kCompareFailed);

    // A batch that changes nothing writes nothing, refusals included.
    LedgerChange huge = adding(prefix + "a6", 2 * kGiB, kGiB, subject);
    std::vector<const LedgerChange*> idle{&huge, &gone};
    LedgerBatchPlan none = plan_ledger_batch(oid, after, idle, expiry);
    EXPECT_FALSE(none.write);
    ASSERT_EQ(none.results.size(), 2u);
    EXPECT_EQ(none.results[0].error().code(), Errc::QuotaExceeded);
    EXPECT_TRUE(none.results[1]);
}

// A bucket's size history follows each change of a batch in order (a sum of
// the deltas would neither clamp the same nor see the peak).
TEST_F(SpaceLedgerTest, ABatchChangesTheSizeHistoryChangeByChange) {
    SpaceLedger l(gw(0), random_hex16());
    const std::string oid = bucket_ledger_oid(bucket_.name, bucket_.epoch);
    LedgerChange up, down, again;
    up.delta_bytes = 100;
    up.delta_objects = 2;
    down.delta_bytes = -300;  // past zero: clamped to -100
    down.delta_objects = -5;
    again.delta_bytes = 40;
    again.delta_objects = 1;
    std::vector<const LedgerChange*> batch{&up, &down, &again};
    LedgerBatchPlan plan = plan_ledger_batch(oid, LedgerState{}, batch, LedgerExpiry{now_ms(), "r.x.", 0});
    ASSERT_TRUE(plan.write);
    for (auto& r : plan.results) EXPECT_TRUE(r);
    ASSERT_OK(gw(0).apply(Pool::Meta, oid, *plan.write));  // creates the ledger
    Bucket b;
    b.name = bucket_.name;
    b.epoch = bucket_.epoch;
    ASSERT_OK(l.fill_bucket_counts(b));
    EXPECT_EQ(b.bytes, 40u);
    EXPECT_EQ(b.objects, 1u);
    EXPECT_EQ(b.size.current, 40u);
    EXPECT_EQ(b.size.hmax, 100u);
}

// A bucket's lock summary: a ledger written before it (no lock keys) reads
// as no lock; the date is raised, never lowered; the holds move by their
// deltas in any order, read clamped at zero; a change that moves nothing writes nothing; a
// recount's set_lock raises the date and sets the holds.
TEST_F(SpaceLedgerTest, TheLockSummaryRaisesItsDateAndCountsItsHolds) {
    SpaceLedger l(gw(0), random_hex16());
    const std::string oid = bucket_ledger_oid(bucket_.name, bucket_.epoch);
    Bucket b;
    b.name = bucket_.name;
    b.epoch = bucket_.epoch;
    b.object_lock.enabled = true;
    auto summary = [&] {
        EXPECT_TRUE(l.fill_bucket_counts(b));
        return std::make_pair(b.locked_until_ms, b.legal_holds);
    };
    using Summary = std::pair<TimestampMs, std::uint64_t>;
    const LedgerExpiry expiry{now_ms(), "r.x.", 0};
    // An older engine's ledger: counts, no lock keys.
    ASSERT_OK(gw(0).apply(Pool::Meta, oid, WriteOp().omap_set({{"bytes", "5"}, {"objects", "1"}, {"ver", "1"}})));
    EXPECT_EQ(summary(), (Summary{0, 0}));
    // Read by a lock bucket, it is queued for the recount that writes it.
    auto queued = gw(0).omap_get(Pool::Meta, std::string(kRecountQueueOid), {recount_key(b.name, b.epoch)});
    ASSERT_OK(queued);
    EXPECT_EQ(queued->size(), 1u);
    auto state = [&] { return read_state(gw(0), oid); };
    // The batch planned on the ledger as it reads now, and its write (which
    // it must have) applied.
    auto apply_batch = [&](const std::string& ledger_oid, const std::vector<const LedgerChange*>& changes) {
        const LedgerBatchPlan plan = plan_ledger_batch(ledger_oid, read_state(gw(0), ledger_oid), changes, expiry);
        ASSERT_TRUE(plan.write);
        ASSERT_OK(gw(0).apply(Pool::Meta, ledger_oid, *plan.write));
    };
    LedgerChange later, earlier, hold, hold2, release;
    later.lock_until_ms = 5000;
    earlier.lock_until_ms = 3000;
    hold.lock_holds_delta = 1;
    hold2.lock_holds_delta = 1;
    release.lock_holds_delta = -1;
    std::vector<const LedgerChange*> batch{&later, &earlier, &hold, &hold2, &release};
    // Moves of an older ledger are not made: written from nothing, its
    // summary would read short of the versions, and no read would queue the
    // recount again. Its recount writes it first. They change the version
    // only (a recount that read the ledger before them scans again).
    const std::string version_before = state().ver;
    ASSERT_NO_FATAL_FAILURE(apply_batch(oid, batch));
    EXPECT_FALSE(state().omap.contains(std::string(kLedgerLockHoldsKey)));
    EXPECT_FALSE(state().omap.contains(std::string(kLedgerLockUntilKey)));
    EXPECT_NE(state().ver, version_before);
    LedgerChange first_recount;
    first_recount.set_lock = std::make_pair(TimestampMs{0}, std::uint64_t{0});
    std::vector<const LedgerChange*> first_fill{&first_recount};
    ASSERT_NO_FATAL_FAILURE(apply_batch(oid, first_fill));
    ASSERT_NO_FATAL_FAILURE(apply_batch(oid, batch));
    EXPECT_EQ(summary(), (Summary{5000, 1}));
    EXPECT_EQ(b.bytes, 5u);  // the counts untouched

    // Nothing moves: no write.
    std::vector<const LedgerChange*> idle{&earlier};
    EXPECT_FALSE(plan_ledger_batch(oid, state(), idle, expiry).write);
    // Out of order (two gateways: a hold's release lands before the hold):
    // stored below zero, read as none, and the hold landing after cancels
    // it, as in order.
    LedgerChange released_first, release2;
    released_first.lock_holds_delta = -1;
    release2.lock_holds_delta = -1;
    std::vector<const LedgerChange*> down{&release2, &released_first};
    ASSERT_NO_FATAL_FAILURE(apply_batch(oid, down));
    EXPECT_EQ(summary(), (Summary{5000, 0}));
    EXPECT_EQ(value_of(state().omap, kLedgerLockHoldsKey), "-1");
    std::vector<const LedgerChange*> late_hold{&hold};
    ASSERT_NO_FATAL_FAILURE(apply_batch(oid, late_hold));
    EXPECT_EQ(summary(), (Summary{5000, 0}));  // nothing held (clamped at zero it would read 1, for good)

    LedgerChange recounted;
    recounted.set_lock = std::make_pair(TimestampMs{4000}, std::uint64_t{2});
    std::vector<const LedgerChange*> set{&recounted};
    ASSERT_NO_FATAL_FAILURE(apply_batch(oid, set));
    EXPECT_EQ(summary(), (Summary{5000, 2}));

    // A recount's set_lock writes the summary where there is none, even
    // 0/0 (else the ledger would be queued again for its lack).
    const LedgerBucket old_one{unique("old"), 1};
    const std::string old_oid = bucket_ledger_oid(old_one.name, old_one.epoch);
    ASSERT_OK(gw(0).apply(Pool::Meta, old_oid, WriteOp().omap_set({{"bytes", "0"}, {"objects", "0"}, {"ver", "1"}})));
    auto old_state = [&] { return read_state(gw(0), old_oid); };
    LedgerChange nothing_held;
    nothing_held.set_lock = std::make_pair(TimestampMs{0}, std::uint64_t{0});
    std::vector<const LedgerChange*> fill{&nothing_held};
    ASSERT_NO_FATAL_FAILURE(apply_batch(old_oid, fill));
    EXPECT_EQ(value_of(old_state().omap, kLedgerLockHoldsKey), "0");
    EXPECT_EQ(value_of(old_state().omap, kLedgerLockUntilKey), "0");
    EXPECT_FALSE(plan_ledger_batch(old_oid, old_state(), fill, expiry).write);  // then: nothing to write
    // A ledger made now has it from its first write.
    const LedgerBucket fresh{unique("new"), 1};
    ASSERT_OK(l.apply(user_, fresh, 3, 1, l.new_token()));
    auto fresh_omap = read_whole_omap(gw(0), Pool::Meta, bucket_ledger_oid(fresh.name, fresh.epoch));
    ASSERT_OK(fresh_omap);
    EXPECT_EQ(value_of(*fresh_omap, kLedgerLockHoldsKey), "0");

    // A lock change finding no ledger (a bucket deleted meanwhile, or one no
    // commit has settled on yet, from another gateway) makes none: it queues
    // the bucket's recount, which makes it for a live bucket (with that
    // hold counted from the versions) and drops a gone one's entry.
    const LedgerBucket gone{unique("gone"), 1};
    ASSERT_OK(l.change_lock_summary(gone, {9000, 1}, ledger_change_deadline()));
    EXPECT_FALSE(gw(0).stat(Pool::Meta, bucket_ledger_oid(gone.name, gone.epoch)));
    auto gone_queued = gw(0).omap_get(Pool::Meta, std::string(kRecountQueueOid), {recount_key(gone.name, gone.epoch)});
    ASSERT_OK(gone_queued);
    EXPECT_EQ(gone_queued->size(), 1u);

    // Through the ledger: a date and a hold, then the hold released.
    ASSERT_OK(l.change_lock_summary(bucket_, {9000, 1}, ledger_change_deadline()));
    ASSERT_OK(l.change_lock_summary(bucket_, {0, -1}, ledger_change_deadline()));
    EXPECT_EQ(summary(), (Summary{9000, 2}));
    // Past its deadline (its index write too long ago for the recount to
    // wait for it) a change is not made: the recount counts that version.
    auto late = l.change_lock_summary(bucket_, {9500, 1}, BootClock::now() - std::chrono::seconds(1));
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code(), Errc::PreconditionFailed);
    EXPECT_EQ(summary(), (Summary{9000, 2}));

    // A commit's change carries the lock with its counts, in one write of
    // each ledger: the bucket's summary moves, the user's ledger gets none.
    auto r = l.reserve(user_, bucket_, 10, 0, 0);
    ASSERT_OK(r);
    ASSERT_OK(l.settle(*r, 10, 1, std::nullopt, ledger_change_deadline(), {9800, 1}));
    EXPECT_EQ(summary(), (Summary{9800, 3}));
    EXPECT_EQ(b.bytes, 15u);
    auto user_omap = read_whole_omap(gw(0), Pool::Meta, user_ledger_oid(user_));
    ASSERT_OK(user_omap);
    EXPECT_FALSE(user_omap->contains(std::string(kLedgerLockUntilKey)));
    EXPECT_FALSE(user_omap->contains(std::string(kLedgerLockHoldsKey)));
    // Made again (an unknown outcome): its marker counts it once.
    ASSERT_OK(l.settle(*r, 10, 1, std::nullopt, ledger_change_deadline(), {9800, 1}));
    EXPECT_EQ(summary(), (Summary{9800, 3}));
}

// A connection of its own that counts the writes applied to `oids` (the
// fault hook is called after each applied write); `hold` runs there first,
// on the writer's thread, and `fail_write` is failed there.
struct CountingGateway {
    explicit CountingGateway(const std::set<std::string>& oids) : client(cluster_test::connect_gateway()) {
        for (auto& oid : oids) writes[oid] = 0;
        client->set_applied_fault_for_tests([this](Pool, const std::string& oid, const WriteOp&) {
            auto counted = writes.find(oid);  // find: no change of the map (threads call this at once)
            if (counted == writes.end()) return false;
            int nth = counted->second++;
            if (hold) hold(oid, nth);
            return fail_write == nth && (fail_on.empty() || fail_on == oid);
        });
    }
    std::unique_ptr<Client> client;
    // Set before the client is used.
    std::function<void(const std::string& oid, int nth)> hold;
    int fail_write = -1;  // this write (0: the first) of one of `oids` fails after it applied, as a timeout
    std::string fail_on;  // "" any of `oids`; else only this one's
    std::map<std::string, std::atomic<int>> writes;
};

// A reserve whose ledger write lands but answers a timeout fails, and leaves
// nothing on the ledgers: it takes the reservation back off the ledger the
// write may have reached (rather than only forgetting it in pending, which
// would leave it there for no adopter to find).
TEST_F(SpaceLedgerTest, AReserveThatLandedButTimedOutLeavesNothingOnTheLedgers) {
    for (const bool on_bucket : {false, true}) {
        SCOPED_TRACE(on_bucket ? "the bucket's write" : "the user's write");
        const std::string user = unique("u");
        const LedgerBucket bucket{unique("b"), 1};
        const std::string user_oid = user_ledger_oid(user);
        const std::string bucket_oid = bucket_ledger_oid(bucket.name, bucket.epoch);
        CountingGateway gateway({user_oid, bucket_oid});
        gateway.fail_on = on_bucket ? bucket_oid : user_oid;
        gateway.fail_write = 0;  // the reserve's own write of that ledger
        const std::string id = random_hex16();
        SpaceLedger l(*gateway.client, id);
        auto r = l.reserve(user, bucket, 10, 0, 0);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code(), Errc::IoError);
        EXPECT_EQ(open_entries(user_oid), 0u);
        EXPECT_EQ(open_entries(bucket_oid), 0u);
        EXPECT_USAGE(user_usage(l, user), 0u, 0u, 0u);
        // Gone from both: pending names neither any more.
        auto page = gw(1).omap_list(Pool::Meta, ledger_pending_oid(id), "", "", 1000);
        EXPECT_TRUE(!page || page->entries.empty());
    }
}

// 64 threads of one gateway reserve, settle and delete on one user and one
// bucket: every change lands exactly, and they share writes.
TEST_F(SpaceLedgerTest, SixtyFourThreadsOfOneGatewayShareTheLedgersWrites) {
    constexpr int kThreads = 64;
    constexpr int kRounds = 8;
    constexpr std::int64_t kBody = 4096;
    const std::string user_oid = user_ledger_oid(user_);
    const std::string bucket_oid = bucket_ledger_oid(bucket_.name, bucket_.epoch);
    CountingGateway gateway({user_oid, bucket_oid});
    SpaceLedger l(*gateway.client, random_hex16());
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kRounds; ++i) {
                auto r = l.reserve(user_, bucket_, kBody, 100 * kGiB, 100 * kGiB);
                auto s = r ? l.settle(*r, kBody, 1) : Result<void>(r.error());
                if (!s) {
                    ADD_FAILURE() << s.error().message();
                    ++failures;
                    return;
                }
            }
            if (auto d = l.apply(user_, bucket_, -kBody, -1, ""); !d) {  // one delete each
                ADD_FAILURE() << d.error().message();
                ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failures.load(), 0);
    constexpr std::uint64_t kStored = kThreads * (kRounds - 1);
    EXPECT_USAGE(user_usage(l, user_), kStored * kBody, kStored, 0u);
    EXPECT_USAGE(of_bucket(l, bucket_), kStored * kBody, kStored, 0u);
    EXPECT_EQ(open_entries(user_oid), 0u);
    EXPECT_EQ(open_entries(bucket_oid), 0u);

    // Per round a reservation and a settle on each ledger, then a delete.
    constexpr int kChangesPerLedger = kThreads * (2 * kRounds + 1);
    EXPECT_EQ(l.changes_batched(), 2u * kChangesPerLedger);
    const int user_writes = gateway.writes.at(user_oid);
    const int bucket_writes = gateway.writes.at(bucket_oid);
    std::printf("%d changes per ledger: %d writes of the user's ledger, %d of the bucket's (%llu batches)\n",
                kChangesPerLedger, user_writes, bucket_writes, static_cast<unsigned long long>(l.batches_written()));
    // One write per change without batches; with them, a write holds ~ the
    // changes that arrived during the one before.
    EXPECT_LE(user_writes, kChangesPerLedger / 4);
    EXPECT_LE(bucket_writes, kChangesPerLedger / 4);
}

// 64 reserves at once against a user quota that fits 16: the first write
// holds one, and is held until the 63 others queued, so that the next batch
// holds all of them: exactly 15 more fit, the others are refused, each with
// its own QuotaExceeded, in the same write.
TEST_F(SpaceLedgerTest, ConcurrentReservesPastTheQuotaAreRefusedWithinOneBatch) {
    constexpr int kThreads = 64;
    constexpr std::uint64_t kChunk = 64 * kMiB;  // 16 in 1 GiB
    const std::string user_oid = user_ledger_oid(user_);
    CountingGateway gateway({user_oid});
    SpaceLedger* ledger = nullptr;
    std::atomic<bool> all_queued{false};
    gateway.hold = [&](const std::string& oid, int nth) {
        if (nth == 0) all_queued = eventually([&] { return ledger->queued_changes(oid) == kThreads - 1; });
    };
    SpaceLedger l(*gateway.client, random_hex16());
    ledger = &l;
    std::mutex m;
    std::vector<LedgerReservation> taken;
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            auto r = l.reserve(user_, bucket_, kChunk, kGiB, 0);
            if (r) {
                std::lock_guard lock(m);
                taken.push_back(*r);
            } else if (r.error().code() == Errc::QuotaExceeded) {
                EXPECT_EQ(r.error().message(), "the write would take user " + user_ + " past its quota of 1 GiB");
                ++refused;
            } else {
                ADD_FAILURE() << r.error().message();
            }
        });
    }
    for (auto& t : threads) t.join();
    ASSERT_TRUE(all_queued.load());
    EXPECT_EQ(taken.size(), kGiB / kChunk);
    EXPECT_EQ(refused.load(), static_cast<int>(kThreads - kGiB / kChunk));
    EXPECT_EQ(gateway.writes.at(user_oid).load(), 2);  // the first alone, then the 63 together
    EXPECT_USAGE(user_usage(l, user_), 0u, 0u, kGiB);
    EXPECT_USAGE(of_bucket(l, bucket_), 0u, 0u, kGiB);
    EXPECT_EQ(open_entries(user_oid), kGiB / kChunk);
    for (auto& r : taken) ASSERT_OK(l.release(r));
    EXPECT_USAGE(user_usage(l, user_), 0u, 0u, 0u);
    EXPECT_EQ(open_entries(user_oid), 0u);
}

// A batch's write that fails after it applied (a timeout): every member gets
// the IoError, and none made its next change (apply's bucket delta), as a
// caller alone would not after a failure it must not repeat.
TEST_F(SpaceLedgerTest, AFailedBatchWriteIsEveryMembersResult) {
    constexpr int kThreads = 8;
    const std::string user_oid = user_ledger_oid(user_);
    CountingGateway gateway({user_oid});
    SpaceLedger* ledger = nullptr;
    std::atomic<bool> all_queued{false};
    gateway.hold = [&](const std::string& oid, int nth) {
        if (nth == 0) all_queued = eventually([&] { return ledger->queued_changes(oid) == kThreads - 1; });
    };
    gateway.fail_write = 1;  // the batch of the 7 that queued
    SpaceLedger l(*gateway.client, random_hex16());
    ledger = &l;
    std::atomic<int> ok{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            auto r = l.apply(user_, bucket_, 10, 1, "");
            if (r) {
                ++ok;
            } else {
                EXPECT_EQ(r.error().code(), Errc::IoError);
                EXPECT_NE(r.error().message().find("injected"), std::string_view::npos) << r.error().message();
                ++failed;
            }
        });
    }
    for (auto& t : threads) t.join();
    ASSERT_TRUE(all_queued.load());
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(failed.load(), kThreads - 1);
    EXPECT_EQ(gateway.writes.at(user_oid).load(), 2);
    EXPECT_USAGE(user_usage(l, user_), 10u * kThreads, std::uint64_t{kThreads}, 0u);  // it did land
    EXPECT_USAGE(of_bucket(l, bucket_), 10u, 1u, 0u);                                 // the first's only
}

// A settle or an apply whose write landed but failed (a timeout after the
// OSD applied it) is made again, by the ledger itself and by a caller that
// retries: each counts once on both ledgers, also when its marker lies past
// the ledger's first page of entries (pages of 2: several reads; of 7: the
// counts in one read, the markers after it).
TEST_F(SpaceLedgerTest, ASettleOrApplyMadeAgainAfterAnUnknownOutcomeCountsOnce) {
    for (std::uint32_t page : {kLedgerPageEntries, 2u, 7u}) {
        SCOPED_TRACE(page);
        const std::string user = unique("u");
        const LedgerBucket bucket{unique("b"), 1};
        const std::string user_oid = user_ledger_oid(user);
        CountingGateway gateway({user_oid});
        SpaceLedger l(*gateway.client, random_hex16(), SpaceLedger::Options{kReservationLifetime, page});
        std::vector<LedgerReservation> earlier;  // their markers sort first
        for (int i = 0; i < 4; ++i) {
            auto r = l.reserve(user, bucket, 10, 0, 0);
            ASSERT_OK(r);
            ASSERT_OK(l.settle(*r, 10, 1));
            earlier.push_back(*r);
        }
        ASSERT_EQ(gateway.writes.at(user_oid).load(), 8);  // one per reserve and per settle
        auto r = l.reserve(user, bucket, 100, 0, 0);
        ASSERT_OK(r);
        gateway.fail_write = 9;  // the settle's change of the user's ledger: lands, then fails
        auto s = l.settle(*r, 100, 1);
        if (!s) s = l.settle(*r, 100, 1);  // as a caller that retries
        ASSERT_OK(s);
        EXPECT_EQ(gateway.writes.at(user_oid).load(), 10);  // made again, found its marker, wrote nothing
        EXPECT_USAGE(user_usage(l, user), 140u, 5u, 0u);
        EXPECT_USAGE(of_bucket(l, bucket), 140u, 5u, 0u);
        // Made again after a success: nothing either.
        ASSERT_OK(l.settle(earlier.front(), 10, 1));
        ASSERT_OK(l.settle(*r, 100, 1));
        EXPECT_USAGE(user_usage(l, user), 140u, 5u, 0u);
        EXPECT_USAGE(of_bucket(l, bucket), 140u, 5u, 0u);

        const std::string token = l.new_token();
        gateway.fail_write = 10;
        auto a = l.apply(user, bucket, -100, -1, token);
        if (!a) a = l.apply(user, bucket, -100, -1, token);
        ASSERT_OK(a);
        ASSERT_OK(l.apply(user, bucket, -100, -1, token));
        EXPECT_EQ(gateway.writes.at(user_oid).load(), 11);
        EXPECT_USAGE(user_usage(l, user), 40u, 4u, 0u);
        EXPECT_USAGE(of_bucket(l, bucket), 40u, 4u, 0u);
        // A change without a token is not made again: the caller is told.
        gateway.fail_write = 11;
        auto once = l.apply(user, bucket, 1, 0, "");
        ASSERT_FALSE(once);
        EXPECT_EQ(once.error().code(), Errc::IoError);
        EXPECT_USAGE(user_usage(l, user), 41u, 4u, 0u);
    }
}

// The plan: a change whose marker the ledger holds, or an earlier change of
// the batch wrote, changes nothing; stale markers go only with a batch that
// writes anyway.
TEST(LedgerBatchPlan, SettledMarkersMakeAChangeCountOnce) {
    const std::int64_t now = 10'000'000;
    LedgerState state;
    state.exists = true;
    state.ver = "3";
    state.omap = {{"bytes", "100"},
                  {"objects", "1"},
                  {"ver", "3"},
                  {settled_key("old"), std::to_string(now - 2000)},
                  {settled_key("young"), std::to_string(now - 10)}};
    const LedgerExpiry expiry{now, "r.x.", 0, 1000};
    LedgerChange again;  // made already: its marker is there
    again.delta_bytes = 50;
    again.token = "young";
    std::vector<const LedgerChange*> batch{&again};
    LedgerBatchPlan nothing = plan_ledger_batch("ledger.user.u", state, batch, expiry);
    ASSERT_EQ(nothing.results.size(), 1u);
    EXPECT_TRUE(nothing.results[0]);
    EXPECT_FALSE(nothing.write);  // and the stale marker is not worth a write of its own

    LedgerChange first;
    first.delta_bytes = 7;
    first.delta_objects = 1;
    first.token = "t1";
    LedgerChange twice = first;  // the same change queued again
    batch = {&first, &twice, &again};
    LedgerBatchPlan plan = plan_ledger_batch("ledger.user.u", state, batch, expiry);
    ASSERT_EQ(plan.results.size(), 3u);
    for (auto& r : plan.results) EXPECT_TRUE(r);
    ASSERT_TRUE(plan.write);
    const std::string oid = "ledger.user." + random_hex16();
    auto client = cluster_test::connect_gateway();
    WriteOp seed;
    seed.create_exclusive().omap_set(state.omap);
    ASSERT_OK(client->apply(Pool::Meta, oid, seed));
    ASSERT_OK(client->apply(Pool::Meta, oid, *plan.write));
    auto got = client->omap_list(Pool::Meta, oid, "", "", 100);
    ASSERT_OK(got);
    std::map<std::string, std::string> omap(got->entries.begin(), got->entries.end());
    EXPECT_EQ(omap["bytes"], "107");
    EXPECT_EQ(omap["objects"], "2");
    EXPECT_FALSE(omap.contains(settled_key("old")));
    EXPECT_TRUE(omap.contains(settled_key("young")));
    EXPECT_EQ(omap[settled_key("t1")], std::to_string(now));
    EXPECT_TRUE(omap.contains(settled_age_key(now, "t1")));
}

// Stale markers are found by their age keys (the oldest are read with every
// change, the markers themselves only by key): a stale age key goes with its
// marker, read or not; a young one stays.
TEST(LedgerBatchPlan, StaleMarkersGoByTheirAgeKeys) {
    const std::int64_t now = 10'000'000;
    LedgerState state;
    state.exists = true;
    state.ver = "1";
    state.omap = {{"bytes", "1"},
                  {"ver", "1"},
                  {settled_age_key(now - 2000, "aged"), ""},
                  {settled_age_key(now - 10, "fresh"), ""},
                  {"!t.nothex", ""}};
    LedgerChange c;
    c.delta_bytes = 1;
    c.token = "new";
    std::vector<const LedgerChange*> batch{&c};
    LedgerBatchPlan plan = plan_ledger_batch("ledger.user.u", state, batch, LedgerExpiry{now, "r.x.", 0, 1000});
    ASSERT_TRUE(plan.write);
    const std::string oid = "ledger.user." + random_hex16();
    auto client = cluster_test::connect_gateway();
    WriteOp seed;
    auto stored = state.omap;
    stored[settled_key("aged")] = std::to_string(now - 2000);  // not read: only its age key was
    stored[settled_key("fresh")] = std::to_string(now - 10);
    seed.create_exclusive().omap_set(stored);
    ASSERT_OK(client->apply(Pool::Meta, oid, seed));
    ASSERT_OK(client->apply(Pool::Meta, oid, *plan.write));
    auto got = client->omap_list(Pool::Meta, oid, "", "", 100);
    ASSERT_OK(got);
    std::map<std::string, std::string> omap(got->entries.begin(), got->entries.end());
    EXPECT_FALSE(omap.contains(settled_key("aged")));
    EXPECT_FALSE(omap.contains(settled_age_key(now - 2000, "aged")));
    EXPECT_FALSE(omap.contains("!t.nothex"));
    EXPECT_TRUE(omap.contains(settled_key("fresh")));
    EXPECT_TRUE(omap.contains(settled_age_key(now - 10, "fresh")));
    EXPECT_TRUE(omap.contains(settled_key("new")));
    EXPECT_EQ(omap["bytes"], "2");
}

// An adopter's settle (only_if_held) of a reservation a `replaced` change
// settled meanwhile changes nothing: a stalled adopter never counts the
// commit twice, even once the settled marker has expired.
// A settle made again after an unknown outcome, past its deadline: when the
// first attempt landed (its marker is there) it succeeds, so that its writer
// goes on to the other ledger; one that never landed is refused.
TEST(LedgerBatchPlan, AChangeMadeAlreadySucceedsPastItsDeadline) {
    const std::int64_t now = 10'000'000;
    LedgerState state;
    state.exists = true;
    state.ver = "3";
    state.omap = {{"bytes", "100"}, {"objects", "1"}, {"ver", "3"}, {settled_key("landed"), std::to_string(now - 10)}};
    const auto boot_now = BootClock::now();
    const LedgerExpiry expiry{now, "r.x.", 0, 60'000, boot_now};
    LedgerChange landed;
    landed.delta_bytes = 50;
    landed.token = "landed";
    landed.deadline = boot_now - 1s;
    LedgerChange never;
    never.delta_bytes = 70;
    never.token = "never";
    never.deadline = boot_now - 1s;
    std::vector<const LedgerChange*> batch{&landed, &never};
    LedgerBatchPlan plan = plan_ledger_batch("ledger.user.u", state, batch, expiry);
    ASSERT_EQ(plan.results.size(), 2u);
    EXPECT_TRUE(plan.results[0]);
    ASSERT_FALSE(plan.results[1]);
    EXPECT_EQ(plan.results[1].error().code(), Errc::PreconditionFailed);
    EXPECT_FALSE(plan.write);  // neither changes anything
}

TEST(LedgerBatchPlan, AnAdoptersSettleOfAReservationGoneChangesNothing) {
    const std::int64_t now = 10'000'000;
    LedgerState state;
    state.exists = true;
    state.ver = "2";
    state.omap = {{"bytes", "100"}, {"objects", "1"}, {"ver", "2"}};
    LedgerChange settle;
    settle.remove_key = "r.dead.1";
    settle.delta_bytes = 5000;
    settle.delta_objects = 1;
    settle.token = "r.dead.1";
    settle.only_if_held = true;
    std::vector<const LedgerChange*> batch{&settle};
    LedgerBatchPlan plan = plan_ledger_batch("ledger.user.u", state, batch, LedgerExpiry{now, "r.x.", 0, 1000});
    ASSERT_EQ(plan.results.size(), 1u);
    EXPECT_TRUE(plan.results[0]);
    EXPECT_FALSE(plan.write);
    // Held: settled as any settle.
    state.omap["r.dead.1"] =
        encode_reservation(ReservationEntry{5000, now + 60'000, "ledger.bucket/b/1", CommitMark{0x77, "k"}});
    plan = plan_ledger_batch("ledger.user.u", state, batch, LedgerExpiry{now, "r.x.", 0, 1000});
    EXPECT_TRUE(plan.write);
}

// A DELETE (or overwrite) of a dead writer's object whose ledger change comes
// after the adopter released the dead write's reservation (its lookup ran
// once the record was gone): the release leaves an unsettled marker, and the
// change counts the removed commit's charge before its own, once. In the
// other order the change settles the open reservation and the release finds
// nothing; in one batch as well.
TEST(LedgerBatchPlan, AReplacedChangeAfterTheAdoptersReleaseCountsTheDeadCommit) {
    const std::int64_t now = 10'000'000;
    const std::uint64_t token = 0x1234;
    const LedgerExpiry expiry{now, "r.live.", 0, 600'000};
    std::map<std::string, std::string> seed = {
        {"bytes", "100"},
        {"objects", "1"},
        {"reserved", "5000"},
        {"ver", "1"},
        {"r.dead.1",
         encode_reservation(ReservationEntry{5000, now + 60'000, "ledger.bucket/b/1", CommitMark{token, "gone"}})}};
    LedgerChange release;
    release.remove_prefix = "r.dead.";
    release.note_unsettled = true;
    LedgerChange remove;  // the DELETE's: -its size, -1, after the dead commit's charge
    remove.delta_bytes = -5000;
    remove.delta_objects = -1;
    remove.token = "a.live.1";
    remove.replaced = CommitCharge{token, 5000, 1};
    auto client = connect_gateway();
    // Applies the batches in turn to a ledger seeded with `seed`: its omap after.
    auto run = [&](std::vector<std::vector<const LedgerChange*>> batches) {
        const std::string oid = "ledger.user." + random_hex16();
        WriteOp w;
        w.create_exclusive().omap_set(seed);
        EXPECT_TRUE(client->apply(Pool::Meta, oid, w));
        for (auto& batch : batches) {
            auto got = client->omap_list(Pool::Meta, oid, "", "", 100);
            EXPECT_TRUE(got);
            LedgerState state{true, std::map<std::string, std::string>(got->entries.begin(), got->entries.end()), ""};
            state.ver = state.omap["ver"];
            LedgerBatchPlan plan = plan_ledger_batch(oid, state, batch, expiry);
            for (auto& r : plan.results) EXPECT_TRUE(r);
            if (plan.write) {
                EXPECT_TRUE(client->apply(Pool::Meta, oid, *plan.write));
            }
        }
        auto got = client->omap_list(Pool::Meta, oid, "", "", 100);
        EXPECT_TRUE(got);
        return std::map<std::string, std::string>(got->entries.begin(), got->entries.end());
    };
    const std::string unsettled = settled_key(unsettled_token(token));
    for (auto omap : {run({{&release}, {&remove}}), run({{&remove}, {&release}}), run({{&release, &remove}})}) {
        EXPECT_EQ(omap["bytes"], "100");
        EXPECT_EQ(omap["objects"], "1");
        EXPECT_EQ(omap["reserved"], "0");
        EXPECT_FALSE(omap.contains("r.dead.1"));
        for (auto& [k, _] : omap) EXPECT_FALSE(k.ends_with(unsettled_token(token))) << "used, it goes: " << k;
    }
    // Released, and no change names it: the marker waits (for its lifetime).
    auto alone = run({{&release}});
    EXPECT_EQ(alone[unsettled], std::to_string(now));
    EXPECT_TRUE(alone.contains(settled_age_key(now, unsettled_token(token))));
    EXPECT_EQ(alone["bytes"], "100");
}

// Applies each batch in turn to `omap` in memory (the plan, then what its
// write does, guards not checked), every change succeeding: the omap after.
std::map<std::string, std::string> planned(const std::string& oid, std::map<std::string, std::string> omap,
                                           const std::vector<std::vector<const LedgerChange*>>& batches,
                                           const LedgerExpiry& expiry) {
    for (const auto& batch : batches) {
        LedgerState state{!omap.empty(), omap, value_of(omap, kLedgerVersionKey)};
        LedgerBatchPlan plan = plan_ledger_batch(oid, state, batch, expiry);
        for (auto& r : plan.results) EXPECT_TRUE(r) << r.error().message();
        if (plan.write) omap = plan.write->omap_after(std::move(omap));
    }
    return omap;
}

// Two writers of one key in a bucket under a quota (marked reservations):
// A's version is under legal hold, its index write landed, its settle not
// yet; B's commit replaces it and settles A's charge first (A's reservation
// open), marking A's reservation settled. A's settle is then skipped whole,
// so A's move of the lock summary must come with its charge in B's change,
// counted once whatever the order; the same through the unsettled marker an
// adopter's release of A leaves.
TEST(LedgerBatchPlan, AReplacedCommitsLockMoveComesWithItsCharge) {
    const std::int64_t now = 10'000'000;
    const std::uint64_t a_token = 0xa1;
    const TimestampMs until = 1'893'456'000'000;
    const LedgerExpiry expiry{now, "r.b.", 0, 600'000};
    const std::string oid = bucket_ledger_oid("locked", 1);
    const std::map<std::string, std::string> seed = {
        {"bytes", "0"},
        {"objects", "0"},
        {"ver", "1"},
        {std::string(kLedgerLockUntilKey), "0"},
        {std::string(kLedgerLockHoldsKey), "0"},
        {"r.a.1", encode_reservation(ReservationEntry{10, now + 60'000, "ledger.user.u", CommitMark{a_token, "k"}})},
        {"r.b.1", encode_reservation(ReservationEntry{20, now + 60'000, "ledger.user.u", CommitMark{0xb1, "k"}})}};
    const CommitCharge a_charge{a_token, 10, 1, until, 1};
    LedgerChange a_settle;  // A's own: its counts and its move
    a_settle.remove_key = "r.a.1";
    a_settle.token = "r.a.1";
    a_settle.delta_bytes = 10;
    a_settle.delta_objects = 1;
    a_settle.lock_until_ms = until;
    a_settle.lock_holds_delta = 1;
    LedgerChange b_settle;  // B's: a version without a lock over A's (made noncurrent)
    b_settle.remove_key = "r.b.1";
    b_settle.token = "r.b.1";
    b_settle.delta_bytes = 20;
    b_settle.delta_objects = 1;
    b_settle.replaced = a_charge;
    for (const auto& omap :
         {planned(oid, seed, {{&b_settle}, {&a_settle}}, expiry),
          planned(oid, seed, {{&a_settle}, {&b_settle}}, expiry), planned(oid, seed, {{&b_settle, &a_settle}}, expiry),
          planned(oid, seed, {{&a_settle, &b_settle}}, expiry)}) {
        EXPECT_EQ(value_of(omap, kLedgerLockHoldsKey), "1");
        EXPECT_EQ(value_of(omap, kLedgerLockUntilKey), std::to_string(until));
        EXPECT_EQ(value_of(omap, kLedgerBytesKey), "30");
        EXPECT_EQ(value_of(omap, kLedgerObjectsKey), "2");
        EXPECT_FALSE(omap.contains("r.a.1"));
        EXPECT_FALSE(omap.contains("r.b.1"));
    }
    // A's writer died: its adopter released A's reservation (not finding
    // its record, B's commit took it off first), leaving the unsettled
    // marker B's change counts A's charge by, its move with it.
    LedgerChange release;
    release.remove_prefix = "r.a.";
    release.note_unsettled = true;
    for (const auto& omap :
         {planned(oid, seed, {{&release}, {&b_settle}}, expiry), planned(oid, seed, {{&release, &b_settle}}, expiry)}) {
        EXPECT_EQ(value_of(omap, kLedgerLockHoldsKey), "1");
        EXPECT_EQ(value_of(omap, kLedgerLockUntilKey), std::to_string(until));
        EXPECT_EQ(value_of(omap, kLedgerBytesKey), "30");
    }
    // A's hold released before B's change (PutObjectLegalHold OFF, its own
    // change): the two cancel, in either order.
    LedgerChange off;
    off.lock_holds_delta = -1;
    off.token = "a.x.1";
    for (const auto& omap : {planned(oid, seed, {{&off}, {&b_settle}}, expiry),
                             planned(oid, seed, {{&b_settle}, {&off}, {&a_settle}}, expiry)})
        EXPECT_EQ(value_of(omap, kLedgerLockHoldsKey), "0");
    // The user's ledger has no summary: the replaced charge's move stays off it.
    auto user = planned("ledger.user.u", {{"bytes", "0"}, {"objects", "0"}, {"ver", "1"}, {"r.a.1", seed.at("r.a.1")}},
                        {{&b_settle}}, expiry);
    EXPECT_FALSE(user.contains(std::string(kLedgerLockHoldsKey)));
    EXPECT_EQ(value_of(user, kLedgerBytesKey), "30");
}

// A bucket ledger written before the lock summary (no lock keys) gets it
// from a recount alone: a commit's or a lock change's move there writes
// neither key (the commit's counts still land), so the ledger keeps reading
// as one to recount; once a recount's set_lock wrote it, even in the same
// batch, the moves after it are made.
TEST(LedgerBatchPlan, AnOlderLedgersSummaryComesFromItsRecountAlone) {
    const std::int64_t now = 10'000'000;
    const TimestampMs until = 1'893'456'000'000;
    const LedgerExpiry expiry{now, "r.x.", 0, 600'000};
    const std::string oid = bucket_ledger_oid("older", 1);
    const std::map<std::string, std::string> older = {{"bytes", "5"}, {"objects", "1"}, {"ver", "4"}};
    LedgerChange commit;  // a commit with a legal hold: counts and a move
    commit.token = "a.x.1";
    commit.delta_bytes = 10;
    commit.delta_objects = 1;
    commit.lock_until_ms = until;
    commit.lock_holds_delta = 1;
    LedgerChange hold;  // PutObjectLegalHold ON
    hold.token = "a.x.2";
    hold.lock_holds_delta = 1;
    hold.only_if_exists = true;
    auto omap = planned(oid, older, {{&commit}, {&hold}}, expiry);
    EXPECT_FALSE(omap.contains(std::string(kLedgerLockHoldsKey)));
    EXPECT_FALSE(omap.contains(std::string(kLedgerLockUntilKey)));
    EXPECT_EQ(value_of(omap, kLedgerBytesKey), "15");
    EXPECT_EQ(value_of(omap, kLedgerObjectsKey), "2");
    // A lock-only change there writes no summary, but changes the version:
    // a recount that read the ledger before it (and may have scanned the
    // versions before its entry was written) fails its guard and scans again.
    const auto held_only = planned(oid, older, {{&hold}}, expiry);
    EXPECT_FALSE(held_only.contains(std::string(kLedgerLockHoldsKey)));
    EXPECT_NE(value_of(held_only, kLedgerVersionKey), "4");
    EXPECT_EQ(value_of(held_only, kLedgerBytesKey), "5");

    // The recount's set_lock (from the versions: the two holds), then the
    // moves that follow it in its batch (the ones before it still move nothing).
    LedgerChange recount;
    recount.set_lock = std::make_pair(TimestampMs{until - 1000}, std::uint64_t{2});
    LedgerChange later_hold;
    later_hold.token = "a.x.3";
    later_hold.lock_holds_delta = 1;
    omap = planned(oid, omap, {{&hold, &recount, &later_hold, &commit}}, expiry);
    EXPECT_EQ(value_of(omap, kLedgerLockHoldsKey), "3");
    EXPECT_EQ(value_of(omap, kLedgerLockUntilKey), std::to_string(until - 1000));
    EXPECT_EQ(value_of(omap, kLedgerBytesKey), "15");

    // A ledger made now gets the summary from its first change, moves included.
    omap = planned(oid, {}, {{&commit}}, expiry);
    EXPECT_EQ(value_of(omap, kLedgerLockHoldsKey), "1");
    EXPECT_EQ(value_of(omap, kLedgerLockUntilKey), std::to_string(until));
}

// A lock change under only_if_exists finding no ledger is refused
// (NoSuchBucket, changing nothing) for its caller to queue a recount, not
// dropped as made: the bucket may be live, its first commit's settle still
// to come. A commit in the same batch still makes the ledger.
TEST(LedgerBatchPlan, ALockChangeFindingNoLedgerIsRefusedNotDropped) {
    const LedgerExpiry expiry{10'000'000, "r.x.", 0, 600'000};
    const std::string oid = bucket_ledger_oid("first", 1);
    LedgerChange hold;
    hold.token = "a.x.1";
    hold.lock_holds_delta = 1;
    hold.only_if_exists = true;
    std::vector<const LedgerChange*> alone{&hold};
    LedgerBatchPlan plan = plan_ledger_batch(oid, LedgerState{}, alone, expiry);
    ASSERT_EQ(plan.results.size(), 1u);
    ASSERT_FALSE(plan.results[0]);
    EXPECT_EQ(plan.results[0].error().code(), Errc::NoSuchBucket);
    EXPECT_FALSE(plan.write);

    LedgerChange commit;
    commit.token = "a.x.2";
    commit.delta_bytes = 4;
    commit.delta_objects = 1;
    std::vector<const LedgerChange*> batch{&hold, &commit};
    plan = plan_ledger_batch(oid, LedgerState{}, batch, expiry);
    ASSERT_EQ(plan.results.size(), 2u);
    EXPECT_FALSE(plan.results[0]);
    EXPECT_TRUE(plan.results[1]);
    ASSERT_TRUE(plan.write);
    auto omap = plan.write->omap_after({});
    EXPECT_EQ(value_of(omap, kLedgerLockHoldsKey), "0");  // the hold left to the recount
    EXPECT_EQ(value_of(omap, kLedgerBytesKey), "4");
    EXPECT_FALSE(omap.contains(settled_key("a.x.1")));
    // Once the ledger exists, the same change is made.
    omap = planned(oid, omap, {{&hold}}, expiry);
    EXPECT_EQ(value_of(omap, kLedgerLockHoldsKey), "1");
}

// The marker keys sort before every other key of a ledger, age keys in age
// order; a bucket's ledger name is one the old layout (ledger.bucket.<name>)
// cannot produce, whatever dots and digits the name holds.
TEST(LedgerLayout, MarkersSortFirstAndBucketLedgersAreApartFromTheOldLayout) {
    EXPECT_LT(settled_key("~"), std::string(kMarkersEnd));
    EXPECT_LT(settled_age_key(INT64_MAX, "~"), std::string(kMarkersEnd));
    for (std::string_view k : {"bytes", "objects", "r.a.1", "reserved", "size.hmax", "ver"})
        EXPECT_LT(std::string(kMarkersEnd), std::string(k));
    EXPECT_LT(settled_age_key(0xff, "z"), settled_age_key(0x100, "a"));
    auto age = decode_settled_age_key(settled_age_key(1234, "r.x.1"));
    ASSERT_TRUE(age);
    EXPECT_EQ(age->written_ms, 1234);
    EXPECT_EQ(age->token, "r.x.1");
    EXPECT_FALSE(decode_settled_age_key("!t.12.x"));
    EXPECT_NE(bucket_ledger_oid("b.1", 2), "ledger.bucket.b.1.2");
    EXPECT_NE(bucket_ledger_oid("b", 12), bucket_ledger_oid("b.1", 2));
    EXPECT_EQ(bucket_ledger_oid("b.1", 2), "ledger.bucket/b.1/2");
    EXPECT_TRUE(is_bucket_ledger(bucket_ledger_oid("b.1", 2)));
    EXPECT_FALSE(is_bucket_ledger("ledger.bucket.b.1.2"));
}

// Settled markers go with a later change of their ledger once older than
// their lifetime (the window in which a change may be made again), so that a
// ledger does not grow with every write.
TEST_F(SpaceLedgerTest, SettledMarkersGoOnceOlderThanTheirLifetime) {
    SpaceLedger l(gw(0), random_hex16(), SpaceLedger::Options{.settled_lifetime = 1000ms});
    auto r = l.reserve(user_, bucket_, 10, 0, 0);
    ASSERT_OK(r);
    ASSERT_OK(l.settle(*r, 10, 1));
    auto markers = [&](const std::string& oid) {
        auto page = gw(0).omap_list(Pool::Meta, oid, "", std::string(kSettledPrefix), 100);
        return page ? page->entries.size() : 9999;
    };
    const std::string bucket_oid = bucket_ledger_oid(bucket_.name, bucket_.epoch);
    EXPECT_EQ(markers(user_ledger_oid(user_)), 1u);
    EXPECT_EQ(markers(bucket_oid), 1u);
    ASSERT_OK(l.apply(user_, bucket_, 5, 0, ""));  // young: kept
    EXPECT_EQ(markers(user_ledger_oid(user_)), 1u);
    std::this_thread::sleep_for(1100ms);
    ASSERT_OK(l.apply(user_, bucket_, 5, 0, ""));
    EXPECT_EQ(markers(user_ledger_oid(user_)), 0u);
    EXPECT_EQ(markers(bucket_oid), 0u);
    EXPECT_USAGE(user_usage(l, user_), 20u, 1u, 0u);
}

// Many markers, tiny pages: a ledger's read lists only the other keys, finds
// the marker a change names by key (however many sort around it), and a
// write drops at most kOldestMarkersRead stale ones, oldest first.
TEST_F(SpaceLedgerTest, ManyMarkersAreReadByKeyAndDroppedOldestFirst) {
    SpaceLedger l(gw(0), random_hex16(), SpaceLedger::Options{.page_entries = 2, .settled_lifetime = 4000ms});
    const std::string user_oid = user_ledger_oid(user_);
    auto count = [&](std::string_view prefix) {
        auto page = gw(0).omap_list(Pool::Meta, user_oid, "", std::string(prefix), 1000);
        return page ? page->entries.size() : 9999;
    };
    const std::uint32_t n = kOldestMarkersRead + 6;
    std::vector<std::string> tokens;
    for (std::uint32_t i = 0; i < n; ++i) {
        tokens.push_back(l.new_token());
        ASSERT_OK(l.apply(user_, bucket_, 1, 0, tokens.back()));
    }
    EXPECT_EQ(count(kSettledPrefix), n);
    EXPECT_EQ(count(kSettledAgePrefix), n);
    for (auto& t : {tokens.front(), tokens[n / 2], tokens.back()}) ASSERT_OK(l.apply(user_, bucket_, 1, 0, t));
    EXPECT_USAGE(user_usage(l, user_), n, 0u, 0u);
    std::this_thread::sleep_for(4100ms);
    ASSERT_OK(l.apply(user_, bucket_, 1, 0, ""));
    EXPECT_EQ(count(kSettledPrefix), 6u);  // the oldest kOldestMarkersRead went
    EXPECT_EQ(count(kSettledAgePrefix), 6u);
    ASSERT_OK(l.apply(user_, bucket_, 1, 0, ""));
    EXPECT_EQ(count(kSettledPrefix), 0u);
    EXPECT_EQ(count(kSettledAgePrefix), 0u);
    EXPECT_USAGE(user_usage(l, user_), n + 2, 0u, 0u);
}

// A bucket's ledger is its incarnation's: one made again under its name
// starts from zero, and what the old one's reservations do later stays on
// the old ledger.
TEST_F(SpaceLedgerTest, EachIncarnationOfABucketHasItsOwnLedger) {
    SpaceLedger l(gw(0), random_hex16());
    const LedgerBucket old{bucket_.name, 4}, again{bucket_.name, 5};
    auto r = l.reserve(user_, old, 100, 0, 0);
    ASSERT_OK(r);
    ASSERT_OK(l.apply(user_, old, 30, 1, ""));
    ASSERT_OK(l.remove_bucket_ledger(old));  // deleted
    ASSERT_OK(l.apply(user_, again, 7, 1, ""));
    ASSERT_OK(l.settle(*r, 100, 1));  // late
    EXPECT_USAGE(of_bucket(l, again), 7u, 1u, 0u);
    EXPECT_USAGE(of_bucket(l, old), 100u, 1u, 0u);  // a leak under an epoch never used again
    EXPECT_USAGE(user_usage(l, user_), 137u, 3u, 0u);
}

TEST(ReservationEntry, EncodesWithAndWithoutACommitMark) {
    ReservationEntry e{123, 456, "ledger.bucket/b/1", std::nullopt};
    auto d = decode_reservation_entry(encode_reservation(e));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->bytes, 123u);
    EXPECT_EQ(d->expiry_ms, 456);
    EXPECT_EQ(d->other_ledger, "ledger.bucket/b/1");
    EXPECT_FALSE(d->committing);
    e.committing = CommitMark{0x0123456789abcdeeULL, " dir/a key with spaces "};
    EXPECT_EQ(encode_reservation(e), "123 456 ledger.bucket/b/1 0123456789abcdee  dir/a key with spaces ");
    d = decode_reservation_entry(encode_reservation(e));
    ASSERT_TRUE(d && d->committing);
    EXPECT_EQ(d->committing->token, 0x0123456789abcdeeULL);
    EXPECT_EQ(d->committing->key, " dir/a key with spaces ");
    // A mark that does not decode is none (the entry is released).
    d = decode_reservation_entry("1 2 ledger.user.u rec1 -5 1 bkt/key");
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->committing);
    auto b = bucket_of_ledger("ledger.bucket/my.bucket/17");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->first, "my.bucket");
    EXPECT_EQ(b->second, 17u);
    EXPECT_FALSE(bucket_of_ledger("ledger.user.u"));
    EXPECT_FALSE(bucket_of_ledger("ledger.bucket/b/x"));
    EXPECT_FALSE(decode_reservation_entry("12"));
    EXPECT_FALSE(decode_reservation_entry("x 1 ledger.user.u"));
}

}  // namespace
}  // namespace ostor::detail::rados
