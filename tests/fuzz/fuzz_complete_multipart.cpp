// libFuzzer target: the CompleteMultipartUpload body
// (gateway-lite/s3/xml_bodies.cpp): any text is a list of parts, each
// numbered 1 to 10000, or MalformedXML.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "s3/xml_bodies.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ostor::gw;
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto parsed = s3::parse_complete_multipart_upload(body);
    if (auto* request = std::get_if<s3::CompleteMultipartUploadRequest>(&parsed)) {
        if (request->parts.empty()) std::abort();
        for (const auto& p : request->parts)
            if (p.part.number < 1 || p.part.number > s3::kMaxPartNumber) std::abort();
    } else if (std::get<S3Error>(parsed).code != "MalformedXML") {
        std::abort();
    }
    return 0;
}
