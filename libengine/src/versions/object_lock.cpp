#include "versions/object_lock.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>
#include <string>

namespace ostor {

std::string_view retention_mode_name(RetentionMode mode) {
    return mode == RetentionMode::Compliance ? "COMPLIANCE" : "GOVERNANCE";
}

std::optional<RetentionMode> parse_retention_mode(std::string_view name) {
    for (auto mode : {RetentionMode::Governance, RetentionMode::Compliance})
        if (retention_mode_name(mode) == name) return mode;
    return std::nullopt;
}

}  // namespace ostor

namespace ostor::detail {

namespace {

Error locked(std::string why) { return Error(Errc::ObjectLocked, "Access Denied because object protected by " + why); }

// In whole seconds, as S3 dates a retention: 2027-01-01T00:00:00Z.
std::string iso8601_seconds(TimestampMs ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

TimestampMs saturating_add(TimestampMs a, TimestampMs b) {
    TimestampMs sum = 0;
    if (!__builtin_add_overflow(a, b, &sum)) return sum;
    return b > 0 ? std::numeric_limits<TimestampMs>::max() : std::numeric_limits<TimestampMs>::min();
}

}  // namespace

bool retention_active(const Retention& retention, TimestampMs now_ms, TimestampMs clock_margin_ms) {
    return retention.mode != RetentionMode::None && now_ms < saturating_add(retention.until_ms, clock_margin_ms);
}

Result<void> may_remove(const ObjectLock& lock, TimestampMs now_ms, bool bypass_governance,
                        TimestampMs clock_margin_ms) {
    if (lock.legal_hold) return locked("a legal hold");
    if (!retention_active(lock.retention, now_ms, clock_margin_ms)) return {};
    if (lock.retention.mode == RetentionMode::Governance && bypass_governance) return {};
    return locked(std::string(retention_mode_name(lock.retention.mode)) + " retention");
}

Result<void> may_set_retention(const Retention& old_retention, const Retention& new_retention, TimestampMs now_ms,
                               bool bypass_governance, TimestampMs clock_margin_ms) {
    if (!retention_active(old_retention, now_ms, clock_margin_ms)) return {};
    if (new_retention.mode == old_retention.mode && new_retention.until_ms >= old_retention.until_ms) return {};
    if (old_retention.mode == RetentionMode::Governance && bypass_governance) return {};
    return locked(std::string(retention_mode_name(old_retention.mode)) + " retention: it may only be extended");
}

std::optional<Retention> default_retention(const ObjectLockConfig& config, TimestampMs commit_ms) {
    if (!config.enabled || config.default_mode == RetentionMode::None) return std::nullopt;
    TimestampMs days = config.default_years ? kDaysPerYear * config.default_years : TimestampMs{config.default_days};
    // A period stored out of the range set_object_lock_config takes still
    // retains, up to the latest date S3 clients can read (9999-12-31).
    TimestampMs period_ms = 0;
    if (__builtin_mul_overflow(days, kMsPerDay, &period_ms)) period_ms = std::numeric_limits<TimestampMs>::max();
    return Retention{config.default_mode, std::min(saturating_add(commit_ms, period_ms), kMaxRetainUntilMs)};
}

Result<ObjectLock> lock_of_new_version(const ObjectLockConfig& config, const std::optional<ObjectLock>& requested,
                                       TimestampMs commit_ms) {
    if (requested && !config.enabled)
        return Error(Errc::InvalidArgument, "Bucket is missing Object Lock Configuration");
    ObjectLock lock = requested.value_or(ObjectLock{});
    // A request with only a legal hold still gets the default retention.
    if (lock.retention.mode == RetentionMode::None) {
        if (auto retention = default_retention(config, commit_ms)) lock.retention = *retention;
    }
    return lock;
}

Result<ObjectLock> changed_lock(const ObjectLock& old, const LockChange& change, TimestampMs now_ms,
                                TimestampMs clock_margin_ms) {
    ObjectLock lock = old;
    if (change.retention) {
        Retention wanted = *change.retention;
        if (wanted.mode == RetentionMode::None) wanted.until_ms = 0;
        if (wanted.mode != RetentionMode::None && wanted.until_ms <= 0)
            return Error(Errc::InvalidArgument, "a retention needs a retain-until date");
        OSTOR_TRY(may_set_retention(old.retention, wanted, now_ms, change.bypass_governance, clock_margin_ms));
        lock.retention = wanted;
    }
    if (change.legal_hold) {
        lock.legal_hold = *change.legal_hold;
        lock.legal_hold_off = !*change.legal_hold;
    }
    return lock;
}

Result<void> check_lock_config(const ObjectLockConfig& config) {
    const bool days = config.default_days > 0, years = config.default_years > 0;
    if (config.default_mode == RetentionMode::None) {
        if (days || years) return Error(Errc::InvalidArgument, "a default retention period needs a mode");
        return {};
    }
    if (config.default_mode != RetentionMode::Governance && config.default_mode != RetentionMode::Compliance)
        return Error(Errc::InvalidArgument, "unknown retention mode");
    if (days == years)
        return Error(Errc::InvalidArgument, "a default retention takes exactly one of days and years, positive");
    if (config.default_days > kMaxDefaultDays)
        return Error(Errc::InvalidArgument,
                     "a default retention is at most " + std::to_string(kMaxDefaultDays) + " days");
    if (config.default_years > kMaxDefaultYears)
        return Error(Errc::InvalidArgument,
                     "a default retention is at most " + std::to_string(kMaxDefaultYears) + " years");
    return {};
}

Result<void> apply_lock_config(Bucket& bucket, const ObjectLockConfig& config) {
    if (!bucket.object_lock.enabled) {
        // S3's words: a bucket made without lock takes it once versioned.
        if (bucket.versioning != VersioningState::Enabled)
            return Error(Errc::InvalidBucketState,
                         "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration");
        bucket.object_lock.enabled = true;
    }
    bucket.object_lock.default_mode = config.default_mode;
    bucket.object_lock.default_days = config.default_days;
    bucket.object_lock.default_years = config.default_years;
    return {};
}

Result<void> check_requested_retention(const Retention& retention, TimestampMs now_ms) {
    if (retention.mode == RetentionMode::None) {
        if (retention.until_ms != 0) return Error(Errc::InvalidArgument, "a retain-until date needs a retention mode");
        return {};
    }
    if (retention.until_ms <= 0) return Error(Errc::InvalidArgument, "a retention needs a retain-until date");
    if (retention.until_ms <= now_ms)
        return Error(Errc::InvalidArgument, "the retain-until date must be in the future");
    if (retention.until_ms > kMaxRetainUntilMs)
        return Error(Errc::InvalidArgument, "the retain-until date must be at most 9999-12-31T23:59:59Z");
    return {};
}

LockSummaryChange lock_summary_change(const ObjectLock& before, const ObjectLock& after) {
    LockSummaryChange c;
    if (after.retention.mode != RetentionMode::None) c.until_ms = after.retention.until_ms;
    c.holds_delta = static_cast<std::int64_t>(after.legal_hold) - static_cast<std::int64_t>(before.legal_hold);
    return c;
}

void note_lock_change(Bucket& bucket, const ObjectLock& before, const ObjectLock& after) {
    const LockSummaryChange c = lock_summary_change(before, after);
    bucket.locked_until_ms = std::max(bucket.locked_until_ms, c.until_ms);
    if (c.holds_delta > 0) ++bucket.legal_holds;
    if (c.holds_delta < 0 && bucket.legal_holds > 0) --bucket.legal_holds;
}

std::string lock_summary_reason(const Bucket& bucket, TimestampMs now_ms) {
    if (bucket.locked_until_ms > now_ms)
        return "bucket " + bucket.name + " holds versions under object lock until " +
               iso8601_seconds(bucket.locked_until_ms);
    if (bucket.legal_holds > 0)
        return "bucket " + bucket.name + " holds " + std::to_string(bucket.legal_holds) +
               (bucket.legal_holds == 1 ? " version" : " versions") + " under legal hold";
    return {};
}

std::string lock_reason_suffix(std::string_view reason) {
    return reason.empty() ? std::string() : " (" + std::string(reason) + ")";
}

}  // namespace ostor::detail
