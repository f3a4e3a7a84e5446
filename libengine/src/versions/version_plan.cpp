#include "versions/version_plan.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "versions/object_lock.hpp"
#include "versions/version_ids.hpp"

namespace ostor::detail {

namespace {

TimestampMs now_ms(const PlanInput& in) { return in.now_us / kMicrosPerMilli; }

// A current without an instance was written unversioned: it is the null version.
bool is_null(const VersionEntry& e) { return e.null_version || e.instance.empty(); }

const VersionEntry* find_version(const std::vector<VersionEntry>& versions, std::string_view instance) {
    auto it =
        std::find_if(versions.begin(), versions.end(), [&](const VersionEntry& e) { return e.instance == instance; });
    return it == versions.end() ? nullptr : &*it;
}

// Markers hold no data and no lock: only objects pass the lock check.
Result<void> check_removal(const PlanInput& in, const VersionEntry& e) {
    if (e.marker) return {};
    return may_remove(e.lock, now_ms(in), in.bypass_governance, in.clock_margin_ms);
}

// A removed or replaced object frees its record and leaves the ledgers.
void free_entry(VersionChange& change, const VersionEntry& e) {
    if (e.marker) return;
    change.freed.push_back(e);
    change.delta.bytes -= static_cast<std::int64_t>(e.size);
    change.delta.objects -= 1;
}

// The time of the key's newest version, which a new instance must exceed: the
// head's, or the current's (an unversioned current: its last-modified time).
std::optional<std::int64_t> newest_time(const PlanInput& in) {
    std::optional<std::int64_t> newest;
    auto consider = [&](std::optional<std::int64_t> t) {
        if (t && (!newest || *t > *newest)) newest = t;
    };
    if (in.head) consider(instance_time_us(in.head->newest));
    if (in.current) {
        consider(in.current->instance.empty() ? std::optional(in.current->last_modified_ms * kMicrosPerMilli)
                                              : instance_time_us(in.current->instance));
    }
    return newest;
}

// The current as it is written into the versions. An unversioned current gets
// its instance there, from its last-modified time: below the new version's.
VersionEntry moved_to_versions(const VersionEntry& current, std::uint32_t random) {
    VersionEntry e = current;
    if (e.instance.empty()) {
        e.instance = make_instance(current.last_modified_ms * kMicrosPerMilli, random);
        e.null_version = true;
    }
    return e;
}

// Enabled: the old current (if any) moves into the versions.
void keep_current_as_version(const PlanInput& in, VersionHead& head, VersionChange& change) {
    if (!in.current) return;
    VersionEntry moved = moved_to_versions(*in.current, in.random);
    if (moved.null_version) head.null_instance = moved.instance;
    change.put_versions.push_back(std::move(moved));
}

// Suspended: the new version is the null version, so the old null one goes
// wherever it is (the current, or among the versions, then named by the
// head), and a current that is not null moves into the versions.
Result<void> displace_null_version(const PlanInput& in, VersionHead& head, VersionChange& change) {
    if (in.current) {
        if (is_null(*in.current)) {
            OSTOR_TRY(check_removal(in, *in.current));
            free_entry(change, *in.current);
        } else {
            change.put_versions.push_back(moved_to_versions(*in.current, in.random));
        }
    }
    if (!head.null_instance.empty()) {
        const VersionEntry* old_null = find_version(in.versions, head.null_instance);
        if (!old_null) return Error(Errc::Internal, "the version plan lacks the null version's entry");
        OSTOR_TRY(check_removal(in, *old_null));
        change.remove_versions.push_back(old_null->instance);
        free_entry(change, *old_null);
        head.null_instance.clear();
    }
    return {};
}

std::string new_instance(const PlanInput& in) {
    return make_instance(next_instance_time(in.now_us, newest_time(in)), in.random);
}

Result<VersionChange> plan_write(const PlanInput& in) {
    VersionChange change;
    auto lock = lock_of_new_version(in.lock_config, in.requested_lock, now_ms(in));
    if (!lock) return std::move(lock).error();
    change.new_lock = *lock;
    VersionEntry created;
    created.size = in.size;
    created.last_modified_ms = now_ms(in);
    created.lock = *lock;
    created.handle = kNewEntry;
    change.delta = {static_cast<std::int64_t>(in.size), 1};
    if (in.versioning == VersioningState::Off) {
        if (in.current) {
            OSTOR_TRY(check_removal(in, *in.current));  // an overwrite in place removes the old version
            free_entry(change, *in.current);
        }
        created.null_version = true;
        change.put_current = std::move(created);
        return change;
    }
    created.instance = new_instance(in);
    VersionHead head = in.head.value_or(VersionHead{});
    head.newest = created.instance;
    head.newest_is_marker = false;
    if (in.versioning == VersioningState::Enabled) {
        keep_current_as_version(in, head, change);
        change.version_id = created.instance;
    } else {
        OSTOR_TRY(displace_null_version(in, head, change));
        created.null_version = true;
        change.version_id = std::string(kNullVersionId);
    }
    change.put_current = std::move(created);
    change.head = std::move(head);
    return change;
}

Result<VersionChange> plan_delete_current(const PlanInput& in) {
    VersionChange change;
    if (in.versioning == VersioningState::Off) {
        if (!in.current) return Error(Errc::NoSuchKey);
        OSTOR_TRY(check_removal(in, *in.current));
        free_entry(change, *in.current);
        change.remove_current = true;
        return change;
    }
    // A marker is added even when the key holds nothing, as S3 does.
    VersionEntry marker;
    marker.instance = new_instance(in);
    marker.marker = true;
    marker.last_modified_ms = now_ms(in);
    marker.handle = kNewEntry;
    VersionHead head = in.head.value_or(VersionHead{});
    head.newest = marker.instance;
    head.newest_is_marker = true;
    if (in.versioning == VersioningState::Enabled) {
        keep_current_as_version(in, head, change);
        change.version_id = marker.instance;
    } else {
        OSTOR_TRY(displace_null_version(in, head, change));
        marker.null_version = true;
        head.null_instance = marker.instance;
        change.version_id = std::string(kNullVersionId);
    }
    change.remove_current = in.current.has_value();
    change.delete_marker = true;
    change.put_versions.push_back(std::move(marker));
    change.head = std::move(head);
    return change;
}

bool same_head(const VersionHead& a, const VersionHead& b) {
    return a.newest == b.newest && a.newest_is_marker == b.newest_is_marker && a.null_instance == b.null_instance;
}

// After removing the key's newest version (the current, or a current marker),
// the next one, the newest of `rest`, becomes the newest, and moves back to
// current when it is an object (a marker stays: the key reads as deleted).
// The head follows, or goes with the key's last version. It is written only
// when it changes, so removals of different old versions of a key do not
// conflict on it (docs/versioning.md, "RADOS").
void settle_head(const PlanInput& in, bool removed_newest, const std::vector<VersionEntry>& rest, VersionHead head,
                 VersionChange& change) {
    if (removed_newest) {
        if (rest.empty()) {
            change.remove_head = in.head.has_value();
            return;
        }
        const VersionEntry& next = rest.front();
        head.newest = next.instance;
        head.newest_is_marker = next.marker;
        if (!next.marker) {
            change.put_current = next;
            change.remove_current = false;
            change.remove_versions.push_back(next.instance);
            if (is_null(next)) head.null_instance.clear();  // the current's record says it is the null version
        }
    }
    if (in.head && !same_head(head, *in.head)) change.head = std::move(head);
}

Result<VersionChange> plan_delete_version(const PlanInput& in) {
    VersionChange change;
    if (!is_version_id(in.version_id)) return Error(Errc::NoSuchVersion, "the version id names no version");
    const bool by_null = in.version_id == kNullVersionId;
    if (in.versioning == VersioningState::Off) {
        // An unversioned bucket's only version is its current, the null one.
        if (!by_null || !in.current) return Error(Errc::NoSuchVersion);
        OSTOR_TRY(check_removal(in, *in.current));
        free_entry(change, *in.current);
        change.remove_current = true;
        change.version_id = in.version_id;
        return change;
    }
    std::vector<VersionEntry> rest = in.versions;
    std::sort(rest.begin(), rest.end(),
              [](const VersionEntry& a, const VersionEntry& b) { return a.instance < b.instance; });
    const bool current_named = in.current && (by_null ? is_null(*in.current) : in.current->instance == in.version_id);
    std::string instance = in.version_id;
    if (!current_named && by_null) {
        if (!in.head || in.head->null_instance.empty()) return Error(Errc::NoSuchVersion);
        instance = in.head->null_instance;
    }
    const VersionEntry* named = current_named ? &*in.current : find_version(rest, instance);
    if (!named) return Error(Errc::NoSuchVersion);
    if (!current_named && !in.head) return Error(Errc::Internal, "a version entry without its key's head");
    OSTOR_TRY(check_removal(in, *named));
    change.version_id = in.version_id;
    change.delete_marker = named->marker;
    free_entry(change, *named);
    VersionHead head = in.head.value_or(VersionHead{});
    bool removed_newest = current_named;
    if (current_named) {
        change.remove_current = true;
    } else {
        // Only a marker can be the newest among the versions (a newest object is the current).
        removed_newest = !in.current && in.head->newest == named->instance;
        change.remove_versions.push_back(named->instance);
        if (is_null(*named)) head.null_instance.clear();
        rest.erase(rest.begin() + (named - rest.data()));
    }
    settle_head(in, removed_newest, rest, std::move(head), change);
    return change;
}

}  // namespace

VersionEntry entry_of(const ObjectRecord& rec, std::uint64_t handle) {
    VersionEntry e;
    e.instance = rec.instance;
    e.marker = rec.info.delete_marker;
    e.null_version = rec.null_version;
    e.size = rec.info.size;
    e.last_modified_ms = rec.info.last_modified_ms;
    e.lock = rec.info.lock;
    e.handle = handle;
    return e;
}

std::int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

PlanInput plan_input_of(const Bucket& bucket, VersionOp op, const ObjectRecord* current,
                        const std::optional<VersionHead>& head, const std::vector<const ObjectRecord*>& versions,
                        TimestampMs clock_margin_ms) {
    PlanInput in;
    in.versioning = bucket.versioning;
    in.lock_config = bucket.object_lock;
    in.op = op;
    if (current) in.current = entry_of(*current, kCurrentHandle);
    in.head = head;
    for (std::size_t i = 0; i < versions.size(); ++i) in.versions.push_back(entry_of(*versions[i], i + 1));
    in.now_us = now_us();
    in.random = random_instance_part();
    in.clock_margin_ms = clock_margin_ms;
    return in;
}

Result<VersionChange> plan_version_change(const PlanInput& in) {
    if (in.versioning == VersioningState::Off && in.head)
        return Error(Errc::Internal, "a versioned key in a bucket that was never versioned");
    if (!in.head && !in.versions.empty()) return Error(Errc::Internal, "version entries without their key's head");
    for (const VersionEntry& e : in.versions)
        if (!is_instance(e.instance)) return Error(Errc::Internal, "a version entry without an instance");
    switch (in.op) {
        case VersionOp::Write:
            return plan_write(in);
        case VersionOp::DeleteCurrent:
            return plan_delete_current(in);
        case VersionOp::DeleteVersion:
            return plan_delete_version(in);
    }
    return Error(Errc::Internal, "unknown version operation");
}

}  // namespace ostor::detail
