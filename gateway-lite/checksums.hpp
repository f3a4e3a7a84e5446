// The flexible checksums of the S3 API (x-amz-checksum-*): CRC32, CRC32C,
// CRC64NVME, SHA1, SHA256, computed while a body streams through. Values are
// exchanged as base64 of the big-endian digest.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ostor::gw {

enum class ChecksumAlgorithm { CRC32, CRC32C, CRC64NVME, SHA1, SHA256 };
inline constexpr ChecksumAlgorithm kChecksumAlgorithms[] = {ChecksumAlgorithm::CRC32, ChecksumAlgorithm::CRC32C,
                                                            ChecksumAlgorithm::CRC64NVME, ChecksumAlgorithm::SHA1,
                                                            ChecksumAlgorithm::SHA256};

// "CRC32" ... as the API names them (case-insensitive); nullopt otherwise.
std::optional<ChecksumAlgorithm> parse_checksum_algorithm(std::string_view name);
std::string_view checksum_name(ChecksumAlgorithm a);
// "x-amz-checksum-crc32" ...
std::string checksum_header(ChecksumAlgorithm a);
// The size of the algorithm's digest in bytes (4 for the CRC32s, 8, 20, 32).
std::size_t checksum_digest_bytes(ChecksumAlgorithm a);

class Checksum {
public:
    explicit Checksum(ChecksumAlgorithm algorithm);
    ~Checksum();
    Checksum(Checksum&&) noexcept;
    ChecksumAlgorithm algorithm() const { return algorithm_; }
    void update(std::span<const std::byte> data);
    // base64 of the digest.
    std::string finish();
    // The raw digest of what was fed so far (for composite checksums).
    std::string raw();

private:
    ChecksumAlgorithm algorithm_;
    std::uint64_t crc_ = 0;
    void* md_ = nullptr;  // EVP_MD_CTX for SHA
};

// The checksum of a multipart object from its parts' (base64 values and
// sizes, in order). COMPOSITE: the algorithm over the concatenated raw part
// checksums, then "-<number of parts>" (any algorithm). FULL_OBJECT: the CRC
// of the whole object, combined from the parts' CRCs without reading data
// (CRC algorithms only). nullopt when a part value is not valid base64 of the
// algorithm's size, or FULL_OBJECT is asked of a SHA.
struct PartChecksum {
    std::string value;  // base64
    std::uint64_t size = 0;
};
std::optional<std::string> multipart_checksum(ChecksumAlgorithm a, bool full_object,
                                              const std::vector<PartChecksum>& parts);

// The x-amz-checksum-type / ChecksumType of a stored checksum value:
// COMPOSITE for a multipart object's "<value>-<parts>", else FULL_OBJECT.
std::string_view checksum_type(std::string_view value);
// The base64 digest of a stored checksum value, without a composite one's
// "-<parts>": GetObjectAttributes answers it bare, as S3 does (GET, HEAD
// and CompleteMultipartUpload keep the suffix).
std::string_view checksum_base64(std::string_view value);

// CRC-64/NVME of `data`, continuing from `crc` (0 to start).
std::uint64_t crc64_nvme(std::span<const std::byte> data, std::uint64_t crc = 0);

}  // namespace ostor::gw
