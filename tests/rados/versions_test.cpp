// Versioning on RADOS (docs/versioning.md, step 4): writers on connections
// of their own racing on one key leave a head that agrees with the key's
// entries; a gateway whose cached bucket record still says Off meets a
// versioned key and plans as versioned; a marker whose reply is lost is
// proven by its entry; a dead writer's commit hidden by a marker is still
// settled from the index; the recount counts noncurrent versions; a second
// engine sees a state change at once; a cached "lock off" is read again
// before a lock is refused or dropped. The behaviours shared with the local
// backend are tests/unit/test_versions.cpp's, run here by unit-on-rados.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "rados/catalog_support.hpp"
#include "rados/object_layout.hpp"
#include "recount_fixture.hpp"
#include "storage/notifier.hpp"
#include "versions/version_ids.hpp"

namespace ostor::detail::rados::recount_test {
namespace {

// A notifier that never tells this process of a change while its caches
// serve: a gateway whose announcement has not arrived yet.
class DeafNotifier final : public Notifier {
public:
    void changed(ChangeKind, std::string_view) override {}
    void subscribe(std::function<void(ChangeKind, std::string_view)>) override {}
    bool caches_may_serve() const override { return true; }
};

class RadosVersionsTest : public RadosRecountTest {
protected:
    void enable() { ASSERT_OK(gw1_->objects->set_bucket_versioning(bucket_, VersioningState::Enabled)); }
    std::string shard_of(const std::string& key) const {
        return index_oid(bucket_, epoch_, index_shard_of(key, kDefaultIndexShards));
    }
    Result<ObjectInfo> put_as(RadosObjectCatalog& objects, const std::string& key, std::uint64_t size) {
        FreedExtents freed;
        return objects.put_object(body(key, size), {}, freed);
    }
    Result<DeleteResult> delete_as(RadosObjectCatalog& objects, const std::string& key, std::string version_id = {}) {
        FreedExtents freed;
        DeleteOptions options;
        options.version_id = std::move(version_id);
        return objects.delete_version(bucket_, key, options, freed);
    }
    // A catalog of `gw`'s that keeps serving the bucket record it read first
    // (a gateway that missed a change's announcement); `gw` outlives it.
    std::unique_ptr<RadosObjectCatalog> deaf_catalog(Gateway& gw) {
        return std::make_unique<RadosObjectCatalog>(*gw.client, *gw.ledger, *gw.blobs, *gw.settings, gw.leases.get(),
                                                    &deaf_);
    }

    DeafNotifier deaf_;
};

// Every entry of the key in its shard, checked against its head: the
// newest instance, whether it is a marker, the current the newest when
// there is one, the null version where the head says, every inline body
// of a version in its w entry. Returns the records of the key's versions
// (the current first, when there is one).
std::vector<ObjectRecord> expect_head_agrees(Client& client, const std::string& oid, const std::string& key) {
    std::vector<ObjectRecord> all;
    auto omap = read_whole_omap(client, Pool::Index, oid);
    EXPECT_TRUE(omap) << omap.error().message();
    if (!omap) return all;
    std::optional<ObjectRecord> current;
    if (omap->contains(record_key(key))) {
        current = decode_object(omap->at(record_key(key)), false);
        EXPECT_TRUE(current);
        if (current) all.push_back(*current);
    }
    const std::string prefix = versions_prefix(key);
    std::vector<ObjectRecord> versions;
    for (auto it = omap->lower_bound(prefix); it != omap->end() && it->first.starts_with(prefix); ++it) {
        auto rec = decode_object(it->second, false);
        EXPECT_TRUE(rec) << "a version record does not decode";
        if (!rec) continue;
        EXPECT_EQ(it->first, version_key(key, rec->instance));
        if ((rec->body_id & kInlineBodyMark) != 0) {
            EXPECT_TRUE(omap->contains(version_body_key(key, rec->instance))) << "no body of " << rec->instance;
        }
        versions.push_back(*rec);
        all.push_back(*rec);
    }
    const auto head_at = omap->find(head_key(key));
    if (!current && versions.empty()) {
        EXPECT_EQ(head_at, omap->end()) << "a head with nothing under it";
        return all;
    }
    EXPECT_NE(head_at, omap->end()) << "versions without a head";
    if (head_at == omap->end()) return all;
    auto head = decode_version_head(head_at->second);
    EXPECT_TRUE(head);
    if (!head) return all;
    // Instances sort newest first: the listing's first is the newest version entry.
    std::string newest = versions.empty() ? std::string() : versions.front().instance;
    if (current) {
        for (const auto& v : versions) EXPECT_GT(v.instance, current->instance) << "a version newer than the current";
        newest = current->instance;
    }
    EXPECT_EQ(head->newest, newest);
    EXPECT_EQ(head->newest_is_marker, !current);
    if (!current) {
        EXPECT_TRUE(versions.front().info.delete_marker);
    }
    for (const auto& v : versions) {
        if (v.null_version) {
            EXPECT_EQ(head->null_instance, v.instance);
        }
    }
    if (!head->null_instance.empty()) {
        const bool named = std::any_of(versions.begin(), versions.end(), [&](const ObjectRecord& v) {
            return v.instance == head->null_instance && v.null_version;
        });
        EXPECT_TRUE(named) << "the head's null version " << head->null_instance << " is no entry";
    }
    return all;
}

TEST_F(RadosVersionsTest, PutsAndDeletesRacingOnOneKeyLeaveAHeadThatAgreesWithTheEntries) {
    ASSERT_NO_FATAL_FAILURE(enable());
    Gateway gw2;
    constexpr int kRounds = 20;
    const std::string key = "raced";
    std::uint64_t bytes = 0;
    for (int i = 1; i <= kRounds; ++i) bytes += static_cast<std::uint64_t>(i);
    std::thread putter([&] {
        for (int i = 1; i <= kRounds; ++i) {
            auto r = put_as(*gw1_->objects, key, static_cast<std::uint64_t>(i));
            EXPECT_TRUE(r) << r.error().message();
            if (r) {
                EXPECT_EQ(r->version_id.size(), kInstanceChars);
            }
        }
    });
    std::thread deleter([&] {
        for (int i = 0; i < kRounds; ++i) {
            auto r = delete_as(*gw2.objects, key);
            EXPECT_TRUE(r) << r.error().message();
            if (r) {
                EXPECT_TRUE(r->delete_marker);
            }
        }
    });
    putter.join();
    deleter.join();
    auto all = expect_head_agrees(*gw1_->client, shard_of(key), key);
    ASSERT_EQ(all.size(), std::size_t{2 * kRounds});  // every version kept, none lost to the race
    const auto markers = std::count_if(all.begin(), all.end(), [](auto& r) { return r.info.delete_marker; });
    EXPECT_EQ(markers, kRounds);
    expect_ledgers(bytes, kRounds);  // markers count nothing

    // Removals by id racing on both gateways, newest first: promotion keeps
    // the head true after each.
    std::vector<std::string> ids;
    for (auto& r : all) ids.push_back(r.instance);
    std::sort(ids.begin(), ids.end());
    std::thread first([&] {
        for (std::size_t i = 0; i < ids.size(); i += 2) {
            auto r = delete_as(*gw1_->objects, key, ids[i]);
            EXPECT_TRUE(r) << r.error().message();
        }
    });
    std::thread second([&] {
        for (std::size_t i = 1; i < ids.size(); i += 2) {
            auto r = delete_as(*gw2.objects, key, ids[i]);
            EXPECT_TRUE(r) << r.error().message();
        }
    });
    first.join();
    second.join();
    EXPECT_TRUE(expect_head_agrees(*gw1_->client, shard_of(key), key).empty());
    expect_ledgers(0, 0);
    FreedExtents freed;
    EXPECT_TRUE(gw1_->objects->delete_bucket(bucket_, freed));
}

// Bodies above the inline limit, each with an extent of its own: racing
// versioned writes, Suspended writes and markers replacing the null
// version, and removals by id on two gateways free each extent exactly once,
// and only once no entry references it.
TEST_F(RadosVersionsTest, RacingChangesFreeEachExtentOnceAndOnlyWhenUnreferenced) {
    using Key = std::pair<std::uint64_t, std::uint64_t>;  // segment, offset
    const std::string key = "big";
    std::mutex mu;
    std::set<Key> written;
    std::vector<Key> freed_all;
    std::atomic<std::uint64_t> next{1};
    auto gather = [&](const FreedExtents& freed) {
        std::lock_guard lock(mu);
        for (const auto& e : freed) freed_all.emplace_back(e.segment, e.offset);
    };
    auto put_big = [&](RadosObjectCatalog& objects) {
        const std::uint64_t n = next++;
        BodyCommit b = body(key, kInlineMaxBytes + n);
        b.record.extents.at(0).offset = n << 24;  // this body's own
        {
            std::lock_guard lock(mu);
            written.emplace(b.record.extents[0].segment, b.record.extents[0].offset);
        }
        FreedExtents freed;
        auto r = objects.put_object(std::move(b), {}, freed);
        EXPECT_TRUE(r) << r.error().message();
        gather(freed);
    };
    // Freed at most once, never while an entry references it, and every
    // extent written is one or the other.
    auto expect_extents_accounted = [&] {
        std::set<Key> referenced;
        for (const auto& r : expect_head_agrees(*gw1_->client, shard_of(key), key))
            for (const auto& e : r.extents) referenced.emplace(e.segment, e.offset);
        std::set<Key> freed(freed_all.begin(), freed_all.end());
        EXPECT_EQ(freed.size(), freed_all.size()) << "an extent freed twice";
        for (const auto& k : freed) EXPECT_FALSE(referenced.contains(k)) << "freed while referenced: " << k.second;
        for (const auto& k : written)
            EXPECT_TRUE(referenced.contains(k) || freed.contains(k)) << "leaked: " << k.second;
        for (const auto& k : referenced) EXPECT_TRUE(written.contains(k)) << "an extent never written";
    };
    constexpr int kRounds = 10;

    ASSERT_NO_FATAL_FAILURE(enable());
    Gateway gw2;  // after the change: its record is Enabled
    std::thread a([&] {
        for (int i = 0; i < kRounds; ++i) put_big(*gw1_->objects);
    });
    std::thread b([&] {
        for (int i = 0; i < kRounds; ++i) put_big(*gw2.objects);
    });
    a.join();
    b.join();
    EXPECT_TRUE(freed_all.empty());  // every version kept
    ASSERT_NO_FATAL_FAILURE(expect_extents_accounted());

    // Suspended: each write and each marker replaces the null version.
    ASSERT_OK(gw1_->objects->set_bucket_versioning(bucket_, VersioningState::Suspended));
    Gateway gw3;  // its record is Suspended
    std::thread putter([&] {
        for (int i = 0; i < kRounds; ++i) put_big(*gw1_->objects);
    });
    std::thread deleter([&] {
        for (int i = 0; i < kRounds; ++i) {
            FreedExtents freed;
            DeleteOptions options;
            auto r = gw3.objects->delete_version(bucket_, key, options, freed);
            EXPECT_TRUE(r) << r.error().message();
            gather(freed);
            put_big(*gw3.objects);
        }
    });
    putter.join();
    deleter.join();
    EXPECT_FALSE(freed_all.empty());
    ASSERT_NO_FATAL_FAILURE(expect_extents_accounted());

    // Removals by id racing on both gateways (newest promoted each time).
    std::vector<std::string> ids;
    for (auto& r : expect_head_agrees(*gw1_->client, shard_of(key), key))
        ids.push_back(r.null_version || r.instance.empty() ? std::string(kNullVersionId) : r.instance);
    ASSERT_GE(ids.size(), std::size_t{2 * kRounds + 1});
    auto remover = [&](RadosObjectCatalog& objects, std::size_t first) {
        for (std::size_t i = first; i < ids.size(); i += 2) {
            FreedExtents freed;
            DeleteOptions options;
            options.version_id = ids[i];
            auto r = objects.delete_version(bucket_, key, options, freed);
            EXPECT_TRUE(r) << r.error().message();
            gather(freed);
        }
    };
    std::thread first([&] { remover(*gw1_->objects, 0); });
    std::thread second([&] { remover(*gw3.objects, 1); });
    first.join();
    second.join();
    ASSERT_NO_FATAL_FAILURE(expect_extents_accounted());
    EXPECT_EQ(freed_all.size(), written.size());  // nothing left referencing any
    expect_ledgers(0, 0);
}

TEST_F(RadosVersionsTest, AStaleOffCacheMeetsAVersionedKey) {
    Gateway gw2;
    auto stale = deaf_catalog(gw2);
    auto stale_deleter = deaf_catalog(gw2);
    auto stale_remover = deaf_catalog(gw2);
    auto stale_marker = deaf_catalog(gw2);
    auto says_off = [&](RadosObjectCatalog& objects) {
        auto cached = objects.get_bucket_record(bucket_);
        ASSERT_OK(cached);
        ASSERT_EQ(cached->versioning, VersioningState::Off);
    };
    // All read (and cache) the bucket while it is Off.
    auto old = put_as(*stale, "k", 10);
    ASSERT_OK(old);
    EXPECT_TRUE(old->version_id.empty());
    ASSERT_OK(put_as(*stale_deleter, "d", 20));
    ASSERT_NO_FATAL_FAILURE(says_off(*stale_remover));
    ASSERT_NO_FATAL_FAILURE(says_off(*stale_marker));
    ASSERT_NO_FATAL_FAILURE(enable());
    // Still cached as Off after the change: the cases below meet a stale record.
    ASSERT_NO_FATAL_FAILURE(says_off(*stale));
    ASSERT_NO_FATAL_FAILURE(says_off(*stale_deleter));
    auto v1 = put_as(*gw1_->objects, "k", 30);
    ASSERT_OK(v1);
    auto d1 = put_as(*gw1_->objects, "d", 40);
    ASSERT_OK(d1);
    // The stale record says Off: the write fails its head guard, reads the
    // record past the cache and keeps the version it would have replaced.
    auto v2 = put_as(*stale, "k", 50);
    ASSERT_OK(v2);
    EXPECT_EQ(v2->version_id.size(), kInstanceChars);
    EXPECT_NE(v2->version_id, v1->version_id);
    EXPECT_TRUE(gw1_->objects->stat_version(bucket_, "k", v1->version_id));
    auto null_k = gw1_->objects->stat_version(bucket_, "k", "null");
    ASSERT_OK(null_k);
    EXPECT_EQ(null_k->size, 10u);
    // The same for a delete: a marker, not a removal.
    auto marker = delete_as(*stale_deleter, "d");
    ASSERT_OK(marker);
    EXPECT_TRUE(marker->delete_marker);
    auto kept = gw1_->objects->stat_version(bucket_, "d", d1->version_id);
    ASSERT_OK(kept);
    EXPECT_EQ(kept->size, 40u);
    auto null_d = gw1_->objects->stat_version(bucket_, "d", "null");
    ASSERT_OK(null_d);
    EXPECT_EQ(null_d->size, 20u);
    // A removal by id: its answer (nothing there, from an Off record) is
    // asked again past the cache, and the version goes.
    ASSERT_NO_FATAL_FAILURE(says_off(*stale_remover));
    auto removed = delete_as(*stale_remover, "k", v1->version_id);
    ASSERT_OK(removed);
    EXPECT_EQ(removed->version_id, v1->version_id);
    EXPECT_FALSE(removed->delete_marker);
    auto gone = gw1_->objects->stat_version(bucket_, "k", v1->version_id);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), Errc::NoSuchVersion);
    // A plain DELETE of a key whose newest is a marker (no o<key>): another
    // marker, not NoSuchKey.
    ASSERT_NO_FATAL_FAILURE(says_off(*stale_marker));
    auto second = delete_as(*stale_marker, "d");
    ASSERT_OK(second);
    EXPECT_TRUE(second->delete_marker);
    EXPECT_NE(second->version_id, marker->version_id);
    auto newest = gw1_->objects->stat_version(bucket_, "d", "");
    ASSERT_OK(newest);
    EXPECT_EQ(newest->version_id, second->version_id);
    expect_head_agrees(*gw1_->client, shard_of("k"), "k");
    expect_head_agrees(*gw1_->client, shard_of("d"), "d");
    expect_ledgers(10 + 20 + 40 + 50, 4);
}

// Gateways whose cached record says lock is off after lock was turned on
// through another (its announcement missed): a lock asked for on a write or
// by a lock call is asked again past the cache before a refusal, never
// refused on the stale record nor dropped by an Off write (issue 15).
TEST_F(RadosVersionsTest, AStaleLockOffCacheIsReadAgainBeforeALockIsRefusedOrDropped) {
    Gateway gw2;
    auto off_writer = deaf_catalog(gw2);
    auto unlocked_writer = deaf_catalog(gw2);
    auto unlocked_caller = deaf_catalog(gw2);
    auto put_with = [&](RadosObjectCatalog& objects, const std::string& key, const ObjectLock& lock) {
        BodyCommit b = body(key, 10);
        b.record.info.lock = lock;
        FreedExtents freed;
        return objects.put_object(std::move(b), {}, freed);
    };
    // Asked just before each use: a record cached longer than
    // kReadCacheLifetime would be read afresh anyway, and the case untested.
    auto says_lock_off = [&](RadosObjectCatalog& objects) {
        auto cached = objects.get_bucket_record(bucket_);
        ASSERT_OK(cached);
        ASSERT_FALSE(cached->object_lock.enabled);
    };
    ASSERT_OK(put_as(*off_writer, "o", 10));  // cached while Off
    ASSERT_NO_FATAL_FAILURE(enable());
    ASSERT_OK(put_as(*unlocked_writer, "w", 10));  // cached while versioned, without lock
    auto unlocked = put_as(*unlocked_caller, "c", 10);
    ASSERT_OK(unlocked);
    ObjectLockConfig config;
    config.default_mode = RetentionMode::Governance;
    config.default_days = 1;
    ASSERT_OK(gw1_->objects->set_object_lock_config(bucket_, config));
    // Each case below meets a stale record.

    ObjectLock held;
    held.legal_hold = true;
    ASSERT_NO_FATAL_FAILURE(says_lock_off(*unlocked_writer));
    auto in_versioned = put_with(*unlocked_writer, "w", held);
    ASSERT_OK(in_versioned);
    EXPECT_TRUE(in_versioned->lock.legal_hold);
    EXPECT_EQ(in_versioned->lock.retention.mode, RetentionMode::Governance);  // the default, with the hold
    // Off in the cache: a versioned write with its lock, not a replacement
    // in place without it.
    ASSERT_NO_FATAL_FAILURE(says_lock_off(*off_writer));
    auto in_off = put_with(*off_writer, "o", held);
    ASSERT_OK(in_off);
    EXPECT_EQ(in_off->version_id.size(), kInstanceChars);
    auto stored = gw1_->objects->stat_version(bucket_, "o", in_off->version_id);
    ASSERT_OK(stored);
    EXPECT_TRUE(stored->lock.legal_hold);
    EXPECT_EQ(stored->lock.retention.mode, RetentionMode::Governance);
    EXPECT_TRUE(gw1_->objects->stat_version(bucket_, "o", "null"));  // kept
    LockChange hold;
    hold.legal_hold = true;
    ASSERT_NO_FATAL_FAILURE(says_lock_off(*unlocked_caller));
    auto called = unlocked_caller->change_version_lock(bucket_, "c", unlocked->version_id, hold);
    ASSERT_OK(called);
    EXPECT_TRUE(called->lock.legal_hold);
    // What was read again is what those caches hold now.
    auto refreshed = off_writer->get_bucket_record(bucket_);
    ASSERT_OK(refreshed);
    EXPECT_TRUE(refreshed->object_lock.enabled);
}

TEST_F(RadosVersionsTest, AMarkerWhoseReplyIsLostIsProvenByItsEntry) {
    ASSERT_NO_FATAL_FAILURE(enable());
    auto armed = std::make_shared<std::atomic<bool>>(false);
    Gateway lossy(quiet_after(kQuiet), RadosLeases::Options{}, [armed](Pool p, const std::string&, const WriteOp&) {
        return p == Pool::Index && armed->exchange(false);
    });
    auto v1 = put_as(*lossy.objects, "k", 100);
    ASSERT_OK(v1);
    armed->store(true);
    auto marker = delete_as(*lossy.objects, "k");
    ASSERT_OK(marker);  // applied, its reply lost: its v entry proves it
    EXPECT_FALSE(armed->load());
    EXPECT_TRUE(marker->delete_marker);
    auto seen = gw1_->objects->stat_version(bucket_, "k", "");
    ASSERT_OK(seen);
    EXPECT_TRUE(seen->delete_marker);
    EXPECT_EQ(seen->version_id, marker->version_id);
    expect_ledgers(100, 1);
    EXPECT_FALSE(queued());
    // A removal by id has no such proof: an IoError, its extents kept and the
    // bucket queued for a recount, which counts what the index holds.
    armed->store(true);
    FreedExtents freed;
    DeleteOptions by_id;
    by_id.version_id = v1->version_id;
    auto removed = lossy.objects->delete_version(bucket_, "k", by_id, freed);
    ASSERT_FALSE(removed);
    EXPECT_EQ(removed.error().code(), Errc::IoError);
    EXPECT_TRUE(freed.empty());
    EXPECT_TRUE(queued());
    expect_ledgers(100, 1);  // not counted off: unknown
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(0, 0);
    expect_head_agrees(*gw1_->client, shard_of("k"), "k");
}

TEST_F(RadosVersionsTest, ADeadWritersVersionedPutHiddenByAMarkerIsSettledFromTheIndex) {
    ASSERT_NO_FATAL_FAILURE(enable());
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "k", 1000));
    DeadPut dead;
    ASSERT_NO_FATAL_FAILURE(put_dying(body("k", 300), dead));
    auto marker = delete_as(*gw1_->objects, "k");
    ASSERT_OK(marker);
    EXPECT_TRUE(marker->delete_marker);
    // The adopter finds the dead commit one step back, under the marker.
    auto token = decode_reservation_id(dead.reservation);
    ASSERT_TRUE(token);
    auto found = find_commit_charge(*gw1_->client, bucket_, epoch_, "k", token->commit_token);
    ASSERT_OK(found);
    ASSERT_TRUE(*found);
    EXPECT_EQ((*found)->charge.delta_bytes, 300);
    EXPECT_EQ((*found)->charge.delta_objects, 1);
    ASSERT_NO_FATAL_FAILURE(adopt(dead.instance));
    expect_ledgers(1300, 2);
    ASSERT_NO_FATAL_FAILURE(recount_until_done());  // queued by the adoption (touched): changes nothing
    expect_ledgers(1300, 2);
}

TEST_F(RadosVersionsTest, TheRecountCountsNoncurrentVersions) {
    ASSERT_NO_FATAL_FAILURE(enable());
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "k", 100));
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "k", 200));
    ASSERT_OK(delete_as(*gw1_->objects, "k"));  // a marker over both
    ASSERT_NO_FATAL_FAILURE(put(*gw1_, "j", 50));
    ASSERT_OK(delete_as(*gw1_->objects, "only-a-marker"));
    expect_ledgers(350, 3);
    ASSERT_NO_FATAL_FAILURE(drift(1000, 5));
    ASSERT_OK(gw1_->ledger->queue_recount(lb()));
    ASSERT_NO_FATAL_FAILURE(recount_until_done());
    expect_ledgers(350, 3);
}

// Two engines on one volume (two gateways): the state change made through
// one is seen by the other's very next write, whose record it had cached.
TEST(RadosVersionsEngines, ASecondEngineSeesAStateChangeAtOnce) {
    const std::string spec = cluster_test::test_volume_in_new_namespace("versions");
    auto a = Engine::open(spec);
    ASSERT_OK(a);
    auto b = Engine::open(spec);
    ASSERT_OK(b);
    auto owner = (*a)->create_user("owner@example.com", false, false);
    ASSERT_OK(owner);
    ASSERT_OK((*a)->create_bucket("bkt", owner->user.id));
    auto body = as_bytes(std::span(std::string_view("data")));
    auto before = (*b)->put_object("bkt", "k", body);
    ASSERT_OK(before);
    EXPECT_TRUE(before->version_id.empty());
    auto cached = (*b)->get_bucket_record("bkt");  // cached by b
    ASSERT_OK(cached);
    ASSERT_EQ(cached->versioning, VersioningState::Off);
    ASSERT_OK((*a)->set_bucket_versioning("bkt", VersioningState::Enabled));
    auto seen = (*b)->get_bucket_record("bkt");
    ASSERT_OK(seen);
    EXPECT_EQ(seen->versioning, VersioningState::Enabled);
    auto after = (*b)->put_object("bkt", "k", body);
    ASSERT_OK(after);
    EXPECT_EQ(after->version_id.size(), kInstanceChars);
    auto marker = (*b)->delete_object("bkt", "k", DeleteOptions{});
    ASSERT_OK(marker);
    EXPECT_TRUE(marker->delete_marker);
    auto null_version = (*a)->head_object("bkt", "k", "null");
    ASSERT_OK(null_version);
    EXPECT_EQ(null_version->size, 4u);
}

}  // namespace
}  // namespace ostor::detail::rados::recount_test
