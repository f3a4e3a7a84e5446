// What the crash writer stores, derivable again by the checker: the bytes of
// an object are a function of its generation number and size only, and the
// generation travels in the object's user metadata ("gen"), so copies keep it.
#pragma once

#include <cstdint>
#include <string>

namespace ostor::crash {

inline std::string content(std::uint64_t gen, std::uint64_t size) {
    std::string out(size, '\0');
    std::uint64_t x = gen * 0x9E3779B97F4A7C15ull + 1;
    for (std::uint64_t i = 0; i < size; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = static_cast<char>(x);
    }
    return out;
}

inline std::string key_name(unsigned i) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "k%03u", i);
    return buf;
}

constexpr unsigned kKeys = 200;
constexpr const char* kBucket = "crash";
constexpr const char* kOwner = "crash@example.com";

}  // namespace ostor::crash
