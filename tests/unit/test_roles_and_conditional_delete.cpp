// The lifecycle worker's engine calls: a delete conditional on the current
// object being the write evaluated (DeleteOptions::if_current), and roles
// (one holder at a time, a state record replaced by compare-and-set).
#include <chrono>
#include <string>
#include <thread>

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
