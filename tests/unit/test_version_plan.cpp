// The plan of every versioned change (docs/versioning.md, "Writes"), driven
// directly: for each versioning state and operation, what the key holds
// before, the change (entries put and removed, head, freed records, ledger
// deltas, answer) or the refusal. A small in-memory key applies changes so
// that sequences (promotion, the clock stepping back) are checked end to end
// against the design's invariants.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "versions/version_ids.hpp"
#include "versions/version_plan.hpp"

namespace ostor::detail {
namespace {

constexpr std::int64_t kNowUs = 1'764'806'400'000'000;
constexpr std::int64_t kSecondUs = 1'000'000;
constexpr TimestampMs kNowMs = kNowUs / 1000;
constexpr TimestampMs kHourMs = 3'600'000;
constexpr std::uint32_t kRandom = 0x5eed;
constexpr std::uint64_t kNewSize = 100;

std::string inst(std::int64_t t_us, std::uint32_t random = 7) { return make_instance(t_us, random); }

VersionEntry object(std::string instance, std::uint64_t size, std::uint64_t handle, bool null_version = false) {
    VersionEntry e;
    e.instance = std::move(instance);
    e.null_version = null_version;
    e.size = size;
    e.handle = handle;
    return e;
}

VersionEntry marker(std::string instance, std::uint64_t handle, bool null_version = false) {
    VersionEntry e = object(std::move(instance), 0, handle, null_version);
    e.marker = true;
    return e;
}

// A current written while the bucket was unversioned: no instance.
VersionEntry unversioned(std::uint64_t size, std::uint64_t handle, TimestampMs last_modified_ms) {
    VersionEntry e = object("", size, handle);
    e.last_modified_ms = last_modified_ms;
    return e;
}

PlanInput input(VersioningState state, VersionOp op, std::string version_id = {}) {
    PlanInput in;
    in.versioning = state;
    in.op = op;
    in.version_id = std::move(version_id);
    in.size = kNewSize;
    in.now_us = kNowUs;
    in.random = kRandom;
    return in;
}

VersionChange plan_ok(const PlanInput& in) {
    auto r = plan_version_change(in);
    if (!r) ADD_FAILURE() << "plan refused: " << r.error().message();
    return r ? std::move(r).value() : VersionChange{};
}

Errc plan_error(const PlanInput& in) {
    auto r = plan_version_change(in);
    EXPECT_FALSE(r) << "the plan should refuse";
    return r ? Errc::Internal : r.error().code();
}

void expect_delta(const VersionChange& c, std::int64_t bytes, std::int64_t objects) {
    EXPECT_EQ(c.delta.bytes, bytes);
    EXPECT_EQ(c.delta.objects, objects);
}

std::vector<std::uint64_t> handles(const std::vector<VersionEntry>& entries) {
    std::vector<std::uint64_t> out;
    for (const auto& e : entries) out.push_back(e.handle);
    return out;
}

// ---- Off: as today ----------------------------------------------------------

TEST(VersionPlanOff, APutReplacesTheCurrentAndFreesIt) {
    auto in = input(VersioningState::Off, VersionOp::Write);
    auto fresh = plan_ok(in);
    ASSERT_TRUE(fresh.put_current);
    EXPECT_EQ(fresh.put_current->handle, kNewEntry);
    EXPECT_TRUE(fresh.put_current->instance.empty());
    EXPECT_TRUE(fresh.freed.empty());
    EXPECT_FALSE(fresh.head);
    EXPECT_EQ(fresh.version_id, "");
    expect_delta(fresh, kNewSize, 1);

    in.current = unversioned(30, 1, kNowMs - kHourMs);
    auto over = plan_ok(in);
    EXPECT_EQ(handles(over.freed), std::vector<std::uint64_t>{1});
    EXPECT_TRUE(over.put_versions.empty());
    EXPECT_FALSE(over.head);
    expect_delta(over, kNewSize - 30, 0);
}

TEST(VersionPlanOff, DeletesRemoveTheCurrentOnlyByNoIdOrNull) {
    auto del = input(VersioningState::Off, VersionOp::DeleteCurrent);
    EXPECT_EQ(plan_error(del), Errc::NoSuchKey);
    del.current = unversioned(30, 1, kNowMs);
    auto c = plan_ok(del);
    EXPECT_TRUE(c.remove_current);
    EXPECT_FALSE(c.delete_marker);
    EXPECT_EQ(handles(c.freed), std::vector<std::uint64_t>{1});
    expect_delta(c, -30, -1);

    auto by_null = input(VersioningState::Off, VersionOp::DeleteVersion, "null");
    EXPECT_EQ(plan_error(by_null), Errc::NoSuchVersion);
    by_null.current = unversioned(30, 1, kNowMs);
    auto n = plan_ok(by_null);
    EXPECT_TRUE(n.remove_current);
    EXPECT_EQ(n.version_id, "null");
    expect_delta(n, -30, -1);

    auto by_id = input(VersioningState::Off, VersionOp::DeleteVersion, inst(kNowUs));
    by_id.current = unversioned(30, 1, kNowMs);
    EXPECT_EQ(plan_error(by_id), Errc::NoSuchVersion);
}

TEST(VersionPlanOff, AHeadInAnUnversionedBucketIsInconsistent) {
    auto in = input(VersioningState::Off, VersionOp::Write);
    in.head = VersionHead{inst(kNowUs), false, ""};
    EXPECT_EQ(plan_error(in), Errc::Internal);
}

// ---- Enabled ------------------------------------------------------------------

TEST(VersionPlanEnabled, APutAddsACurrentVersionAndFreesNothing) {
    auto in = input(VersioningState::Enabled, VersionOp::Write);
    auto c = plan_ok(in);
    ASSERT_TRUE(c.put_current);
    EXPECT_EQ(c.put_current->instance, make_instance(kNowUs, kRandom));
    EXPECT_FALSE(c.put_current->null_version);
    EXPECT_EQ(c.version_id, c.put_current->instance);
    ASSERT_TRUE(c.head);
    EXPECT_EQ(c.head->newest, c.put_current->instance);
    EXPECT_FALSE(c.head->newest_is_marker);
    EXPECT_TRUE(c.head->null_instance.empty());
    EXPECT_TRUE(c.freed.empty());
    expect_delta(c, kNewSize, 1);
}

TEST(VersionPlanEnabled, AnUnversionedCurrentMovesIntoTheVersionsAsTheNullVersion) {
    auto in = input(VersioningState::Enabled, VersionOp::Write);
    in.current = unversioned(30, 1, kNowMs - kHourMs);
    auto c = plan_ok(in);
    ASSERT_EQ(c.put_versions.size(), 1u);
    const VersionEntry& moved = c.put_versions[0];
    EXPECT_EQ(moved.handle, 1u);
    EXPECT_TRUE(moved.null_version);
    EXPECT_EQ(instance_time_us(moved.instance), (kNowMs - kHourMs) * 1000);
    ASSERT_TRUE(c.put_current && c.head);
    EXPECT_LT(c.put_current->instance, moved.instance);  // newest first
    EXPECT_EQ(c.head->null_instance, moved.instance);
    EXPECT_TRUE(c.freed.empty());
    expect_delta(c, kNewSize, 1);  // the old version still counts
}

TEST(VersionPlanEnabled, AVersionedCurrentKeepsItsInstanceAndTheHeadItsNull) {
    auto in = input(VersioningState::Enabled, VersionOp::Write);
    in.current = object(inst(kNowUs - kSecondUs), 30, 1);
    in.head = VersionHead{in.current->instance, false, inst(kNowUs - 5 * kSecondUs)};
    auto c = plan_ok(in);
    ASSERT_EQ(c.put_versions.size(), 1u);
    EXPECT_EQ(c.put_versions[0].instance, in.current->instance);
    EXPECT_EQ(c.head->null_instance, in.head->null_instance);
    expect_delta(c, kNewSize, 1);
}

TEST(VersionPlanEnabled, ADeleteWithoutIdAddsAMarkerCountingNothing) {
    auto in = input(VersioningState::Enabled, VersionOp::DeleteCurrent);
    in.current = object(inst(kNowUs - kSecondUs), 30, 1);
    in.head = VersionHead{in.current->instance, false, ""};
    auto c = plan_ok(in);
    EXPECT_TRUE(c.remove_current);
    EXPECT_FALSE(c.put_current);
    ASSERT_EQ(c.put_versions.size(), 2u);
    EXPECT_EQ(c.put_versions[0].handle, 1u);
    const VersionEntry& m = c.put_versions[1];
    EXPECT_TRUE(m.marker);
    EXPECT_EQ(m.handle, kNewEntry);
    EXPECT_TRUE(c.delete_marker);
    EXPECT_EQ(c.version_id, m.instance);
    EXPECT_EQ(c.head->newest, m.instance);
    EXPECT_TRUE(c.head->newest_is_marker);
    EXPECT_TRUE(c.freed.empty());
    expect_delta(c, 0, 0);
}

TEST(VersionPlanEnabled, ADeleteOfNothingOrOfAMarkerAddsAMarkerStill) {
    auto none = input(VersioningState::Enabled, VersionOp::DeleteCurrent);
    auto c = plan_ok(none);
    ASSERT_EQ(c.put_versions.size(), 1u);
    EXPECT_TRUE(c.put_versions[0].marker);
    EXPECT_FALSE(c.remove_current);
    ASSERT_TRUE(c.head);
    expect_delta(c, 0, 0);

    auto again = input(VersioningState::Enabled, VersionOp::DeleteCurrent);
    std::string old_marker = inst(kNowUs - kSecondUs);
    again.head = VersionHead{old_marker, true, ""};
    auto c2 = plan_ok(again);
    ASSERT_EQ(c2.put_versions.size(), 1u);
    EXPECT_LT(c2.put_versions[0].instance, old_marker);
    EXPECT_TRUE(c2.remove_versions.empty());
    expect_delta(c2, 0, 0);
}

TEST(VersionPlanEnabled, DeletingTheCurrentPromotesTheNextObject) {
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, inst(kNowUs - kSecondUs));
    in.current = object(inst(kNowUs - kSecondUs), 30, 3);
    in.head = VersionHead{in.current->instance, false, ""};
    in.versions = {object(inst(kNowUs - 3 * kSecondUs), 10, 1), object(inst(kNowUs - 2 * kSecondUs), 20, 2)};
    auto c = plan_ok(in);
    ASSERT_TRUE(c.put_current);
    EXPECT_EQ(c.put_current->handle, 2u);
    EXPECT_FALSE(c.remove_current);
    EXPECT_EQ(c.remove_versions, std::vector<std::string>{inst(kNowUs - 2 * kSecondUs)});
    EXPECT_EQ(handles(c.freed), std::vector<std::uint64_t>{3});
    ASSERT_TRUE(c.head);
    EXPECT_EQ(c.head->newest, inst(kNowUs - 2 * kSecondUs));
    EXPECT_FALSE(c.head->newest_is_marker);
    EXPECT_FALSE(c.delete_marker);
    EXPECT_EQ(c.version_id, in.version_id);
    expect_delta(c, -30, -1);  // promotion changes no count
}

TEST(VersionPlanEnabled, DeletingTheCurrentAboveAMarkerLeavesTheKeyDeleted) {
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, inst(kNowUs - kSecondUs));
    in.current = object(inst(kNowUs - kSecondUs), 30, 3);
    in.head = VersionHead{in.current->instance, false, ""};
    in.versions = {marker(inst(kNowUs - 2 * kSecondUs), 2), object(inst(kNowUs - 3 * kSecondUs), 10, 1)};
    auto c = plan_ok(in);
    EXPECT_TRUE(c.remove_current);
    EXPECT_FALSE(c.put_current);
    EXPECT_TRUE(c.remove_versions.empty());
    EXPECT_EQ(c.head->newest, inst(kNowUs - 2 * kSecondUs));
    EXPECT_TRUE(c.head->newest_is_marker);
    expect_delta(c, -30, -1);
}

TEST(VersionPlanEnabled, DeletingTheLastVersionRemovesTheHead) {
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, inst(kNowUs - kSecondUs));
    in.current = object(inst(kNowUs - kSecondUs), 30, 3);
    in.head = VersionHead{in.current->instance, false, ""};
    auto c = plan_ok(in);
    EXPECT_TRUE(c.remove_current);
    EXPECT_TRUE(c.remove_head);
    EXPECT_FALSE(c.head);
}

TEST(VersionPlanEnabled, DeletingANoncurrentVersionLeavesCurrentAndHead) {
    std::string old = inst(kNowUs - 3 * kSecondUs);
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, old);
    in.current = object(inst(kNowUs - kSecondUs), 30, 3);
    in.head = VersionHead{in.current->instance, false, ""};
    in.versions = {object(old, 10, 1)};
    auto c = plan_ok(in);
    EXPECT_FALSE(c.put_current);
    EXPECT_FALSE(c.remove_current);
    EXPECT_EQ(c.remove_versions, std::vector<std::string>{old});
    EXPECT_FALSE(c.head);  // unchanged: not written, so removals of other old versions do not conflict
    EXPECT_FALSE(c.remove_head);
    EXPECT_EQ(handles(c.freed), std::vector<std::uint64_t>{1});
    expect_delta(c, -10, -1);
}

TEST(VersionPlanEnabled, DeletingACurrentMarkerPromotesTheObjectBelow) {
    std::string m = inst(kNowUs - kSecondUs);
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, m);
    in.head = VersionHead{m, true, ""};
    in.versions = {marker(m, 2), object(inst(kNowUs - 2 * kSecondUs), 20, 1)};
    auto c = plan_ok(in);
    EXPECT_TRUE(c.delete_marker);
    EXPECT_TRUE(c.freed.empty());
    expect_delta(c, 0, 0);
    ASSERT_TRUE(c.put_current);
    EXPECT_EQ(c.put_current->handle, 1u);
    EXPECT_EQ(c.remove_versions, (std::vector<std::string>{m, inst(kNowUs - 2 * kSecondUs)}));
    EXPECT_EQ(c.head->newest, inst(kNowUs - 2 * kSecondUs));
    EXPECT_FALSE(c.head->newest_is_marker);
}

TEST(VersionPlanEnabled, DeletingTheOnlyMarkerEmptiesTheKey) {
    std::string m = inst(kNowUs - kSecondUs);
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, m);
    in.head = VersionHead{m, true, ""};
    in.versions = {marker(m, 2)};
    auto c = plan_ok(in);
    EXPECT_TRUE(c.remove_head);
    EXPECT_FALSE(c.put_current);
    expect_delta(c, 0, 0);
}

TEST(VersionPlanEnabled, DeletingTheNullVersionAmongTheVersionsClearsItFromTheHead) {
    std::string null_instance = inst(kNowUs - 2 * kSecondUs);
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, "null");
    in.current = object(inst(kNowUs - kSecondUs), 30, 3);
    in.head = VersionHead{in.current->instance, false, null_instance};
    in.versions = {object(null_instance, 10, 1, true)};
    auto c = plan_ok(in);
    EXPECT_EQ(c.remove_versions, std::vector<std::string>{null_instance});
    ASSERT_TRUE(c.head);
    EXPECT_TRUE(c.head->null_instance.empty());
    EXPECT_EQ(c.version_id, "null");
    expect_delta(c, -10, -1);
}

TEST(VersionPlanEnabled, PromotingTheNullVersionClearsItFromTheHead) {
    std::string null_instance = inst(kNowUs - 2 * kSecondUs);
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, inst(kNowUs - kSecondUs));
    in.current = object(inst(kNowUs - kSecondUs), 30, 3);
    in.head = VersionHead{in.current->instance, false, null_instance};
    in.versions = {object(null_instance, 10, 1, true)};
    auto c = plan_ok(in);
    ASSERT_TRUE(c.put_current);
    EXPECT_TRUE(c.put_current->null_version);
    EXPECT_TRUE(c.head->null_instance.empty());
}

TEST(VersionPlanEnabled, AnIdNamingNothingIsNoSuchVersionAndChangesNothing) {
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, inst(kNowUs - 9 * kSecondUs));
    in.current = object(inst(kNowUs - kSecondUs), 30, 3);
    in.head = VersionHead{in.current->instance, false, ""};
    EXPECT_EQ(plan_error(in), Errc::NoSuchVersion);
    in.version_id = "null";
    EXPECT_EQ(plan_error(in), Errc::NoSuchVersion);
    for (const char* malformed : {"", "nil", "ZZZ", "0123456789ABCDEF01234567"}) {
        in.version_id = malformed;
        EXPECT_EQ(plan_error(in), Errc::NoSuchVersion) << malformed;
    }
}

TEST(VersionPlanEnabled, DeletingNullWhenTheCurrentIsUnversioned) {
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, "null");
    in.current = unversioned(30, 1, kNowMs);
    auto c = plan_ok(in);
    EXPECT_TRUE(c.remove_current);
    EXPECT_FALSE(c.remove_head);  // there was none
    expect_delta(c, -30, -1);
}

// ---- Suspended: the null version is replaced wherever it is ---------------------

TEST(VersionPlanSuspended, APutReplacesANullCurrentAndFreesIt) {
    auto in = input(VersioningState::Suspended, VersionOp::Write);
    in.current = object(inst(kNowUs - kSecondUs), 30, 1, true);
    in.head = VersionHead{in.current->instance, false, ""};
    auto c = plan_ok(in);
    ASSERT_TRUE(c.put_current);
    EXPECT_TRUE(c.put_current->null_version);
    EXPECT_EQ(c.version_id, "null");
    EXPECT_TRUE(c.put_versions.empty());
    EXPECT_EQ(handles(c.freed), std::vector<std::uint64_t>{1});
    EXPECT_EQ(c.head->newest, c.put_current->instance);
    expect_delta(c, kNewSize - 30, 0);
}

TEST(VersionPlanSuspended, APutReplacesAnUnversionedCurrent) {
    auto in = input(VersioningState::Suspended, VersionOp::Write);
    in.current = unversioned(30, 1, kNowMs - kHourMs);
    auto c = plan_ok(in);
    EXPECT_EQ(handles(c.freed), std::vector<std::uint64_t>{1});
    EXPECT_TRUE(c.put_versions.empty());
    ASSERT_TRUE(c.head);
    EXPECT_TRUE(c.head->null_instance.empty());
    expect_delta(c, kNewSize - 30, 0);
}

TEST(VersionPlanSuspended, APutMovesAVersionedCurrentAndRemovesTheNullAmongTheVersions) {
    std::string null_instance = inst(kNowUs - 3 * kSecondUs);
    auto in = input(VersioningState::Suspended, VersionOp::Write);
    in.current = object(inst(kNowUs - kSecondUs), 30, 2);
    in.head = VersionHead{in.current->instance, false, null_instance};
    in.versions = {object(null_instance, 10, 1, true)};
    auto c = plan_ok(in);
    EXPECT_EQ(handles(c.put_versions), std::vector<std::uint64_t>{2});
    EXPECT_EQ(c.remove_versions, std::vector<std::string>{null_instance});
    EXPECT_EQ(handles(c.freed), std::vector<std::uint64_t>{1});
    EXPECT_TRUE(c.head->null_instance.empty());  // the null version is the current now
    expect_delta(c, kNewSize - 10, 0);
}

TEST(VersionPlanSuspended, ANullMarkerAmongTheVersionsGoesWithoutCounting) {
    std::string null_instance = inst(kNowUs - 3 * kSecondUs);
    auto in = input(VersioningState::Suspended, VersionOp::Write);
    in.head = VersionHead{null_instance, true, null_instance};
    in.versions = {marker(null_instance, 1, true)};
    auto c = plan_ok(in);
    EXPECT_EQ(c.remove_versions, std::vector<std::string>{null_instance});
    EXPECT_TRUE(c.freed.empty());
    expect_delta(c, kNewSize, 1);
}

TEST(VersionPlanSuspended, TheNullEntryMustBeGivenToThePlan) {
    auto in = input(VersioningState::Suspended, VersionOp::Write);
    in.current = object(inst(kNowUs - kSecondUs), 30, 2);
    in.head = VersionHead{in.current->instance, false, inst(kNowUs - 3 * kSecondUs)};
    EXPECT_EQ(plan_error(in), Errc::Internal);
}

TEST(VersionPlanSuspended, ADeleteWithoutIdMakesTheMarkerTheNullVersion) {
    std::string null_instance = inst(kNowUs - 3 * kSecondUs);
    auto in = input(VersioningState::Suspended, VersionOp::DeleteCurrent);
    in.current = object(inst(kNowUs - kSecondUs), 30, 2);
    in.head = VersionHead{in.current->instance, false, null_instance};
    in.versions = {object(null_instance, 10, 1, true)};
    auto c = plan_ok(in);
    EXPECT_TRUE(c.remove_current);
    ASSERT_EQ(c.put_versions.size(), 2u);
    EXPECT_EQ(c.put_versions[0].handle, 2u);
    const VersionEntry& m = c.put_versions[1];
    EXPECT_TRUE(m.marker && m.null_version);
    EXPECT_EQ(c.version_id, "null");
    EXPECT_TRUE(c.delete_marker);
    EXPECT_EQ(c.head->newest, m.instance);
    EXPECT_EQ(c.head->null_instance, m.instance);
    EXPECT_EQ(c.remove_versions, std::vector<std::string>{null_instance});
    expect_delta(c, -10, -1);
}

TEST(VersionPlanSuspended, ADeleteWithoutIdFreesANullCurrent) {
    auto in = input(VersioningState::Suspended, VersionOp::DeleteCurrent);
    in.current = object(inst(kNowUs - kSecondUs), 30, 1, true);
    in.head = VersionHead{in.current->instance, false, ""};
    auto c = plan_ok(in);
    EXPECT_TRUE(c.remove_current);
    EXPECT_EQ(handles(c.freed), std::vector<std::uint64_t>{1});
    ASSERT_EQ(c.put_versions.size(), 1u);
    expect_delta(c, -30, -1);
}

TEST(VersionPlanSuspended, DeletingNullByIdRemovesTheNullCurrent) {
    auto in = input(VersioningState::Suspended, VersionOp::DeleteVersion, "null");
    in.current = object(inst(kNowUs - kSecondUs), 30, 2, true);
    in.head = VersionHead{in.current->instance, false, ""};
    in.versions = {object(inst(kNowUs - 2 * kSecondUs), 20, 1)};
    auto c = plan_ok(in);
    EXPECT_EQ(handles(c.freed), std::vector<std::uint64_t>{2});
    ASSERT_TRUE(c.put_current);
    EXPECT_EQ(c.put_current->handle, 1u);
    expect_delta(c, -30, -1);
}

// ---- object lock inside the plan: no removal goes around it ----------------------

ObjectLock retained(RetentionMode mode, TimestampMs until_ms, bool hold = false) {
    return ObjectLock{Retention{mode, until_ms}, hold};
}

PlanInput delete_locked_noncurrent(const ObjectLock& lock, bool bypass) {
    std::string old = inst(kNowUs - 2 * kSecondUs);
    auto in = input(VersioningState::Enabled, VersionOp::DeleteVersion, old);
    in.current = object(inst(kNowUs - kSecondUs), 30, 2);
    in.head = VersionHead{in.current->instance, false, ""};
    in.versions = {object(old, 10, 1)};
    in.versions[0].lock = lock;
    in.bypass_governance = bypass;
    return in;
}

TEST(VersionPlanLock, ComplianceIsNeverRemovedEvenWithBypass) {
    auto lock = retained(RetentionMode::Compliance, kNowMs + kHourMs);
    EXPECT_EQ(plan_error(delete_locked_noncurrent(lock, false)), Errc::ObjectLocked);
    EXPECT_EQ(plan_error(delete_locked_noncurrent(lock, true)), Errc::ObjectLocked);
    plan_ok(delete_locked_noncurrent(retained(RetentionMode::Compliance, kNowMs), false));  // expired
}

TEST(VersionPlanLock, GovernanceIsRemovedWithBypassOnly) {
    auto lock = retained(RetentionMode::Governance, kNowMs + kHourMs);
    EXPECT_EQ(plan_error(delete_locked_noncurrent(lock, false)), Errc::ObjectLocked);
    expect_delta(plan_ok(delete_locked_noncurrent(lock, true)), -10, -1);
}

TEST(VersionPlanLock, ALegalHoldBlocksRemovalEvenWithBypass) {
    EXPECT_EQ(plan_error(delete_locked_noncurrent(retained(RetentionMode::None, 0, true), true)), Errc::ObjectLocked);
}

TEST(VersionPlanLock, TheClockMarginHoldsAVersionPastItsDate) {
    auto in = delete_locked_noncurrent(retained(RetentionMode::Compliance, kNowMs - 1), false);
    plan_ok(in);
    in.clock_margin_ms = 60'000;
    EXPECT_EQ(plan_error(in), Errc::ObjectLocked);
}

TEST(VersionPlanLock, ALockedCurrentIsNotRemovedByIdNorReplacedAsNull) {
    auto by_id = input(VersioningState::Enabled, VersionOp::DeleteVersion, inst(kNowUs - kSecondUs));
    by_id.current = object(inst(kNowUs - kSecondUs), 30, 1);
    by_id.current->lock = retained(RetentionMode::Governance, kNowMs + kHourMs);
    by_id.head = VersionHead{by_id.current->instance, false, ""};
    EXPECT_EQ(plan_error(by_id), Errc::ObjectLocked);

    auto suspended = input(VersioningState::Suspended, VersionOp::Write);
    suspended.current = object(inst(kNowUs - kSecondUs), 30, 1, true);
    suspended.current->lock = retained(RetentionMode::None, 0, true);
    suspended.head = VersionHead{suspended.current->instance, false, ""};
    EXPECT_EQ(plan_error(suspended), Errc::ObjectLocked);

    auto off = input(VersioningState::Off, VersionOp::Write);  // cannot arise in a lock bucket: checked anyway
    off.current = unversioned(30, 1, kNowMs);
    off.current->lock = retained(RetentionMode::Compliance, kNowMs + kHourMs);
    EXPECT_EQ(plan_error(off), Errc::ObjectLocked);
}

TEST(VersionPlanLock, AMarkerOverALockedCurrentIsAllowed) {
    auto in = input(VersioningState::Enabled, VersionOp::DeleteCurrent);
    in.current = object(inst(kNowUs - kSecondUs), 30, 1);
    in.current->lock = retained(RetentionMode::Compliance, kNowMs + kHourMs, true);
    in.head = VersionHead{in.current->instance, false, ""};
    auto c = plan_ok(in);
    EXPECT_TRUE(c.delete_marker);
    EXPECT_TRUE(c.freed.empty());
}

TEST(VersionPlanLock, ANewVersionGetsTheBucketsDefaultRetention) {
    auto in = input(VersioningState::Enabled, VersionOp::Write);
    in.lock_config = ObjectLockConfig{true, RetentionMode::Governance, 2, 0};
    auto c = plan_ok(in);
    EXPECT_EQ(c.new_lock.retention.mode, RetentionMode::Governance);
    EXPECT_EQ(c.new_lock.retention.until_ms, kNowMs + 2 * 86'400'000);
    ASSERT_TRUE(c.put_current);
    EXPECT_EQ(c.put_current->lock.retention.until_ms, c.new_lock.retention.until_ms);

    auto no_lock = input(VersioningState::Enabled, VersionOp::Write);
    no_lock.requested_lock = retained(RetentionMode::Governance, kNowMs + kHourMs);
    EXPECT_EQ(plan_error(no_lock), Errc::InvalidArgument);
}

}  // namespace
}  // namespace ostor::detail
