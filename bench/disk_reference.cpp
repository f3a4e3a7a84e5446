// The disk's own rates, measured the way the engine uses the disk, as the
// reference for bench/engine_bench:
//   fsync-pairs   4 KiB pwrite + fdatasync, one after the other (ops/s)
//   seq-write     1 GiB in 1 MiB pwrites, then fdatasync (MiB/s)
//   seq-read      the same file after dropping its page cache (MiB/s)
//
//   disk_reference DIR
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kFsyncSeconds = 3.0;
constexpr std::size_t kSmallBytes = 4096;
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
constexpr std::size_t kSeqBytes = std::size_t{1} << 30;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: disk_reference DIR\n");
        return 2;
    }
    std::string path = std::string(argv[1]) + "/disk-reference.dat";

    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die("open");
    std::vector<char> small(kSmallBytes, 'x');
    std::size_t ops = 0;
    auto start = Clock::now();
    while (seconds_since(start) < kFsyncSeconds) {
        if (::pwrite(fd, small.data(), small.size(), static_cast<off_t>(ops * kSmallBytes)) != (ssize_t)kSmallBytes)
            die("pwrite");
        if (::fdatasync(fd) != 0) die("fdatasync");
        ++ops;
    }
    std::printf("fsync-pairs %.0f ops/s\n", static_cast<double>(ops) / seconds_since(start));
    ::ftruncate(fd, 0);

    std::vector<char> chunk(kChunkBytes, 'y');
    start = Clock::now();
    for (std::size_t off = 0; off < kSeqBytes; off += kChunkBytes)
        if (::pwrite(fd, chunk.data(), chunk.size(), static_cast<off_t>(off)) != (ssize_t)kChunkBytes) die("pwrite");
    if (::fdatasync(fd) != 0) die("fdatasync");
    std::printf("seq-write %.0f MiB/s\n", static_cast<double>(kSeqBytes >> 20) / seconds_since(start));

    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    start = Clock::now();
    for (std::size_t off = 0; off < kSeqBytes; off += kChunkBytes)
        if (::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(off)) != (ssize_t)kChunkBytes) die("pread");
    std::printf("seq-read %.0f MiB/s\n", static_cast<double>(kSeqBytes >> 20) / seconds_since(start));

    ::close(fd);
    ::unlink(path.c_str());
    return 0;
}
