// libFuzzer target: the aws-chunked decoder (gateway-lite/s3/aws_chunked.cpp)
// on any body, in each streaming payload mode, read in pieces of any size.
// Input: [mode byte][piece size byte][body...]. The unsigned trailer mode
// checks no signature, so the framing itself is reached; the signed modes
// are fuzzed up to their first signature check.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "s3/aws_chunked.hpp"
#include "s3/signing.hpp"

namespace {

using namespace ostor::gw;

class MemoryBody final : public BodyReader {
public:
    MemoryBody(const std::uint8_t* data, std::size_t size, std::size_t step) : data_(data), size_(size), step_(step) {}
    std::ptrdiff_t read(std::span<std::byte> out) override {
        std::size_t n = std::min({out.size(), step_, size_ - pos_});
        std::memcpy(out.data(), data_ + pos_, n);
        pos_ += n;
        return static_cast<std::ptrdiff_t>(n);
    }
    bool done() const override { return pos_ == size_; }

private:
    const std::uint8_t* data_;
    std::size_t size_, step_, pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static const PayloadMode kModes[] = {PayloadMode::StreamingUnsignedTrailer, PayloadMode::StreamingSigned,
                                         PayloadMode::StreamingSignedTrailer};
    const PayloadMode mode = kModes[data[0] % 3];
    const std::size_t step = 1 + data[1] % 128;
    static const SigV4Chain chain{s3::sigv4_signing_key("secret", "20130524", "us-east-1", "s3"), "20130524T000000Z",
                                  s3::sigv4_scope("20130524", "us-east-1", "s3"), std::string(64, '0')};
    MemoryBody raw(data + 2, size - 2, step);
    AwsChunkedReader reader(raw, mode, chain);
    std::vector<std::byte> buf(1 + (data[1] >> 1));
    std::size_t decoded = 0;
    for (;;) {
        auto n = reader.read(buf);
        if (n < 0) {
            // The body is in memory: a failure is always the framing's or a
            // signature's, and says which.
            if (!reader.error()) std::abort();
            break;
        }
        if (n == 0) break;
        decoded += static_cast<std::size_t>(n);
        // Decoding never makes bytes up.
        if (decoded > size) std::abort();
    }
    return 0;
}
