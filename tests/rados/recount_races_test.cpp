// The recount against what races it or comes late (docs/rados.md, "Recount
// from the index"): an abort between its upload's removal and its
// give-back, uploads left listed by closers, a taken-over seal that owes no
// give-back, a stale finisher of an older recount, a bucket deleted with an
// owner delta pending, a change clamped on the bucket's ledger and not on
// its owner's, writes whose outcome stays unknown, a queueing that failed
// (at close too), a deleted incarnation's marker, and the waiters of a
// touched.<instance> write that throws. Every
// case has a user and bucket of its own; bodies are inline or fake extents
// (the catalog never reads them).
#include <cstdlib>
#include <future>
#include <set>
#include <stdexcept>

#include "rados/upload_support.hpp"
#include "rados/volume.hpp"
#include "recount_fixture.hpp"

namespace ostor::detail::rados::recount_test {
namespace {

// A part of `size` bytes with a fake extent.
BodyCommit part_body(std::uint64_t size) {
    BodyCommit part;
    part.record.info.size = size;
    part.record.info.etag = "p";
    part.record.info.last_modified_ms = 1;
    part.record.extents.push_back(Extent{11, 0, static_cast<std::uint32_t>(std::min(size, kExtentMaxBytes)), 0});
    return part;
}

bool owner_queued(Client& client, const std::string& user) {
    auto q = client.omap_get(Pool::Meta, std::string(kRecountQueueOid), {owner_recount_key(user)});
    return q && !q->empty();
}

bool exists(Client& client, Pool pool, const std::string& oid) {
    auto st = client.stat(pool, oid);
    EXPECT_TRUE(st || st.error().code() == kNotFound) << st.error().message();
    return st.has_value();
}

// An abort removes its upload, then gives its parts' bytes back. A recount
// run in between finds the upload listed and its object gone: not quiet (it
// would sum without the parts, which the give-back then subtracts again),
// and the parts count exactly once.
TEST_F(RadosRecountTest, AnAbortBetweenItsRemovalAndItsGiveBackIsNotQuiet) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    auto up = gw1_->objects->create_upload(bucket_, "mp", {});
    ASSERT_OK(up);
    FreedExtents freed;
    ASSERT_OK(gw1_->objects->put_part(up->id, 1, part_body(5 * kMiB), freed));
    expect_ledgers(500 + 5 * kMiB, 1);
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    std::this_thread::sleep_for(kQuiet + 200ms);

    const std::string up_oid = upload_oid(up->id);
    int writes = 0;
    std::optional<Result<RadosObjectCatalog::RecountPass>> during;
    // Its second write of the upload object is the removal (the first: its seal).
    Gateway aborter(quiet_after(kQuiet), RadosLeases::Options{}, [&](Pool p, const std::string& oid, const WriteOp&) {
        if (p == Pool::Meta && oid == up_oid && ++writes == 2) during = recounter_->objects->recount_queued(1000);
        return false;
    });
    ASSERT_OK(aborter.objects->abort_upload(up->id, freed));
    ASSERT_TRUE(during.has_value());
    ASSERT_OK(*during);
    EXPECT_GE((*during)->not_quiet, 1u);
    EXPECT_TRUE(queued());
    expect_ledgers(500, 1);
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(500, 1);
}

// Uploads listed whose objects are gone (closers that stopped before their
// entries' removal): one recount pass removes every such entry at once, so
// the bucket waits one quiet window, not one per entry.
TEST_F(RadosRecountTest, EveryListedUploadWhoseObjectIsGoneLeavesInOnePass) {
    for (const char* key : {"m1", "m2", "m3"}) {
        auto up = gw1_->objects->create_upload(bucket_, key, {});
        ASSERT_OK(up);
        ASSERT_OK(gw1_->client->remove(Pool::Meta, upload_oid(up->id)));
    }
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    std::this_thread::sleep_for(kQuiet + 200ms);
    auto pass = recounter_->objects->recount_queued(1000);
    ASSERT_OK(pass);
    EXPECT_GE(pass->not_quiet, 1u);
    auto left = gw1_->client->omap_list(Pool::Index, uploads_oid(bucket_, epoch_), "", "", 100);
    ASSERT_OK(left);
    EXPECT_TRUE(left->entries.empty()) << left->entries.size() << " entries left";
    EXPECT_TRUE(queued());
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(0, 0);
}

// An abort that owes no give-back (it took a stale complete's seal over),
// whose removal is reported failed after it landed, queues the bucket: the
// recount that repairs a complete that never committed is then not made.
TEST_F(RadosRecountTest, AnAbortOwingNoGiveBackWhoseRemovalIsUnknownQueuesItsBucket) {
    auto up = gw1_->objects->create_upload(bucket_, "mp", {});
    ASSERT_OK(up);
    FreedExtents freed;
    ASSERT_OK(gw1_->objects->put_part(up->id, 1, part_body(5 * kMiB), freed));
    const std::string up_oid = upload_oid(up->id);
    const Seal stale{Seal::Kind::Complete, now_ms() - kStaleCompleteSeal.count() - 1000, std::nullopt, {}, true};
    ASSERT_OK(gw1_->client->apply(Pool::Meta, up_oid,
                                  WriteOp()
                                      .compare_omap(std::string(kUploadClosingKey), Compare::Eq, "")
                                      .omap_set(std::string(kUploadClosingKey), encode_seal(stale))));
    EXPECT_FALSE(queued());
    int writes = 0;
    // Its second write of the upload object is the removal (the first: its seal).
    Gateway aborter(quiet_after(kQuiet), RadosLeases::Options{}, [&](Pool p, const std::string& oid, const WriteOp&) {
        return p == Pool::Meta && oid == up_oid && ++writes == 2;
    });
    EXPECT_FALSE(aborter.objects->abort_upload(up->id, freed));
    EXPECT_EQ(writes, 2);
    EXPECT_FALSE(exists(*gw1_->client, Pool::Meta, up_oid));  // it landed
    EXPECT_TRUE(queued());
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers_match_the_index();
}

// An abort that takes a stale complete's seal over gives nothing back (the
// complete may have counted the parts out), and says so in its own seal: an
// abort taking that seal over gives nothing back either, and a recount
// leaves those parts out. The bucket is queued for a recount.
TEST_F(RadosRecountTest, ASealTakenFromACompleteOwesNoGiveBackWhoeverTakesItOver) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    auto up = gw1_->objects->create_upload(bucket_, "mp", {});
    ASSERT_OK(up);
    FreedExtents freed;
    ASSERT_OK(gw1_->objects->put_part(up->id, 1, part_body(5 * kMiB), freed));
    // A complete that committed and stopped: its object counted, its parts
    // counted out, its seal left stale.
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "mp", 5 * kMiB));
    ASSERT_NO_FATAL_FAILURE(drift(-static_cast<std::int64_t>(5 * kMiB), 0));
    expect_ledgers(500 + 5 * kMiB, 2);
    const std::string up_oid = upload_oid(up->id);
    const Seal stale{Seal::Kind::Complete, now_ms() - kStaleCompleteSeal.count() - 1000, std::nullopt, {}, true};
    ASSERT_OK(gw1_->client->apply(Pool::Meta, up_oid,
                                  WriteOp()
                                      .compare_omap(std::string(kUploadClosingKey), Compare::Eq, "")
                                      .omap_set(std::string(kUploadClosingKey), encode_seal(stale))));

    // The first abort is cut right after its seal (reported failed after it landed).
    std::atomic<bool> cut{false};
    Gateway aborter(quiet_after(kQuiet), RadosLeases::Options{}, [&](Pool p, const std::string& oid, const WriteOp&) {
        return p == Pool::Meta && oid == up_oid && !cut.exchange(true);
    });
    EXPECT_FALSE(aborter.objects->abort_upload(up->id, freed));
    auto sealed = read_upload(*gw1_->client, up->id);
    ASSERT_OK(sealed);
    auto seal = decode_seal(sealed->closing);
    ASSERT_TRUE(seal.has_value()) << sealed->closing;
    EXPECT_EQ(seal->kind, Seal::Kind::Abort);
    EXPECT_FALSE(seal->give_back);

    // The recount leaves the sealed parts out.
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(500 + 5 * kMiB, 2);

    // A second abort takes the abort's seal over: nothing given back.
    ASSERT_OK(gw1_->objects->abort_upload(up->id, freed));
    expect_ledgers(500 + 5 * kMiB, 2);
    EXPECT_TRUE(queued());
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers_match_the_index();
}

// A bucket recount that finds the bucket's counts right still has the owner
// recounted: a negative change clamped at zero on the bucket's ledger (the
// delete of an object whose write was never counted) took the owner's
// lower than its buckets hold.
TEST_F(RadosRecountTest, ABucketRecountThatChangesNothingStillRecountsTheOwner) {
    const std::string other = unique("b");
    ASSERT_OK(gw1_->objects->create_bucket(other, user_, "", {}));
    FreedExtents freed;
    BodyCommit kept = body("kept", 1000);
    kept.record.info.bucket = other;
    ASSERT_OK(gw1_->objects->put_object(std::move(kept), {}, freed));
    ASSERT_NO_FATAL_FAILURE(drift(-500, -1));  // clamped on the bucket (0), not on the owner
    EXPECT_EQ(bucket_usage().bytes, 0u);
    EXPECT_EQ(user_usage().bytes, 500u);
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    const auto start = std::chrono::steady_clock::now();
    do {
        std::this_thread::sleep_for(kQuiet / 2);
        ASSERT_OK(recounter_->objects->recount_queued(1000));
        ASSERT_LT(std::chrono::steady_clock::now() - start, 20s) << "never recounted";
    } while (queued() || owner_queued(*gw1_->client, user_));
    EXPECT_EQ(bucket_usage().bytes, 0u);
    EXPECT_EQ(user_usage().bytes, 1000u);
    EXPECT_EQ(user_usage().objects, 1u);
    ASSERT_OK(gw1_->objects->delete_object(other, "kept", freed));
    ASSERT_OK(gw1_->objects->delete_bucket(other, freed));
}

// Each recount of an incarnation has a higher sequence, and the owner's
// marker keeps the highest applied: the finisher of an older recount,
// stalled until a newer one was applied, counts nothing.
TEST_F(RadosRecountTest, AStaleFinisherOfAnOlderRecountCountsNothing) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    ASSERT_NO_FATAL_FAILURE(drift(-500, -1));  // counted too low
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    std::this_thread::sleep_for(kQuiet + 200ms);
    fault_->arm(bucket_ledger_oid(bucket_, epoch_));
    EXPECT_FALSE(recounter_->objects->recount_queued(1000));
    auto state = recounter_->ledger->read_recount_state(lb());
    ASSERT_OK(state);
    const std::string older = state->pending_owner;
    ASSERT_FALSE(older.empty());
    ASSERT_OK(recounter_->objects->recount_queued(1000));  // finishes it
    expect_ledgers(500, 1);

    ASSERT_NO_FATAL_FAILURE(drift(300, 1));  // counted too high
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(500, 1);
    ASSERT_OK(recounter_->ledger->finish_owner_delta(user_, lb(), older));
    expect_ledgers(500, 1);
}

// A bucket deleted while a recount's owner delta is pending on its ledger
// applies it to the owner before the ledger goes.
TEST_F(RadosRecountTest, ADeletedBucketsPendingOwnerDeltaIsApplied) {
    const std::string other = unique("b");
    ASSERT_OK(gw1_->objects->create_bucket(other, user_, "", {}));
    FreedExtents freed;
    BodyCommit kept = body("kept", 1000);
    kept.record.info.bucket = other;
    ASSERT_OK(gw1_->objects->put_object(std::move(kept), {}, freed));
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    ASSERT_NO_FATAL_FAILURE(drift(-500, -1));  // the bucket uncounted
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    std::this_thread::sleep_for(kQuiet + 200ms);
    fault_->arm(bucket_ledger_oid(bucket_, epoch_));
    EXPECT_FALSE(recounter_->objects->recount_queued(1000));
    EXPECT_EQ(bucket_usage().bytes, 500u);
    EXPECT_EQ(user_usage().bytes, 1000u);  // the delta pending
    ASSERT_OK(gw1_->objects->delete_object(bucket_, "a", freed));
    ASSERT_OK(gw1_->objects->delete_bucket(bucket_, freed));
    EXPECT_EQ(user_usage().bytes, 1000u);
    EXPECT_EQ(user_usage().objects, 1u);
    ASSERT_OK(gw1_->objects->delete_object(other, "kept", freed));
    ASSERT_OK(gw1_->objects->delete_bucket(other, freed));
}

// A commit whose index write's outcome stays unknown is counted as landed:
// too high when it did not, so its bucket is queued for a recount.
TEST_F(RadosRecountTest, ACommitWhoseOutcomeStaysUnknownQueuesItsBucket) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "k", 100));
    std::atomic<bool> armed{true};
    Gateway g(quiet_after(kQuiet), RadosLeases::Options{}, [&](Pool p, const std::string&, const WriteOp&) {
        if (p != Pool::Index || !armed.exchange(false)) return false;
        put(*gw1_, "k", 200);  // another writer's, before the re-read: unknown
        return true;
    });
    FreedExtents freed;
    bool unknown = false;
    BodyCommit b = body("k", 300);
    b.outcome_unknown = &unknown;
    EXPECT_FALSE(g.objects->put_object(std::move(b), {}, freed));
    EXPECT_TRUE(unknown);
    EXPECT_TRUE(queued());
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers_match_the_index();
}

// So too a part write whose outcome stays unknown (its growth counted,
// whether it landed or not).
TEST_F(RadosRecountTest, APartWriteWhoseOutcomeStaysUnknownQueuesItsBucket) {
    auto up = gw1_->objects->create_upload(bucket_, "mp", {});
    ASSERT_OK(up);
    const std::string up_oid = upload_oid(up->id);
    std::atomic<bool> armed{true};
    Gateway g(quiet_after(kQuiet), RadosLeases::Options{}, [&](Pool p, const std::string& oid, const WriteOp&) {
        if (p != Pool::Meta || oid != up_oid || !armed.exchange(false)) return false;
        FreedExtents f;  // another writer's part, before the re-read: unknown
        EXPECT_TRUE(gw1_->objects->put_part(up->id, 1, part_body(2 * kMiB), f));
        return true;
    });
    FreedExtents freed;
    bool unknown = false;
    BodyCommit part = part_body(5 * kMiB);
    part.outcome_unknown = &unknown;
    EXPECT_FALSE(g.objects->put_part(up->id, 1, std::move(part), freed));
    EXPECT_TRUE(unknown);
    EXPECT_TRUE(queued());
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(2 * kMiB, 0);
    ASSERT_OK(gw1_->objects->abort_upload(up->id, freed));
    expect_ledgers(0, 0);
}

// A queueing that failed (here: reported failed, and not there), of a
// bucket or of an owner recount, is made again by close(), before
// touched.<instance> goes.
TEST_F(RadosRecountTest, AQueueingThatFailedIsMadeAgainAtClose) {
    std::atomic<int> failing{2};
    const std::set<std::string> keys{recount_key(bucket_, epoch_), owner_recount_key(user_)};
    auto g = std::make_unique<Gateway>(
        quiet_after(kQuiet), RadosLeases::Options{}, [&](Pool p, const std::string& oid, const WriteOp&) {
            if (p != Pool::Meta || oid != kRecountQueueOid || failing.fetch_sub(1) <= 0) return false;
            EXPECT_TRUE(gw1_->client->apply(Pool::Meta, oid, WriteOp().omap_remove_keys(keys)));  // never landed
            return true;
        });
    EXPECT_FALSE(g->ledger->queue_recount(lb()));
    EXPECT_FALSE(g->ledger->queue_owner_recount(user_));
    EXPECT_FALSE(queued());
    EXPECT_FALSE(owner_queued(*gw1_->client, user_));
    ASSERT_OK(g->ledger->close());
    g->dead = true;  // closed
    EXPECT_TRUE(queued());
    EXPECT_TRUE(owner_queued(*gw1_->client, user_));
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
}

// A volume whose ledger does not close (a failed queueing failed again at
// close) leaves its lease to expire instead of removing it: the adopter's
// sweep then moves touched.<instance> into recount.queue (a removed lease
// is never adopted, and the bucket would stay unqueued).
TEST_F(RadosRecountTest, AVolumeWhoseLedgerDoesNotCloseLeavesItsLeaseToAnAdopter) {
    std::atomic<int> failing{2};  // the queueing, then close's
    const std::string key = recount_key(bucket_, epoch_);
    auto g = std::make_unique<Gateway>(
        quiet_after(kQuiet), RadosLeases::Options{3000ms, "", 750ms},
        [&](Pool p, const std::string& oid, const WriteOp&) {
            if (p != Pool::Meta || oid != kRecountQueueOid || failing.fetch_sub(1) <= 0) return false;
            EXPECT_TRUE(gw1_->client->apply(Pool::Meta, oid, WriteOp().omap_remove(key)));  // never landed
            return true;
        });
    const std::string instance = g->leases->instance_id();
    ASSERT_OK(g->ledger->note_touched(lb()));
    EXPECT_FALSE(g->ledger->queue_recount(lb()));
    g->objects.reset();  // it uses the ledger
    {
        RadosVolumeState volume;
        volume.client = g->client.get();
        volume.lease = g->leases.get();
        volume.ledger = std::move(g->ledger);
        volume.close();
    }
    g->dead = true;  // its ledger closed (and failed)
    g.reset();
    EXPECT_FALSE(queued());
    EXPECT_TRUE(exists(*gw1_->client, Pool::Meta, touched_oid(instance)));
    ASSERT_TRUE(exists(*gw1_->client, Pool::Meta, lease_oid(instance)));
    ASSERT_NO_FATAL_FAILURE(adopt(instance));
    EXPECT_TRUE(queued());
    EXPECT_FALSE(exists(*gw1_->client, Pool::Meta, touched_oid(instance)));
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
}

// A deleted bucket incarnation's recount marker leaves its owner's ledger
// once no finisher of its delta can still apply it (the window after the
// delete), and the owner's counts stay.
TEST_F(RadosRecountTest, ADeletedBucketsRecountMarkerIsPrunedAfterTheWindow) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    ASSERT_NO_FATAL_FAILURE(drift(-500, -1));
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(500, 1);
    const std::string marker = recount_mark_key(bucket_, epoch_);
    auto held = gw1_->client->omap_get(Pool::Meta, user_ledger_oid(user_), {marker});
    ASSERT_OK(held);
    ASSERT_EQ(held->size(), 1u);
    FreedExtents freed;
    ASSERT_OK(gw1_->objects->delete_object(bucket_, "a", freed));
    ASSERT_OK(gw1_->objects->delete_bucket(bucket_, freed));
    ASSERT_NO_FATAL_FAILURE(expect_marker_pruned());
}

// A deleter that stops right after the ledger's removal (its next read, the
// owner's marker, fails as a crash would end it) has queued the marker's
// prune already: the marker does not leak.
TEST_F(RadosRecountTest, ADeleteCutAfterItsLedgerRemovalStillPrunesTheMarker) {
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "a", 500));
    ASSERT_NO_FATAL_FAILURE(drift(-500, -1));
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    FreedExtents freed;
    ASSERT_OK(gw1_->objects->delete_object(bucket_, "a", freed));
    const std::string ledger = bucket_ledger_oid(bucket_, epoch_), owner = user_ledger_oid(user_);
    std::atomic<bool> cut{false};
    Gateway deleter(quiet_after(kQuiet), RadosLeases::Options{}, {}, [&](Pool p, const std::string& oid) {
        if (p != Pool::Meta || oid != owner || cut) return cut.load();
        cut = !exists(*gw1_->client, Pool::Meta, ledger);
        return cut.load();
    });
    (void)deleter.objects->delete_bucket(bucket_, freed);
    EXPECT_TRUE(cut);
    ASSERT_NO_FATAL_FAILURE(expect_marker_pruned());
}

// The first caller of note_touched writes touched.<instance>; when that
// write throws, the callers waiting for it are released (and write it
// themselves) rather than wait for ever.
TEST_F(RadosRecountTest, NoteTouchedReleasesItsWaitersWhenItsWriteThrows) {
    std::atomic<bool> thrown{false};
    Gateway g(quiet_after(kQuiet), RadosLeases::Options{}, [&](Pool p, const std::string& oid, const WriteOp&) -> bool {
        if (p == Pool::Meta && oid.starts_with("touched.") && !thrown.exchange(true)) {
            std::this_thread::sleep_for(500ms);  // the second caller waits meanwhile
            throw std::runtime_error("injected");
        }
        return false;
    });
    std::thread first([&] { EXPECT_THROW((void)g.ledger->note_touched(lb()), std::runtime_error); });
    std::this_thread::sleep_for(100ms);
    auto second = std::make_shared<std::promise<bool>>();
    auto answered = second->get_future();
    std::thread([&g, second, b = lb()] { second->set_value(g.ledger->note_touched(b).has_value()); }).detach();
    first.join();
    if (answered.wait_for(10s) != std::future_status::ready) {
        ADD_FAILURE() << "a waiter of note_touched never returned";
        std::_Exit(1);  // it holds `g`: the process cannot end cleanly
    }
    EXPECT_TRUE(answered.get());
    auto names =
        gw1_->client->omap_get(Pool::Meta, touched_oid(g.leases->instance_id()), {recount_key(bucket_, epoch_)});
    ASSERT_OK(names);
    EXPECT_EQ(names->size(), 1u);
}

// A change planned past its deadline (kLedgerChangeDeadline after its index
// write) is refused and writes nothing; the others of its batch go on.
TEST(LedgerBatchPlan, AChangePastItsDeadlineIsRefusedAndChangesNothing) {
    LedgerState state;
    state.exists = true;
    state.ver = "1";
    state.omap = {{"bytes", "10"}, {"ver", "1"}};
    const auto now = BootClock::now();
    LedgerChange late;
    late.delta_bytes = 5;
    late.deadline = now - 1ms;
    LedgerChange timely;
    timely.delta_bytes = 7;
    timely.deadline = now + 1s;
    std::vector<const LedgerChange*> batch{&late, &timely};
    LedgerExpiry expiry{now_ms(), "r.x.", 0, 1000, now};
    LedgerBatchPlan plan = plan_ledger_batch("ledger.user.u", state, batch, expiry);
    ASSERT_EQ(plan.results.size(), 2u);
    ASSERT_FALSE(plan.results[0]);
    EXPECT_EQ(plan.results[0].error().code(), Errc::PreconditionFailed);
    EXPECT_TRUE(plan.results[1]);
    ASSERT_TRUE(plan.write);
    batch = {&late};
    plan = plan_ledger_batch("ledger.user.u", state, batch, expiry);
    EXPECT_FALSE(plan.write);
}

// The owner's recount marker keeps a sequence: a delta of a sequence as
// high or lower counts nothing, a higher one counts; an older engine's
// token counts nothing once a sequence is there (its recount came before),
// and is compared for equality with a token.
TEST(LedgerBatchPlan, ARecountMarkerCountsOnlyHigherSequences) {
    EXPECT_TRUE(once_counted(recount_seq_value(2), recount_seq_value(1)));
    EXPECT_TRUE(once_counted(recount_seq_value(2), recount_seq_value(2)));
    EXPECT_FALSE(once_counted(recount_seq_value(2), recount_seq_value(3)));
    EXPECT_FALSE(once_counted(recount_seq_value(0x10), recount_seq_value(0x100)));
    EXPECT_FALSE(once_counted("", recount_seq_value(1)));
    EXPECT_FALSE(once_counted("a.old.0000000000000001", recount_seq_value(1)));
    EXPECT_TRUE(once_counted("a.old.0000000000000001", "a.old.0000000000000001"));
    EXPECT_FALSE(once_counted("a.old.0000000000000001", "a.old.0000000000000002"));
    EXPECT_TRUE(once_counted(recount_seq_value(1), "a.old.0000000000000001"));  // a stale pre-upgrade finisher
    LedgerState state;
    state.exists = true;
    state.ver = "1";
    state.omap = {{"bytes", "10"}, {"ver", "1"}, {"!r.b/1", recount_seq_value(2)}};
    LedgerChange older;
    older.delta_bytes = 5;
    older.once_key = "!r.b/1";
    older.once_value = recount_seq_value(1);
    std::vector<const LedgerChange*> batch{&older};
    const LedgerExpiry expiry{now_ms(), "r.x.", 0, 1000, BootClock::now()};
    EXPECT_FALSE(plan_ledger_batch("ledger.user.u", state, batch, expiry).write);
    LedgerChange newer = older;
    newer.once_value = recount_seq_value(3);
    batch = {&newer};
    EXPECT_TRUE(plan_ledger_batch("ledger.user.u", state, batch, expiry).write);
}

}  // namespace
}  // namespace ostor::detail::rados::recount_test
