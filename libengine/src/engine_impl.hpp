// The engine's shared state: the open volume's seams, and the helpers every
// part of the engine uses. Nothing here depends on a backend.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "async_pool.hpp"
#include "body_memory.hpp"
#include "ostor/engine.hpp"
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

// What a backend keeps for its seams to share (the local backend: the LMDB
// environment, its group commit and the segment store; RADOS: the space
// ledger and the blob collector).
struct BackendState {
    virtual ~BackendState() = default;
    // The first step of a clean close, before any seam is destroyed: stop
    // background work that uses the seams, drop what this instance holds
    // open (RADOS: the collector, then SpaceLedger::close).
    virtual void close() {}
};

struct EngineImpl {
    VolumeSpec spec;
    std::filesystem::path dir;  // a local volume's directory (empty for RADOS)
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

    std::unique_ptr<BackendState> backend;  // what the seams share; destroyed after them
    // What the leases themselves use (RADOS: the rados::Client): released
    // after them. Empty for a local volume.
    std::shared_ptr<void> connection;
    std::unique_ptr<AsyncPool> async;
    std::unique_ptr<BodyMemory> body_memory;  // the object writers' buffers
    std::shared_ptr<void> open_claim;         // released last: the directory may be opened again

    ~EngineImpl();
};

// Where every mutating Engine call begins: fails with IoError (saying the
// gateway must be restarted) once this instance may no longer commit
// (Leases::may_commit: a RADOS lease that was lost or ends too soon). A
// write that passed it is stopped again at its commit point by the backend
// (the RADOS object catalog and space ledger check the lease there).
Result<void> check_may_commit(const EngineImpl& e);

// A write's object lock settings (PutOptions::lock, ...) are only for a bucket
// with object lock: refused before any data is written. Fails: NoSuchBucket,
// InvalidArgument.
Result<void> check_lock_request(EngineImpl& e, std::string_view bucket, const std::optional<ObjectLock>& lock);

// ---- Data movement ---------------------------------------------------------
enum class WriteTargetKind { Object, Part };
struct WriteTarget {
    WriteTargetKind kind = WriteTargetKind::Object;
    std::string bucket;
    std::string key;
    std::string upload_id;  // parts
    std::uint32_t part_number = 0;
};
// `reserve_quota`: the target bucket has a quota (ObjectCatalog::
// quota_applies), so a known size is reserved against it, after the memory
// for the first buffer is taken (body_memory.hpp). Fails: SlowDown (no
// memory for the first buffer in time), QuotaExceeded (the memory given
// back at once).
Result<std::unique_ptr<ObjectWriter>> make_writer(EngineImpl& e, WriteTarget target, PutOptions options,
                                                  bool reserve_quota);
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
