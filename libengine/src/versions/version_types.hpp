// The types of versioning that only the pure planning functions
// (version_plan.hpp, object_lock.hpp) work on (docs/versioning.md). The
// public ones (VersioningState, ObjectLock, ...) are in types.hpp, the stored
// VersionHead in records.hpp.
#pragma once

#include <cstdint>
#include <string>

#include "ostor/types.hpp"
#include "records.hpp"

namespace ostor {

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
