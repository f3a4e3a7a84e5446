#include "s3/xml_bodies.hpp"

#include "s3/conditions.hpp"
#include "util.hpp"
#include "xml_input.hpp"

namespace ostor::gw::s3 {

namespace {

// The most keys one DeleteObjects names (S3's limit).
constexpr std::size_t kMaxDeleteKeys = 1000;

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

}  // namespace ostor::gw::s3
