// The FUSE callbacks: each resolves its path in the tree and calls one
// handler, answering with the errno of the engine's error table.
//
// Contents are never cached by the kernel (direct I/O, zero attribute and
// entry timeouts), so every read shows the current state. A file's contents
// are taken once at open, so one `cat` sees one consistent snapshot.
//
// Writes take effect at write(), where an error reaches the writer (a shell
// reports "Invalid argument" for `echo bogus > limits`). Opening with O_TRUNC
// only marks the file: the first write then replaces its contents (for
// limits: all of them), and a close with nothing written (`: > limits`)
// empties it at flush, before close() returns — so a rejected write after
// O_TRUNC changes nothing. A shell writes line by line: when a write fails,
// the state saved at open is put back, undoing the earlier lines too.
#include "fuse_ops.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include "tree.hpp"

namespace ostor::fs {

namespace {

// Writes bigger than this are not admin input.
constexpr std::size_t kMaxWriteBytes = 64 * 1024;

struct OpenFile {
    Resolved node;
    std::string contents;           // what read() returns (taken at open)
    std::string saved;              // the state at open, for undoing a failed write
    bool truncate_pending = false;  // opened with O_TRUNC, nothing written yet
    bool written = false;           // a write was attempted
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

int op_write(const char*, const char* buf, size_t size, off_t, fuse_file_info* fi) {
    OpenFile* file = open_file(fi);
    bool replace = file->truncate_pending;
    file->truncate_pending = false;
    file->written = true;
    Result<void> done = size > kMaxWriteBytes ? Result<void>(Error(Errc::EntityTooLarge, "write too large"))
                                             : tree().write(file->node, std::string_view(buf, size), replace);
    if (!done) {
        (void)tree().restore(file->node, file->saved);
        return errno_of(done.error());
    }
    return static_cast<int>(size);
}

int op_truncate(const char* path, off_t size, fuse_file_info* fi) {
    if (size != 0) return -EINVAL;  // only emptying means something here
    if (fi && fi->fh) {
        open_file(fi)->truncate_pending = true;  // decided at the first write or at close
        return 0;
    }
    Resolved r;
    if (int rc = resolve(path, r)) return rc;
    if (tree().is_dir(r)) return -EISDIR;
    if (!tree().writable(r)) return -EACCES;
    auto done = tree().truncate(r);
    return done ? 0 : errno_of(done.error());
}

// close(2) waits for flush (not for release): an O_TRUNC open with nothing
// written empties the file here, so the change is done when the shell's
// command returns.
int op_flush(const char*, fuse_file_info* fi) {
    OpenFile* file = open_file(fi);
    if (!file->truncate_pending || file->written) return 0;
    file->truncate_pending = false;
    auto done = tree().truncate(file->node);
    return done ? 0 : errno_of(done.error());
}

int op_release(const char* path, fuse_file_info* fi) {
    op_flush(path, fi);  // in case no flush came
    delete open_file(fi);
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
