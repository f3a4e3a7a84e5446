#include "versions/object_lock.hpp"

#include <string>

namespace ostor::detail {

namespace {

Error locked(std::string why) { return Error(Errc::ObjectLocked, "Access Denied because object protected by " + why); }

std::string mode_name(RetentionMode mode) { return mode == RetentionMode::Compliance ? "COMPLIANCE" : "GOVERNANCE"; }

}  // namespace

bool retention_active(const Retention& retention, TimestampMs now_ms, TimestampMs clock_margin_ms) {
    return retention.mode != RetentionMode::None && now_ms < retention.until_ms + clock_margin_ms;
}

Result<void> may_remove(const ObjectLock& lock, TimestampMs now_ms, bool bypass_governance,
                        TimestampMs clock_margin_ms) {
    if (lock.legal_hold) return locked("a legal hold");
    if (!retention_active(lock.retention, now_ms, clock_margin_ms)) return {};
    if (lock.retention.mode == RetentionMode::Governance && bypass_governance) return {};
    return locked(mode_name(lock.retention.mode) + " retention");
}

Result<void> may_set_retention(const Retention& old_retention, const Retention& new_retention, TimestampMs now_ms,
                               bool bypass_governance) {
    if (!retention_active(old_retention, now_ms)) return {};
    if (new_retention.mode == old_retention.mode && new_retention.until_ms >= old_retention.until_ms) return {};
    if (old_retention.mode == RetentionMode::Governance && bypass_governance) return {};
    return locked(mode_name(old_retention.mode) + " retention: it may only be extended");
}

std::optional<Retention> default_retention(const ObjectLockConfig& config, TimestampMs commit_ms) {
    if (!config.enabled || config.default_mode == RetentionMode::None) return std::nullopt;
    TimestampMs days = config.default_years ? kDaysPerYear * config.default_years : TimestampMs{config.default_days};
    return Retention{config.default_mode, commit_ms + days * kMsPerDay};
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

}  // namespace ostor::detail
