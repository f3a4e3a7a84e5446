// libFuzzer target: the XML request bodies (gateway-lite/s3/xml_bodies.cpp,
// xml_input.hpp) and the tag sets (s3/tag_sets.cpp): any text is a parsed
// request or MalformedXML, never more than S3's limits; a tag set is one
// that passes its limits or S3's error for it.
#include <cstdint>
#include <cstdlib>
#include <string_view>

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto parsed = s3::parse_delete_objects(body);
    if (auto* request = std::get_if<s3::DeleteObjectsRequest>(&parsed)) {
        if (request->keys.empty() || request->keys.size() > 1000) std::abort();
    } else if (std::get<S3Error>(parsed).code != "MalformedXML") {
        std::abort();
    }
    check_tags(s3::parse_tagging(body), "MalformedXML");
    check_tags(s3::parse_tagging_header(body), "InvalidArgument");
    return 0;
}
