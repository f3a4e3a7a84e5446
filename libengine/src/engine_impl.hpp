// The engine's shared state and the helpers its parts (users, buckets,
// objects, multipart, limits) use inside metadata transactions.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "async_pool.hpp"
#include "local/commit_queue.hpp"
#include "local/lmdb_env.hpp"
#include "ostor/engine.hpp"
#include "local/segment_store.hpp"
#include "records.hpp"
#include "storage/blob_store.hpp"
#include "storage/catalog.hpp"
#include "storage/leases.hpp"
#include "storage/notifier.hpp"
#include "storage/volume_spec.hpp"

namespace ostor::detail {

TimestampMs now_ms();
std::string lowercase(std::string_view s);

// S3's largest object.
constexpr std::uint64_t kMaxObjectBytes = std::uint64_t{5} << 40;
constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

struct EngineImpl {
    VolumeSpec spec;
    std::filesystem::path dir;  // a local volume's directory (empty for others)
    EngineOptions options;
    std::string volume_id;

    // The storage seams (storage/*.hpp): the engine's operations reach the
    // volume only through these. Destroyed in reverse order.
    std::unique_ptr<Leases> leases;      // leases->instance_id() names this open Engine's reservations
    std::unique_ptr<Notifier> notifier;  // told of every admin change once it committed
    std::unique_ptr<IdentityCatalog> identities;
    std::unique_ptr<SettingsCatalog> settings;
    std::unique_ptr<ObjectCatalog> objects;
    std::unique_ptr<BlobStore> blobs;

    // The local backend's internals, which operations not yet moved behind
    // the seams still use directly.
    std::unique_ptr<Env> env;
    std::unique_ptr<CommitQueue> commits;
    std::unique_ptr<SegmentStore> segments;
    std::unique_ptr<AsyncPool> async;
    std::atomic<std::uint64_t> reservation_seq{0};
    std::shared_ptr<void> open_claim;  // released last: the directory may be opened again

    ~EngineImpl();

    // Runs `fn` on a read snapshot; metadata failures become an Error.
    template <class F>
    auto read(F&& fn) -> decltype(fn(std::declval<const Txn&>())) {
        try {
            Txn txn = Txn::read(*env);
            return fn(static_cast<const Txn&>(txn));
        } catch (const DbFailure& e) {
            return Error(e.code, e.what());
        }
    }

    // Purges the space reservations of Engines that are no longer open.
    Result<void> purge_dead_reservations();
};

// ---- Lookups inside a transaction ----------------------------------------
Result<User> load_user(const Txn& txn, std::string_view user_id);
Result<Bucket> load_bucket(const Txn& txn, std::string_view name);
Result<Account> load_account(const Txn& txn, std::string_view user_id, std::string_view name);
UserUsage load_user_usage(const Txn& txn, std::string_view user_id);
void store_user_usage(Txn& txn, std::string_view user_id, const UserUsage& usage);
std::string account_key(std::string_view user_id, std::string_view name);

// ---- Size accounting -----------------------------------------------------
// Applies a change of stored bytes / objects to a bucket (and its size
// history) and to its owner's usage; writes both.
void account_change(Txn& txn, Bucket& bucket, std::int64_t delta_bytes, std::int64_t delta_objects);

// Refuses a change adding `delta_bytes` to `bucket` (and its owner) when
// either would end past its quota, counting the space other writers have
// reserved. Fails: QuotaExceeded.
Result<void> check_quota(const Txn& txn, const Bucket& bucket, std::int64_t delta_bytes);
// True when a quota (specific or default) applies to the bucket or its owner.
bool quota_applies(const Txn& txn, const Bucket& bucket);
// Quota in bytes from the specific or default row; 0 = none.
std::uint64_t effective_quota_bytes(const Txn& txn, const QuotaTarget& target);
std::string quota_key(const QuotaTarget& target);
std::string limits_key(const LimitTarget& target);

// ---- Reservations --------------------------------------------------------
// Reserves `bytes` for a write into `bucket`. Fails: QuotaExceeded,
// NoSuchBucket. Returns the reservation's key.
Result<std::string> reserve_space(EngineImpl& e, std::string_view bucket, std::uint64_t bytes);
void release_reservation(EngineImpl& e, const std::string& key);
// Reservation rows, changed only through these so that the sums per user and
// per bucket that check_quota reads stay equal to the rows.
void add_reservation(Txn& txn, std::string_view key, const ReservationRecord& r);
void drop_reservation(Txn& txn, std::string_view key);  // nothing when absent
// False for the table's rows that hold the sums, not a reservation.
bool is_reservation_key(std::string_view key);
// Whether the sums are kept; computes them from the rows when not (a volume
// written before they were).
bool reservation_sums_kept(const Txn& txn);
void keep_reservation_sums(Txn& txn);

// ---- Object index --------------------------------------------------------
// The Objects-table key of (bucket, key): "bucket/key", with keys too long
// for LMDB cut and suffixed by a hash of the whole key.
std::string object_index_key(std::string_view bucket, std::string_view key);
std::string bucket_index_prefix(std::string_view bucket);
// The object or NoSuchKey. Fails: Internal (a damaged record, a missing body).
Result<ObjectRecord> load_object(const Txn& txn, std::string_view bucket, std::string_view key);
// The object's record without its body (inline_data empty, body_id kept): all
// that deleting or replacing it needs, so an object whose body row is missing
// can still be deleted. Fails: NoSuchKey, Internal (a damaged record).
Result<ObjectRecord> load_object_record(const Txn& txn, std::string_view bucket, std::string_view key);
// The object a write would replace (its record, as load_object_record reads
// it), or none. Only NoSuchKey means none: any other failure is returned, so
// a record that cannot be read is never replaced as if absent (its extents and
// body would leak and the bucket's counts would drift).
Result<std::optional<ObjectRecord>> load_replaced_object(const Txn& txn, std::string_view bucket,
                                                         std::string_view key);
// Checks a conditional write against the object it would replace (`current`,
// as load_replaced_object found it). Fails: PreconditionFailed, NoSuchKey.
Result<void> check_write_conditions(const WriteConditions& conditions, const std::optional<ObjectRecord>& current);

// ---- Multipart -----------------------------------------------------------
constexpr std::size_t kUploadIdLength = 32;  // hex digits
// UploadsByBucket keys end with the upload id.
inline std::string_view upload_id_of_index_key(std::string_view k) { return k.substr(k.size() - kUploadIdLength); }
Result<Upload> load_upload(const Txn& txn, std::string_view upload_id);
std::string part_key(std::string_view upload_id, std::uint32_t number);
// Removes an upload and its parts inside `txn`, accounting the freed bytes.
void drop_upload(Txn& txn, const Upload& upload, std::vector<Extent>& freed);

// ---- Data movement ---------------------------------------------------------
enum class WriteTargetKind { Object, Part };
struct WriteTarget {
    WriteTargetKind kind = WriteTargetKind::Object;
    std::string bucket;
    std::string key;
    std::string upload_id;  // parts
    std::uint32_t part_number = 0;
};
std::unique_ptr<ObjectWriter> make_writer(EngineImpl& e, WriteTarget target, PutOptions options,
                                          std::optional<std::string> reservation);
// `reads` must have pinned the extents overlapping [first, end) (null for a
// body kept inline).
std::unique_ptr<ObjectReader> make_reader(EngineImpl& e, ObjectRecord record, std::unique_ptr<BlobReads> reads,
                                          std::uint64_t first, std::uint64_t end);

// Reads `reader` to its end, handing each chunk to `fn` (which returns
// Result<void>); stops at the first failure of either.
template <class Fn>
Result<void> for_each_chunk(ObjectReader& reader, Fn&& fn) {
    std::vector<std::byte> buf(kExtentMaxBytes);
    for (;;) {
        auto n = reader.read(buf);
        if (!n) return std::move(n).error();
        if (*n == 0) return {};
        OSTOR_TRY(fn(std::span<const std::byte>(buf.data(), *n)));
    }
}

}  // namespace ostor::detail
