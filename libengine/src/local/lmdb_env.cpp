#include "local/lmdb_env.hpp"

#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace ostor::detail {

namespace {

// Readers of all processes together (gateway threads, FUSE, CLI).
constexpr unsigned kMaxReaders = 1024;
// Ended read transactions an environment keeps to renew (Env::idle_reads_):
// about the reads in flight at once in a busy gateway; each holds a reader
// slot.
constexpr std::size_t kMaxIdleReads = 32;

// Free space under which a file system counts as full when a write there
// failed (file_system_nearly_full).
constexpr std::uint64_t kNearlyFullBytes = std::uint64_t{1} << 20;

constexpr std::array<const char*, static_cast<unsigned>(Table::Count)> kTableNames = {
    "meta",           "users",         "users-by-email", "keys",           "accounts",
    "buckets",        "bucket-epochs", "objects",        "uploads",        "uploads-by-bucket",
    "parts",          "extents",       "segments",       "limits",         "quotas",
    "user-usage",     "reservations",  "usage",          "billing-totals", "bodies",
    "bucket-configs", "versions",      "version-heads",  "freed-extents",  "buckets-by-owner",
};

// Bounds of the map size chosen from the file system (map_size_for).
constexpr std::uint64_t kMinAutoMapBytes = std::uint64_t{64} << 30;
constexpr std::uint64_t kMaxAutoMapBytes = std::uint64_t{4} << 40;

// The map size for `asked` bytes; 0 asks for the size of the file system
// holding `dir`, within [64 GiB, 4 TiB]: the metadata can grow until the
// disk is full, not stop at a fixed size (a volume of 4 KiB objects filled
// 64 GiB of metadata at about 8 M objects). The map is only address space
// (the file grows as pages are written), and every process opening the
// volume computes the same size.
std::uint64_t map_size_for(const std::filesystem::path& dir, std::uint64_t asked) {
    if (asked != 0) return asked;
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) != 0) return kMinAutoMapBytes;
    std::uint64_t size = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
    constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
    size = (size + kGiB - 1) / kGiB * kGiB;  // a multiple of any page size
    return std::clamp(size, kMinAutoMapBytes, kMaxAutoMapBytes);
}

}  // namespace

bool file_system_nearly_full(int fd) noexcept {
    struct statvfs fs {};
    if (::fstatvfs(fd, &fs) != 0) return false;
    // f_bavail: what a writer without root's reserve may still use. A write
    // that failed for lack of space leaves less than a block of it; the
    // slack covers other writers freeing or taking a little meanwhile.
    return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize < kNearlyFullBytes;
}

void throw_lmdb(int rc, const char* what, MDB_env* env) {
    Errc code = Errc::Internal;
    std::string detail = mdb_strerror(rc);
    if (rc == MDB_MAP_FULL || rc == ENOSPC || rc == EDQUOT) {
        code = Errc::NoSpace;
    } else if (rc == EIO || rc == MDB_PANIC || rc == MDB_CORRUPTED) {
        code = Errc::IoError;
        mdb_filehandle_t fd = -1;
        if (rc == EIO && env && mdb_env_get_fd(env, &fd) == 0 && file_system_nearly_full(fd)) {
            code = Errc::NoSpace;
            detail = "a write came up short: no space left on the device";
        }
    }
    throw DbFailure(code, std::string("metadata store: ") + what + ": " + detail);
}

Result<std::unique_ptr<Env>> Env::open(const std::filesystem::path& dir, std::uint64_t map_size_bytes) {
    std::unique_ptr<Env> env(new Env);
    auto fail = [&](int rc, const char* what) {
        return Result<std::unique_ptr<Env>>(
            rc == ENOSPC ? Errc::NoSpace : Errc::IoError,
            std::string("metadata store ") + dir.string() + ": " + what + ": " + mdb_strerror(rc));
    };
    int rc = mdb_env_create(&env->env_);
    if (rc) return fail(rc, "create");
    mdb_env_set_maxdbs(env->env_, static_cast<MDB_dbi>(Table::Count) + 2);
    mdb_env_set_maxreaders(env->env_, kMaxReaders);
    mdb_env_set_mapsize(env->env_, map_size_for(dir, map_size_bytes));
    // MDB_NOTLS: read transactions are not tied to a thread, so the gateway
    // may finish a request on another thread than it began.
    // Commits are fully durable (data pages synced, then the meta page):
    // the commit queue shares each commit among many changes.
    // MDB_NORDAHEAD: a read of a page not in memory reads that page alone.
    // With the kernel's readahead, each such read of the file's mapping reads
    // a window around it (up to read_ahead_kb of the disk: 8 MiB on some
    // virtual disks), and in a large volume the pages a PUT, GET or listing
    // needs are scattered: a PUT into a 10 M-object bucket right after a
    // start ran at 0.37x of an empty bucket's rate with readahead, 0.76-1.00x
    // without (bench/engine_scale_bench). Scrub, which reads everything,
    // keeps many reads in flight instead (body_scan.cpp).
    rc = mdb_env_open(env->env_, dir.c_str(), MDB_NOTLS | MDB_NORDAHEAD, 0640);
    if (rc) return fail(rc, "open");
    int dead = 0;
    mdb_reader_check(env->env_, &dead);       // free slots of crashed processes
    env->idle_reads_.reserve(kMaxIdleReads);  // keep_idle_read, called from noexcept code, never allocates

    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(env->env_, nullptr, 0, &txn);
    if (rc) return fail(rc, "begin");
    for (unsigned i = 0; i < kTableNames.size(); ++i) {
        rc = mdb_dbi_open(txn, kTableNames[i], MDB_CREATE, &env->dbis_[i]);
        if (rc) {
            mdb_txn_abort(txn);
            return fail(rc, "open table");
        }
    }
    rc = mdb_txn_commit(txn);
    if (rc) return fail(rc, "commit");
    return env;
}

Env::~Env() {
    for (MDB_txn* txn : idle_reads_) mdb_txn_abort(txn);
    if (env_) mdb_env_close(env_);
}

MDB_txn* Env::take_idle_read() const {
    std::lock_guard lock(idle_reads_mutex_);
    if (idle_reads_.empty()) return nullptr;
    MDB_txn* txn = idle_reads_.back();
    idle_reads_.pop_back();
    return txn;
}

void Env::keep_idle_read(MDB_txn* txn) const {
    {
        std::lock_guard lock(idle_reads_mutex_);
        if (idle_reads_.size() < kMaxIdleReads) {
            idle_reads_.push_back(txn);
            return;
        }
    }
    mdb_txn_abort(txn);
}

void prefetch_value(std::string_view value) noexcept {
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    if (value.size() <= page) return;
    auto begin = reinterpret_cast<std::uintptr_t>(value.data()) / page * page;
    auto end = reinterpret_cast<std::uintptr_t>(value.data()) + value.size();
    (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_WILLNEED);
}

namespace {

// Read transactions that cannot be freed (Txn::read): kept reachable here.
// Never destroyed, so that they stay reachable through exit.
void set_aside(MDB_txn* txn) {
    static std::mutex mutex;
    static auto* set_aside = new std::vector<MDB_txn*>;
    std::lock_guard lock(mutex);
    set_aside->push_back(txn);
}

}  // namespace

Txn Txn::read(const Env& env) {
    // A renewed transaction reads the newest snapshot, as a new one would.
    if (MDB_txn* txn = env.take_idle_read()) {
        int rc = mdb_txn_renew(txn);
        if (rc == 0) return Txn(&env, txn, true);
        // MDB_BAD_RSLOT: the slot is no longer this transaction's (another
        // Env of the same directory in this process was closed and cleared
        // it, and someone may have taken it since); an abort would clear it
        // under its new owner, and LMDB has no other way to free the handle,
        // so it is set aside for good (a few KiB per such close).
        if (rc == MDB_BAD_RSLOT)
            set_aside(txn);
        else
            mdb_txn_abort(txn);
    }
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env.get(), nullptr, MDB_RDONLY, &txn);
    if (rc) throw_lmdb(rc, "begin read");
    return Txn(&env, txn, true);
}

Txn Txn::write(const Env& env, Txn* parent) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env.get(), parent ? parent->txn_ : nullptr, 0, &txn);
    if (rc) throw_lmdb(rc, "begin write", env.get());
    return Txn(&env, txn, false);
}

std::optional<std::string_view> Txn::get(Table t, std::string_view key) const {
    MDB_val k = to_val(key), v{};
    int rc = mdb_get(txn_, env_->dbi(t), &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc) throw_lmdb(rc, "get");
    return to_sv(v);
}

void Txn::put(Table t, std::string_view key, std::string_view value) {
    MDB_val k = to_val(key), v = to_val(value);
    int rc = mdb_put(txn_, env_->dbi(t), &k, &v, 0);
    if (rc) throw_lmdb(rc, "put", env_->get());
}

void Txn::append(Table t, std::string_view key, std::string_view value) {
    MDB_val k = to_val(key), v = to_val(value);
    int rc = mdb_put(txn_, env_->dbi(t), &k, &v, MDB_APPEND);
    if (rc) throw_lmdb(rc, "append", env_->get());
}

bool Txn::del(Table t, std::string_view key) {
    MDB_val k = to_val(key);
    int rc = mdb_del(txn_, env_->dbi(t), &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    if (rc) throw_lmdb(rc, "del", env_->get());
    return true;
}

void Txn::commit() {
    MDB_txn* txn = std::exchange(txn_, nullptr);
    int rc = mdb_txn_commit(txn);
    if (rc) throw_lmdb(rc, "commit", env_->get());
}

void Txn::abort() noexcept {
    if (!txn_) return;
    MDB_txn* txn = std::exchange(txn_, nullptr);
    if (read_only_) {
        mdb_txn_reset(txn);  // the snapshot ends here, as an abort would end it
        env_->keep_idle_read(txn);
    } else {
        mdb_txn_abort(txn);
    }
}

Cursor Txn::cursor(Table t) const { return Cursor(txn_, env_->dbi(t)); }

std::size_t Txn::entries(Table t) const {
    MDB_stat st{};
    int rc = mdb_stat(txn_, env_->dbi(t), &st);
    if (rc) throw_lmdb(rc, "stat");
    return st.ms_entries;
}

void Txn::clear(Table t) {
    int rc = mdb_drop(txn_, env_->dbi(t), 0);
    if (rc) throw_lmdb(rc, "drop");
}

Cursor::Cursor(MDB_txn* txn, MDB_dbi dbi) {
    int rc = mdb_cursor_open(txn, dbi, &cur_);
    if (rc) throw_lmdb(rc, "cursor");
}

Cursor::~Cursor() {
    if (cur_) mdb_cursor_close(cur_);
}

Cursor::Entry Cursor::op(MDB_cursor_op o) {
    MDB_val k{}, v{};
    int rc = mdb_cursor_get(cur_, &k, &v, o);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc) throw_lmdb(rc, "cursor get");
    return std::make_pair(to_sv(k), to_sv(v));
}

Cursor::Entry Cursor::seek(std::string_view key) {
    if (key.empty()) return first();
    MDB_val k = to_val(key), v{};
    int rc = mdb_cursor_get(cur_, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc) throw_lmdb(rc, "cursor seek");
    return std::make_pair(to_sv(k), to_sv(v));
}

void Cursor::del() {
    int rc = mdb_cursor_del(cur_, 0);
    if (rc) throw_lmdb(rc, "cursor del", mdb_txn_env(mdb_cursor_txn(cur_)));
}

}  // namespace ostor::detail
