// Where the RADOS backend keeps buckets, the object index and multipart
// uploads (docs/rados.md, "Object catalog layout"). The identity and
// settings records are in records_layout.hpp; the space ledger's in
// ledger_layout.hpp; blob objects in blob_store.hpp.
//
// Meta pool:
//   bucket.<name>          omap info = the encoded Bucket (records.hpp; its
//                          objects/bytes/size come from the bucket's ledger),
//                          shards = the index shard count (decimal), fixed at
//                          creation; limits, quota: the settings catalog's
//   bucket-epochs          omap <name> = the last epoch the name had
//                          (decimal): a recreated bucket gets the next one,
//                          so its index objects are new ones
//   buckets.<shard>        omap <name> = "<owner id> <epoch>": the bucket
//                          list (the epoch, so that a delete removes only
//                          its own bucket's entry, not a recreated one's)
//   upload.<id>            data: the encoded Upload (a copy, for listings'
//                          batched reads); omap info = the encoded Upload, p.<number, 5
//                          digits> = the encoded PartRecord,
//                          epoch = the bucket's epoch at creation (decimal),
//                          closing = the seal of an abort or complete under
//                          way (upload_support.hpp): absent while open
//
// Index pool (omap needs a replicated pool):
//   index.<bucket>.<epoch>.<shard>   the bucket's object index, one shard:
//     o<key>   the encoded ObjectRecord (inline_data empty)
//     b<key>   the body of a small object (inline): written and removed with
//              o<key> in one guarded write, read with it in one read
//     h<key>   the key's VersionHead (records.hpp) once it has had a
//              versioned write and while it has any version
//     v<head>\0<instance>   a version's ObjectRecord: a noncurrent object or
//              a delete marker (<head>: the key, NULs escaped as for uploads)
//     w<head>\0<instance>   a noncurrent version's inline body
//              (docs/versioning.md, "RADOS backend"): all of a key's entries
//              live in its shard, so one guarded write changes them together
//     closed   a delete_bucket's token (16 hex) while it checks the bucket is
//              empty and removes it: every
//              write of an o entry is guarded on its absence. The shard
//              objects are created with the bucket (before its record) and
//              never by a write of an entry, so a write into a deleted
//              bucket's index fails (ENOENT) instead of recreating it
//   uploads.<bucket>.<epoch>         omap <key>\0<upload id> = "1" (NULs in
//                                    the key escaped: upload_index_key): the
//                                    bucket's uploads in progress, in the
//                                    order ListMultipartUploads gives them;
//                                    created with the index shards (before
//                                    the bucket record), removed after it
#pragma once

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>

#include "rados/records_layout.hpp"

namespace ostor::detail::rados {

// FNV-1a (32 bit): stable across builds and machines, unlike std::hash.
inline std::uint32_t fnv1a32(std::string_view s) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : s) {
        h ^= c;
        h *= 16777619u;
    }
    return h;
}

// ---- bucket.<name>
inline constexpr std::string_view kBucketInfoKey = "info";
inline constexpr std::string_view kBucketShardsKey = "shards";
inline constexpr std::string_view kBucketEpochsOid = "bucket-epochs";
inline constexpr std::uint32_t kBucketListShards = 16;
inline std::string bucket_list_shard_oid(std::uint32_t shard) { return "buckets." + std::to_string(shard); }
inline std::string bucket_list_oid(std::string_view bucket) {
    return bucket_list_shard_oid(fnv1a32(bucket) % kBucketListShards);
}

// Index shards of a new bucket. S3 gives no expected size at creation: the
// count is chosen for buckets of some million objects (RGW's default is 11);
// a listing page reads every shard.
inline constexpr std::uint32_t kDefaultIndexShards = 8;
inline std::string index_oid(std::string_view bucket, std::uint64_t epoch, std::uint32_t shard) {
    return "index." + std::string(bucket) + "." + std::to_string(epoch) + "." + std::to_string(shard);
}
inline std::uint32_t index_shard_of(std::string_view key, std::uint32_t shards) { return fnv1a32(key) % shards; }
// `closed` = "<ms> <token> <instance>": set by a delete_bucket at <ms> (its
// own random token) in engine instance <instance> (leases.hpp; absent
// without a lease, and in marks of older versions). A delete takes at most
// kBucketDeleteMaxMs from closing to sending the record's removal (past it,
// it reopens and gives up). A mark left by a delete that crashed is stale
// once its instance is gone (its lease object removed: it can send
// nothing more), on a shard whose bucket record is still of its epoch: a
// committer removes it (guarded on its value) rather than failing for good.
// Only a mark without an instance goes by its age (older than
// kStaleShardClosedMs), since that compares two gateways' clocks. A mark
// it cannot read the time of is never taken for stale.
inline constexpr std::string_view kShardClosedKey = "closed";
// How long a write that meets a live mark waits for the delete's outcome
// (the record gone, or the mark taken back) before a retryable answer: a
// delete of an empty bucket takes some milliseconds.
inline constexpr std::chrono::milliseconds kClosedShardWait{1500};
inline constexpr std::int64_t kBucketDeleteMaxMs = 5 * 60 * 1000;
inline constexpr std::int64_t kStaleShardClosedMs = 2 * kBucketDeleteMaxMs;
inline std::string shard_closed_value(std::int64_t now_ms, std::string_view token, std::string_view instance) {
    std::string v = std::to_string(now_ms) + " " + std::string(token);
    if (!instance.empty()) v += " " + std::string(instance);
    return v;
}
// The instance a `closed` value names ("" for none).
inline std::string_view shard_closed_instance(std::string_view value) {
    auto first = value.find(' ');
    if (first == std::string_view::npos) return {};
    auto second = value.find(' ', first + 1);
    if (second == std::string_view::npos) return {};
    return value.substr(second + 1);
}
// Whether a `closed` value is older than kStaleShardClosedMs at `now_ms`
// (false when unreadable): for values that name no instance.
inline bool shard_closed_stale(std::string_view value, std::int64_t now_ms) {
    auto sp = value.find(' ');
    if (sp == 0 || sp == std::string_view::npos) return false;
    std::int64_t at = 0;
    for (char c : value.substr(0, sp)) {
        if (c < '0' || c > '9' || at > (INT64_MAX - 9) / 10) return false;
        at = at * 10 + (c - '0');
    }
    return now_ms - at > kStaleShardClosedMs;
}
inline constexpr char kRecordPrefix = 'o';
inline constexpr char kBodyPrefix = 'b';
inline std::string record_key(std::string_view key) { return kRecordPrefix + std::string(key); }
inline std::string body_key(std::string_view key) { return kBodyPrefix + std::string(key); }
inline std::string bucket_list_value(std::string_view owner_id, std::uint64_t epoch) {
    return std::string(owner_id) + " " + std::to_string(epoch);
}

// ---- user.<id> entries the object catalog keeps (records_layout.hpp has
// the rest): buckets, buckets.<account> (the counts) and, changed in the
// same writes as the counts, one claim per bucket of the user:
//   bkt.<name>.<epoch>   "<ms> <account>": the time the create counted it
// so that the counts are always the number of claims, and a claim whose
// bucket record is not there (a crash between a create's count and its
// record, or a delete's record and its count) can be found and dropped
// (recount_user_buckets, user_buckets.hpp).
inline constexpr std::string_view kBucketClaimPrefix = "bkt.";
inline std::string bucket_claim_key(std::string_view bucket, std::uint64_t epoch) {
    return std::string(kBucketClaimPrefix) + std::string(bucket) + "." + std::to_string(epoch);
}

// ---- uploads
inline std::string upload_oid(std::string_view upload_id) { return "upload." + std::string(upload_id); }
inline constexpr std::string_view kUploadInfoKey = "info";
inline std::string part_key(std::uint32_t number) {
    std::string n = std::to_string(number);
    return "p." + std::string(5 - std::min<std::size_t>(5, n.size()), '0') + n;
}
inline constexpr std::string_view kUploadEpochKey = "epoch";
inline constexpr std::string_view kUploadClosingKey = "closing";
inline constexpr std::string_view kPartKeyPrefix = "p.";
// Upload ids: 32 lowercase hex digits, the first 16 a time in nanoseconds
// (rising within a process), so that the uploads of one key list in the
// order they were begun (the index orders them by id).
inline constexpr std::size_t kUploadIdLength = 32;
inline std::string uploads_oid(std::string_view bucket, std::uint64_t epoch) {
    return "uploads." + std::string(bucket) + "." + std::to_string(epoch);
}
// An uploads index key: the object key with each NUL byte escaped as
// "\0\xff", then "\0", then the upload id (hex digits, all below 0xff).
// Index keys then sort as S3 lists uploads (by key, then by id) even for
// keys holding NUL: a key ends with "\0<hex>", before any key extending it
// ("\0\xff..." or a byte above NUL). Keys without NUL are "<key>\0<id>".
inline std::string upload_index_key_head(std::string_view key) {
    std::string k;
    k.reserve(key.size() + 1);
    for (char c : key) {
        k += c;
        if (c == '\0') k += '\xff';
    }
    return k;
}
inline std::string upload_index_key(std::string_view key, std::string_view upload_id) {
    std::string k = upload_index_key_head(key);
    k += '\0';
    k += upload_id;
    return k;
}
// Just after every index key of `key`'s uploads, before any greater key's.
inline std::string upload_index_after_key(std::string_view key) {
    return upload_index_key_head(key) + std::string("\0\xfe", 2);
}

// ---- a key's versions (docs/versioning.md, "RADOS backend (index shards)")
inline constexpr char kHeadPrefix = 'h';
inline constexpr char kVersionPrefix = 'v';
inline constexpr char kVersionBodyPrefix = 'w';
inline std::string head_key(std::string_view key) { return kHeadPrefix + std::string(key); }
// v<head>\0: what every version entry of `key` starts with. A listing of it
// runs on into longer keys' entries (<head>\0\xff...) after the key's own,
// whose tails are instances (24 hex digits, all below 0xff).
inline std::string versions_prefix(std::string_view key) { return kVersionPrefix + upload_index_key_head(key) + '\0'; }
inline std::string version_key(std::string_view key, std::string_view instance) {
    return versions_prefix(key) + std::string(instance);
}
inline std::string version_body_key(std::string_view key, std::string_view instance) {
    std::string k = version_key(key, instance);
    k[0] = kVersionBodyPrefix;
    return k;
}

}  // namespace ostor::detail::rados
