#include "s3/cors_rules.hpp"

#include <algorithm>
#include <array>

#include "s3/xml_writer.hpp"
#include "util.hpp"
#include "xml_input.hpp"

namespace ostor::gw::s3 {

namespace {

// The methods a rule may allow (S3 refuses any other, OPTIONS included).
constexpr std::array<std::string_view, 5> kCorsMethods = {"GET", "PUT", "HEAD", "POST", "DELETE"};
// S3's limit on a rule's ID.
constexpr std::size_t kMaxCorsRuleIdChars = 255;
constexpr std::string_view kVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

bool has_two_wildcards(std::string_view s) {
    auto first = s.find('*');
    return first != std::string_view::npos && s.find('*', first + 1) != std::string_view::npos;
}

// `s` against a pattern with at most one '*' (matching any run of
// characters, none included), anchored at both ends.
bool wildcard_match(std::string_view pattern, std::string_view s, bool ignore_case) {
    auto eq = [&](std::string_view a, std::string_view b) { return ignore_case ? iequals(a, b) : a == b; };
    auto star = pattern.find('*');
    if (star == std::string_view::npos) return eq(pattern, s);
    auto prefix = pattern.substr(0, star);
    auto suffix = pattern.substr(star + 1);
    return s.size() >= prefix.size() + suffix.size() && eq(s.substr(0, prefix.size()), prefix) &&
           eq(s.substr(s.size() - suffix.size()), suffix);
}

std::size_t utf8_chars(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += ", ";
        out += i;
    }
    return out;
}

std::variant<CorsRule, S3Error> parse_rule(const pugi::xml_node& node) {
    CorsRule rule;
    bool has_id = false;
    bool has_max_age = false;
    for (auto child : node.children()) {
        if (child.type() != pugi::node_element) continue;
        std::string_view name = child.name();
        std::string value(trim(child.child_value()));
        if (name == "ID") {
            if (has_id) return malformed_xml();
            has_id = true;
            if (utf8_chars(value) > kMaxCorsRuleIdChars)
                return invalid_argument("The ID of a CORS rule cannot be longer than 255 characters.");
            rule.id = std::move(value);
        } else if (name == "AllowedOrigin") {
            if (has_two_wildcards(value)) return cors_two_wildcards(name, value);
            rule.allowed_origins.push_back(std::move(value));
        } else if (name == "AllowedMethod") {
            if (std::find(kCorsMethods.begin(), kCorsMethods.end(), value) == kCorsMethods.end())
                return unsupported_cors_method(value);
            rule.allowed_methods.push_back(std::move(value));
        } else if (name == "AllowedHeader") {
            if (has_two_wildcards(value)) return cors_two_wildcards(name, value);
            rule.allowed_headers.push_back(std::move(value));
        } else if (name == "ExposeHeader") {
            // Access-Control-Expose-Headers' "*" would mean every header, and
            // only to requests without credentials: S3 takes names only.
            if (value.find('*') != std::string::npos) return cors_expose_header_wildcard(value);
            rule.expose_headers.push_back(std::move(value));
        } else if (name == "MaxAgeSeconds") {
            auto seconds = parse_u64(value);
            if (has_max_age || !seconds) return malformed_xml();
            has_max_age = true;
            rule.max_age_seconds = *seconds;
        } else {
            return malformed_xml();
        }
    }
    if (rule.allowed_origins.empty() || rule.allowed_methods.empty()) return malformed_xml();
    return rule;
}

}  // namespace

std::variant<CorsConfiguration, S3Error> parse_cors_configuration(std::string_view body) {
    pugi::xml_document doc;
    if (!load_xml(doc, body) || !doc.child("CORSConfiguration")) return malformed_xml();
    CorsConfiguration config;
    for (auto child : doc.child("CORSConfiguration").children()) {
        if (child.type() != pugi::node_element) continue;
        if (std::string_view(child.name()) != "CORSRule") return malformed_xml();
        auto rule = parse_rule(child);
        if (auto* e = std::get_if<S3Error>(&rule)) return *e;
        config.rules.push_back(std::get<CorsRule>(std::move(rule)));
    }
    if (config.rules.empty() || config.rules.size() > kMaxCorsRules) return malformed_xml();
    return config;
}

std::string cors_configuration_xml(const CorsConfiguration& config) {
    XmlWriter x("CORSConfiguration");
    for (const auto& r : config.rules) {
        x.open("CORSRule");
        for (const auto& h : r.allowed_headers) x.el("AllowedHeader", h);
        for (const auto& m : r.allowed_methods) x.el("AllowedMethod", m);
        for (const auto& o : r.allowed_origins) x.el("AllowedOrigin", o);
        for (const auto& h : r.expose_headers) x.el("ExposeHeader", h);
        if (!r.id.empty()) x.el("ID", r.id);
        if (r.max_age_seconds) x.el("MaxAgeSeconds", *r.max_age_seconds);
        x.close("CORSRule");
    }
    return x.finish();
}

const CorsRule* match_cors_rule(const CorsConfiguration& config, std::string_view origin, std::string_view method,
                                const std::vector<std::string>& requested_headers) {
    for (const auto& rule : config.rules) {
        bool origin_ok = std::any_of(rule.allowed_origins.begin(), rule.allowed_origins.end(),
                                     [&](const auto& o) { return wildcard_match(o, origin, false); });
        bool method_ok =
            std::find(rule.allowed_methods.begin(), rule.allowed_methods.end(), method) != rule.allowed_methods.end();
        bool headers_ok = std::all_of(requested_headers.begin(), requested_headers.end(), [&](const auto& h) {
            return std::any_of(rule.allowed_headers.begin(), rule.allowed_headers.end(),
                               [&](const auto& allowed) { return wildcard_match(allowed, h, true); });
        });
        if (origin_ok && method_ok && headers_ok) return &rule;
    }
    return nullptr;
}

std::vector<std::string> requested_cors_headers(std::string_view header) {
    std::vector<std::string> out;
    while (!header.empty()) {
        auto comma = header.find(',');
        auto item = trim(header.substr(0, comma));
        if (!item.empty()) out.push_back(to_lower(item));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    }
    return out;
}

HeaderList cors_answer_headers(const CorsRule& rule, std::string_view origin,
                               const std::vector<std::string>& allowed_headers) {
    // Any origin (a rule's "*" that matched first) is answered "*", which
    // browsers accept only for requests without credentials; a named one is
    // echoed, credentials allowed.
    auto matched = std::find_if(rule.allowed_origins.begin(), rule.allowed_origins.end(),
                                [&](const auto& o) { return wildcard_match(o, origin, false); });
    bool any = matched != rule.allowed_origins.end() && *matched == "*";
    HeaderList h;
    h.emplace_back("Access-Control-Allow-Origin", any ? "*" : std::string(origin));
    if (!any) h.emplace_back("Access-Control-Allow-Credentials", "true");
    h.emplace_back("Access-Control-Allow-Methods", joined(rule.allowed_methods));
    if (!allowed_headers.empty()) h.emplace_back("Access-Control-Allow-Headers", joined(allowed_headers));
    if (!rule.expose_headers.empty()) h.emplace_back("Access-Control-Expose-Headers", joined(rule.expose_headers));
    if (rule.max_age_seconds) h.emplace_back("Access-Control-Max-Age", std::to_string(*rule.max_age_seconds));
    h.emplace_back("Vary", std::string(kVary));
    return h;
}

}  // namespace ostor::gw::s3
