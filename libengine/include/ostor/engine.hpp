// ostor engine: the public contract.
//
// An Engine is one open volume: a data directory (the local backend, the
// default),
//   <dir>/volume.id   the volume id (16 hex digits)
//   <dir>/meta/       LMDB environment with all metadata
//   <dir>/blobs/      append-only segment files holding object data
// or, given a spec "rados:<pool prefix>[?conf=..&id=..&keyring=..&ns=..]", a
// volume in a Ceph cluster's pools <prefix>.meta, .index and .data (built
// with librados only; docs/rados.md, "Opening a RADOS volume"). What is said
// below of a directory holds for both unless noted; several processes and
// several Engines of one process may open one RADOS volume at once.
//
// Processes: several processes (gateway, FUSE daemon, CLI, embedders) may open
// the same directory at once. Every call sees everything committed before it
// started, by any process; no restart or RPC is needed.
//
// Threads: an Engine is safe to use from any number of threads at once. An
// ObjectWriter or ObjectReader must be used by one thread at a time (it may
// move between threads between calls), and must be destroyed before the
// Engine that made it. A process opens a directory through one Engine at a
// time (a second open() of it fails with InvalidArgument).
//
// Reads are snapshots: an ObjectReader keeps returning the version it opened
// even when the object is overwritten or deleted meanwhile (its space is
// freed when the reader is destroyed).
//
// Durability: a call that changes state returns only after the change is on
// stable storage (object data first, then metadata). Concurrent changes are
// committed together (one LMDB transaction and one sync for many callers).
// After a crash, reopening frees data that was written but never committed;
// nothing that was acknowledged is lost.
//
// Errors: every call returns a Result; the codes each may return are listed
// beside it. Any call may also fail with Errc::IoError, Errc::NoSpace or
// Errc::Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ostor/error.hpp"
#include "ostor/types.hpp"

namespace ostor {

namespace detail {
struct EngineImpl;
}

struct EngineOptions {
    // Create the directory layout when it does not exist yet.
    bool create_if_missing = true;
    // Volume id for a new directory; random when empty. When opening an
    // existing directory and this is set, it must match (else VolumeMismatch).
    std::string volume_id;
    // Largest size the metadata may grow to (LMDB map size); 0: the size of
    // the file system holding the volume, at least 64 GiB and at most 4 TiB.
    std::uint64_t meta_map_size_bytes = 0;
    // Verify the CRC32C of every extent a read covers whole.
    bool verify_reads = true;
    // Threads that run the asynchronous calls.
    unsigned async_threads = 4;
    // The memory that bodies being written are buffered in, all writers
    // together: each writer takes a buffer (up to 1 MiB) when it is made, and
    // up to three more while there is room. 0: an eighth of the machine's
    // memory, at least 64 MiB and at most 4 GiB.
    std::uint64_t body_memory_bytes = 0;
    // How long begin_put and begin_upload_part wait for a buffer when that
    // memory is all in use, before failing with SlowDown. A write the quotas refuse
    // is refused first; a writer waiting holds no quota (reserved once it has its buffer).
    std::uint32_t body_memory_wait_ms = 10000;

    // ---- RADOS volumes only (ignored for a data directory)
    // What this instance says it is in the volume's leases index (host:port
    // of a gateway), listed by `ostor-ctl get-config`; may be empty.
    std::string instance_address;
    // How long this instance's lease lasts without renewal; 0: the backend's
    // (60 s). At least 48 s (opening fails with InvalidArgument otherwise):
    // a commit stops 12 s (the OSD write timeout plus clock skew) before the
    // lease could expire, which must stay a quarter of it at most.
    std::uint32_t rados_lease_duration_ms = 0;
    // Tests only: allows leases shorter than 48 s, whose commits then stop a
    // quarter of the lease before it could expire (a shorter margin than a
    // commit may need to land: never for a volume that holds data).
    bool rados_short_lease_for_tests = false;
    // Tests only: the quiet window of the ledger's recount (a bucket's
    // ledger, index and uploads left alone this long are recounted); 0: the
    // backend's (10 minutes, the longest a writer may take to its ledger
    // change: shorter may recount a write before its change lands, twice).
    std::uint32_t rados_recount_quiet_ms_for_tests = 0;
    // How often the blob collector (and the sweep of dead instances) runs;
    // 0: the backend's (5 minutes).
    std::uint32_t rados_collect_interval_ms = 0;
};

// A conditional write (S3's If-None-Match: * and If-Match on PutObject,
// CompleteMultipartUpload and CopyObject), checked in the commit itself, so
// that of concurrent writers only one can pass: with if_none_match the key
// must hold no object, with if_match_etag an object of that ETag (as
// ObjectInfo::etag). Fails at commit: PreconditionFailed; NoSuchKey when
// if_match_etag finds no object.
struct WriteConditions {
    bool if_none_match = false;
    std::optional<std::string> if_match_etag;
};

struct PutOptions {
    ObjectMeta meta;
    // The body's length when known in advance. Space is then reserved against
    // the quotas before any data is written (QuotaExceeded up front), and the
    // body must be exactly this long.
    std::optional<std::uint64_t> size_hint;
    // MD5 the body must have (raw 16 bytes, as Content-MD5 carries it);
    // BadDigest at commit otherwise.
    std::optional<std::string> expected_md5;
    // Conditions on the object the write replaces (objects only, not parts).
    WriteConditions conditions;
    // The new version's object lock (x-amz-object-lock-*); a request naming
    // no retention gets the bucket's default one. Only in a bucket with
    // object lock (InvalidArgument otherwise); not for parts.
    std::optional<ObjectLock> lock;
};

// Streams one object (or one part of a multipart upload) into the store.
// Nothing is visible until commit() returns successfully; dropping the writer
// without committing discards the data.
class ObjectWriter {
public:
    virtual ~ObjectWriter() = default;
    // Appends to the body. Fails: EntityTooLarge (past 5 TiB or past the
    // size hint), IoError, NoSpace.
    virtual Result<void> write(std::span<const std::byte> data) = 0;
    // write() without a copy: space() is the writer's own buffer for the
    // next bytes (at least one byte), valid until the next call; the caller
    // fills its first n bytes and calls append(n), which takes them as
    // write() would (and fails alike).
    virtual std::span<std::byte> space() = 0;
    virtual Result<void> append(std::size_t n) = 0;
    // Makes the object durable and visible, replacing an object of the same
    // key. Fails: BadDigest, InvalidArgument (size differs from the hint),
    // QuotaExceeded, NoSuchBucket / NoSuchUpload (removed meanwhile).
    virtual Result<ObjectInfo> commit() = 0;
    // commit() on the engine's async threads; `done` runs there.
    virtual void commit_async(std::function<void(Result<ObjectInfo>)> done) = 0;
    // Bytes accepted so far.
    virtual std::uint64_t size() const = 0;
    // Replaces the checksums stored with the object (ObjectMeta::checksums);
    // for checksums that arrive after the body (HTTP trailers). Call before
    // commit().
    virtual void set_checksums(std::vector<std::pair<std::string, std::string>> checksums) = 0;
};

// Reads one object, or a byte range of it.
class ObjectReader {
public:
    virtual ~ObjectReader() = default;
    // What is being read (the whole object's info, even for a range).
    virtual const ObjectInfo& info() const = 0;
    // Bytes of the body or range still to read.
    virtual std::uint64_t remaining() const = 0;
    // Fills `out` with up to out.size() bytes; 0 at the end. Fails:
    // DataCorrupted (checksum mismatch, with verify_reads), IoError.
    virtual Result<std::size_t> read(std::span<std::byte> out) = 0;
    // read() on the engine's async threads; `done` runs there.
    virtual void read_async(std::span<std::byte> out, std::function<void(Result<std::size_t>)> done) = 0;
    // The next bytes (at most max_bytes; empty at the end) without a copy:
    // a view into the reader's own buffer, valid until the next call on the
    // reader. Fails as read() does.
    virtual Result<std::span<const std::byte>> read_view(std::size_t max_bytes) = 0;
};

struct UserCreated {
    User user;
    std::optional<KeyPair> key;
};

struct AccountCreated {
    Account account;
    std::optional<KeyPair> key;
};

struct BucketFilter {
    std::optional<std::string> owner_id;  // only this user's buckets
    std::optional<std::string> account;   // with owner_id: only this account's ("" = the user's own)
    // A page of the listing (none of them: every bucket): names beginning
    // with `prefix`, after `start_after` in byte order, at most `max_count`
    // of them. A caller learns whether more follow by asking one more than
    // its page. The engine reads only the page (with an account, the
    // owner's other accounts' buckets between its names too). Initialized
    // so that callers naming only the members above stay warning-free.
    std::optional<std::string> prefix{};
    std::optional<std::string> start_after{};
    std::optional<std::uint32_t> max_count{};
};

// What one user's requests did, made with its own keys (account "") or one
// account's: the usage statistics' counters, kept as running totals for
// billing (they never shrink, and deleting statistics objects leaves them).
struct BillingCounters {
    std::uint64_t put = 0, get = 0, list = 0, other = 0;  // requests by op class
    std::uint64_t uploaded = 0, downloaded = 0;           // body bytes
    BillingCounters& operator+=(const BillingCounters& o) {
        put += o.put, get += o.get, list += o.list, other += o.other;
        uploaded += o.uploaded, downloaded += o.downloaded;
        return *this;
    }
    bool operator==(const BillingCounters&) const = default;
};

struct BillingDelta {
    std::string user_id;  // empty for anonymous requests
    std::string account;  // "" = the user's own keys
    BillingCounters counters;
};

// What a bucket starts with besides its owner (create_bucket).
struct BucketCreateOptions {
    std::string acl;  // the stored ACL; "" is the owner's FULL_CONTROL alone
    // Configuration documents (kind -> document, as set_bucket_config takes
    // them) the bucket has from its first moment: written with its record,
    // so that no one ever sees the bucket without them.
    std::map<std::string, std::string> configs;
    // Object lock (x-amz-bucket-object-lock-enabled): the bucket is versioned
    // (Enabled) for good from its first moment; lock is never turned on later.
    bool object_lock = false;
};

struct CopyOptions {
    // Replace the metadata (x-amz-metadata-directive: REPLACE); keep the
    // source's when empty.
    std::optional<ObjectMeta> replace_meta;
    // Replace only the tags (x-amz-tagging-directive: REPLACE with the
    // metadata kept): the source's metadata as the copy reads it, with
    // these. Ignored with replace_meta, which carries its own tags.
    std::optional<ObjectTags> replace_tags;
    // The copy's ACL (ObjectMeta::acl), in the same commit as the copy;
    // the source's (or replace_meta's) when empty.
    std::optional<std::string> replace_acl;
    // Copy only this range of the source (UploadPartCopy).
    std::optional<ByteRange> range;
    // The source's version ("null" or 24 hex digits; empty: its current),
    // read as open_object reads it (MethodNotAllowed for a delete marker).
    std::string src_version_id;
    // Conditions on the destination object the copy replaces.
    WriteConditions conditions;
    // The copy's object lock, as PutOptions::lock (never the source's).
    std::optional<ObjectLock> lock;
};

// DELETE of an object (docs/versioning.md, "Writes").
struct DeleteOptions {
    // Empty: the current (in a versioned bucket, a delete marker is added);
    // else the version of this id ("null" or 24 hex digits) is removed.
    std::string version_id;
    // Removes a version under a GOVERNANCE retention (the bucket owner's
    // x-amz-bypass-governance-retention).
    bool bypass_governance = false;
    // Only while the key's current is still this write (same ETag, last-
    // modified and version id), checked in the commit; never with version_id.
    // What the lifecycle worker evaluated is what goes, never a write made
    // since (else PreconditionFailed, nothing changed).
    std::optional<ObjectInfo> if_current;
    // With version_id only: that version goes only while the key's current
    // is still this write (a delete marker too; same version id, "null"
    // included, ETag and last-modified) and is not the version removed,
    // checked in the commit. The lifecycle worker's removal of a noncurrent
    // version: a rollback (the current deleted by id, the next promoted)
    // since it looked is never met with the ranks it evaluated (else
    // PreconditionFailed, nothing changed). Checked first: under another
    // current, a version gone or locked answers PreconditionFailed too. In
    // an unversioned bucket always PreconditionFailed (its only version is
    // its current).
    std::optional<ObjectInfo> if_noncurrent_under;

    // The current only while it is still `write` (the lifecycle worker's).
    static DeleteOptions current_if_still(ObjectInfo write) {
        DeleteOptions o;
        o.if_current = std::move(write);
        return o;
    }
    // The version `version_id` only while `current` is still the key's
    // current (the lifecycle worker's noncurrent removal).
    static DeleteOptions noncurrent_if_still(std::string version_id, ObjectInfo current) {
        DeleteOptions o;
        o.version_id = std::move(version_id);
        o.if_noncurrent_under = std::move(current);
        return o;
    }
};

struct DeleteResult {
    // The version removed or the marker added ("null" or an instance); empty
    // for an unversioned bucket's delete of its current.
    std::string version_id;
    bool delete_marker = false;  // a marker was added, or the version removed was one
};

// The hold of a role (Engine::take_role); dropping it releases the role. It
// must be destroyed before the Engine that made it.
class RoleLease {
public:
    virtual ~RoleLease() = default;
    // True once the hold may have ended (RADOS: it could not be renewed in
    // time): stop the role's work, for good. Renews the hold when due, so
    // call it before each step and at least every kRoleLeaseMs / 4.
    virtual bool lost() = 0;
};

// How long a RADOS role's hold lasts without renewal: another process takes
// the role over that long after its holder died.
inline constexpr std::uint32_t kRoleLeaseMs = 30'000;
// A role's state record is small (a cursor), read and written whole.
inline constexpr std::size_t kMaxRoleStateBytes = 64 * 1024;

class Engine {
public:
    // Opens (or creates) a data directory and recovers from any crash of a
    // process that used it. A missing or empty directory is made a volume; an
    // existing one without volume.id is only when it holds nothing but what a
    // volume may hold before its first open (gw.conf, local/, gw-stats/,
    // lost+found/, or what an interrupted first open left). Fails:
    // InvalidArgument (dir is not a directory: "not a directory"; dir holds
    // other files; dir holds a volume's metadata but no volume.id; not a data
    // directory and create_if_missing is false; or already open in this
    // process), VolumeMismatch, IoError. A refused open
    // changes nothing on disk.
    // A rados: spec opens (or, with create_if_missing, creates) the volume
    // in the cluster as a new instance with a lease of its own, and cleans
    // up after dead instances. Fails: InvalidArgument (a malformed spec; the
    // conf, key or pools refused; no volume there and create_if_missing is
    // false; a build without librados), VolumeMismatch, IoError (the cluster
    // did not answer).
    static Result<std::unique_ptr<Engine>> open(const std::filesystem::path& dir, EngineOptions options = {});
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    const std::string& volume_id() const;
    // The data directory; empty for a RADOS volume (which has none: a
    // gateway keeps its own state elsewhere).
    const std::filesystem::path& directory() const;
    // How many open Engines serve clients on this volume now (those opened
    // with EngineOptions::instance_address: gateways), at least 1. A gateway
    // enforces its share of each rate limit: the limit divided by this. A
    // local volume: 1 (a directory is served by one gateway). Fails: IoError.
    Result<std::uint32_t> serving_instances();
    // True once this instance has lost its lease on a RADOS volume (it could
    // not be renewed in time, or another instance adopted it): it refuses
    // every change (IoError) for good, and the program should close it and
    // open the volume again as a new instance (ostor-gateway restarts
    // itself). A local volume: always false.
    bool lease_lost() const;
    // The memory for bodies being written (EngineOptions::body_memory_bytes):
    // in use now, and the budget.
    struct BodyMemoryUse {
        std::uint64_t in_use_bytes = 0;
        std::uint64_t budget_bytes = 0;
    };
    BodyMemoryUse body_memory() const;

    // ---- Users ---------------------------------------------------------
    // Creates a user with a random id and, when `with_key`, a first key pair.
    // Fails: InvalidEmail, UserAlreadyExists (email taken, any case).
    Result<UserCreated> create_user(std::string_view email, bool system = false, bool with_key = true);
    // Fails: NoSuchUser.
    Result<User> get_user(std::string_view user_id);
    // Case-insensitive. Fails: NoSuchUser.
    Result<User> get_user_by_email(std::string_view email);
    // All users, by id.
    Result<std::vector<User>> list_users();
    // Fails: NoSuchUser.
    Result<User> set_user_state(std::string_view user_id, UserState state);
    // Deletes the user with its keys, accounts, limits and quota.
    // Fails: NoSuchUser, UserHasBuckets.
    Result<void> delete_user(std::string_view user_id);

    // ---- Key pairs -----------------------------------------------------
    // A new pair for the user (account empty) or one of its accounts.
    // Fails: NoSuchUser, NoSuchAccount, TooManyAccessKeys (2 already).
    Result<KeyPair> generate_key(std::string_view user_id, std::string_view account = {});
    // Fails: NoSuchUser, NoSuchAccount, NoSuchAccessKey (not a key of that
    // user / account).
    Result<void> revoke_key(std::string_view user_id, std::string_view access_key_id,
                            std::optional<std::string_view> account = std::nullopt);
    // The pair with its owner, for authentication. Fails: NoSuchAccessKey.
    Result<KeyPair> lookup_key(std::string_view access_key_id);
    // The pair and the user owning it, in one read where the backend can
    // (a request's authentication). Fails: NoSuchAccessKey, NoSuchUser.
    Result<KeyOwner> lookup_key_owner(std::string_view access_key_id);
    // Keys of the user (account empty) or of one account, oldest first.
    // Fails: NoSuchUser, NoSuchAccount.
    Result<std::vector<KeyPair>> list_keys(std::string_view user_id, std::string_view account = {});

    // ---- Accounts ------------------------------------------------------
    // Fails: NoSuchUser, InvalidAccountName, AccountAlreadyExists.
    Result<AccountCreated> create_account(std::string_view user_id, std::string_view name, bool with_key = true);
    // Fails: NoSuchUser, NoSuchAccount.
    Result<Account> get_account(std::string_view user_id, std::string_view name);
    // By name. Fails: NoSuchUser.
    Result<std::vector<Account>> list_accounts(std::string_view user_id);
    // Deletes the account and its keys. Fails: NoSuchUser, NoSuchAccount,
    // AccountHasBuckets.
    Result<void> delete_account(std::string_view user_id, std::string_view name);

    // ---- Buckets -------------------------------------------------------
    // Fails: InvalidBucketName, NoSuchUser, NoSuchAccount,
    // BucketAlreadyOwnedByYou, BucketAlreadyExists (another owner).
    Result<Bucket> create_bucket(std::string_view name, std::string_view owner_id, std::string_view account = {},
                                 std::string_view acl = {});
    // With its ACL and configurations set in the same write as the bucket
    // itself. Fails as above, and InvalidArgument for a configuration
    // set_bucket_config refuses.
    Result<Bucket> create_bucket(std::string_view name, std::string_view owner_id, std::string_view account,
                                 const BucketCreateOptions& options);
    // Fails: NoSuchBucket.
    Result<Bucket> get_bucket(std::string_view name);
    // The bucket's record (owner, account, ACL, epoch, creation) without its
    // counts: objects, bytes and size may be zero. What a request on the
    // bucket needs to authorize it; cheaper than get_bucket on a RADOS
    // volume (cached, and kept true across processes). Fails: NoSuchBucket.
    Result<Bucket> get_bucket_record(std::string_view name);
    // The record as get_bucket_record gives it, read past the cache (which
    // then holds it): before a refusal a cached record may have made wrong
    // (object lock "off"; once on, lock is never turned off). A local volume
    // has no cache: the plain record read. Fails: NoSuchBucket.
    Result<Bucket> get_bucket_record_afresh(std::string_view name);
    // By name, in byte order, on every backend (a page after the last name
    // of the one before: BucketFilter).
    Result<std::vector<Bucket>> list_buckets(const BucketFilter& filter = {});
    // Aborts its multipart uploads. Fails: NoSuchBucket, BucketNotEmpty
    // (naming the bucket's lock summary when it holds locked versions).
    Result<void> delete_bucket(std::string_view name);
    // Fails: NoSuchBucket.
    Result<Bucket> set_bucket_acl(std::string_view name, std::string_view acl);
    // Sets the bucket's configuration document of `kind` (an S3
    // sub-resource name: "cors", "tagging", ...), or removes it (nullopt;
    // removing one not set is no error). Handed out with the bucket's
    // record (get_bucket, get_bucket_record, list_buckets); a local volume
    // keeps them in their own table, out of the row object commits rewrite.
    // Seen by every process once this returns.
    // Returns the record as now. Fails: NoSuchBucket, InvalidArgument (an
    // empty kind, a document over kMaxBucketConfigBytes).
    Result<Bucket> set_bucket_config(std::string_view name, std::string_view kind, std::optional<std::string> document);
    // Turns versioning on (Enabled) or suspends it (Suspended); a bucket
    // once versioned is never unversioned again. Seen by every process once
    // this returns. Fails: NoSuchBucket, InvalidArgument (Off; a RADOS
    // volume, where versioning is not built yet), InvalidBucketState
    // (Suspended under object lock).
    Result<Bucket> set_bucket_versioning(std::string_view name, VersioningState state);
    // Replaces the default retention of an object lock bucket (mode None:
    // removes it); it applies to versions written after. A bucket made
    // without lock whose versioning is Enabled gets it here, for good (as S3
    // does since 2023: its versions written before stay unlocked).
    // `config.enabled` is ignored. Fails: NoSuchBucket, InvalidBucketState (a
    // bucket without object lock whose versioning is not Enabled),
    // InvalidArgument (a mode without exactly one of days and years,
    // positive; days or years without a mode).
    Result<Bucket> set_object_lock_config(std::string_view name, const ObjectLockConfig& config);

    // ---- Objects -------------------------------------------------------
    // A write that would replace an object whose stored record cannot be
    // read (put, copy, complete_upload) fails with Internal and leaves it:
    // only an absent object counts as none.
    // Starts streaming an object. Fails: NoSuchBucket, InvalidObjectName,
    // QuotaExceeded (with a size hint), EntityTooLarge, InvalidArgument
    // (options.meta.tags: validate_object_tags), SlowDown (no memory for its
    // buffer within EngineOptions::body_memory_wait_ms).
    Result<std::unique_ptr<ObjectWriter>> begin_put(std::string_view bucket, std::string_view key,
                                                    PutOptions options = {});
    // The same for a body already in memory.
    Result<ObjectInfo> put_object(std::string_view bucket, std::string_view key, std::span<const std::byte> body,
                                  PutOptions options = {});
    // Opens the object, or the inclusive `range` of it (clamped to the end as
    // HTTP does). Fails: NoSuchBucket, NoSuchKey, InvalidRange (first past
    // the end, or first > last).
    Result<std::unique_ptr<ObjectReader>> open_object(std::string_view bucket, std::string_view key,
                                                      std::optional<ByteRange> range = std::nullopt);
    // Fails: NoSuchBucket, NoSuchKey.
    Result<ObjectInfo> head_object(std::string_view bucket, std::string_view key);
    // The version `version_id` ("null" or 24 hex digits; empty: the
    // current). Fails as above, and: NoSuchVersion, MethodNotAllowed (the
    // version is a delete marker), InvalidArgument (a malformed id).
    Result<std::unique_ptr<ObjectReader>> open_object(std::string_view bucket, std::string_view key,
                                                      std::optional<ByteRange> range, std::string_view version_id);
    Result<ObjectInfo> head_object(std::string_view bucket, std::string_view key, std::string_view version_id);
    // The entry itself, a delete marker too (empty id: the current, or the
    // marker that is the key's newest): what the headers of a 404 or 405
    // need. Fails: NoSuchBucket, NoSuchKey, NoSuchVersion, InvalidArgument
    // (a malformed id).
    Result<ObjectInfo> stat_version(std::string_view bucket, std::string_view key, std::string_view version_id);
    // Removes the object and frees its space (also one whose small body is
    // missing from the metadata). Fails: NoSuchBucket, NoSuchKey.
    Result<void> delete_object(std::string_view bucket, std::string_view key);
    // The same with versions and conditions: in a versioned bucket, without
    // a version id a delete marker is added (also for a key holding
    // nothing); with one, that version is removed (the next newer becomes
    // current when the current goes). An id naming nothing (or malformed)
    // changes nothing. `if_current` and `if_noncurrent_under` are checked
    // in the commit itself (one LMDB transaction; a guarded index write on
    // RADOS), so that a write racing the delete is never the one deleted,
    // nor a rollback racing a noncurrent removal missed. Fails:
    // NoSuchBucket, NoSuchKey (unversioned), NoSuchVersion, ObjectLocked,
    // InvalidArgument (version_id with if_current; if_noncurrent_under
    // without version_id), PreconditionFailed (another write current; the
    // version named by id is the current).
    Result<DeleteResult> delete_object(std::string_view bucket, std::string_view key, const DeleteOptions& options);
    // Copies without moving data (the extents are shared). The source may be
    // the destination (metadata replacement). Fails: NoSuchBucket, NoSuchKey,
    // InvalidRange, QuotaExceeded, InvalidArgument (replace_meta's tags; a
    // malformed src_version_id), NoSuchVersion, MethodNotAllowed (the source
    // version is a delete marker), SlowDown (a copy that rewrites the data:
    // as begin_put).
    Result<ObjectInfo> copy_object(std::string_view src_bucket, std::string_view src_key, std::string_view dst_bucket,
                                   std::string_view dst_key, const CopyOptions& options = {});
    // Fails: NoSuchBucket, NoSuchKey.
    Result<ObjectInfo> set_object_acl(std::string_view bucket, std::string_view key, std::string_view acl);
    // Of the version `version_id` (empty: the current). Fails: NoSuchBucket,
    // NoSuchKey, NoSuchVersion, MethodNotAllowed (a delete marker),
    // InvalidArgument (a malformed id).
    Result<ObjectInfo> set_object_acl(std::string_view bucket, std::string_view key, std::string_view acl,
                                      std::string_view version_id);
    // Replaces the object's tags (empty: removes them) in its record, in one
    // commit, without touching its data; safe from several processes (the
    // last commit wins). Fails: InvalidArgument (validate_object_tags),
    // NoSuchBucket, NoSuchKey.
    Result<ObjectInfo> set_object_tags(std::string_view bucket, std::string_view key,
                                       std::vector<std::pair<std::string, std::string>> tags);
    // Of the version `version_id` (empty: the current). Fails as above, and:
    // NoSuchVersion, MethodNotAllowed (a delete marker), InvalidArgument (a
    // malformed id).
    Result<ObjectInfo> set_object_tags(std::string_view bucket, std::string_view key,
                                       std::vector<std::pair<std::string, std::string>> tags,
                                       std::string_view version_id);
    // Object lock of the version `version_id` (empty: the current), by the
    // rules of docs/versioning.md ("Object lock"): a retention is replaced
    // (nullopt or mode None: removed) only when none is active, or extended
    // in the same mode, or a GOVERNANCE one with `bypass_governance`. Fails:
    // NoSuchBucket, NoSuchKey, NoSuchVersion, MethodNotAllowed (a delete
    // marker by id), ObjectLocked, InvalidArgument (a bucket without object
    // lock: the gateway answers InvalidRequest; a malformed id; a mode
    // without a date or a date without a mode; a date not in the future or
    // after 9999-12-31T23:59:59Z).
    Result<ObjectInfo> set_object_retention(std::string_view bucket, std::string_view key, std::string_view version_id,
                                            std::optional<Retention> retention, bool bypass_governance = false);
    // Puts a legal hold on the version (on) or releases it: always allowed
    // (permission is the caller's). Fails as set_object_retention but
    // ObjectLocked.
    Result<ObjectInfo> set_object_legal_hold(std::string_view bucket, std::string_view key, std::string_view version_id,
                                             bool on);
    // Keys in byte order. Fails: NoSuchBucket, InvalidArgument (max_keys 0 is
    // allowed and returns nothing).
    Result<ListObjectsResult> list_objects(std::string_view bucket, const ListObjectsParams& params);
    // Every version of the keys, delete markers too (ListObjectVersions).
    // Fails: NoSuchBucket, InvalidArgument (a version_id_marker without a
    // key_marker, or one that is neither "null" nor an instance).
    Result<ListVersionsResult> list_object_versions(std::string_view bucket, const ListVersionsParams& params);

    // ---- Multipart uploads ---------------------------------------------
    // The upload's meta (its tags included) becomes the object's on
    // completion. Fails: NoSuchBucket, InvalidObjectName, InvalidArgument
    // (meta.tags: validate_object_tags).
    Result<Upload> create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta = {});
    // With the object's lock (PutOptions::lock), kept in the upload to its
    // completion. Fails as above, and InvalidArgument (a lock in a bucket
    // without object lock).
    Result<Upload> create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta,
                                 std::optional<ObjectLock> lock);
    // Fails: NoSuchUpload.
    Result<Upload> get_upload(std::string_view upload_id);
    // Streams part `number` (1..10000), replacing an earlier part of that
    // number. The writer's commit() returns the part as an ObjectInfo
    // (size, etag, checksums). Fails: NoSuchUpload, InvalidArgument (number),
    // QuotaExceeded, SlowDown (as begin_put).
    Result<std::unique_ptr<ObjectWriter>> begin_upload_part(std::string_view upload_id, std::uint32_t number,
                                                            PutOptions options = {});
    Result<PartInfo> upload_part(std::string_view upload_id, std::uint32_t number, std::span<const std::byte> body,
                                 PutOptions options = {});
    // A part made of (a range of) an existing object, sharing its extents;
    // of its version `src_version_id` (empty: the current). Fails:
    // NoSuchUpload, NoSuchBucket, NoSuchKey, InvalidRange, QuotaExceeded,
    // NoSuchVersion, MethodNotAllowed (a delete marker), InvalidArgument (a
    // malformed id), SlowDown (a range that rewrites the data: as begin_put).
    Result<PartInfo> upload_part_copy(std::string_view upload_id, std::uint32_t number, std::string_view src_bucket,
                                      std::string_view src_key, std::optional<ByteRange> range = std::nullopt,
                                      std::string_view src_version_id = {});
    // Makes the object from the listed parts (ascending numbers, etags as
    // returned); no data is copied. Parts not listed are freed. Fails:
    // NoSuchUpload, InvalidPart (missing, or etag differs), InvalidPartOrder,
    // EntityTooSmall (a part other than the last under 5 MiB),
    // InvalidArgument (no parts).
    // `checksums`, when given, become the object's (ObjectMeta::checksums;
    // e.g. the composite checksum of its parts), else the upload's are kept.
    // `conditions` are checked against the object the upload replaces
    // (PreconditionFailed, NoSuchKey; the upload then stays).
    // `acl`, when given, becomes the object's ACL (ObjectMeta::acl) in the
    // same commit, else the upload's is kept.
    Result<ObjectInfo> complete_upload(
        std::string_view upload_id, const std::vector<CompletedPart>& parts,
        std::optional<std::vector<std::pair<std::string, std::string>>> checksums = std::nullopt,
        const WriteConditions& conditions = {}, const std::optional<std::string>& acl = std::nullopt);
    // Frees the parts. Fails: NoSuchUpload.
    Result<void> abort_upload(std::string_view upload_id);
    // Parts with number > marker. Fails: NoSuchUpload.
    Result<ListPartsResult> list_parts(std::string_view upload_id, std::uint32_t marker = 0,
                                       std::uint32_t max_parts = 1000);
    // Fails: NoSuchBucket.
    Result<ListUploadsResult> list_uploads(std::string_view bucket, const ListUploadsParams& params = {});

    // ---- Limits ----------------------------------------------------------
    // All zeros when none are set. Fails: NoSuchUser, NoSuchBucket.
    Result<Limits> get_limits(const LimitTarget& target);
    // The limits a request is admitted under, read on every request: the
    // user's (empty `user_id`: none, as an anonymous request) and the
    // bucket's (empty: none), all zeros where none are set or where the user
    // or bucket does not exist (the request fails on its own). Never fails:
    // zeros where they cannot be read.
    RequestLimits request_limits(std::string_view user_id, std::string_view bucket);
    // Sets one value, keeping the others: a class's ops/s (>= 0), or the
    // outgoing bandwidth (KB/s, a whole number >= 0). Returns the limits now
    // in force. Fails: NoSuchUser, NoSuchBucket, InvalidLimit.
    Result<Limits> set_limit(const LimitTarget& target, const LimitSetting& setting);
    // Replaces all values. Fails: NoSuchUser, NoSuchBucket, InvalidLimit.
    Result<Limits> set_limits(const LimitTarget& target, const Limits& limits);
    // Fails: NoSuchUser, NoSuchBucket.
    Result<void> remove_limits(const LimitTarget& target);

    // ---- Quotas (GiB) ----------------------------------------------------
    // The quota set on exactly this target, if any. Fails: NoSuchUser,
    // NoSuchBucket.
    Result<std::optional<std::uint64_t>> get_quota(const QuotaTarget& target);
    // The quota enforced: the specific one, else the default. 0 = none.
    Result<std::uint64_t> effective_quota(const QuotaTarget& target);
    // Fails: NoSuchUser, NoSuchBucket.
    Result<void> set_quota(const QuotaTarget& target, std::uint64_t size_gib);
    // Fails: NoSuchUser, NoSuchBucket.
    Result<void> remove_quota(const QuotaTarget& target);
    // What the user stores now: objects plus parts of uploads in progress,
    // and the space reserved by writes under way. Fails: NoSuchUser.
    Result<UserUsage> get_user_usage(std::string_view user_id);

    // ---- Usage statistics objects ---------------------------------------
    // Stores (or replaces) a statistics object. Fails: InvalidArgument (name).
    Result<void> put_usage_object(std::string_view name, std::string_view content);
    // Names strictly after `after`, in name order, at most `max_items`.
    Result<UsageObjectList> list_usage_objects(std::string_view after = {}, std::uint32_t max_items = 1000);
    // Fails: NoSuchUsageObject.
    Result<std::string> get_usage_object(std::string_view name);
    // Fails: NoSuchUsageObject.
    Result<void> delete_usage_object(std::string_view name);

    // ---- Billing totals --------------------------------------------------
    // Adds every delta to its (user id, account) total in one durable
    // transaction: when it returns, all were added; on failure none was.
    // Several processes may add at once (their additions never overwrite
    // each other). Fails: InvalidArgument (a user id or account with '/'),
    // Internal (a stored total this version cannot read; none is changed).
    Result<void> add_billing_totals(const std::vector<BillingDelta>& deltas);
    // The totals of a user: with `account`, that account's only ("" = the
    // user's own keys); without, the sum over its own keys and all its
    // accounts. An id nothing was counted for has zeros (not an error).
    // Reads only that user's rows. Fails: Internal (a row this version
    // cannot read: never counted as zeros).
    Result<BillingCounters> billing_totals(std::string_view user_id,
                                           std::optional<std::string_view> account = std::nullopt);
    // Every (user id, account) total, in key order, for reports and for
    // sums across users (an account name held by several users).
    // Fails: Internal (a row this version cannot read).
    Result<std::vector<BillingDelta>> list_billing_totals();

    // ---- Roles ---------------------------------------------------------------
    // A role is background work that one process of the volume does at a
    // time (the gateway's lifecycle worker: "lifecycle"), with a small state
    // record that survives its holder (where a restarted one resumes).
    // Names are 1 to 64 of [a-z0-9-] (InvalidArgument otherwise).
    // Takes the role when no live process holds it; nullptr while one does.
    // Local: an flock on <dir>/run/<name>.lock, which the kernel drops with
    // the process. RADOS: a lock with a duration (kRoleLeaseMs) on the meta
    // pool's object role.<name>, renewed by RoleLease::lost(). Fails:
    // InvalidArgument, IoError.
    Result<std::unique_ptr<RoleLease>> take_role(std::string_view name);
    // The role's state record; nullopt when none was ever written.
    Result<std::optional<std::string>> role_state(std::string_view name);
    // Replaces the record when it still is `expected` (nullopt: none), in
    // one guarded write, so that a holder that lost the role meanwhile
    // cannot overwrite its successor's progress. Fails: PreconditionFailed,
    // InvalidArgument (the name; a record over kMaxRoleStateBytes).
    Result<void> swap_role_state(std::string_view name, const std::optional<std::string>& expected, std::string value);

    // ---- Maintenance -----------------------------------------------------
    // Reads every extent and checks its CRC32C.
    Result<ScrubReport> scrub();
    // Runs `fn` on the engine's async threads (for any blocking call).
    void submit(std::function<void()> fn);

private:
    explicit Engine(std::unique_ptr<detail::EngineImpl> impl);
    std::unique_ptr<detail::EngineImpl> impl_;
};

}  // namespace ostor
