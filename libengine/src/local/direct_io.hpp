// O_DIRECT for the segment files that take large bodies.
//
// Direct and buffered writes never share a segment: the page cache may hold
// a page (or a large folio, up to 2 MiB on XFS, 64 KiB pages on some arm64
// kernels) spanning the regions of several writers, and the kernel cannot
// drop a dirty page that a direct write covers. So a segment is either
// written only with O_DIRECT (its last blocks padded with zeros) or only
// through the page cache; reads of both go through the page cache, which a
// segment without dirty pages keeps coherent.
//
// The alignment comes from the file system (statx STATX_DIOALIGN, Linux
// 6.1+); where it reports none, or more than a block, everything is buffered.
#pragma once

#include <cstdint>
#include <filesystem>

namespace ostor::detail {

struct DirectIo {
    std::uint32_t memory_align = 0;  // of the buffer's address
    std::uint32_t offset_align = 0;  // of file offsets and lengths; 0: no direct writes
    bool enabled() const { return offset_align != 0; }
};

// What the file system under `dir` accepts for O_DIRECT writes of regular
// files (probed on an unnamed temporary file); disabled when unknown.
DirectIo probe_direct_io(const std::filesystem::path& dir);

// A second descriptor of the segment at `path` for its O_DIRECT writes, or
// -1 (refused: the writes then go through the buffered descriptor).
int open_direct(const std::filesystem::path& path);

namespace testing {
// Test only: from now on probes report no O_DIRECT support, as on a file
// system without it (tmpfs before Linux 6.6, most FUSE and network ones).
void refuse_direct_io(bool refuse);
}  // namespace testing

}  // namespace ostor::detail
