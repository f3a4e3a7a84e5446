// libFuzzer target: PutBucketOwnershipControls' and PutPublicAccessBlock's
// bodies (gateway-lite/bucket_access_controls.hpp). Any text is, for each,
// either a setting whose canonical document (what the gateway stores and
// GET answers) parses back to it, or 400 MalformedXML.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bucket_access_controls.hpp"

namespace {

using namespace ostor::gw;

void check_refusal(const S3Error& e) {
    if (e.status != 400 || e.code != "MalformedXML") std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto ownership = parse_ownership_controls(body);
    if (auto* o = std::get_if<ObjectOwnership>(&ownership)) {
        auto back = parse_ownership_controls(ownership_controls_xml(*o));
        if (!std::holds_alternative<ObjectOwnership>(back) || std::get<ObjectOwnership>(back) != *o) std::abort();
    } else {
        check_refusal(std::get<S3Error>(ownership));
    }
    auto block = parse_public_access_block(body);
    if (auto* b = std::get_if<PublicAccessBlock>(&block)) {
        auto back = parse_public_access_block(public_access_block_xml(*b));
        if (!std::holds_alternative<PublicAccessBlock>(back) || !(std::get<PublicAccessBlock>(back) == *b))
            std::abort();
    } else {
        check_refusal(std::get<S3Error>(block));
    }
    return 0;
}
