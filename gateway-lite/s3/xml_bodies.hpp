// The XML request bodies, parsed into what their handlers need: pure
// functions of the body's text (fuzzed: tests/fuzz/).
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "s3_error.hpp"

namespace ostor::gw::s3 {

// DeleteObjects: <Delete><Quiet>..</Quiet><Object><Key>..</Key></Object>...
struct DeleteObjectsRequest {
    bool quiet = false;
    std::vector<std::string> keys;  // byte for byte, whitespace included
};
// Fails: MalformedXML (not XML, another root, an <Object> without <Key>,
// no key or more than 1000).
std::variant<DeleteObjectsRequest, S3Error> parse_delete_objects(std::string_view body);

}  // namespace ostor::gw::s3
