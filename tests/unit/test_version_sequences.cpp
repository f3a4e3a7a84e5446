// Sequences of versioned changes applied to a small in-memory key, checking
// after every step the invariants both backends rely on (docs/versioning.md,
// "The data model"): the current is newer than every other version, the head
// names the newest and the null version, at most one null version, and the
// ledger deltas add up to the versions stored (markers counting nothing).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "versions/version_ids.hpp"
#include "versions/version_plan.hpp"

namespace ostor::detail {
namespace {

constexpr std::int64_t kStartUs = 1'764'806'400'000'000;
constexpr std::int64_t kSecondUs = 1'000'000;

struct Key {
    std::optional<VersionEntry> current;
    std::map<std::string, VersionEntry> versions;  // newest first, as instances sort
    std::optional<VersionHead> head;
    std::int64_t bytes = 0, objects = 0;
    std::uint64_t next_handle = 1;
    std::uint32_t next_random = 1;
};

void apply(Key& k, const VersionChange& c) {
    for (const auto& gone : c.remove_versions) EXPECT_EQ(k.versions.erase(gone), 1u) << gone;
    auto adopt = [&](VersionEntry e) {
        if (e.handle == kNewEntry) e.handle = k.next_handle++;
        return e;
    };
    for (const auto& put : c.put_versions) k.versions[put.instance] = adopt(put);
    if (c.put_current) {
        k.current = adopt(*c.put_current);
    } else if (c.remove_current) {
        k.current.reset();
    }
    if (c.head) k.head = c.head;
    if (c.remove_head) k.head.reset();
    k.bytes += c.delta.bytes;
    k.objects += c.delta.objects;
}

void check_invariants(const Key& k) {
    std::int64_t bytes = 0, objects = 0;
    int nulls = 0;
    std::string null_among_versions;
    auto count = [&](const VersionEntry& e) {
        if (!e.marker) bytes += static_cast<std::int64_t>(e.size), ++objects;
        if (e.null_version || e.instance.empty()) ++nulls;
    };
    if (k.current) {
        EXPECT_FALSE(k.current->marker);
        count(*k.current);
    }
    for (const auto& [instance, e] : k.versions) {
        count(e);
        if (e.null_version) null_among_versions = instance;
    }
    EXPECT_EQ(bytes, k.bytes);
    EXPECT_EQ(objects, k.objects);
    EXPECT_LE(nulls, 1);
    if (k.current && k.current->instance.empty()) {  // an unversioned key: nothing else
        EXPECT_TRUE(k.versions.empty());
        EXPECT_FALSE(k.head);
        return;
    }
    if (!k.current && k.versions.empty()) {
        EXPECT_FALSE(k.head);
        return;
    }
    ASSERT_TRUE(k.head);
    if (k.current && !k.versions.empty()) {
        EXPECT_LT(k.current->instance, k.versions.begin()->first);
    }
    const std::string& newest = k.current ? k.current->instance : k.versions.begin()->first;
    EXPECT_EQ(k.head->newest, newest);
    EXPECT_EQ(k.head->newest_is_marker, !k.current);
    EXPECT_EQ(k.head->null_instance, null_among_versions);
}

VersionChange step(Key& k, VersioningState state, VersionOp op, std::int64_t now_us, std::string version_id = {},
                   std::uint64_t size = 0) {
    PlanInput in;
    in.versioning = state;
    in.op = op;
    in.version_id = std::move(version_id);
    in.size = size;
    in.current = k.current;
    in.head = k.head;
    for (const auto& [instance, e] : k.versions) in.versions.push_back(e);
    in.now_us = now_us;
    in.random = k.next_random++;
    auto r = plan_version_change(in);
    if (!r) {
        ADD_FAILURE() << "refused: " << r.error().message();
        return {};
    }
    apply(k, *r);
    check_invariants(k);
    return std::move(r).value();
}

TEST(VersionSequences, IdsSortNewestFirstWhileTheClockStepsBack) {
    Key k;
    std::vector<std::string> ids;
    for (int i = 0; i < 10; ++i) {
        // Each write's clock is a second behind the one before.
        auto c = step(k, VersioningState::Enabled, VersionOp::Write, kStartUs - i * kSecondUs, {}, 10);
        if (!ids.empty()) {
            EXPECT_LT(c.version_id, ids.back());
            EXPECT_GT(instance_time_us(c.version_id), instance_time_us(ids.back()));
        }
        ids.push_back(c.version_id);
    }
    // A marker written with the clock back still becomes the newest.
    auto m = step(k, VersioningState::Enabled, VersionOp::DeleteCurrent, kStartUs - kSecondUs * 60);
    EXPECT_LT(m.version_id, ids.back());
    EXPECT_EQ(k.versions.size(), 11u);
    EXPECT_EQ(k.objects, 10);
}

TEST(VersionSequences, RemovingNewestVersionsPromotesOlderOnesInTurn) {
    Key k;
    std::int64_t t = kStartUs;
    auto a = step(k, VersioningState::Enabled, VersionOp::Write, t += kSecondUs, {}, 10);
    auto b = step(k, VersioningState::Enabled, VersionOp::Write, t += kSecondUs, {}, 20);
    auto m = step(k, VersioningState::Enabled, VersionOp::DeleteCurrent, t += kSecondUs);
    EXPECT_FALSE(k.current);
    auto gone_marker = step(k, VersioningState::Enabled, VersionOp::DeleteVersion, t += kSecondUs, m.version_id);
    EXPECT_TRUE(gone_marker.delete_marker);
    ASSERT_TRUE(k.current);
    EXPECT_EQ(k.current->instance, b.version_id);
    step(k, VersioningState::Enabled, VersionOp::DeleteVersion, t += kSecondUs, b.version_id);
    ASSERT_TRUE(k.current);
    EXPECT_EQ(k.current->instance, a.version_id);
    EXPECT_EQ(k.bytes, 10);
    step(k, VersioningState::Enabled, VersionOp::DeleteVersion, t += kSecondUs, a.version_id);
    EXPECT_FALSE(k.current);
    EXPECT_FALSE(k.head);
    EXPECT_EQ(k.bytes, 0);
}

TEST(VersionSequences, OneNullVersionThroughOffEnabledAndSuspended) {
    Key k;
    std::int64_t t = kStartUs;
    step(k, VersioningState::Off, VersionOp::Write, t += kSecondUs, {}, 5);
    step(k, VersioningState::Off, VersionOp::Write, t += kSecondUs, {}, 7);  // replaced in place
    EXPECT_EQ(k.bytes, 7);
    step(k, VersioningState::Enabled, VersionOp::Write, t += kSecondUs, {}, 11);  // the unversioned one becomes null
    ASSERT_TRUE(k.head);
    EXPECT_FALSE(k.head->null_instance.empty());
    step(k, VersioningState::Suspended, VersionOp::Write, t += kSecondUs, {}, 13);  // replaces that null
    EXPECT_EQ(k.bytes, 11 + 13);
    step(k, VersioningState::Suspended, VersionOp::DeleteCurrent, t += kSecondUs);  // the null marker frees it
    EXPECT_EQ(k.bytes, 11);
    EXPECT_FALSE(k.current);
    step(k, VersioningState::Enabled, VersionOp::Write, t += kSecondUs, {}, 17);
    auto by_null = step(k, VersioningState::Enabled, VersionOp::DeleteVersion, t += kSecondUs, "null");
    EXPECT_TRUE(by_null.delete_marker);
    EXPECT_EQ(k.bytes, 11 + 17);
    EXPECT_EQ(k.objects, 2);
    EXPECT_EQ(k.versions.size(), 1u);
}

}  // namespace
}  // namespace ostor::detail
