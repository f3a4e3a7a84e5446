#include "s3/xml_bodies.hpp"

#include <cstdint>

#include "s3/conditions.hpp"
#include "util.hpp"
#include "xml_input.hpp"

namespace ostor::gw::s3 {

namespace {

// The most keys one DeleteObjects names (S3's limit).
constexpr std::size_t kMaxDeleteKeys = 1000;

// A default retention period: a positive count; an integer that is not
// (0, a sign) is InvalidArgument, anything else MalformedXML.
std::variant<std::uint32_t, S3Error> retention_period(std::string_view text) {
    text = trim(text);
    bool negative = text.starts_with('-');
    auto n = parse_u64(negative ? text.substr(1) : text);
    if (!n) return malformed_xml();
    if (negative || *n == 0 || *n > UINT32_MAX)
        return invalid_argument("Default retention period must be a positive integer value");
    return static_cast<std::uint32_t>(*n);
}

}  // namespace

std::variant<DeleteObjectsRequest, S3Error> parse_delete_objects(std::string_view body) {
    pugi::xml_document doc;
    // <Key> is taken byte for byte, even when it is only whitespace.
    if (!load_xml(doc, body, /*keep_whitespace_text=*/true) || !doc.child("Delete")) return malformed_xml();
    auto root = doc.child("Delete");
    DeleteObjectsRequest request;
    request.quiet = std::string_view(root.child_value("Quiet")) == "true";
    for (auto o : root.children("Object")) {
        auto k = o.child("Key");
        if (!k) return malformed_xml();
        request.objects.push_back({k.child_value(), std::string(trim(o.child_value("VersionId")))});
    }
    if (request.objects.empty() || request.objects.size() > kMaxDeleteKeys) return malformed_xml();
    return request;
}

std::variant<CompleteMultipartUploadRequest, S3Error> parse_complete_multipart_upload(std::string_view body) {
    pugi::xml_document doc;
    if (!load_xml(doc, body) || !doc.child("CompleteMultipartUpload")) return malformed_xml();
    CompleteMultipartUploadRequest request;
    constexpr std::string_view kChecksumPrefix = "Checksum";
    for (auto p : doc.child("CompleteMultipartUpload").children("Part")) {
        auto number = parse_u64(trim(p.child_value("PartNumber")));
        if (!number || *number < 1 || *number > kMaxPartNumber || !p.child("ETag")) return malformed_xml();
        ListedPart listed;
        listed.part = {static_cast<std::uint32_t>(*number), std::string(unquote_etag(p.child_value("ETag")))};
        for (auto child : p.children()) {
            std::string_view name = child.name();
            if (name.starts_with(kChecksumPrefix))
                listed.checksums.emplace(name.substr(kChecksumPrefix.size()), trim(child.child_value()));
        }
        request.parts.push_back(std::move(listed));
    }
    if (request.parts.empty()) return malformed_xml();
    return request;
}

std::variant<ObjectLockConfig, S3Error> parse_object_lock_configuration(std::string_view body) {
    pugi::xml_document doc;
    if (!load_xml(doc, body) || !doc.child("ObjectLockConfiguration")) return malformed_xml();
    auto root = doc.child("ObjectLockConfiguration");
    if (trim(root.child_value("ObjectLockEnabled")) != "Enabled") return malformed_xml();
    ObjectLockConfig config;
    config.enabled = true;
    auto rule = root.child("Rule");
    if (!rule) return config;
    auto retention = rule.child("DefaultRetention");
    if (!retention) return malformed_xml();
    auto mode = parse_retention_mode(trim(retention.child_value("Mode")));
    auto days = retention.child("Days"), years = retention.child("Years");
    if (!mode || static_cast<bool>(days) == static_cast<bool>(years)) return malformed_xml();
    auto period = retention_period(days ? days.child_value() : years.child_value());
    if (auto* e = std::get_if<S3Error>(&period)) return *e;
    config.default_mode = *mode;
    (days ? config.default_days : config.default_years) = std::get<std::uint32_t>(period);
    return config;
}

std::variant<std::optional<Retention>, S3Error> parse_retention(std::string_view body) {
    pugi::xml_document doc;
    if (!load_xml(doc, body) || !doc.child("Retention")) return malformed_xml();
    auto root = doc.child("Retention");
    auto mode_node = root.child("Mode"), date_node = root.child("RetainUntilDate");
    if (!mode_node && !date_node) return std::optional<Retention>();
    if (!mode_node || !date_node) return malformed_xml();
    auto mode = parse_retention_mode(trim(mode_node.child_value()));
    auto until = parse_iso8601(date_node.child_value());
    if (!mode || !until) return malformed_xml();
    return std::optional<Retention>(Retention{*mode, *until});
}

std::variant<bool, S3Error> parse_legal_hold(std::string_view body) {
    pugi::xml_document doc;
    if (!load_xml(doc, body) || !doc.child("LegalHold")) return malformed_xml();
    std::string_view status = trim(doc.child("LegalHold").child_value("Status"));
    if (status != "ON" && status != "OFF") return malformed_xml();
    return status == "ON";
}

}  // namespace ostor::gw::s3
