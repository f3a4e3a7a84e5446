#include "lifecycle/lifecycle_rules.hpp"

#include <algorithm>
#include <limits>

#include "codec.hpp"

namespace ostor::detail {

namespace {

constexpr std::uint8_t kStoredFormVersion = 1;

// Flag bits of a stored rule: which optional parts follow.
enum RuleFlags : std::uint32_t {
    kEnabled = 1u << 0,
    kLegacyPrefix = 1u << 1,
    kUseAnd = 1u << 2,
    kSizeGreater = 1u << 3,
    kSizeLess = 1u << 4,
    kExpiration = 1u << 5,
    kExpirationDays = 1u << 6,
    kExpirationDate = 1u << 7,
    kDeleteMarker = 1u << 8,
    kDeleteMarkerWritten = 1u << 9,
    kNoncurrent = 1u << 10,
    kAbortUpload = 1u << 11,
};
constexpr std::uint32_t kAllFlags = (1u << 12) - 1;

std::uint32_t flags_of(const LifecycleRule& r) {
    std::uint32_t f = 0;
    if (r.enabled) f |= kEnabled;
    if (r.filter.legacy_prefix) f |= kLegacyPrefix;
    if (r.filter.use_and) f |= kUseAnd;
    if (r.filter.size_greater_than) f |= kSizeGreater;
    if (r.filter.size_less_than) f |= kSizeLess;
    if (r.expiration) {
        f |= kExpiration;
        if (r.expiration->days) f |= kExpirationDays;
        if (r.expiration->date_ms) f |= kExpirationDate;
        if (r.expiration->expired_object_delete_marker) f |= kDeleteMarker;
        if (r.expiration->delete_marker_written) f |= kDeleteMarkerWritten;
    }
    if (r.noncurrent_expiration) f |= kNoncurrent;
    if (r.abort_upload_days) f |= kAbortUpload;
    return f;
}

bool has_tags(const ObjectTags* tags, const ObjectTags& wanted) {
    for (const auto& want : wanted) {
        if (!tags) return false;
        auto it = std::find_if(tags->begin(), tags->end(), [&](const auto& t) { return t.first == want.first; });
        if (it == tags->end() || it->second != want.second) return false;
    }
    return true;
}

// A marker or an upload has neither tags nor a size to test.
bool matches_without_object(const LifecycleFilter& f, std::string_view key) {
    return key.starts_with(f.prefix) && f.tags.empty() && !f.size_greater_than && !f.size_less_than;
}

// Keeps the candidate due earliest; ties keep the one seen first (the
// earlier rule in the document). Due by every clock within the margin of
// the worker's: a writer's clock behind it by the margin has reached `at`.
struct Earliest {
    const LifecycleRule* rule = nullptr;
    TimestampMs due = 0;
    void offer(const LifecycleRule& r, TimestampMs at, const LifecycleClock& clock) {
        if (at > clock.now_ms - std::max<TimestampMs>(clock.margin_ms, 0)) return;
        if (!rule || at < due) {
            rule = &r;
            due = at;
        }
    }
    LifecycleVerdict verdict(LifecycleAction action) const {
        if (!rule) return {};
        return {action, rule->id};
    }
};

}  // namespace

std::string encode_lifecycle_config(const LifecycleConfig& config) {
    Encoder e;
    e.u8(kStoredFormVersion).u32(static_cast<std::uint32_t>(config.rules.size()));
    for (const auto& r : config.rules) {
        e.u32(flags_of(r)).str(r.id).str(r.filter.prefix).pairs(r.filter.tags);
        if (r.filter.size_greater_than) e.u64(*r.filter.size_greater_than);
        if (r.filter.size_less_than) e.u64(*r.filter.size_less_than);
        if (r.expiration && r.expiration->days) e.u32(*r.expiration->days);
        if (r.expiration && r.expiration->date_ms) e.i64(*r.expiration->date_ms);
        if (r.noncurrent_expiration)
            e.u32(r.noncurrent_expiration->noncurrent_days).u32(r.noncurrent_expiration->newer_noncurrent_versions);
        if (r.abort_upload_days) e.u32(*r.abort_upload_days);
    }
    return e.take();
}

std::optional<LifecycleConfig> decode_lifecycle_config(std::string_view bytes) {
    Decoder d(bytes);
    if (d.u8() != kStoredFormVersion) return std::nullopt;
    auto count = d.u32();
    if (!d.ok() || count > kMaxLifecycleRules) return std::nullopt;
    LifecycleConfig config;
    for (std::uint32_t i = 0; i < count && d.ok(); ++i) {
        LifecycleRule r;
        auto f = d.u32();
        if (f & ~kAllFlags) return std::nullopt;
        r.enabled = f & kEnabled;
        r.id = d.str();
        r.filter.prefix = d.str();
        r.filter.tags = d.pairs();
        r.filter.legacy_prefix = f & kLegacyPrefix;
        r.filter.use_and = f & kUseAnd;
        if (f & kSizeGreater) r.filter.size_greater_than = d.u64();
        if (f & kSizeLess) r.filter.size_less_than = d.u64();
        if (f & kExpiration) {
            LifecycleExpiration x;
            if (f & kExpirationDays) x.days = d.u32();
            if (f & kExpirationDate) x.date_ms = d.i64();
            x.expired_object_delete_marker = f & kDeleteMarker;
            x.delete_marker_written = f & kDeleteMarkerWritten;
            r.expiration = x;
        } else if (f & (kExpirationDays | kExpirationDate | kDeleteMarker | kDeleteMarkerWritten)) {
            return std::nullopt;
        }
        if (f & kNoncurrent) {
            LifecycleNoncurrentExpiration n;
            n.noncurrent_days = d.u32();
            n.newer_noncurrent_versions = d.u32();
            r.noncurrent_expiration = n;
        }
        if (f & kAbortUpload) r.abort_upload_days = d.u32();
        config.rules.push_back(std::move(r));
    }
    if (!d.ok() || !d.at_end()) return std::nullopt;
    return config;
}

TimestampMs lifecycle_due_ms(TimestampMs from, std::uint32_t days, TimestampMs day_ms) {
    if (day_ms <= 0) day_ms = kLifecycleDayMs;  // a misconfigured day never divides by zero
    // Floor division (a time before the epoch rounds toward the past too),
    // then the next boundary strictly after `from`.
    auto boundary = from / day_ms;
    if (from % day_ms < 0) --boundary;
    // Never: a count of days past the end of time (a long configured day
    // times a large Days), rather than a product that wraps to the past.
    constexpr auto kNever = std::numeric_limits<TimestampMs>::max();
    const auto steps = boundary + 1 + static_cast<TimestampMs>(days);
    if (steps > kNever / day_ms) return kNever;
    return steps * day_ms;
}

TimestampMs lifecycle_shared_clock_margin_ms(TimestampMs day_ms) {
    if (day_ms <= 0 || day_ms >= kLifecycleDayMs) return kLifecycleSharedClockMarginMs;
    return kLifecycleSharedClockMarginMs * day_ms / kLifecycleDayMs;  // 5 min of 86400 s: no overflow
}

bool lifecycle_filter_matches(const LifecycleFilter& filter, std::string_view key, std::uint64_t size,
                              const ObjectTags* tags) {
    if (!key.starts_with(filter.prefix)) return false;
    if (filter.size_greater_than && !(size > *filter.size_greater_than)) return false;
    if (filter.size_less_than && !(size < *filter.size_less_than)) return false;
    return has_tags(tags, filter.tags);
}

LifecycleVerdict evaluate_current(const LifecycleConfig& config, const LifecycleCurrentObject& object,
                                  const LifecycleClock& clock) {
    Earliest best;
    for (const auto& r : config.rules) {
        if (!r.enabled || !r.expiration) continue;
        if (!lifecycle_filter_matches(r.filter, object.key, object.size, object.tags)) continue;
        if (r.expiration->days)
            best.offer(r, lifecycle_due_ms(object.last_modified_ms, *r.expiration->days, clock.day_ms), clock);
        if (r.expiration->date_ms) best.offer(r, *r.expiration->date_ms, clock);
    }
    return best.verdict(LifecycleAction::ExpireCurrent);
}

LifecycleVerdict evaluate_noncurrent(const LifecycleConfig& config, const LifecycleNoncurrentVersion& version,
                                     const LifecycleClock& clock) {
    Earliest best;
    for (const auto& r : config.rules) {
        if (!r.enabled || !r.noncurrent_expiration) continue;
        if (!lifecycle_filter_matches(r.filter, version.key, version.size, version.tags)) continue;
        // S3 keeps the newest N noncurrent versions whatever their age.
        if (version.newer_noncurrent_count < r.noncurrent_expiration->newer_noncurrent_versions) continue;
        best.offer(
            r, lifecycle_due_ms(version.noncurrent_since_ms, r.noncurrent_expiration->noncurrent_days, clock.day_ms),
            clock);
    }
    return best.verdict(LifecycleAction::DeleteNoncurrent);
}

LifecycleVerdict evaluate_lone_marker(const LifecycleConfig& config, const LifecycleLoneMarker& marker,
                                      const LifecycleClock& clock) {
    Earliest best;
    for (const auto& r : config.rules) {
        if (!r.enabled || !r.expiration) continue;
        if (!matches_without_object(r.filter, marker.key)) continue;
        if (r.expiration->expired_object_delete_marker) best.offer(r, marker.created_ms, clock);
        if (r.expiration->days)
            best.offer(r, lifecycle_due_ms(marker.created_ms, *r.expiration->days, clock.day_ms), clock);
    }
    return best.verdict(LifecycleAction::RemoveMarker);
}

LifecycleVerdict evaluate_upload(const LifecycleConfig& config, const LifecycleUpload& upload,
                                 const LifecycleClock& clock) {
    Earliest best;
    for (const auto& r : config.rules) {
        if (!r.enabled || !r.abort_upload_days) continue;
        if (!matches_without_object(r.filter, upload.key)) continue;
        best.offer(r, lifecycle_due_ms(upload.initiated_ms, *r.abort_upload_days, clock.day_ms), clock);
    }
    return best.verdict(LifecycleAction::AbortUpload);
}

}  // namespace ostor::detail
