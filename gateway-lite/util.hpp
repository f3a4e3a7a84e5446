// Small codecs the S3 protocol needs: percent-encoding, base64, hex, HMAC and
// SHA digests (OpenSSL), HTTP and ISO 8601 dates, XML escaping.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ostor/admin_format.hpp"

namespace ostor::gw {

// Percent-decoding; '+' stays '+'. nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view in);
// AWS's encoding: everything but A-Za-z0-9-_.~ as %XX (uppercase); '/' kept
// when keep_slash.
std::string aws_uri_encode(std::string_view in, bool keep_slash);
void append_aws_uri_encoded(std::string& out, std::string_view in, bool keep_slash);

// True for a loopback address as inet_ntop prints it ("127.0.0.1", "::1",
// "::ffff:127.0.0.1"); for a listen address "HOST:PORT" use
// listen_is_loopback (admin_access.hpp).
bool is_loopback_address(std::string_view address);

// The query string split into (name, value) pairs, decoded; a name without
// '=' has an empty value. nullopt on a malformed escape.
using QueryList = std::vector<std::pair<std::string, std::string>>;
std::optional<QueryList> parse_query(std::string_view query);

std::string base64_encode(std::span<const unsigned char> bytes);
inline std::string base64_encode(std::string_view bytes) {
    return base64_encode({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
}
// nullopt unless `in` is canonical padded base64.
std::optional<std::string> base64_decode(std::string_view in);
std::string hex_encode(std::span<const unsigned char> bytes);
// Lowercase hex of `bytes` appended to `out`.
void append_hex(std::string& out, std::span<const unsigned char> bytes);
inline std::string hex_encode(std::string_view bytes) {
    return hex_encode({reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()});
}

// Raw digests as byte strings.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string hmac_sha1(std::string_view key, std::string_view data);
std::string sha256(std::string_view data);
// The same digests without a string to hold them.
using Sha256Digest = std::array<unsigned char, 32>;
Sha256Digest hmac_sha256_digest(std::string_view key, std::string_view data);
Sha256Digest sha256_digest(std::string_view data);
// Compares in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// Streaming SHA-256 (for x-amz-content-sha256 and signed chunks).
class Sha256Stream {
public:
    Sha256Stream();
    ~Sha256Stream();
    Sha256Stream(const Sha256Stream&) = delete;
    Sha256Stream& operator=(const Sha256Stream&) = delete;
    void update(std::span<const std::byte> data);
    std::string finish();  // raw 32 bytes; the stream restarts

private:
    void* ctx_;
};

// Times: milliseconds since the Unix epoch.
std::int64_t now_ms();
// "Wed, 12 Oct 2009 17:50:00 GMT"
std::string http_date(std::int64_t ms);
// "2009-10-12T17:50:00.000Z"
std::string iso8601_ms(std::int64_t ms);
// "20091012T175000Z" (ISO 8601 basic, as SigV4 signs it)
std::string amz_basic_date(std::int64_t ms);
// Parses RFC 1123 / RFC 850 / asctime HTTP dates and ISO 8601 basic
// "20091012T175000Z"; nullopt otherwise.
std::optional<std::int64_t> parse_http_date(std::string_view s);
std::optional<std::int64_t> parse_amz_date(std::string_view s);
// ISO 8601 as AWS takes it: YYYY-MM-DDThh:mm:ss, a fraction, then Z, an
// offset or nothing (UTC); `whole_second` (when given) says whether the
// fraction, if any, was all zeros. nullopt for anything else.
std::optional<std::int64_t> parse_iso8601(std::string_view s, bool* whole_second = nullptr);

// The length in bytes of the UTF-8 sequence at `p` (before `end`), 0 when
// the bytes there are not UTF-8: a byte that starts no sequence, a
// sequence cut short by `end`, an overlong form, a surrogate or a code point
// past U+10FFFF. `code_point`, when given, gets what a valid one encodes.
std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end, char32_t* code_point = nullptr);

// xml_escape: ostor/admin_format.hpp (the CLI's XML output uses it too).
// TAB, LF and CR come out as character references, so that parsers keep them.
using admin::xml_escape;

// True when XML 1.0 can carry `s` as text at all: valid UTF-8 holding none of
// the code points XML 1.0 forbids even as character references (U+0000-U+0008,
// U+000B, U+000C, U+000E-U+001F, U+FFFE, U+FFFF; surrogates are not UTF-8).
bool xml_can_carry(std::string_view s);
// An object key as XML text where no encoding-type applies (errors,
// DeleteObjects and multipart answers): escaped when XML can carry it, else
// percent-encoded as encoding-type=url would (only keys stored before such
// keys were refused can be like that).
std::string xml_key(std::string_view key);
// Free text (a message that may quote a key) as XML text: what XML cannot
// carry is percent-encoded byte by byte, the rest escaped.
std::string xml_text(std::string_view text);

// Case-insensitive ASCII comparison.
bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s);
// Decimal digits only (no sign, no space), at most 19 of them: a count or
// size from a header or query; nullopt for anything else.
std::optional<std::uint64_t> parse_u64(std::string_view s);

}  // namespace ostor::gw
