// Range and conditional request headers (RFC 9110, as S3 applies them):
// pure functions of the header values and the object's ETag and time, so
// that each rule is tested on its own (tests/gateway/parts/test_conditions.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ostor::gw::s3 {

struct RangeRequest {
    enum class Kind { None, Absolute, Suffix } kind = Kind::None;
    std::uint64_t first = 0;
    std::optional<std::uint64_t> last;  // open-ended when empty
    std::uint64_t suffix = 0;           // Suffix: the last `suffix` bytes
};
// "bytes=a-b", "bytes=a-", "bytes=-n". Anything else (several ranges, other
// units, garbage, b < a) is ignored, as HTTP allows: the whole body is sent.
RangeRequest parse_range(std::string_view header);

// An entity tag without its quotes and weak prefix.
std::string_view unquote_etag(std::string_view s);
// If-Match / If-None-Match lists: "*" or comma-separated entity tags.
bool etag_matches(std::string_view list, std::string_view etag);

// The conditional headers of a request (nullptr: absent).
struct ConditionalHeaders {
    const std::string* if_match = nullptr;
    const std::string* if_none_match = nullptr;
    const std::string* if_modified_since = nullptr;
    const std::string* if_unmodified_since = nullptr;
};
enum class Precondition { Met, NotModified, Failed };
// What the conditions say of an object with `etag` last modified at
// `last_modified_ms`, for a read (GET/HEAD: a matching If-None-Match or an
// unchanged If-Modified-Since is 304) or a write or copy (those are 412, and
// If-Modified-Since does not apply). If-Match decides over
// If-Unmodified-Since, If-None-Match over If-Modified-Since; a date that
// does not parse, or one in the future for If-Modified-Since, is ignored.
Precondition evaluate_preconditions(const ConditionalHeaders& headers, std::string_view etag,
                                    std::int64_t last_modified_ms, bool read, std::int64_t now_ms);

}  // namespace ostor::gw::s3
