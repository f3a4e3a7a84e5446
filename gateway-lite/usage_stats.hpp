// Usage statistics (DESIGN.md; the object format of ../shared/seeds/001_*.txt).
//
// Enabled by S3_GW_COLLECT_STAT=1 in <data>/gw.conf. Each gateway instance
// gets a service id and counts, per (bucket, epoch, user id, tag = account
// name), the put/get/list/other operations and the bytes uploaded and
// downloaded. Counters live in memory; every second (when they changed) they
// are checkpointed to <data>/gw-stats/<service id>.ckpt (fsynced), so a
// crash loses at most the last second. At the end of each period, and at
// shutdown, they are stored as the statistics object
//   s3-usage-<service id>-<period start, ISO 8601 ms>-<configured period>
// whose "period" is the seconds it actually covers. A gateway that starts
// publishes the checkpoints that dead instances left behind (each instance
// holds an flock on <service id>.lock while it lives).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "ostor/engine.hpp"
#include "rate_limits.hpp"

namespace ostor::gw {

struct UsageKey {
    std::string bucket;
    std::uint64_t epoch = 0;
    std::string user_id;
    std::string tag;  // the account name; empty for the user's own keys
    auto operator<=>(const UsageKey&) const = default;
};

struct UsageCounters {
    std::uint64_t put = 0, get = 0, list = 0, other = 0;
    std::uint64_t uploaded = 0, downloaded = 0;
};

struct UsageStatsOptions {
    std::chrono::seconds period{1800};
    // How often changed counters are made durable.
    std::chrono::milliseconds checkpoint_interval{1000};
};

class UsageStats {
public:
    // Starts collecting for a new service id, after publishing what dead
    // instances left in <data>/gw-stats/. Fails: IoError.
    static Result<std::unique_ptr<UsageStats>> start(Engine& engine, UsageStatsOptions options);
    ~UsageStats();
    UsageStats(const UsageStats&) = delete;
    UsageStats& operator=(const UsageStats&) = delete;

    const std::string& service_id() const { return service_id_; }

    // Counts one request.
    void record(const UsageKey& key, OpClass op, std::uint64_t uploaded, std::uint64_t downloaded);

    // The counters of the period under way (not yet in a stored object).
    std::vector<std::pair<UsageKey, UsageCounters>> current() const;

    // Stores the period under way and stops. Called by the destructor too.
    void stop();

private:
    UsageStats(Engine& engine, UsageStatsOptions options, std::filesystem::path dir, std::string service_id, int lock_fd);
    void run();
    // The statistics object's name and JSON for the counters given.
    std::pair<std::string, std::string> document(const std::map<UsageKey, UsageCounters>& counters,
                                                 std::int64_t start_s, std::int64_t end_s) const;
    void checkpoint(std::int64_t now_s);
    void publish(std::int64_t now_s);

    Engine& engine_;
    UsageStatsOptions options_;
    std::filesystem::path dir_;
    std::string service_id_;
    int lock_fd_;

    mutable std::mutex mu_;
    std::condition_variable wake_;
    std::map<UsageKey, UsageCounters> counters_;
    std::int64_t period_start_s_ = 0;
    bool dirty_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

// Stores the checkpoints of instances that are no longer running as the
// statistics objects they would have become. Returns how many it published.
Result<std::size_t> publish_orphaned_checkpoints(Engine& engine, const std::filesystem::path& dir);

}  // namespace ostor::gw
