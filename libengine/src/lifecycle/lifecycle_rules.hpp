// A bucket's lifecycle configuration (PutBucketLifecycleConfiguration) as
// data, its stored form, and the one decision the lifecycle worker asks of
// it: for one current object, noncurrent version, lone delete marker or
// incomplete multipart upload, which action is due now and by which rule.
// Pure functions of their inputs (docs/lifecycle.md): the gateway parses the
// XML into this model (gateway-lite/lifecycle_config.hpp) and the worker,
// on either backend, only evaluates.
//
// Time: every instant is TimestampMs; a "day" is LifecycleClock::day_ms
// (kLifecycleDayMs, shorter in tests). A count of days runs from the moment
// rounded up to the next day boundary, as S3 does ("adds the number of days
// to the object creation time and rounds the resulting time to the next day
// midnight UTC"): a boundary is a multiple of day_ms since the epoch, which
// with 86400 s is midnight UTC. A moment exactly on a boundary rounds up to
// the next one, as MinIO and RGW do.
//
// Clocks: the entry's time was stamped by the process that wrote it, `now`
// is the worker's. On a volume several gateways share (RADOS) their clocks
// may differ by up to the volume's margin (kMaxClockSkew), so an action is
// due only once `now - margin_ms` has reached its instant: due by the
// writer's clock (and so by the x-amz-expiration the writer answered)
// whatever the worker's clock within the margin, never early.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ostor/types.hpp"

namespace ostor::detail {

inline constexpr TimestampMs kLifecycleDayMs = 86'400'000;
// The clock margin of a volume several gateways share, for a real day: the
// engine's kMaxClockSkew on RADOS (libengine/src/rados/space_ledger.hpp).
inline constexpr TimestampMs kLifecycleSharedClockMarginMs = 5 * 60 * 1000;
// S3's limits on a configuration.
inline constexpr std::size_t kMaxLifecycleRules = 1000;
inline constexpr std::size_t kMaxLifecycleRuleIdBytes = 255;
inline constexpr std::uint32_t kMaxNewerNoncurrentVersions = 100;

// Which objects a rule applies to: all of its conditions hold (an empty
// filter matches every key). Tags: the object has each key with that value.
// Sizes are strict bounds.
struct LifecycleFilter {
    std::string prefix;
    ObjectTags tags;
    std::optional<std::uint64_t> size_greater_than{};
    std::optional<std::uint64_t> size_less_than{};
    // How the document wrote it, for GetBucketLifecycleConfiguration to
    // answer in the same shape: the deprecated <Prefix> directly in <Rule>,
    // or <Filter> with <And> around several conditions.
    bool legacy_prefix = false;
    bool use_and = false;
    bool operator==(const LifecycleFilter&) const = default;
};

// Expiration of current versions: at most one of days and date (midnight
// UTC, in ms); expired_object_delete_marker alone.
struct LifecycleExpiration {
    std::optional<std::uint32_t> days{};
    std::optional<TimestampMs> date_ms{};
    bool expired_object_delete_marker = false;
    // <ExpiredObjectDeleteMarker>false</...> was written (kept for the answer).
    bool delete_marker_written = false;
    bool operator==(const LifecycleExpiration&) const = default;
};

// A noncurrent version is deleted `noncurrent_days` after it became
// noncurrent, once at least `newer_noncurrent_versions` newer noncurrent
// versions of its key exist (0: no such condition).
struct LifecycleNoncurrentExpiration {
    std::uint32_t noncurrent_days = 0;
    std::uint32_t newer_noncurrent_versions = 0;
    bool operator==(const LifecycleNoncurrentExpiration&) const = default;
};

struct LifecycleRule {
    std::string id;
    bool enabled = true;
    LifecycleFilter filter;
    std::optional<LifecycleExpiration> expiration{};
    std::optional<LifecycleNoncurrentExpiration> noncurrent_expiration{};
    std::optional<std::uint32_t> abort_upload_days{};  // AbortIncompleteMultipartUpload
    bool operator==(const LifecycleRule&) const = default;
};

struct LifecycleConfig {
    std::vector<LifecycleRule> rules;
    bool operator==(const LifecycleConfig&) const = default;
};

// The stored form: a version byte and the fields, binary (codec.hpp).
// decode gives nullopt for bytes encode did not write (stored data is
// checked, never trusted: a torn or foreign value is refused).
std::string encode_lifecycle_config(const LifecycleConfig& config);
std::optional<LifecycleConfig> decode_lifecycle_config(std::string_view bytes);

struct LifecycleClock {
    TimestampMs now_ms = 0;
    TimestampMs day_ms = kLifecycleDayMs;  // > 0
    TimestampMs margin_ms = 0;             // >= 0: due once now - margin_ms reaches it
};

// The margin a worker on a shared volume (RADOS) evaluates with:
// kLifecycleSharedClockMarginMs for a real day, the same part of a day
// shortened for tests (their gateways share one host's clock, and a 5
// minute margin would hold a day of seconds back by many days), never more.
TimestampMs lifecycle_shared_clock_margin_ms(TimestampMs day_ms);

// The instant `days` days after `from`: `from` rounded up to the next day
// boundary (the header says how), plus days * day_ms.
TimestampMs lifecycle_due_ms(TimestampMs from, std::uint32_t days, TimestampMs day_ms);

enum class LifecycleAction : std::uint8_t {
    None,
    ExpireCurrent,     // delete the object (add a marker in a versioned bucket)
    DeleteNoncurrent,  // delete that version
    RemoveMarker,      // delete the lone delete marker
    AbortUpload,       // abort the multipart upload
};

struct LifecycleVerdict {
    LifecycleAction action = LifecycleAction::None;
    std::string rule_id;  // the rule that decided; "" with None
};

struct LifecycleCurrentObject {
    std::string_view key{};
    std::uint64_t size = 0;
    const ObjectTags* tags = nullptr;  // nullptr: none
    TimestampMs last_modified_ms = 0;
};

struct LifecycleNoncurrentVersion {
    std::string_view key{};
    std::uint64_t size = 0;
    const ObjectTags* tags = nullptr;
    TimestampMs noncurrent_since_ms = 0;       // when the next newer version was written
    std::uint32_t newer_noncurrent_count = 0;  // noncurrent versions of the key newer than this one
};

// A delete marker that is the only version left of its key.
struct LifecycleLoneMarker {
    std::string_view key{};
    TimestampMs created_ms = 0;
};

struct LifecycleUpload {
    std::string_view key{};
    TimestampMs initiated_ms = 0;
};

// Each considers the enabled rules whose filter matches and answers the
// action that is due, or None. Among several due rules the one due earliest
// wins (the first in the document on a tie): the decision does not depend on
// the rules' order. A delete marker and an upload have neither tags nor a
// size: a rule with a tag or size condition never matches them.
//  - current: Expiration Days (from last-modified) or Date (from that day on);
//  - noncurrent: NoncurrentVersionExpiration, with its count condition;
//  - lone marker: ExpiredObjectDeleteMarker at once, or Expiration Days from
//    the marker's creation (S3 removes such markers with Days too);
//  - upload: AbortIncompleteMultipartUpload from its initiation.
LifecycleVerdict evaluate_current(const LifecycleConfig& config, const LifecycleCurrentObject& object,
                                  const LifecycleClock& clock);
LifecycleVerdict evaluate_noncurrent(const LifecycleConfig& config, const LifecycleNoncurrentVersion& version,
                                     const LifecycleClock& clock);
LifecycleVerdict evaluate_lone_marker(const LifecycleConfig& config, const LifecycleLoneMarker& marker,
                                      const LifecycleClock& clock);
LifecycleVerdict evaluate_upload(const LifecycleConfig& config, const LifecycleUpload& upload,
                                 const LifecycleClock& clock);

// Whether the filter holds for an object of that key, size and tags
// (nullptr: no tags).
bool lifecycle_filter_matches(const LifecycleFilter& filter, std::string_view key, std::uint64_t size,
                              const ObjectTags* tags);

}  // namespace ostor::detail
