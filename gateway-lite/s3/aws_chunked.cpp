#include "s3/aws_chunked.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "s3/signing.hpp"

namespace ostor::gw {

namespace {

// RFC 9110 token characters: what a header name may hold.
bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

// Bounds of aws-chunked framing. A chunk header is a hex size and a 64-digit
// signature; a trailer holds one checksum header and its signature. These
// leave room for any real client and keep a hostile one from making a line
// or the trailer list grow without end.
constexpr std::size_t kMaxTrailerFields = 4;
constexpr std::size_t kMaxTrailerBytes = 4096;

}  // namespace

AwsChunkedReader::AwsChunkedReader(BodyReader& inner, PayloadMode mode, SigV4Chain chain)
    : inner_(inner), mode_(mode), chain_(std::move(chain)), buf_(64 * 1024) {
    previous_signature_ = chain_.seed_signature;
}

std::ptrdiff_t AwsChunkedReader::fail(S3Error e) {
    failed_ = true;
    error_ = std::move(e);
    return -1;
}

bool AwsChunkedReader::fill() {
    if (pos_ < len_) return true;
    pos_ = len_ = 0;
    auto n = inner_.read(buf_);
    if (n <= 0) return false;
    len_ = static_cast<std::size_t>(n);
    return true;
}

AwsChunkedReader::Line AwsChunkedReader::read_line(std::string& line) {
    line.clear();
    for (;;) {
        if (!fill()) return Line::End;
        auto* start = reinterpret_cast<const char*>(buf_.data()) + pos_;
        auto* nl = static_cast<const char*>(std::memchr(start, '\n', len_ - pos_));
        std::size_t take = nl ? static_cast<std::size_t>(nl - start) + 1 : len_ - pos_;
        line.append(start, take);
        pos_ += take;
        if (line.size() > kMaxLineBytes + 2) return Line::TooLong;  // + CRLF
        if (nl) break;
    }
    line.pop_back();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return Line::Ok;
}

bool AwsChunkedReader::finish_chunk() {
    std::string data_hash = hex_encode(chunk_sha_.finish());
    if (mode_ != PayloadMode::StreamingSigned && mode_ != PayloadMode::StreamingSignedTrailer) return true;
    std::string expected = s3::sigv4_signature(
        chain_.signing_key,
        s3::sigv4_chunk_string_to_sign(chain_.amz_date, chain_.scope, previous_signature_, data_hash));
    if (!constant_time_equal(expected, chunk_signature_)) return false;
    previous_signature_ = expected;
    return true;
}

std::optional<S3Error> AwsChunkedReader::read_trailers() {
    bool trailer_mode = mode_ == PayloadMode::StreamingSignedTrailer || mode_ == PayloadMode::StreamingUnsignedTrailer;
    const S3Error incomplete{400, "IncompleteBody", "The request body terminated unexpectedly"};
    std::string trailer_text;
    std::string trailer_signature;
    std::size_t fields = 0, bytes = 0;
    for (std::string t;;) {
        auto got = read_line(t);
        if (got == Line::End) {
            // Some clients end the body right after the last chunk without
            // the closing empty line.
            if (!trailer_mode || !trailers_.empty()) break;
            return incomplete;
        }
        if (got == Line::TooLong) return malformed_trailer("A trailing header is too long.");
        if (t.empty()) break;
        bytes += t.size();
        if (++fields > kMaxTrailerFields || bytes > kMaxTrailerBytes)
            return malformed_trailer("Too many trailing headers.");
        if (!trailer_mode) return malformed_trailer("This payload mode carries no trailing headers.");
        auto colon = t.find(':');
        if (colon == std::string::npos) return malformed_trailer("A trailing header has no colon.");
        std::string name = to_lower(trim(std::string_view(t).substr(0, colon)));
        std::string value(trim(std::string_view(t).substr(colon + 1)));
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char))
            return malformed_trailer("A trailing header's name is not valid.");
        if (name == "x-amz-trailer-signature") {
            trailer_signature = value;
            continue;
        }
        trailer_text += name + ":" + value + "\n";
        trailers_.emplace_back(std::move(name), std::move(value));
    }
    if (mode_ == PayloadMode::StreamingSignedTrailer) {
        std::string to_sign =
            s3::sigv4_trailer_string_to_sign(chain_.amz_date, chain_.scope, previous_signature_, trailer_text);
        if (!constant_time_equal(s3::sigv4_signature(chain_.signing_key, to_sign), trailer_signature))
            return signature_mismatch();
    }
    return std::nullopt;
}

std::ptrdiff_t AwsChunkedReader::read(std::span<std::byte> out) {
    if (failed_) return -1;
    if (done_ || out.empty()) return 0;
    bool signed_mode = mode_ == PayloadMode::StreamingSigned || mode_ == PayloadMode::StreamingSignedTrailer;
    const S3Error incomplete{400, "IncompleteBody", "The request body terminated unexpectedly"};
    for (;;) {
        if (!in_chunk_) {
            std::string line;
            switch (read_line(line)) {
                case Line::Ok:
                    break;
                case Line::End:
                    return fail(incomplete);
                case Line::TooLong:
                    return fail(invalid_argument("Malformed aws-chunked chunk header: the line is too long."));
            }
            auto semi = line.find(';');
            std::string size_text = line.substr(0, semi);
            chunk_signature_.clear();
            if (semi != std::string::npos) {
                auto ext = std::string_view(line).substr(semi + 1);
                if (ext.starts_with("chunk-signature=")) chunk_signature_ = ext.substr(16);
            }
            if (signed_mode && chunk_signature_.empty()) return fail(signature_mismatch());
            char* end = nullptr;
            errno = 0;
            unsigned long long size = std::strtoull(size_text.c_str(), &end, 16);
            if (size_text.empty() || *end != '\0' || errno != 0)
                return fail(invalid_argument("Malformed aws-chunked chunk header."));
            chunk_left_ = size;
            if (size == 0) {
                if (!finish_chunk()) return fail(signature_mismatch());
                if (auto failed = read_trailers()) return fail(std::move(*failed));
                // Drain what the transport still holds (nothing, normally).
                while (fill()) pos_ = len_;
                done_ = true;
                return 0;
            }
            in_chunk_ = true;
        }
        if (!fill()) return fail(incomplete);
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>({chunk_left_, out.size(), len_ - pos_}));
        std::memcpy(out.data(), buf_.data() + pos_, n);
        chunk_sha_.update({buf_.data() + pos_, n});
        pos_ += n;
        chunk_left_ -= n;
        if (chunk_left_ == 0) {
            std::string crlf;
            if (read_line(crlf) != Line::Ok || !crlf.empty()) return fail(incomplete);
            in_chunk_ = false;
            if (!finish_chunk()) return fail(signature_mismatch());
        }
        return static_cast<std::ptrdiff_t>(n);
    }
}

}  // namespace ostor::gw
