// The RADOS backend's ObjectCatalog (storage/catalog.hpp): buckets, the
// sharded object index, multipart uploads and the exact space ledger, on the
// layout of object_layout.hpp. Every change is single-object guarded writes
// (WriteOp) in an order that a crash between two of them leaves nothing
// half-visible: the index entry is an object's commit point.
//
// A commit of a written body (put_object, complete_upload, copy_object):
//   1. the blob store has set the counts of the body's blob objects
//      (BlobWriter::finish), or add_refs() was called for shared extents;
//   2. the quota: the write's reservation covers it, or the excess is
//      reserved now (QuotaExceeded refuses the commit, nothing is written);
//   3. the index entry is written, guarded on the entry read (the write
//      conditions were checked against it); on conflict, read again. The
//      record carries the commit's token (the reservation's, chosen at
//      reserve: its ledger entries name it) and charge (its deltas), and the
//      replaced record's charge, so that an adopter can settle a writer that
//      dies after this point (space_ledger.hpp, "Reconciliation");
//   4. the reservation is settled with the change's deltas (and the replaced
//      record's reservation, when its writer never settled it);
//   5. the replaced record's extents go to `freed` (the engine releases them
//      in the blob store after the call).
//
// The calls are defined by family: bucket_catalog.cpp, object_catalog.cpp
// (objects, the ledger calls and scrub's walk), upload_catalog.cpp,
// object_recount.cpp (the ledgers' recount from the index).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rados/blob_store.hpp"
#include "rados/client.hpp"
#include "rados/leases.hpp"
#include "rados/object_index.hpp"
#include "rados/object_layout.hpp"
#include "rados/space_ledger.hpp"
#include "storage/catalog.hpp"
#include "storage/notifier.hpp"

namespace ostor::detail::rados {

class RadosObjectCatalog final : public ObjectCatalog {
public:
    // All must outlive the catalog. `settings` gives quotas (effective_quota).
    // `lease`: this engine instance's; when set, a commit is refused (IoError)
    // once lease->may_commit() is false (an adopter may act on the instance's
    // reservations and blobs soon), and an abort takes over the seal of a
    // complete whose instance's lease is gone (adopt_if_dead: it can commit
    // nothing more) without waiting for kStaleCompleteSeal. `notifier`: when set, bucket records read
    // for object requests are cached, and kept true by its announcements
    // (ChangeKind::Bucket). Both null in tests of the catalog alone.
    RadosObjectCatalog(Client& client, SpaceLedger& ledger, RadosBlobStore& blobs, SettingsCatalog& settings,
                       RadosLeases* lease = nullptr, Notifier* notifier = nullptr);

    Result<Bucket> create_bucket(std::string_view name, std::string_view owner_id, std::string_view account,
                                 const BucketCreateOptions& options) override;
    Result<Bucket> get_bucket(std::string_view name) override;
    Result<Bucket> get_bucket_record(std::string_view name) override;
    Result<Bucket> get_bucket_record_afresh(std::string_view name) override;
    Result<std::vector<Bucket>> list_buckets(const BucketFilter& filter) override;
    Result<void> delete_bucket(std::string_view name, FreedExtents& freed) override;
    Result<Bucket> set_bucket_acl(std::string_view name, std::string_view acl) override;
    Result<Bucket> set_bucket_config(std::string_view name, std::string_view kind,
                                     const std::optional<std::string>& document) override;
    // The record rewritten guarded on the one read; the engine announces it
    // (ChangeKind::Bucket), and every commit meeting a versioned key with a
    // stale Off record fails its h<key> guard and reads the record again.
    Result<Bucket> set_bucket_versioning(std::string_view name, VersioningState state) override;
    Result<Bucket> set_object_lock_config(std::string_view name, const ObjectLockConfig& config) override;

    Result<void> drop_dead_reservations(Leases& leases) override;
    Result<bool> quota_applies(std::string_view bucket) override;
    // With a key, the reservation's entries carry a commit mark (its key and
    // the commit token put_object of that key will write under).
    Result<ReservationId> reserve(std::string_view bucket, std::string_view key, std::uint64_t bytes) override;
    void release(const ReservationId& reservation) override;
    Result<UserUsage> get_user_usage(std::string_view user_id) override;

    Result<ObjectRecord> get_object(std::string_view bucket, std::string_view key) override;
    Result<ObjectInfo> put_object(BodyCommit body, const WriteConditions& conditions, FreedExtents& freed) override;
    Result<ObjectInfo> copy_object(std::string_view src_bucket, std::string_view src_key,
                                   std::string_view src_version_id, std::string_view dst_bucket,
                                   std::string_view dst_key, const std::optional<ObjectMeta>& replace_meta,
                                   const std::optional<ObjectTags>& replace_tags,
                                   const std::optional<std::string>& replace_acl, const WriteConditions& conditions,
                                   FreedExtents& freed, const std::optional<ObjectLock>& lock = std::nullopt) override;
    using ObjectCatalog::delete_object;
    Result<void> delete_object(std::string_view bucket, std::string_view key, const DeleteOptions& options,
                               FreedExtents& freed) override;
    Result<ObjectInfo> set_object_acl(std::string_view bucket, std::string_view key, std::string_view acl) override;
    Result<ObjectInfo> set_object_tags(std::string_view bucket, std::string_view key,
                                       std::vector<std::pair<std::string, std::string>> tags) override;
    Result<ListObjectsResult> list_objects(std::string_view bucket, const ListObjectsParams& params) override;
    Result<ListVersionsResult> list_versions(std::string_view bucket, const ListVersionsParams& params) override;

    // Versions (object_versions.cpp; docs/versioning.md, "RADOS: one read,
    // one guarded write").
    Result<ObjectRecord> get_version(std::string_view bucket, std::string_view key,
                                     std::string_view version_id) override;
    Result<ObjectInfo> stat_version(std::string_view bucket, std::string_view key,
                                    std::string_view version_id) override;
    Result<DeleteResult> delete_version(std::string_view bucket, std::string_view key, const DeleteOptions& options,
                                        FreedExtents& freed) override;
    Result<ObjectInfo> set_version_acl(std::string_view bucket, std::string_view key, std::string_view acl,
                                       std::string_view version_id) override;
    Result<ObjectInfo> set_version_tags(std::string_view bucket, std::string_view key,
                                        std::vector<std::pair<std::string, std::string>> tags,
                                        std::string_view version_id) override;
    Result<ObjectInfo> change_version_lock(std::string_view bucket, std::string_view key, std::string_view version_id,
                                           const LockChange& change) override;

    Result<Upload> create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta,
                                 std::optional<ObjectLock> lock = std::nullopt) override;
    Result<Upload> get_upload(std::string_view upload_id) override;
    Result<PartInfo> put_part(std::string_view upload_id, std::uint32_t number, BodyCommit body,
                              FreedExtents& freed) override;
    Result<PartInfo> copy_part(std::string_view upload_id, std::uint32_t number, std::string_view src_bucket,
                               std::string_view src_key, std::string_view src_version_id, const ObjectInfo& source,
                               std::string part_etag, FreedExtents& freed) override;
    Result<ObjectInfo> complete_upload(std::string_view upload_id, const std::vector<CompletedPart>& parts,
                                       const std::optional<std::vector<std::pair<std::string, std::string>>>& checksums,
                                       const std::optional<std::string>& acl, const WriteConditions& conditions,
                                       FreedExtents& freed) override;
    Result<void> abort_upload(std::string_view upload_id, FreedExtents& freed) override;
    Result<ListPartsResult> list_parts(std::string_view upload_id, std::uint32_t marker,
                                       std::uint32_t max_parts) override;
    Result<ListUploadsResult> list_uploads(std::string_view bucket, const ListUploadsParams& params) override;

    Result<void> scan_bodies(const std::function<Result<void>(std::vector<StoredBody>&)>& fn) override;
    Result<bool> extent_referenced(const Extent& x) override;

    // ---- Shared by the families (bucket, object and upload catalogs)

    // A bucket record as stored (bucket.<name> info), with its index shard
    // count; counts (objects, bytes, size) not filled in. Fails: NoSuchBucket.
    struct StoredBucket {
        Bucket bucket;
        std::uint32_t shards = kDefaultIndexShards;
        std::string stored_info;  // the info value as read (for guarded writes)
    };
    // The index shard that holds `key`'s entries.
    static std::string shard_oid(const StoredBucket& b, std::string_view key) {
        return index_oid(b.bucket.name, b.bucket.epoch, index_shard_of(key, b.shards));
    }
    Result<StoredBucket> load_bucket(std::string_view name);
    // The same, from this process's cache when it holds the record: for the
    // requests on a bucket's objects, which address its index shards and
    // check its owner and ACL. Never for a change guarded on the record
    // (stored_info) nor for a decision that a stale record would make wrong
    // for good: a cached record is only as old as the last announcement (or
    // kReadCacheLifetime), and a shard of a bucket deleted meanwhile is gone
    // (a write finding it gone forgets the cached record).
    Result<StoredBucket> load_bucket_cached(std::string_view name);
    // Read past the cache, which then holds this record: before a refusal
    // that a cached record may have made wrong (object lock "off": once on,
    // lock is never turned off).
    Result<StoredBucket> load_bucket_afresh(std::string_view name);
    void forget_cached_bucket(std::string_view name);
    // Applies `change` to the bucket's record, rewritten guarded on the one
    // read (set_bucket_acl, set_bucket_config, set_bucket_versioning,
    // set_object_lock_config; the engine announces each). Fails: NoSuchBucket.
    Result<Bucket> change_bucket_record(std::string_view name,
                                        const std::function<std::optional<Error>(Bucket&)>& change);

    // Commits `record` as the object (bucket, key) of `bucket`: steps 2 to 5
    // above, with the write conditions checked against the entry replaced.
    // `reservation`: the write's, settled (or released on failure) here.
    // `delta_parts_bytes`: added to the change's bytes, for bytes that stop
    // counting elsewhere in the same change (a completed upload's parts, which
    // counted while uploading: minus their bytes), 0 for a plain PUT. Fails
    // as put_object. `outcome_unknown` (when not null) is set when it fails
    // because the index write itself failed and a re-read did not find the
    // record (catalog_support.hpp, written_value_landed): the record may be
    // committed, so the caller keeps what it refers to. The counts are then
    // settled as if committed and the replaced record's extents are kept
    // (not in `freed`). Every other failure wrote nothing and gave the
    // reservations back.
    Result<ObjectInfo> commit_object(const StoredBucket& bucket, ObjectRecord record, const WriteConditions& conditions,
                                     const std::optional<ReservationId>& reservation, std::int64_t delta_parts_bytes,
                                     FreedExtents& freed, bool* outcome_unknown = nullptr);

    // ---- The recount (object_recount.cpp; docs/rados.md, "Space ledger")

    // Recounts up to `max_entries` entries of recount.queue (after those the
    // last pass stopped at, from the first again once it reached the end):
    // each bucket incarnation quiet for the ledger's recount_quiet window
    // gets its ledger's counts from its index and uploads, and its owner's
    // ledger the difference, once; an entry of a gone incarnation is
    // dropped; one not quiet stays. For the collector (one per volume at a
    // time), from one thread. Fails: the first entry's failure, after the
    // others were tried (IoError; Internal: a record that does not decode,
    // the entry stays).
    // `until`: the pass stops before an entry once past it (the next pass
    // goes on from that entry), so that it ends within the collector's
    // hold of its lock.
    struct RecountPass {
        std::size_t recounted = 0;
        std::size_t dropped = 0;
        std::size_t not_quiet = 0;
        std::size_t postponed = 0;  // 1 when the pass ran out of time
    };
    Result<RecountPass> recount_queued(std::uint32_t max_entries,
                                       std::optional<BootClock::time_point> until = std::nullopt);
    // Tests only: called by a bucket recount after its sum and its second
    // stat, right before its guarded write (set before the catalog is shared).
    void set_recount_write_hook_for_tests(std::function<void(const LedgerBucket&)> hook) {
        recount_write_hook_ = std::move(hook);
    }

    // ---- Uploads' share (upload_catalog.cpp)

    // Aborts every upload of `bucket` (for delete_bucket, after it made sure
    // no new object can be committed): each upload's parts' extents go to
    // `freed`, its bytes go back to the owner's and the bucket's ledgers, its
    // object and index entry are removed (as abort_upload, whose crash
    // windows apply). Idempotent: run it again after a failure. Fails:
    // IoError.
    Result<void> drop_uploads_of(const StoredBucket& bucket, FreedExtents& freed);

    // Scrub's walk of the parts of every upload in progress (scan_bodies
    // calls it after the objects): one bounded batch at a time, named
    // "upload <id> part <n>", holding nothing between batches. Stops at fn's
    // failure. Fails: IoError.
    Result<void> scan_parts(const std::function<Result<void>(std::vector<StoredBody>&)>& fn);

private:
    // A version's ACL, tags or lock, rewritten where the entry lies (o or v),
    // its body untouched, guarded on the value `change` saw (retried when
    // another write changed it meanwhile). `change` may refuse; a marker is
    // refused before it runs. `written_by` (none: not asked): set to the
    // deadline of a ledger change following the write (ledger_change_deadline
    // taken before it was sent).
    Result<ObjectInfo> change_version_entry(std::string_view bucket, std::string_view key, std::string_view version_id,
                                            const std::function<std::optional<Error>(ObjectInfo&)>& change,
                                            BootClock::time_point* written_by = nullptr);
    // The object catalog's own helpers (bucket_catalog.cpp, object_catalog.cpp).
    // Rewrites the record of (bucket, key) with `change` applied to its
    // metadata, guarded on the record read (retried when another write
    // changed it meanwhile), its data untouched (ACL, tags).
    Result<ObjectInfo> change_meta(std::string_view bucket, std::string_view key,
                                   const std::function<void(ObjectMeta&)>& change);
    // After a guarded write of a key in `bucket` lost: the record read again
    // past the cache (a stale one forgotten), so that a commit that took the
    // bucket for Off while the key is versioned (its h<key> guard failed)
    // plans again as versioned; then, for a write adding entries
    // (`adds_entries`), waits while a delete_bucket holds `oid` closed. {}:
    // read the key again. Fails: NoSuchBucket (gone, or made again), IoError.
    Result<void> after_lost_guard(StoredBucket& bucket, const std::string& oid, bool adds_entries);
    // DELETE of the current in a bucket the cached record says is Off (the
    // object removed, no marker). Sets `versioned` (and fails) when the key
    // turned out versioned: `bucket` is then the record read again.
    Result<void> delete_unversioned(StoredBucket& bucket, std::string_view key, const DeleteOptions& options,
                                    FreedExtents& freed, bool& versioned);
    // DELETE in a versioned bucket: a marker, or the version named by id.
    Result<DeleteResult> delete_versioned(const StoredBucket& bucket, std::string_view key,
                                          const DeleteOptions& options, FreedExtents& freed);
    Result<void> change_bucket_count(const Bucket& bucket, int delta, std::int64_t claimed_ms);
    Result<std::uint64_t> next_epoch(std::string_view name);
    Result<void> create_index_shards(const Bucket& bucket, std::uint32_t shards);
    void remove_index_shards(const Bucket& bucket, std::uint32_t shards);
    Result<Bucket> with_counts(Bucket bucket);
    // Whether a delete_bucket holds `index_oid` (an index shard of `bucket`,
    // or its uploads index) closed: its `closed` mark, unless stale
    // (object_layout.hpp: a delete that crashed, its instance gone). A
    // stale mark is removed, guarded on its value, when the bucket record is
    // still of `bucket`'s epoch (best effort): false then. Fails: kNotFound
    // (the object is gone: so is that incarnation), IoError.
    Result<bool> closed_by_delete(const Bucket& bucket, const std::string& index_oid);
    // Waits (kClosedShardWait at most) while a delete_bucket holds `index_oid`
    // closed: {} once it is open (the caller writes again); NoSuchBucket
    // once the bucket record is gone or another incarnation's (or the
    // object is gone); IoError, a retryable answer, while the mark stays and
    // the record is there (a mark does not say the delete will succeed: it
    // may find the bucket not empty, or give up, and reopen).
    Result<void> wait_while_closed(const Bucket& bucket, const std::string& index_oid);
    // Quotas of the bucket and its owner in bytes (0: none).
    Result<std::pair<std::uint64_t, std::uint64_t>> quota_bytes(const Bucket& bucket);
    // ---- Uploads' own (upload_parts.cpp, upload_closing.cpp)
    // Stores `part` in the open upload (put_part, copy_part); the replaced
    // part's extents are appended to `freed`.
    // `outcome_unknown` as commit_object's: the part may be stored (its
    // growth stays counted, the replaced part's extents are kept).
    // `extents_are_new`: the part's extents were written by this call (an
    // UploadPart), so finding its value after a failed write proves this
    // write; a copied part's value may be an identical copy's.
    Result<PartInfo> write_part(std::string_view upload_id, const PartRecord& part,
                                const std::optional<ReservationId>& reservation, bool extents_are_new,
                                FreedExtents& freed, bool* outcome_unknown);
    // Seals the upload for an abort (taking over another abort's seal, or a
    // complete's stale one) and removes it; appends its parts' extents to
    // `freed`. Fails: NoSuchUpload (gone, or a live complete holds it).
    Result<void> abort_one(std::string_view upload_id, FreedExtents& freed);
    // Whether engine instance `instance` can commit nothing more: its lease
    // object is gone (closed, or adopted, fenced and cleaned by a sweep).
    // False for this instance, without a lease, or when the cluster does not
    // answer.
    bool instance_gone(const std::string& instance);
    enum class RecountOutcome : std::uint8_t { Recounted, Dropped, NotQuiet };
    Result<RecountOutcome> recount_one(const SpaceLedger::QueuedRecount& entry);
    Result<RecountOutcome> recount_owner(const SpaceLedger::QueuedRecount& entry, const std::string& user_id);

    Client& client_;
    SpaceLedger& ledger_;
    RadosBlobStore& blobs_;
    SettingsCatalog& settings_;
    RadosLeases* lease_;
    struct BucketCache;
    std::shared_ptr<BucketCache> bucket_cache_;                    // the notifier's subscription holds it weakly
    IndexGuesses index_guesses_;                                   // commit_object's first attempt
    std::string recount_after_;                                    // where the next recount pass starts in the queue
    std::function<void(const LedgerBucket&)> recount_write_hook_;  // tests
};

}  // namespace ostor::detail::rados
