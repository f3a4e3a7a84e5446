// libFuzzer target: the AccessControlPolicy body of PutBucketAcl /
// PutObjectAcl (gateway-lite/acl_policy.cpp): any text is a policy whose
// grants each name a non-empty, trimmed grantee, or MalformedXML /
// MalformedACLError.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "acl_policy.hpp"
#include "util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ostor::gw;
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_access_control_policy(body);
    if (auto* policy = std::get_if<AccessControlPolicy>(&parsed)) {
        if (trim(policy->owner_id) != policy->owner_id) std::abort();
        for (const auto& g : policy->grants)
            if (g.value.empty() || trim(g.value) != g.value) std::abort();
    } else if (auto code = std::get<S3Error>(parsed).code; code != "MalformedXML" && code != "MalformedACLError") {
        std::abort();
    }
    return 0;
}
