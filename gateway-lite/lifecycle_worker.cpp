#include "lifecycle_worker.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>

#include "lifecycle_pass.hpp"
#include "lifecycle_state.hpp"

namespace ostor::gw {

namespace {

using lifecycle::decode_state;
using lifecycle::kRole;
using lifecycle::log_error;
using lifecycle::PassState;

}  // namespace

LifecycleWorker::LifecycleWorker(Engine& engine, LifecycleWorkerOptions options) : engine_(engine), options_(options) {
    thread_ = std::thread([this] { run(); });
}

LifecycleWorker::~LifecycleWorker() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

bool LifecycleWorker::pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

void LifecycleWorker::run() {
    auto stopping = [this] {
        std::lock_guard lock(mu_);
        return stopping_;
    };
    std::unique_ptr<RoleLease> lease;
    do {
        if (lease && lease->lost()) lease.reset();
        if (!lease) {
            auto taken = engine_.take_role(kRole);
            if (!taken) log_error("taking the lifecycle role", taken.error());
            if (taken && *taken) lease = std::move(*taken);
        }
        if (!lease) continue;  // another gateway of the volume works
        auto record = engine_.role_state(kRole);
        if (!record) {
            log_error("reading the lifecycle state", record.error());
            continue;
        }
        PassState state = *record ? decode_state(**record).value_or(PassState{}) : PassState{};
        const auto now = static_cast<std::int64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
        if (state.pass_ms == 0) {
            // Today's pass is done, unless the last one is dated after now
            // (a clock that ran ahead): a stale record then starts a pass
            // rather than holding lifecycle back until that day.
            const auto day = options_.day.count();
            const bool stale = state.last_pass_ms > now;
            if (state.last_pass_ms >= 0 && !stale && now / day <= state.last_pass_ms / day) continue;
            const auto last = state.last_pass_ms;
            state = PassState{};
            state.pass_ms = now;
            state.last_pass_ms = last;
        }
        auto stop = lifecycle::run_pass(
            engine_, *lease, options_, stopping, [this](auto d) { return pause(d); }, *record, state);
        if (stop == lifecycle::Stop::RoleLost) lease.reset();
    } while (pause(options_.interval));
}

// Instances are fixed-width lowercase hex (version_ids.hpp), so the string
// order is the instance order: a key's newest first. Anything else is not
// ordered, and is taken for relisted (a delay, never an early removal).
bool relisted_after_null(std::string_view first_id, std::string_view before_null_id) {
    auto instance = [](std::string_view id) {
        return id.size() == 24 &&
               std::ranges::all_of(id, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    };
    if (before_null_id.empty()) return first_id == "null";
    if (!instance(first_id) || !instance(before_null_id)) return true;
    return first_id <= before_null_id;
}

}  // namespace ostor::gw
