// Version ids (docs/versioning.md, "Version ids"). A version's instance is 24
// lowercase hex digits: 16 of ~t, the bitwise complement of a time t in
// microseconds since the epoch, then 8 random. Within a key each new t is
// above the newest version's, so a key's instances sort newest first and never
// tie; the random part keeps an id from naming another version after a
// deletion and a clock step back. Clients see the instance as the version id,
// except for the null version, whose id is "null".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ostor::detail {

constexpr std::size_t kInstanceTimeChars = 16;
constexpr std::size_t kInstanceRandomChars = 8;
constexpr std::size_t kInstanceChars = kInstanceTimeChars + kInstanceRandomChars;
constexpr std::string_view kNullVersionId = "null";
constexpr std::int64_t kMicrosPerMilli = 1000;

// The instance of time t_us with the given random part.
std::string make_instance(std::int64_t t_us, std::uint32_t random);

// t of a key's new version: now, or just above the key's newest version when
// the clock is behind it (stepped back, or another writer's clock ahead).
std::int64_t next_instance_time(std::int64_t now_us, std::optional<std::int64_t> newest_us);

// 24 lowercase hex digits.
bool is_instance(std::string_view s);
// "null" or an instance: anything else names no version.
bool is_version_id(std::string_view s);
// The t of an instance; nullopt when it is not one.
std::optional<std::int64_t> instance_time_us(std::string_view instance);

// A random part for a new instance (not for keys: only unique enough to tell
// two versions of one key apart when their times collide after a deletion).
std::uint32_t random_instance_part();

}  // namespace ostor::detail
