#include "lifecycle_worker.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>

#include "lifecycle_pass.hpp"
#include "lifecycle_rules.hpp"
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
        // A pass under way dated after now by more than the clocks' margin
        // was begun by a holder whose clock ran ahead: going on would act on
        // what is due only by that date. It starts over, dated now.
        const bool begun_ahead = state.pass_ms > now + options_.clock_margin.count();
        if (state.pass_ms == 0 || begun_ahead) {
            if (!begun_ahead && !lifecycle_pass_due(state.last_pass_ms, now, options_)) continue;
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

bool lifecycle_pass_due(std::int64_t last_pass_ms, std::int64_t now_ms, const LifecycleWorkerOptions& options) {
    if (last_pass_ms < 0) return true;  // never ran
    // Dated after now by more than the clocks' margin (a clock that ran
    // ahead): stale, so a pass starts rather than lifecycle being held back
    // until that day. Within the margin it is a holder's pass whose clock is
    // a little ahead of this one's, and its day is done.
    const auto margin = options.clock_margin.count();
    if (last_pass_ms > now_ms + margin) return true;
    // A day's pass begins a margin into the day: what fell due at its
    // midnight (every Days rule's instant) is due by then with the margin
    // the evaluation takes, rather than left to the next day's pass. A pass
    // begun less than a margin into its day covered the day before only.
    const auto day = options.day.count();
    return (now_ms - margin) / day > (last_pass_ms - margin) / day;
}

std::chrono::milliseconds lifecycle_clock_margin(const Engine& engine, std::chrono::milliseconds day) {
    if (!engine.directory().empty()) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(detail::lifecycle_shared_clock_margin_ms(day.count()));
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
