// The lifecycle role's state record (Engine::role_state): where a pass got
// to, which the next holder of the role resumes from (lifecycle_worker.hpp),
// and its versioned text format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ostor::gw::lifecycle {

enum class Phase : std::uint8_t { Objects = 0, Uploads = 1, Done = 2 };

// The role's state record: the pass under way (its `now`, 0: none) and where
// it got to, and the start of the last pass that ended. The start is kept in
// ms, not as a day number, so that the day is computed with the day length
// in force when it is read: a record written with another day length (a
// test's, another gateway's) does not hold back the next pass.
struct PassState {
    std::int64_t pass_ms = 0;
    std::int64_t last_pass_ms = -1;  // -1: none yet
    std::string bucket{};            // the bucket being worked on ("" before the first)
    Phase phase = Phase::Objects;
    std::string key_marker{};
    std::string upload_id_marker{};
    std::int64_t failures = 0;  // the bucket's failed attempts in a row at this position
    // Versioned buckets: the listing resumes after this version of key_marker
    // ("" : after every version of it). Then the last version listed of that
    // key (its last-modified: when the next one became noncurrent) and how
    // many noncurrent versions of the key were listed, and the version id of
    // its current as the pass saw it: the next page's first versions, when
    // of the same key, take the last-modified from here, and the rank and
    // current from a listing of the key (lifecycle_pass.cpp, position_in_key)
    // or, past one page of it, from here too. When the marker is
    // "null": the version listed just before it ("" when the null was the
    // key's first), which tells a page that starts the key again.
    std::string version_id_marker{};
    std::int64_t newer_ms = -1;
    std::int64_t noncurrent_seen = 0;
    std::string current_id{};
    std::string before_null_id{};
};

std::string encode_state(const PassState& s);
// nullopt for a record of a version before 3 (a pass then starts over): a
// rolling upgrade's handover goes on with the pass.
std::optional<PassState> decode_state(std::string_view in);

}  // namespace ostor::gw::lifecycle
