#include "listing.hpp"

namespace ostor::detail {

std::string successor_of_prefix(std::string prefix) {
    while (!prefix.empty()) {
        auto& c = reinterpret_cast<unsigned char&>(prefix.back());
        if (c != 0xFF) {
            ++c;
            return prefix;
        }
        prefix.pop_back();
    }
    return prefix;
}

namespace {

// The loop both listings share: from where `walk` was sought, the entries
// under `prefix`, entries sharing a group (the prefix, then up to the
// delimiter) rolled up into one common prefix, until `max_keys` were taken.
// `listed_already(key)` says whether a page before this one held the entry;
// a group holding the marker was listed whole already. `take_prefix` and
// `take_entry` receive what the page holds. Returns whether it was cut.
template <class Walk, class ListedAlready, class TakePrefix, class TakeEntry>
bool walk_page(Walk& walk, const std::string& prefix, const std::string& delimiter, const std::string& marker,
               std::uint32_t max_keys, ListedAlready listed_already, TakePrefix take_prefix, TakeEntry take_entry) {
    std::uint32_t count = 0;
    while (auto info = walk.next()) {
        const std::string& key = info->key;
        if (key.compare(0, prefix.size(), prefix) != 0) break;  // past the prefix range
        if (listed_already(key)) continue;
        std::string common;
        if (!delimiter.empty()) {
            auto pos = key.find(delimiter, prefix.size());
            if (pos != std::string::npos) common = key.substr(0, pos + delimiter.size());
        }
        if (!common.empty() && !marker.empty() && common <= marker) {
            // The marker lies inside this group: it was listed already.
            auto next = successor_of_prefix(common);
            if (next.empty()) break;
            walk.seek(next);
            continue;
        }
        if (count == max_keys) return true;
        ++count;
        if (!common.empty()) {
            take_prefix(common);
            auto next = successor_of_prefix(common);
            if (next.empty()) break;
            walk.seek(next);
        } else {
            take_entry(std::move(*info));
        }
    }
    return false;
}

}  // namespace

ListObjectsResult list_objects_page(ObjectWalk& scan, std::string_view bucket, const ListObjectsParams& params) {
    ListObjectsResult out;
    if (params.max_keys == 0) return out;
    const std::string& marker = params.marker;
    scan.seek(marker > params.prefix ? marker : params.prefix);
    out.truncated = walk_page(
        scan, params.prefix, params.delimiter, marker, params.max_keys,
        [&](const std::string& key) { return !marker.empty() && key <= marker; },
        [&](const std::string& common) {
            out.common_prefixes.push_back(common);
            out.next_marker = common;
        },
        [&](ObjectInfo&& info) {
            info.bucket = bucket;
            out.next_marker = info.key;
            out.objects.push_back(std::move(info));
        });
    if (!out.truncated) out.next_marker.clear();
    return out;
}

void MergedVersionEntries::seek(std::string_view start) {
    currents_.seek(start);
    versions_.seek(start, {});
    current_.reset();
    version_.reset();
}

void MergedVersionEntries::seek_versions_after(std::string_view key, std::string_view after_instance) {
    currents_.seek(key);
    versions_.seek(key, after_instance);
    current_.reset();
    version_.reset();
}

std::optional<ListedEntry> MergedVersionEntries::next() {
    if (!current_) current_ = currents_.next_entry();
    if (!version_) version_ = versions_.next();
    auto& cur = *current_;
    auto& ver = *version_;
    if (!cur && !ver) return std::nullopt;
    const bool take_current = cur && (!ver || cur->info.key <= ver->info.key);
    auto& taken = take_current ? current_ : version_;
    ListedEntry e{std::move(**taken), take_current};
    taken.reset();
    return e;
}

void VersionWalk::seek(std::string_view start) {
    entries_.seek(start);
    last_key_.reset();
    resumed_key_.reset();
}

void VersionWalk::seek_versions_after(std::string_view key, std::string_view after_instance, std::string_view newest) {
    entries_.seek_versions_after(key, after_instance);
    last_key_.reset();
    resumed_key_ = std::string(key);
    resumed_after_ = after_instance;
    resumed_newest_ = newest;
}

bool VersionWalk::resumes_with(const ListedVersion& current) const {
    // After "null" that is not among the versions: the null current was
    // listed; any other current is newer than the null version was, and may
    // have been listed too, but it is listed again rather than skipped.
    if (resumed_after_.empty()) return current.info.version_id != "null" && !current.info.version_id.empty();
    return !current.instance.empty() && current.instance > resumed_after_;
}

std::optional<ObjectInfo> VersionWalk::next() {
    while (auto entry = entries_.next()) {
        ListedVersion& e = entry->version;
        if (entry->current) {
            if (resumed_key_ == e.info.key && last_key_ != e.info.key && !resumes_with(e)) {
                last_key_ = e.info.key;  // passed, but the key's versions are not its latest
                continue;
            }
            // A current without a version block is the null version.
            if (e.info.version_id.empty()) e.info.version_id = "null";
            e.info.is_latest = true;
            last_key_ = e.info.key;
            return std::move(e.info);
        }
        // The latest when it is its key's first (no current came before it),
        // except in a resumed key, whose newer versions the walk passed.
        const bool first_of_key = last_key_ != e.info.key;
        e.info.is_latest = first_of_key && (resumed_key_ != e.info.key || e.instance == resumed_newest_);
        last_key_ = e.info.key;
        return std::move(e.info);
    }
    return std::nullopt;
}

VersionMarker version_marker(std::string_view version_id_marker, std::string_view head_newest,
                             std::string_view head_null_instance) {
    VersionMarker m;
    m.newest = head_newest;
    if (version_id_marker != "null")
        m.after_instance = version_id_marker;
    else
        m.after_instance = head_null_instance;  // empty: the current is null, or the null version is gone
    return m;
}

ListVersionsResult list_versions_page(VersionWalk& walk, std::string_view bucket, const ListVersionsParams& params,
                                      const VersionMarker& marker) {
    ListVersionsResult out;
    if (params.max_keys == 0) return out;
    const std::string& prefix = params.prefix;
    const std::string& key_marker = params.key_marker;
    // S3's markers: a key marker alone lists the keys after it; with a
    // version id marker, the marker key's versions after that one first. A
    // marker below the prefix is passed by the prefix anyway.
    const bool resume_in_key = !params.version_id_marker.empty() && key_marker >= prefix;
    if (resume_in_key)
        walk.seek_versions_after(key_marker, marker.after_instance, marker.newest);
    else if (!key_marker.empty() && key_marker >= prefix)
        walk.seek(key_marker + '\0');
    else
        walk.seek(prefix);
    out.truncated = walk_page(
        walk, prefix, params.delimiter, key_marker, params.max_keys,
        [&](const std::string& key) {
            return !key_marker.empty() && (key < key_marker || (key == key_marker && !resume_in_key));
        },
        [&](const std::string& common) {
            out.common_prefixes.push_back(common);
            out.next_key_marker = common;
            out.next_version_id_marker.clear();
        },
        [&](ObjectInfo&& info) {
            info.bucket = bucket;
            out.next_key_marker = info.key;
            out.next_version_id_marker = info.version_id;
            out.versions.push_back(std::move(info));
        });
    if (!out.truncated) {
        out.next_key_marker.clear();
        out.next_version_id_marker.clear();
    }
    return out;
}

ListUploadsResult list_uploads_page(UploadWalk& scan, std::string_view bucket, const ListUploadsParams& params,
                                    const std::optional<Upload>& marker_upload) {
    ListUploadsResult out;
    const std::string& prefix = params.prefix;
    const std::string& key_marker = params.key_marker;
    // S3's markers: with only a key marker, the keys after it; with an
    // upload-id marker too, also the uploads of the marker's key after
    // that upload (an upload-id marker alone means nothing).
    // `id_after`: the marker upload is gone (completed or aborted since
    // the last page), so of the marker's key the uploads with greater
    // ids follow (as S3 defines it; ids rise in the order begun).
    std::optional<std::string> id_after;
    if (key_marker.empty() || key_marker < prefix) {
        scan.seek_key(prefix, false);
    } else if (params.upload_id_marker.empty()) {
        scan.seek_key(key_marker, true);
    } else if (const auto& m = marker_upload; m && m->bucket == bucket && m->key == key_marker) {
        scan.seek_after(*m);
    } else {
        scan.seek_key(key_marker, false);
        id_after = params.upload_id_marker;
    }
    std::uint32_t count = 0;
    while (auto u = scan.next()) {
        if (u->key.compare(0, prefix.size(), prefix) != 0) {
            if (u->key > prefix) break;  // past the prefix range
            continue;
        }
        if (id_after && u->key == key_marker && u->id <= *id_after) continue;
        std::string common;
        if (!params.delimiter.empty()) {
            auto pos = u->key.find(params.delimiter, prefix.size());
            if (pos != std::string::npos) common = u->key.substr(0, pos + params.delimiter.size());
        }
        if (!common.empty() && !key_marker.empty() && common <= key_marker) {
            // The marker lies inside this group: it was listed already.
            auto next = successor_of_prefix(common);
            if (next.empty()) break;
            scan.seek_key(next, false);
            continue;
        }
        if (count == params.max_uploads) {
            out.truncated = true;
            break;
        }
        ++count;
        if (!common.empty()) {
            out.common_prefixes.push_back(common);
            out.next_key_marker = common;
            out.next_upload_id_marker.clear();
            auto next = successor_of_prefix(common);
            if (next.empty()) break;
            scan.seek_key(next, false);
        } else {
            out.next_key_marker = u->key;
            out.next_upload_id_marker = u->id;
            out.uploads.push_back(std::move(*u));
        }
    }
    if (!out.truncated) {
        out.next_key_marker.clear();
        out.next_upload_id_marker.clear();
    }
    return out;
}

}  // namespace ostor::detail
