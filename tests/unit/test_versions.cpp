// Versioning (docs/versioning.md, steps 3 and 4), on both backends: the
// bucket's state, versions kept by PUT, copy and complete, delete markers,
// removal by id with promotion, the null version, reads by id, emptiness and
// the space ledgers.
#include <string>
#include <vector>

#include "codec.hpp"
#include "local/lmdb_env.hpp"
#include "local/object_index.hpp"
#include "local/version_index.hpp"
#include "records.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

using detail::Table;
using detail::Txn;

constexpr std::size_t kInstanceChars = 24;

class Versions : public VersionedBucketTest {
protected:
    // The bucket's and its owner's bytes and objects, which quotas check.
    void expect_counts(std::uint64_t bytes, std::uint64_t objects) {
        auto b = engine().get_bucket("bkt");
        ASSERT_TRUE(b) << b.error().message();
        EXPECT_EQ(b->bytes, bytes);
        EXPECT_EQ(b->objects, objects);
        auto u = engine().get_user_usage(owner_);
        ASSERT_TRUE(u) << u.error().message();
        EXPECT_EQ(u->bytes, bytes);
        EXPECT_EQ(u->objects, objects);
    }
    // The metadata store itself, with the Engine closed (white-box).
    std::unique_ptr<detail::Env> store() {
        auto env = detail::Env::open(dir_.path() / "meta", EngineOptions{}.meta_map_size_bytes);
        EXPECT_TRUE(env) << env.error().message();
        return env ? std::move(*env) : nullptr;
    }
};

TEST_F(Versions, OffNeverComesBack) {
    EXPECT_EQ(engine().get_bucket("bkt")->versioning, VersioningState::Off);
    EXPECT_TRUE(FailsWith(engine().set_bucket_versioning("bkt", VersioningState::Off), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().set_bucket_versioning("nobucket", VersioningState::Enabled), Errc::NoSuchBucket));
    enable();
    EXPECT_EQ(engine().get_bucket("bkt")->versioning, VersioningState::Enabled);
    EXPECT_EQ(engine().get_bucket_record("bkt")->versioning, VersioningState::Enabled);
    EXPECT_TRUE(FailsWith(engine().set_bucket_versioning("bkt", VersioningState::Off), Errc::InvalidArgument));
    suspend();
    reopen();
    EXPECT_EQ(engine().get_bucket("bkt")->versioning, VersioningState::Suspended);
}

TEST_F(Versions, EveryPutKeepsAVersionReadableById) {
    enable();
    auto v1 = put(engine(), "bkt", "k", "first");
    ASSERT_TRUE(v1) << v1.error().message();
    auto v2 = put(engine(), "bkt", "k", "second!");
    ASSERT_TRUE(v2) << v2.error().message();
    EXPECT_EQ(v1->version_id.size(), kInstanceChars);
    EXPECT_NE(v1->version_id, v2->version_id);
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "second!");
    EXPECT_EQ(body_of_version("k", v1->version_id), "first");
    EXPECT_EQ(body_of_version("k", v2->version_id), "second!");
    auto head = engine().head_object("bkt", "k", v1->version_id);
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->size, 5u);
    EXPECT_EQ(head->version_id, v1->version_id);
    EXPECT_FALSE(head->is_latest);
    EXPECT_TRUE(engine().head_object("bkt", "k", v2->version_id)->is_latest);
    // Listings show the current only.
    auto listed = engine().list_objects("bkt", {});
    ASSERT_TRUE(listed) << listed.error().message();
    ASSERT_EQ(listed->objects.size(), 1u);
    EXPECT_EQ(listed->objects[0].version_id, v2->version_id);
    expect_counts(12, 2);
}

TEST_F(Versions, ObjectsOfBeforeBecomeTheNullVersion) {
    auto old = put(engine(), "bkt", "k", "old");
    ASSERT_TRUE(old) << old.error().message();
    EXPECT_TRUE(old->version_id.empty());
    enable();
    EXPECT_EQ(body_of_version("k", "null"), "old");
    auto fresh = put(engine(), "bkt", "k", "new");
    ASSERT_TRUE(fresh) << fresh.error().message();
    EXPECT_EQ(body_of_version("k", "null"), "old");
    auto stat = engine().stat_version("bkt", "k", "null");
    ASSERT_TRUE(stat) << stat.error().message();
    EXPECT_EQ(stat->version_id, "null");
    EXPECT_EQ(stat->last_modified_ms, old->last_modified_ms);
    reopen();
    EXPECT_EQ(body_of_version("k", "null"), "old");
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "new");
}

TEST_F(Versions, DeleteAddsAMarkerAndRemovingItBringsTheObjectBack) {
    enable();
    auto v1 = put(engine(), "bkt", "k", "data");
    ASSERT_TRUE(v1) << v1.error().message();
    auto marker = engine().delete_object("bkt", "k", DeleteOptions{});
    ASSERT_TRUE(marker) << marker.error().message();
    EXPECT_TRUE(marker->delete_marker);
    EXPECT_EQ(marker->version_id.size(), kInstanceChars);
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().open_object("bkt", "k"), Errc::NoSuchKey));
    auto stat = engine().stat_version("bkt", "k", "");
    ASSERT_TRUE(stat) << stat.error().message();
    EXPECT_TRUE(stat->delete_marker);
    EXPECT_EQ(stat->version_id, marker->version_id);
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k", marker->version_id), Errc::MethodNotAllowed));
    EXPECT_TRUE(FailsWith(engine().set_object_acl("bkt", "k", "acl", marker->version_id), Errc::MethodNotAllowed));
    EXPECT_EQ(engine().list_objects("bkt", {})->objects.size(), 0u);
    EXPECT_EQ(body_of_version("k", v1->version_id), "data");
    expect_counts(4, 1);  // a marker counts nothing

    DeleteOptions by_id;
    by_id.version_id = marker->version_id;
    auto removed = engine().delete_object("bkt", "k", by_id);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(removed->delete_marker);
    EXPECT_EQ(removed->version_id, marker->version_id);
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "data");
    EXPECT_TRUE(engine().head_object("bkt", "k")->is_latest);
    expect_counts(4, 1);
}

TEST_F(Versions, RemovingTheCurrentPromotesTheNextNewer) {
    enable();
    auto v1 = put(engine(), "bkt", "k", "one");
    auto v2 = put(engine(), "bkt", "k", "two!");
    ASSERT_TRUE(v1 && v2);
    DeleteOptions by_id;
    by_id.version_id = v2->version_id;
    auto removed = engine().delete_object("bkt", "k", by_id);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_FALSE(removed->delete_marker);
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "one");
    EXPECT_EQ(engine().head_object("bkt", "k")->version_id, v1->version_id);
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k", v2->version_id), Errc::NoSuchVersion));
    expect_counts(3, 1);
    // The last version goes: the key holds nothing, the bucket may go.
    by_id.version_id = v1->version_id;
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "k", by_id)));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().stat_version("bkt", "k", ""), Errc::NoSuchKey));
    expect_counts(0, 0);
    EXPECT_TRUE(IsOk(engine().delete_bucket("bkt")));
}

TEST_F(Versions, AnIdNamingNothingChangesNothing) {
    enable();
    auto v1 = put(engine(), "bkt", "k", "keep");
    ASSERT_TRUE(v1) << v1.error().message();
    DeleteOptions by_id;
    by_id.version_id = "ffffffffffffffff00000000";
    EXPECT_TRUE(FailsWith(engine().delete_object("bkt", "k", by_id), Errc::NoSuchVersion));
    by_id.version_id = "not-a-version";
    EXPECT_TRUE(FailsWith(engine().delete_object("bkt", "k", by_id), Errc::NoSuchVersion));
    by_id.version_id = "null";
    EXPECT_TRUE(FailsWith(engine().delete_object("bkt", "k", by_id), Errc::NoSuchVersion));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k", "not-a-version"), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().open_object("bkt", "k", std::nullopt, "ABC"), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k", "ffffffffffffffff00000000"), Errc::NoSuchVersion));
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "keep");
    expect_counts(4, 1);
}

TEST_F(Versions, SuspendedReplacesAndFreesTheNullVersion) {
    enable();
    auto v1 = put(engine(), "bkt", "k", "versioned");
    ASSERT_TRUE(v1) << v1.error().message();
    suspend();
    auto a = put(engine(), "bkt", "k", "null-a");
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(a->version_id, "null");
    expect_counts(15, 2);
    auto b = put(engine(), "bkt", "k", "null-bb");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(body_of_version("k", "null"), "null-bb");
    EXPECT_EQ(body_of_version("k", v1->version_id), "versioned");
    expect_counts(16, 2);  // null-a is gone
    // A delete in a Suspended bucket: a marker that is the null version.
    auto marker = engine().delete_object("bkt", "k", DeleteOptions{});
    ASSERT_TRUE(marker) << marker.error().message();
    EXPECT_EQ(marker->version_id, "null");
    EXPECT_TRUE(marker->delete_marker);
    expect_counts(9, 1);
    EXPECT_TRUE(engine().stat_version("bkt", "k", "null")->delete_marker);
    // Enabled again, a PUT keeps that marker as the null version among the versions.
    enable();
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "again")));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k", "null"), Errc::MethodNotAllowed));
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "again");
}

TEST_F(Versions, MarkersAloneKeepABucket) {
    enable();
    auto marker = engine().delete_object("bkt", "nothing-here", DeleteOptions{});
    ASSERT_TRUE(marker) << marker.error().message();
    EXPECT_TRUE(marker->delete_marker);
    expect_counts(0, 0);
    EXPECT_TRUE(FailsWith(engine().delete_bucket("bkt"), Errc::BucketNotEmpty));
    DeleteOptions by_id;
    by_id.version_id = marker->version_id;
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "nothing-here", by_id)));
    EXPECT_TRUE(IsOk(engine().delete_bucket("bkt")));
}

TEST_F(Versions, NoncurrentVersionsCountInTheLedgers) {
    enable();
    const std::string big = random_bytes(3 * kMiB, 7);
    auto v1 = put(engine(), "bkt", "big", big);
    ASSERT_TRUE(v1) << v1.error().message();
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "big", "small")));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "big")));  // a marker over both
    expect_counts(big.size() + 5, 2);
    reopen();
    expect_counts(big.size() + 5, 2);
    EXPECT_TRUE(SameBytes(body_of_version("big", v1->version_id), big));
    DeleteOptions by_id;
    by_id.version_id = v1->version_id;
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "big", by_id)));
    expect_counts(5, 1);
}

TEST_F(Versions, ScrubChecksNoncurrentVersions) {
    enable();
    const std::string big = random_bytes(kMiB + 1, 11);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", big)));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "small")));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "k")));  // both noncurrent now
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(report->bytes_checked, big.size() + 5);
    EXPECT_TRUE(report->damaged.empty());
}

TEST_F(Versions, CopyAndCompleteAddVersions) {
    enable();
    auto src = put(engine(), "bkt", "src", "source");
    ASSERT_TRUE(src) << src.error().message();
    auto copy1 = engine().copy_object("bkt", "src", "bkt", "dst");
    ASSERT_TRUE(copy1) << copy1.error().message();
    EXPECT_EQ(copy1->version_id.size(), kInstanceChars);
    EXPECT_NE(copy1->version_id, src->version_id);
    // A copy onto itself keeps the source as a version.
    auto self = engine().copy_object("bkt", "src", "bkt", "src");
    ASSERT_TRUE(self) << self.error().message();
    EXPECT_EQ(body_of_version("src", src->version_id), "source");
    EXPECT_EQ(body_of(engine(), "bkt", "src"), "source");

    auto up = engine().create_upload("bkt", "dst");
    ASSERT_TRUE(up) << up.error().message();
    auto part = engine().upload_part(up->id, 1, as_bytes(std::string_view("multi")));
    ASSERT_TRUE(part) << part.error().message();
    auto done = engine().complete_upload(up->id, {{1, part->etag}});
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_EQ(done->version_id.size(), kInstanceChars);
    EXPECT_EQ(body_of(engine(), "bkt", "dst"), "multi");
    EXPECT_EQ(body_of_version("dst", copy1->version_id), "source");
    expect_counts(6 * 3 + 5, 4);  // src twice, the copy and the completed object
}

TEST_F(Versions, AclOfAVersionById) {
    enable();
    auto v1 = put(engine(), "bkt", "k", "one");
    ASSERT_TRUE(v1 && put(engine(), "bkt", "k", "two"));
    auto changed = engine().set_object_acl("bkt", "k", "acl-of-v1", v1->version_id);
    ASSERT_TRUE(changed) << changed.error().message();
    EXPECT_EQ(engine().head_object("bkt", "k", v1->version_id)->meta.acl, "acl-of-v1");
    EXPECT_NE(engine().head_object("bkt", "k")->meta.acl, "acl-of-v1");
    EXPECT_EQ(body_of_version("k", v1->version_id), "one");
}

// A key's versions are found by its escaped head: keys that extend another
// with a NUL, and long keys sharing the cut head, keep their own versions.
TEST_F(Versions, KeysWithNulsAndLongKeysSharingAHeadKeepTheirOwnVersions) {
    enable();
    const std::string shared_head(900, 'h');
    // The cut falls right after the "\0" of the last key's escaped NUL: the
    // cut keeps the escape whole, so its versions do not sort among those
    // of the key before it.
    const std::string cut_at_nul(detail::kVersionKeyHeadBytes - 1, 'p');
    const std::vector<std::string> keys = {"a",
                                           std::string("a\0b", 3),
                                           std::string("a\0", 2),
                                           shared_head + "1",
                                           shared_head + "2",
                                           cut_at_nul,
                                           cut_at_nul + std::string("\0x", 2)};
    std::vector<std::string> first_ids;
    for (const auto& key : keys) {
        auto v1 = put(engine(), "bkt", key, "old " + key);
        ASSERT_TRUE(v1) << v1.error().message();
        first_ids.push_back(v1->version_id);
        ASSERT_TRUE(IsOk(put(engine(), "bkt", key, "new " + key)));
    }
    // Removing each key's current promotes that key's own older version.
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto current = engine().head_object("bkt", keys[i]);
        ASSERT_TRUE(current) << current.error().message();
        DeleteOptions by_id;
        by_id.version_id = current->version_id;
        ASSERT_TRUE(IsOk(engine().delete_object("bkt", keys[i], by_id)));
        EXPECT_EQ(body_of(engine(), "bkt", keys[i]), "old " + keys[i]);
        auto promoted = engine().head_object("bkt", keys[i]);
        ASSERT_TRUE(promoted) << promoted.error().message();
        EXPECT_EQ(promoted->version_id, first_ids[i]);
        // Another key's id names nothing here.
        const std::string& other = first_ids[(i + 1) % keys.size()];
        EXPECT_TRUE(FailsWith(engine().head_object("bkt", keys[i], other), Errc::NoSuchVersion));
    }
    std::uint64_t old_bytes = 0;  // "old " + key: one version left per key
    for (const auto& key : keys) old_bytes += 4 + key.size();
    expect_counts(old_bytes, keys.size());
}

TEST_F(Versions, UnversionedBucketsKnowOnlyTheNullVersion) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "plain")));
    EXPECT_EQ(body_of_version("k", "null"), "plain");
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k", "ffffffffffffffff00000000"), Errc::NoSuchVersion));
    DeleteOptions by_id;
    by_id.version_id = "null";
    auto removed = engine().delete_object("bkt", "k", by_id);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_EQ(removed->version_id, "null");
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().delete_object("bkt", "k", by_id), Errc::NoSuchVersion));
    EXPECT_TRUE(FailsWith(engine().delete_object("bkt", "k"), Errc::NoSuchKey));
    expect_counts(0, 0);
}

// An object record as version 1 of the encoding stored it (before the
// Bodies table): key "old", body kOldBody inside the record, kept as written.
constexpr std::string_view kOldBody = "kept from before";
const std::string kOldRecord = from_hex(
    "01030000006f6c641000000000000000200000003262323130386532396531646334633439353736"
    "3737333130646131396235367b98a8e69a0100000a000000746578742f706c61696e000000000000"
    "000000000000000000000000000000000000d2868b3b100000006b6570742066726f6d206265666f"
    "7265");

class OldRecordVersions : public Versions {
protected:
    // "old" as a release before the Bodies table left it: written through
    // the engine (so that the counts hold it), then its row replaced by the
    // fixture and its body row dropped.
    void plant_old_record() {
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "old", std::string(kOldBody))));
        engine_.reset();
        {
            auto env = store();
            ASSERT_TRUE(env);
            Txn txn = Txn::write(*env);
            std::vector<std::string> rows;
            {  // the cursor closes before the commit (LMDB frees a write txn's cursors with it)
                auto cur = txn.cursor(Table::Bodies);
                for (auto e = cur.first(); e; e = cur.next()) rows.emplace_back(e->first);
            }
            ASSERT_EQ(rows.size(), 1u);
            txn.del(Table::Bodies, rows[0]);
            txn.put(Table::Objects, detail::object_index_key("bkt", "old"), kOldRecord);
            txn.commit();
        }
        ASSERT_NO_FATAL_FAILURE(open());
        ASSERT_EQ(body_of(engine(), "bkt", "old"), kOldBody);
    }
    void expect_clean_scrub() {
        auto report = engine().scrub();
        ASSERT_TRUE(report) << report.error().message();
        EXPECT_TRUE(report->damaged.empty());
    }
};

// A record of before, with its body inside, becomes the null version with
// its body, and is current again with it when the newer one goes.
TEST_F(OldRecordVersions, KeepTheirBodyAsVersions) {
    SKIP_ON_RADOS("plants a local version 1 record");
    ASSERT_NO_FATAL_FAILURE(plant_old_record());
    enable();
    auto newer = put(engine(), "bkt", "old", "new");
    ASSERT_TRUE(newer) << newer.error().message();
    EXPECT_EQ(body_of_version("old", "null"), kOldBody);
    expect_counts(kOldBody.size() + 3, 2);
    reopen();
    EXPECT_EQ(body_of_version("old", "null"), kOldBody);
    expect_clean_scrub();
    DeleteOptions by_id;
    by_id.version_id = newer->version_id;
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "old", by_id)));
    EXPECT_EQ(body_of(engine(), "bkt", "old"), kOldBody);
    expect_counts(kOldBody.size(), 1);
}

TEST_F(OldRecordVersions, KeepTheirBodyWhenMarkedDeleted) {
    SKIP_ON_RADOS("plants a local version 1 record");
    ASSERT_NO_FATAL_FAILURE(plant_old_record());
    enable();
    auto marker = engine().delete_object("bkt", "old", DeleteOptions{});
    ASSERT_TRUE(marker) << marker.error().message();
    EXPECT_EQ(body_of_version("old", "null"), kOldBody);
    DeleteOptions by_id;
    by_id.version_id = marker->version_id;
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "old", by_id)));  // the null version is current again
    EXPECT_EQ(body_of(engine(), "bkt", "old"), kOldBody);
    expect_clean_scrub();
}

TEST_F(OldRecordVersions, KeepTheirBodyWhenTheirAclIsSetById) {
    SKIP_ON_RADOS("plants a local version 1 record");
    ASSERT_NO_FATAL_FAILURE(plant_old_record());
    auto changed = engine().set_object_acl("bkt", "old", "acl-by-id", "null");
    ASSERT_TRUE(changed) << changed.error().message();
    EXPECT_EQ(body_of(engine(), "bkt", "old"), kOldBody);
    auto head = engine().head_object("bkt", "old");
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->meta.acl, "acl-by-id");
    reopen();
    EXPECT_EQ(body_of(engine(), "bkt", "old"), kOldBody);
    expect_clean_scrub();
}

// A bucket never versioned has no heads: its deletes read none (a damaged
// head planted under its key would otherwise fail them).
TEST_F(Versions, UnversionedDeletesReadNoHeads) {
    SKIP_ON_RADOS("plants a local version head");
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "plain")));
    engine_.reset();
    {
        auto env = store();
        ASSERT_TRUE(env);
        Txn txn = Txn::write(*env);
        txn.put(Table::VersionHeads, detail::object_index_key("bkt", "k"), "not a head");
        txn.commit();
    }
    ASSERT_NO_FATAL_FAILURE(open());
    auto removed = engine().delete_object("bkt", "k", DeleteOptions{});
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k"), Errc::NoSuchKey));
    expect_counts(0, 0);
}

// The lifecycle worker's guarded delete names the version it evaluated: a
// write since with the same body and last-modified (the same millisecond)
// is another version, and stays.
TEST_F(Versions, GuardedDeletesCompareTheVersion) {
    enable();
    auto first = put(engine(), "bkt", "k", "same body");
    ASSERT_TRUE(first) << first.error().message();
    auto second = put(engine(), "bkt", "k", "same body");
    ASSERT_TRUE(second) << second.error().message();
    ObjectInfo evaluated = *first;
    evaluated.last_modified_ms = second->last_modified_ms;  // as if written in the same millisecond
    auto r = engine().delete_object("bkt", "k", DeleteOptions::current_if_still(evaluated));
    EXPECT_TRUE(FailsWith(r, Errc::PreconditionFailed));
    auto kept = engine().head_object("bkt", "k");
    ASSERT_TRUE(kept) << kept.error().message();
    EXPECT_EQ(kept->version_id, second->version_id);
    auto marked = engine().delete_object("bkt", "k", DeleteOptions::current_if_still(*second));
    ASSERT_TRUE(marked) << marked.error().message();
    EXPECT_TRUE(marked->delete_marker);
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k"), Errc::NoSuchKey));
}

// A version named by id is removed whatever is current: a guard on the
// current with it is refused, and nothing changes.
TEST_F(Versions, AGuardWithAVersionIdIsRefused) {
    enable();
    auto first = put(engine(), "bkt", "k", "one");
    ASSERT_TRUE(first) << first.error().message();
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "two")));
    DeleteOptions both = DeleteOptions::current_if_still(*first);
    both.version_id = first->version_id;
    EXPECT_TRUE(FailsWith(engine().delete_object("bkt", "k", both), Errc::InvalidArgument));
    EXPECT_EQ(body_of_version("k", first->version_id), "one");
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "two");
    expect_counts(6, 2);
}

// The headers of a version (a 404's or 405's) need its record only: a
// version whose body row is missing is still described, and only a read of
// its body fails.
TEST_F(Versions, StatReadsNoBody) {
    SKIP_ON_RADOS("removes a local body row");
    enable();
    auto v1 = put(engine(), "bkt", "k", "first");
    ASSERT_TRUE(v1) << v1.error().message();
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "second")));
    engine_.reset();
    {
        auto env = store();
        ASSERT_TRUE(env);
        Txn txn = Txn::write(*env);
        std::string first_id;
        {  // the cursor closes before the commit (LMDB frees a write txn's cursors with it)
            auto cur = txn.cursor(Table::Bodies);
            auto first = cur.first();  // ids rise: v1's body
            ASSERT_TRUE(first);
            ASSERT_EQ(first->second, "first");
            first_id = std::string(first->first);
        }
        txn.del(Table::Bodies, first_id);
        txn.commit();
    }
    ASSERT_NO_FATAL_FAILURE(open());
    auto stat = engine().stat_version("bkt", "k", v1->version_id);
    ASSERT_TRUE(stat) << stat.error().message();
    EXPECT_EQ(stat->size, 5u);
    EXPECT_EQ(stat->version_id, v1->version_id);
    EXPECT_TRUE(FailsWith(engine().open_object("bkt", "k", std::nullopt, v1->version_id), Errc::Internal));
}

// A complete's conditions are checked before its list of parts (on local
// volumes, as before versioning; RADOS checks them at the index commit).
TEST_F(Versions, CompleteChecksConditionsBeforeParts) {
    SKIP_ON_RADOS("RADOS assembles the parts before its index commit checks the conditions");
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "taken")));
    auto up = engine().create_upload("bkt", "k");
    ASSERT_TRUE(up) << up.error().message();
    ASSERT_TRUE(IsOk(engine().upload_part(up->id, 1, as_bytes(std::string_view("part")))));
    const std::vector<CompletedPart> not_uploaded = {{2, md5_hex("part")}};
    WriteConditions create_only{.if_none_match = true, .if_match_etag = std::nullopt};
    EXPECT_TRUE(
        FailsWith(engine().complete_upload(up->id, not_uploaded, std::nullopt, create_only), Errc::PreconditionFailed));
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "taken");
}

}  // namespace
}  // namespace ostor::test
