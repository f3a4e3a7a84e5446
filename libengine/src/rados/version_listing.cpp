#include "rados/version_listing.hpp"

#include <algorithm>

#include "rados/object_index.hpp"
#include "rados/object_layout.hpp"
#include "records.hpp"
#include "versions/version_ids.hpp"

namespace ostor::detail::rados {

namespace {

using Entry = ShardVersionEntries::Entry;

// Before every v entry of `key` and after those of every smaller key:
// v<head>, which is no entry's omap key (each ends with "\0" + instance).
std::string before_versions_of(std::string_view key) { return kVersionPrefix + upload_index_key_head(key); }

// The object key of a v entry's omap key v<head>\0<instance>: <head> with
// its escapes ("\0\xff" for a NUL) undone, up to the first NUL that is no
// escape (all of it when none: a damaged key, ordered among the key's
// entries all the same).
std::string key_of_version_entry(std::string_view omap_key) {
    std::string key;
    for (std::size_t i = 1; i < omap_key.size(); ++i) {
        const char c = omap_key[i];
        if (c == '\0') {
            if (i + 1 >= omap_key.size() || omap_key[i + 1] != '\xff') break;
            ++i;  // an escaped NUL
        }
        key += c;
    }
    return key;
}

// The instance of a v entry's omap key, "" when it ends with none.
std::string instance_of_version_entry(std::string_view omap_key) {
    if (omap_key.size() < 1 + 1 + kInstanceChars || omap_key[omap_key.size() - 1 - kInstanceChars] != '\0') return {};
    std::string instance(omap_key.substr(omap_key.size() - kInstanceChars));
    return is_instance(instance) ? instance : std::string();
}

// The listing's order: by key, a key's current first, its versions in omap
// key order (instance order: newest first).
bool listed_before(const Entry& a, const Entry& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.current != b.current) return a.current;
    return a.omap_key < b.omap_key;
}

}  // namespace

ShardVersionEntries::ShardVersionEntries(Client& client, std::string bucket, std::uint64_t epoch, std::uint32_t shards,
                                         std::uint32_t page_entries)
    : client_(client), bucket_(std::move(bucket)), page_entries_(std::max<std::uint32_t>(page_entries, 1)) {
    shards_.resize(shards);
    for (std::uint32_t i = 0; i < shards; ++i) shards_[i].oid = index_oid(bucket_, epoch, i);
}

void ShardVersionEntries::start_at(Shard& shard, std::string_view key, bool owner, std::string v_after) {
    shard.o_after = key.empty() ? std::string() : record_key(key);
    if (owner && !key.empty())
        shard.o_at = record_key(key);  // omap listings start after a key: o<key> is asked for apart
    else
        shard.o_at.reset();
    shard.v_after = std::move(v_after);
    shard.frontier_key = key;
    shard.done = false;
}

void ShardVersionEntries::seek(std::string_view start) {
    const bool forward = positioned_ && !error_ && start > floor_ && (!last_ || start > *last_);
    if (!forward) return position(start, before_versions_of(start));
    floor_ = start;
    last_.reset();
    // Forward: a shard's taken entries are all of its entries between where
    // its last read started (below `start`) and its frontier; those at or
    // after `start` stay. A shard left with none is read again from `start`
    // unless its frontier is past it already.
    const std::size_t owner = shards_.empty() ? 0 : index_shard_of(start, static_cast<std::uint32_t>(shards_.size()));
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        auto& s = shards_[i];
        while (!s.ready.empty() && s.ready.front().key < start) s.ready.pop_front();
        if (!s.ready.empty() || s.done || s.frontier_key >= start) continue;
        start_at(s, start, i == owner, before_versions_of(start));
    }
}

void ShardVersionEntries::seek_versions_after(std::string_view key, std::string_view after_instance) {
    position(key, after_instance.empty() ? before_versions_of(key) : version_key(key, after_instance));
}

void ShardVersionEntries::position(std::string_view key, std::string v_after) {
    positioned_ = true;
    floor_ = key;
    last_.reset();
    const std::size_t owner = shards_.empty() ? 0 : index_shard_of(key, static_cast<std::uint32_t>(shards_.size()));
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        shards_[i].ready.clear();
        start_at(shards_[i], key, i == owner, v_after);
    }
}

void ShardVersionEntries::take(Shard& shard, OmapRead read) {
    auto& o_page = read.pages[0];
    auto& v_page = read.pages[1];
    std::vector<Entry> all;
    all.reserve(o_page.entries.size() + v_page.entries.size() + 1);
    if (shard.o_at) {
        if (auto it = read.values.find(*shard.o_at); it != read.values.end())
            all.push_back(Entry{it->first.substr(1), true, it->first, std::move(it->second)});
    }
    for (auto& [k, stored] : o_page.entries) all.push_back(Entry{k.substr(1), true, k, std::move(stored)});
    const std::size_t versions_from = all.size();
    for (auto& [k, stored] : v_page.entries) all.push_back(Entry{key_of_version_entry(k), false, k, std::move(stored)});
    // The earlier of the full pages' last entries: past it, a page may
    // have entries it did not return.
    std::optional<Entry> last;
    auto consider = [&](const Entry& e) {
        if (!last || listed_before(e, *last)) last = Entry{e.key, e.current, e.omap_key, {}};
    };
    if (o_page.more && !o_page.entries.empty()) consider(all[versions_from - 1]);
    if (v_page.more && !v_page.entries.empty()) consider(all.back());
    std::inplace_merge(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(versions_from), all.end(), listed_before);
    auto take_until = [&](std::vector<Entry>::iterator end) {
        for (auto it = all.begin(); it != end; ++it) shard.ready.push_back(std::move(*it));
    };
    if (!last) {
        take_until(all.end());
        shard.done = true;
        return;
    }
    // A page may have stopped inside its last key (the v page among the
    // key's versions; the o page at the key's current, while the key's
    // versions are in the v page's part not taken, which the next read
    // finds changed). So the keys taken are those below that key, which
    // both pages hold whole, and the next read starts at it, both kinds
    // again: a key's entries all come from one read of the shard.
    auto below = std::find_if(all.begin(), all.end(), [&](const Entry& e) { return e.key >= last->key; });
    if (below != all.begin()) {
        take_until(below);
        start_at(shard, last->key, true, before_versions_of(last->key));
        return;
    }
    // None below it: the key's versions fill the v page (from where the
    // read started). Such a key is read in pieces, each up to a full page's
    // last entry.
    take_until(std::find_if(all.begin(), all.end(), [&](const Entry& e) { return listed_before(*last, e); }));
    start_at(shard, last->key, false, last->current ? before_versions_of(last->key) : last->omap_key);
}

void ShardVersionEntries::fill_empty() {
    if (error_) return;
    auto send_read = [&](Shard& s, auto answer) {
        std::vector<OmapListing> listings{{s.o_after, std::string(1, kRecordPrefix), page_entries_},
                                          {s.v_after, std::string(1, kVersionPrefix), page_entries_}};
        std::set<std::string> keys;
        if (s.o_at) keys.insert(*s.o_at);
        client_.aio_omap_read(Pool::Index, s.oid, listings, keys, std::move(answer));
    };
    read_empty_shards<OmapRead>(shards_, round_trips_, error_, send_read,
                                [](Shard& s, OmapRead read) { take(s, std::move(read)); });
}

std::optional<ListedEntry> ShardVersionEntries::next() {
    if (!positioned_) seek({});
    for (;;) {
        // Each shard read and not done takes at least one entry.
        fill_empty();
        if (error_) return std::nullopt;
        Shard* best = first_ready(shards_, listed_before);
        if (!best) return std::nullopt;
        Entry e = std::move(best->ready.front());
        best->ready.pop_front();
        last_ = e.key;
        std::string instance;
        if (!e.current) {
            instance = instance_of_version_entry(e.omap_key);
            if (instance.empty()) continue;  // as a damaged record: not listed
        }
        auto rec = decode_object(e.stored, false);
        if (!rec) continue;  // a damaged record is not listed, as in ListObjects
        rec->info.bucket = bucket_;
        if (e.current) instance = std::move(rec->instance);
        return ListedEntry{ListedVersion{std::move(rec->info), std::move(instance)}, e.current};
    }
}

}  // namespace ostor::detail::rados
