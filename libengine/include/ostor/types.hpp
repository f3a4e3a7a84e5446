// ostor engine: the records the engine stores and returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ostor {

// Milliseconds since the Unix epoch (UTC).
using TimestampMs = std::int64_t;

enum class UserState : std::uint8_t { Enabled = 0, Disabled = 1 };

struct User {
    std::string id;     // 16 lowercase hex digits
    std::string email;  // as given at creation; unique case-insensitively
    UserState state = UserState::Enabled;
    bool system = false;  // may call the admin API
    TimestampMs created_ms = 0;
};

// An access key pair of a user (account empty) or of one of its accounts.
struct KeyPair {
    std::string access_key_id;  // user id + 4 of [A-Z0-9]
    std::string secret;         // 40 of [A-Za-z0-9]
    std::string user_id;
    std::string account;  // empty: the user's own key
    TimestampMs created_ms = 0;
};

// A key pair with its owner's record: what authenticating a request needs.
struct KeyOwner {
    KeyPair key;
    User user;
};

struct Account {
    std::string user_id;
    std::string name;
    TimestampMs created_ms = 0;
};

// Storage a provider bills on: kept for every bucket, updated with every size
// change. Hours are whole hours since the Unix epoch.
struct SizeHistory {
    std::uint64_t current = 0;     // bytes stored now
    std::uint64_t hmax = 0;        // the largest `current` seen
    std::uint64_t h_integral = 0;  // byte-hours: += current * hours since last_ts
    std::uint64_t last_ts = 0;     // hour of the last update
};

// The largest configuration document a bucket keeps (Bucket::configs). The
// record holding them is read for every request on the bucket: S3's own
// documents stay far below (a CORS configuration is limited to 64 KB, a policy to 20 KB).
inline constexpr std::size_t kMaxBucketConfigBytes = 256 * 1024;

// S3 versioning of a bucket (docs/versioning.md): Off until first set, then
// Enabled or Suspended for good.
enum class VersioningState : std::uint8_t { Off = 0, Enabled = 1, Suspended = 2 };

// Object lock (WORM) of one object version.
enum class RetentionMode : std::uint8_t { None = 0, Governance = 1, Compliance = 2 };
// "GOVERNANCE", "COMPLIANCE": S3's spelling (x-amz-object-lock-mode, the
// lock bodies, the admin views), of a mode that is not None.
std::string_view retention_mode_name(RetentionMode mode);
// The mode of that name; nullopt for any other text, None's included.
std::optional<RetentionMode> parse_retention_mode(std::string_view name);

struct Retention {
    RetentionMode mode = RetentionMode::None;
    TimestampMs until_ms = 0;
    bool operator==(const Retention&) const = default;
};

struct ObjectLock {
    Retention retention;
    bool legal_hold = false;
    // A legal hold status of OFF was given (a hold released, or OFF asked at
    // the write): S3 then answers Status OFF, where a version never given
    // one has no legal hold configuration at all. Never with legal_hold.
    bool legal_hold_off = false;
    bool operator==(const ObjectLock&) const = default;
};

// A bucket's object lock: enabled only at creation, never turned off.
struct ObjectLockConfig {
    bool enabled = false;
    RetentionMode default_mode = RetentionMode::None;
    std::uint32_t default_days = 0, default_years = 0;  // exactly one when a mode is set
    bool operator==(const ObjectLockConfig&) const = default;
};

struct Bucket {
    std::string name;
    std::string owner_id;
    std::string account;  // empty: the user's own bucket
    TimestampMs created_ms = 0;
    std::uint64_t epoch = 0;  // incarnation: grows each time the name is recreated
    std::string acl;          // opaque to the engine; the gateway's encoding
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;  // object bytes plus parts of uploads in progress
    SizeHistory size;
    // S3 sub-resource name ("cors", "tagging", "policy", "lifecycle", ...)
    // -> the document as the gateway stored it, opaque to the engine.
    std::map<std::string, std::string> configs;
    VersioningState versioning = VersioningState::Off;
    ObjectLockConfig object_lock;
    // The lock summary: the latest retain-until date of the bucket's
    // versions (kept as a maximum) and how many versions hold a legal hold
    // now. They explain a refusal; the index decides it.
    TimestampMs locked_until_ms = 0;
    std::uint64_t legal_holds = 0;
};

// Object tags (S3 tagging): key, value pairs as given, in order; checked by
// validate_object_tags (names.hpp).
using ObjectTags = std::vector<std::pair<std::string, std::string>>;

// Descriptive metadata stored with an object, returned as given.
struct ObjectMeta {
    std::string content_type;
    // x-amz-meta-* pairs, names without the prefix, as given.
    std::vector<std::pair<std::string, std::string>> user;
    // Other stored headers (Content-Encoding, Cache-Control, ...), as given.
    std::vector<std::pair<std::string, std::string>> headers;
    // Checksums by algorithm name ("CRC32", "CRC32C", "CRC64NVME", "SHA1",
    // "SHA256"), values as the S3 API encodes them (base64).
    std::vector<std::pair<std::string, std::string>> checksums;
    std::string acl;  // opaque to the engine
    ObjectTags tags;
};

struct ObjectInfo {
    std::string bucket;
    std::string key;
    std::uint64_t size = 0;
    std::string etag;  // MD5 hex, or "<md5 of part md5s>-N" for multipart
    TimestampMs last_modified_ms = 0;
    ObjectMeta meta;
    // Sizes of the parts of a multipart object, in order; empty otherwise.
    std::vector<std::uint64_t> part_sizes;
    // The multipart upload this object was completed from; empty otherwise
    // (and for a copy). Lets a retried completion find the object it made.
    std::string upload_id;
    // The version: "null" or 24 hex digits (docs/versioning.md, "Version
    // ids"); empty for an object written while its bucket was unversioned
    // that never moved into its key's versions (the null version, whose
    // responses carry no version id).
    std::string version_id;
    bool delete_marker = false;
    bool is_latest = false;  // set by reads and listings, not stored
    ObjectLock lock;
};

// An inclusive byte range [first, last], as HTTP Range expresses it.
struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
};

struct ListObjectsParams {
    std::string prefix;
    std::string delimiter;  // empty: no grouping
    std::string marker;     // list keys strictly after this one
    std::uint32_t max_keys = 1000;
};

struct ListObjectsResult {
    std::vector<ObjectInfo> objects;           // in key order
    std::vector<std::string> common_prefixes;  // in order, each once
    bool truncated = false;
    // When truncated: the last key or common prefix returned; pass it as the
    // next marker.
    std::string next_marker;
};

// ListObjectVersions (docs/versioning.md, "Reads and listings").
struct ListVersionsParams {
    std::string prefix;
    std::string delimiter;  // empty: no grouping
    // Lists the versions after every version of this key, or, with
    // version_id_marker ("null" or an instance), after that version of it.
    std::string key_marker;
    std::string version_id_marker;
    std::uint32_t max_keys = 1000;  // counts versions, markers and common prefixes
};

struct ListVersionsResult {
    // Keys in byte order, each key's versions newest first: objects and
    // delete markers, version_id "null" or the instance, is_latest set.
    std::vector<ObjectInfo> versions;
    std::vector<std::string> common_prefixes;  // in order, each once
    bool truncated = false;
    // When truncated: the last key and version id returned (a common
    // prefix's version id marker is empty); pass them as the next markers.
    std::string next_key_marker;
    std::string next_version_id_marker;
};

struct Upload {
    std::string id;
    std::string bucket;
    std::string key;
    std::string owner_id;
    std::string account;
    TimestampMs initiated_ms = 0;
    ObjectMeta meta;  // applied to the object on completion
    // CreateMultipartUpload's object lock settings, kept to completion.
    std::optional<ObjectLock> lock;
};

struct PartInfo {
    std::uint32_t number = 0;
    std::uint64_t size = 0;
    std::string etag;  // MD5 hex of the part
    TimestampMs last_modified_ms = 0;
    std::vector<std::pair<std::string, std::string>> checksums;
};

struct CompletedPart {
    std::uint32_t number = 0;
    std::string etag;  // quotes around it are ignored
};

struct ListPartsResult {
    std::vector<PartInfo> parts;
    bool truncated = false;
    std::uint32_t next_marker = 0;
};

struct ListUploadsParams {
    std::string prefix;
    std::string delimiter;
    std::string key_marker;
    std::string upload_id_marker;
    std::uint32_t max_uploads = 1000;
};

struct ListUploadsResult {
    std::vector<Upload> uploads;  // by key, then by initiation
    std::vector<std::string> common_prefixes;
    bool truncated = false;
    std::string next_key_marker;
    std::string next_upload_id_marker;
};

// The classes S3 requests are rate-limited and counted by: object reads
// (get), writes (put), listings (list), deletes (delete), and the rest
// (default). The gateway's route table files each operation under one.
enum class OpClass : std::uint8_t { Default, Get, Put, List, Delete };
inline constexpr OpClass kOpClasses[] = {OpClass::Default, OpClass::Get, OpClass::Put, OpClass::List, OpClass::Delete};
// "default", "get", "put", "list", "delete": as the vendor guide's limits
// name them.
std::string_view op_class_name(OpClass c);
// The class of that name; nullopt for any other text.
std::optional<OpClass> parse_op_class(std::string_view name);

// Rate limits: ops/s per class (0 = unlimited; a class at 0 falls back to
// `ops_default`), outgoing bandwidth in KB/s (0 = unlimited).
struct Limits {
    double ops_default = 0;
    double ops_get = 0;
    double ops_put = 0;
    double ops_list = 0;
    double ops_delete = 0;
    std::uint64_t bandwidth_out_kbps = 0;

    // The ops/s limit of class `c` as set (0 for unset: see ops_rate).
    double ops(OpClass c) const { return const_cast<Limits&>(*this).ops(c); }
    double& ops(OpClass c) {
        switch (c) {
            case OpClass::Get:
                return ops_get;
            case OpClass::Put:
                return ops_put;
            case OpClass::List:
                return ops_list;
            case OpClass::Delete:
                return ops_delete;
            case OpClass::Default:
                break;
        }
        return ops_default;
    }
    // The rate that applies to class `c`: its own, else the default one;
    // 0 = unlimited.
    double ops_rate(OpClass c) const { return ops(c) > 0 ? ops(c) : ops_default; }
};

// One limit to set (Engine::set_limit): a class's ops/s, or the outgoing
// bandwidth in KB/s (a whole number).
struct LimitSetting {
    enum class Kind : std::uint8_t { Ops, BandwidthOut } kind = Kind::Ops;
    OpClass op = OpClass::Default;  // Ops only
    double value = 0;
    static LimitSetting ops(OpClass c, double ops_per_second) { return {Kind::Ops, c, ops_per_second}; }
    static LimitSetting bandwidth_out(double kb_per_second) {
        return {Kind::BandwidthOut, OpClass::Default, kb_per_second};
    }
    // Sets it in `l`.
    void apply_to(Limits& l) const {
        if (kind == Kind::BandwidthOut)
            l.bandwidth_out_kbps = static_cast<std::uint64_t>(value);
        else
            l.ops(op) = value;
    }
};

// The limits a request is admitted under: its user's and its bucket's.
struct RequestLimits {
    Limits user;
    Limits bucket;
};

struct LimitTarget {
    enum class Kind : std::uint8_t { User, Bucket } kind;
    std::string id;  // user id or bucket name
    static LimitTarget user(std::string id) { return {Kind::User, std::move(id)}; }
    static LimitTarget bucket(std::string name) { return {Kind::Bucket, std::move(name)}; }
};

struct QuotaTarget {
    enum class Kind : std::uint8_t { User, Bucket, DefaultUser, DefaultBucket } kind;
    std::string id;  // user id or bucket name; empty for the defaults
    static QuotaTarget user(std::string id) { return {Kind::User, std::move(id)}; }
    static QuotaTarget bucket(std::string name) { return {Kind::Bucket, std::move(name)}; }
    static QuotaTarget default_user() { return {Kind::DefaultUser, {}}; }
    static QuotaTarget default_bucket() { return {Kind::DefaultBucket, {}}; }
};

// Bytes and objects a user stores across all its buckets.
struct UserUsage {
    std::uint64_t bytes = 0;
    std::uint64_t objects = 0;
    std::uint64_t reserved = 0;  // held by writes in progress
};

struct UsageObjectList {
    std::vector<std::string> names;  // in name order
    bool truncated = false;
};

struct ScrubReport {
    // Checksummed units read: extents, and the bodies of small objects that
    // are kept inline in their metadata.
    std::uint64_t extents_checked = 0;
    std::uint64_t bytes_checked = 0;  // bytes that matched their checksum
    // "<bucket>/<key>" of every object (or "upload <id> part <n>") whose data
    // did not match its checksum or could not be read, in order.
    std::vector<std::string> damaged;
};

}  // namespace ostor
