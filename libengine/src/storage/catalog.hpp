// The catalog: every record of a volume except object bodies, behind three
// narrow interfaces at the level of the domain (not a key-value transaction):
//
//   IdentityCatalog  users and their email index, access keys, accounts
//   SettingsCatalog  limits, quotas, usage statistics objects, billing totals
//   ObjectCatalog    buckets, the object index, multipart uploads, and the
//                    space ledger (reservations, per-user and per-bucket bytes
//                    and objects, size history)
//
// Every call that changes something is atomic and durable when it returns,
// and is seen at once by every process using the volume. A call either makes
// its whole change or none of it; a refused call (an error) changes nothing.
// Invariants that span records (a user with buckets cannot be deleted; a
// quota holds under concurrent writers) are each backend's to keep inside its
// calls: the local backend does each call in one LMDB transaction, the RADOS
// backend with compare-and-set operations on the records involved.
//
// The facets are not independent: some calls keep invariants across them
// (delete_user refuses while the user owns buckets and takes its limits and
// quota along; delete_bucket takes the bucket's; quota checks read quotas;
// limits and quotas are set only on existing users and buckets). A backend
// implements the three together, on one store.
//
// Checks of the arguments' form (names, emails, limit values) are the
// engine's, before it calls here; what depends on stored state (existence,
// uniqueness, quotas, conditions) is the catalog's.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ostor/engine.hpp"
#include "ostor/types.hpp"
#include "records.hpp"
#include "storage/blob_store.hpp"
#include "storage/extent.hpp"
#include "storage/leases.hpp"
#include "versions/object_lock.hpp"

namespace ostor::detail {

class IdentityCatalog {
public:
    virtual ~IdentityCatalog() = default;

    // Fails: UserAlreadyExists (email taken, any case).
    virtual Result<UserCreated> create_user(std::string_view email, bool system, bool with_key) = 0;
    virtual Result<User> get_user(std::string_view user_id) = 0;         // NoSuchUser
    virtual Result<User> get_user_by_email(std::string_view email) = 0;  // NoSuchUser
    virtual Result<std::vector<User>> list_users() = 0;                  // by id
    virtual Result<User> set_user_state(std::string_view user_id, UserState state) = 0;
    // With its keys, accounts, limits, quota and usage. Fails: NoSuchUser,
    // UserHasBuckets.
    virtual Result<void> delete_user(std::string_view user_id) = 0;

    // Fails: NoSuchUser, NoSuchAccount, TooManyAccessKeys.
    virtual Result<KeyPair> generate_key(std::string_view user_id, std::string_view account) = 0;
    // Fails: NoSuchUser, NoSuchAccount, NoSuchAccessKey.
    virtual Result<void> revoke_key(std::string_view user_id, std::string_view access_key_id,
                                    std::optional<std::string_view> account) = 0;
    virtual Result<KeyPair> lookup_key(std::string_view access_key_id) = 0;  // NoSuchAccessKey
    // Engine::lookup_key_owner. By lookup_key and get_user; a catalog may
    // read both at once.
    virtual Result<KeyOwner> lookup_key_owner(std::string_view access_key_id) {
        auto key = lookup_key(access_key_id);
        if (!key) return std::move(key).error();
        auto user = get_user(key->user_id);
        if (!user) return std::move(user).error();
        return KeyOwner{std::move(*key), std::move(*user)};
    }
    // Oldest first. Fails: NoSuchUser, NoSuchAccount.
    virtual Result<std::vector<KeyPair>> list_keys(std::string_view user_id, std::string_view account) = 0;

    // Fails: NoSuchUser, AccountAlreadyExists.
    virtual Result<AccountCreated> create_account(std::string_view user_id, std::string_view name, bool with_key) = 0;
    virtual Result<Account> get_account(std::string_view user_id, std::string_view name) = 0;
    virtual Result<std::vector<Account>> list_accounts(std::string_view user_id) = 0;
    // With its keys. Fails: NoSuchUser, NoSuchAccount, AccountHasBuckets.
    virtual Result<void> delete_account(std::string_view user_id, std::string_view name) = 0;
};

class SettingsCatalog {
public:
    virtual ~SettingsCatalog() = default;

    // All zeros when none are set. Fails: NoSuchUser, NoSuchBucket.
    virtual Result<Limits> get_limits(const LimitTarget& target) = 0;
    // Engine::request_limits. By get_limits; a catalog may read both at once
    // and skip its checks that the user and bucket exist.
    virtual RequestLimits request_limits(std::string_view user_id, std::string_view bucket) {
        RequestLimits r;
        if (!user_id.empty())
            if (auto l = get_limits(LimitTarget::user(std::string(user_id)))) r.user = *l;
        if (!bucket.empty())
            if (auto l = get_limits(LimitTarget::bucket(std::string(bucket)))) r.bucket = *l;
        return r;
    }
    // Applies `change` to the stored limits (zeros when none) atomically, so
    // that concurrent changes of different values are all kept; stores and
    // returns the result. `change` may refuse (its error is returned and
    // nothing is stored); it may run more than once.
    virtual Result<Limits> update_limits(const LimitTarget& target,
                                         const std::function<Result<void>(Limits&)>& change) = 0;
    virtual Result<void> remove_limits(const LimitTarget& target) = 0;

    virtual Result<std::optional<std::uint64_t>> get_quota(const QuotaTarget& target) = 0;  // GiB
    virtual Result<std::uint64_t> effective_quota(const QuotaTarget& target) = 0;           // GiB, 0 = none
    virtual Result<void> set_quota(const QuotaTarget& target, std::uint64_t size_gib) = 0;
    virtual Result<void> remove_quota(const QuotaTarget& target) = 0;

    virtual Result<void> put_usage_object(std::string_view name, std::string_view content) = 0;
    virtual Result<UsageObjectList> list_usage_objects(std::string_view after, std::uint32_t max_items) = 0;
    virtual Result<std::string> get_usage_object(std::string_view name) = 0;  // NoSuchUsageObject
    virtual Result<void> delete_usage_object(std::string_view name) = 0;      // NoSuchUsageObject

    virtual Result<void> add_billing_totals(const std::vector<BillingDelta>& deltas) = 0;
    virtual Result<BillingCounters> billing_totals(std::string_view user_id,
                                                   std::optional<std::string_view> account) = 0;
    virtual Result<std::vector<BillingDelta>> list_billing_totals() = 0;

    // A role's state record (Engine::role_state, swap_role_state; the name
    // and size checked): read, and replaced in one guarded write when it is
    // still `expected`. Fails: PreconditionFailed.
    virtual Result<std::optional<std::string>> role_state(std::string_view name) = 0;
    virtual Result<void> swap_role_state(std::string_view name, const std::optional<std::string>& expected,
                                         std::string value) = 0;
};

// A space reservation's id (it names the instance that made it; see leases.hpp).
using ReservationId = std::string;

// A body written into the blob store, to become an object or a part.
struct BodyCommit {
    ObjectRecord record;                       // info (bucket, key, size, etag, meta, ...), extents or inline body
    StagedDataPtr data;                        // made durable before the record is committed
    std::optional<ReservationId> reservation;  // dropped in the same change
    // Set (when not null) by put_object and put_part failing with IoError
    // after a record write whose outcome is unknown (it may have been
    // applied, e.g. a timeout after the cluster applied it): the caller must
    // then keep the body's blobs (a leak at worst), never free them, as the
    // record may name them. Left false by every other failure.
    bool* outcome_unknown = nullptr;
};

// One bounded batch of what scrub checks: the bodies of objects and parts.
struct StoredBody {
    std::string name;  // "bucket/key", or "upload <id> part <n>"
    std::vector<Extent> extents;
    std::string inline_data;  // with inline_crc, for bodies kept in the catalog
    std::uint32_t inline_crc = 0;
    bool damaged_record = false;  // the record or its inline body cannot be read
};

class ObjectCatalog {
public:
    virtual ~ObjectCatalog() = default;

    // ---- Buckets
    // Fails: NoSuchUser, NoSuchAccount, BucketAlreadyOwnedByYou,
    // BucketAlreadyExists.
    virtual Result<Bucket> create_bucket(std::string_view name, std::string_view owner_id, std::string_view account,
                                         const BucketCreateOptions& options) = 0;
    virtual Result<Bucket> get_bucket(std::string_view name) = 0;  // NoSuchBucket
    // The bucket without its counts (objects, bytes and size may be zero):
    // what a request on its objects needs (owner, ACL, epoch). A backend may
    // serve it from a cache kept true by its Notifier. NoSuchBucket.
    virtual Result<Bucket> get_bucket_record(std::string_view name) { return get_bucket(name); }
    // The record read past any cache (which then holds it), still without
    // its counts: for a refusal a cached record may have made wrong (object
    // lock "off"; once on, lock is never turned off). NoSuchBucket.
    virtual Result<Bucket> get_bucket_record_afresh(std::string_view name) { return get_bucket_record(name); }
    virtual Result<std::vector<Bucket>> list_buckets(const BucketFilter& filter) = 0;
    // Aborts its uploads (their extents go to `freed`). Fails: NoSuchBucket,
    // BucketNotEmpty.
    virtual Result<void> delete_bucket(std::string_view name, FreedExtents& freed) = 0;
    virtual Result<Bucket> set_bucket_acl(std::string_view name, std::string_view acl) = 0;
    // Sets (a document) or removes (nullopt) the configuration of `kind`.
    // Fails: NoSuchBucket.
    virtual Result<Bucket> set_bucket_config(std::string_view name, std::string_view kind,
                                             const std::optional<std::string>& document) = 0;

    // Fails: NoSuchBucket, InvalidBucketState (Suspended under object lock),
    // InvalidArgument (Off).
    virtual Result<Bucket> set_bucket_versioning(std::string_view name, VersioningState state) = 0;
    // The default retention of an object lock bucket (checked by the engine:
    // check_lock_config), lock turned on for a versioned one made without
    // (apply_lock_config). Fails: NoSuchBucket, InvalidBucketState (no lock,
    // versioning not Enabled).
    virtual Result<Bucket> set_object_lock_config(std::string_view name, const ObjectLockConfig& config) = 0;

    // ---- Space ledger
    // Drops the reservations of Engines that are gone (those whose lease
    // `leases` can adopt). Run at open.
    virtual Result<void> drop_dead_reservations(Leases& leases) = 0;
    // Whether a quota applies to the bucket or its owner (a write of known
    // size then reserves up front). Fails: NoSuchBucket.
    virtual Result<bool> quota_applies(std::string_view bucket) = 0;
    // Reserves `bytes` for a write into `bucket`, counted by every quota
    // check until the write's commit drops it or release() does. A
    // reservation of an Engine that is gone is dropped when its lease is
    // adopted. `key`: the object whose commit will settle it ("" for a
    // part's), so that a backend can tell after a crash whether that commit
    // happened; it must then be committed as that key only. Fails:
    // NoSuchBucket, QuotaExceeded.
    virtual Result<ReservationId> reserve(std::string_view bucket, std::string_view key, std::uint64_t bytes) = 0;
    virtual void release(const ReservationId& reservation) = 0;
    // Objects, parts and reservations of the user. Fails: NoSuchUser.
    virtual Result<UserUsage> get_user_usage(std::string_view user_id) = 0;

    // ---- Objects
    // The record with its body (inline_data). Fails: NoSuchBucket, NoSuchKey,
    // Internal (damaged record or missing body).
    virtual Result<ObjectRecord> get_object(std::string_view bucket, std::string_view key) = 0;
    // Makes `body` the object (bucket, key) of its record, replacing the one
    // there (whose extents go to `freed`), when `conditions` hold and the
    // quotas allow. Fails: NoSuchBucket, PreconditionFailed, NoSuchKey
    // (If-Match), QuotaExceeded, Internal (the replaced record is damaged).
    virtual Result<ObjectInfo> put_object(BodyCommit body, const WriteConditions& conditions, FreedExtents& freed) = 0;
    // A new object sharing the extents of the source's version
    // `src_version_id` (empty: its current; get_copy_source). Fails:
    // NoSuchBucket, NoSuchKey, NoSuchVersion, MethodNotAllowed,
    // PreconditionFailed, QuotaExceeded.
    virtual Result<ObjectInfo> copy_object(std::string_view src_bucket, std::string_view src_key,
                                           std::string_view src_version_id, std::string_view dst_bucket,
                                           std::string_view dst_key, const std::optional<ObjectMeta>& replace_meta,
                                           const std::optional<ObjectTags>& replace_tags,
                                           const std::optional<std::string>& replace_acl,
                                           const WriteConditions& conditions, FreedExtents& freed,
                                           const std::optional<ObjectLock>& lock = std::nullopt) = 0;
    // Also an object whose body cannot be read; with options.if_current only
    // while the current record is that write (checked in the commit). Fails:
    // NoSuchBucket, NoSuchKey, PreconditionFailed.
    virtual Result<void> delete_object(std::string_view bucket, std::string_view key, const DeleteOptions& options,
                                       FreedExtents& freed) = 0;
    // Unconditional (the backends' own tests).
    Result<void> delete_object(std::string_view bucket, std::string_view key, FreedExtents& freed) {
        return delete_object(bucket, key, DeleteOptions{}, freed);
    }
    virtual Result<ObjectInfo> set_object_acl(std::string_view bucket, std::string_view key, std::string_view acl) = 0;
    // Replaces the object's tags in its record, its data untouched. Fails:
    // NoSuchBucket, NoSuchKey.
    virtual Result<ObjectInfo> set_object_tags(std::string_view bucket, std::string_view key,
                                               std::vector<std::pair<std::string, std::string>> tags) = 0;
    virtual Result<ListObjectsResult> list_objects(std::string_view bucket, const ListObjectsParams& params) = 0;
    // ListObjectVersions; params.version_id_marker is empty, "null" or an
    // instance, and only with a key marker (the engine refuses the rest).
    // Fails: NoSuchBucket.
    virtual Result<ListVersionsResult> list_versions(std::string_view bucket, const ListVersionsParams& params) = 0;

    // ---- Versions (docs/versioning.md). The defaults serve a backend whose
    // buckets are never versioned (both backends override them): the
    // current, when there is one, is the null version, and no other id
    // names anything.
    // `version_id` is empty (the current), "null" or an instance: the
    // engine refuses any other before it calls.
    //
    // The entry with its body (inline_data), a delete marker too; empty id:
    // the current, or the marker that is the key's newest. Fails:
    // NoSuchBucket, NoSuchKey, NoSuchVersion, Internal.
    virtual Result<ObjectRecord> get_version(std::string_view bucket, std::string_view key,
                                             std::string_view version_id);
    // The same entry's metadata alone, its body not read (a missing body row
    // fails only reads of the body). Fails: as get_version.
    virtual Result<ObjectInfo> stat_version(std::string_view bucket, std::string_view key, std::string_view version_id);
    // DELETE with options (version id, bypass). Fails: NoSuchBucket,
    // NoSuchKey (unversioned, no id), NoSuchVersion, ObjectLocked.
    virtual Result<DeleteResult> delete_version(std::string_view bucket, std::string_view key,
                                                const DeleteOptions& options, FreedExtents& freed);
    // Fails: NoSuchBucket, NoSuchKey, NoSuchVersion, MethodNotAllowed (a marker).
    virtual Result<ObjectInfo> set_version_acl(std::string_view bucket, std::string_view key, std::string_view acl,
                                               std::string_view version_id);
    virtual Result<ObjectInfo> set_version_tags(std::string_view bucket, std::string_view key,
                                                std::vector<std::pair<std::string, std::string>> tags,
                                                std::string_view version_id);
    // Changes the lock of the version (empty id: the current) by the rules
    // of object_lock.hpp (changed_lock), and the bucket's lock summary.
    // Fails: NoSuchBucket, NoSuchKey, NoSuchVersion, MethodNotAllowed (a
    // marker), ObjectLocked, InvalidArgument (a bucket without object lock).
    virtual Result<ObjectInfo> change_version_lock(std::string_view bucket, std::string_view key,
                                                   std::string_view version_id, const LockChange& change) = 0;
    // What a copy reads (with its body): the current (empty id) or the
    // version named, as open_object serves them. Fails: NoSuchBucket,
    // NoSuchKey, NoSuchVersion, MethodNotAllowed (a marker named by its id),
    // Internal.
    Result<ObjectRecord> get_copy_source(std::string_view bucket, std::string_view key, std::string_view version_id);

    // ---- Multipart uploads
    // `lock`: the object's, kept in the upload to its completion.
    virtual Result<Upload> create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta,
                                         std::optional<ObjectLock> lock = std::nullopt) = 0;
    virtual Result<Upload> get_upload(std::string_view upload_id) = 0;  // NoSuchUpload
    // Stores part `number` of the upload from `body` (record.info: size,
    // etag, last_modified_ms, meta.checksums), replacing an earlier part of
    // that number. Fails: NoSuchUpload, NoSuchBucket, QuotaExceeded.
    virtual Result<PartInfo> put_part(std::string_view upload_id, std::uint32_t number, BodyCommit body,
                                      FreedExtents& freed) = 0;
    // Part `number` sharing the extents of the whole object (src_bucket,
    // src_key, its version src_version_id: get_copy_source), which must still
    // be the one whose ETag and last-modified time the caller read
    // (`source`), with `part_etag` (the MD5 of its bytes). Fails:
    // NoSuchUpload, NoSuchBucket, NoSuchKey, NoSuchVersion, MethodNotAllowed,
    // QuotaExceeded, InvalidArgument (the source changed meanwhile).
    virtual Result<PartInfo> copy_part(std::string_view upload_id, std::uint32_t number, std::string_view src_bucket,
                                       std::string_view src_key, std::string_view src_version_id,
                                       const ObjectInfo& source, std::string part_etag, FreedExtents& freed) = 0;
    // Fails: NoSuchUpload, InvalidPart, InvalidPartOrder, EntityTooSmall,
    // PreconditionFailed, NoSuchKey, QuotaExceeded.
    virtual Result<ObjectInfo> complete_upload(
        std::string_view upload_id, const std::vector<CompletedPart>& parts,
        const std::optional<std::vector<std::pair<std::string, std::string>>>& checksums,
        const std::optional<std::string>& acl, const WriteConditions& conditions, FreedExtents& freed) = 0;
    virtual Result<void> abort_upload(std::string_view upload_id, FreedExtents& freed) = 0;  // NoSuchUpload
    virtual Result<ListPartsResult> list_parts(std::string_view upload_id, std::uint32_t marker,
                                               std::uint32_t max_parts) = 0;
    virtual Result<ListUploadsResult> list_uploads(std::string_view bucket, const ListUploadsParams& params) = 0;

    // ---- Scrub
    // Hands every stored body to `fn`, one bounded batch at a time, holding
    // no snapshot while `fn` runs (it reads data). Stops at fn's failure.
    virtual Result<void> scan_bodies(const std::function<Result<void>(std::vector<StoredBody>&)>& fn) = 0;
    // Whether `x` is still referenced (a scrub's failed check of an extent
    // freed since its batch was read is not damage).
    virtual Result<bool> extent_referenced(const Extent& x) = 0;
};

}  // namespace ostor::detail
