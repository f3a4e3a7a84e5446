// A bucket's CORS configuration (PutBucketCors): the <CORSConfiguration>
// document parsed and checked, written back in the form GetBucketCors
// answers (and the bucket stores), and the rule a cross-origin request
// matches. Pure functions of their text (tests/gateway/parts/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http.hpp"
#include "s3_error.hpp"

namespace ostor::gw::s3 {

// S3's limits: rules per configuration, and the document's size.
inline constexpr std::size_t kMaxCorsRules = 100;
inline constexpr std::size_t kMaxCorsDocumentBytes = 64 * 1024;

struct CorsRule {
    std::string id;
    std::vector<std::string> allowed_origins;  // each with at most one '*'
    std::vector<std::string> allowed_methods;  // GET PUT HEAD POST DELETE
    std::vector<std::string> allowed_headers;  // each with at most one '*'
    std::vector<std::string> expose_headers;
    std::optional<std::uint64_t> max_age_seconds;
};

struct CorsConfiguration {
    std::vector<CorsRule> rules;  // in the document's order: the first match wins
};

// Fails: MalformedXML (not XML, another root, no rule or more than
// kMaxCorsRules, a rule without an origin or a method, an element S3's
// schema does not have, a MaxAgeSeconds that is not a count), InvalidRequest
// (a method S3 does not allow, an origin or allowed header with two '*', an
// expose header with any), InvalidArgument (an ID over 255 characters).
std::variant<CorsConfiguration, S3Error> parse_cors_configuration(std::string_view body);

// The <CORSConfiguration> document of `config`, as GetBucketCors answers it.
std::string cors_configuration_xml(const CorsConfiguration& config);

// The first rule that allows `origin` to use `method` with every header in
// `requested_headers` (lowercase names), or nullptr.
const CorsRule* match_cors_rule(const CorsConfiguration& config, std::string_view origin, std::string_view method,
                                const std::vector<std::string>& requested_headers);

// Access-Control-Request-Headers as a list of lowercase names.
std::vector<std::string> requested_cors_headers(std::string_view header);

// The Access-Control-* and Vary headers that let `origin` read an answer
// under `rule`; on a preflight, `allowed_headers` are the requested names the
// rule allows (an actual request gets none).
HeaderList cors_answer_headers(const CorsRule& rule, std::string_view origin,
                               const std::vector<std::string>& allowed_headers);

}  // namespace ostor::gw::s3
