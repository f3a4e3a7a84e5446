// S3's listings of objects and of multipart uploads (prefix, delimiter,
// markers, paging), for every backend, expressed over a walk in key order
// that the backend provides: a page costs its own length plus one seek per
// common prefix, whatever the bucket holds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ostor/types.hpp"

namespace ostor::detail {

// The smallest string greater than every string starting with `prefix`, or
// empty when there is none (all 0xFF).
std::string successor_of_prefix(std::string prefix);

// A version of a key: its info (version_id "null" or the instance; empty for
// a current written unversioned) and its instance, which orders a key's
// versions newest first (empty for a current without one).
struct ListedVersion {
    ObjectInfo info;
    std::string instance;
};

// A bucket's objects in key order.
class ObjectWalk {
public:
    virtual ~ObjectWalk() = default;
    // Repositions at the first key >= `start`.
    virtual void seek(std::string_view start) = 0;
    // The next object (info.bucket need not be set), none at the end.
    virtual std::optional<ObjectInfo> next() = 0;
    // As next(), with the object's instance. This default, for walks that
    // never meet a versioned bucket, gives none.
    virtual std::optional<ListedVersion> next_entry() {
        auto info = next();
        if (!info) return std::nullopt;
        return ListedVersion{std::move(*info), {}};
    }
};

// One page of ListObjects over `walk` (a walk of `bucket`'s objects).
ListObjectsResult list_objects_page(ObjectWalk& walk, std::string_view bucket, const ListObjectsParams& params);

// The versions other than the currents of a bucket's keys (noncurrent
// objects and delete markers), by key, each key's in instance order (newest
// first).
class ListedVersionWalk {
public:
    virtual ~ListedVersionWalk() = default;
    // Repositions at the first entry after (key, after_instance): the
    // entries of `key` with a greater instance (all of them when
    // `after_instance` is empty), then those of the keys after it.
    virtual void seek(std::string_view key, std::string_view after_instance) = 0;
    // The next entry (info.bucket need not be set), none at the end.
    virtual std::optional<ListedVersion> next() = 0;
};

// A version of a key as a ListedEntryWalk gives it: the key's current
// (its o entry, its Objects record) or one of its other versions.
struct ListedEntry {
    ListedVersion version;
    bool current = false;
};

// Every key's current and other versions in one walk, by key, each key's
// current first and then its other versions in instance order (newest
// first): for a backend that reads both kinds together, so that a version
// moving from one kind to the other meanwhile is seen once.
class ListedEntryWalk {
public:
    virtual ~ListedEntryWalk() = default;
    // Repositions at the first entry of the first key >= `start`.
    virtual void seek(std::string_view start) = 0;
    // Repositions at `key`'s current, then its other versions with an
    // instance greater than `after_instance` (all of them when empty), then
    // the keys after it.
    virtual void seek_versions_after(std::string_view key, std::string_view after_instance) = 0;
    // The next entry (info.bucket need not be set), none at the end.
    virtual std::optional<ListedEntry> next() = 0;
};

// The two walks of a backend that keeps currents and other versions apart
// (one snapshot read of both), merged by key into one ListedEntryWalk.
class MergedVersionEntries final : public ListedEntryWalk {
public:
    MergedVersionEntries(ObjectWalk& currents, ListedVersionWalk& versions)
        : currents_(currents), versions_(versions) {}
    void seek(std::string_view start) override;
    void seek_versions_after(std::string_view key, std::string_view after_instance) override;
    std::optional<ListedEntry> next() override;

private:
    ObjectWalk& currents_;
    ListedVersionWalk& versions_;
    std::optional<std::optional<ListedVersion>> current_;  // peeked; inner none: the walk's end
    std::optional<std::optional<ListedVersion>> version_;  // likewise
};

// Every version of a bucket's keys in ListObjectVersions' order: by key,
// each key's current (the latest) and then its other versions newest first
// (the first of them the latest when there is no current). The currents
// and the other versions come from one ListedEntryWalk, or from two walks
// merged by key.
class VersionWalk {
public:
    VersionWalk(ObjectWalk& currents, ListedVersionWalk& versions)
        : merged_(std::in_place, currents, versions), entries_(*merged_) {}
    explicit VersionWalk(ListedEntryWalk& entries) : entries_(entries) {}
    // Repositions at the first version of the first key >= `start`.
    void seek(std::string_view start);
    // Repositions at the versions of `key` older than `after_instance`, its
    // current among them when it is (a version listed as the latest is
    // promoted when the newer ones are removed), then the keys after it.
    // With `after_instance` empty, after the null version: all of the
    // key's versions but the current when that is the null version.
    // `newest`: the key's newest instance as its head says (empty: none),
    // listed as the latest when it is not the current.
    void seek_versions_after(std::string_view key, std::string_view after_instance, std::string_view newest);
    // The next version: version_id "null" or the instance, is_latest set.
    std::optional<ObjectInfo> next();

private:
    // Whether the resumed key's current is one of the versions to list.
    bool resumes_with(const ListedVersion& current) const;

    std::optional<MergedVersionEntries> merged_;  // of the two walks given, if so
    ListedEntryWalk& entries_;
    std::optional<std::string> last_key_;     // of the last version returned since the seek
    std::optional<std::string> resumed_key_;  // seek_versions_after's arguments
    std::string resumed_after_;
    std::string resumed_newest_;
};

// Where a version-id-marker resumes its key's versions, from its key's head
// (empty fields without one): after the instance it names (empty: "null"
// when the null version is the current or gone), with the key's newest
// instance.
struct VersionMarker {
    std::string after_instance;
    std::string newest;
};
VersionMarker version_marker(std::string_view version_id_marker, std::string_view head_newest,
                             std::string_view head_null_instance);

// One page of ListObjectVersions over `walk` (a walk of `bucket`'s
// versions). `marker`: where params.version_id_marker resumes (unused without
// one).
ListVersionsResult list_versions_page(VersionWalk& walk, std::string_view bucket, const ListVersionsParams& params,
                                      const VersionMarker& marker);

// A bucket's multipart uploads in S3's order: by key, then in the order they
// were begun.
class UploadWalk {
public:
    virtual ~UploadWalk() = default;
    // Repositions at the first upload whose key is >= `key`, or > `key` when
    // `after_key`.
    virtual void seek_key(std::string_view key, bool after_key) = 0;
    // Repositions just after `upload` (an upload of this bucket).
    virtual void seek_after(const Upload& upload) = 0;
    virtual std::optional<Upload> next() = 0;
};

// One page of ListMultipartUploads over `walk` (a walk of `bucket`'s
// uploads). `marker_upload`: the upload params.upload_id_marker names, when
// it still exists.
ListUploadsResult list_uploads_page(UploadWalk& walk, std::string_view bucket, const ListUploadsParams& params,
                                    const std::optional<Upload>& marker_upload);

}  // namespace ostor::detail
