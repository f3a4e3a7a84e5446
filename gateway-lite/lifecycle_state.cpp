#include "lifecycle_state.hpp"

#include <charconv>
#include <vector>

namespace ostor::gw::lifecycle {

namespace {

// 2: the last pass's start in ms instead of its day, and the current
// bucket's failures; 3: the versioned listing's position (version id marker,
// and what the pass knows of the key it stopped in); 4: that key's current
// as the pass saw it; 5: the version listed before a "null" marker. A
// record of 3 or 4 is read with those empty; one older starts a pass over.
constexpr std::string_view kStateVersion = "lifecycle-5";

// Fields as "<length>:<bytes>" (keys may hold any byte).
void put_field(std::string& out, std::string_view v) {
    out += std::to_string(v.size());
    out += ':';
    out += v;
}

std::optional<std::string_view> take_field(std::string_view& in) {
    auto colon = in.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(in.data(), in.data() + colon, n);
    if (ec != std::errc() || end != in.data() + colon || in.size() - colon - 1 < n) return std::nullopt;
    auto v = in.substr(colon + 1, n);
    in.remove_prefix(colon + 1 + n);
    return v;
}

std::optional<std::int64_t> to_i64(std::string_view v) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    return n;
}

}  // namespace

std::string encode_state(const PassState& s) {
    std::string out;
    put_field(out, kStateVersion);
    put_field(out, std::to_string(s.pass_ms));
    put_field(out, std::to_string(s.last_pass_ms));
    put_field(out, s.bucket);
    put_field(out, std::to_string(static_cast<int>(s.phase)));
    put_field(out, s.key_marker);
    put_field(out, s.upload_id_marker);
    put_field(out, std::to_string(s.failures));
    put_field(out, s.version_id_marker);
    put_field(out, std::to_string(s.newer_ms));
    put_field(out, std::to_string(s.noncurrent_seen));
    put_field(out, s.current_id);
    put_field(out, s.before_null_id);
    return out;
}

std::optional<PassState> decode_state(std::string_view in) {
    std::vector<std::string_view> f;
    while (!in.empty()) {
        auto v = take_field(in);
        if (!v) return std::nullopt;
        f.push_back(*v);
    }
    const bool v3 = f.size() == 11 && f[0] == "lifecycle-3";
    const bool v4 = f.size() == 12 && f[0] == "lifecycle-4";
    if (!v3 && !v4 && (f.size() != 13 || f[0] != kStateVersion)) return std::nullopt;
    auto pass = to_i64(f[1]), last = to_i64(f[2]), phase = to_i64(f[4]), failures = to_i64(f[7]);
    auto newer = to_i64(f[9]), seen = to_i64(f[10]);
    if (!pass || !last || !phase || !failures || !newer || !seen || *phase < 0 ||
        *phase > static_cast<int>(Phase::Done) || *seen < 0)
        return std::nullopt;
    PassState s{*pass,
                *last,
                std::string(f[3]),
                static_cast<Phase>(*phase),
                std::string(f[5]),
                std::string(f[6]),
                *failures,
                std::string(f[8]),
                *newer,
                *seen,
                v3 ? std::string() : std::string(f[11]),
                v3 || v4 ? std::string() : std::string(f[12])};
    // An older record's "null" marker lacks the version listed before it,
    // which tells a restarted key: past the key (its rest waits for the
    // next pass). A 3 record has no current as seen: the current check then
    // keeps the key's noncurrent versions for the next pass.
    if ((v3 || v4) && s.version_id_marker == "null") {
        s.version_id_marker.clear();
        s.newer_ms = -1;
        s.noncurrent_seen = 0;
        s.current_id.clear();
    }
    return s;
}

}  // namespace ostor::gw::lifecycle
