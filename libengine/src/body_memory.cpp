#include "body_memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

namespace ostor::detail {

namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint64_t kDefaultMinBytes = 64 * kMiB;
constexpr std::uint64_t kDefaultMaxBytes = 4096 * kMiB;

// The memory this process may use: the machine's, or less where a cgroup
// (v2: a container, a systemd unit's MemoryMax=) caps it.
std::uint64_t memory_available() {
    long pages = ::sysconf(_SC_PHYS_PAGES);
    long page_size = ::sysconf(_SC_PAGESIZE);
    std::uint64_t machine =
        pages > 0 && page_size > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size) : 0;
    std::ifstream cgroup("/proc/self/cgroup");
    std::string line;
    // "0::/PATH" on a unified (v2) hierarchy.
    if (!std::getline(cgroup, line) || !line.starts_with("0::")) return machine;
    std::ifstream max_file("/sys/fs/cgroup" + line.substr(3) + "/memory.max");
    std::uint64_t max = 0;
    if (!(max_file >> max) || max == 0) return machine;  // "max": no cap
    return machine == 0 ? max : std::min(machine, max);
}

}  // namespace

BodyMemory::BodyMemory(std::uint64_t budget, std::chrono::milliseconds wait)
    : budget_(budget != 0 ? budget : default_budget()), wait_(wait) {}

std::uint64_t BodyMemory::default_budget() {
    std::uint64_t eighth = memory_available() / 8;
    return std::clamp(eighth, kDefaultMinBytes, kDefaultMaxBytes);
}

Result<std::uint64_t> BodyMemory::take_waiting(std::uint64_t bytes) {
    bytes = std::min(bytes, budget_);
    std::unique_lock lock(mu_);
    ++waiting_;
    bool room = freed_.wait_for(lock, wait_, [&] { return budget_ - in_use_ >= bytes; });
    --waiting_;
    if (!room)
        return Error(Errc::SlowDown, "the server has no memory free for request bodies now (" +
                                         std::to_string(budget_ / kMiB) +
                                         " MiB are in use by bodies being received); retry later");
    in_use_ += bytes;
    return bytes;
}

bool BodyMemory::try_take(std::uint64_t bytes) {
    std::lock_guard lock(mu_);
    // A writer's extra buffers give way to writers waiting for their first.
    if (waiting_ > 0 || budget_ - in_use_ < bytes) return false;
    in_use_ += bytes;
    return true;
}

void BodyMemory::give_back(std::uint64_t bytes) {
    if (bytes == 0) return;
    {
        std::lock_guard lock(mu_);
        in_use_ -= bytes;
    }
    freed_.notify_all();
}

std::uint64_t BodyMemory::in_use() const {
    std::lock_guard lock(mu_);
    return in_use_;
}

Result<void> BodyMemoryHeld::take_waiting(std::uint64_t bytes) {
    auto taken = memory_.take_waiting(bytes);
    if (!taken) return std::move(taken).error();
    held_ += *taken;
    return {};
}

bool BodyMemoryHeld::try_take(std::uint64_t bytes) {
    if (!memory_.try_take(bytes)) return false;
    held_ += bytes;
    return true;
}

void BodyMemoryHeld::release() {
    memory_.give_back(held_);
    held_ = 0;
}

}  // namespace ostor::detail
