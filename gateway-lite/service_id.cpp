#include "service_id.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

namespace ostor::gw {

namespace fs = std::filesystem;

namespace {

constexpr int kFreshIdAttempts = 16;
constexpr std::size_t kServiceIdDigits = 16;

Error io_error(const std::string& what) { return Error(Errc::IoError, what + ": " + std::strerror(errno)); }

// 16 decimal digits, the first not 0: the statistics objects carry it as a
// bare JSON number, which has no leading zeros.
bool valid_service_id(const std::string& id) {
    if (id.size() != kServiceIdDigits || id[0] == '0') return false;
    for (char c : id)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

// "127.0.0.1:9000" -> "service-127.0.0.1_9000.id": one file name per address.
fs::path address_file(const fs::path& dir, const std::string& address) {
    std::string name = "service-";
    for (char c : address) name += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
    return dir / (name + ".id");
}

Result<HeldServiceId> fresh_service_id(const fs::path& dir) {
    for (int attempt = 0; attempt < kFreshIdAttempts; ++attempt) {
        std::string id = random_service_id();
        fs::path lock = dir / (id + ".lock");
        // O_EXCL: an id whose lock file exists belongs to someone (live, or
        // dead with a checkpoint still to publish).
        int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) return io_error("cannot create " + lock.string());
        ::close(fd);
        auto taken = LockFile::try_take(lock);
        if (!taken) return std::move(taken).error();
        if (taken->held()) return HeldServiceId{id, std::move(*taken)};
    }
    return Error(Errc::Internal, "no free service id");
}

}  // namespace

Result<LockFile> LockFile::try_take(const fs::path& path) {
    for (;;) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) return io_error("cannot open " + path.string());
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);
            return LockFile();
        }
        // The previous holder may have removed the file between our open and
        // our flock: then the lock is on a file no one else will look at.
        struct stat held {
        }, named{};
        if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
            held.st_dev == named.st_dev) {
            LockFile lock;
            lock.path_ = path;
            lock.fd_ = fd;
            return lock;
        }
        ::close(fd);
    }
}

LockFile& LockFile::operator=(LockFile&& o) noexcept {
    if (this != &o) {
        release();
        path_ = std::move(o.path_);
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

void LockFile::remove_and_release() {
    if (fd_ < 0) return;
    std::error_code ec;
    fs::remove(path_, ec);
    release();
}

void LockFile::release() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

Result<void> write_durably(const fs::path& path, const std::string& content) {
    fs::path tmp = path;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("cannot create " + tmp.string());
    std::size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            auto e = io_error("cannot write " + tmp.string());
            ::close(fd);
            return e;
        }
        off += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        auto e = io_error("cannot sync " + tmp.string());
        ::close(fd);
        return e;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot rename " + tmp.string());
    int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

std::string random_service_id() {
    std::random_device rd;
    std::uniform_int_distribution<int> digit(0, 9);
    std::string id = "8";
    while (id.size() < kServiceIdDigits) id += static_cast<char>('0' + digit(rd));
    return id;
}

Result<HeldServiceId> take_service_id(const fs::path& dir, const std::string& address,
                                      const std::function<bool(const std::string& id)>& settle_leftover) {
    if (address.empty()) return fresh_service_id(dir);
    fs::path kept = address_file(dir, address);
    std::string id;
    {
        std::ifstream in(kept);
        std::getline(in, id);
    }
    if (!valid_service_id(id)) {
        // First start on this address (or a damaged file): a fresh id, kept.
        auto fresh = fresh_service_id(dir);
        if (!fresh) return fresh;
        if (auto written = write_durably(kept, fresh->id + "\n"); !written) return std::move(written).error();
        return fresh;
    }
    auto lock = LockFile::try_take(dir / (id + ".lock"));
    if (!lock) return std::move(lock).error();
    if (!lock->held()) {
        std::fprintf(stderr, "ostor-gateway: service id %s of %s is held by a live gateway; counting as a new one\n",
                     id.c_str(), address.c_str());
        return fresh_service_id(dir);
    }
    std::error_code ec;
    if (fs::exists(dir / (id + ".ckpt"), ec) && !settle_leftover(id)) {
        lock->remove_and_release();
        return fresh_service_id(dir);
    }
    return HeldServiceId{id, std::move(*lock)};
}

}  // namespace ostor::gw
