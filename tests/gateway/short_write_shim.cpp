// Fault injection for test_disk_full.py, loaded into ostor-gateway with
// LD_PRELOAD: while the file named by OSTOR_SHORT_WRITE_TRIGGER exists, every
// write of LMDB data pages (data.mdb past its two meta pages) stores only
// half of what it was asked to and returns the short count. That is what a
// write that runs out of space half-way does; LMDB reports it as EIO. The
// shim stands in for the kernel only: the gateway, the engine and LMDB run
// unchanged.
#include <dlfcn.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

// LMDB's page size on Linux x86-64 and its two meta pages at the start.
constexpr off_t kMetaPagesBytes = 2 * 4096;

bool shorten(int fd, off_t offset) {
    if (offset < kMetaPagesBytes) return false;
    const char* trigger = std::getenv("OSTOR_SHORT_WRITE_TRIGGER");
    if (!trigger || ::access(trigger, F_OK) != 0) return false;
    char link[64], target[4096];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = ::readlink(link, target, sizeof target - 1);
    if (n <= 0) return false;
    target[n] = '\0';
    std::size_t len = static_cast<std::size_t>(n);
    return len >= 9 && std::strcmp(target + len - 9, "/data.mdb") == 0;
}

template <class F>
F real(const char* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
    static auto next = real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
    if (count > 1 && shorten(fd, offset)) count /= 2;
    return next(fd, buf, count, offset);
}

extern "C" ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
    static auto next = real<ssize_t (*)(int, const struct iovec*, int)>("writev");
    if (iovcnt > 1 && shorten(fd, ::lseek(fd, 0, SEEK_CUR))) iovcnt /= 2;
    return next(fd, iov, iovcnt);
}
