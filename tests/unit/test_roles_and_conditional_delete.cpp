// The lifecycle worker's engine calls: a delete conditional on the current
// object being the write evaluated (DeleteOptions::if_current), a removal of
// a noncurrent version conditional on the key's current being the one it was
// evaluated under (DeleteOptions::if_noncurrent_under), and roles (one holder
// at a time, a state record replaced by compare-and-set).
#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

constexpr auto kBetweenWrites = std::chrono::milliseconds(5);

class ConditionalDelete : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }
};

TEST_F(ConditionalDelete, DeletesTheWriteItWasGiven) {
    auto first = put(engine(), "bkt", "k", "body");
    ASSERT_TRUE(first) << first.error().message();
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "k", DeleteOptions::current_if_still(*first))));
    auto gone = engine().head_object("bkt", "k");
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), Errc::NoSuchKey);
}

// The same body written again is another write: it stays.
TEST_F(ConditionalDelete, KeepsAWriteMadeSince) {
    auto first = put(engine(), "bkt", "k", "same body");
    ASSERT_TRUE(first) << first.error().message();
    // Last-modified has millisecond resolution: the second write is later.
    std::this_thread::sleep_for(kBetweenWrites);
    auto second = put(engine(), "bkt", "k", "same body");
    ASSERT_TRUE(second) << second.error().message();
    ASSERT_EQ(second->etag, first->etag);
    ASSERT_NE(second->last_modified_ms, first->last_modified_ms);
    auto r = engine().delete_object("bkt", "k", DeleteOptions::current_if_still(*first));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::PreconditionFailed);
    auto kept = engine().head_object("bkt", "k");
    ASSERT_TRUE(kept) << kept.error().message();
    EXPECT_EQ(kept->last_modified_ms, second->last_modified_ms);
}

TEST_F(ConditionalDelete, KeepsAnotherBody) {
    auto first = put(engine(), "bkt", "k", "old");
    ASSERT_TRUE(first) << first.error().message();
    ASSERT_TRUE(put(engine(), "bkt", "k", "new"));
    auto r = engine().delete_object("bkt", "k", DeleteOptions::current_if_still(*first));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::PreconditionFailed);
    auto bucket = engine().get_bucket("bkt");
    ASSERT_TRUE(bucket) << bucket.error().message();
    EXPECT_EQ(bucket->objects, 1u);
}

TEST_F(ConditionalDelete, AGoneObjectIsNoSuchKey) {
    auto first = put(engine(), "bkt", "k", "body");
    ASSERT_TRUE(first) << first.error().message();
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "k")));
    auto r = engine().delete_object("bkt", "k", DeleteOptions::current_if_still(*first));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::NoSuchKey);
}

class NoncurrentRemoval : public VersionedBucketTest {
protected:
    // "k" written once per body, oldest first, in the bucket made versioned
    // first; none when a step failed (reported).
    template <std::size_t N>
    std::optional<std::array<ObjectInfo, N>> versions_written(const char* const (&bodies)[N]) {
        enable();
        if (HasFatalFailure()) return std::nullopt;
        std::array<ObjectInfo, N> written;
        for (std::size_t i = 0; i < N; ++i) {
            auto v = put(engine(), "bkt", "k", bodies[i]);
            if (!v) {
                ADD_FAILURE() << "writing \"" << bodies[i] << "\": " << v.error().message();
                return std::nullopt;
            }
            written[i] = std::move(*v);
        }
        return written;
    }
    // The key's current as the lifecycle pass reads it (a marker too).
    ObjectInfo current_of(std::string_view key) {
        auto now = engine().stat_version("bkt", key, "");
        EXPECT_TRUE(now) << now.error().message();
        return now ? *now : ObjectInfo{};
    }
    // The lifecycle pass's removal of "k"'s `version_id` while `under` is
    // still the key's current.
    Result<DeleteResult> remove_under(const std::string& version_id, const ObjectInfo& under) {
        return engine().delete_object("bkt", "k", DeleteOptions::noncurrent_if_still(version_id, under));
    }
    // A client's removal of "k"'s `version_id` (of its current: a rollback).
    ::testing::AssertionResult removed_by_id(const std::string& version_id) {
        DeleteOptions by_id;
        by_id.version_id = version_id;
        return IsOk(engine().delete_object("bkt", "k", by_id));
    }
    std::vector<std::string> versions_of(std::string_view key) {
        ListVersionsParams params;
        params.prefix = std::string(key);
        auto listed = engine().list_object_versions("bkt", params);
        EXPECT_TRUE(listed) << listed.error().message();
        std::vector<std::string> ids;
        if (listed)
            for (const auto& v : listed->versions) ids.push_back(v.version_id);
        return ids;
    }
};

TEST_F(NoncurrentRemoval, GoesUnderTheCurrentItWasEvaluatedUnder) {
    auto written = versions_written({"one", "two", "three"});
    ASSERT_TRUE(written);
    const auto& [v1, v2, v3] = *written;
    const ObjectInfo seen = current_of("k");
    ASSERT_EQ(seen.version_id, v3.version_id);
    auto removed = remove_under(v1.version_id, seen);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_EQ(removed->version_id, v1.version_id);
    EXPECT_EQ(versions_of("k"), (std::vector<std::string>{v3.version_id, v2.version_id}));
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "three");
}

// A client's rollback (the current removed by id: the next newer promoted)
// between the pass's look and its removal: neither the version promoted nor
// an older one goes, their ranks being no longer the ones evaluated.
TEST_F(NoncurrentRemoval, IsRefusedAfterARollback) {
    auto written = versions_written({"one", "two", "three"});
    ASSERT_TRUE(written);
    const auto& [v1, v2, v3] = *written;
    const ObjectInfo seen = current_of("k");
    ASSERT_TRUE(removed_by_id(v3.version_id));
    for (const auto& id : {v2.version_id, v1.version_id})
        EXPECT_TRUE(FailsWith(remove_under(id, seen), Errc::PreconditionFailed)) << id;
    EXPECT_EQ(versions_of("k"), (std::vector<std::string>{v2.version_id, v1.version_id}));
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "two");
    EXPECT_EQ(body_of_version("k", v1.version_id), "one");
    // Under the current as it is now, the noncurrent one goes.
    EXPECT_TRUE(IsOk(remove_under(v1.version_id, current_of("k"))));
    EXPECT_EQ(versions_of("k"), std::vector<std::string>{v2.version_id});
}

// The version named is the current (the pass's view was stale): it stays.
TEST_F(NoncurrentRemoval, NeverRemovesTheCurrent) {
    auto written = versions_written({"one", "two"});
    ASSERT_TRUE(written);
    const auto& [v1, v2] = *written;
    EXPECT_TRUE(FailsWith(remove_under(v2.version_id, current_of("k")), Errc::PreconditionFailed));
    EXPECT_EQ(versions_of("k"), (std::vector<std::string>{v2.version_id, v1.version_id}));
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "two");
}

// An unversioned bucket's only version, "null", is its current: refused on
// both backends (RADOS takes another path for an unversioned bucket).
TEST_F(NoncurrentRemoval, NeverRemovesAnUnversionedBucketsObject) {
    auto only = put(engine(), "bkt", "k", "only");
    ASSERT_TRUE(only);
    EXPECT_TRUE(FailsWith(remove_under("null", current_of("k")), Errc::PreconditionFailed));
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "only");
}

// A write since the look is another current: refused too (the pass looks again).
TEST_F(NoncurrentRemoval, IsRefusedUnderANewerWrite) {
    auto written = versions_written({"one", "two"});
    ASSERT_TRUE(written);
    const auto& v1 = (*written)[0];
    const ObjectInfo seen = current_of("k");
    auto v3 = put(engine(), "bkt", "k", "three");
    ASSERT_TRUE(v3) << v3.error().message();
    EXPECT_TRUE(FailsWith(remove_under(v1.version_id, seen), Errc::PreconditionFailed));
    EXPECT_EQ(versions_of("k").size(), 3u);
}

// A delete marker as the current: the versions under it go while it stays
// the current, not once it is removed (the object it hid is back).
TEST_F(NoncurrentRemoval, UnderADeleteMarker) {
    auto written = versions_written({"one", "two"});
    ASSERT_TRUE(written);
    const auto& [v1, v2] = *written;
    auto marker = engine().delete_object("bkt", "k", DeleteOptions{});
    ASSERT_TRUE(marker) << marker.error().message();
    const ObjectInfo seen = current_of("k");
    ASSERT_TRUE(seen.delete_marker);
    ASSERT_TRUE(removed_by_id(marker->version_id));
    EXPECT_TRUE(FailsWith(remove_under(v1.version_id, seen), Errc::PreconditionFailed));
    EXPECT_EQ(versions_of("k"), (std::vector<std::string>{v2.version_id, v1.version_id}));
    auto again = engine().delete_object("bkt", "k", DeleteOptions{});
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_TRUE(IsOk(remove_under(v1.version_id, current_of("k"))));
    EXPECT_EQ(versions_of("k"), (std::vector<std::string>{again->version_id, v2.version_id}));
}

// "null" removed and written again is another current under the same id:
// told apart by its ETag and last-modified.
TEST_F(NoncurrentRemoval, ANullVersionWrittenAgainIsAnotherCurrent) {
    auto written = versions_written({"one"});
    ASSERT_TRUE(written);
    const auto& [v1] = *written;
    suspend();
    auto null_a = put(engine(), "bkt", "k", "null-a");
    ASSERT_TRUE(null_a) << null_a.error().message();
    const ObjectInfo seen = current_of("k");
    ASSERT_EQ(seen.version_id, "null");
    ASSERT_TRUE(removed_by_id("null"));
    std::this_thread::sleep_for(kBetweenWrites);
    auto null_b = put(engine(), "bkt", "k", "null-bb");
    ASSERT_TRUE(null_b) << null_b.error().message();
    EXPECT_TRUE(FailsWith(remove_under(v1.version_id, seen), Errc::PreconditionFailed));
    EXPECT_EQ(body_of_version("k", v1.version_id), "one");
    EXPECT_TRUE(IsOk(remove_under(v1.version_id, current_of("k"))));
    EXPECT_EQ(versions_of("k"), std::vector<std::string>{"null"});
}

TEST_F(NoncurrentRemoval, NamesAVersion) {
    auto written = versions_written({"one"});
    ASSERT_TRUE(written);
    const auto& [v1] = *written;
    EXPECT_TRUE(FailsWith(remove_under("", v1), Errc::InvalidArgument));
    EXPECT_EQ(versions_of("k"), std::vector<std::string>{v1.version_id});
}

class Roles : public EngineTest {};

TEST_F(Roles, OneHolderAtATime) {
    auto first = engine().take_role("lifecycle");
    ASSERT_TRUE(first) << first.error().message();
    ASSERT_NE(*first, nullptr);
    EXPECT_FALSE((*first)->lost());
    auto second = engine().take_role("lifecycle");
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_EQ(*second, nullptr);
    auto other = engine().take_role("another-role");
    ASSERT_TRUE(other) << other.error().message();
    EXPECT_NE(*other, nullptr);
    first->reset();
    auto again = engine().take_role("lifecycle");
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_NE(*again, nullptr);
}

TEST_F(Roles, RefusesBadNames) {
    for (std::string_view name : {"", "Upper", "a/b", "../x"}) {
        auto r = engine().take_role(name);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
    }
}

TEST_F(Roles, StateIsReplacedOnlyFromWhatItWas) {
    auto none = engine().role_state("lifecycle");
    ASSERT_TRUE(none) << none.error().message();
    EXPECT_FALSE(*none);
    ASSERT_TRUE(IsOk(engine().swap_role_state("lifecycle", std::nullopt, "one")));
    // A second first write, and a write from a stale value, change nothing.
    auto again = engine().swap_role_state("lifecycle", std::nullopt, "other");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), Errc::PreconditionFailed);
    auto stale = engine().swap_role_state("lifecycle", std::string("zero"), "other");
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code(), Errc::PreconditionFailed);
    ASSERT_TRUE(IsOk(engine().swap_role_state("lifecycle", std::string("one"), "two")));
    auto now = engine().role_state("lifecycle");
    ASSERT_TRUE(now) << now.error().message();
    EXPECT_EQ(now->value_or(""), "two");
}

TEST_F(Roles, StateSurvivesAReopen) {
    ASSERT_TRUE(IsOk(engine().swap_role_state("lifecycle", std::nullopt, std::string("cursor\0bytes", 12))));
    ASSERT_NO_FATAL_FAILURE(reopen());
    auto now = engine().role_state("lifecycle");
    ASSERT_TRUE(now) << now.error().message();
    EXPECT_EQ(now->value_or(""), std::string("cursor\0bytes", 12));
}

}  // namespace
}  // namespace ostor::test
