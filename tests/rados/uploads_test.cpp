// The RADOS object catalog's multipart uploads against the throwaway
// cluster, with two connections standing for two gateways, each with its own
// engine instance (lease, ledger, blob store, catalogs): concurrent parts,
// an abort racing a part, complete on one gateway and read on the other, a
// complete racing an abort, and the ledger after each.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>

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

using namespace std::chrono_literals;
using cluster_test::connect_gateway;
using cluster_test::fence_now;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::size_t kChunkBytes = 256 * 1024;

std::vector<std::byte> make_body(std::size_t n, unsigned seed) {
    std::vector<std::byte> b(n);
    std::mt19937 rng(seed);
    for (auto& x : b) x = static_cast<std::byte>(rng());
    return b;
}

std::string md5_hex(std::span<const std::byte> body) {
    Md5 md5;
    md5.update(body);
    return to_hex(md5.finish());
}

// One engine instance on its own connection.
struct Gateway {
    std::unique_ptr<Client> client = connect_gateway();
    std::unique_ptr<RadosLeases> lease;
    std::unique_ptr<SpaceLedger> ledger;
    std::unique_ptr<RadosBlobStore> blobs;
    std::unique_ptr<RadosSettingsCatalog> settings;
    std::unique_ptr<RadosIdentityCatalog> identity;
    std::unique_ptr<RadosObjectCatalog> objects;

    explicit Gateway(RadosLeases::Options lease_options = {}) {
        auto l = RadosLeases::acquire(*client, lease_options);
        if (!l) std::abort();
        lease = std::move(*l);
        ledger = std::make_unique<SpaceLedger>(*client, lease->instance_id());
        blobs = std::make_unique<RadosBlobStore>(*client, *lease);
        settings = std::make_unique<RadosSettingsCatalog>(*client, lease->instance_id());
        identity = std::make_unique<RadosIdentityCatalog>(*client);
        objects = std::make_unique<RadosObjectCatalog>(*client, *ledger, *blobs, *settings, lease.get());
    }
    ~Gateway() {
        client->set_applied_fault_for_tests(nullptr);
        objects.reset();
        (void)ledger->close();
    }

    // Writes `body` as a part through the blob store and commits it, as the
    // engine's writer does.
    Result<PartInfo> upload_part(const std::string& upload_id, std::uint32_t number, std::span<const std::byte> body) {
        auto w = blobs->begin_write();
        unsigned tag = 0;
        for (std::size_t at = 0; at < body.size(); at += kChunkBytes) {
            auto n = std::min(kChunkBytes, body.size() - at);
            OSTOR_TRY(w->wait(tag));
            OSTOR_TRY(w->write(body.subspan(at, n), tag, body.size() - at - n, 0));
            tag ^= 1;
        }
        auto staged = w->finish();
        if (!staged) return std::move(staged).error();
        BodyCommit commit;
        commit.record.info.size = body.size();
        commit.record.info.etag = md5_hex(body);
        commit.record.info.last_modified_ms = 1;
        commit.record.extents = staged->extents;
        FreedExtents freed;
        auto r = objects->put_part(upload_id, number, std::move(commit), freed);
        if (!r) return r;  // the writer's destruction removes what it wrote
        w->committed();
        blobs->release(freed);
        return r;
    }

    // Writes `body` through the blob store as the object (bucket, key).
    Result<ObjectInfo> put_object(const std::string& bucket, const std::string& key, std::span<const std::byte> body) {
        auto w = blobs->begin_write();
        OSTOR_TRY(w->write(body, 0, 0, 0));
        auto staged = w->finish();
        if (!staged) return std::move(staged).error();
        BodyCommit commit;
        commit.record.info.bucket = bucket;
        commit.record.info.key = key;
        commit.record.info.size = body.size();
        commit.record.info.etag = md5_hex(body);
        commit.record.info.last_modified_ms = 1;
        commit.record.extents = staged->extents;
        FreedExtents freed;
        auto r = objects->put_object(std::move(commit), {}, freed);
        if (!r) return r;
        w->committed();
        blobs->release(freed);
        return r;
    }

    // Reads the object's whole body.
    Result<std::vector<std::byte>> read_object(const std::string& bucket, const std::string& key) {
        auto rec = objects->get_object(bucket, key);
        if (!rec) return std::move(rec).error();
        std::vector<std::byte> got(rec->info.size);
        auto pins = blobs->pin(rec->extents);
        if (!pins) return std::move(pins).error();
        std::uint64_t at = 0;
        for (std::size_t i = 0; i < rec->extents.size(); ++i) {
            (*pins)->submit(rec->extents[i], 0, std::span(got).subspan(at, rec->extents[i].length), i);
            at += rec->extents[i].length;
        }
        while ((*pins)->in_flight() > 0) OSTOR_TRY((*pins)->wait());
        return got;
    }
};

class RadosUploadsTest : public ::testing::Test {
protected:
    void SetUp() override {
        a_ = std::make_unique<Gateway>();
        b_ = std::make_unique<Gateway>();
        auto u = a_->identity->create_user("uploads-" + random_hex16() + "@example.com", false, false);
        ASSERT_TRUE(u) << u.error().message();
        user_ = u->user.id;
        bucket_ = "up-" + random_hex16();
        auto bk = a_->objects->create_bucket(bucket_, user_, "", {});
        ASSERT_TRUE(bk) << bk.error().message();
        epoch_ = bk->epoch;
    }
    void TearDown() override {
        b_.reset();
        a_.reset();
    }

    std::uint64_t bucket_bytes() {
        auto u = a_->ledger->bucket_usage(LedgerBucket{bucket_, epoch_});
        EXPECT_TRUE(u) << u.error().message();
        return u ? u->bytes : ~std::uint64_t{0};
    }
    std::uint64_t user_bytes() {
        auto u = a_->ledger->usage(user_);
        EXPECT_TRUE(u) << u.error().message();
        return u ? u->bytes : ~std::uint64_t{0};
    }
    std::int64_t refs_of(std::uint64_t blob) {
        auto r = a_->client->get_xattr(Pool::Data, blob_oid(blob), std::string(kRefsXattr));
        if (!r) return -1;  // gone
        return std::stoll(*r);
    }

    std::unique_ptr<Gateway> a_, b_;
    std::string user_, bucket_;
    std::uint64_t epoch_ = 0;
};

TEST_F(RadosUploadsTest, PartsUploadedConcurrentlyThroughTwoGatewaysAreAllListed) {
    auto up = a_->objects->create_upload(bucket_, "k", {});
    ASSERT_TRUE(up) << up.error().message();
    constexpr std::uint32_t kParts = 24;
    std::atomic<int> failures{0};
    auto run = [&](Gateway& g, std::uint32_t first) {
        for (std::uint32_t n = first; n <= kParts; n += 2) {
            auto body = make_body(4096 + n, n);
            if (!g.upload_part(up->id, n, body)) ++failures;
        }
    };
    std::thread t1(run, std::ref(*a_), 1), t2(run, std::ref(*b_), 2);
    t1.join();
    t2.join();
    EXPECT_EQ(failures.load(), 0);
    auto parts = b_->objects->list_parts(up->id, 0, 1000);
    ASSERT_TRUE(parts) << parts.error().message();
    ASSERT_EQ(parts->parts.size(), kParts);
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i < kParts; ++i) {
        EXPECT_EQ(parts->parts[i].number, i + 1);
        total += parts->parts[i].size;
    }
    EXPECT_EQ(bucket_bytes(), total);
    EXPECT_EQ(user_bytes(), total);
    // Paged through the other gateway.
    auto page = a_->objects->list_parts(up->id, 10, 5);
    ASSERT_TRUE(page) << page.error().message();
    ASSERT_EQ(page->parts.size(), 5u);
    EXPECT_EQ(page->parts.front().number, 11u);
    EXPECT_TRUE(page->truncated);
    EXPECT_EQ(page->next_marker, 15u);
    FreedExtents freed;
    ASSERT_TRUE(b_->objects->abort_upload(up->id, freed));
    EXPECT_EQ(freed.size(), kParts);
    a_->blobs->release(freed);
    EXPECT_EQ(bucket_bytes(), 0u);
    EXPECT_EQ(user_bytes(), 0u);
}

TEST_F(RadosUploadsTest, AbortRacingPutPartLeavesNoPartCounted) {
    for (int round = 0; round < 8; ++round) {
        auto up = a_->objects->create_upload(bucket_, "race", {});
        ASSERT_TRUE(up) << up.error().message();
        ASSERT_TRUE(a_->upload_part(up->id, 1, make_body(8192, 1)));
        std::atomic<bool> go{false};
        std::thread parts([&] {
            while (!go) std::this_thread::yield();
            for (std::uint32_t n = 2; n < 8; ++n) (void)a_->upload_part(up->id, n, make_body(4096, n));
        });
        FreedExtents freed;
        go = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(round));
        auto r = b_->objects->abort_upload(up->id, freed);
        parts.join();
        ASSERT_TRUE(r) << r.error().message();
        b_->blobs->release(freed);
        EXPECT_EQ(a_->objects->get_upload(up->id).error().code(), Errc::NoSuchUpload);
        EXPECT_EQ(a_->objects->list_parts(up->id, 0, 10).error().code(), Errc::NoSuchUpload);
        // Whatever landed before the seal went back with the abort; nothing after it counts.
        EXPECT_EQ(bucket_bytes(), 0u) << "round " << round;
        EXPECT_EQ(user_bytes(), 0u) << "round " << round;
        // And a part after the abort is refused.
        EXPECT_EQ(b_->upload_part(up->id, 9, make_body(10, 9)).error().code(), Errc::NoSuchUpload);
    }
}

TEST_F(RadosUploadsTest, CompletedThroughOneGatewayReadsBackThroughTheOther) {
    auto up = a_->objects->create_upload(bucket_, "big", {});
    ASSERT_TRUE(up) << up.error().message();
    auto p1 = make_body(5 * kMiB, 1), p2 = make_body(5 * kMiB + 17, 2), p3 = make_body(1000, 3), p4 = make_body(999, 4);
    ASSERT_TRUE(a_->upload_part(up->id, 1, p1));
    ASSERT_TRUE(b_->upload_part(up->id, 2, make_body(6 * kMiB, 9)));  // replaced next
    ASSERT_TRUE(b_->upload_part(up->id, 2, p2));
    ASSERT_TRUE(a_->upload_part(up->id, 3, p3));
    ASSERT_TRUE(a_->upload_part(up->id, 4, p4));  // not listed: freed
    EXPECT_EQ(bucket_bytes(), p1.size() + p2.size() + p3.size() + p4.size());
    std::vector<CompletedPart> list{{1, md5_hex(p1)}, {2, md5_hex(p2)}, {3, md5_hex(p3)}};
    FreedExtents freed;
    auto info = a_->objects->complete_upload(up->id, list, std::nullopt, std::nullopt, {}, freed);
    ASSERT_TRUE(info) << info.error().message();
    a_->blobs->release(freed);
    EXPECT_EQ(info->size, p1.size() + p2.size() + p3.size());
    EXPECT_EQ(bucket_bytes(), info->size);
    EXPECT_EQ(user_bytes(), info->size);

    auto rec = b_->objects->get_object(bucket_, "big");
    ASSERT_TRUE(rec) << rec.error().message();
    EXPECT_EQ(rec->info.etag, info->etag);
    EXPECT_TRUE(rec->info.etag.ends_with("-3"));
    std::vector<std::byte> whole;
    for (auto* p : {&p1, &p2, &p3}) whole.insert(whole.end(), p->begin(), p->end());
    std::vector<std::byte> got(whole.size());
    auto pins = b_->blobs->pin(rec->extents);
    ASSERT_TRUE(pins) << pins.error().message();
    std::uint64_t at = 0;
    for (std::size_t i = 0; i < rec->extents.size(); ++i) {
        (*pins)->submit(rec->extents[i], 0, std::span(got).subspan(at, rec->extents[i].length), i);
        at += rec->extents[i].length;
    }
    while ((*pins)->in_flight() > 0) ASSERT_TRUE((*pins)->wait());
    EXPECT_TRUE(got == whole);
    // Each of the object's blobs is referenced by the object alone now.
    for (auto& x : rec->extents) EXPECT_GE(refs_of(x.segment), 1);

    // The upload is gone for both gateways; a complete sent again is NoSuchUpload.
    EXPECT_EQ(b_->objects->get_upload(up->id).error().code(), Errc::NoSuchUpload);
    FreedExtents again;
    EXPECT_EQ(b_->objects->complete_upload(up->id, list, std::nullopt, std::nullopt, {}, again).error().code(),
              Errc::NoSuchUpload);
    auto listed = b_->objects->list_uploads(bucket_, {});
    ASSERT_TRUE(listed) << listed.error().message();
    EXPECT_TRUE(listed->uploads.empty());

    FreedExtents deleted;
    ASSERT_TRUE(b_->objects->delete_object(bucket_, "big", deleted));
    b_->blobs->release(deleted);
    EXPECT_EQ(bucket_bytes(), 0u);
}

TEST_F(RadosUploadsTest, CompleteRacingAbortExactlyOneWins) {
    int completes = 0, aborts = 0;
    for (int round = 0; round < 6; ++round) {
        auto up = a_->objects->create_upload(bucket_, "contested", {});
        ASSERT_TRUE(up) << up.error().message();
        auto p1 = make_body(5 * kMiB, 10 + round), p2 = make_body(4096, 20 + round);
        ASSERT_TRUE(a_->upload_part(up->id, 1, p1));
        ASSERT_TRUE(b_->upload_part(up->id, 2, p2));
        std::vector<CompletedPart> list{{1, md5_hex(p1)}, {2, md5_hex(p2)}};
        std::atomic<bool> go{false};
        Result<ObjectInfo> completed = Error(Errc::Internal, "not run");
        FreedExtents completed_freed;
        std::thread t([&] {
            while (!go) std::this_thread::yield();
            completed = a_->objects->complete_upload(up->id, list, std::nullopt, std::nullopt, {}, completed_freed);
        });
        FreedExtents aborted_freed;
        go = true;
        // Odd rounds give the complete a head start, so that both orders are seen.
        if (round % 2) std::this_thread::sleep_for(std::chrono::milliseconds(1 + round));
        auto aborted = b_->objects->abort_upload(up->id, aborted_freed);
        t.join();
        ASSERT_NE(static_cast<bool>(completed), static_cast<bool>(aborted))
            << "round " << round << ": " << (completed ? "both won" : completed.error().message());
        if (completed) {
            ++completes;
            EXPECT_EQ(aborted.error().code(), Errc::NoSuchUpload);
            a_->blobs->release(completed_freed);
            auto rec = b_->objects->get_object(bucket_, "contested");
            ASSERT_TRUE(rec) << rec.error().message();
            // The object's extents are still referenced after the parts' release.
            for (auto& x : rec->extents) EXPECT_GE(refs_of(x.segment), 1);
            EXPECT_EQ(bucket_bytes(), rec->info.size);
            FreedExtents deleted;
            ASSERT_TRUE(a_->objects->delete_object(bucket_, "contested", deleted));
            a_->blobs->release(deleted);
        } else {
            ++aborts;
            EXPECT_EQ(completed.error().code(), Errc::NoSuchUpload) << completed.error().message();
            b_->blobs->release(aborted_freed);
            EXPECT_EQ(b_->objects->get_object(bucket_, "contested").error().code(), Errc::NoSuchKey);
        }
        EXPECT_EQ(bucket_bytes(), 0u) << "round " << round;
        EXPECT_EQ(user_bytes(), 0u) << "round " << round;
    }
    std::printf("complete won %d, abort won %d\n", completes, aborts);
}

TEST_F(RadosUploadsTest, ListUploadsInKeyThenBeginOrderAcrossGateways) {
    std::vector<std::string> ids;
    for (auto key : {"b", "a", "b", "c/x", "c/y", "a"}) {
        auto& g = ids.size() % 2 ? *b_ : *a_;
        auto up = g.objects->create_upload(bucket_, key, {});
        ASSERT_TRUE(up) << up.error().message();
        ids.push_back(up->id);
    }
    ListUploadsParams p;
    p.delimiter = "/";
    auto all = b_->objects->list_uploads(bucket_, p);
    ASSERT_TRUE(all) << all.error().message();
    ASSERT_EQ(all->uploads.size(), 4u);
    EXPECT_EQ(all->uploads[0].id, ids[1]);
    EXPECT_EQ(all->uploads[1].id, ids[5]);
    EXPECT_EQ(all->uploads[2].id, ids[0]);
    EXPECT_EQ(all->uploads[3].id, ids[2]);
    ASSERT_EQ(all->common_prefixes.size(), 1u);
    EXPECT_EQ(all->common_prefixes[0], "c/");
    // Paged with markers.
    p.max_uploads = 1;
    p.key_marker = "a";
    p.upload_id_marker = ids[1];
    auto page = a_->objects->list_uploads(bucket_, p);
    ASSERT_TRUE(page) << page.error().message();
    ASSERT_EQ(page->uploads.size(), 1u);
    EXPECT_EQ(page->uploads[0].id, ids[5]);
    EXPECT_TRUE(page->truncated);
    // An aborted upload is no longer listed.
    FreedExtents freed;
    ASSERT_TRUE(a_->objects->abort_upload(ids[5], freed));
    p = {};
    auto after = b_->objects->list_uploads(bucket_, p);
    ASSERT_TRUE(after) << after.error().message();
    EXPECT_EQ(after->uploads.size(), 5u);
    for (auto& id : ids)
        if (id != ids[5]) {
            ASSERT_TRUE(a_->objects->abort_upload(id, freed));
        }
}

TEST_F(RadosUploadsTest, KeysHoldingNulListInS3Order) {
    using namespace std::string_literals;
    // In S3's (bytewise) order; each begun twice, from both gateways.
    const std::vector<std::string> keys{"K"s, "K\0"s, "K\0\0"s, "K\0b"s, "K\x01"s, "L"s};
    std::vector<std::string> expected;
    for (auto& k : keys)
        for (auto* g : {a_.get(), b_.get()}) {
            auto up = g->objects->create_upload(bucket_, k, {});
            ASSERT_TRUE(up) << up.error().message();
            expected.push_back(up->id);
        }
    // Begun in reverse order of keys too: the index, not the creation order, sorts.
    auto all = a_->objects->list_uploads(bucket_, {});
    ASSERT_TRUE(all) << all.error().message();
    std::vector<std::string> got;
    for (auto& u : all->uploads) got.push_back(u.id);
    EXPECT_EQ(got, expected);
    // A key marker skips only that key's uploads, not those of keys extending it.
    ListUploadsParams p;
    p.key_marker = "K";
    auto after = b_->objects->list_uploads(bucket_, p);
    ASSERT_TRUE(after) << after.error().message();
    ASSERT_EQ(after->uploads.size(), expected.size() - 2);
    EXPECT_EQ(after->uploads.front().key, "K\0"s);
    FreedExtents freed;
    for (auto& id : expected) ASSERT_TRUE(a_->objects->abort_upload(id, freed));
}

TEST_F(RadosUploadsTest, CopiedPartSurvivesItsSourceAfterComplete) {
    auto src = make_body(5 * kMiB + 3, 7);
    auto put = a_->put_object(bucket_, "src", src);
    ASSERT_TRUE(put) << put.error().message();
    auto up = b_->objects->create_upload(bucket_, "dst", {});
    ASSERT_TRUE(up) << up.error().message();
    FreedExtents freed;
    // A source that changed since the caller read it is refused.
    ObjectInfo stale = *put;
    stale.etag = "0123";
    EXPECT_EQ(b_->objects->copy_part(up->id, 1, bucket_, "src", {}, stale, md5_hex(src), freed).error().code(),
              Errc::InvalidArgument);
    auto part = b_->objects->copy_part(up->id, 1, bucket_, "src", {}, *put, md5_hex(src), freed);
    ASSERT_TRUE(part) << part.error().message();
    auto tail = make_body(100, 8);
    ASSERT_TRUE(b_->upload_part(up->id, 2, tail));
    EXPECT_EQ(bucket_bytes(), 2 * src.size() + tail.size());
    auto info = a_->objects->complete_upload(up->id, {{1, md5_hex(src)}, {2, md5_hex(tail)}}, std::nullopt,
                                             std::nullopt, {}, freed);
    ASSERT_TRUE(info) << info.error().message();
    a_->blobs->release(freed);
    FreedExtents deleted;
    ASSERT_TRUE(a_->objects->delete_object(bucket_, "src", deleted));
    a_->blobs->release(deleted);
    EXPECT_EQ(bucket_bytes(), info->size);
    auto got = b_->read_object(bucket_, "dst");
    ASSERT_TRUE(got) << got.error().message();
    std::vector<std::byte> whole = src;
    whole.insert(whole.end(), tail.begin(), tail.end());
    EXPECT_TRUE(*got == whole);
    ASSERT_TRUE(a_->objects->delete_object(bucket_, "dst", deleted));
    a_->blobs->release(deleted);
    EXPECT_EQ(bucket_bytes(), 0u);
}

// A complete that stopped after its seal (a crash): a young seal keeps
// aborts off, a stale one is taken over, and the abort gives the parts'
// bytes back only when the object was not committed.
TEST_F(RadosUploadsTest, AbortTakesOverAStoppedComplete) {
    auto seal_as_complete = [&](const std::string& id, TimestampMs at, std::optional<Extent> first) {
        Seal seal{Seal::Kind::Complete, at, std::nullopt, {}, true};
        if (first) seal.first_extent = std::make_pair(first->segment, first->offset);
        WriteOp op;
        op.omap_set(std::string(kUploadClosingKey), encode_seal(seal));
        ASSERT_TRUE(a_->client->apply(Pool::Meta, upload_oid(id), op));
    };
    const auto stale_ms = now_ms() - kStaleCompleteSeal.count() - 1000;
    auto body = make_body(6000, 3);

    // Stopped before its commit.
    auto up = a_->objects->create_upload(bucket_, "stopped", {});
    ASSERT_TRUE(up) << up.error().message();
    ASSERT_TRUE(a_->upload_part(up->id, 1, body));
    seal_as_complete(up->id, now_ms(), std::nullopt);
    FreedExtents freed;
    EXPECT_EQ(b_->objects->get_upload(up->id).error().code(), Errc::NoSuchUpload);
    EXPECT_EQ(b_->objects->abort_upload(up->id, freed).error().code(), Errc::NoSuchUpload);  // may be running
    EXPECT_EQ(bucket_bytes(), body.size());
    seal_as_complete(up->id, stale_ms, std::nullopt);
    ASSERT_TRUE(b_->objects->abort_upload(up->id, freed));
    EXPECT_EQ(freed.size(), 1u);
    b_->blobs->release(freed);
    // A stale complete's parts' bytes never go back (it may have counted
    // them out): too high, the recount's to repair.
    EXPECT_EQ(bucket_bytes(), body.size());

    // Stopped after its commit: the object holds the parts' extents.
    const std::uint64_t leftover = bucket_bytes();
    auto up2 = a_->objects->create_upload(bucket_, "committed", {});
    ASSERT_TRUE(up2) << up2.error().message();
    auto part = a_->upload_part(up2->id, 1, body);
    ASSERT_TRUE(part);
    auto parts = a_->client->omap_get(Pool::Meta, upload_oid(up2->id), {part_key(1)});
    ASSERT_TRUE(parts);
    auto rec = decode_part(parts->at(part_key(1)));
    ASSERT_TRUE(rec);
    seal_as_complete(up2->id, stale_ms, rec->extents.front());
    ASSERT_TRUE(a_->blobs->add_refs(rec->extents));
    auto sb = a_->objects->load_bucket(bucket_);
    ASSERT_TRUE(sb);
    ObjectRecord obj;
    obj.info.key = "committed";
    obj.info.size = body.size();
    obj.info.etag = "x-1";
    obj.extents = rec->extents;
    FreedExtents replaced;
    ASSERT_TRUE(
        a_->objects->commit_object(*sb, obj, {}, std::nullopt, -static_cast<std::int64_t>(body.size()), replaced));
    EXPECT_EQ(bucket_bytes(), leftover + body.size());
    EXPECT_EQ(b_->objects->abort_upload(up2->id, freed).error().code(), Errc::NoSuchUpload);  // it was completed
    b_->blobs->release(freed);
    EXPECT_EQ(bucket_bytes(), leftover + body.size());  // not given back twice
    auto got = b_->read_object(bucket_, "committed");
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_TRUE(*got == body);
    EXPECT_EQ(a_->client->stat(Pool::Meta, upload_oid(up2->id)).error().code(), kNotFound);
    FreedExtents deleted;
    ASSERT_TRUE(a_->objects->delete_object(bucket_, "committed", deleted));
    a_->blobs->release(deleted);
    EXPECT_EQ(bucket_bytes(), leftover);
}

// A complete that stopped after its seal in an engine instance that then
// died (its own connection; its lease of 3 s abandoned): while the instance
// lives, and while its lease object stays (its lock expired but no sweep
// adopted it: a paused process could still commit), abort leaves the seal to
// it; once a sweep adopted the instance (fenced it, removed its lease
// object), abort takes the seal over at once rather than after
// kStaleCompleteSeal.
TEST_F(RadosUploadsTest, AbortTakesOverTheSealOfACompleteWhoseInstanceDied) {
    auto c = std::make_unique<Gateway>(RadosLeases::Options{3000ms, "", 500ms});
    auto body = make_body(6000, 5);
    auto up = c->objects->create_upload(bucket_, "orphan", {});
    ASSERT_TRUE(up) << up.error().message();
    auto part = c->upload_part(up->id, 1, body);
    ASSERT_TRUE(part) << part.error().message();
    // Its index write fails after it applied, and b overwrites the key
    // meanwhile: the outcome stays unknown, the complete keeps its seal.
    auto armed = std::make_shared<bool>(true);
    c->client->set_applied_fault_for_tests([&, armed](Pool p, const std::string&, const WriteOp&) {
        if (!*armed || p != Pool::Index) return false;
        *armed = false;
        auto other = make_body(100, 6);
        EXPECT_TRUE(b_->put_object(bucket_, "orphan", other));
        return true;
    });
    FreedExtents freed;
    auto done = c->objects->complete_upload(up->id, {{1, part->etag}}, std::nullopt, std::nullopt, {}, freed);
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code(), Errc::IoError);
    auto sealed = a_->client->omap_get(Pool::Meta, upload_oid(up->id), {std::string(kUploadClosingKey)});
    ASSERT_TRUE(sealed);
    auto seal = decode_seal(sealed->at(std::string(kUploadClosingKey)));
    ASSERT_TRUE(seal);
    EXPECT_EQ(seal->instance, c->lease->instance_id());

    // Alive: the complete may still be running.
    EXPECT_EQ(b_->objects->abort_upload(up->id, freed).error().code(), Errc::NoSuchUpload);
    c->lease->abandon_for_test();
    const std::string dead = c->lease->instance_id();
    // Its lock expires; without an adoption the seal is still the complete's.
    std::unique_ptr<AdoptedLease> adopted;
    const auto died = std::chrono::steady_clock::now();
    while (!adopted && std::chrono::steady_clock::now() - died < 15s) {
        std::this_thread::sleep_for(200ms);
        adopted = b_->lease->adopt_if_dead(dead);
    }
    ASSERT_TRUE(adopted) << "the abandoned lease was not adoptable within 15 s";
    EXPECT_EQ(b_->objects->abort_upload(up->id, freed).error().code(), Errc::NoSuchUpload);
    adopted.reset();  // what a sweep does last: the lease object goes
    ASSERT_EQ(a_->client->stat(Pool::Meta, lease_oid(dead)).error().code(), kNotFound);
    auto aborted = b_->objects->abort_upload(up->id, freed);
    ASSERT_TRUE(aborted) << aborted.error().message();
    b_->blobs->release(freed);
    EXPECT_EQ(a_->client->stat(Pool::Meta, upload_oid(up->id)).error().code(), kNotFound);
    // The object at the key is b's; the part's data is referenced by nothing.
    auto got = b_->read_object(bucket_, "orphan");
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(got->size(), 100u);
    c->client->set_applied_fault_for_tests(nullptr);
}

// A complete whose engine instance dies right after its commit point (its
// connection fenced from inside the fault hook of its index write, its
// lease abandoned: nothing it sends after lands, as after a SIGKILL): once
// a sweep adopted the instance, the ledgers count the object instead of its
// parts, exactly, and nothing is reserved.
TEST_F(RadosUploadsTest, ACompleteCutOffAfterItsCommitPointIsCountedByTheAdopter) {
    auto before = make_body(3000, 8);
    ASSERT_TRUE(a_->put_object(bucket_, "before", before));
    auto c = std::make_unique<Gateway>(RadosLeases::Options{3000ms, "", 500ms});
    const std::string dead = c->lease->instance_id();
    auto up = c->objects->create_upload(bucket_, "done", {});
    ASSERT_TRUE(up) << up.error().message();
    auto body = make_body(7000, 9);
    auto part = c->upload_part(up->id, 1, body);
    ASSERT_TRUE(part) << part.error().message();
    bool killed = false;
    c->client->set_applied_fault_for_tests([&](Pool p, const std::string&, const WriteOp&) {
        if (p == Pool::Index && !killed) {
            killed = true;
            c->lease->abandon_for_test();
            fence_now(*b_->client, *c->client);
        }
        return false;
    });
    FreedExtents freed;
    (void)c->objects->complete_upload(up->id, {{1, part->etag}}, std::nullopt, std::nullopt, {}, freed);
    ASSERT_TRUE(killed);
    auto got = b_->read_object(bucket_, "done");
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_TRUE(*got == body);
    const auto died = std::chrono::steady_clock::now();
    for (;;) {
        auto swept = b_->ledger->drop_dead_reservations(*b_->lease);
        ASSERT_TRUE(swept) << swept.error().message();
        auto lease = b_->client->stat(Pool::Meta, lease_oid(dead));
        if (!lease && lease.error().code() == kNotFound) break;
        ASSERT_LT(std::chrono::steady_clock::now() - died, 20s) << "never adopted";
        std::this_thread::sleep_for(200ms);
    }
    EXPECT_EQ(bucket_bytes(), 10000u);
    EXPECT_EQ(user_bytes(), 10000u);
    auto usage = a_->ledger->usage(user_);
    ASSERT_TRUE(usage) << usage.error().message();
    EXPECT_EQ(usage->objects, 2u);
    EXPECT_EQ(usage->reserved, 0u);
    auto bucket = a_->ledger->bucket_usage(LedgerBucket{bucket_, epoch_});
    ASSERT_TRUE(bucket) << bucket.error().message();
    EXPECT_EQ(bucket->objects, 2u);
    EXPECT_EQ(bucket->reserved, 0u);
}

TEST_F(RadosUploadsTest, ScrubSeesPartsAndDeleteBucketDropsUploads) {
    auto up1 = a_->objects->create_upload(bucket_, "one", {});
    auto up2 = b_->objects->create_upload(bucket_, "two", {});
    ASSERT_TRUE(up1 && up2);
    ASSERT_TRUE(a_->upload_part(up1->id, 1, make_body(3000, 1)));
    ASSERT_TRUE(a_->upload_part(up1->id, 2, make_body(3000, 2)));
    ASSERT_TRUE(b_->upload_part(up2->id, 7, make_body(3000, 3)));
    std::set<std::string> names;
    auto scanned = b_->objects->scan_bodies([&](std::vector<StoredBody>& batch) -> Result<void> {
        for (auto& body : batch) {
            EXPECT_FALSE(body.damaged_record) << body.name;
            EXPECT_EQ(body.extents.size(), 1u) << body.name;
            if (body.name.starts_with("upload ")) names.insert(body.name);
        }
        return {};
    });
    ASSERT_TRUE(scanned) << scanned.error().message();
    EXPECT_TRUE(names.contains("upload " + up1->id + " part 1"));
    EXPECT_TRUE(names.contains("upload " + up1->id + " part 2"));
    EXPECT_TRUE(names.contains("upload " + up2->id + " part 7"));
    EXPECT_EQ(bucket_bytes(), 9000u);

    FreedExtents freed;
    ASSERT_TRUE(b_->objects->delete_bucket(bucket_, freed));
    EXPECT_EQ(freed.size(), 3u);
    b_->blobs->release(freed);
    EXPECT_EQ(user_bytes(), 0u);
    EXPECT_EQ(a_->objects->get_upload(up1->id).error().code(), Errc::NoSuchUpload);
    EXPECT_EQ(a_->objects->get_upload(up2->id).error().code(), Errc::NoSuchUpload);
    EXPECT_EQ(a_->objects->create_upload(bucket_, "three", {}).error().code(), Errc::NoSuchBucket);
    // A bucket of the same name is a new incarnation: no uploads.
    ASSERT_TRUE(a_->objects->create_bucket(bucket_, user_, "", {}));
    auto listed = a_->objects->list_uploads(bucket_, {});
    ASSERT_TRUE(listed) << listed.error().message();
    EXPECT_TRUE(listed->uploads.empty());
}

// A delete_bucket closes the uploads index before its walk over the
// uploads: an upload begun, or a part written, from then on is refused and
// leaves nothing (the window is entered from the fault hook of the walk's
// first seal, a write that landed). The delete cannot end while the hook
// runs: the refusal is the retryable one after the wait (IoError), not
// NoSuchBucket, which is for a bucket whose record is gone.
TEST_F(RadosUploadsTest, UploadsAndPartsDuringADeleteBucketAreRefusedAndLeaveNothing) {
    auto first = a_->objects->create_upload(bucket_, "a-first", {});
    auto second = a_->objects->create_upload(bucket_, "z-second", {});
    ASSERT_TRUE(first && second);
    ASSERT_TRUE(a_->upload_part(first->id, 1, make_body(3000, 1)));
    ASSERT_TRUE(a_->upload_part(second->id, 1, make_body(3000, 2)));
    std::set<std::string> uploads_written;  // upload objects a_ wrote from here on
    a_->client->set_applied_fault_for_tests([&](Pool p, const std::string& oid, const WriteOp&) {
        if (p == Pool::Meta && oid.starts_with("upload.")) uploads_written.insert(oid);
        return false;
    });
    bool in_window = false;
    b_->client->set_applied_fault_for_tests([&](Pool p, const std::string& oid, const WriteOp&) {
        if (in_window || p != Pool::Meta || oid != upload_oid(first->id)) return false;
        in_window = true;  // the walk sealed "a-first"; "z-second" is still open
        auto late = a_->objects->create_upload(bucket_, "late", {});
        EXPECT_FALSE(late) << "an upload begun while its bucket is deleted";
        if (!late) {
            EXPECT_EQ(late.error().code(), Errc::IoError) << late.error().message();
        }
        auto part = a_->upload_part(second->id, 2, make_body(5000, 3));
        EXPECT_FALSE(part) << "a part written while its bucket is deleted";
        if (!part) {
            EXPECT_EQ(part.error().code(), Errc::IoError) << part.error().message();
        }
        return false;
    });
    FreedExtents freed;
    auto deleted = b_->objects->delete_bucket(bucket_, freed);
    ASSERT_TRUE(deleted) << deleted.error().message();
    b_->blobs->release(freed);
    ASSERT_TRUE(in_window);
    EXPECT_EQ(freed.size(), 2u);
    // Nothing leaks: no upload object is left, no byte counted.
    EXPECT_EQ(user_bytes(), 0u);
    auto gone = [&](const std::string& oid) {
        auto st = a_->client->stat(Pool::Meta, oid);
        return !st && st.error().code() == kNotFound;
    };
    EXPECT_TRUE(gone(upload_oid(first->id)));
    EXPECT_TRUE(gone(upload_oid(second->id)));
    EXPECT_FALSE(uploads_written.empty()) << "the refused create wrote its object first";
    for (const auto& oid : uploads_written) EXPECT_TRUE(gone(oid)) << oid;
    // The bucket gone: NoSuchBucket.
    auto after = a_->objects->create_upload(bucket_, "after", {});
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().code(), Errc::NoSuchBucket) << after.error().message();
}

// A PUT that meets a shard closed by a delete under way (here, while the
// delete drops the bucket's uploads, which cannot end while the hook runs)
// waits for the delete's outcome a bounded time (kClosedShardWait), then answers
// a retryable IoError, not NoSuchBucket: the delete may still fail and
// reopen. Once the record is gone, a PUT answers NoSuchBucket.
TEST_F(RadosUploadsTest, APutDuringADeleteBucketsWalkOfUploadsIsRetryable) {
    auto up = a_->objects->create_upload(bucket_, "open", {});
    ASSERT_TRUE(up) << up.error().message();
    bool in_window = false;
    b_->client->set_applied_fault_for_tests([&](Pool p, const std::string& oid, const WriteOp&) {
        if (in_window || p != Pool::Meta || oid != upload_oid(up->id)) return false;
        in_window = true;
        const auto sent = std::chrono::steady_clock::now();
        auto put = a_->put_object(bucket_, "during", make_body(2000, 4));
        EXPECT_FALSE(put) << "an object written while its bucket is deleted";
        if (!put) {
            EXPECT_EQ(put.error().code(), Errc::IoError) << put.error().message();
        }
        const auto took = std::chrono::steady_clock::now() - sent;
        EXPECT_GE(took, kClosedShardWait) << "answered without waiting for the delete";
        EXPECT_LT(took, kClosedShardWait + 2s) << "waited past its bound";
        return false;
    });
    FreedExtents freed;
    auto deleted = b_->objects->delete_bucket(bucket_, freed);
    ASSERT_TRUE(deleted) << deleted.error().message();
    b_->blobs->release(freed);
    ASSERT_TRUE(in_window);
    EXPECT_EQ(user_bytes(), 0u);
    auto usage = a_->ledger->usage(user_);
    ASSERT_TRUE(usage) << usage.error().message();
    EXPECT_EQ(usage->objects, 0u);
    auto after = a_->put_object(bucket_, "after", make_body(100, 5));
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().code(), Errc::NoSuchBucket) << after.error().message();
}

// A create_upload whose entry loses its guard to a close mark and cannot
// read the mark answers the read's error (IoError), never the guard's
// PreconditionFailed (412, which an S3 client takes for its own condition),
// and leaves no upload object.
TEST_F(RadosUploadsTest, ACreateUploadThatCannotReadTheCloseMarkAnswersTheReadsError) {
    const std::string index = uploads_oid(bucket_, epoch_);
    const std::string mark = shard_closed_value(now_ms(), "unread", b_->lease->instance_id());
    ASSERT_TRUE(b_->client->apply(Pool::Index, index, WriteOp().omap_set(std::string(kShardClosedKey), mark)));
    std::set<std::string> uploads_written;
    a_->client->set_applied_fault_for_tests([&](Pool p, const std::string& oid, const WriteOp&) {
        if (p == Pool::Meta && oid.starts_with("upload.")) uploads_written.insert(oid);
        return false;
    });
    a_->client->set_read_fault_for_tests(
        [&](Pool p, const std::string& oid) { return p == Pool::Index && oid == index; });
    auto up = a_->objects->create_upload(bucket_, "k", {});
    a_->client->set_read_fault_for_tests(nullptr);
    a_->client->set_applied_fault_for_tests(nullptr);
    ASSERT_FALSE(up);
    EXPECT_EQ(up.error().code(), Errc::IoError) << up.error().message();
    ASSERT_FALSE(uploads_written.empty());
    for (const auto& oid : uploads_written)
        EXPECT_EQ(a_->client->stat(Pool::Meta, oid).error().code(), kNotFound) << oid;
}

// A mark that a delete leaves and then takes back (as a delete that found
// an object, or gave up, reopens): a PUT that met it waits and commits.
TEST_F(RadosUploadsTest, APutMeetingACloseThatIsTakenBackCommits) {
    auto sb = a_->objects->load_bucket(bucket_);
    ASSERT_TRUE(sb) << sb.error().message();
    const std::string mark = shard_closed_value(now_ms(), "reopened", b_->lease->instance_id());
    std::vector<std::string> shards;
    for (std::uint32_t i = 0; i < sb->shards; ++i) shards.push_back(index_oid(bucket_, epoch_, i));
    for (auto& oid : shards)
        ASSERT_TRUE(b_->client->apply(Pool::Index, oid, WriteOp().omap_set(std::string(kShardClosedKey), mark)));
    std::thread reopen([&] {
        std::this_thread::sleep_for(400ms);
        for (auto& oid : shards)
            EXPECT_TRUE(b_->client->apply(Pool::Index, oid,
                                          WriteOp()
                                              .compare_omap(std::string(kShardClosedKey), Compare::Eq, mark)
                                              .omap_remove(std::string(kShardClosedKey))));
    });
    auto put = a_->put_object(bucket_, "k", make_body(100, 7));
    reopen.join();
    ASSERT_TRUE(put) << put.error().message();
    ASSERT_TRUE(b_->read_object(bucket_, "k"));
}

// A delete's mark names its engine instance: while that instance lives,
// the mark holds however old its time reads (a committer whose clock runs
// far ahead of the deleter's sees it as old): a PUT waits and answers a
// retryable IoError, and the mark stays. Once the instance is gone (its
// lease object removed: it can send nothing more), the mark is a crashed
// delete's: the next PUT removes it and commits.
TEST_F(RadosUploadsTest, ACloseMarkHoldsWhileItsInstanceLivesWhateverItsAge) {
    auto c = std::make_unique<Gateway>();
    auto sb = a_->objects->load_bucket(bucket_);
    ASSERT_TRUE(sb) << sb.error().message();
    const std::string old_mark =
        shard_closed_value(now_ms() - kStaleShardClosedMs - 3600'000, "ahead", c->lease->instance_id());
    ASSERT_TRUE(shard_closed_stale(old_mark, now_ms()));  // by its age alone, it would be taken
    const std::string key = "k";
    const std::string oid = index_oid(bucket_, epoch_, index_shard_of(key, sb->shards));
    ASSERT_TRUE(c->client->apply(Pool::Index, oid, WriteOp().omap_set(std::string(kShardClosedKey), old_mark)));
    auto put = a_->put_object(bucket_, key, make_body(100, 8));
    ASSERT_FALSE(put) << "a PUT into a shard a live delete holds closed";
    EXPECT_EQ(put.error().code(), Errc::IoError) << put.error().message();
    auto mark = a_->client->omap_get(Pool::Index, oid, {std::string(kShardClosedKey)});
    ASSERT_TRUE(mark);
    EXPECT_EQ(value_of(*mark, kShardClosedKey), old_mark);
    const std::string instance = c->lease->instance_id();
    c.reset();  // closed cleanly: its lease object goes
    ASSERT_EQ(a_->client->stat(Pool::Meta, lease_oid(instance)).error().code(), kNotFound);
    auto again = a_->put_object(bucket_, key, make_body(100, 9));
    ASSERT_TRUE(again) << again.error().message();
    mark = a_->client->omap_get(Pool::Index, oid, {std::string(kShardClosedKey)});
    ASSERT_TRUE(mark);
    EXPECT_EQ(value_of(*mark, kShardClosedKey), "");
}

}  // namespace
}  // namespace ostor::detail::rados
