// Deleting objects gives their space back to the file system (punched holes,
// empty segments unlinked), and copies share data instead of duplicating it.
#include <string>

#include "local/segment_store.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

// What a store with no live data may still hold under blobs/: at most the
// one segment a writer keeps open.
constexpr std::uint64_t kOneSegmentBytes = 64 * kMiB;
// Slack on live data allowed for block rounding and an open segment's tail.
constexpr std::uint64_t kSlackBytes = 64 * kMiB;

class Space : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }
    std::uint64_t blobs() { return allocated_bytes(dir_.path() / "blobs"); }
};

TEST_F(Space, DeletedObjectsGiveTheirSpaceBack) {
    SKIP_ON_RADOS("measures the segment files' disk space");
    constexpr int kObjects = 200;
    std::vector<std::uint64_t> sizes;
    std::mt19937_64 gen(2024);
    std::uniform_int_distribution<std::uint64_t> dist(64 * kKiB, kMiB);
    std::uint64_t written = 0;
    for (int i = 0; i < kObjects; ++i) {
        sizes.push_back(dist(gen));
        written += sizes.back();
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "o" + std::to_string(i), random_bytes(sizes.back(), i))));
    }
    EXPECT_GE(blobs(), written) << "the data is not all on disk";

    std::uint64_t live = 0;
    for (int i = 0; i < kObjects; ++i) {
        if (i % 3 == 0) {
            live += sizes[i];  // keep every third
        } else {
            ASSERT_TRUE(IsOk(engine().delete_object("bkt", "o" + std::to_string(i))));
        }
    }
    std::uint64_t allocated = blobs();
    EXPECT_GE(allocated, live) << "live data lost its blocks";
    EXPECT_LE(allocated, live + live / 10 + kSlackBytes)
        << "written " << written << ", live " << live << ", still allocated " << allocated;
    for (int i = 0; i < kObjects; i += 3)
        EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "o" + std::to_string(i)), random_bytes(sizes[i], i))) << i;

    for (int i = 0; i < kObjects; i += 3) ASSERT_TRUE(IsOk(engine().delete_object("bkt", "o" + std::to_string(i))));
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_LE(blobs(), kOneSegmentBytes) << "an empty store still holds data blocks";
}

TEST_F(Space, OverwritesGiveTheOldVersionsSpaceBack) {
    SKIP_ON_RADOS("measures the segment files' disk space");
    const std::string body = random_bytes(2 * kMiB, 1);
    for (int round = 0; round < 40; ++round) ASSERT_TRUE(IsOk(put(engine(), "bkt", "same", body)));
    EXPECT_LE(blobs(), 2 * kMiB + 2 * kMiB / 10 + kSlackBytes);
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "same"), body));
}

// A reader pinning part of an overwritten object keeps only what it reads:
// the rest of the old version is freed at once, the pinned part when the
// reader lets go.
TEST_F(Space, AReaderPinsOnlyTheDataItReads) {
    SKIP_ON_RADOS("measures the segment files' disk space");
    const std::string body = random_bytes(8 * kMiB, 3);  // eight 1 MiB extents, one after another
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", body)));
    ASSERT_GE(blobs(), 8 * kMiB);
    auto reader = engine().open_object("bkt", "k", ByteRange{3 * kMiB + 5, 3 * kMiB + 14});
    ASSERT_TRUE(reader) << reader.error().message();
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "small new version")));
    EXPECT_LE(blobs(), kMiB + 64 * kKiB) << "freeing stopped at the pinned extent";
    auto got = drain(**reader);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(*got, body.substr(3 * kMiB + 5, 10));
    reader->reset();
    EXPECT_LE(blobs(), 64 * kKiB) << "the pinned extent was not freed after its reader";
}

// Freed extents are punched after the commit that freed them, on a thread of
// their own; a process that ends before (a crash) leaves them listed, and
// the next open punches them.
TEST_F(Space, ExtentsFreedBeforeACrashAreGivenBackAtTheNextOpen) {
    SKIP_ON_RADOS("measures the segment files' disk space");
    // Both in the writer's segment, which "keep" keeps from being unlinked.
    const std::string keep = random_bytes(kMiB, 4);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "keep", keep)));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", random_bytes(8 * kMiB, 5))));
    ASSERT_GE(blobs(), 9 * kMiB);
    {
        // Released however this block ends: a hold left would stall every
        // later wait for reclaims in this process.
        struct Hold {
            Hold() { detail::testing::hold_reclaims(true); }
            ~Hold() { detail::testing::hold_reclaims(false); }
        } hold;
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "small new version")));
        engine_.reset();  // the held extents are never punched
    }
    ASSERT_GE(blobs(), 9 * kMiB) << "punched before the process ended: the test shows nothing";
    ASSERT_NO_FATAL_FAILURE(open());
    EXPECT_LE(blobs(), kMiB + 64 * kKiB) << "the old version's blocks were not given back at the open";
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "keep"), keep));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "k"), "small new version"));
}

TEST_F(Space, AbortedAndDroppedWritesGiveTheirSpaceBack) {
    SKIP_ON_RADOS("measures the segment files' disk space");
    for (int i = 0; i < 20; ++i) {
        auto w = engine().begin_put("bkt", "dropped");
        ASSERT_TRUE(w) << w.error().message();
        ASSERT_TRUE(IsOk((*w)->write(as_bytes(random_bytes(2 * kMiB, i)))));
    }
    auto up = engine().create_upload("bkt", "mp");
    ASSERT_TRUE(up) << up.error().message();
    for (std::uint32_t n = 1; n <= 8; ++n)
        ASSERT_TRUE(IsOk(engine().upload_part(up->id, n, as_bytes(random_bytes(2 * kMiB, n)))));
    ASSERT_TRUE(IsOk(engine().abort_upload(up->id)));
    EXPECT_LE(blobs(), kSlackBytes) << "56 MiB written, nothing live";
}

TEST_F(Space, CopiesShareDataInsteadOfDuplicatingIt) {
    SKIP_ON_RADOS("measures the segment files' disk space");
    constexpr int kObjects = 32;
    for (int i = 0; i < kObjects; ++i)
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "src" + std::to_string(i), random_bytes(kMiB, 100 + i))));
    const std::uint64_t before = blobs();
    for (int i = 0; i < kObjects; ++i)
        ASSERT_TRUE(IsOk(engine().copy_object("bkt", "src" + std::to_string(i), "bkt", "copy" + std::to_string(i))));
    const std::uint64_t after_copy = blobs();
    EXPECT_LE(after_copy, before + 4 * kMiB)
        << "copying " << kObjects << " MiB allocated " << (after_copy - before) << " bytes";
    for (int i = 0; i < kObjects; ++i) ASSERT_TRUE(IsOk(engine().delete_object("bkt", "src" + std::to_string(i))));
    EXPECT_GE(blobs(), kObjects * kMiB) << "data still referenced by copies was freed";
    for (int i = 0; i < kObjects; ++i)
        EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "copy" + std::to_string(i)), random_bytes(kMiB, 100 + i)));
    for (int i = 0; i < kObjects; ++i) ASSERT_TRUE(IsOk(engine().delete_object("bkt", "copy" + std::to_string(i))));
    EXPECT_LE(blobs(), kSlackBytes);
}

}  // namespace
}  // namespace ostor::test
