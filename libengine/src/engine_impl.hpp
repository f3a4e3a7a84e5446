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
};

// ---- Lookups inside a transaction ----------------------------------------
Result<User> load_user(const Txn& txn, std::string_view user_id);
Result<Bucket> load_bucket(const Txn& txn, std::string_view name);
Result<Account> load_account(const Txn& txn, std::string_view user_id, std::string_view name);
std::string account_key(std::string_view user_id, std::string_view name);

// Quota in bytes from the specific or default row; 0 = none.
std::uint64_t effective_quota_bytes(const Txn& txn, const QuotaTarget& target);
std::string quota_key(const QuotaTarget& target);
std::string limits_key(const LimitTarget& target);

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
