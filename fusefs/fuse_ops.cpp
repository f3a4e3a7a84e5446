// The FUSE callbacks: each resolves its path in the tree and calls one
// handler, answering with the errno of the engine's error table.
//
// Contents are never cached by the kernel (direct I/O, zero attribute and
// entry timeouts), so every read shows the current state. A file's contents
// are taken once at open, so one `cat` sees one consistent snapshot.
//
// A line takes effect when its newline is written, so a writer may split
// lines across write() calls as it likes (`dd bs=1`, python's os.write of
// pieces, several printf): each open file keeps the start of a line not yet
// ended, and a line still unended at close (`printf 1024 > quota`) takes
// effect at flush, before close() returns, which then reports its error.
// fsync does the same as close. Whole lines act at write(), where an error
// reaches every writer (a shell reports "Invalid argument" for
// `echo bogus > limits`, and ignores what close() says); the start of a line
// that no ending could make valid is refused at its write() too.
//
// Opening with O_TRUNC only marks the file: the first lines then replace its
// contents (for limits: all of them), and a close with nothing written
// (`: > limits`) empties it at flush, before close() returns — so a rejected
// write after O_TRUNC changes nothing. When a write (or the line ended at
// close) fails, the state saved at open is put back, undoing the earlier
// lines too, and the open file takes no more writes: nothing after a refused
// line acts.
#include "fuse_ops.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "tree.hpp"

namespace ostor::fs {

namespace {

// Writes bigger than this are not admin input.
constexpr std::size_t kMaxWriteBytes = 64 * 1024;
// Nor is a line this long still without its newline (admin lines are tens of
// bytes); the bound also keeps checking it at each write (`dd bs=1`) cheap.
constexpr std::size_t kMaxUnendedLineBytes = 4 * 1024;

struct OpenFile {
    Resolved node;
    std::string contents;           // what read() returns (taken at open)
    std::string saved;              // the state at open, for undoing a failed write
    bool truncate_pending = false;  // opened with O_TRUNC (or ftruncate-d), no line acted since
    std::string partial;            // the start of a line whose newline is still to come
    int failed = 0;                 // the (negative) errno of a refused write: the file takes no more
    std::uint64_t writer = 0;       // the lock owner (a process's descriptor table) of the last write
    // One open file may be written, flushed and truncated from several
    // threads of the loop (dup-ed descriptors).
    std::mutex mutex;
};

Tree& tree() { return **static_cast<std::unique_ptr<Tree>*>(fuse_get_context()->private_data); }
OpenFile* open_file(fuse_file_info* fi) { return reinterpret_cast<OpenFile*>(fi->fh); }

int errno_of(const Error& e) { return -e.info().errno_value; }

// Any failure to resolve a path is "no such file".
int resolve(const char* path, Resolved& out) {
    auto r = tree().resolve(path);
    if (!r) return r.error().code() == Errc::IoError ? -EIO : -ENOENT;
    out = std::move(*r);
    return 0;
}

std::pair<std::string, std::string> split_parent(std::string_view path) {
    auto slash = path.rfind('/');
    std::string parent(slash == 0 ? "/" : path.substr(0, slash));
    return {parent, std::string(path.substr(slash + 1))};
}

void* op_init(fuse_conn_info* conn, fuse_config* cfg) {
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    cfg->attr_timeout = 0;
    cfg->entry_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->hard_remove = 1;
    return fuse_get_context()->private_data;
}

int op_getattr(const char* path, struct stat* st, fuse_file_info*) {
    Resolved r;
    if (int rc = resolve(path, r)) return rc;
    std::memset(st, 0, sizeof *st);
    st->st_mode = tree().mode(r);
    st->st_uid = getuid();
    st->st_gid = getgid();
    st->st_atime = st->st_mtime = st->st_ctime = std::time(nullptr);
    if (tree().is_dir(r)) {
        st->st_nlink = 2;
        return 0;
    }
    st->st_nlink = 1;
    auto contents = tree().read(r);
    st->st_size = contents ? static_cast<off_t>(contents->size()) : 0;
    return 0;
}

int op_readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*, fuse_readdir_flags) {
    Resolved r;
    if (int rc = resolve(path, r)) return rc;
    if (!tree().is_dir(r)) return -ENOTDIR;
    auto names = tree().list(r);
    if (!names) return errno_of(names.error());
    fill(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    fill(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    for (const auto& n : *names) fill(buf, n.c_str(), nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    return 0;
}

int op_open(const char* path, fuse_file_info* fi) {
    Resolved r;
    if (int rc = resolve(path, r)) return rc;
    if (tree().is_dir(r)) return -EISDIR;
    int access = fi->flags & O_ACCMODE;
    bool writing = access != O_RDONLY || (fi->flags & O_TRUNC);
    if (writing && !tree().writable(r)) return -EACCES;
    auto file = std::make_unique<OpenFile>();
    file->node = std::move(r);
    if (access != O_WRONLY) {
        auto contents = tree().read(file->node);
        if (!contents) return errno_of(contents.error());
        file->contents = std::move(*contents);
    }
    if (writing) {
        auto saved = tree().save(file->node);
        if (!saved) return errno_of(saved.error());
        file->saved = std::move(*saved);
    }
    file->truncate_pending = (fi->flags & O_TRUNC) != 0;
    fi->fh = reinterpret_cast<std::uint64_t>(file.release());
    fi->direct_io = 1;
    return 0;
}

int op_read(const char*, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
    const std::string& data = open_file(fi)->contents;
    if (offset < 0 || static_cast<std::size_t>(offset) >= data.size()) return 0;
    std::size_t n = std::min(size, data.size() - static_cast<std::size_t>(offset));
    std::memcpy(buf, data.data() + offset, n);
    return static_cast<int>(n);
}

// Puts back the state saved at open and refuses every later write of this open.
int fail(OpenFile& file, const Error& e) {
    (void)tree().restore(file.node, file.saved);
    file.partial.clear();
    file.failed = errno_of(e);
    return file.failed;
}

Error not_a_line_start() { return Error(Errc::InvalidArgument, "not the start of a line this file takes"); }

// Performs whole lines: the first after O_TRUNC replace the file's contents.
int act(OpenFile& file, std::string_view lines) {
    auto done = tree().write(file.node, lines, file.truncate_pending);
    if (!done) return fail(file, done.error());
    file.truncate_pending = false;
    return 0;
}

int op_write(const char*, const char* buf, size_t size, off_t, fuse_file_info* fi) {
    OpenFile& file = *open_file(fi);
    std::lock_guard lock(file.mutex);
    if (file.failed) return file.failed;
    file.writer = fi->lock_owner;
    if (size > kMaxWriteBytes) return fail(file, Error(Errc::EntityTooLarge, "write too large"));
    std::string_view data(buf, size);
    auto last_newline = data.rfind('\n');
    // What stays unended after this write: checked before any line acts, so
    // a refused write changes nothing (a refusal also drops what was pending).
    std::string_view rest = last_newline == std::string_view::npos ? data : data.substr(last_newline + 1);
    std::size_t unended = rest.size() + (last_newline == std::string_view::npos ? file.partial.size() : 0);
    if (unended > kMaxUnendedLineBytes) return fail(file, Error(Errc::EntityTooLarge, "line too long"));
    if (last_newline == std::string_view::npos) {
        file.partial.append(data);
        if (!tree().may_begin_line(file.node, file.partial)) return fail(file, not_a_line_start());
        return static_cast<int>(size);
    }
    if (!tree().may_begin_line(file.node, rest)) return fail(file, not_a_line_start());
    std::string lines = std::exchange(file.partial, std::string(rest));
    lines.append(data.substr(0, last_newline + 1));
    if (int rc = act(file, lines)) return rc;
    return static_cast<int>(size);
}

int op_truncate(const char* path, off_t size, fuse_file_info* fi) {
    if (size != 0) return -EINVAL;  // only emptying means something here
    if (fi && fi->fh) {
        OpenFile& file = *open_file(fi);
        std::lock_guard lock(file.mutex);
        file.partial.clear();
        file.truncate_pending = true;  // decided by the next lines or at close
        return 0;
    }
    Resolved r;
    if (int rc = resolve(path, r)) return rc;
    if (tree().is_dir(r)) return -EISDIR;
    if (!tree().writable(r)) return -EACCES;
    auto done = tree().truncate(r);
    return done ? 0 : errno_of(done.error());
}

// Ends what this open file has pending: a line written without its newline
// acts, and an O_TRUNC open with nothing written empties the file.
int settle(OpenFile& file) {
    if (file.failed) return 0;  // already reported by the write refused
    if (!file.partial.empty()) return act(file, std::exchange(file.partial, std::string()));
    if (!file.truncate_pending) return 0;
    file.truncate_pending = false;
    auto done = tree().truncate(file.node);
    return done ? 0 : errno_of(done.error());
}

// close(2) waits for flush (not for release), so what settles here is done
// (or refused, with close() saying why) when the writer's close returns.
// Every close of a copy of the descriptor flushes, and a process that forks
// (a shell running a command, python's subprocess) closes the child's copy
// while its line may still be unended: only a close by the process that
// wrote last ends that line.
int op_flush(const char*, fuse_file_info* fi) {
    OpenFile& file = *open_file(fi);
    std::lock_guard lock(file.mutex);
    if (!file.partial.empty() && fi->lock_owner != file.writer) return 0;
    return settle(file);
}

// What was written is in the engine (its commits are durable) once its lines
// have acted: fsync ends a line not yet ended, as the writer's close does.
int op_fsync(const char*, int, fuse_file_info* fi) {
    OpenFile& file = *open_file(fi);
    std::lock_guard lock(file.mutex);
    return settle(file);
}

int op_release(const char*, fuse_file_info* fi) {
    std::unique_ptr<OpenFile> file(open_file(fi));
    std::lock_guard lock(file->mutex);
    (void)settle(*file);  // a line no close ended: nothing written is dropped
    return 0;
}

int op_mkdir(const char* path, mode_t) {
    auto [parent_path, name] = split_parent(path);
    Resolved parent;
    if (int rc = resolve(parent_path.c_str(), parent)) return rc;
    if (!can_make_dir_in(parent)) return -EPERM;
    if (Resolved existing; resolve(path, existing) == 0) return -EEXIST;
    auto done = tree().make_dir(parent, name);
    return done ? 0 : errno_of(done.error());
}

int op_rmdir(const char* path) {
    Resolved r;
    if (int rc = resolve(path, r)) return rc;
    if (!tree().is_dir(r)) return -ENOTDIR;
    if (!can_remove(r)) return -EPERM;
    auto done = tree().remove_dir(r);
    return done ? 0 : errno_of(done.error());
}

int op_unlink(const char* path) {
    Resolved r;
    if (int rc = resolve(path, r)) return rc;
    if (tree().is_dir(r)) return -EISDIR;
    if (!can_remove(r)) return -EPERM;
    auto done = tree().remove_file(r);
    return done ? 0 : errno_of(done.error());
}

// New files cannot be made: the tree's files are its state.
int op_create(const char* path, mode_t, fuse_file_info*) {
    Resolved r;
    return resolve(path, r) == 0 ? -EEXIST : -EACCES;
}

int op_chmod(const char*, mode_t, fuse_file_info*) { return -EPERM; }
int op_chown(const char*, uid_t, gid_t, fuse_file_info*) { return -EPERM; }
int op_rename(const char*, const char*, unsigned int) { return -EPERM; }
// `touch` on an existing file: nothing to change, nothing to refuse.
int op_utimens(const char* path, const timespec*, fuse_file_info*) {
    Resolved r;
    return resolve(path, r);
}

}  // namespace

fuse_operations admin_tree_operations() {
    fuse_operations ops{};
    ops.init = op_init;
    ops.getattr = op_getattr;
    ops.readdir = op_readdir;
    ops.open = op_open;
    ops.read = op_read;
    ops.write = op_write;
    ops.truncate = op_truncate;
    ops.flush = op_flush;
    ops.fsync = op_fsync;
    ops.release = op_release;
    ops.mkdir = op_mkdir;
    ops.rmdir = op_rmdir;
    ops.unlink = op_unlink;
    ops.create = op_create;
    ops.chmod = op_chmod;
    ops.chown = op_chown;
    ops.rename = op_rename;
    ops.utimens = op_utimens;
    return ops;
}

}  // namespace ostor::fs
