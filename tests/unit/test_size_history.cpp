// The bucket size history a provider bills storage on.
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

class BucketSize : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        start_hour_ = now_hours();
        uid_ = user_with_bucket("bkt");
        ASSERT_FALSE(uid_.empty());
    }
    ostor::SizeHistory size() {
        auto b = engine().get_bucket("bkt");
        EXPECT_TRUE(b) << b.error().message();
        if (!b) return {};
        EXPECT_EQ(b->bytes, b->size.current) << "Bucket::bytes and size.current disagree";
        return b->size;
    }
    // current/hmax exact; last_ts this hour; h_integral only grows when an
    // hour boundary passed during the test.
    void expect_size(std::uint64_t current, std::uint64_t hmax) {
        ostor::SizeHistory s = size();
        EXPECT_EQ(s.current, current);
        EXPECT_EQ(s.hmax, hmax);
        std::uint64_t end_hour = now_hours();
        EXPECT_GE(s.last_ts, start_hour_);
        EXPECT_LE(s.last_ts, end_hour);
        EXPECT_LE(s.h_integral, hmax * (end_hour - start_hour_));
    }
    std::uint64_t start_hour_ = 0;
    std::string uid_;
};

TEST_F(BucketSize, NewBucketStartsAtZero) {
    ostor::SizeHistory s = size();
    EXPECT_EQ(s.current, 0u);
    EXPECT_EQ(s.hmax, 0u);
    EXPECT_EQ(s.h_integral, 0u);
}

TEST_F(BucketSize, CurrentAndMaximumFollowPutsAndDeletes) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", std::string(1000, 'a'))));
    expect_size(1000, 1000);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "b", std::string(500, 'b'))));
    expect_size(1500, 1500);
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "a")));
    expect_size(500, 1500);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "b", std::string(100, 'b'))));  // overwrite shrinks
    expect_size(100, 1500);
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "b", "bkt", "b2")));
    expect_size(200, 1500);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "c", std::string(2000, 'c'))));
    expect_size(2200, 2200);
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "c")));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "b")));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "b2")));
    expect_size(0, 2200);
}

TEST_F(BucketSize, TimestampIsTheCurrentHour) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", "x")));
    ostor::SizeHistory s = size();
    EXPECT_GE(s.last_ts, start_hour_);
    EXPECT_LE(s.last_ts, now_hours());
    EXPECT_GT(s.last_ts, 400000u);  // hours, not seconds or milliseconds (2015+)
    EXPECT_LT(s.last_ts, 2000000u);
}

TEST_F(BucketSize, MultipartPartsCount) {
    auto up = engine().create_upload("bkt", "mp");
    ASSERT_TRUE(up) << up.error().message();
    auto p = engine().upload_part(up->id, 1, as_bytes(std::string(4000, 'p')));
    ASSERT_TRUE(p) << p.error().message();
    expect_size(4000, 4000);
    ASSERT_TRUE(IsOk(engine().complete_upload(up->id, {{1, p->etag}})));
    expect_size(4000, 4000);
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "mp")));
    expect_size(0, 4000);
}

TEST_F(BucketSize, SurvivesReopen) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", std::string(3000, 'a'))));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "b", std::string(700, 'b'))));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "a")));
    ostor::SizeHistory before = size();
    ASSERT_NO_FATAL_FAILURE(reopen());
    ostor::SizeHistory after = size();
    EXPECT_EQ(after.current, 700u);
    EXPECT_EQ(after.hmax, 3700u);
    EXPECT_EQ(after.current, before.current);
    EXPECT_EQ(after.hmax, before.hmax);
    EXPECT_EQ(after.last_ts, before.last_ts);
    EXPECT_EQ(after.h_integral, before.h_integral);
}

TEST_F(BucketSize, RecreatedBucketStartsAnew) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", std::string(3000, 'a'))));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "a")));
    ASSERT_TRUE(IsOk(engine().delete_bucket("bkt")));
    make_bucket("bkt", uid_);
    ostor::SizeHistory s = size();
    EXPECT_EQ(s.current, 0u);
    EXPECT_EQ(s.hmax, 0u);
    EXPECT_EQ(s.h_integral, 0u);
}

}  // namespace
}  // namespace ostor::test
