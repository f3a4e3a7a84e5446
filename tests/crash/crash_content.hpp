// What the crash writer stores, derivable again by the checker.
//
// Every object body the writer makes gets a generation number that is unique
// across all keys and all rounds (the round's seed times a million, plus a
// counter), so the pair (key, generation) that first stored a body is named
// by the generation alone: the body is a function of (generation, size). The
// generation also travels in the object's user metadata ("gen"), which a copy
// keeps, so the checker can tell which version it is looking at.
//
// The log the writer keeps (one line per record, each made durable with
// fdatasync before the writer goes on):
//
//   READY                                       the engine opened, the bucket made: the kill's clock starts
//   BEGIN PUT <key> <gen> <size> <md5>          before a put starts
//   PUT <key> <gen> <size> <md5> <etag>         after the engine acknowledged it
//   BEGIN MPU <key> <gen> <size> <md5> <etag>   a 3-part multipart upload
//   MPU <key> <gen> <size> <md5> <etag>
//   BEGIN DEL <key>
//   DEL <key> [nosuch]                          "nosuch": the engine said NoSuchKey
//   BEGIN COPY <src> <dst>
//   COPY <src> <dst> <etag> | COPY <src> <dst> nosuch
//
// <md5> and the expected multipart <etag> are computed by the writer from the
// body it sent; the acknowledged <etag> is what the engine returned.
//
// The versioned writer's log (<id>: the version id the engine returned,
// "null" or 24 hex digits):
//
//   BEGIN VPUT <key> <gen> <size> <md5>
//   VPUT <key> <gen> <size> <md5> <etag> <id>
//   BEGIN VCOPY <src> <src id> <dst> <gen> <size> <etag>   the source version as listed
//   VCOPY <src> <src id> <dst> <etag> <id>
//   BEGIN MARK <key>                            a delete without an id
//   MARK <key> <id> [nomarker]                  "nomarker": the engine added none
//   BEGIN VDEL <key> <id>                       a delete by id
//   VDEL <key> <id> marker|object|nosuch        what the engine said it removed
//   BEGIN STATE Enabled|Suspended               set_bucket_versioning
//   STATE Enabled|Suspended
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ostor::crash {

constexpr unsigned kKeys = 300;
constexpr const char* kBucket = "crash";
constexpr const char* kOwnerEmail = "crash-writer@example.com";
constexpr const char* kGenMetaName = "gen";
// Multipart parts other than the last must be at least this large (S3 rule).
constexpr std::uint64_t kMinPartBytes = std::uint64_t{5} << 20;
constexpr unsigned kMultipartParts = 3;

inline std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// The body of generation `gen`, `size` bytes long.
inline std::string content(std::uint64_t gen, std::uint64_t size) {
    std::string out(size, '\0');
    std::uint64_t state = gen * 0xD1B54A32D192ED03ull + size;
    std::uint64_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t v = splitmix64(state);
        std::memcpy(out.data() + i, &v, 8);
    }
    if (i < size) {
        std::uint64_t v = splitmix64(state);
        std::memcpy(out.data() + i, &v, size - i);
    }
    return out;
}

// The versioned writer's keys: few, so that each gathers many versions.
constexpr unsigned kVersionKeys = 8;

inline constexpr std::string_view kReadyLine = "READY";

inline std::string version_key_name(unsigned i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "ver-%02u", i);
    return buf;
}

inline std::string key_name(unsigned i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "obj-%03u", i);
    return buf;
}

inline std::string to_hex(const unsigned char* d, std::size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(kHex[d[i] >> 4]);
        out.push_back(kHex[d[i] & 15]);
    }
    return out;
}

// Raw 16-byte MD5 of `data`.
inline std::string md5_raw(std::string_view data) {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), d, &n, EVP_md5(), nullptr);
    return std::string(reinterpret_cast<const char*>(d), n);
}

inline std::string md5_hex(std::string_view data) {
    std::string raw = md5_raw(data);
    return to_hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

// The S3 ETag of a multipart object: MD5 of the parts' raw MD5s, "-" count.
inline std::string multipart_etag(std::string_view body, const std::vector<std::uint64_t>& part_sizes) {
    std::string digests;
    std::uint64_t off = 0;
    for (std::uint64_t n : part_sizes) {
        digests += md5_raw(body.substr(off, n));
        off += n;
    }
    return md5_hex(digests) + "-" + std::to_string(part_sizes.size());
}

}  // namespace ostor::crash
