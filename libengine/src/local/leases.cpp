#include "local/leases.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hashing.hpp"

namespace ostor::detail {

namespace {

std::filesystem::path lock_path(const std::filesystem::path& run_dir, std::string_view instance) {
    return run_dir / (std::string(instance) + ".lock");
}

// Holds a dead instance's lock file while its leftovers are dropped; removes
// it afterwards (the instance is gone for good).
class LocalAdoptedLease final : public AdoptedLease {
public:
    LocalAdoptedLease(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
    // A flock has no duration: held until released.
    bool lost() const override { return false; }
    void release_unfinished() override { keep_file_ = true; }
    ~LocalAdoptedLease() override {
        if (fd_ >= 0) {
            if (!keep_file_) ::unlink(path_.c_str());
            ::close(fd_);
        }
    }

private:
    std::filesystem::path path_;
    int fd_;                  // -1: there was no lock file left
    bool keep_file_ = false;  // release_unfinished: the next open adopts it again
};

// A role's lock file, flocked while held.
class LocalRoleLease final : public RoleLease {
public:
    explicit LocalRoleLease(int fd) : fd_(fd) {}
    ~LocalRoleLease() override { ::close(fd_); }
    LocalRoleLease(const LocalRoleLease&) = delete;
    LocalRoleLease& operator=(const LocalRoleLease&) = delete;
    // A flock has no duration: held until released.
    bool lost() override { return false; }

private:
    int fd_;
};

}  // namespace

Result<std::unique_ptr<RoleLease>> LocalLeases::take_role(std::string_view name) {
    auto path = run_dir_ / (std::string(name) + ".lock");
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return Error(Errc::IoError, "cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int why = errno;
        ::close(fd);
        if (why == EWOULDBLOCK) return std::unique_ptr<RoleLease>();
        return Error(Errc::IoError, "cannot lock " + path.string() + ": " + std::strerror(why));
    }
    return std::unique_ptr<RoleLease>(std::make_unique<LocalRoleLease>(fd));
}

Result<std::unique_ptr<LocalLeases>> LocalLeases::acquire(const std::filesystem::path& run_dir) {
    std::unique_ptr<LocalLeases> leases(new LocalLeases());
    leases->run_dir_ = run_dir;
    leases->instance_id_ = random_hex16();
    auto path = lock_path(run_dir, leases->instance_id_);
    leases->lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (leases->lock_fd_ < 0 || ::flock(leases->lock_fd_, LOCK_EX | LOCK_NB) != 0)
        return Error(Errc::IoError, "cannot lock " + path.string() + ": " + std::strerror(errno));
    return leases;
}

LocalLeases::~LocalLeases() {
    if (lock_fd_ >= 0) {
        ::unlink(lock_path(run_dir_, instance_id_).c_str());
        ::close(lock_fd_);
    }
}

std::unique_ptr<AdoptedLease> LocalLeases::adopt_if_dead(std::string_view instance) {
    if (instance == instance_id_) return nullptr;
    auto path = lock_path(run_dir_, instance);
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    // Only a lock file that is gone says its Engine is: one this process may
    // not open (another user's, or out of descriptors) may still be held.
    if (fd < 0 && errno != ENOENT) return nullptr;
    if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);  // that Engine is still open (or being adopted)
        return nullptr;
    }
    return std::make_unique<LocalAdoptedLease>(std::move(path), fd);
}

}  // namespace ostor::detail
