// One lifecycle pass, or the rest of one (lifecycle_worker.hpp says what a
// pass does; docs/lifecycle.md, "The worker", how): the buckets with a
// configuration, by name, a page at a time, the position reached written
// to the role's state record after each page.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "lifecycle_state.hpp"
#include "lifecycle_worker.hpp"
#include "ostor/engine.hpp"

namespace ostor::gw::lifecycle {

// The engine role (Engine::take_role) whose holder works, and whose state
// record holds the pass's position.
inline constexpr std::string_view kRole = "lifecycle";

// Why a pass stopped before its end.
enum class Stop { No, Asked, RoleLost, Failed };

// Runs the pass `state` holds (its `now` and the position reached) while
// `lease` holds the role: `stopping` asks it to stop at the next step,
// `pause` sleeps between pages (false: stopping), `record` is the role's
// state record as read (the expected value of the first compare-and-set).
Stop run_pass(Engine& engine, RoleLease& lease, const LifecycleWorkerOptions& options, std::function<bool()> stopping,
              std::function<bool(std::chrono::milliseconds)> pause, std::optional<std::string> record, PassState state);

// "ostor-gateway: lifecycle: <doing>: <error>" on stderr.
void log_error(std::string_view doing, const Error& e);

}  // namespace ostor::gw::lifecycle
