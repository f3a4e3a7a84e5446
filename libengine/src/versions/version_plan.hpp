// The one plan of every versioned change (docs/versioning.md, "Writes"): from
// the bucket's versioning and lock settings, the operation and what the key
// holds (its current, its head, the version entries the operation needs), a
// pure function returns the change both backends then write: entries to put
// and remove, the new head, the records whose extents are freed, the ledger
// deltas and the answer; or a refusal, changing nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ostor/error.hpp"
#include "versions/version_types.hpp"

namespace ostor::detail {

enum class VersionOp : std::uint8_t {
    Write,          // PUT, copy, complete
    DeleteCurrent,  // DELETE without versionId
    DeleteVersion,  // DELETE with versionId
};

struct PlanInput {
    VersioningState versioning = VersioningState::Off;
    ObjectLockConfig lock_config;
    VersionOp op = VersionOp::Write;
    std::string version_id;                    // DeleteVersion: as the client gave it
    std::uint64_t size = 0;                    // Write: the new object's
    std::optional<ObjectLock> requested_lock;  // Write: the request's lock settings, if any
    std::optional<VersionEntry> current;
    std::optional<VersionHead> head;
    // Entries of the key's versions, in any order: the newest two when the
    // operation may promote (a delete by id), the named one (DeleteVersion),
    // and the null one when head.null_instance names it (a Suspended write).
    std::vector<VersionEntry> versions;
    std::int64_t now_us = 0;   // the caller's clock: the new instance's time and the lock checks'
    std::uint32_t random = 0;  // the new instance's random part (random_instance_part())
    bool bypass_governance = false;
    TimestampMs clock_margin_ms = 0;  // added to retention dates (kMaxClockSkew on RADOS)
};

struct LedgerDelta {
    std::int64_t bytes = 0;
    std::int64_t objects = 0;  // delete markers count none
};

struct VersionChange {
    // The key's current after the change: kept as it is (nullopt and not
    // remove_current), or this entry (the new object, or a version promoted
    // back from the versions: remove_versions then names it).
    std::optional<VersionEntry> put_current;
    bool remove_current = false;
    // Entries written into the versions (the old current moved there, with
    // the instance and null flag its record must now carry; a new marker).
    std::vector<VersionEntry> put_versions;
    std::vector<std::string> remove_versions;  // instances
    // The head after the change; nullopt: kept (Off) or removed (remove_head).
    std::optional<VersionHead> head;
    bool remove_head = false;
    std::vector<VersionEntry> freed;  // objects whose records (and extents) are gone
    LedgerDelta delta;
    // The answer: the version written or removed ("null", an instance, or
    // empty for an unversioned bucket's write or delete), and whether it is a
    // delete marker.
    std::string version_id;
    bool delete_marker = false;
    ObjectLock new_lock;  // Write: the lock the new version's record carries
};

// Fails: NoSuchKey (DeleteCurrent of nothing in an unversioned bucket),
// NoSuchVersion (the id names nothing, or is malformed), ObjectLocked,
// InvalidArgument (lock settings without object lock), Internal (the input
// lacks an entry the plan needs, or contradicts itself).
Result<VersionChange> plan_version_change(const PlanInput& in);

// The plan's handle of a key's current (a version entry's is its index + 1
// among the versions given, kNewEntry the operation's own record).
inline constexpr std::uint64_t kCurrentHandle = ~std::uint64_t{0};

// What the plan reads of a stored record, under `handle`.
VersionEntry entry_of(const ObjectRecord& rec, std::uint64_t handle);

// This process's clock in microseconds since the epoch: a new instance's time
// and the lock checks'.
std::int64_t now_us();

// A plan's input from what a backend read of a key (its current, head and
// version records, under the handles above), with the clock, a new random
// part and `clock_margin_ms` (kMaxClockSkew on RADOS) for the lock checks.
PlanInput plan_input_of(const Bucket& bucket, VersionOp op, const ObjectRecord* current,
                        const std::optional<VersionHead>& head, const std::vector<const ObjectRecord*>& versions,
                        TimestampMs clock_margin_ms);

}  // namespace ostor::detail
