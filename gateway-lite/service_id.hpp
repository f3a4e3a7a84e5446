// Service ids of usage statistics (usage_stats.hpp) and the files under
// <data>/gw-stats/ that keep them: a lock per live instance and, per
// listening address, the id that address's gateway reuses across restarts.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "ostor/error.hpp"

namespace ostor::gw {

// An exclusive flock on a lock file, held while the object lives. The lock
// is on the file the path names now: a lock file removed and created again
// by another process meanwhile is never mistaken for it.
class LockFile {
public:
    // Nothing held when the lock is taken by a live holder (held() false).
    // Fails: IoError.
    static Result<LockFile> try_take(const std::filesystem::path& path);
    LockFile() = default;
    LockFile(LockFile&& o) noexcept : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)) {}
    LockFile& operator=(LockFile&& o) noexcept;
    ~LockFile() { release(); }
    bool held() const { return fd_ >= 0; }
    // Removes the file and drops the lock (the holder's last act).
    void remove_and_release();

private:
    void release() noexcept;
    std::filesystem::path path_;
    int fd_ = -1;
};

// Writes `content` to `path` durably: a temporary file, fsync, rename, fsync
// of the directory. Fails: IoError.
Result<void> write_durably(const std::filesystem::path& path, const std::string& content);

// A fresh service id: "8" and 15 random decimal digits (printed as a bare
// JSON number in the statistics objects).
std::string random_service_id();

struct HeldServiceId {
    std::string id;
    LockFile lock;
};

// The service id this instance counts under, its lock held: the one kept
// for `address` in `dir` when no live gateway holds it (created and kept on
// first use), else a fresh one. `settle_leftover` is called, with the lock
// held, on a checkpoint that the address's previous instance left and no one
// published; when it fails the id is left for a later start and a fresh one
// is used. Fails: IoError.
Result<HeldServiceId> take_service_id(const std::filesystem::path& dir, const std::string& address,
                                      const std::function<bool(const std::string& id)>& settle_leftover);

}  // namespace ostor::gw
