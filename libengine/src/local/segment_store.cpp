#include "local/segment_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "codec.hpp"
#include "hashing.hpp"

namespace ostor::detail {

namespace {

// Open descriptors kept for reading; past this the cache starts over.
constexpr std::size_t kMaxCachedSegmentFiles = 1024;

Error errno_error(const std::string& what) {
    return Error(errno == ENOSPC || errno == EDQUOT ? Errc::NoSpace : Errc::IoError,
                 what + ": " + std::strerror(errno));
}

std::string segment_prefix(std::uint64_t segment) {
    std::string k;
    append_be64(k, segment);
    return k;
}

bool parse_segment_name(const char* name, std::uint64_t& id) {
    if (std::strncmp(name, "seg-", 4) != 0 || std::strlen(name) != 20) return false;
    std::string raw;
    if (!from_hex(name + 4, raw)) return false;
    id = read_be64(raw);
    return true;
}

// True when this descriptor still names the file at `path` (it was not
// unlinked by a process that held the lock before us).
bool still_linked(int fd, const std::filesystem::path& path) {
    struct stat by_fd {
    }, by_path{};
    if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0) return false;
    return by_fd.st_ino == by_path.st_ino && by_fd.st_dev == by_path.st_dev && by_fd.st_nlink > 0;
}

// 0, or the errno of the failed open or sync.
int fsync_dir(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = ::fsync(fd) == 0 ? 0 : errno;
    ::close(fd);
    return err;
}

}  // namespace

std::string extent_key(std::uint64_t segment, std::uint64_t offset) {
    std::string k;
    append_be64(k, segment);
    append_be64(k, offset);
    return k;
}

SegmentFile::~SegmentFile() {
    if (fd >= 0) ::close(fd);
}

SegmentStore::SegmentStore(std::filesystem::path blobs_dir, const Env& env, CommitQueue& commits)
    : blobs_dir_(std::move(blobs_dir)), env_(env), commits_(commits), reclaimer_([this] { reclaim_loop(); }) {}

SegmentStore::~SegmentStore() {
    stop_reclaimer();
    early_syncs_.reset();  // before the segments it holds are retired below
    {
        std::lock_guard lock(mu_);
        for (auto& a : active_) a.reset();  // retires it once no writer uses it (none may, by now)
    }
    drain_retired();
}

std::filesystem::path SegmentStore::path_of(std::uint64_t segment) const {
    char name[32];
    std::snprintf(name, sizeof name, "seg-%016" PRIx64, segment);
    return blobs_dir_ / name;
}

int ReadPins::fd(std::uint64_t segment) const {
    for (auto& [id, file] : files_)
        if (id == segment) return file->fd;
    return -1;
}

namespace {

bool lock_range(int fd, short type, std::uint64_t offset, std::uint64_t length, bool wait) {
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(offset);
    fl.l_len = static_cast<off_t>(length);
    int rc;
    do {
        rc = ::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
    } while (rc != 0 && errno == EINTR && wait);
    return rc == 0;
}

}  // namespace

bool SegmentStore::punch_unless_pinned(int fd, std::uint64_t offset, std::uint64_t length) {
    if (length == 0) return true;
    auto span = round_up_block(length);
    if (!lock_range(fd, F_WRLCK, offset, span, false)) return false;  // a reader holds it: it frees it after
    bool punched = punch(fd, offset, length);
    lock_range(fd, F_UNLCK, offset, span, false);
    return punched;
}

Result<ReadPins> SegmentStore::pin(const std::vector<Extent>& extents) {
    ReadPins pins;
    for (const Extent& x : extents) {
        int fd = pins.fd(x.segment);
        if (fd < 0) {
            auto path = path_of(x.segment);
            fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) return errno_error("open segment " + path.string());
            pins.files_.emplace_back(x.segment, std::make_shared<SegmentFile>(fd));
        }
        if (!lock_range(fd, F_RDLCK, x.offset, round_up_block(x.length), true))
            return errno_error("lock object data for reading");
    }
    return pins;
}

void SegmentStore::release_if_unreferenced(const std::vector<Extent>& extents) {
    std::vector<Extent> gone;
    try {
        Txn txn = Txn::read(env_);
        for (const Extent& x : extents)
            if (!txn.get(Table::Extents, extent_key(x.segment, x.offset))) gone.push_back(x);
    } catch (const DbFailure&) {
        return;  // left for the next reader or a recovery
    }
    if (!gone.empty()) release(gone);
}

bool SegmentStore::punch(int fd, std::uint64_t offset, std::uint64_t length) {
    if (length == 0) return true;
    int rc = ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                         static_cast<off_t>(round_up_block(length)));
    // A file system that punches no holes frees the space when the segment
    // is unlinked: trying again would not help.
    return rc == 0 || errno == EOPNOTSUPP;
}

Result<std::shared_ptr<Segment>> SegmentStore::create_segment(bool direct) {
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::string raw;
        from_hex(random_hex16(), raw);
        std::uint64_t id = read_be64(raw);
        if (id == 0) continue;
        auto path = path_of(id);
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) return errno_error("create segment " + path.string());
        // Another process's recovery may take the new file's lock before
        // us, find no extent in it and unlink it: then make another.
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || !still_linked(fd, path)) {
            ::close(fd);
            continue;
        }
        ++segments_created_;
        auto seg = std::make_unique<Segment>();
        seg->id = id;
        seg->fd = fd;
        // Its directory entry is made durable before any data in it is
        // acknowledged: by the sync of its data before a commit.
        seg->store = this;
        seg->created_seq = ++entries_created_;
        if (direct) {
            seg->direct_fd = open_direct(path);
            // Refused at open (EINVAL): the file system takes no direct
            // writes. Any other failure (no descriptor left, ...) leaves
            // only this segment buffered.
            if (seg->direct_fd < 0 && errno == EINVAL) direct_enabled_ = false;
        }
        return std::shared_ptr<Segment>(seg.release(), [this](Segment* s) { retire(s); });
    }
    return Error(Errc::IoError, "could not create a new segment file");
}

Result<Region> SegmentStore::allocate(std::uint64_t bytes, bool direct) {
    assert(bytes > 0 && bytes <= kExtentMaxBytes);
    drain_retired();
    bytes = round_up_block(bytes);
    direct = direct && direct_enabled_.load();
    std::shared_ptr<Segment> old;  // released after the lock: may retire
    std::lock_guard lock(mu_);
    auto& active = active_[direct ? 1 : 0];
    const bool full = active && active->end + bytes > kSegmentMaxBytes;
    if (!active || full || active->failed.load() || (direct && !active->takes_direct())) {
        auto fresh = create_segment(direct);
        if (!fresh) return std::move(fresh).error();
        old = std::exchange(active, std::move(*fresh));
        // Its writers' commits will sync it: start now (a large body's
        // next segment fills meanwhile). A buffered one's pages are being
        // written out already (sync_file_range), and each commit syncs it.
        if (full && old->takes_direct()) early_syncs_->sync_soon(old);
    }
    Region region{active, active->end, bytes};
    active->end += bytes;
    return region;
}

void SegmentStore::refuse_direct(Segment& segment) {
    segment.direct_refused = true;
    direct_enabled_ = false;
}

void SegmentStore::retire(Segment* segment) {
    std::lock_guard lock(retired_mu_);
    retired_.emplace_back(segment);
}

void SegmentStore::drain_retired() {
    std::vector<std::unique_ptr<Segment>> done;
    {
        std::lock_guard lock(retired_mu_);
        done.swap(retired_);
    }
    for (auto& seg : done) {
        // Every region of it was committed or punched: it is clean.
        if (!has_extents(seg->id)) {
            unlink_segment(seg->id);
        } else {
            auto key = segment_prefix(seg->id);
            (void)commits_.run([&](Txn& txn) -> Result<void> {
                txn.put(Table::Segments, key, "clean");
                return {};
            });
        }
        if (seg->direct_fd >= 0) ::close(seg->direct_fd);
        ::close(seg->fd);  // releases the claim
    }
}

namespace {
std::atomic<int> injected_sync_failures{0};
std::atomic<int> injected_sync_errno{0};
}  // namespace

void testing::fail_next_segment_syncs(int count, int err) {
    injected_sync_errno = err;
    injected_sync_failures = count;
}

void mark_segment_failed(Segment& segment) { segment.failed = true; }

Result<void> sync_segment(Segment& segment) {
    std::lock_guard lock(segment.sync_mu);
    if (segment.failed)
        return Error(Errc::IoError, "object data of segment " + std::to_string(segment.id) +
                                        " may be lost: an earlier write or sync of it failed");
    int rc = ::fdatasync(segment.fd);
    int err = errno;
    if (rc == 0 && segment.store) {
        if (auto r = segment.store->sync_entries(segment.created_seq); !r) return r;
    }
    for (int n = injected_sync_failures.load(); n > 0;)
        if (injected_sync_failures.compare_exchange_weak(n, n - 1)) {
            rc = -1;
            err = injected_sync_errno;
            break;
        }
    if (rc == 0) return {};
    mark_segment_failed(segment);
    // Writeback that found no room reports EIO on some file systems.
    bool no_space = err == ENOSPC || err == EDQUOT || (err == EIO && file_system_nearly_full(segment.fd));
    return Error(no_space ? Errc::NoSpace : Errc::IoError,
                 std::string("fdatasync of object data failed: ") + std::strerror(err));
}

Result<void> SegmentStore::sync_entries(std::uint64_t created_seq) {
    if (entries_synced_.load() >= created_seq) return {};
    std::lock_guard lock(entries_mu_);
    if (entries_synced_.load() >= created_seq) return {};  // synced while we waited
    // Every segment made so far is in the directory: one sync covers them.
    const std::uint64_t made = entries_created_.load();
    if (int err = fsync_dir(blobs_dir_); err != 0)
        return Error(err == ENOSPC || err == EDQUOT ? Errc::NoSpace : Errc::IoError,
                     "sync of " + blobs_dir_.string() + " failed: " + std::strerror(err));
    entries_synced_ = made;
    return {};
}

bool SegmentStore::has_extents(std::uint64_t segment) {
    try {
        Txn txn = Txn::read(env_);
        auto prefix = segment_prefix(segment);
        auto cur = txn.cursor(Table::Extents);
        auto e = cur.seek(prefix);
        return e && e->first.substr(0, 8) == prefix;
    } catch (const DbFailure&) {
        return true;  // when in doubt, keep the data
    }
}

void SegmentStore::unlink_segment(std::uint64_t id) {
    {
        std::lock_guard lock(mu_);
        files_.erase(id);
    }
    ::unlink(path_of(id).c_str());
    auto key = segment_prefix(id);
    (void)commits_.run([&](Txn& txn) -> Result<void> {
        txn.del(Table::Segments, key);
        return {};
    });
}

Result<std::shared_ptr<SegmentFile>> SegmentStore::open_file(std::uint64_t segment) {
    {
        std::lock_guard lock(mu_);
        auto it = files_.find(segment);
        if (it != files_.end()) return it->second;
    }
    auto path = path_of(segment);
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return errno_error("open segment " + path.string());
    auto file = std::make_shared<SegmentFile>(fd);
    std::lock_guard lock(mu_);
    if (files_.size() >= kMaxCachedSegmentFiles) files_.clear();
    files_.emplace(segment, file);
    return file;
}

bool SegmentStore::unlink_if_empty(std::uint64_t id) {
    if (has_extents(id)) return false;
    // Unlink only a segment nobody appends to: take its claim first.
    auto path = path_of(id);
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    bool unlinked = ::flock(fd, LOCK_EX | LOCK_NB) == 0 && still_linked(fd, path) && !has_extents(id);
    if (unlinked) unlink_segment(id);
    ::close(fd);
    return unlinked;
}

bool SegmentStore::sync_dir() { return fsync_dir(blobs_dir_) == 0; }

bool SegmentStore::is_gone(std::uint64_t segment) const {
    return ::access(path_of(segment).c_str(), F_OK) != 0 && errno == ENOENT;
}

void SegmentStore::add_refs(Txn& txn, const std::vector<Extent>& extents) {
    for (const Extent& e : extents) {
        auto key = extent_key(e.segment, e.offset);
        std::uint32_t refs = 0;
        if (auto v = txn.get(Table::Extents, key)) {
            Decoder d(*v);
            d.u32();
            refs = d.u32();
        }
        txn.put(Table::Extents, key, Encoder().u32(e.length).u32(refs + 1).take());
    }
}

void SegmentStore::drop_refs(Txn& txn, const std::vector<Extent>& extents, std::vector<Extent>& freed) {
    for (const Extent& e : extents) {
        auto key = extent_key(e.segment, e.offset);
        auto v = txn.get(Table::Extents, key);
        assert(v && "dropping a reference to an unknown extent");
        if (!v) continue;
        Decoder d(*v);
        std::uint32_t length = d.u32();
        std::uint32_t refs = d.u32();
        assert(refs > 0);
        if (refs <= 1) {
            txn.del(Table::Extents, key);
            txn.put(Table::FreedExtents, key, Encoder().u32(length).take());
            freed.push_back(e);
        } else {
            txn.put(Table::Extents, key, Encoder().u32(length).u32(refs - 1).take());
        }
    }
}

std::vector<Extent> SegmentStore::extents_in(const Txn& txn, Table table) {
    std::vector<Extent> out;
    auto cur = txn.cursor(table);
    for (auto e = cur.first(); e; e = cur.next()) {
        Decoder d(e->second);
        out.push_back(Extent{read_be64(e->first, 0), read_be64(e->first, 8), d.u32(), 0});
    }
    return out;
}

Result<void> SegmentStore::recover() {
    direct_ = probe_direct_io(blobs_dir_);
    direct_enabled_ = direct_.enabled();
    if (auto r = reclaim_listed(); !r) return r;
    DIR* dir = ::opendir(blobs_dir_.c_str());
    if (!dir) return errno_error("open " + blobs_dir_.string());
    std::vector<std::uint64_t> ids;
    while (dirent* ent = ::readdir(dir)) {
        std::uint64_t id;
        if (parse_segment_name(ent->d_name, id)) ids.push_back(id);
    }
    ::closedir(dir);

    for (std::uint64_t id : ids) {
        auto path = path_of(id);
        int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) continue;  // unlinked meanwhile
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || !still_linked(fd, path)) {
            ::close(fd);  // a live process appends to it: not ours to touch
            continue;
        }
        bool clean = false;
        try {
            Txn txn = Txn::read(env_);
            clean = txn.get(Table::Segments, segment_prefix(id)).has_value();
        } catch (const DbFailure& e) {
            ::close(fd);
            return Error(e.code, e.what());
        }
        auto r = recover_segment(id, fd, clean);
        ::close(fd);
        if (!r) return r;
    }
    return {};
}

Result<void> SegmentStore::recover_segment(std::uint64_t id, int fd, bool clean) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> live;  // offset, length
    try {
        Txn txn = Txn::read(env_);
        auto prefix = segment_prefix(id);
        auto cur = txn.cursor(Table::Extents);
        for (auto e = cur.seek(prefix); e && e->first.substr(0, 8) == prefix; e = cur.next()) {
            Decoder d(e->second);
            live.emplace_back(read_be64(e->first, 8), d.u32());
            // A clean segment only needs to know it holds an extent: its
            // whole list would be one random metadata read after another at
            // every open of a cold volume.
            if (clean) break;
        }
    } catch (const DbFailure& e) {
        return Error(e.code, e.what());
    }
    if (live.empty()) {
        unlink_segment(id);
        return {};
    }
    if (clean) return {};
    // Everything between committed extents was written by a writer that
    // never committed: give it back, and cut what lies past the last one.
    std::uint64_t cursor = 0;
    for (auto [offset, length] : live) {
        if (offset > cursor) punch_unless_pinned(fd, cursor, offset - cursor);
        cursor = std::max(cursor, round_up_block(offset + length));
    }
    // Cut the tail, unless a reader still reads a deleted extent there: then
    // the segment stays unclean and the next recovery tries again.
    if (!lock_range(fd, F_WRLCK, cursor, 0, false)) return {};
    int rc = ::ftruncate(fd, static_cast<off_t>(cursor));
    lock_range(fd, F_UNLCK, cursor, 0, false);
    if (rc != 0) return errno_error("truncate segment");
    if (::fdatasync(fd) != 0) return errno_error("sync segment");
    auto key = segment_prefix(id);
    return commits_.run([&](Txn& txn) -> Result<void> {
        txn.put(Table::Segments, key, "clean");
        return {};
    });
}

}  // namespace ostor::detail
