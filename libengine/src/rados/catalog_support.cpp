#include "rados/catalog_support.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace ostor::detail::rados {

namespace {

constexpr std::uint32_t kOmapPageEntries = 512;

}  // namespace

Result<std::map<std::string, std::string>> read_whole_omap(Client& client, Pool pool, const std::string& oid) {
    std::map<std::string, std::string> out;
    std::string after;
    for (;;) {
        auto page = client.omap_list(pool, oid, after, "", kOmapPageEntries);
        if (!page) return std::move(page).error();
        for (auto& [k, v] : page->entries) out.insert_or_assign(k, std::move(v));
        if (!page->more || page->entries.empty()) return out;
        after = page->entries.back().first;
    }
}

void conflict_backoff(int attempt) {
    thread_local std::minstd_rand rng(std::random_device{}());
    std::uint32_t cap = std::min<std::uint32_t>(kMaxConflictBackoffUs, 100u << std::min(attempt, 8));
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (cap + 1)));
}

bool written_value_landed(Client& client, Pool pool, const std::string& oid, const std::string& key,
                          const std::string& value) {
    auto now = client.omap_get(pool, oid, {key});
    return now && value_of(*now, key) == value;
}

Error outcome_unknown_error(const std::string& oid, const Error& cause) {
    return Error(Errc::IoError, "the write of " + oid + " may or may not have been applied (" +
                                    std::string(cause.message()) + "); retry, then check the result");
}

}  // namespace ostor::detail::rados
