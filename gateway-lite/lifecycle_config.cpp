#include "lifecycle_config.hpp"

#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>

#include "s3/tag_sets.hpp"
#include "s3/xml_writer.hpp"
#include "util.hpp"
#include "xml_input.hpp"

namespace ostor::gw {

namespace {

using detail::LifecycleConfig;
using detail::LifecycleExpiration;
using detail::LifecycleFilter;
using detail::LifecycleNoncurrentExpiration;
using detail::LifecycleRule;
using Refusal = std::optional<S3Error>;

constexpr std::size_t kUuidBytes = 16;
// Tags in a filter: more than an object can have never match, but S3 does
// not refuse them, so only the tags' own rules apply.
constexpr std::size_t kNoTagLimit = std::numeric_limits<std::size_t>::max();
constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kSecondsPerDay = 86400;

std::string_view trim(std::string_view s) {
    constexpr std::string_view kSpace = " \t\r\n";
    auto b = s.find_first_not_of(kSpace);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// A decimal integer (xsd:int / xsd:long: an optional sign, digits,
// surrounding whitespace); nullopt otherwise or past int64.
std::optional<std::int64_t> parse_integer(std::string_view text) {
    text = trim(text);
    if (text.starts_with('+')) {
        text.remove_prefix(1);
        if (text.starts_with('-')) return std::nullopt;
    }
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

bool is_element(const pugi::xml_node& n) { return n.type() == pugi::node_element; }

// Every child element is one of `once` (at most once each) or `repeated`.
bool children_allowed(const pugi::xml_node& node, std::initializer_list<std::string_view> once,
                      std::initializer_list<std::string_view> repeated = {}) {
    std::set<std::string_view> seen;
    for (auto child : node.children()) {
        if (!is_element(child)) continue;
        std::string_view name = child.name();
        bool many = false;
        for (auto r : repeated) many = many || r == name;
        if (many) continue;
        bool known = false;
        for (auto o : once) known = known || o == name;
        if (!known || !seen.insert(name).second) return false;
    }
    return true;
}

// A leaf's text; nullopt when it holds elements.
std::optional<std::string> leaf_text(const pugi::xml_node& node) {
    for (auto child : node.children())
        if (is_element(child)) return std::nullopt;
    return std::string(node.child_value());
}

std::optional<std::string> child_text(const pugi::xml_node& parent, const char* name) {
    auto n = parent.child(name);
    if (!n) return std::nullopt;
    return leaf_text(n);
}

struct ParsedDate {
    TimestampMs ms = 0;
    bool midnight = false;  // 00:00:00 UTC exactly
};

std::optional<ParsedDate> parse_date(std::string_view s) {
    bool whole_second = false;
    auto ms = parse_iso8601(s, &whole_second);
    if (!ms) return std::nullopt;
    return ParsedDate{*ms, whole_second && *ms % (kSecondsPerDay * kMsPerSecond) == 0};
}

// "YYYY-MM-DDT00:00:00.000Z" for a midnight (Hinnant's civil_from_days).
std::string format_date(TimestampMs ms) {
    std::int64_t z = ms / (kSecondsPerDay * kMsPerSecond);
    if (ms % (kSecondsPerDay * kMsPerSecond) < 0) --z;
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT00:00:00.000Z", static_cast<long long>(y), m, d);
    return buf;
}

// A day count (xsd:int): MalformedXML when not a number, `non_positive`
// when it is not above zero.
std::variant<std::uint32_t, S3Error> parse_days(const std::optional<std::string>& text,
                                                const std::string& non_positive) {
    if (!text) return malformed_xml();
    auto v = parse_integer(*text);
    if (!v || *v > std::numeric_limits<std::int32_t>::max() || *v < std::numeric_limits<std::int32_t>::min())
        return malformed_xml();
    if (*v <= 0) return invalid_argument(non_positive);
    return static_cast<std::uint32_t>(*v);
}

Refusal parse_size(const pugi::xml_node& parent, const char* name, std::optional<std::uint64_t>& out) {
    auto node = parent.child(name);
    if (!node) return std::nullopt;
    auto text = leaf_text(node);
    auto v = text ? parse_integer(*text) : std::nullopt;
    if (!v || *v < 0) return malformed_xml();
    out = static_cast<std::uint64_t>(*v);
    return std::nullopt;
}

Refusal parse_prefix(const pugi::xml_node& node, std::string& out) {
    auto text = leaf_text(node);
    if (!text) return malformed_xml();
    if (text->size() > kMaxLifecyclePrefixBytes) return invalid_request("The maximum size of a prefix is 1024");
    out = std::move(*text);
    return std::nullopt;
}

Refusal parse_tag(const pugi::xml_node& node, ObjectTags& tags) {
    if (!children_allowed(node, {"Key", "Value"})) return malformed_xml();
    auto key = child_text(node, "Key");
    auto value = child_text(node, "Value");
    if (!key || !value) return malformed_xml();
    tags.emplace_back(std::move(*key), std::move(*value));
    return std::nullopt;
}

// The conditions of <Filter> or <And> (which allows several tags).
Refusal parse_conditions(const pugi::xml_node& node, LifecycleFilter& f) {
    if (auto p = node.child("Prefix"))
        if (auto e = parse_prefix(p, f.prefix)) return e;
    for (auto t : node.children("Tag"))
        if (auto e = parse_tag(t, f.tags)) return e;
    if (auto e = parse_size(node, "ObjectSizeGreaterThan", f.size_greater_than)) return e;
    if (auto e = parse_size(node, "ObjectSizeLessThan", f.size_less_than)) return e;
    if (auto e = s3::tag_set_error(f.tags, kNoTagLimit)) return e;
    if (f.size_greater_than && f.size_less_than && *f.size_greater_than >= *f.size_less_than)
        return invalid_request("ObjectSizeGreaterThan must be less than ObjectSizeLessThan");
    return std::nullopt;
}

Refusal parse_filter(const pugi::xml_node& node, LifecycleFilter& f) {
    auto element_count = [](const pugi::xml_node& n) {
        std::size_t count = 0;
        for (auto child : n.children()) count += is_element(child);
        return count;
    };
    if (auto a = node.child("And")) {
        // <And> stands alone, and holds at least one condition.
        if (element_count(node) != 1 || element_count(a) == 0 ||
            !children_allowed(a, {"Prefix", "ObjectSizeGreaterThan", "ObjectSizeLessThan"}, {"Tag"}))
            return malformed_xml();
        f.use_and = true;
        return parse_conditions(a, f);
    }
    if (element_count(node) > 1 ||
        !children_allowed(node, {"Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan"}))
        return malformed_xml();
    return parse_conditions(node, f);
}

Refusal parse_expiration(const pugi::xml_node& node, const LifecycleFilter& filter, LifecycleExpiration& x) {
    if (!children_allowed(node, {"Days", "Date", "ExpiredObjectDeleteMarker"})) return malformed_xml();
    auto days = node.child("Days"), date = node.child("Date"), marker = node.child("ExpiredObjectDeleteMarker");
    if (!days && !date && !marker) return malformed_xml();
    if (marker) {
        auto text = leaf_text(marker);
        auto value = text ? trim(*text) : std::string_view("?");
        if (value != "true" && value != "false") return malformed_xml();
        x.expired_object_delete_marker = value == "true";
        x.delete_marker_written = true;
        if (days || date)
            return invalid_argument(
                "Delete marker cannot be specified with Days or Date in a Lifecycle Expiration Policy");
        if (!filter.tags.empty())
            return invalid_request("Tag-based filter cannot be used with ExpiredObjectDeleteMarker action");
        if (filter.size_greater_than || filter.size_less_than) return malformed_xml();
    }
    if (days && date)
        return invalid_argument(
            "Exactly one of Days (positive integer) or Date (positive ISO 8601 format) should be present inside "
            "Expiration.");
    if (days) {
        auto d = parse_days(leaf_text(days), "'Days' for Expiration action must be a positive integer");
        if (auto* e = std::get_if<S3Error>(&d)) return *e;
        x.days = std::get<std::uint32_t>(d);
    }
    if (date) {
        auto text = leaf_text(date);
        auto parsed = text ? parse_date(*text) : std::nullopt;
        if (!parsed) return invalid_argument("Date must be provided in ISO 8601 format");
        if (!parsed->midnight) return invalid_argument("'Date' must be at midnight GMT");
        x.date_ms = parsed->ms;
    }
    return std::nullopt;
}

Refusal parse_noncurrent(const pugi::xml_node& node, LifecycleNoncurrentExpiration& n) {
    if (!children_allowed(node, {"NoncurrentDays", "NewerNoncurrentVersions"})) return malformed_xml();
    const std::string days_message =
        "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer";
    auto days_node = node.child("NoncurrentDays");
    // AWS takes a missing NoncurrentDays as 0 (and refuses it as such).
    if (!days_node) return invalid_argument(days_message);
    auto d = parse_days(leaf_text(days_node), days_message);
    if (auto* e = std::get_if<S3Error>(&d)) return *e;
    n.noncurrent_days = std::get<std::uint32_t>(d);
    if (auto newer = node.child("NewerNoncurrentVersions")) {
        auto v =
            parse_days(leaf_text(newer),
                       "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer");
        if (auto* e = std::get_if<S3Error>(&v)) return *e;
        if (std::get<std::uint32_t>(v) > detail::kMaxNewerNoncurrentVersions)
            return invalid_argument(
                "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must not exceed 100");
        n.newer_noncurrent_versions = std::get<std::uint32_t>(v);
    }
    return std::nullopt;
}

Refusal parse_abort(const pugi::xml_node& node, const LifecycleFilter& filter, std::optional<std::uint32_t>& out) {
    if (!children_allowed(node, {"DaysAfterInitiation"})) return malformed_xml();
    auto days = node.child("DaysAfterInitiation");
    if (!days) return malformed_xml();
    auto d = parse_days(leaf_text(days),
                        "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer");
    if (auto* e = std::get_if<S3Error>(&d)) return *e;
    if (!filter.tags.empty())
        return invalid_request("Tag-based filter cannot be used with AbortIncompleteMultipartUpload action");
    out = std::get<std::uint32_t>(d);
    return std::nullopt;
}

Refusal parse_rule(const pugi::xml_node& node, LifecycleRule& r) {
    if (!children_allowed(node,
                          {"ID", "Prefix", "Filter", "Status", "Expiration", "NoncurrentVersionExpiration",
                           "AbortIncompleteMultipartUpload"},
                          {"Transition", "NoncurrentVersionTransition"}))
        return malformed_xml();
    auto filter = node.child("Filter"), prefix = node.child("Prefix");
    if (static_cast<bool>(filter) == static_cast<bool>(prefix)) return malformed_xml();
    auto status = child_text(node, "Status");
    if (!status || (*status != "Enabled" && *status != "Disabled")) return malformed_xml();
    r.enabled = *status == "Enabled";
    if (auto id = node.child("ID")) {
        auto text = leaf_text(id);
        if (!text) return malformed_xml();
        if (text->size() > detail::kMaxLifecycleRuleIdBytes)
            return invalid_argument("ID length should not exceed allowed limit of 255");
        // AWS limits only the length; the ID is sent quoted in the
        // x-amz-expiration header, where these would end the value or the
        // header.
        if (text->find_first_of("\"\r\n") != std::string::npos)
            return invalid_argument("ID must not contain a double quote, a carriage return or a line feed");
        r.id = std::move(*text);
    }
    if (prefix) {
        r.filter.legacy_prefix = true;
        if (auto e = parse_prefix(prefix, r.filter.prefix)) return e;
    } else if (auto e = parse_filter(filter, r.filter)) {
        return e;
    }
    if (node.child("Transition") || node.child("NoncurrentVersionTransition")) return invalid_storage_class();
    auto expiration = node.child("Expiration"), noncurrent = node.child("NoncurrentVersionExpiration"),
         abort = node.child("AbortIncompleteMultipartUpload");
    if (!expiration && !noncurrent && !abort)
        return invalid_request("At least one action needs to be specified in a rule");
    if (expiration) {
        r.expiration.emplace();
        if (auto e = parse_expiration(expiration, r.filter, *r.expiration)) return e;
    }
    if (noncurrent) {
        r.noncurrent_expiration.emplace();
        if (auto e = parse_noncurrent(noncurrent, *r.noncurrent_expiration)) return e;
    }
    if (abort)
        if (auto e = parse_abort(abort, r.filter, r.abort_upload_days)) return e;
    return std::nullopt;
}

void write_filter(s3::XmlWriter& x, const LifecycleFilter& f) {
    if (f.legacy_prefix) {
        x.el("Prefix", f.prefix);
        return;
    }
    auto conditions = [&] {
        if (!f.prefix.empty()) x.el("Prefix", f.prefix);
        for (const auto& [k, v] : f.tags) x.open("Tag").el("Key", k).el("Value", v).close("Tag");
        if (f.size_greater_than) x.el("ObjectSizeGreaterThan", *f.size_greater_than);
        if (f.size_less_than) x.el("ObjectSizeLessThan", *f.size_less_than);
    };
    x.open("Filter");
    if (f.use_and) {
        x.open("And");
        // An <And> is never empty: an empty prefix stands for "everything".
        if (f.prefix.empty() && f.tags.empty() && !f.size_greater_than && !f.size_less_than) x.el("Prefix", "");
        conditions();
        x.close("And");
    } else {
        // A filter of everything is answered as the SDKs and aws cli write
        // it, <Prefix></Prefix> (what AWS answers to them), not as <Filter/>:
        // the model holds the same for both.
        if (f.prefix.empty() && f.tags.empty() && !f.size_greater_than && !f.size_less_than) x.el("Prefix", "");
        conditions();
    }
    x.close("Filter");
}

}  // namespace

std::string random_lifecycle_rule_id() {
    std::array<unsigned char, kUuidBytes> b{};
    if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw std::runtime_error("RAND_bytes failed");
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
    std::string text;
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
        text += hex_encode(std::span<const unsigned char>(&b[i], 1));
    }
    return base64_encode(text);
}

std::variant<LifecycleConfig, S3Error> parse_lifecycle_config(std::string_view body, const LifecycleIdSource& new_id) {
    pugi::xml_document doc;
    if (!load_xml(doc, body)) return malformed_xml();
    auto root = doc.document_element();
    if (std::string_view(root.name()) != "LifecycleConfiguration" || !children_allowed(root, {}, {"Rule"}))
        return malformed_xml();
    std::size_t count = 0;
    for ([[maybe_unused]] auto r : root.children("Rule")) ++count;
    if (count == 0) return malformed_xml();
    if (count > detail::kMaxLifecycleRules)
        return invalid_argument("Lifecycle configuration allows a maximum of 1000 rules");
    LifecycleConfig config;
    std::set<std::string> ids;
    for (auto node : root.children("Rule")) {
        LifecycleRule r;
        if (auto e = parse_rule(node, r)) return *e;
        if (!r.id.empty() && !ids.insert(r.id).second)
            return invalid_argument("Rule ID must be unique. Found same ID for more than one rule");
        config.rules.push_back(std::move(r));
    }
    // Ids are drawn once every given one is known, so none repeats one.
    for (auto& r : config.rules)
        while (r.id.empty()) {
            auto id = new_id();
            if (!id.empty() && ids.insert(id).second) r.id = std::move(id);
        }
    return config;
}

std::string lifecycle_config_xml(const LifecycleConfig& config) {
    s3::XmlWriter x("LifecycleConfiguration");
    for (const auto& r : config.rules) {
        x.open("Rule").el("ID", r.id);
        write_filter(x, r.filter);
        x.el("Status", r.enabled ? "Enabled" : "Disabled");
        if (r.expiration) {
            x.open("Expiration");
            if (r.expiration->days) x.el("Days", std::uint64_t{*r.expiration->days});
            if (r.expiration->date_ms) x.el("Date", format_date(*r.expiration->date_ms));
            if (r.expiration->delete_marker_written)
                x.el("ExpiredObjectDeleteMarker", r.expiration->expired_object_delete_marker);
            x.close("Expiration");
        }
        if (r.noncurrent_expiration) {
            x.open("NoncurrentVersionExpiration")
                .el("NoncurrentDays", std::uint64_t{r.noncurrent_expiration->noncurrent_days});
            if (r.noncurrent_expiration->newer_noncurrent_versions)
                x.el("NewerNoncurrentVersions", std::uint64_t{r.noncurrent_expiration->newer_noncurrent_versions});
            x.close("NoncurrentVersionExpiration");
        }
        if (r.abort_upload_days)
            x.open("AbortIncompleteMultipartUpload")
                .el("DaysAfterInitiation", std::uint64_t{*r.abort_upload_days})
                .close("AbortIncompleteMultipartUpload");
        x.close("Rule");
    }
    return x.finish();
}

}  // namespace ostor::gw
