// The rules of object lock (docs/versioning.md, "Object lock"), as pure
// functions of a version's lock, the time and the caller's bypass: every path
// that removes, overwrites or re-dates a version asks these, so none goes
// around them. Legal holds, ACLs and tags are always changeable (permission is
// the gateway's), so no rule is needed for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ostor/error.hpp"
#include "versions/version_types.hpp"

namespace ostor::detail {

constexpr TimestampMs kMsPerDay = 86'400'000;
constexpr TimestampMs kDaysPerYear = 365;  // as RGW counts a default retention's years
// Bounds of what a request may ask, so no date or period overflows (nor wraps
// with the RADOS clock margin) and a COMPLIANCE lock always protects.
constexpr std::uint32_t kMaxDefaultDays = 36'500, kMaxDefaultYears = 100;
constexpr TimestampMs kMaxRetainUntilMs = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z

// Whether a retention still holds at `now`. `clock_margin_ms` extends it: on
// RADOS a version counts as retained until retain_until + kMaxClockSkew, so no
// process with a fast clock frees it early.
bool retention_active(const Retention& retention, TimestampMs now_ms, TimestampMs clock_margin_ms = 0);

// Removing a version (a DELETE by id, the null version replaced in a Suspended
// bucket, an unversioned overwrite, lifecycle expiry): allowed with no legal
// hold and no active retention, or an active GOVERNANCE one with bypass.
// Fails: ObjectLocked.
Result<void> may_remove(const ObjectLock& lock, TimestampMs now_ms, bool bypass_governance,
                        TimestampMs clock_margin_ms);

// Replacing a version's retention `old_retention` by `new_retention` (mode
// None: removing it): allowed with no active retention; or the same mode and a
// date not earlier; or an active GOVERNANCE one with bypass (shorten, remove,
// change mode). COMPLIANCE has no bypass. `clock_margin_ms` as
// retention_active's: a retention that still counts for removal cannot be
// taken away either. Fails: ObjectLocked.
Result<void> may_set_retention(const Retention& old_retention, const Retention& new_retention, TimestampMs now_ms,
                               bool bypass_governance, TimestampMs clock_margin_ms = 0);

// The bucket's default retention of a version committed at `commit_ms`;
// nullopt when the bucket has no lock or no default.
std::optional<Retention> default_retention(const ObjectLockConfig& config, TimestampMs commit_ms);

// A new version's lock: the request's, with the bucket's default retention
// when the request names no retention.
// Fails: InvalidArgument (lock settings asked of a bucket without object lock).
Result<ObjectLock> lock_of_new_version(const ObjectLockConfig& config, const std::optional<ObjectLock>& requested,
                                       TimestampMs commit_ms);

// A change of one version's lock (set_object_retention, set_object_legal_hold):
// its retention replaced (mode None: removed), or its legal hold set.
struct LockChange {
    std::optional<Retention> retention;
    std::optional<bool> legal_hold;
    bool bypass_governance = false;
};

// The version's lock after `change`, by may_set_retention (a hold always
// changes), `clock_margin_ms` as may_remove's. Fails: ObjectLocked,
// InvalidArgument (a mode without a date).
Result<ObjectLock> changed_lock(const ObjectLock& old, const LockChange& change, TimestampMs now_ms,
                                TimestampMs clock_margin_ms);

// A bucket's default retention as set_object_lock_config takes it: none, or a
// mode with exactly one of days (at most kMaxDefaultDays) and years (at most
// kMaxDefaultYears), positive. Fails: InvalidArgument.
Result<void> check_lock_config(const ObjectLockConfig& config);

// set_bucket_versioning(Suspended) on an object lock bucket: S3's words.
inline constexpr std::string_view kLockedVersioningMessage =
    "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.";

// set_object_lock_config on the bucket's record, in the backend's guarded
// rewrite of it: the default retention set and, for a bucket made without
// lock whose versioning is Enabled, lock turned on for good (as S3 does
// since 2023; its versions written before stay unlocked). Fails:
// InvalidBucketState (no lock and versioning not Enabled: nothing changed).
Result<void> apply_lock_config(Bucket& bucket, const ObjectLockConfig& config);

// A retention a request asks for (PUT, copy, create_upload,
// set_object_retention): none (mode None, no date), or a mode with a date
// after `now_ms` and at most kMaxRetainUntilMs. Stored and default retentions
// are not asked this. Fails: InvalidArgument.
Result<void> check_requested_retention(const Retention& retention, TimestampMs now_ms);

// How a version's lock going from `before` to `after` (a new version: from
// none) moves its bucket's lock summary: the date raised to until_ms (0
// none), the legal holds moved by holds_delta.
struct LockSummaryChange {
    TimestampMs until_ms = 0;
    std::int64_t holds_delta = 0;
    bool empty() const { return until_ms <= 0 && holds_delta == 0; }
};
LockSummaryChange lock_summary_change(const ObjectLock& before, const ObjectLock& after);

// The bucket's lock summary (Bucket::locked_until_ms, legal_holds) after a
// version's lock went from `before` to `after` (lock_summary_change).
// The date is kept as a maximum: made again, it changes nothing.
void note_lock_change(Bucket& bucket, const ObjectLock& before, const ObjectLock& after);

// Why the bucket cannot go, from its lock summary at `now_ms`: "bucket B
// holds versions under object lock until 2027-01-01T00:00:00Z" (or under N
// legal holds); empty when its summary names nothing in force.
std::string lock_summary_reason(const Bucket& bucket, TimestampMs now_ms);

// A lock reason as a refusal's suffix: " (reason)", empty when `reason` is.
std::string lock_reason_suffix(std::string_view reason);

}  // namespace ostor::detail
