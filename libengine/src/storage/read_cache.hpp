// A process-local cache of catalog reads (users, keys, limits, quotas, bucket
// records) that the Notifier keeps true: what another process changes is
// announced, and the announcement's subscriber erases the entries it
// touched before the changing call returns (storage/notifier.hpp).
//
// Two races are closed here:
//  - a read that started before an erase and finishes after it must not
//    put its (old) value back: every erase bumps a generation, and put()
//    takes the generation seen before the read, storing nothing when it
//    moved;
//  - while announcements may be missed (Notifier::caches_may_serve() is
//    false: the watch was lost), nothing is served or stored; the notifier
//    sends ChangeKind::All, which clears everything, before serving again.
// And a backstop for an announcement missed all the same (a notify a
// watcher did not acknowledge in time, with its watch still in place): an
// entry is served for kReadCacheLifetime at most, then read again.
//
// Concurrency: every call is safe from any thread. Values are copied out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "ostor/error.hpp"
#include "storage/notifier.hpp"

namespace ostor::detail {

// A bound on what one cache holds: reached, it starts again empty (the
// entries are cheap to read again, and a provider's working set of users,
// keys and buckets is far smaller).
inline constexpr std::size_t kReadCacheMaxEntries = 100'000;
// A few re-reads per entry a minute cost nothing next to the requests served.
inline constexpr std::chrono::milliseconds kReadCacheLifetime{10'000};

template <class Value>
class ReadCache {
public:
    // `notifier` must outlive the cache.
    explicit ReadCache(const Notifier& notifier, std::size_t max_entries = kReadCacheMaxEntries)
        : notifier_(notifier), max_entries_(max_entries) {}

    // Take before reading the catalog; give to put() with what was read.
    std::uint64_t generation() const {
        std::lock_guard lock(mutex_);
        return generation_;
    }

    std::optional<Value> get(std::string_view key) const {
        if (!notifier_.caches_may_serve()) return std::nullopt;
        std::lock_guard lock(mutex_);
        auto it = entries_.find(key);
        if (it == entries_.end() || Clock::now() - it->second.stored_at > kReadCacheLifetime) return std::nullopt;
        return it->second.value;
    }

    void put(std::string key, Value value, std::uint64_t read_generation) {
        if (!notifier_.caches_may_serve()) return;
        std::lock_guard lock(mutex_);
        if (read_generation != generation_) return;  // erased meanwhile: maybe an old value
        if (entries_.size() >= max_entries_) entries_.clear();
        entries_.insert_or_assign(std::move(key), Entry{std::move(value), Clock::now()});
    }

    void erase(std::string_view key) {
        std::lock_guard lock(mutex_);
        ++generation_;
        if (auto it = entries_.find(key); it != entries_.end()) entries_.erase(it);
    }

    // Every entry whose key starts with `prefix`.
    void erase_prefix(std::string_view prefix) {
        std::lock_guard lock(mutex_);
        ++generation_;
        auto it = entries_.lower_bound(prefix);
        while (it != entries_.end() && std::string_view(it->first).starts_with(prefix)) it = entries_.erase(it);
    }

    void clear() {
        std::lock_guard lock(mutex_);
        ++generation_;
        entries_.clear();
    }

    // The cached value of `key`, or `read()`'s (stored when it succeeded).
    template <class Read>
    Result<Value> get_or_read(std::string key, Read&& read) {
        if (auto hit = get(key)) return std::move(*hit);
        const std::uint64_t gen = generation();
        Result<Value> got = read();
        if (got) put(std::move(key), *got, gen);
        return got;
    }

    // `read()`'s value past the cache, which then holds it (a failure drops
    // the entry): for an answer a cached value may have made wrong.
    template <class Read>
    Result<Value> refresh(std::string key, Read&& read) {
        const std::uint64_t gen = generation();
        Result<Value> got = read();
        if (got)
            put(std::move(key), *got, gen);
        else
            erase(key);
        return got;
    }

private:
    using Clock = std::chrono::steady_clock;
    struct Entry {
        Value value;
        Clock::time_point stored_at;
    };
    const Notifier& notifier_;
    const std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry, std::less<>> entries_;
    std::uint64_t generation_ = 0;
};

}  // namespace ostor::detail
