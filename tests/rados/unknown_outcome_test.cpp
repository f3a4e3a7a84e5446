// Writes whose outcome is unknown (docs/rados.md, "Unknown outcomes"): an
// index or part write that fails after the OSD applied it, injected with
// Client::set_applied_fault_for_tests. A re-read that finds the value
// written settles it as committed; one that finds anything else (here: a
// second gateway overwrote the key in between, inside the fault) leaves it
// unknown, and then references, blobs and the seal are kept (a leak at
// worst, never a loss) and the caller is told (BodyCommit::outcome_unknown).
// Also: the `closed` mark a crashed delete_bucket leaves on a live bucket.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "cluster_clients.hpp"
#include "engine_impl.hpp"
#include "hashing.hpp"
#include "rados/blob_store.hpp"
#include "rados/catalog_support.hpp"
#include "rados/identity_catalog.hpp"
#include "rados/leases.hpp"
#include "rados/object_catalog.hpp"
#include "rados/settings_catalog.hpp"
#include "rados/space_ledger.hpp"
#include "rados/upload_support.hpp"

namespace ostor::detail::rados {
namespace {

using cluster_test::connect_gateway;

struct Gateway {
    std::unique_ptr<Client> client = connect_gateway();
    std::unique_ptr<RadosLeases> lease;
    std::unique_ptr<SpaceLedger> ledger;
    std::unique_ptr<RadosBlobStore> blobs;
    std::unique_ptr<RadosSettingsCatalog> settings;
    std::unique_ptr<RadosIdentityCatalog> identity;
    std::unique_ptr<RadosObjectCatalog> objects;

    Gateway() {
        auto l = RadosLeases::acquire(*client);
        if (!l) std::abort();
        lease = std::move(*l);
        ledger = std::make_unique<SpaceLedger>(*client, lease->instance_id());
        blobs = std::make_unique<RadosBlobStore>(*client, *lease);
        settings = std::make_unique<RadosSettingsCatalog>(*client, lease->instance_id());
        identity = std::make_unique<RadosIdentityCatalog>(*client);
        objects = std::make_unique<RadosObjectCatalog>(*client, *ledger, *blobs, *settings);
    }
    ~Gateway() {
        client->set_applied_fault_for_tests(nullptr);
        objects.reset();
        (void)ledger->close();
    }

    // Makes the next write to `pool` (to `oid` when not empty) fail with
    // IoError after it was applied, running `meanwhile` first.
    void fail_next_write(Pool pool, std::string oid, std::function<void()> meanwhile = {}) {
        auto armed = std::make_shared<bool>(true);
        client->set_applied_fault_for_tests([=](Pool p, const std::string& o, const WriteOp&) {
            if (!*armed || p != pool || (!oid.empty() && o != oid)) return false;
            *armed = false;
            if (meanwhile) meanwhile();
            return true;
        });
    }

    // A body of `n` bytes written through the blob store, not committed.
    std::pair<std::unique_ptr<BlobWriter>, StagedBlobs> write_body(std::size_t n) {
        std::vector<std::byte> data(n);
        std::mt19937 rng(static_cast<unsigned>(n));
        for (auto& x : data) x = static_cast<std::byte>(rng());
        auto w = blobs->begin_write();
        if (!w->write(data, 0, 0, 0)) std::abort();
        auto staged = w->finish();
        if (!staged) std::abort();
        return {std::move(w), std::move(*staged)};
    }
};

class RadosUnknownOutcomeTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto u = a_.identity->create_user("unknown-" + random_hex16() + "@example.com", false, false);
        ASSERT_OK(u);
        user_ = u->user.id;
        ASSERT_OK(a_.objects->create_bucket(bucket_, user_, "", {}));
    }

    BodyCommit body(const std::string& key, const StagedBlobs& staged, std::uint64_t size) {
        BodyCommit b;
        b.record.info.bucket = bucket_;
        b.record.info.key = key;
        b.record.info.size = size;
        b.record.info.etag = "e-" + random_hex16();
        b.record.info.last_modified_ms = now_ms();
        b.record.extents = staged.extents;
        return b;
    }
    // An inline object put through gateway b (the "other writer").
    void put_inline_through_b(const std::string& key) {
        BodyCommit b;
        b.record.info.bucket = bucket_;
        b.record.info.key = key;
        b.record.info.size = 3;
        b.record.info.etag = "other";
        b.record.info.last_modified_ms = now_ms();
        b.record.inline_data = "abc";
        FreedExtents freed;
        ASSERT_OK(b_.objects->put_object(std::move(b), {}, freed));
        b_.blobs->release(freed);
    }
    std::int64_t refs_of(const Extent& x) {
        auto r = a_.client->get_xattr(Pool::Data, blob_oid(x.segment), std::string(kRefsXattr));
        return r ? std::stoll(*r) : -1;
    }

    Gateway a_, b_;
    std::string user_;
    const std::string bucket_ = "unk-" + random_hex16();
};

TEST_F(RadosUnknownOutcomeTest, PutWhoseIndexWriteLandedBeforeItsTimeoutIsCommitted) {
    constexpr std::size_t kBytes = 100 * 1024;
    auto [w1, s1] = a_.write_body(kBytes);
    a_.fail_next_write(Pool::Index, "");
    FreedExtents freed;
    bool unknown = true;
    auto b1 = body("k", s1, kBytes);
    b1.outcome_unknown = &unknown;
    ASSERT_OK(a_.objects->put_object(std::move(b1), {}, freed));
    EXPECT_FALSE(unknown);
    w1->committed();
    // An overwrite settled the same way frees the replaced record's extents.
    auto [w2, s2] = a_.write_body(kBytes);
    a_.fail_next_write(Pool::Index, "");
    ASSERT_OK(a_.objects->put_object(body("k", s2, kBytes), {}, freed));
    w2->committed();
    ASSERT_EQ(freed.size(), s1.extents.size());
    EXPECT_EQ(freed.front().segment, s1.extents.front().segment);
    auto rec = a_.objects->get_object(bucket_, "k");
    ASSERT_OK(rec);
    EXPECT_EQ(rec->extents.front().segment, s2.extents.front().segment);
}

TEST_F(RadosUnknownOutcomeTest, PutWhoseOutcomeStaysUnknownSaysSoAndFreesNothing) {
    constexpr std::size_t kBytes = 100 * 1024;
    auto [w1, s1] = a_.write_body(kBytes);
    FreedExtents freed;
    ASSERT_OK(a_.objects->put_object(body("k", s1, kBytes), {}, freed));
    w1->committed();
    auto [w2, s2] = a_.write_body(kBytes);
    a_.fail_next_write(Pool::Index, "", [&] { put_inline_through_b("k"); });
    bool unknown = false;
    auto b2 = body("k", s2, kBytes);
    b2.outcome_unknown = &unknown;
    auto r = a_.objects->put_object(std::move(b2), {}, freed);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::IoError);
    EXPECT_TRUE(unknown);
    EXPECT_TRUE(freed.empty());  // the record read (v1) may still be there: its extents stay
    EXPECT_EQ(refs_of(s1.extents.front()), 1);
    // A refusal is not unknown.
    auto [w3, s3] = a_.write_body(kBytes);
    WriteConditions none_match;
    none_match.if_none_match = true;
    auto b3 = body("k", s3, kBytes);
    b3.outcome_unknown = &unknown;
    auto refused = a_.objects->put_object(std::move(b3), none_match, freed);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::PreconditionFailed);
    EXPECT_FALSE(unknown);
}

TEST_F(RadosUnknownOutcomeTest, CopyWhoseOutcomeStaysUnknownKeepsItsReferences) {
    constexpr std::size_t kBytes = 100 * 1024;
    auto [w, s] = a_.write_body(kBytes);
    FreedExtents freed;
    ASSERT_OK(a_.objects->put_object(body("src", s, kBytes), {}, freed));
    w->committed();
    a_.fail_next_write(Pool::Index, "", [&] { put_inline_through_b("dst"); });
    auto r = a_.objects->copy_object(bucket_, "src", {}, bucket_, "dst", std::nullopt, std::nullopt, std::nullopt, {},
                                     freed);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::IoError);
    // The copy landed, and b's overwrite released its references: the copy
    // must not release them a second time (the source would lose its data).
    EXPECT_EQ(refs_of(s.extents.front()), 1);
    // A copy that landed before its timeout is committed.
    a_.fail_next_write(Pool::Index, "");
    ASSERT_OK(a_.objects->copy_object(bucket_, "src", {}, bucket_, "dst2", std::nullopt, std::nullopt, std::nullopt, {},
                                      freed));
    EXPECT_EQ(refs_of(s.extents.front()), 2);
    auto got = a_.objects->get_object(bucket_, "dst2");
    ASSERT_OK(got);
    EXPECT_EQ(got->extents.front().segment, s.extents.front().segment);
}

TEST_F(RadosUnknownOutcomeTest, PartAndCompleteWhoseOutcomeStaysUnknownKeepTheirBlobsAndSeal) {
    constexpr std::size_t kBytes = 100 * 1024;
    auto up = a_.objects->create_upload(bucket_, "mp", {});
    ASSERT_OK(up);
    const std::string oid = upload_oid(up->id);
    // Landed before its timeout: stored.
    auto [w1, s1] = a_.write_body(kBytes);
    a_.fail_next_write(Pool::Meta, oid);
    FreedExtents freed;
    BodyCommit p1 = body("mp", s1, kBytes);
    ASSERT_OK(a_.objects->put_part(up->id, 1, std::move(p1), freed));
    w1->committed();
    // Replaced meanwhile: unknown, the replaced part's extents are kept.
    auto [w2, s2] = a_.write_body(kBytes);
    auto [wb, sb] = b_.write_body(kBytes);
    a_.fail_next_write(Pool::Meta, oid, [&, &sb = sb] {
        FreedExtents f;
        ASSERT_OK(b_.objects->put_part(up->id, 1, body("mp", sb, kBytes), f));
        b_.blobs->release(f);
    });
    bool unknown = false;
    BodyCommit p2 = body("mp", s2, kBytes);
    p2.outcome_unknown = &unknown;
    auto r = a_.objects->put_part(up->id, 1, std::move(p2), freed);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::IoError);
    EXPECT_TRUE(unknown);
    EXPECT_TRUE(freed.empty());
    wb->committed();
    w2->committed();  // as the engine does on an unknown outcome

    // Complete whose index write stays unknown: seal and references stay.
    auto parts = a_.objects->list_parts(up->id, 0, 10);
    ASSERT_OK(parts);
    ASSERT_EQ(parts->parts.size(), 1u);
    std::vector<CompletedPart> list{{1, parts->parts[0].etag}};
    a_.fail_next_write(Pool::Index, "", [&] { put_inline_through_b("mp"); });
    auto c = a_.objects->complete_upload(up->id, list, std::nullopt, std::nullopt, {}, freed);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code(), Errc::IoError);
    // The object landed, and b's overwrite released its references: the
    // part's stays, not released a second time.
    EXPECT_EQ(refs_of(sb.extents.front()), 1);
    EXPECT_EQ(b_.objects->abort_upload(up->id, freed).error().code(), Errc::NoSuchUpload);  // sealed
}

// The same copy committed twice (identical records: the same extents, the
// same time) through two gateways, one of whose index writes fails: the
// re-read finds an identical record, which must not prove that call's
// write. Otherwise a call whose write did not land also frees the record it
// read (already freed by the other call's commit): the extents of an object
// that shares them (here `y`, a copy of the replaced object) lose their last
// reference.
class RadosIdenticalCommitsTest : public RadosUnknownOutcomeTest, public ::testing::WithParamInterface<bool> {};

TEST_P(RadosIdenticalCommitsTest, AFailedWriteOfAnIdenticalRecordNeverFreesTheReplacedExtentsTwice) {
    const bool applied = GetParam();  // a's write landed (then b's replaced it), or did not land
    constexpr std::size_t kBytes = 100 * 1024;
    auto [ws, ss] = a_.write_body(kBytes);
    auto [wx, sx] = a_.write_body(kBytes);
    FreedExtents freed;
    ASSERT_OK(a_.objects->put_object(body("src", ss, kBytes), {}, freed));
    ws->committed();
    ASSERT_OK(a_.objects->put_object(body("dst", sx, kBytes), {}, freed));
    wx->committed();
    ASSERT_OK(
        a_.objects->copy_object(bucket_, "dst", {}, bucket_, "y", std::nullopt, std::nullopt, std::nullopt, {}, freed));
    const Extent e = ss.extents.front(), x = sx.extents.front();
    ASSERT_EQ(refs_of(x), 2);  // dst and y

    auto sb = a_.objects->load_bucket(bucket_);
    ASSERT_OK(sb);
    const std::string shard = index_oid(bucket_, sb->bucket.epoch, index_shard_of("dst", sb->shards));
    auto before = a_.client->omap_get(Pool::Index, shard, {record_key("dst")});
    ASSERT_OK(before);
    const std::string dst_record = value_of(*before, record_key("dst"));
    ASSERT_FALSE(dst_record.empty());

    // Both calls commit one record naming src's extents, each with the
    // reference it added (as copy_object does).
    BodyCommit copy = body("dst", ss, kBytes);
    ASSERT_OK(a_.blobs->add_refs(ss.extents));
    ASSERT_OK(b_.blobs->add_refs(ss.extents));
    a_.fail_next_write(Pool::Index, shard, [&] {
        // Not applied: the entry as before a's write.
        if (!applied) {
            ASSERT_OK(a_.client->apply(Pool::Index, shard, WriteOp().omap_set(record_key("dst"), dst_record)));
        }
        FreedExtents f;
        ASSERT_OK(b_.objects->put_object(copy, {}, f));
        b_.blobs->release(f);
    });
    bool unknown = false;
    BodyCommit mine = copy;
    mine.outcome_unknown = &unknown;
    auto r = a_.objects->put_object(std::move(mine), {}, freed);
    a_.blobs->release(freed);  // as the engine does
    EXPECT_GE(refs_of(x), 1);  // y still holds them
    EXPECT_GE(refs_of(e), 2);  // src and dst
    if (!applied) {
        // Not proven (the record found is b's): unknown, a's reference and
        // the replaced record's extents are kept (leaks).
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code(), Errc::IoError);
        EXPECT_TRUE(unknown);
    }
    auto y = a_.objects->get_object(bucket_, "y");
    ASSERT_OK(y);
    EXPECT_EQ(y->extents.front().segment, x.segment);
    auto dst = a_.objects->get_object(bucket_, "dst");
    ASSERT_OK(dst);
    EXPECT_EQ(dst->extents.front().segment, e.segment);
    // Deleting src and dst leaves y's extents referenced.
    ASSERT_OK(a_.objects->delete_object(bucket_, "dst", freed));
    a_.blobs->release(freed);
    EXPECT_GE(refs_of(x), 1);
    EXPECT_GE(refs_of(e), 1);
}

INSTANTIATE_TEST_SUITE_P(Outcomes, RadosIdenticalCommitsTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Applied" : "NotApplied"; });

// A part carries no token: an UploadPartCopy sent twice, where the second's
// write does not land but finds the first's identical part, keeps the
// extents of the part it read (the first freed them): here shared with an
// object `z`, which must keep them.
TEST_F(RadosUnknownOutcomeTest, AFailedPartCopyFindingAnIdenticalPartKeepsTheReplacedExtents) {
    constexpr std::size_t kBytes = 100 * 1024;
    auto [ws, ss] = a_.write_body(kBytes);
    auto [wp, sp] = a_.write_body(kBytes);
    FreedExtents freed;
    ASSERT_OK(a_.objects->put_object(body("src", ss, kBytes), {}, freed));
    ws->committed();
    auto up = a_.objects->create_upload(bucket_, "mp", {});
    ASSERT_OK(up);
    ASSERT_OK(a_.objects->put_part(up->id, 1, body("mp", sp, kBytes), freed));
    wp->committed();
    ASSERT_OK(a_.blobs->add_refs(sp.extents));
    ASSERT_OK(a_.objects->put_object(body("z", sp, kBytes), {}, freed));
    const Extent p = sp.extents.front();
    ASSERT_EQ(refs_of(p), 2);  // the part and z
    const std::string oid = upload_oid(up->id);
    auto before = a_.client->omap_get(Pool::Meta, oid, {part_key(1)});
    ASSERT_OK(before);
    const std::string part_before = value_of(*before, part_key(1));
    auto src = a_.objects->get_object(bucket_, "src");
    ASSERT_OK(src);
    // a's write does not land; b's identical one (the same request sent
    // again) does, and frees the part it replaced.
    a_.fail_next_write(Pool::Meta, oid, [&] {
        auto mine = a_.client->omap_get(Pool::Meta, oid, {part_key(1)});
        ASSERT_OK(mine);
        ASSERT_OK(a_.client->apply(Pool::Meta, oid, WriteOp().omap_set(part_key(1), part_before)));
        ASSERT_OK(b_.blobs->add_refs(ss.extents));
        ASSERT_OK(b_.client->apply(Pool::Meta, oid, WriteOp().omap_set(part_key(1), value_of(*mine, part_key(1)))));
        b_.blobs->release(sp.extents);
    });
    auto r = a_.objects->copy_part(up->id, 1, bucket_, "src", {}, src->info, "copied", freed);
    ASSERT_OK(r);
    EXPECT_TRUE(freed.empty());
    a_.blobs->release(freed);
    EXPECT_EQ(refs_of(p), 1);  // z's
    EXPECT_TRUE(a_.objects->get_object(bucket_, "z"));
}

// A delete_bucket that crashed after closing the shards (review finding 3),
// in a version whose marks name no instance: its mark, once stale by its
// age, is removed by the next committer; a fresh one
// without its time (unreadable) is never taken for stale.
TEST_F(RadosUnknownOutcomeTest, ACrashedDeletesStaleCloseMarkIsRemovedByACommitter) {
    auto sb = a_.objects->load_bucket(bucket_);
    ASSERT_OK(sb);
    const std::string stale = shard_closed_value(now_ms() - kStaleShardClosedMs - 1000, "crashed", "");
    for (std::uint32_t i = 0; i < sb->shards; ++i)
        ASSERT_OK(a_.client->apply(Pool::Index, index_oid(bucket_, sb->bucket.epoch, i),
                                   WriteOp().omap_set(std::string(kShardClosedKey), stale)));
    put_inline_through_b("after-a-crashed-delete");
    ASSERT_OK(a_.objects->get_object(bucket_, "after-a-crashed-delete"));
    EXPECT_FALSE(shard_closed_stale(shard_closed_value(now_ms(), "live", ""), now_ms()));
    EXPECT_FALSE(shard_closed_stale("0123456789abcdef", now_ms()));
    EXPECT_TRUE(shard_closed_stale(stale, now_ms()));
    // And the bucket can still be deleted.
    FreedExtents freed;
    ASSERT_OK(a_.objects->delete_object(bucket_, "after-a-crashed-delete", freed));
    ASSERT_OK(a_.objects->delete_bucket(bucket_, freed));
}

// Review finding 4: a delete_bucket whose record removal fails after the
// OSD applied it re-reads the record, finds it gone and finishes (never
// reopening the shards of a bucket that is gone).
TEST_F(RadosUnknownOutcomeTest, ADeleteWhoseRecordRemovalLandedBeforeItsTimeoutFinishes) {
    auto sb = a_.objects->load_bucket(bucket_);
    ASSERT_OK(sb);
    a_.fail_next_write(Pool::Meta, bucket_oid(bucket_));
    FreedExtents freed;
    ASSERT_OK(a_.objects->delete_bucket(bucket_, freed));
    EXPECT_EQ(a_.objects->get_bucket(bucket_).error().code(), Errc::NoSuchBucket);
    for (std::uint32_t i = 0; i < sb->shards; ++i)
        EXPECT_EQ(a_.client->stat(Pool::Index, index_oid(bucket_, sb->bucket.epoch, i)).error().code(), kNotFound);
}

// A DELETE whose removal landed before its timeout: the caller got IoError
// and the counts were not changed, so the ledgers count an object the index
// no longer holds. delete_bucket, finding its closed index empty, deletes the
// bucket all the same (it was refused with BucketNotEmpty for ever). The
// owner's counts stay as they were: too high by the lost object until a
// recount, never lowered below what the owner stores.
TEST_F(RadosUnknownOutcomeTest, ABucketWhoseLedgerCountsAnObjectItsIndexLacksCanBeDeleted) {
    const std::string kept_in = "unk-" + random_hex16();
    ASSERT_OK(a_.objects->create_bucket(kept_in, user_, "", {}));
    FreedExtents freed;
    BodyCommit kept;
    kept.record.info.bucket = kept_in;
    kept.record.info.key = "kept";
    kept.record.info.size = 5;
    kept.record.info.etag = "kept";
    kept.record.info.last_modified_ms = now_ms();
    kept.record.inline_data = "12345";
    ASSERT_OK(a_.objects->put_object(std::move(kept), {}, freed));
    put_inline_through_b("ghost");  // 3 bytes
    a_.fail_next_write(Pool::Index, "");
    auto d = a_.objects->delete_object(bucket_, "ghost", freed);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code(), Errc::IoError);
    EXPECT_EQ(a_.objects->get_object(bucket_, "ghost").error().code(), Errc::NoSuchKey);  // it did land
    auto counted = a_.objects->get_bucket(bucket_);
    ASSERT_OK(counted);
    EXPECT_EQ(counted->objects, 1u);  // but is still counted
    EXPECT_EQ(counted->bytes, 3u);
    auto before = a_.objects->get_user_usage(user_);
    ASSERT_OK(before);
    EXPECT_EQ(before->bytes, 8u);  // the kept object and the ghost
    EXPECT_EQ(before->objects, 2u);

    ASSERT_OK(b_.objects->delete_bucket(bucket_, freed));
    EXPECT_EQ(a_.objects->get_bucket(bucket_).error().code(), Errc::NoSuchBucket);
    auto usage = a_.objects->get_user_usage(user_);
    ASSERT_OK(usage);
    EXPECT_EQ(usage->bytes, 8u);  // as before the delete: a recount lowers it to 5
    EXPECT_EQ(usage->objects, 2u);
    EXPECT_EQ(usage->reserved, 0u);
    // A bucket whose index holds an object is still refused, ledger or not.
    auto full = a_.objects->delete_bucket(kept_in, freed);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code(), Errc::BucketNotEmpty);
}

// A bucket's ledger is its incarnation's. A delete_bucket that reaches its
// last step after the name was taken again (here inside the fault on its
// record removal, which lands and then reports failure: the delete finds
// another incarnation and finishes) removes only its own ledger; a settle of
// an old incarnation's reservation arriving late changes nothing of the new
// one; a PUT reserved on the old incarnation and committed into the new one
// is counted on the new one.
TEST_F(RadosUnknownOutcomeTest, ABucketMadeAgainUnderItsNameKeepsItsOwnCounts) {
    auto old = a_.objects->load_bucket(bucket_);
    ASSERT_OK(old);
    auto late_settle = a_.objects->reserve(bucket_, "", 4096);
    ASSERT_OK(late_settle);
    auto late_put = a_.objects->reserve(bucket_, "reserved-before", 4096);
    ASSERT_OK(late_put);
    a_.fail_next_write(Pool::Meta, bucket_oid(bucket_), [&] {
        ASSERT_OK(b_.objects->create_bucket(bucket_, user_, "", {}));
        put_inline_through_b("new");  // 3 bytes, 1 object
    });
    FreedExtents freed;
    ASSERT_OK(a_.objects->delete_bucket(bucket_, freed));
    auto now = b_.objects->get_bucket(bucket_);
    ASSERT_OK(now);
    ASSERT_GT(now->epoch, old->bucket.epoch);
    EXPECT_EQ(now->objects, 1u);
    EXPECT_EQ(now->bytes, 3u);

    auto r = decode_reservation_id(*late_settle);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->bucket_epoch, old->bucket.epoch);
    ASSERT_OK(a_.ledger->settle(*r, 4096, 1));
    now = b_.objects->get_bucket(bucket_);
    ASSERT_OK(now);
    EXPECT_EQ(now->objects, 1u);
    EXPECT_EQ(now->bytes, 3u);

    BodyCommit b;
    b.record.info.bucket = bucket_;
    b.record.info.key = "reserved-before";
    b.record.info.size = 4096;
    b.record.info.etag = "late";
    b.record.info.last_modified_ms = now_ms();
    b.record.inline_data = std::string(4096, 'l');
    b.reservation = *late_put;
    ASSERT_OK(b_.objects->put_object(std::move(b), {}, freed));
    now = b_.objects->get_bucket(bucket_);
    ASSERT_OK(now);
    EXPECT_EQ(now->objects, 2u);
    EXPECT_EQ(now->bytes, 4099u);
    auto fresh = a_.ledger->bucket_usage(LedgerBucket{bucket_, now->epoch});
    ASSERT_OK(fresh);
    EXPECT_EQ(fresh->reserved, 0u);
}

// Review finding 8: a reservation past its expiry covers nothing at commit
// (the growth is reserved again under the quotas); its id carries the expiry.
TEST(ReservationExpiry, AnExpiredReservationCoversNothing) {
    LedgerReservation r{"r.0123456789abcdef.0000000000000001", "u1", "my-bucket", 3, 42, 1'000'000};
    auto d = decode_reservation_id(encode_reservation_id(r));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->bucket, "my-bucket");
    EXPECT_EQ(d->expiry_ms, 1'000'000);
    EXPECT_EQ(covered_bytes(*d, 999'999), 42u);
    EXPECT_EQ(covered_bytes(*d, 1'000'000), 0u);
    auto old = decode_reservation_id("r.x 12 u1 b 3");  // without an expiry: trusted
    ASSERT_TRUE(old);
    EXPECT_EQ(old->bucket, "b");
    EXPECT_EQ(covered_bytes(*old, 1'000'000), 12u);
    EXPECT_FALSE(decode_reservation_id("r.x 12 u1 b 3 soon"));
}

}  // namespace
}  // namespace ostor::detail::rados
