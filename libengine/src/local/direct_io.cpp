#include "local/direct_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace ostor::detail {

namespace {
std::atomic<bool> direct_io_refused{false};

// Regions start on 4 KiB blocks (segment_store.hpp) and the object writer's
// buffers on 4 KiB: a file system asking for more takes buffered writes.
constexpr std::uint32_t kMaxAlign = 4096;
}  // namespace

void testing::refuse_direct_io(bool refuse) { direct_io_refused = refuse; }

DirectIo probe_direct_io(const std::filesystem::path& dir) {
    if (direct_io_refused) return {};
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) return {};
    struct statx st {};
    bool known = ::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &st) == 0 && (st.stx_mask & STATX_DIOALIGN) != 0;
    ::close(fd);
    if (!known || st.stx_dio_offset_align == 0 || st.stx_dio_offset_align > kMaxAlign || st.stx_dio_mem_align == 0 ||
        st.stx_dio_mem_align > kMaxAlign)
        return {};
    return DirectIo{st.stx_dio_mem_align, st.stx_dio_offset_align};
}

int open_direct(const std::filesystem::path& path) {
    if (direct_io_refused) {
        errno = EINVAL;  // as a file system without O_DIRECT answers
        return -1;
    }
    return ::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
}

}  // namespace ostor::detail
