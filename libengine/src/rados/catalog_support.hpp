// What the RADOS catalogs share: reading an object's whole omap, and the
// loop that retries a read-then-guarded-write when another client changed
// the object between the read and the write.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ostor/error.hpp"
#include "rados/client.hpp"

namespace ostor::detail::rados {

// Every omap entry of `oid`, read a page at a time (not one snapshot: the
// guarded write that follows a read is what makes a change consistent).
// Fails: kNotFound (no object).
Result<std::map<std::string, std::string>> read_whole_omap(Client& client, Pool pool, const std::string& oid);

// The value under `key` of `omap`, "" when absent (as a guard compares it).
inline std::string value_of(const std::map<std::string, std::string>& omap, std::string_view key) {
    auto it = omap.find(std::string(key));
    return it == omap.end() ? std::string() : it->second;
}

// Whether a guarded write failed because the object changed after it was
// read (a compare did not hold, it appeared, or it went): read it again.
inline bool changed_meanwhile(const Error& e) { return e.code() == kCompareFailed || e.code() == kNotFound; }

// A write that failed otherwise (an IoError: a timeout may come after the
// OSD applied it) has an unknown outcome. Re-reading settles it only one
// way: written_value_landed() is true when `key` of `oid` now holds `value`,
// which proves the write applied only when no other call sets the same
// value: an index record carries its call's token (object_index.hpp); a
// part does not (an identical copy may have set it), so a part write proven
// this way keeps the replaced part's extents. Anything else
// leaves it unknown: a value equal to the one replaced proves nothing (the
// write may have applied and been replaced since), nor does a failed read.
// A caller whose outcome stays unknown keeps whatever the value may refer to
// (references, blobs, a seal): a leak at worst, never a loss.
bool written_value_landed(Client& client, Pool pool, const std::string& oid, const std::string& key,
                          const std::string& value);
// The IoError a call returns when its write's outcome stays unknown.
Error outcome_unknown_error(const std::string& oid, const Error& cause);

// Guarded writes that lose to a concurrent change are retried this often
// before the call gives up with IoError; each retry first waits a little
// longer (randomized, up to kMaxConflictBackoffUs), so that writers of one
// object drift apart instead of colliding again.
inline constexpr int kMaxGuardedAttempts = 200;
inline constexpr std::uint32_t kMaxConflictBackoffUs = 20'000;
void conflict_backoff(int attempt);

// Runs `attempt` until it returns a result: nullopt means the write lost to
// a concurrent change and the whole read-decide-write must run again.
// `what` names the object for the give-up error.
template <class T, class F>
Result<T> retry_on_conflict(std::string_view what, F&& attempt) {
    for (int i = 0; i < kMaxGuardedAttempts; ++i) {
        if (i > 0) conflict_backoff(i);
        std::optional<Result<T>> r = attempt();
        if (r) return std::move(*r);
    }
    return Error(Errc::IoError, "gave up changing " + std::string(what) + " after " +
                                    std::to_string(kMaxGuardedAttempts) + " conflicting concurrent changes");
}

}  // namespace ostor::detail::rados
