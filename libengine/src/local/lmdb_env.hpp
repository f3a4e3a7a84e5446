// RAII over LMDB: the environment, its named tables, transactions, cursors.
//
// Unexpected LMDB failures (map full, I/O errors, corruption) are thrown as
// DbFailure and turned into an ostor::Error in exactly two places: the read
// transaction runner (Engine internals) and the commit queue. Expected
// outcomes (key not found) are return values.
#pragma once

#include <lmdb.h>

#include <array>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ostor/error.hpp"

namespace ostor::detail {

enum class Table : unsigned {
    Meta,             // single values: "volume_id" -> string, "bucket_owner_index" -> "" once built, ...
    Users,            // user id -> UserRecord
    UsersByEmail,     // lowercase email -> user id
    Keys,             // access key id -> KeyRecord
    Accounts,         // user id "/" name -> AccountRecord
    Buckets,          // name -> BucketRecord
    BucketEpochs,     // name -> last epoch (kept after deletion)
    Objects,          // object_index key -> ObjectRecord
    Uploads,          // upload id -> UploadRecord
    UploadsByBucket,  // bucket "/" key-index "\0" be64 initiated upload id -> ""
    Parts,            // upload id be32 number -> PartRecord
    Extents,          // be64 segment be64 offset -> ExtentRefs
    Segments,         // be64 segment -> "" once closed cleanly
    Limits,           // "u/" id | "b/" name -> Limits
    Quotas,           // "u/" id | "b/" name | "default-user" | "default-bucket" -> u64 GiB
    UserUsage,        // user id -> UserUsage
    Reservations,     // instance id be64 seq -> ReservationRecord; "~u/" user id | "~b/" bucket -> u64
                      // sum of their bytes reserved; "~sums" -> "" once the sums are kept
    UsageObjects,     // name -> JSON text
    BillingTotals,    // user id "/" account name -> BillingCounters (billing_totals.cpp)
    Bodies,           // be64 body id -> body of a small object (ObjectRecord::body_id)
    BucketConfigs,    // bucket name "\0" kind -> configuration document (Bucket::configs)
    Versions,         // bucket "/" version head "\0" instance -> ObjectRecord (local/version_index.hpp)
    VersionHeads,     // object_index key -> VersionHead
    FreedExtents,     // be64 segment be64 offset -> u32 length: dropped, blocks not yet punched
    BucketsByOwner,   // owner id "/" bucket name -> "" (local/bucket_owner_index.hpp)
    Count
};

struct DbFailure : std::runtime_error {
    DbFailure(Errc c, const std::string& what) : std::runtime_error(what), code(c) {}
    Errc code;
};

// Throws the DbFailure for LMDB's `rc`. MDB_MAP_FULL and ENOSPC are NoSpace.
// LMDB reports a write that came up short as EIO, which is what running out
// of space in the middle of a commit looks like: given the environment, an
// EIO while its file system is (nearly) full is NoSpace too.
[[noreturn]] void throw_lmdb(int rc, const char* what, MDB_env* env = nullptr);

// True when the file system holding `fd` has (nearly) no space left for an
// unprivileged writer, so that a failed write there is best reported as
// NoSpace. False when it cannot tell.
bool file_system_nearly_full(int fd) noexcept;

// Asks the kernel to read, at once, the pages of a value read from the
// store's map that are not in memory yet (a value larger than a page; the
// store reads no pages ahead: Env::open). Only advice: nothing when it fails.
void prefetch_value(std::string_view value) noexcept;

class Env {
public:
    // `map_size_bytes`: the largest the file may grow to; 0 for the size of
    // the file system holding `dir`, within [64 GiB, 4 TiB].
    static Result<std::unique_ptr<Env>> open(const std::filesystem::path& dir, std::uint64_t map_size_bytes);
    ~Env();
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;

    MDB_env* get() const { return env_; }
    MDB_dbi dbi(Table t) const { return dbis_[static_cast<unsigned>(t)]; }

private:
    friend class Txn;
    Env() = default;
    // A read transaction ended (reset) for the next Txn::read to renew, or
    // nullptr when none is kept.
    MDB_txn* take_idle_read() const;
    // Keeps `txn`, reset, for a later read; aborts it when enough are kept.
    void keep_idle_read(MDB_txn* txn) const;

    MDB_env* env_ = nullptr;
    std::array<MDB_dbi, static_cast<unsigned>(Table::Count)> dbis_{};
    // Renewing a reset read transaction skips what beginning one costs (the
    // shared reader table's lock, an allocation): a GET reads several
    // records, each in a snapshot of its own. A reset transaction keeps its
    // reader slot (of kMaxReaders, shared with other processes) but no
    // snapshot, so it holds no pages from reuse; few are kept.
    mutable std::mutex idle_reads_mutex_;
    mutable std::vector<MDB_txn*> idle_reads_;
};

class Cursor;

class Txn {
public:
    // A read-only snapshot.
    static Txn read(const Env& env);
    // A write transaction (nested under `parent` when given). Blocks while
    // another process or thread writes.
    static Txn write(const Env& env, Txn* parent = nullptr);

    Txn(Txn&& o) noexcept : env_(o.env_), txn_(std::exchange(o.txn_, nullptr)), read_only_(o.read_only_) {}
    Txn& operator=(Txn&&) = delete;
    ~Txn() { abort(); }

    // Value views stay valid until the transaction ends or writes.
    std::optional<std::string_view> get(Table t, std::string_view key) const;
    void put(Table t, std::string_view key, std::string_view value);
    // put() of a key that sorts after every key of the table (else Internal
    // is thrown, as for any LMDB failure): a full page is split by starting
    // a new one rather than in the middle, so rising keys pack their pages.
    void append(Table t, std::string_view key, std::string_view value);
    // True when the key existed.
    bool del(Table t, std::string_view key);
    void commit();
    void abort() noexcept;

    Cursor cursor(Table t) const;
    std::size_t entries(Table t) const;  // rows in the table
    void clear(Table t);                 // removes every row
    MDB_txn* get() const { return txn_; }

private:
    Txn(const Env* env, MDB_txn* txn, bool read_only) : env_(env), txn_(txn), read_only_(read_only) {}
    const Env* env_;
    MDB_txn* txn_;
    bool read_only_;  // ended by a reset, for Env to renew
};

// Iterates one table in key order. Positions return the entry they land on.
class Cursor {
public:
    using Entry = std::optional<std::pair<std::string_view, std::string_view>>;
    Cursor(MDB_txn* txn, MDB_dbi dbi);
    Cursor(Cursor&& o) noexcept : cur_(std::exchange(o.cur_, nullptr)) {}
    ~Cursor();

    Entry first() { return op(MDB_FIRST); }
    Entry last() { return op(MDB_LAST); }
    Entry next() { return op(MDB_NEXT); }
    Entry prev() { return op(MDB_PREV); }
    // The first entry with key >= `key`.
    Entry seek(std::string_view key);
    // Deletes the entry under the cursor (write transactions only).
    void del();

private:
    Entry op(MDB_cursor_op o);
    MDB_cursor* cur_ = nullptr;
};

inline MDB_val to_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline std::string_view to_sv(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

}  // namespace ostor::detail
