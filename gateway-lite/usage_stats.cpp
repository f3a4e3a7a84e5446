#include "usage_stats.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "ostor/admin_format.hpp"

namespace ostor::gw {

namespace {

namespace fs = std::filesystem;

constexpr const char* kCheckpointSuffix = ".ckpt";
constexpr const char* kLockSuffix = ".lock";

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Error io_error(const std::string& what) { return Error(Errc::IoError, what + ": " + std::strerror(errno)); }

// Service ids are printed as a bare JSON number in the statistics objects
// (001_*.txt), so they are decimal digits only: "8" and 15 random digits.
std::string random_service_id() {
    std::random_device rd;
    std::uniform_int_distribution<int> digit(0, 9);
    std::string id = "8";
    for (int i = 0; i < 15; ++i) id += static_cast<char>('0' + digit(rd));
    return id;
}

// Writes `content` to `path` durably: a temporary file, fsync, rename, fsync
// of the directory.
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

admin::Json counters_json(const UsageCounters& c) {
    admin::Json ops = admin::Json::object();
    ops.set("put", c.put).set("get", c.get).set("list", c.list).set("other", c.other);
    admin::Json net = admin::Json::object();
    net.set("uploaded", c.uploaded).set("downloaded", c.downloaded);
    admin::Json j = admin::Json::object();
    j.set("ops", std::move(ops)).set("net_io", std::move(net));
    return j;
}

}  // namespace

namespace {

// Leftovers this old are no live gateway's: a live one renames its .tmp
// within the second and flocks its .lock right after creating it.
bool older_than_a_minute(const fs::path& path) {
    std::error_code ec;
    auto modified = fs::last_write_time(path, ec);
    return !ec && fs::file_time_type::clock::now() - modified > std::chrono::minutes(1);
}

void log_orphan(const fs::path& ckpt, std::string_view what, const Error& e) {
    std::fprintf(stderr, "ostor-gateway: usage checkpoint %s: %.*s: %.*s\n", ckpt.c_str(), static_cast<int>(what.size()),
                 what.data(), static_cast<int>(e.message().size()), e.message().data());
}

}  // namespace

Result<std::size_t> publish_orphaned_checkpoints(Engine& engine, const fs::path& dir) {
    std::error_code ec;
    std::vector<fs::path> checkpoints, locks;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const auto& path = entry.path();
        if (path.extension() == kCheckpointSuffix) checkpoints.push_back(path);
        else if (path.extension() == kLockSuffix) locks.push_back(path);
        else if (path.extension() == ".tmp" && older_than_a_minute(path)) {
            std::error_code removed;
            fs::remove(path, removed);  // a checkpoint its killed writer never renamed
        }
    }
    if (ec) return Error(Errc::IoError, "cannot list " + dir.string() + ": " + ec.message());
    std::size_t published = 0;
    for (const auto& ckpt : checkpoints) {
        fs::path lock = ckpt;
        lock.replace_extension(kLockSuffix);
        int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) return io_error("cannot open " + lock.string());
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {  // its gateway is alive
            ::close(fd);
            continue;
        }
        std::ifstream in(ckpt, std::ios::binary);
        std::string name;
        std::getline(in, name);
        std::stringstream rest;
        rest << in.rdbuf();
        bool done = true;
        // Already stored when its gateway was killed between storing the
        // period and removing the checkpoint: stored once only.
        if (!name.empty() && !engine.get_usage_object(name)) {
            if (auto stored = engine.put_usage_object(name, rest.str()); !stored) {
                // Not a reason to refuse to start: a bad one is set aside for
                // the admin, anything else is tried again at the next start.
                done = false;
                if (stored.error().code() == Errc::InvalidArgument) {
                    fs::path bad = ckpt;
                    bad += ".bad";
                    fs::rename(ckpt, bad, ec);
                    log_orphan(ckpt, "set aside as .bad", stored.error());
                } else {
                    log_orphan(ckpt, "kept for the next start", stored.error());
                }
            } else {
                ++published;
            }
        }
        if (done) fs::remove(ckpt, ec);
        fs::remove(lock, ec);
        ::close(fd);
    }
    // Locks of gateways that stopped without a checkpoint left (a kill
    // before their first one).
    for (const auto& lock : locks) {
        fs::path ckpt = lock;
        ckpt.replace_extension(kCheckpointSuffix);
        if (fs::exists(ckpt, ec) || !older_than_a_minute(lock)) continue;
        int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) continue;
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) fs::remove(lock, ec);
        ::close(fd);
    }
    return published;
}

Result<std::unique_ptr<UsageStats>> UsageStats::start(Engine& engine, UsageStatsOptions options) {
    fs::path dir = engine.directory() / "gw-stats";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Error(Errc::IoError, "cannot create " + dir.string() + ": " + ec.message());
    auto orphans = publish_orphaned_checkpoints(engine, dir);
    if (!orphans) return std::move(orphans).error();

    for (int attempt = 0; attempt < 16; ++attempt) {
        std::string id = random_service_id();
        fs::path lock = dir / (id + kLockSuffix);
        int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) return io_error("cannot create " + lock.string());
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);
            continue;
        }
        return std::unique_ptr<UsageStats>(new UsageStats(engine, options, dir, id, fd));
    }
    return Error(Errc::Internal, "no free service id");
}

UsageStats::UsageStats(Engine& engine, UsageStatsOptions options, fs::path dir, std::string service_id, int lock_fd)
    : engine_(engine), options_(options), dir_(std::move(dir)), service_id_(std::move(service_id)), lock_fd_(lock_fd),
      period_start_s_(now_s()) {
    thread_ = std::thread([this] { run(); });
}

UsageStats::~UsageStats() {
    stop();
    std::error_code ec;
    fs::remove(dir_ / (service_id_ + kLockSuffix), ec);
    ::close(lock_fd_);
}

void UsageStats::record(const UsageKey& key, OpClass op, std::uint64_t uploaded, std::uint64_t downloaded) {
    std::lock_guard lock(mu_);
    auto& c = counters_[key];
    switch (op) {
        case OpClass::Get: ++c.get; break;
        case OpClass::Put: ++c.put; break;
        case OpClass::List: ++c.list; break;
        case OpClass::Delete:
        case OpClass::Default: ++c.other; break;
    }
    c.uploaded += uploaded;
    c.downloaded += downloaded;
    dirty_ = true;
}

std::vector<std::pair<UsageKey, UsageCounters>> UsageStats::current() const {
    std::lock_guard lock(mu_);
    return {counters_.begin(), counters_.end()};
}

std::pair<std::string, std::string> UsageStats::document(const std::map<UsageKey, UsageCounters>& counters,
                                                         std::int64_t start_s, std::int64_t end_s) const {
    std::string name = "s3-usage-" + service_id_ + "-" + admin::iso8601_ms(start_s * 1000) + "-" +
                       std::to_string(options_.period.count());
    admin::Json items = admin::Json::array();
    for (const auto& [key, c] : counters) {
        admin::Json k = admin::Json::object();
        k.set("bucket", key.bucket).set("epoch", key.epoch).set("user_id", key.user_id).set("tag", key.tag);
        admin::Json item = admin::Json::object();
        item.set("key", std::move(k)).set("counters", counters_json(c));
        items.push(std::move(item));
    }
    admin::Json doc = admin::Json::object();
    doc.set("fmt_version", 1)
        .set("service_id", admin::Json::raw_number(service_id_))
        .set("start_ts", static_cast<std::int64_t>(start_s))
        .set("period", static_cast<std::int64_t>(end_s - start_s))
        .set("nr_items", static_cast<std::uint64_t>(counters.size()))
        .set("items", std::move(items));
    return {name, doc.pretty()};
}

void UsageStats::checkpoint(std::int64_t now) {
    std::map<UsageKey, UsageCounters> snapshot;
    std::int64_t start = 0;
    {
        std::lock_guard lock(mu_);
        if (!dirty_) return;
        snapshot = counters_;
        start = period_start_s_;
        dirty_ = false;
    }
    auto [name, json] = document(snapshot, start, now);
    auto written = write_durably(dir_ / (service_id_ + kCheckpointSuffix), name + "\n" + json);
    if (!written) {
        std::fprintf(stderr, "ostor-gateway: usage checkpoint failed: %.*s\n",
                     static_cast<int>(written.error().message().size()), written.error().message().data());
        std::lock_guard lock(mu_);
        dirty_ = true;
    }
}

void UsageStats::publish(std::int64_t now) {
    std::map<UsageKey, UsageCounters> taken;
    std::int64_t start = 0;
    {
        std::lock_guard lock(mu_);
        taken.swap(counters_);
        start = period_start_s_;
        period_start_s_ = now;
        dirty_ = false;
    }
    if (!taken.empty()) {
        auto [name, json] = document(taken, start, now);
        auto stored = engine_.put_usage_object(name, json);
        if (!stored) {
            // Kept for the next period rather than lost.
            std::fprintf(stderr, "ostor-gateway: cannot store %s: %.*s\n", name.c_str(),
                         static_cast<int>(stored.error().message().size()), stored.error().message().data());
            std::lock_guard lock(mu_);
            for (const auto& [key, c] : taken) {
                auto& into = counters_[key];
                into.put += c.put, into.get += c.get, into.list += c.list, into.other += c.other;
                into.uploaded += c.uploaded, into.downloaded += c.downloaded;
            }
            dirty_ = true;
            return;
        }
    }
    // The stored object now holds what the checkpoint held.
    // Anything counted since the swap is dirty and goes into the next
    // checkpoint.
    std::error_code ec;
    fs::remove(dir_ / (service_id_ + kCheckpointSuffix), ec);
}

void UsageStats::run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        wake_.wait_for(lock, options_.checkpoint_interval, [this] { return stopping_; });
        if (stopping_) break;
        bool period_over = now_s() >= period_start_s_ + options_.period.count();
        lock.unlock();
        if (period_over) publish(now_s());
        else checkpoint(now_s());
        lock.lock();
    }
    lock.unlock();
    publish(now_s());
}

void UsageStats::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace ostor::gw
