// The lifecycle worker (docs/lifecycle.md, "The worker"): applies the
// buckets' lifecycle configurations. Every gateway runs one; only the
// process holding the volume's "lifecycle" role (Engine::take_role) works,
// so one pass at a time runs per volume, and another gateway takes over
// when the holder dies.
//
// A pass evaluates everything at one `now` (its start) and goes through the
// buckets that have a configuration, by name: their objects (list_objects,
// a page at a time; list_object_versions in a versioned bucket), then their
// multipart uploads. After each page the position reached is written to the
// role's state record (compare-and-set), so a worker that died mid-pass is
// resumed by the next holder at that page, with the same `now`. The actions
// are conditional, so a page done again does nothing twice: a current is
// deleted (or, versioned, hidden by a marker) only if it is still the write
// evaluated (DeleteOptions::if_current), a noncurrent version or a lone
// marker is removed by its id (already gone: NoSuchVersion), an upload
// already aborted is NoSuchUpload. What object lock keeps is counted and
// logged, and the pass goes on. An object written after the pass's `now` is
// left to the next pass. A pass that ends records its start; one pass runs
// per day (a day is LifecycleWorkerOptions::day, shorter in tests). A page
// that fails is done again at the next interval; a bucket that fails
// kMaxBucketFailures times in a row is skipped for the pass.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <thread>

#include "ostor/engine.hpp"

namespace ostor::gw {

struct LifecycleWorkerOptions {
    std::chrono::milliseconds day{std::chrono::hours(24)};  // --lifecycle-day-seconds
    // How often a worker looks for a pass to run (or a role to take over).
    std::chrono::milliseconds interval{std::chrono::seconds(60)};
    std::uint32_t page_size = 1000;  // objects or uploads listed at a time
    // A pass pauses this long between pages, so as not to starve clients.
    std::chrono::milliseconds page_pause{std::chrono::milliseconds(100)};
    // How far the clocks of the processes writing the volume may be from
    // this one's (docs/lifecycle.md, "Clocks"): 0 on a local volume (one
    // host's clock); on RADOS lifecycle_clock_margin. A pass acts only on
    // what was due this long before its `now`.
    std::chrono::milliseconds clock_margin{0};
};

// The clock margin a worker on `engine`'s volume evaluates with: 0 on a
// local volume (its gateways share one host's clock); on RADOS, where
// gateways on several hosts stamp versions with their own clocks, the
// volume's margin (5 minutes) for a real day, as much of a shortened day
// (detail::lifecycle_shared_clock_margin_ms).
std::chrono::milliseconds lifecycle_clock_margin(const Engine& engine, std::chrono::milliseconds day);

// Whether a pass starts now, the last one having started at last_pass_ms
// (-1: none): once a day (now, less the clock margin, in a later day than
// it), or at once when it is dated after now by more than the clock margin
// (a clock that ran ahead).
bool lifecycle_pass_due(std::int64_t last_pass_ms, std::int64_t now_ms, const LifecycleWorkerOptions& options);

// A page resuming in a key after its "null" version, whose first version is
// of that key and has id `first_id`: true when the listing started the key
// again at its newest (the null is gone). `before_null_id` is the version
// listed just before the null ("" when the null was the key's first). Only
// the ids tell: a key's instances sort newest first, and rise even when a
// gateway's clock steps back (last-modified is the writer's wall clock). So
// relisted is: the id is that version's or sorts before it (as new or
// newer); with no version before the null, a "null" again (a null written
// over the gone one). Otherwise the null was the current, and a first
// version under it with the null gone is a rollback, which the current
// check before a removal catches.
bool relisted_after_null(std::string_view first_id, std::string_view before_null_id);

class LifecycleWorker {
public:
    // Starts the worker's thread; `engine` must outlive it.
    LifecycleWorker(Engine& engine, LifecycleWorkerOptions options);
    // Stops at the next step (what was done is recorded) and joins.
    ~LifecycleWorker();
    LifecycleWorker(const LifecycleWorker&) = delete;
    LifecycleWorker& operator=(const LifecycleWorker&) = delete;

private:
    void run();
    // Sleeps up to `d`; false when stopping.
    bool pause(std::chrono::milliseconds d);

    Engine& engine_;
    const LifecycleWorkerOptions options_;
    std::mutex mu_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace ostor::gw
