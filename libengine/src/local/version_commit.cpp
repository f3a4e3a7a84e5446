#include "local/version_commit.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "engine_impl.hpp"
#include "local/object_index.hpp"
#include "local/segment_store.hpp"
#include "local/space_ledger.hpp"
#include "local/version_index.hpp"
#include "versions/object_lock.hpp"
#include "versions/version_ids.hpp"
#include "versions/version_plan.hpp"
#include "write_conditions.hpp"

namespace ostor::detail {

namespace {

// Two newest versions: what a removal needs to promote the next one.
constexpr std::size_t kPlanNewestVersions = 2;

// What one key holds, as read inside the write transaction.
struct KeyState {
    std::optional<ObjectRecord> current;
    std::optional<VersionHead> head;
    std::vector<ObjectRecord> versions;  // newest two, the named one, the null one (each once)
};

Result<void> add_version(const Txn& txn, std::string_view bucket, std::string_view key, std::string_view instance,
                         KeyState& state) {
    if (instance.empty()) return {};
    for (const auto& v : state.versions)
        if (v.instance == instance) return {};
    auto rec = load_version(txn, bucket, key, instance);
    if (!rec) return std::move(rec).error();
    if (*rec) state.versions.push_back(std::move(**rec));
    return {};
}

// `named`: the instance a DELETE by id names, if any. A bucket never
// versioned (Off, which never comes back) has no heads nor versions: only
// its current is read, as before versioning.
Result<KeyState> load_key_state(const Txn& txn, const Bucket& bucket, std::string_view key, std::string_view named) {
    KeyState state;
    auto current = load_replaced_object(txn, bucket.name, key);
    if (!current) return std::move(current).error();
    state.current = std::move(*current);
    if (bucket.versioning == VersioningState::Off) return state;
    auto head = load_version_head(txn, bucket.name, key);
    if (!head) return std::move(head).error();
    state.head = std::move(*head);
    if (!state.head) return state;  // no head: no versions
    auto newest = newest_versions(txn, bucket.name, key, kPlanNewestVersions);
    if (!newest) return std::move(newest).error();
    state.versions = std::move(*newest);
    OSTOR_TRY(add_version(txn, bucket.name, key, named, state));
    OSTOR_TRY(add_version(txn, bucket.name, key, state.head->null_instance, state));
    return state;
}

// The key's current as clients see it: its record, or the delete marker
// that is its newest (among the newest versions read); null: none.
const ObjectInfo* current_info(const KeyState& state) {
    if (state.current) return &state.current->info;
    if (!state.head || !state.head->newest_is_marker) return nullptr;
    for (const auto& v : state.versions)
        if (v.instance == state.head->newest) return &v.info;
    return nullptr;
}

PlanInput plan_input(const Bucket& bucket, VersionOp op, const KeyState& state) {
    std::vector<const ObjectRecord*> versions;
    for (const auto& v : state.versions) versions.push_back(&v);
    // One process's clock decides locally: no margin.
    return plan_input_of(bucket, op, state.current ? &*state.current : nullptr, state.head, versions, 0);
}

// The record an entry of the change stands for, carrying the entry's version.
ObjectRecord record_of(const VersionEntry& e, const KeyState& state, const ObjectRecord& created) {
    ObjectRecord rec = e.handle == kNewEntry        ? created
                       : e.handle == kCurrentHandle ? *state.current
                                                    : state.versions.at(e.handle - 1);
    rec.instance = e.instance;
    rec.null_version = e.null_version;
    rec.info.delete_marker = e.marker;
    rec.info.lock = e.lock;
    rec.info.version_id = version_id_of(rec);
    return rec;
}

// Writes the plan's change: removals first, so that a promoted version's
// row goes before it becomes the current. Bodies stay in their Bodies rows
// while their records move (a version 1 record's body, inside it, gets its
// row as it moves); only freed records lose theirs.
Result<void> apply_change(Txn& txn, std::string_view bucket, std::string_view key, const VersionChange& change,
                          const KeyState& state, const ObjectRecord& created, FreedExtents& freed) {
    for (const VersionEntry& e : change.freed) {
        ObjectRecord gone = record_of(e, state, created);
        SegmentStore::drop_refs(txn, gone.extents, freed);
        if (gone.body_id != 0) erase_body(txn, gone.body_id);
    }
    if (change.remove_current) txn.del(Table::Objects, object_index_key(bucket, key));
    for (const auto& instance : change.remove_versions) txn.del(Table::Versions, versions_key(bucket, key, instance));
    for (const VersionEntry& e : change.put_versions) {
        ObjectRecord rec = record_of(e, state, created);
        OSTOR_TRY(move_body_to_row(txn, rec));  // a version 1 current's
        txn.put(Table::Versions, versions_key(bucket, key, e.instance), encode(rec));
    }
    if (change.put_current) {
        ObjectRecord rec = record_of(*change.put_current, state, created);
        if (change.put_current->handle == kNewEntry) {
            OSTOR_TRY(store_object(txn, bucket, key, std::move(rec), nullptr));
        } else {
            OSTOR_TRY(move_body_to_row(txn, rec));
            txn.put(Table::Objects, object_index_key(bucket, key), encode(rec));
        }
    }
    if (change.head) store_version_head(txn, bucket, key, *change.head);
    if (change.remove_head) erase_version_head(txn, bucket, key);
    return {};
}

// A new object carries no version of the record it was made from (a copy's
// source): the plan gives it its own.
void clear_version(ObjectRecord& rec) {
    rec.instance.clear();
    rec.null_version = false;
    rec.info.delete_marker = false;
    rec.info.lock = {};
    rec.info.version_id.clear();
}

}  // namespace

Result<ObjectInfo> commit_object(Txn& txn, Bucket& bucket, ObjectRecord rec, const WriteConditions& conditions,
                                 std::int64_t counted_bytes, FreedExtents& freed) {
    const std::string key = rec.info.key;
    // The new record's lock is the request's (none: the bucket's default).
    const std::optional<ObjectLock> requested =
        rec.info.lock == ObjectLock{} ? std::nullopt : std::optional<ObjectLock>(rec.info.lock);
    clear_version(rec);
    if (bucket.versioning == VersioningState::Off) {
        // As before versioning: the current is replaced in place.
        auto replaced = load_replaced_object(txn, bucket.name, key);
        if (!replaced) return std::move(replaced).error();
        auto& old = *replaced;
        OSTOR_TRY(check_write_conditions(conditions, old));
        std::int64_t delta_bytes = static_cast<std::int64_t>(rec.info.size) - counted_bytes;
        std::int64_t delta_objects = 1;
        if (old) {
            SegmentStore::drop_refs(txn, old->extents, freed);
            delta_bytes -= static_cast<std::int64_t>(old->info.size);
            delta_objects = 0;
        }
        OSTOR_TRY(check_quota(txn, bucket, delta_bytes));
        OSTOR_TRY(store_object(txn, bucket.name, key, rec, old ? &*old : nullptr));
        account_change(txn, bucket, delta_bytes, delta_objects);
        return rec.info;
    }
    auto state = load_key_state(txn, bucket, key, {});
    if (!state) return std::move(state).error();
    OSTOR_TRY(check_write_conditions(conditions, state->current));
    PlanInput in = plan_input(bucket, VersionOp::Write, *state);
    in.size = rec.info.size;
    in.requested_lock = requested;
    auto change = plan_version_change(in);
    if (!change) return std::move(change).error();
    const std::int64_t delta_bytes = change->delta.bytes - counted_bytes;
    OSTOR_TRY(check_quota(txn, bucket, delta_bytes));
    OSTOR_TRY(apply_change(txn, bucket.name, key, *change, *state, rec, freed));
    note_lock_change(bucket, {}, change->new_lock);  // the lock summary, in the row account_change writes
    account_change(txn, bucket, delta_bytes, change->delta.objects);
    return record_of(*change->put_current, *state, rec).info;
}

Result<DeleteResult> delete_version(Txn& txn, Bucket& bucket, std::string_view key, const DeleteOptions& options,
                                    FreedExtents& freed) {
    const bool by_id = !options.version_id.empty();
    const std::string named = by_id && is_instance(options.version_id) ? options.version_id : std::string();
    auto state = load_key_state(txn, bucket, key, named);
    if (!state) return std::move(state).error();
    if (!by_id && bucket.versioning == VersioningState::Off && !state->current)
        return Error(Errc::NoSuchKey, "no object " + std::string(key) + " in bucket " + bucket.name);
    // The lifecycle worker's delete of a current: only the write it evaluated
    // (in a versioned bucket, a marker only while that version is current).
    if (!by_id && options.if_current && (!state->current || !is_current_write(state->current->info, options)))
        return not_that_write(bucket.name, key);
    // The lifecycle worker's removal of a noncurrent version: only under
    // the current it evaluated the version's rank against.
    if (by_id && !is_noncurrent_under(current_info(*state), options))
        return not_noncurrent_under(bucket.name, key, options.version_id);
    PlanInput in = plan_input(bucket, by_id ? VersionOp::DeleteVersion : VersionOp::DeleteCurrent, *state);
    in.version_id = options.version_id;
    in.bypass_governance = options.bypass_governance;
    auto change = plan_version_change(in);
    if (!change) return std::move(change).error();
    ObjectRecord marker;
    marker.info.bucket = bucket.name;
    marker.info.key = std::string(key);
    marker.info.last_modified_ms = in.now_us / kMicrosPerMilli;
    OSTOR_TRY(apply_change(txn, bucket.name, key, *change, *state, marker, freed));
    account_change(txn, bucket, change->delta.bytes, change->delta.objects);
    return DeleteResult{change->version_id, change->delete_marker};
}

Result<FoundVersion> find_version(const Txn& txn, std::string_view bucket, std::string_view key,
                                  std::string_view version_id) {
    auto current = load_replaced_object(txn, bucket, key);
    if (!current) return std::move(current).error();
    auto head = load_version_head(txn, bucket, key);
    if (!head) return std::move(head).error();
    auto from_versions = [&](std::string_view instance) -> Result<FoundVersion> {
        auto rec = load_version(txn, bucket, key, instance);
        if (!rec) return std::move(rec).error();
        if (!*rec)
            return Error(Errc::NoSuchVersion, "no version " + std::string(version_id) + " of " + std::string(key));
        (*rec)->info.is_latest = *head && (*head)->newest == instance;
        return FoundVersion{std::move(**rec), true};
    };
    auto the_current = [&]() -> Result<FoundVersion> {
        (*current)->info.is_latest = true;
        return FoundVersion{std::move(**current), false};
    };
    if (version_id.empty()) {
        if (*current) return the_current();
        if (*head && (*head)->newest_is_marker) return from_versions((*head)->newest);
        return Error(Errc::NoSuchKey, "no object " + std::string(key) + " in bucket " + std::string(bucket));
    }
    if (version_id == kNullVersionId) {
        if (*current && ((*current)->instance.empty() || (*current)->null_version)) return the_current();
        if (*head && !(*head)->null_instance.empty()) return from_versions((*head)->null_instance);
        return Error(Errc::NoSuchVersion, "no null version of " + std::string(key));
    }
    if (*current && (*current)->instance == version_id) return the_current();
    if (!*head) return Error(Errc::NoSuchVersion, "no version " + std::string(version_id) + " of " + std::string(key));
    return from_versions(version_id);
}

Result<ObjectRecord> load_copy_source(const Txn& txn, std::string_view bucket, std::string_view key,
                                      std::string_view version_id) {
    if (version_id.empty()) return load_object(txn, bucket, key);
    auto found = find_version(txn, bucket, key, version_id);
    if (!found) return std::move(found).error();
    ObjectRecord& rec = found->record;
    if (rec.info.delete_marker)
        return Error(Errc::MethodNotAllowed,
                     "version " + std::string(version_id) + " of " + std::string(key) + " is a delete marker");
    if (rec.body_id != 0) {
        rec.inline_data = load_body(txn, rec.body_id);
        if (rec.inline_data.empty())
            return Error(Errc::Internal, "the body of object " + std::string(key) + " is missing");
    }
    return std::move(rec);
}

}  // namespace ostor::detail
