// What a request's target and Host name: the path as sent (what signatures
// sign), the query, and the bucket and key, path-style ("/bucket/key") or
// virtual-host-style ("bucket.<domain>" in Host, "/key").
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "s3_error.hpp"
#include "util.hpp"

namespace ostor::gw::s3 {

struct RequestTarget {
    std::string path;  // as sent, percent-encoded; an absolute-form target's path part
    QueryList query;   // decoded, in the order sent
    std::string bucket;
    std::string key;           // decoded
    std::string vhost_bucket;  // the bucket Host named, if any (SigV2 signs it)
    // A non-empty key: "/bucket/" is the bucket itself (s3cmd, the JS SDK and
    // s3fs send bucket requests that way).
    bool key_given = false;
};

// `domain`: the gateway's virtual-host domain ("" none). Fails:
// InvalidRequest (not a path), InvalidArgument (bad percent-encoding),
// InvalidBucketName (a path-style key with no bucket: "//key").
std::variant<RequestTarget, S3Error> parse_target(std::string_view target, std::string_view host,
                                                  std::string_view domain);

}  // namespace ostor::gw::s3
