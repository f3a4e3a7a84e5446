// The arithmetic of a bucket's stored bytes and objects, its size history
// (what a provider bills on) and its owner's usage, for every backend: a
// change of size is applied here, then stored by the backend in the same
// atomic change as the records that caused it.
#pragma once

#include <cstdint>

#include "ostor/types.hpp"

namespace ostor::detail {

constexpr TimestampMs kMsPerHour = 3'600'000;

// The hour (since the Unix epoch) of `ms`, as SizeHistory counts hours.
std::uint64_t size_history_hour(TimestampMs ms);

// Applies a change of stored bytes / objects at `now` to `bucket`: byte-hours
// accrue at the old size up to now, then the size changes. A change never
// takes the counts below zero (asserted).
void apply_size_change(Bucket& bucket, std::int64_t delta_bytes, std::int64_t delta_objects, TimestampMs now);

// The same change applied to the owner's usage (`reserved` is computed on
// read, never stored: it is cleared).
void apply_usage_change(UserUsage& usage, std::int64_t delta_bytes, std::int64_t delta_objects);

}  // namespace ostor::detail
