// Request authentication: AWS Signature V2 (header and query string) and V4
// (header, presigned query, streaming signed chunks, unsigned payloads with
// trailers), checked against the engine's key pairs. The body's aws-chunked
// framing is decoded by s3/aws_chunked.hpp.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http.hpp"
#include "ostor/engine.hpp"
#include "s3/aws_chunked.hpp"
#include "s3_error.hpp"
#include "util.hpp"

namespace ostor::gw {

// Who sent the request.
struct Principal {
    bool anonymous = true;
    std::string user_id;
    std::string account;  // the account whose key signed it; empty: the user's own key
    std::string access_key_id;
    bool system = false;
};

struct AuthResult {
    Principal principal;
    PayloadMode payload = PayloadMode::Unsigned;
    std::string payload_sha256_hex;  // for PayloadMode::Sha256
    SigV4Chain chain;                // for the streaming modes
};

// Checks the request's signature. `path` is the request path as sent
// (percent-encoded); `vhost_bucket` the bucket named by the Host header, if
// any (SigV2 signs it as part of the resource).
std::variant<AuthResult, S3Error> authenticate(Engine& engine, const HttpRequest& request, std::string_view path,
                                               const QueryList& query, std::string_view vhost_bucket);

// A browser upload's signature (POST Object): its form's fields (names
// lowercased) sign the base64 policy, with SigV4 (x-amz-algorithm,
// x-amz-credential, x-amz-date, x-amz-signature: HMAC-SHA256 with the
// credential's signing key) or SigV2 (AWSAccessKeyId, signature: HMAC-SHA1
// with the secret). A form with neither and no policy is anonymous.
std::variant<AuthResult, S3Error> authenticate_post_form(Engine& engine, const QueryList& fields);

}  // namespace ostor::gw
