// Hashes and checksums the engine computes: MD5 (ETags), CRC32C (extents),
// random ids from a CSPRNG.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace ostor::detail {

// CRC32C (Castagnoli) of `data`, continuing from `crc` (0 for a fresh start).
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0);

using Md5Digest = std::array<unsigned char, 16>;

// Streaming MD5 (OpenSSL EVP).
class Md5 {
public:
    Md5();
    ~Md5();
    Md5(const Md5&) = delete;
    Md5& operator=(const Md5&) = delete;
    void update(std::span<const std::byte> data);
    Md5Digest finish();

private:
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
};

std::string to_hex(std::span<const unsigned char> bytes);
inline std::string to_hex(const Md5Digest& d) { return to_hex(std::span<const unsigned char>(d)); }
// Parses lowercase or uppercase hex; false on anything else.
bool from_hex(std::string_view hex, std::string& out);

// `length` characters drawn uniformly from `alphabet` with RAND_bytes.
std::string random_string(std::string_view alphabet, std::size_t length);
// 16 lowercase hex digits.
std::string random_hex16();

}  // namespace ostor::detail
