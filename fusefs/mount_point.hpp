// The checks of a mount point that libfuse3 no longer makes itself, done
// before mounting (and before a daemon forks, so its exit status says it).
#pragma once

#include <string>

#include "ostor/error.hpp"

namespace ostor::fs {

// The file system type the tree shows in /proc/self/mountinfo ("-o subtype=ostor").
inline constexpr const char* kTreeFsType = "fuse.ostor";

// Whether the tree may be mounted at `path`. Fails (InvalidArgument, with the
// message to print): `path` cannot be reached or is not a directory; the tree
// is already mounted there (a second mount would hide the first); `path`
// holds files and `allow_nonempty` is false (the mount would hide them).
Result<void> check_mount_point(const std::string& path, bool allow_nonempty);

}  // namespace ostor::fs
