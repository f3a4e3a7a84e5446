#include "rados/version_index.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "rados/catalog_support.hpp"
#include "rados/object_layout.hpp"
#include "rados/space_ledger.hpp"
#include "versions/version_ids.hpp"

namespace ostor::detail::rados {

namespace {

Error damaged(std::string_view what, std::string_view bucket, std::string_view key) {
    return Error(Errc::Internal, "the " + std::string(what) + " of object " + std::string(key) + " in bucket " +
                                     std::string(bucket) + " is damaged or of a version this engine cannot read");
}

Result<IndexEntry> decode_entry(std::string stored, std::string_view bucket, std::string_view key) {
    auto rec = decode_object(stored, false);
    if (!rec) return damaged("record", bucket, key);
    rec->info.bucket = bucket;
    return IndexEntry{std::move(stored), std::move(*rec)};
}

bool has_version(const KeyState& state, std::string_view instance) {
    return std::any_of(state.versions.begin(), state.versions.end(),
                       [&](const IndexEntry& e) { return e.record.instance == instance; });
}

// The entries of a listing of versions_prefix(key) that are the key's own
// (their tail an instance), newest first: a longer key's end it.
Result<void> add_listed(const OmapPage& page, std::string_view bucket, std::string_view key, KeyState& state) {
    const std::string prefix = versions_prefix(key);
    for (const auto& [k, v] : page.entries) {
        if (k.size() != prefix.size() + kInstanceChars || !is_instance(std::string_view(k).substr(prefix.size())))
            break;
        auto e = decode_entry(v, bucket, key);
        if (!e) return std::move(e).error();
        if (!has_version(state, e->record.instance)) state.versions.push_back(std::move(*e));
    }
    return {};
}

}  // namespace

Result<KeyState> read_key_state(Client& client, const std::string& oid, std::string_view bucket, std::string_view key,
                                const KeyStateWants& wants) {
    std::vector<OmapListing> listings;
    if (wants.newest > 0)
        listings.push_back(OmapListing{"", versions_prefix(key), static_cast<std::uint32_t>(wants.newest)});
    std::set<std::string> keys{record_key(key), body_key(key), head_key(key)};
    if (!wants.named.empty()) {
        keys.insert(version_key(key, wants.named));
        if (wants.bodies) keys.insert(version_body_key(key, wants.named));
    }
    auto got = client.omap_read(Pool::Index, oid, listings, keys);
    if (!got) return std::move(got).error();
    KeyState state;
    if (auto it = got->values.find(record_key(key)); it != got->values.end()) {
        auto e = decode_entry(std::move(it->second), bucket, key);
        if (!e) return std::move(e).error();
        if (has_inline_body(e->record)) {
            auto body = got->values.find(body_key(key));
            if (body == got->values.end())
                return Error(Errc::Internal, "the body of object " + std::string(key) + " is missing");
            e->record.inline_data = std::move(body->second);
        }
        state.current = std::move(*e);
    }
    if (auto it = got->values.find(head_key(key)); it != got->values.end()) {
        auto head = decode_version_head(it->second);
        if (!head) return damaged("version head", bucket, key);
        state.stored_head = std::move(it->second);
        state.head = std::move(*head);
    }
    if (!state.head) return state;  // no head: no versions
    if (!listings.empty()) OSTOR_TRY(add_listed(got->pages.at(0), bucket, key, state));
    if (!wants.named.empty()) {
        if (auto it = got->values.find(version_key(key, wants.named));
            it != got->values.end() && !has_version(state, wants.named)) {
            auto e = decode_entry(std::move(it->second), bucket, key);
            if (!e) return std::move(e).error();
            state.versions.push_back(std::move(*e));
        }
    }
    // The second read: the null version the head names, and inline bodies
    // of entries read by listing.
    std::set<std::string> more;
    const std::string null_instance = wants.null_version ? state.head->null_instance : std::string();
    const bool null_unread = !null_instance.empty() && !has_version(state, null_instance);
    if (null_unread) {
        more.insert(version_key(key, null_instance));
        if (wants.bodies) more.insert(version_body_key(key, null_instance));
    }
    if (wants.bodies) {
        for (auto& v : state.versions) {
            if (!has_inline_body(v.record)) continue;
            auto k = version_body_key(key, v.record.instance);
            if (auto it = got->values.find(k); it != got->values.end())
                v.record.inline_data = it->second;
            else
                more.insert(std::move(k));
        }
    }
    if (more.empty()) return state;
    // Not one state with the first read: the head and the entries whose
    // bodies are read again, so that a change in between (a promotion
    // taking a body along, a null version replaced) is read as such.
    more.insert(head_key(key));
    for (const auto& v : state.versions)
        if (has_inline_body(v.record) && v.record.inline_data.empty()) more.insert(version_key(key, v.record.instance));
    auto second = client.omap_get(Pool::Index, oid, more);
    if (!second) return std::move(second).error();
    auto changed = [&] { return Error(kCompareFailed, "the versions of " + std::string(key) + " changed meanwhile"); };
    if (value_of(*second, head_key(key)) != state.stored_head) return changed();
    for (const auto& v : state.versions)
        if (has_inline_body(v.record) && v.record.inline_data.empty() &&
            value_of(*second, version_key(key, v.record.instance)) != v.stored)
            return changed();
    if (null_unread) {
        if (auto it = second->find(version_key(key, null_instance)); it != second->end()) {
            auto e = decode_entry(std::move(it->second), bucket, key);
            if (!e) return std::move(e).error();
            state.versions.push_back(std::move(*e));
        }
    }
    for (auto& v : state.versions)
        if (auto it = second->find(version_body_key(key, v.record.instance)); it != second->end())
            v.record.inline_data = std::move(it->second);
    return state;
}

PlanInput plan_input_of(const Bucket& bucket, VersionOp op, const KeyState& state) {
    std::vector<const ObjectRecord*> versions;
    for (const auto& v : state.versions) versions.push_back(&v.record);
    // No gateway with a fast clock frees a version early.
    return ::ostor::detail::plan_input_of(bucket, op, state.current ? &state.current->record : nullptr, state.head,
                                          versions, kMaxClockSkew.count());
}

Result<ChangeWrite> change_write(std::string_view key, const KeyState& state, const VersionChange& change,
                                 const ObjectRecord& created) {
    ChangeWrite out;
    WriteOp& op = out.op;
    std::set<std::string> guarded;  // one compare per key
    auto guard = [&](std::string k, std::string value) {
        if (guarded.insert(k).second) op.compare_omap(std::move(k), Compare::Eq, std::move(value));
    };
    guard(std::string(kShardClosedKey), "");
    guard(record_key(key), state.current ? state.current->stored : std::string());
    guard(head_key(key), state.stored_head);
    // The record an entry of the change stands for, carrying the entry's
    // version; its body apart (inline_data cleared for the index).
    // A record freed needs only its extents: its body may not have been read.
    auto record_of = [&](const VersionEntry& e, bool needs_body = true) -> Result<ObjectRecord> {
        const ObjectRecord* from = nullptr;
        if (e.handle == kNewEntry)
            from = &created;
        else if (e.handle == kCurrentHandle && state.current)
            from = &state.current->record;
        else if (e.handle >= 1 && e.handle <= state.versions.size())
            from = &state.versions[e.handle - 1].record;
        if (!from) return Error(Errc::Internal, "the version plan names an entry it was not given");
        ObjectRecord rec = *from;
        rec.instance = e.instance;
        rec.null_version = e.null_version;
        rec.info.delete_marker = e.marker;
        rec.info.lock = e.lock;
        rec.info.version_id = version_id_of(rec);
        if (needs_body && has_inline_body(rec) && rec.inline_data.empty() && rec.info.size > 0)
            return Error(Errc::Internal,
                         "the body of version " + rec.info.version_id + " of " + std::string(key) + " is missing");
        return rec;
    };
    auto stored_of = [&](const std::string& instance) -> const IndexEntry* {
        for (const auto& v : state.versions)
            if (v.record.instance == instance) return &v;
        return nullptr;
    };
    for (const VersionEntry& e : change.freed) {
        auto rec = record_of(e, false);
        if (!rec) return std::move(rec).error();
        out.freed.insert(out.freed.end(), rec->extents.begin(), rec->extents.end());
    }
    // Removals first: a promoted version's entries go before it becomes
    // the current (changes apply in the order added).
    if (change.remove_current) op.omap_remove_keys({record_key(key), body_key(key)});
    for (const auto& instance : change.remove_versions) {
        const IndexEntry* read = stored_of(instance);
        if (!read) return Error(Errc::Internal, "the version plan removes an entry it was not given");
        guard(version_key(key, instance), read->stored);
        op.omap_remove_keys({version_key(key, instance), version_body_key(key, instance)});
    }
    for (const VersionEntry& e : change.put_versions) {
        auto rec = record_of(e);
        if (!rec) return std::move(rec).error();
        std::string body = std::move(rec->inline_data);
        rec->inline_data.clear();
        std::string stored = encode(*rec);
        guard(version_key(key, e.instance), "");  // a new entry: its instance is new to the key
        op.omap_set(version_key(key, e.instance), stored);
        if (!body.empty()) op.omap_set(version_body_key(key, e.instance), std::move(body));
        if (e.handle == kNewEntry) {
            out.written_key = version_key(key, e.instance);
            out.written_value = std::move(stored);
            out.info = rec->info;
        }
    }
    if (change.put_current) {
        auto rec = record_of(*change.put_current);
        if (!rec) return std::move(rec).error();
        std::string body = std::move(rec->inline_data);
        rec->inline_data.clear();
        std::string stored = encode(*rec);
        op.omap_set(record_key(key), stored);
        if (!body.empty())
            op.omap_set(body_key(key), std::move(body));
        else
            op.omap_remove(body_key(key));
        if (change.put_current->handle == kNewEntry) {
            out.written_key = record_key(key);
            out.written_value = std::move(stored);
            out.info = rec->info;
        }
    }
    if (change.head) {
        // A head naming a version entry it keeps (a marker left newest by a
        // removal) is only true while that entry is: a concurrent removal of
        // it by id, which changes no head, must make one of the two read
        // again.
        if (const IndexEntry* named = stored_of(change.head->newest))
            guard(version_key(key, change.head->newest), named->stored);
        op.omap_set(head_key(key), encode(*change.head));
    }
    if (change.remove_head) op.omap_remove(head_key(key));
    return out;
}

Result<FoundVersion> find_version(Client& client, const std::string& oid, std::string_view bucket, std::string_view key,
                                  std::string_view version_id, bool with_body) {
    KeyStateWants wants;
    wants.bodies = with_body;
    if (version_id.empty())
        wants.newest = 1;  // a marker that is the key's newest
    else if (version_id == kNullVersionId)
        wants.null_version = true;
    else
        wants.named = std::string(version_id);
    auto state = read_key_state(client, oid, bucket, key, wants);
    for (int again = 1; !state && state.error().code() == kCompareFailed && again < kMaxGuardedAttempts; ++again) {
        conflict_backoff(again);  // changed between its two reads: read again
        state = read_key_state(client, oid, bucket, key, wants);
    }
    if (!state) {
        // Still changing after every attempt: a read that may be tried
        // again, not a precondition of the caller's that failed (412).
        if (state.error().code() == kCompareFailed)
            return Error(Errc::IoError, "the versions of " + std::string(key) + " kept changing: try again");
        if (state.error().code() != kNotFound) return std::move(state).error();
        if (version_id.empty()) return no_such_key(bucket, key);
        return no_such_version(key, version_id);
    }
    auto the_current = [&]() -> Result<FoundVersion> {
        state->current->record.info.is_latest = true;
        return FoundVersion{std::move(*state->current), false};
    };
    auto from_versions = [&](std::string_view instance) -> Result<FoundVersion> {
        for (auto& v : state->versions)
            if (v.record.instance == instance) {
                if (with_body && has_inline_body(v.record) && v.record.inline_data.empty() && v.record.info.size > 0)
                    return Error(Errc::Internal, "the body of version " + std::string(instance) + " of " +
                                                     std::string(key) + " is missing");
                v.record.info.is_latest = !state->current && state->head && state->head->newest == instance;
                return FoundVersion{std::move(v), true};
            }
        return no_such_version(key, version_id);
    };
    const auto& current = state->current;
    const auto& head = state->head;
    if (version_id.empty()) {
        if (current) return the_current();
        if (head && head->newest_is_marker) return from_versions(head->newest);
        return no_such_key(bucket, key);
    }
    if (version_id == kNullVersionId) {
        if (current && (current->record.instance.empty() || current->record.null_version)) return the_current();
        if (head && !head->null_instance.empty()) return from_versions(head->null_instance);
        return no_such_version(key, version_id);
    }
    if (current && current->record.instance == version_id) return the_current();
    return from_versions(version_id);
}

Result<void> for_each_version_entry(Client& client, const std::string& oid, std::uint32_t page_entries,
                                    const std::function<Result<void>(const std::string&, const std::string&)>& fn) {
    const std::string prefix(1, kVersionPrefix);
    std::string after;
    for (;;) {
        auto page = client.omap_list(Pool::Index, oid, after, prefix, page_entries);
        if (!page) {
            if (page.error().code() == kNotFound) return {};
            return std::move(page).error();
        }
        for (const auto& [k, v] : page->entries) OSTOR_TRY(fn(k, v));
        if (!page->more || page->entries.empty()) return {};
        after = page->entries.back().first;
    }
}

}  // namespace ostor::detail::rados
