// libFuzzer target: the XML request bodies (gateway-lite/s3/xml_bodies.cpp,
// xml_input.hpp), the tag sets (s3/tag_sets.cpp) and the CORS
// configurations (s3/cors_rules.cpp): any text is a parsed request or
// MalformedXML, never more than S3's limits; a tag set is one that passes
// its limits or S3's error for it; a CORS configuration holds S3's rules,
// and the form a bucket stores parses back to itself.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "s3/cors_rules.hpp"
#include "s3/tag_sets.hpp"
#include "s3/xml_bodies.hpp"

namespace {

using namespace ostor::gw;

void check_tags(const std::variant<s3::TagSet, S3Error>& parsed, std::string_view refusal) {
    if (const auto* tags = std::get_if<s3::TagSet>(&parsed)) {
        if (tags->size() > ostor::kMaxObjectTags || s3::tag_set_error(*tags)) std::abort();
        return;
    }
    const auto& code = std::get<S3Error>(parsed).code;
    if (code != refusal && code != "InvalidTag" && code != "BadRequest") std::abort();
}

bool at_most_one_wildcard(const std::string& s) { return std::count(s.begin(), s.end(), '*') <= 1; }

void check_cors(std::string_view body) {
    auto parsed = s3::parse_cors_configuration(body);
    const auto* config = std::get_if<s3::CorsConfiguration>(&parsed);
    if (!config) {
        const auto& code = std::get<S3Error>(parsed).code;
        if (code != "MalformedXML" && code != "InvalidRequest" && code != "InvalidArgument") std::abort();
        return;
    }
    if (config->rules.empty() || config->rules.size() > s3::kMaxCorsRules) std::abort();
    for (const auto& r : config->rules) {
        if (r.allowed_origins.empty() || r.allowed_methods.empty()) std::abort();
        if (!std::all_of(r.allowed_origins.begin(), r.allowed_origins.end(), at_most_one_wildcard) ||
            !std::all_of(r.allowed_headers.begin(), r.allowed_headers.end(), at_most_one_wildcard))
            std::abort();
        for (const auto& h : r.expose_headers)
            if (h.find('*') != std::string::npos) std::abort();
    }
    // What the bucket keeps reads back as the same rules.
    const auto stored = s3::cors_configuration_xml(*config);
    auto again = s3::parse_cors_configuration(stored);
    const auto* reread = std::get_if<s3::CorsConfiguration>(&again);
    if (!reread || s3::cors_configuration_xml(*reread) != stored) std::abort();
    // Matching any text as an origin and a header list stays within the rules.
    const auto headers = s3::requested_cors_headers(body);
    if (const auto* rule = s3::match_cors_rule(*config, body, "GET", headers)) {
        if (rule < config->rules.data() || rule >= config->rules.data() + config->rules.size()) std::abort();
        (void)s3::cors_answer_headers(*rule, body, headers);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto parsed = s3::parse_delete_objects(body);
    if (auto* request = std::get_if<s3::DeleteObjectsRequest>(&parsed)) {
        if (request->objects.empty() || request->objects.size() > 1000) std::abort();
    } else if (std::get<S3Error>(parsed).code != "MalformedXML") {
        std::abort();
    }
    // Object lock bodies: parsed, or S3's errors for them.
    auto lock_config = s3::parse_object_lock_configuration(body);
    if (const auto* e = std::get_if<S3Error>(&lock_config);
        e && e->code != "MalformedXML" && e->code != "InvalidArgument")
        std::abort();
    auto retention = s3::parse_retention(body);
    if (const auto* e = std::get_if<S3Error>(&retention); e && e->code != "MalformedXML") std::abort();
    auto hold = s3::parse_legal_hold(body);
    if (const auto* e = std::get_if<S3Error>(&hold); e && e->code != "MalformedXML") std::abort();
    check_tags(s3::parse_tagging(body), "MalformedXML");
    check_tags(s3::parse_tagging_header(body), "InvalidArgument");
    check_cors(body);
    return 0;
}
