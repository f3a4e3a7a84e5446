// The space a full disk keeps for deletes.
//
// Deleting an object frees space, but its metadata commit needs a few free
// pages first (LMDB copies on write). On a file system filled to the last
// block every commit fails, deletes included, and the volume can never be
// emptied through the gateway. So writes that take space (objects, parts,
// copies, uploads and their completion) are refused with NoSpace (503)
// while less than kSpaceReservedForDeletesBytes would be left, and deletes
// are never refused for that reason.
#pragma once

#include <sys/statvfs.h>

#include <cstdint>
#include <filesystem>

namespace ostor::gw {

// Large enough for the metadata commits of many deletes and for the writes
// already in flight when the reserve is reached; small next to any real disk.
inline constexpr std::uint64_t kSpaceReservedForDeletesBytes = std::uint64_t{16} << 20;

// True when writing `bytes` more under `dir` leaves the reserve intact (or
// when the file system cannot tell).
inline bool space_for_write(const std::filesystem::path& dir, std::uint64_t bytes) {
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) != 0) return true;
    std::uint64_t available = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    return available >= kSpaceReservedForDeletesBytes && available - kSpaceReservedForDeletesBytes >= bytes;
}

}  // namespace ostor::gw
