// Usage counting (docs/architecture.md; the object format of the usage statistics document).
//
// Every gateway counts, per (bucket, epoch, user id, tag = account name), the
// put/get/list/other operations and the bytes uploaded and downloaded;
// requests that name no bucket (ListBuckets, the ostor-* admin calls) count
// under bucket "" and epoch 0, as the vendor guide's statistics table shows.
//
// Billing: the counts are always added to the engine's billing totals each
// second (BillingMeter), whatever gw.conf says.
//
// Statistics objects: with S3_GW_COLLECT_STAT=1 the counters are also kept
// per period and, every second (when they changed), checkpointed to
// <data>/gw-stats/<service id>.ckpt (fsynced), so a crash loses at most the
// last second. At the end of each period, and at shutdown, they are stored
// as the statistics object
//   s3-usage-<service id>-<period start, ISO 8601 ms>-<configured period>
// whose "period" is the seconds it actually covers. A gateway that starts
// publishes the checkpoints that dead instances left behind (each instance
// holds an flock on <service id>.lock while it lives), each exactly once.
//
// Service ids are stable: the id of a listening address is kept in
// <data>/gw-stats/service-<address>.id and reused by the next gateway on that
// address, so restarts do not split one gateway's statistics. Two live
// gateways never share one: when the address's id is held by a live gateway
// (the lock is taken), the newcomer uses a fresh random id for its lifetime.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "billing_meter.hpp"
#include "ostor/engine.hpp"
#include "rate_limits.hpp"
#include "service_id.hpp"

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
    // Store statistics objects (S3_GW_COLLECT_STAT=1); billing totals are
    // kept either way.
    bool collect_objects = true;
    // The S3 listening address as configured ("127.0.0.1:9000"): names the
    // stable service id. Empty: a fresh random id.
    std::string service_address;
    std::chrono::seconds period{1800};
    // How often changed counters are made durable (checkpoint, billing).
    std::chrono::milliseconds checkpoint_interval{1000};
    // Where gw-stats/ is: the gateway's state directory (--state-dir);
    // empty: the engine's data directory.
    std::filesystem::path state_dir;
};

class UsageStats {
public:
    // Starts counting. With collect_objects: after publishing what dead
    // instances left in <data>/gw-stats/, under the address's service id
    // (or a fresh one). Fails: IoError.
    static Result<std::unique_ptr<UsageStats>> start(Engine& engine, UsageStatsOptions options);
    ~UsageStats();
    UsageStats(const UsageStats&) = delete;
    UsageStats& operator=(const UsageStats&) = delete;

    // Empty when statistics objects are not collected.
    const std::string& service_id() const { return service_id_; }
    // This gateway's side of the billing totals.
    const BillingMeter& billing() const { return billing_; }

    // Counts one request.
    void record(const UsageKey& key, OpClass op, std::uint64_t uploaded, std::uint64_t downloaded);

    // The counters of the period under way (not yet in a stored object).
    std::vector<std::pair<UsageKey, UsageCounters>> current() const;
    // The period under way as the statistics object it will be, counted up
    // to now ("period": the seconds so far); none when statistics objects
    // are not collected.
    std::optional<std::string> current_document() const;

    // Stores the period under way, adds the last counts to the billing
    // totals and stops. Called by the destructor too.
    void stop();

private:
    UsageStats(Engine& engine, UsageStatsOptions options, std::filesystem::path dir, HeldServiceId held);
    void run();
    // The statistics object's name and JSON for the counters given.
    std::pair<std::string, std::string> document(const std::map<UsageKey, UsageCounters>& counters,
                                                 std::int64_t start_s, std::int64_t end_s) const;
    void checkpoint(std::int64_t now_s);
    void publish(std::int64_t now_s);
    void flush_billing();

    Engine& engine_;
    UsageStatsOptions options_;
    std::filesystem::path dir_;
    std::string service_id_;
    LockFile lock_;  // of the service id; none when not collecting objects
    BillingMeter billing_;

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
