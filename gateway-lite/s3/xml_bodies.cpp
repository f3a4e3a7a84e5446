#include "s3/xml_bodies.hpp"

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
        request.keys.emplace_back(k.child_value());
    }
    if (request.keys.empty() || request.keys.size() > kMaxDeleteKeys) return malformed_xml();
    return request;
}

}  // namespace ostor::gw::s3
