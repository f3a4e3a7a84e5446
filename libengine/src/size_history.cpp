#include "size_history.hpp"

#include <algorithm>
#include <cassert>

namespace ostor::detail {

std::uint64_t size_history_hour(TimestampMs ms) { return static_cast<std::uint64_t>(ms / kMsPerHour); }

void apply_size_change(Bucket& bucket, std::int64_t delta_bytes, std::int64_t delta_objects, TimestampMs now) {
    assert(delta_bytes >= 0 || bucket.bytes >= static_cast<std::uint64_t>(-delta_bytes));
    assert(delta_objects >= 0 || bucket.objects >= static_cast<std::uint64_t>(-delta_objects));
    // Byte-hours accrue at the old size up to now, then the size changes.
    auto hour = size_history_hour(now);
    if (hour > bucket.size.last_ts) bucket.size.h_integral += bucket.size.current * (hour - bucket.size.last_ts);
    bucket.size.last_ts = std::max(bucket.size.last_ts, hour);
    bucket.bytes = static_cast<std::uint64_t>(static_cast<std::int64_t>(bucket.bytes) + delta_bytes);
    bucket.objects = static_cast<std::uint64_t>(static_cast<std::int64_t>(bucket.objects) + delta_objects);
    bucket.size.current = bucket.bytes;
    bucket.size.hmax = std::max(bucket.size.hmax, bucket.size.current);
}

void apply_usage_change(UserUsage& usage, std::int64_t delta_bytes, std::int64_t delta_objects) {
    assert(delta_bytes >= 0 || usage.bytes >= static_cast<std::uint64_t>(-delta_bytes));
    usage.bytes = static_cast<std::uint64_t>(static_cast<std::int64_t>(usage.bytes) + delta_bytes);
    usage.objects = static_cast<std::uint64_t>(static_cast<std::int64_t>(usage.objects) + delta_objects);
    usage.reserved = 0;  // computed on read, never stored
}

}  // namespace ostor::detail
