#include "hashing.hpp"

#include <isa-l/crc.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace ostor::detail {

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) {
    // ISA-L's crc32_iscsi takes and returns the raw register; the standard
    // CRC32C pre- and post-inverts it.
    return ~crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<std::byte*>(data.data())),
                        static_cast<int>(data.size()), ~crc);
}

struct Md5::Ctx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(ctx); }
};

Md5::Md5() : ctx_(std::make_unique<Ctx>()) {
    // Fetched once: EVP_md5() makes OpenSSL 3 look the algorithm up again on
    // every init, a noticeable part of hashing a small body.
    static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    if (!md5 || !ctx_->ctx || EVP_DigestInit_ex(ctx_->ctx, md5, nullptr) != 1) std::abort();
}
Md5::~Md5() = default;

void Md5::update(std::span<const std::byte> data) {
    if (!data.empty()) EVP_DigestUpdate(ctx_->ctx, data.data(), data.size());
}

Md5Digest Md5::finish() {
    Md5Digest out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_->ctx, out.data(), &len);
    return out;
}

std::string to_hex(std::span<const unsigned char> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 15]);
    }
    return out;
}

bool from_hex(std::string_view hex, std::string& out) {
    if (hex.size() % 2) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    out.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return true;
}

std::string random_string(std::string_view alphabet, std::size_t length) {
    // Rejection sampling keeps every character equally likely.
    const unsigned limit = 256 - (256 % alphabet.size());
    std::string out;
    out.reserve(length);
    unsigned char buf[64];
    while (out.size() < length) {
        if (RAND_bytes(buf, sizeof buf) != 1) std::abort();  // no entropy: cannot make safe keys
        for (unsigned char b : buf) {
            if (b >= limit) continue;
            out.push_back(alphabet[b % alphabet.size()]);
            if (out.size() == length) break;
        }
    }
    return out;
}

std::string random_hex16() { return random_string("0123456789abcdef", 16); }

}  // namespace ostor::detail
