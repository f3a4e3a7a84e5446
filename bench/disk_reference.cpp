// The disk's own rates, measured the way the engine uses the disk, as the
// reference for engine_put_bench (no dependency beyond libc):
//   fsync-pairs  4 KiB pwrite + fdatasync, one after the other, appending to
//                a new file, for about 3 s (ops/s)
//   seq-write    1 GiB in 1 MiB pwrites, then one fdatasync (MiB/s)
//   seq-read     the same file in 1 MiB preads after dropping its page cache
//                with posix_fadvise(DONTNEED) (MiB/s)
//
//   disk_reference DIR [SEQ_MIB]     (SEQ_MIB defaults to 1024; 0 measures
//                                     fsync-pairs only)
//
// Prints one "<figure> <value> <unit>" line per figure.
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
constexpr std::size_t kDefaultSeqMiB = 1024;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: disk_reference DIR [SEQ_MIB]\n");
        return 2;
    }
    std::size_t seq_bytes = (argc > 2 ? std::strtoull(argv[2], nullptr, 10) : kDefaultSeqMiB) * kChunkBytes;
    std::string path = std::string(argv[1]) + "/disk-reference-" + std::to_string(::getpid()) + ".dat";

    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die("open");

    std::vector<char> small(kSmallBytes, 'x');
    std::size_t ops = 0;
    auto start = Clock::now();
    while (seconds_since(start) < kFsyncSeconds) {
        if (::pwrite(fd, small.data(), small.size(), static_cast<off_t>(ops * kSmallBytes)) !=
            static_cast<ssize_t>(kSmallBytes))
            die("pwrite");
        if (::fdatasync(fd) != 0) die("fdatasync");
        ++ops;
    }
    std::printf("fsync-pairs %.0f ops/s\n", static_cast<double>(ops) / seconds_since(start));
    std::fflush(stdout);
    if (seq_bytes == 0) {
        ::close(fd);
        ::unlink(path.c_str());
        return 0;
    }
    if (::ftruncate(fd, 0) != 0 || ::fsync(fd) != 0) die("ftruncate");

    std::vector<char> chunk(kChunkBytes, 'y');
    start = Clock::now();
    for (std::size_t off = 0; off < seq_bytes; off += kChunkBytes)
        if (::pwrite(fd, chunk.data(), chunk.size(), static_cast<off_t>(off)) != static_cast<ssize_t>(kChunkBytes))
            die("pwrite");
    if (::fdatasync(fd) != 0) die("fdatasync");
    std::printf("seq-write %.0f MiB/s\n", static_cast<double>(seq_bytes / kChunkBytes) / seconds_since(start));
    std::fflush(stdout);

    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    start = Clock::now();
    for (std::size_t off = 0; off < seq_bytes; off += kChunkBytes)
        if (::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(off)) != static_cast<ssize_t>(kChunkBytes))
            die("pread");
    std::printf("seq-read %.0f MiB/s\n", static_cast<double>(seq_bytes / kChunkBytes) / seconds_since(start));

    ::close(fd);
    ::unlink(path.c_str());
    return 0;
}
