// The space ledger's recount from the object index (docs/rados.md, "Space
// ledger", "Recount") against the throwaway cluster: what a gateway that
// dies after its index write under no quota leaves is queued by its adopter
// and recounted; a bucket written within the quiet window, or holding an
// open reservation, is left queued; the owner's delta counts once however
// often it is made again; a gone incarnation's entry is dropped; open
// uploads' parts are counted; the lock summary is rebuilt from the versions. Every case has a user and bucket of its
// own; bodies are inline or fake extents (the catalog never reads them).
#include "recount_fixture.hpp"

namespace ostor::detail::rados::recount_test {
namespace {

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

// An instance that deletes a bucket it touched drops it from its
// touched.<instance> (its recount would be dropped anyway), and keeps the others.
TEST_F(RadosRecountTest, ABucketDeletedLeavesItsDeletersTouched) {
    Gateway g;
    const std::string other = unique("b");
    auto made = g.objects->create_bucket(other, user_, "", {});
    ASSERT_OK(made);
    FreedExtents freed;
    BodyCommit gone = body("x", 10);
    gone.record.info.bucket = other;
    ASSERT_OK(g.objects->put_object(std::move(gone), {}, freed));
    ASSERT_NO_FATAL_FAILURE(put(g, "a", 10));
    const std::string touched = touched_oid(g.leases->instance_id());
    const std::set<std::string> keys{recount_key(bucket_, epoch_), recount_key(other, made->epoch)};
    auto names = gw1_->client->omap_get(Pool::Meta, touched, keys);
    ASSERT_OK(names);
    EXPECT_EQ(names->size(), 2u);
    ASSERT_OK(g.objects->delete_object(other, "x", freed));
    ASSERT_OK(g.objects->delete_bucket(other, freed));
    names = gw1_->client->omap_get(Pool::Meta, touched, keys);
    ASSERT_OK(names);
    ASSERT_EQ(names->size(), 1u);
    EXPECT_EQ(names->begin()->first, recount_key(bucket_, epoch_));
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

// The lock summary (lock.until, lock.holds on the bucket's ledger) is
// changed after the version's index write: gateways that die in between (a
// PUT with a retention and a hold, a hold released) leave it short or too
// high; the adopter queues the bucket and the recount rebuilds it from the
// versions (the date raised, never lowered; the holds counted exactly).
TEST_F(RadosRecountTest, TheLockSummaryCutOffAfterItsIndexWriteIsRecounted) {
    const LedgerBucket llb = lock_bucket("lock");
    ASSERT_FALSE(HasFailure());
    const std::string& locked = llb.name;
    const TimestampMs early = now_ms() + 86'400'000;
    const TimestampMs late = early + 86'400'000;
    auto held = put_locked(*gw1_, locked, "held", ObjectLock{{RetentionMode::Governance, early}, true});
    ASSERT_OK(held);
    EXPECT_EQ(lock_summary(locked), std::make_pair(early, std::uint64_t{1}));

    std::vector<std::string> dead;
    {  // a PUT with a later date and a hold: neither reaches the ledger
        auto doom = std::make_shared<Doom>();
        auto g = doomed(doom);
        dead.push_back(g->leases->instance_id());
        (void)put_locked(*g, locked, "cut", ObjectLock{{RetentionMode::Compliance, late}, true});
        ASSERT_TRUE(doom->killed);
    }
    {  // the first version's hold released: the ledger still counts it
        auto doom = std::make_shared<Doom>();
        auto g = doomed(doom);
        dead.push_back(g->leases->instance_id());
        LockChange off;
        off.legal_hold = false;
        (void)g->objects->change_version_lock(locked, "held", held->version_id, off);
        ASSERT_TRUE(doom->killed);
    }
    auto cut = gw1_->objects->stat_version(locked, "cut", "");
    ASSERT_OK(cut);
    EXPECT_EQ(cut->lock, (ObjectLock{{RetentionMode::Compliance, late}, true}));
    EXPECT_FALSE(gw1_->objects->stat_version(locked, "held", held->version_id)->lock.legal_hold);
    EXPECT_EQ(lock_summary(locked), std::make_pair(early, std::uint64_t{1}));  // short of the later date, one hold off

    for (auto& d : dead) adopt(d);
    auto in_queue = [&] {
        auto q = gw1_->client->omap_get(Pool::Meta, std::string(kRecountQueueOid), {recount_key(locked, llb.epoch)});
        return q && !q->empty();
    };
    EXPECT_TRUE(in_queue());
    const auto start = std::chrono::steady_clock::now();
    while (in_queue()) {
        std::this_thread::sleep_for(kQuiet / 2);
        ASSERT_OK(recounter_->objects->recount_queued(1000));
        ASSERT_LT(std::chrono::steady_clock::now() - start, 20s) << "never recounted";
    }
    EXPECT_EQ(lock_summary(locked), std::make_pair(late, std::uint64_t{1}));  // cut's hold, held's released
    auto counts = gw1_->ledger->bucket_usage(llb);
    ASSERT_OK(counts);
    EXPECT_EQ(counts->objects, 2u);

    // A recount finding a summary past the versions' date keeps it (the
    // date only grows: a version deleted since keeps it, as locally).
    ASSERT_OK(gw1_->ledger->change_lock_summary(llb, {late + 1000, 0}, ledger_change_deadline()));
    ASSERT_OK(gw1_->ledger->queue_recount(llb));
    while (in_queue()) {
        std::this_thread::sleep_for(kQuiet / 2);
        ASSERT_OK(recounter_->objects->recount_queued(1000));
        ASSERT_LT(std::chrono::steady_clock::now() - start, 40s) << "never recounted";
    }
    EXPECT_EQ(lock_summary(locked), std::make_pair(late + 1000, std::uint64_t{1}));
}

// The recount counts the holds the versions have, noncurrent ones included:
// a hold's release cut off before its ledger change (1 -> 0, the counts
// right: the lock-only write), then a held version made noncurrent by a
// second version of its key under a summary with more holds and an earlier
// date, which the recount lowers and raises.
TEST_F(RadosRecountTest, TheRecountSetsTheHoldsOfTheVersions) {
    const LedgerBucket llb = lock_bucket("holds");
    ASSERT_FALSE(HasFailure());
    const std::string& locked = llb.name;
    auto recount = [&] {
        auto in_queue = [&] {
            auto q =
                gw1_->client->omap_get(Pool::Meta, std::string(kRecountQueueOid), {recount_key(locked, llb.epoch)});
            return q && !q->empty();
        };
        EXPECT_TRUE(in_queue());
        const auto start = std::chrono::steady_clock::now();
        while (in_queue()) {
            std::this_thread::sleep_for(kQuiet / 2);
            ASSERT_OK(recounter_->objects->recount_queued(1000));
            ASSERT_LT(std::chrono::steady_clock::now() - start, 20s) << "never recounted";
        }
    };
    auto held = put_locked(*gw1_, locked, "held", ObjectLock{{}, true});
    ASSERT_OK(held);
    EXPECT_EQ(lock_summary(locked), std::make_pair(TimestampMs{0}, std::uint64_t{1}));
    {  // its hold released: the ledger still counts it
        auto doom = std::make_shared<Doom>();
        auto g = doomed(doom);
        const std::string dead = g->leases->instance_id();
        LockChange off;
        off.legal_hold = false;
        (void)g->objects->change_version_lock(locked, "held", held->version_id, off);
        ASSERT_TRUE(doom->killed);
        g.reset();
        adopt(dead);
    }
    EXPECT_FALSE(gw1_->objects->stat_version(locked, "held", held->version_id)->lock.legal_hold);
    EXPECT_EQ(lock_summary(locked), std::make_pair(TimestampMs{0}, std::uint64_t{1}));
    ASSERT_NO_FATAL_FAILURE(recount());
    EXPECT_EQ(lock_summary(locked), std::make_pair(TimestampMs{0}, std::uint64_t{0}));

    const TimestampMs until = now_ms() + 86'400'000;
    auto kept = put_locked(*gw1_, locked, "kept", ObjectLock{{RetentionMode::Governance, until}, true});
    ASSERT_OK(kept);
    ASSERT_OK(put_locked(*gw1_, locked, "kept", ObjectLock{}));  // the held version now noncurrent
    EXPECT_EQ(lock_summary(locked), std::make_pair(until, std::uint64_t{1}));
    // A summary with more holds and an earlier date than the versions'.
    ASSERT_OK(gw1_->client->apply(Pool::Meta, bucket_ledger_oid(locked, llb.epoch),
                                  WriteOp().omap_set({{std::string(kLedgerLockUntilKey), encode_count(until - 1000)},
                                                      {std::string(kLedgerLockHoldsKey), "3"}})));
    EXPECT_EQ(lock_summary(locked), std::make_pair(until - 1000, std::uint64_t{3}));
    ASSERT_OK(gw1_->ledger->queue_recount(llb));
    ASSERT_NO_FATAL_FAILURE(recount());
    EXPECT_EQ(lock_summary(locked), std::make_pair(until, std::uint64_t{1}));
    auto counts = gw1_->ledger->bucket_usage(llb);
    ASSERT_OK(counts);
    EXPECT_EQ(counts->objects, 3u);
}

// A writer dies after its index write under a marked reservation: its
// version is under legal hold, its settle never lands. The next PUT of the
// key, through another gateway, settles the dead commit's charge through
// `replaced` (its reservation still open), and with its counts the commit's
// move of the lock summary: the hold is counted at once, not left to a
// recount (the dead writer's own settle, or its adopter's, then finds the
// commit settled and changes nothing).
TEST_F(RadosRecountTest, ALaterCommitSettlingADeadWritersHeldVersionCountsItsHold) {
    const LedgerBucket llb = lock_bucket("lockr");
    ASSERT_FALSE(HasFailure());
    const std::string& locked = llb.name;
    const TimestampMs until = now_ms() + 86'400'000;
    BodyCommit held = body("k", 10);
    held.record.info.bucket = locked;
    held.record.info.lock = ObjectLock{{RetentionMode::Governance, until}, true};
    DeadPut dead;
    ASSERT_NO_FATAL_FAILURE(put_dying(std::move(held), dead));
    EXPECT_EQ(lock_summary(locked), std::make_pair(TimestampMs{0}, std::uint64_t{0}));

    BodyCommit over = body("k", 20);  // no lock: the held version becomes noncurrent
    over.record.info.bucket = locked;
    FreedExtents freed;
    ASSERT_OK(gw1_->objects->put_object(std::move(over), {}, freed));
    EXPECT_EQ(lock_summary(locked), std::make_pair(until, std::uint64_t{1}));
    auto counts = gw1_->ledger->bucket_usage(llb);
    ASSERT_OK(counts);
    EXPECT_EQ(counts->bytes, 30u);
    EXPECT_EQ(counts->objects, 2u);
    EXPECT_EQ(counts->reserved, 0u);

    ASSERT_NO_FATAL_FAILURE(adopt(dead.instance));  // settled already: changes nothing
    EXPECT_EQ(lock_summary(locked), std::make_pair(until, std::uint64_t{1}));
    counts = gw1_->ledger->bucket_usage(llb);
    ASSERT_OK(counts);
    EXPECT_EQ(counts->bytes, 30u);
    EXPECT_EQ(counts->objects, 2u);
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
// change of the ledger alone between the scan (and its second stat) and the
// write refuses the recount, which leaves the ledger as the change left it
// and the entry queued; the next pass recounts.
TEST_F(RadosRecountTest, TheRecountsWriteIsGuardedOnTheLedgerReadBeforeTheScan) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    ASSERT_NO_FATAL_FAILURE(drift(700, 1));  // counted too high
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    std::this_thread::sleep_for(kQuiet + 200ms);
    Gateway hooked;
    int hooks = 0;
    hooked.objects->set_recount_write_hook_for_tests([&](const LedgerBucket& b) {
        if (b.name != bucket_ || hooks++ > 0) return;
        // A change that reached the ledger only (its index write was
        // before the scan, counted in the sum): it must not be overwritten.
        ASSERT_NO_FATAL_FAILURE(drift(50, 0));
    });
    auto pass = hooked.objects->recount_queued(1000);
    ASSERT_OK(pass);
    EXPECT_EQ(hooks, 1);
    EXPECT_GE(pass->not_quiet, 1u);
    EXPECT_TRUE(queued());
    expect_ledgers(1250, 2);
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(500, 1);
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
    auto again = gw1_->objects->create_bucket(bucket_, user_, "", {});
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
    ASSERT_OK(gw1_->objects->create_bucket(other, user_, "", {}));
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
}  // namespace ostor::detail::rados::recount_test
