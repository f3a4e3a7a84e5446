#include "checksums.hpp"

#include <isa-l/crc.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>

#include "util.hpp"

namespace ostor::gw {

namespace {

// CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, init and xorout all
// ones. ISA-L in Debian 12 predates its crc64_rocksoft, so a slicing-by-8
// table does it here.
struct Crc64Tables {
    std::array<std::array<std::uint64_t, 256>, 8> t{};
    Crc64Tables() {
        constexpr std::uint64_t kPoly = 0x9a6c9329ac4bc9b5ULL;
        for (std::uint64_t i = 0; i < 256; ++i) {
            std::uint64_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
            t[0][i] = c;
        }
        for (std::size_t i = 0; i < 256; ++i)
            for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
};

const Crc64Tables& crc64_tables() {
    static const Crc64Tables tables;
    return tables;
}

std::string big_endian(std::uint64_t v, int bytes) {
    std::string out(static_cast<std::size_t>(bytes), '\0');
    for (int i = bytes - 1; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    return out;
}

}  // namespace

std::uint64_t crc64_nvme(std::span<const std::byte> data, std::uint64_t crc) {
    const auto& t = crc64_tables().t;
    crc = ~crc;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size();
    while (n >= 8) {
        std::uint64_t v = crc;
        for (int i = 0; i < 8; ++i) v ^= static_cast<std::uint64_t>(p[i]) << (8 * i);
        crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
              t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

std::optional<ChecksumAlgorithm> parse_checksum_algorithm(std::string_view name) {
    if (iequals(name, "CRC32")) return ChecksumAlgorithm::CRC32;
    if (iequals(name, "CRC32C")) return ChecksumAlgorithm::CRC32C;
    if (iequals(name, "CRC64NVME")) return ChecksumAlgorithm::CRC64NVME;
    if (iequals(name, "SHA1")) return ChecksumAlgorithm::SHA1;
    if (iequals(name, "SHA256")) return ChecksumAlgorithm::SHA256;
    return std::nullopt;
}

std::string_view checksum_name(ChecksumAlgorithm a) {
    switch (a) {
        case ChecksumAlgorithm::CRC32:
            return "CRC32";
        case ChecksumAlgorithm::CRC32C:
            return "CRC32C";
        case ChecksumAlgorithm::CRC64NVME:
            return "CRC64NVME";
        case ChecksumAlgorithm::SHA1:
            return "SHA1";
        case ChecksumAlgorithm::SHA256:
            return "SHA256";
    }
    return "CRC32";
}

std::string checksum_header(ChecksumAlgorithm a) { return "x-amz-checksum-" + to_lower(checksum_name(a)); }

Checksum::Checksum(ChecksumAlgorithm algorithm) : algorithm_(algorithm) {
    if (algorithm == ChecksumAlgorithm::SHA1 || algorithm == ChecksumAlgorithm::SHA256) {
        md_ = EVP_MD_CTX_new();
        EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(md_),
                          algorithm == ChecksumAlgorithm::SHA1 ? EVP_sha1() : EVP_sha256(), nullptr);
    }
}

Checksum::~Checksum() {
    if (md_) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(md_));
}

Checksum::Checksum(Checksum&& other) noexcept : algorithm_(other.algorithm_), crc_(other.crc_), md_(other.md_) {
    other.md_ = nullptr;
}

void Checksum::update(std::span<const std::byte> data) {
    auto* p = reinterpret_cast<unsigned char*>(const_cast<std::byte*>(data.data()));
    switch (algorithm_) {
        case ChecksumAlgorithm::CRC32:
            crc_ = crc32_gzip_refl(static_cast<std::uint32_t>(crc_), p, data.size());
            break;
        case ChecksumAlgorithm::CRC32C:
            crc_ = ~crc32_iscsi(p, static_cast<int>(data.size()), ~static_cast<std::uint32_t>(crc_)) & 0xffffffffu;
            break;
        case ChecksumAlgorithm::CRC64NVME:
            crc_ = crc64_nvme(data, crc_);
            break;
        default:
            EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(md_), data.data(), data.size());
    }
}

std::string Checksum::raw() {
    switch (algorithm_) {
        case ChecksumAlgorithm::CRC32:
        case ChecksumAlgorithm::CRC32C:
            return big_endian(crc_, 4);
        case ChecksumAlgorithm::CRC64NVME:
            return big_endian(crc_, 8);
        default: {
            unsigned char out[EVP_MAX_MD_SIZE];
            unsigned len = 0;
            auto* copy = EVP_MD_CTX_new();
            EVP_MD_CTX_copy_ex(copy, static_cast<EVP_MD_CTX*>(md_));
            EVP_DigestFinal_ex(copy, out, &len);
            EVP_MD_CTX_free(copy);
            return std::string(reinterpret_cast<char*>(out), len);
        }
    }
}

std::string Checksum::finish() { return base64_encode(raw()); }

namespace {

// CRC combination (zlib's crc32_combine, for any reflected CRC up to 64
// bits whose init and xorout are all ones): the CRC of A||B from crc(A),
// crc(B) and len(B), by applying len(B) zero bytes to crc(A) as GF(2) matrix
// powers.
struct CrcShape {
    std::uint64_t reflected_poly;
    int width;
};

std::uint64_t gf2_times(const std::uint64_t* mat, std::uint64_t vec) {
    std::uint64_t sum = 0;
    for (int i = 0; vec; ++i, vec >>= 1)
        if (vec & 1) sum ^= mat[i];
    return sum;
}

void gf2_square(std::uint64_t* square, const std::uint64_t* mat, int width) {
    for (int n = 0; n < width; ++n) square[n] = gf2_times(mat, mat[n]);
}

std::uint64_t crc_combine(const CrcShape& shape, std::uint64_t crc1, std::uint64_t crc2, std::uint64_t len2) {
    if (len2 == 0) return crc1;
    std::uint64_t even[64], odd[64];
    odd[0] = shape.reflected_poly;  // the operator for one zero bit
    std::uint64_t row = 1;
    for (int n = 1; n < shape.width; ++n) {
        odd[n] = row;
        row <<= 1;
    }
    gf2_square(even, odd, shape.width);  // two zero bits
    gf2_square(odd, even, shape.width);  // four
    do {
        gf2_square(even, odd, shape.width);  // first round: one zero byte
        if (len2 & 1) crc1 = gf2_times(even, crc1);
        len2 >>= 1;
        if (len2 == 0) break;
        gf2_square(odd, even, shape.width);
        if (len2 & 1) crc1 = gf2_times(odd, crc1);
        len2 >>= 1;
    } while (len2 != 0);
    return crc1 ^ crc2;
}

std::optional<CrcShape> crc_shape(ChecksumAlgorithm a) {
    switch (a) {
        case ChecksumAlgorithm::CRC32:
            return CrcShape{0xedb88320u, 32};
        case ChecksumAlgorithm::CRC32C:
            return CrcShape{0x82f63b78u, 32};
        case ChecksumAlgorithm::CRC64NVME:
            return CrcShape{0x9a6c9329ac4bc9b5ULL, 64};
        default:
            return std::nullopt;
    }
}

}  // namespace

std::size_t checksum_digest_bytes(ChecksumAlgorithm a) {
    switch (a) {
        case ChecksumAlgorithm::CRC32:
        case ChecksumAlgorithm::CRC32C:
            return 4;
        case ChecksumAlgorithm::CRC64NVME:
            return 8;
        case ChecksumAlgorithm::SHA1:
            return 20;
        case ChecksumAlgorithm::SHA256:
            return 32;
    }
    return 0;
}

std::optional<std::string> multipart_checksum(ChecksumAlgorithm a, bool full_object,
                                              const std::vector<PartChecksum>& parts) {
    std::vector<std::string> raw;
    for (const auto& p : parts) {
        auto r = base64_decode(p.value);
        if (!r || r->size() != checksum_digest_bytes(a)) return std::nullopt;
        raw.push_back(std::move(*r));
    }
    if (!full_object) {
        Checksum composite(a);
        for (const auto& r : raw) composite.update(std::as_bytes(std::span(r.data(), r.size())));
        return composite.finish() + "-" + std::to_string(parts.size());
    }
    auto shape = crc_shape(a);
    if (!shape) return std::nullopt;
    std::uint64_t crc = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        std::uint64_t part = 0;
        for (unsigned char c : raw[i]) part = (part << 8) | c;
        crc = i == 0 ? part : crc_combine(*shape, crc, part, parts[i].size);
    }
    return base64_encode(big_endian(crc, static_cast<int>(checksum_digest_bytes(a))));
}

std::string_view checksum_type(std::string_view value) {
    return value.find('-') == std::string_view::npos ? "FULL_OBJECT" : "COMPOSITE";
}

std::string_view checksum_base64(std::string_view value) { return value.substr(0, value.find('-')); }

}  // namespace ostor::gw
