// A failed sync of a segment fails every later sync of it. Linux reports a
// failed writeback once per open file, to the first fdatasync after it, and
// marks the pages clean though they never reached the disk: a writer whose
// data shared the segment with the one that saw the error would otherwise be
// acknowledged for lost data. New writes go to a new segment.
//
// White-box: the failure is injected by a test hook of the segment store
// (segment_store.hpp), which really syncs and then reports EIO.
#include <cerrno>
#include <string>

#include "local/segment_store.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

// More than a writer's buffer, so that writing it hands the first part to
// the segment before the commit: both writers' data is in the segment when
// the first commit syncs it.
constexpr std::size_t kBodyBytes = kMiB + 128 * kKiB;

class FailedSync : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }
    void TearDown() override { detail::testing::fail_next_segment_syncs(0, 0); }

    std::unique_ptr<ObjectWriter> writing(std::string_view key, const std::string& body) {
        auto w = engine().begin_put("bkt", key);
        EXPECT_TRUE(w) << w.error().message();
        if (!w) return nullptr;
        EXPECT_TRUE(IsOk((*w)->write(as_bytes(body))));
        return std::move(*w);
    }
    static ::testing::AssertionResult FailsForLostData(const Result<ObjectInfo>& r) {
        if (r) return ::testing::AssertionFailure() << "acknowledged";
        if (r.error().code() != Errc::IoError && r.error().code() != Errc::NoSpace)
            return ::testing::AssertionFailure() << "failed with " << r.error().info().name;
        return ::testing::AssertionSuccess();
    }
};

TEST_F(FailedSync, AWriterSharingTheSegmentIsNotAcknowledgedAfterAnotherSawTheError) {
    SKIP_ON_RADOS("injects a segment file sync failure");
    const std::string body_a = random_bytes(kBodyBytes, 1), body_b = random_bytes(kBodyBytes, 2);
    auto a = writing("a", body_a);
    auto b = writing("b", body_b);
    ASSERT_TRUE(a && b);

    detail::testing::fail_next_segment_syncs(1, EIO);
    EXPECT_TRUE(FailsForLostData(a->commit()));
    // The kernel would report nothing more: B's sync of the segment returns 0.
    EXPECT_TRUE(FailsForLostData(b->commit()));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "a"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "b"), Errc::NoSuchKey));

    // New writes go to a new segment and succeed.
    const std::string body_c = random_bytes(kBodyBytes, 3);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "c", body_c)));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "c"), body_c));
}

}  // namespace
}  // namespace ostor::test
