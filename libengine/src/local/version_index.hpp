// The versions of object keys in a local volume (docs/versioning.md, "Local
// backend"): the Versions table holds every noncurrent version and every
// delete marker of a key under "bucket/" + the key's version head + "\0" +
// instance, so a key's versions are contiguous and newest first; the
// VersionHeads table holds each versioned key's VersionHead under its
// object index key. The current stays in Objects, as for unversioned keys.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "listing.hpp"
#include "local/lmdb_env.hpp"
#include "records.hpp"

namespace ostor::detail {

// Where a key's escaped head is cut (one byte further when an escape
// "\0\xff" would be split), so that with a 63-byte bucket name, the escaped
// hash and the "\0" + instance tail a Versions key stays within LMDB's 511
// bytes.
constexpr std::size_t kVersionKeyHeadBytes = 380;

// "bucket/" + version head + "\0": what every Versions key of (bucket, key)
// starts with.
std::string versions_prefix(std::string_view bucket, std::string_view key);
std::string versions_key(std::string_view bucket, std::string_view key, std::string_view instance);

// The key's head, if it has one. Fails: Internal (a damaged head).
Result<std::optional<VersionHead>> load_version_head(const Txn& txn, std::string_view bucket, std::string_view key);
void store_version_head(Txn& txn, std::string_view bucket, std::string_view key, const VersionHead& head);
void erase_version_head(Txn& txn, std::string_view bucket, std::string_view key);

// The version `instance` of the key (its record without its body), if any.
// Fails: Internal (a damaged record).
Result<std::optional<ObjectRecord>> load_version(const Txn& txn, std::string_view bucket, std::string_view key,
                                                 std::string_view instance);
// The key's `max` newest versions, newest first (records without bodies).
Result<std::vector<ObjectRecord>> newest_versions(const Txn& txn, std::string_view bucket, std::string_view key,
                                                  std::size_t max);
// Whether the bucket holds any version or head (emptiness counts markers).
bool bucket_has_versions(const Txn& txn, std::string_view bucket);

// Walks a bucket's Versions entries by key, each key's newest first
// (ListObjectVersions merges it with an ObjectScan). Escaped heads sort as
// their keys do, so the table is in that order except among keys sharing a
// cut head, whose entries the scan gathers and sorts by the full key kept in
// the record (as ObjectScan does a long group's).
class VersionScan final : public ListedVersionWalk {
public:
    VersionScan(const Txn& txn, std::string_view bucket);
    void seek(std::string_view key, std::string_view after_instance) override;
    std::optional<ListedVersion> next() override;

private:
    void fill();
    // The entry under index key `k` when it is after the seek's bound.
    void take(std::string_view k, std::string_view value, std::vector<ListedVersion>& into) const;
    Cursor cursor_;
    std::string prefix_;
    std::string key_;
    std::string after_;
    Cursor::Entry pending_;
    bool positioned_ = false;
    std::deque<ListedVersion> ready_;
};

}  // namespace ostor::detail
