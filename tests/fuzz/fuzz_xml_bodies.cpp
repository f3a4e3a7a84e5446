// libFuzzer target: the XML request bodies (gateway-lite/s3/xml_bodies.cpp,
// xml_input.hpp): any text is a parsed request or MalformedXML, never more
// than S3's limits.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "s3/xml_bodies.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ostor::gw;
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto parsed = s3::parse_delete_objects(body);
    if (auto* request = std::get_if<s3::DeleteObjectsRequest>(&parsed)) {
        if (request->keys.empty() || request->keys.size() > 1000) std::abort();
    } else if (std::get<S3Error>(parsed).code != "MalformedXML") {
        std::abort();
    }
    return 0;
}
