// SettingsCatalog cases (limits, quotas, usage statistics objects, billing
// totals), the same on the local and the RADOS facets (catalog_stores.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "catalog_stores.hpp"
#include "cluster_clients.hpp"
#include "rados/catalog_support.hpp"
#include "rados/leases.hpp"
#include "rados/records_layout.hpp"
#include "rados/settings_catalog.hpp"

namespace ostor::detail::facets_test {
namespace {

class SettingsFacets : public CatalogFacets {};

// ---- Limits --------------------------------------------------------------------

TEST_P(SettingsFacets, Limits_ConcurrentChangesOfDifferentFieldsAreAllKept) {
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

TEST_P(SettingsFacets, Limits_RefusedChangeStoresNothingMissingTargetsFail) {
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

TEST_P(SettingsFacets, Quotas_SetGetRemoveDefaultsEffective) {
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

TEST_P(SettingsFacets, UsageObjects_PutReplaceListPagedGetDelete) {
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

TEST_P(SettingsFacets, Billing_TwoInstancesSum) {
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

TEST_P(SettingsFacets, Billing_ConcurrentAddsOfOneInstanceAreAllKept) {
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

// ---- Billing totals on RADOS: unknown outcomes, folding ----------------------

using rados::billing_oid;
using rados::Client;
using rados::Pool;
using rados::RadosLeases;
using rados::RadosSettingsCatalog;
using rados::read_whole_omap;
using rados::WriteOp;
using namespace std::chrono_literals;

TEST(RadosBilling, AFlushWhoseWriteTimedOutAfterLandingIsCountedOnce) {
    auto client = rados::cluster_test::connect_gateway();
    const std::string instance = "instance-" + random_hex16();
    const std::string user = random_hex16();
    std::atomic<bool> armed{false};
    // A timeout after the OSD applied the flush (once).
    client->set_applied_fault_for_tests([&](Pool, const std::string& oid, const WriteOp&) {
        return oid == billing_oid(instance) && armed.exchange(false);
    });
    RadosSettingsCatalog catalog(*client, instance);
    ASSERT_OK(catalog.add_billing_totals({{user, "", counters(1, 10)}}));
    armed = true;
    // As the gateway's meter does: a failed flush keeps its counts for the
    // next one.
    std::vector<BillingDelta> deltas{{user, "", counters(2, 20)}};
    auto added = catalog.add_billing_totals(deltas);
    if (!added) {
        ASSERT_OK(catalog.add_billing_totals(deltas));
    }
    EXPECT_FALSE(armed.load()) << "the fault fired";
    auto total = catalog.billing_totals(user, std::string_view(""));
    ASSERT_OK(total);
    EXPECT_EQ(total->put, 3u);
    EXPECT_EQ(total->uploaded, 30u);
    // The token of the last flush is kept with the rows, and is not a row.
    auto flush = cluster().omap_get(Pool::Meta, billing_oid(instance), {std::string(rados::kBillingFlushKey)});
    ASSERT_OK(flush);
    EXPECT_EQ(flush->size(), 1u);
    auto listed = catalog.list_billing_totals();
    ASSERT_OK(listed);
    for (auto& d : *listed) EXPECT_NE(d.user_id, "flush");
}

// A flush whose write landed but whose every answer was lost (its reply,
// then the read that would settle it): the call fails, the meter keeps its
// counts and sends them again with the next flush, which must not count
// them twice.
TEST(RadosBilling, AFlushThatFailedAfterLandingIsNotCountedAgainByTheNext) {
    auto client = rados::cluster_test::connect_gateway();
    const std::string instance = "instance-" + random_hex16();
    const std::string user = random_hex16();
    RadosSettingsCatalog catalog(*client, instance);
    ASSERT_OK(catalog.add_billing_totals({{user, "", counters(1, 10)}}));
    bool armed = true;
    client->set_applied_fault_for_tests([&](Pool, const std::string& oid, const WriteOp&) {
        if (!armed || oid != billing_oid(instance)) return false;
        armed = false;
        client->set_read_fault_for_tests([&](Pool, const std::string& o) { return o == billing_oid(instance); });
        return true;
    });
    auto failed = catalog.add_billing_totals({{user, "", counters(2, 20)}});
    client->set_applied_fault_for_tests(nullptr);
    client->set_read_fault_for_tests(nullptr);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code(), Errc::IoError);
    ASSERT_FALSE(armed) << "the fault fired";
    auto landed = catalog.billing_totals(user, std::string_view(""));
    ASSERT_OK(landed);
    EXPECT_EQ(landed->put, 3u) << "it did land";
    // The meter's next flush: the failed counts again, and new ones.
    BillingCounters resent = counters(2, 20);
    resent += counters(4, 40);
    ASSERT_OK(catalog.add_billing_totals({{user, "", resent}}));
    auto total = catalog.billing_totals(user, std::string_view(""));
    ASSERT_OK(total);
    EXPECT_EQ(total->put, 7u);
    EXPECT_EQ(total->uploaded, 70u);
    EXPECT_EQ(total->get, 3u);
    // Settled: a later flush adds what it sends.
    ASSERT_OK(catalog.add_billing_totals({{user, "", counters(1, 1)}}));
    total = catalog.billing_totals(user, std::string_view(""));
    ASSERT_OK(total);
    EXPECT_EQ(total->put, 8u);
}

// The same failure, but the write did not land (the fault puts the object
// back as it was, then hides the answers): the next flush adds everything.
TEST(RadosBilling, AFlushThatFailedWithoutLandingIsCountedByTheNext) {
    auto client = rados::cluster_test::connect_gateway();
    const std::string instance = "instance-" + random_hex16();
    const std::string user = random_hex16();
    RadosSettingsCatalog catalog(*client, instance);
    ASSERT_OK(catalog.add_billing_totals({{user, "", counters(1, 10)}}));
    auto before = read_whole_omap(*client, Pool::Meta, billing_oid(instance));
    ASSERT_OK(before);
    bool armed = true;
    client->set_applied_fault_for_tests([&](Pool, const std::string& oid, const WriteOp&) {
        if (!armed || oid != billing_oid(instance)) return false;
        armed = false;
        WriteOp undo;
        for (auto& [k, v] : *before) undo.omap_set(k, v);
        EXPECT_TRUE(client->apply(Pool::Meta, oid, undo));
        client->set_read_fault_for_tests([&](Pool, const std::string& o) { return o == billing_oid(instance); });
        return true;
    });
    auto failed = catalog.add_billing_totals({{user, "", counters(2, 20)}});
    client->set_applied_fault_for_tests(nullptr);
    client->set_read_fault_for_tests(nullptr);
    ASSERT_FALSE(failed);
    ASSERT_FALSE(armed) << "the fault fired";
    auto stored = catalog.billing_totals(user, std::string_view(""));
    ASSERT_OK(stored);
    EXPECT_EQ(stored->put, 1u) << "it did not land";
    BillingCounters resent = counters(2, 20);
    resent += counters(4, 40);
    ASSERT_OK(catalog.add_billing_totals({{user, "", resent}}));
    auto total = catalog.billing_totals(user, std::string_view(""));
    ASSERT_OK(total);
    EXPECT_EQ(total->put, 7u);
    EXPECT_EQ(total->uploaded, 70u);
    EXPECT_EQ(total->get, 3u);
}

// Two engine instances, each on its own connection; one dies (abandoned) and
// the other's sweep adopts it and folds its rows.
TEST(RadosBilling, ABillIsTheSameBeforeDuringAndAfterTheFoldOfADeadInstance) {
    auto dead_gw = rados::cluster_test::connect_gateway();
    auto live_gw = rados::cluster_test::connect_gateway();
    auto dead_lease = RadosLeases::acquire(*dead_gw, {1000ms, ""});
    auto live_lease = RadosLeases::acquire(*live_gw, {1000ms, ""});
    ASSERT_OK(dead_lease);
    ASSERT_OK(live_lease);
    const std::string dead_id = (*dead_lease)->instance_id();
    RadosSettingsCatalog dead(*dead_gw, dead_id);
    RadosSettingsCatalog live(*live_gw, (*live_lease)->instance_id());
    const std::string user = random_hex16();
    // More rows than one fold write takes (a page of 512): the fold takes
    // several writes.
    std::vector<BillingDelta> many;
    for (int i = 0; i < 700; ++i) many.push_back({user, "acc" + std::to_string(1000 + i), counters(1, 1)});
    ASSERT_OK(dead.add_billing_totals(many));
    ASSERT_OK(dead.add_billing_totals({{user, "", counters(7, 70)}}));
    ASSERT_OK(live.add_billing_totals({{user, "", counters(3, 30)}, {user, "acc1000", counters(1, 1)}}));
    auto bill = [&] {
        auto total = live.billing_totals(user, std::nullopt);
        EXPECT_TRUE(total) << total.error().message();
        auto one = live.billing_totals(user, std::string_view("acc1000"));
        EXPECT_TRUE(one) << one.error().message();
        auto listed = live.list_billing_totals();
        EXPECT_TRUE(listed) << listed.error().message();
        BillingCounters in_list;
        std::size_t rows = 0;
        if (listed)
            for (auto& d : *listed)
                if (d.user_id == user) in_list += d.counters, ++rows;
        EXPECT_EQ(in_list, total ? *total : BillingCounters{});
        EXPECT_EQ(rows, 701u);
        return std::make_pair(total ? total->put : 0, one ? one->put : 0);
    };
    const auto before = bill();
    EXPECT_EQ(before.first, 700u + 7 + 3 + 1);
    EXPECT_EQ(before.second, 2u);

    (*dead_lease)->abandon_for_test();
    std::this_thread::sleep_for(1300ms);
    auto adopted = (*live_lease)->adopt_if_dead(dead_id);
    ASSERT_NE(adopted, nullptr);
    EXPECT_ERRC(live.fold_billing_of((*live_lease)->instance_id()), Errc::InvalidArgument);
    // A fold cut off after its first write landed (a timeout after the OSD
    // applied it): bills in between count each row once, and the fold done
    // again adds nothing twice.
    // Its writes to billing.folded: the object's create, then a page of
    // rows per write; the fault takes the first page's.
    std::atomic<int> folded_writes{0};
    live_gw->set_applied_fault_for_tests([&](Pool, const std::string& oid, const WriteOp&) {
        return oid == rados::kBillingFoldedOid && ++folded_writes == 2;
    });
    EXPECT_FALSE(live.fold_billing_of(dead_id));
    EXPECT_EQ(folded_writes.load(), 2) << "the fault fired";
    auto cut = cluster().omap_get(Pool::Meta, std::string(rados::kBillingFoldedOid),
                                  {std::string(rados::kBillingFoldKey) + "." + dead_id});
    ASSERT_OK(cut);
    EXPECT_EQ(cut->size(), 1u) << "a fold under way";
    EXPECT_EQ(bill(), before);
    ASSERT_OK(live.fold_billing_of(dead_id));
    EXPECT_EQ(bill(), before);
    ASSERT_OK(live.fold_billing_of(dead_id));  // again: nothing left to fold
    adopted.reset();
    EXPECT_EQ(bill(), before);
    EXPECT_FALSE(cluster().stat(Pool::Meta, billing_oid(dead_id))) << "the dead instance's object is gone";
    auto instances = live.billing_instances();
    ASSERT_OK(instances);
    EXPECT_EQ(std::count(instances->begin(), instances->end(), dead_id), 0);
    auto cursor = cluster().omap_get(Pool::Meta, std::string(rados::kBillingFoldedOid),
                                     {std::string(rados::kBillingFoldKey) + "." + dead_id});
    ASSERT_OK(cursor);
    EXPECT_TRUE(cursor->empty()) << "its fold's cursor is gone";
    // The live instance adds on, counted once.
    ASSERT_OK(live.add_billing_totals({{user, "", counters(1, 1)}}));
    EXPECT_EQ(bill().first, before.first + 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SettingsFacets, ::testing::Values(Backend::Local, Backend::Rados), backend_name);

}  // namespace
}  // namespace ostor::detail::facets_test
