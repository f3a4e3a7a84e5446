// BootClock: a steady clock that keeps counting while the machine (or a VM
// guest) is suspended (CLOCK_BOOTTIME), for lease deadlines. A lease held
// by a cluster runs out while we are suspended; steady_clock
// (CLOCK_MONOTONIC) stops then, and a guest suspended past its lease would
// resume believing it still holds it.
#pragma once

#include <chrono>
#include <ctime>

namespace ostor::detail::rados {

struct BootClock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<BootClock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept {
        timespec ts{};
        // Fails only for a clock id the kernel does not know (Linux has it
        // since 2.6.39).
        (void)::clock_gettime(CLOCK_BOOTTIME, &ts);
        return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
    }
};

}  // namespace ostor::detail::rados
