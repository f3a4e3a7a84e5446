// The aws-chunked body framing of streaming uploads (Signature V4 chunked
// payloads, signed or unsigned, with or without trailing headers): decoded
// as it is read, each chunk's signature checked in the chain that starts at
// the request's own signature.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "http.hpp"
#include "s3_error.hpp"
#include "util.hpp"

namespace ostor::gw {

// What the signature says about the body.
enum class PayloadMode {
    Unsigned,                  // UNSIGNED-PAYLOAD, V2, anonymous
    Sha256,                    // x-amz-content-sha256 is the body's SHA-256 (hex)
    StreamingSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
    StreamingSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
    StreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

// Enough of a V4 signature to verify the chunks that follow the header.
struct SigV4Chain {
    std::string signing_key;  // raw HMAC key for the scope
    std::string amz_date;     // 20130524T000000Z
    std::string scope;        // 20130524/us-east-1/s3/aws4_request
    std::string seed_signature;
};

// Decodes an aws-chunked body, checking each chunk's signature (signed
// modes) and collecting the trailing headers.
class AwsChunkedReader final : public BodyReader {
public:
    AwsChunkedReader(BodyReader& inner, PayloadMode mode, SigV4Chain chain);
    std::ptrdiff_t read(std::span<std::byte> out) override;
    bool done() const override { return done_; }
    // Why read() returned -1 (signature mismatch or malformed framing);
    // nullopt when the underlying connection failed.
    const std::optional<S3Error>& error() const { return error_; }
    // Trailing headers, names lowercased.
    const HeaderList& trailers() const { return trailers_; }

    // The longest chunk header or trailing header line taken (without its
    // CRLF); a longer one is refused as malformed.
    static constexpr std::size_t kMaxLineBytes = 4096;

private:
    enum class Line { Ok, End, TooLong };
    bool fill();
    // The next line without its line end; End when the body ended first.
    Line read_line(std::string& line);
    // The trailing headers after the last chunk (bounded in count and size),
    // their signature checked in the signed trailer mode; the error, if any.
    std::optional<S3Error> read_trailers();
    std::ptrdiff_t fail(S3Error e);
    bool finish_chunk();

    BodyReader& inner_;
    PayloadMode mode_;
    SigV4Chain chain_;
    std::vector<std::byte> buf_;
    std::size_t pos_ = 0, len_ = 0;
    std::uint64_t chunk_left_ = 0;
    bool in_chunk_ = false;
    std::string chunk_signature_;
    std::string previous_signature_;
    Sha256Stream chunk_sha_;
    bool done_ = false;
    bool failed_ = false;
    std::optional<S3Error> error_;
    HeaderList trailers_;
};

}  // namespace ostor::gw
