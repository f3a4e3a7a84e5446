// The types of versioning and object lock that the pure planning functions
// (version_plan.hpp, object_lock.hpp) work on (docs/versioning.md).
//
// VersioningState, RetentionMode, Retention, ObjectLock and ObjectLockConfig
// are the public types the design gives types.hpp; they live here until the
// records step (step 1 of the design's build order) moves them there
// unchanged, with VersionHead going to records.hpp. Keep them plain
// aggregates so that move is a cut and paste.
#pragma once

#include <cstdint>
#include <string>

#include "ostor/types.hpp"

namespace ostor {

enum class VersioningState : std::uint8_t { Off = 0, Enabled = 1, Suspended = 2 };
enum class RetentionMode : std::uint8_t { None = 0, Governance = 1, Compliance = 2 };

struct Retention {
    RetentionMode mode = RetentionMode::None;
    TimestampMs until_ms = 0;
};

struct ObjectLock {
    Retention retention;
    bool legal_hold = false;
};

// A bucket's object lock: enabled only at creation, never turned off.
struct ObjectLockConfig {
    bool enabled = false;
    RetentionMode default_mode = RetentionMode::None;
    std::uint32_t default_days = 0, default_years = 0;  // exactly one when a mode is set
};

// Per key, once it has had a versioned write and while it has any version.
struct VersionHead {
    std::string newest;  // the newest version's instance (the current's, or a marker's)
    bool newest_is_marker = false;
    std::string null_instance;  // the null version's instance when it is among the versions; empty otherwise
};

namespace detail {

// What the plan reads of one version's ObjectRecord (a current or an entry of
// the key's versions), and the handle the caller uses to find that record
// again. A plan copies entries into its change, with the instance and flags
// the record must then carry.
struct VersionEntry {
    // 24 hex digits (version_ids.hpp); empty for a current written while the
    // bucket was unversioned, which is the null version and has no instance
    // until it moves into the versions.
    std::string instance;
    bool marker = false;
    bool null_version = false;
    std::uint64_t size = 0;
    TimestampMs last_modified_ms = 0;  // places an unversioned current in time
    ObjectLock lock;                   // markers have none
    // The caller's: which record this is. kNewEntry is the record the
    // operation itself writes (the PUT's object, or the new delete marker).
    std::uint64_t handle = 0;
};

constexpr std::uint64_t kNewEntry = 0;

}  // namespace detail
}  // namespace ostor
