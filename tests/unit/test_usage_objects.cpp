// Usage statistics objects written by gateways and read by billing.
#include <cstdio>
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

class UsageObjects : public EngineTest {
protected:
    static std::string name(int i) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "s3-usage-0100000000000001-2024-01-%02dT00:00:00.000Z-3600", i);
        return buf;
    }
    UsageObjectList list(std::string_view after = {}, std::uint32_t max = 1000) {
        auto r = engine().list_usage_objects(after, max);
        EXPECT_TRUE(r) << r.error().message();
        return r ? *r : UsageObjectList{};
    }
};

TEST_F(UsageObjects, PutThenGetRoundTrips) {
    const std::string json = R"({"ver":1,"items":[{"key":{"bucket":"b","epoch":1},"counters":{"ops":{"put":3}}}]})";
    ASSERT_TRUE(IsOk(engine().put_usage_object(name(1), json)));
    auto g = engine().get_usage_object(name(1));
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(*g, json);
}

TEST_F(UsageObjects, LargeAndEmptyContentRoundTrip) {
    const std::string big = random_bytes(300000, 5);
    ASSERT_TRUE(IsOk(engine().put_usage_object(name(2), big)));
    ASSERT_TRUE(IsOk(engine().put_usage_object(name(3), "")));
    auto g = engine().get_usage_object(name(2));
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_TRUE(SameBytes(*g, big));
    g = engine().get_usage_object(name(3));
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(*g, "");
}

TEST_F(UsageObjects, PutReplaces) {
    ASSERT_TRUE(IsOk(engine().put_usage_object(name(1), "first")));
    ASSERT_TRUE(IsOk(engine().put_usage_object(name(1), "second")));
    auto g = engine().get_usage_object(name(1));
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(*g, "second");
    EXPECT_EQ(list().names.size(), 1u);
}

TEST_F(UsageObjects, ListInNameOrder) {
    for (int i : {5, 1, 4, 2, 3}) ASSERT_TRUE(IsOk(engine().put_usage_object(name(i), "x")));
    auto l = list();
    EXPECT_EQ(l.names, (std::vector<std::string>{name(1), name(2), name(3), name(4), name(5)}));
    EXPECT_FALSE(l.truncated);
}

TEST_F(UsageObjects, PaginationWithAfterAndMaxItems) {
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE(IsOk(engine().put_usage_object(name(i), "x")));
    auto p1 = list({}, 2);
    EXPECT_EQ(p1.names, (std::vector<std::string>{name(1), name(2)}));
    EXPECT_TRUE(p1.truncated);
    auto p2 = list(name(2), 2);
    EXPECT_EQ(p2.names, (std::vector<std::string>{name(3), name(4)}));
    EXPECT_TRUE(p2.truncated);
    auto p3 = list(name(4), 2);
    EXPECT_EQ(p3.names, (std::vector<std::string>{name(5)}));
    EXPECT_FALSE(p3.truncated);
    // `after` need not be an existing name; it is strictly after.
    auto p4 = list(name(2) + "!", 10);
    EXPECT_EQ(p4.names, (std::vector<std::string>{name(3), name(4), name(5)}));
    auto p5 = list(name(5), 10);
    EXPECT_TRUE(p5.names.empty());
    EXPECT_FALSE(p5.truncated);
}

TEST_F(UsageObjects, ExactlyFullPageIsNotTruncated) {
    for (int i = 1; i <= 4; ++i) ASSERT_TRUE(IsOk(engine().put_usage_object(name(i), "x")));
    auto p = list(name(2), 2);
    EXPECT_EQ(p.names, (std::vector<std::string>{name(3), name(4)}));
    EXPECT_FALSE(p.truncated);
}

TEST_F(UsageObjects, DeleteThenGetIsNoSuchUsageObject) {
    ASSERT_TRUE(IsOk(engine().put_usage_object(name(1), "x")));
    ASSERT_TRUE(IsOk(engine().put_usage_object(name(2), "y")));
    ASSERT_TRUE(IsOk(engine().delete_usage_object(name(1))));
    EXPECT_TRUE(FailsWith(engine().get_usage_object(name(1)), Errc::NoSuchUsageObject));
    EXPECT_TRUE(FailsWith(engine().delete_usage_object(name(1)), Errc::NoSuchUsageObject));
    EXPECT_EQ(list().names, (std::vector<std::string>{name(2)}));
}

TEST_F(UsageObjects, UnknownIsNoSuchUsageObject) {
    EXPECT_TRUE(FailsWith(engine().get_usage_object(name(9)), Errc::NoSuchUsageObject));
    EXPECT_TRUE(FailsWith(engine().delete_usage_object(name(9)), Errc::NoSuchUsageObject));
    EXPECT_TRUE(list().names.empty());
}

TEST_F(UsageObjects, BadNamesRefused) {
    for (const std::string& bad : {std::string(), std::string("a/b"), std::string("has space"), std::string(256, 'u'),
                                   std::string("tab\there"), std::string("non-ascii-\xc3\xa9")})
        EXPECT_TRUE(FailsWith(engine().put_usage_object(bad, "x"), Errc::InvalidArgument)) << bad;
    EXPECT_TRUE(list().names.empty());
    EXPECT_TRUE(IsOk(engine().put_usage_object(std::string(255, 'u'), "x")));
}

TEST_F(UsageObjects, IndependentOfBucketsAndObjects) {
    ASSERT_TRUE(IsOk(engine().put_usage_object(name(1), "x")));
    auto buckets = engine().list_buckets();
    ASSERT_TRUE(buckets) << buckets.error().message();
    EXPECT_TRUE(buckets->empty());
}

}  // namespace
}  // namespace ostor::test
