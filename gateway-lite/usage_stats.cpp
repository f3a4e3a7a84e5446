#include "usage_stats.hpp"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "ostor/admin_format.hpp"
#include "service_id.hpp"
#include "util.hpp"

namespace ostor::gw {

namespace {

namespace fs = std::filesystem;

constexpr const char* kCheckpointSuffix = ".ckpt";
constexpr const char* kLockSuffix = ".lock";

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
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
    std::fprintf(stderr, "ostor-gateway: usage checkpoint %s: %.*s: %.*s\n", ckpt.c_str(),
                 static_cast<int>(what.size()), what.data(), static_cast<int>(e.message().size()), e.message().data());
}

// Stores the checkpoint `ckpt` (its lock held) as the statistics object it
// names, once: an object of that name already stored means its gateway was
// killed between storing the period and removing the checkpoint. True when
// the checkpoint is settled (stored, already stored, or set aside as .bad)
// and removed.
bool settle_checkpoint(Engine& engine, const fs::path& ckpt, std::size_t& published) {
    std::ifstream in(ckpt, std::ios::binary);
    std::string name;
    std::getline(in, name);
    std::stringstream rest;
    rest << in.rdbuf();
    std::error_code ec;
    if (!name.empty() && !engine.get_usage_object(name)) {
        if (auto stored = engine.put_usage_object(name, rest.str()); !stored) {
            // Not a reason to refuse to start: a bad one is set aside for
            // the admin, anything else is tried again at the next start.
            if (stored.error().code() == Errc::InvalidArgument) {
                fs::path bad = ckpt;
                bad += ".bad";
                fs::rename(ckpt, bad, ec);
                log_orphan(ckpt, "set aside as .bad", stored.error());
                return true;
            }
            log_orphan(ckpt, "kept for the next start", stored.error());
            return false;
        }
        ++published;
    }
    fs::remove(ckpt, ec);
    return true;
}

}  // namespace

Result<std::size_t> publish_orphaned_checkpoints(Engine& engine, const fs::path& dir) {
    std::error_code ec;
    std::vector<fs::path> checkpoints, locks;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const auto& path = entry.path();
        if (path.extension() == kCheckpointSuffix)
            checkpoints.push_back(path);
        else if (path.extension() == kLockSuffix)
            locks.push_back(path);
        else if (path.extension() == ".tmp" && older_than_a_minute(path)) {
            std::error_code removed;
            fs::remove(path, removed);  // a checkpoint its killed writer never renamed
        }
    }
    if (ec) return Error(Errc::IoError, "cannot list " + dir.string() + ": " + ec.message());
    std::size_t published = 0;
    for (const auto& ckpt : checkpoints) {
        fs::path lock_path = ckpt;
        lock_path.replace_extension(kLockSuffix);
        auto lock = LockFile::try_take(lock_path);
        if (!lock) return std::move(lock).error();
        if (!lock->held()) continue;  // its gateway is alive
        // Settled by another starting gateway since we listed it.
        if (!fs::exists(ckpt, ec)) continue;
        // A checkpoint kept for a later start leaves its lock file, so the
        // id stays out of fresh ids' reach.
        if (settle_checkpoint(engine, ckpt, published)) lock->remove_and_release();
    }
    // Locks of gateways that stopped without a checkpoint left (a kill
    // before their first one).
    for (const auto& lock_path : locks) {
        fs::path ckpt = lock_path;
        ckpt.replace_extension(kCheckpointSuffix);
        if (fs::exists(ckpt, ec) || !older_than_a_minute(lock_path)) continue;
        auto lock = LockFile::try_take(lock_path);
        if (lock && lock->held()) lock->remove_and_release();
    }
    return published;
}

Result<std::unique_ptr<UsageStats>> UsageStats::start(Engine& engine, UsageStatsOptions options) {
    fs::path dir = (options.state_dir.empty() ? engine.directory() : options.state_dir) / "gw-stats";
    std::error_code ec;
    // Checkpoints left while collection was on are published even when it
    // is off now: they hold counts that were acknowledged.
    if (fs::exists(dir, ec)) {
        auto orphans = publish_orphaned_checkpoints(engine, dir);
        if (!orphans) return std::move(orphans).error();
    }
    if (!options.collect_objects)
        return std::unique_ptr<UsageStats>(new UsageStats(engine, options, dir, HeldServiceId{}));

    fs::create_directories(dir, ec);
    if (ec) return Error(Errc::IoError, "cannot create " + dir.string() + ": " + ec.message());
    auto held = take_service_id(dir, options.service_address, [&](const std::string& id) {
        std::size_t published = 0;
        return settle_checkpoint(engine, dir / (id + kCheckpointSuffix), published);
    });
    if (!held) return std::move(held).error();
    return std::unique_ptr<UsageStats>(new UsageStats(engine, options, dir, std::move(*held)));
}

UsageStats::UsageStats(Engine& engine, UsageStatsOptions options, fs::path dir, HeldServiceId held)
    : engine_(engine),
      options_(std::move(options)),
      dir_(std::move(dir)),
      service_id_(std::move(held.id)),
      lock_(std::move(held.lock)),
      billing_(engine),
      period_start_s_(now_s()) {
    // A stable id's earlier instance may have stored a period starting this
    // very second (a restart within it): start later rather than replace it.
    if (!service_id_.empty())
        while (engine_.get_usage_object(document({}, period_start_s_, period_start_s_).first)) ++period_start_s_;
    thread_ = std::thread([this] { run(); });
}

UsageStats::~UsageStats() {
    stop();
    lock_.remove_and_release();
}

void UsageStats::record(const UsageKey& key, OpClass op, std::uint64_t uploaded, std::uint64_t downloaded) {
    billing_.record(key.user_id, key.tag, op, uploaded, downloaded);
    if (service_id_.empty()) return;  // no statistics objects
    std::lock_guard lock(mu_);
    auto& c = counters_[key];
    switch (op) {
        case OpClass::Get:
            ++c.get;
            break;
        case OpClass::Put:
            ++c.put;
            break;
        case OpClass::List:
            ++c.list;
            break;
        case OpClass::Delete:
        case OpClass::Default:
            ++c.other;
            break;
    }
    c.uploaded += uploaded;
    c.downloaded += downloaded;
    dirty_ = true;
}

std::vector<std::pair<UsageKey, UsageCounters>> UsageStats::current() const {
    std::lock_guard lock(mu_);
    return {counters_.begin(), counters_.end()};
}

std::optional<std::string> UsageStats::current_document() const {
    if (service_id_.empty()) return std::nullopt;
    std::map<UsageKey, UsageCounters> snapshot;
    std::int64_t start = 0;
    {
        std::lock_guard lock(mu_);
        snapshot = counters_;
        start = period_start_s_;
    }
    return document(snapshot, start, std::max(start, now_s())).second;
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
    // A bare number, as the format shows it: 16 digits, the first not 0
    // (take_service_id refuses any other), so it fits 64 bits exactly.
    auto service_id_number = parse_u64(service_id_);
    assert(service_id_number && std::to_string(*service_id_number) == service_id_);
    admin::Json doc = admin::Json::object();
    doc.set("fmt_version", 1)
        .set("service_id", service_id_number.value_or(0))
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

void UsageStats::flush_billing() {
    if (auto flushed = billing_.flush(); !flushed)
        std::fprintf(stderr, "ostor-gateway: cannot add to the billing totals (kept for the next try): %.*s\n",
                     static_cast<int>(flushed.error().message().size()), flushed.error().message().data());
}

void UsageStats::run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        wake_.wait_for(lock, options_.checkpoint_interval, [this] { return stopping_; });
        if (stopping_) break;
        bool period_over = now_s() >= period_start_s_ + options_.period.count();
        lock.unlock();
        flush_billing();
        if (!service_id_.empty()) {
            if (period_over)
                publish(now_s());
            else
                checkpoint(now_s());
        }
        lock.lock();
    }
    lock.unlock();
    flush_billing();
    if (!service_id_.empty()) publish(now_s());
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
