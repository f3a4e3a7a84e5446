// The strings AWS signatures are computed over, and the signatures: pure
// functions of the request's parts and a secret, so that they can be checked
// against AWS's published examples (tests/gateway/parts/test_signing.cpp).
// s3_auth.cpp takes the parts from the request, finds the secret and
// compares; AwsChunkedReader signs each chunk and the trailer.
//
// Signature V4: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// (canonical request -> string to sign -> HMAC-SHA256 with a key derived
// from the secret, date, region and service). Signature V2:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
// (string to sign -> base64 HMAC-SHA1 with the secret).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"
#include "util.hpp"

namespace ostor::gw::s3 {

// The SHA-256 of nothing, in hex.
inline constexpr std::string_view kEmptySha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ---- Signature V4 ------------------------------------------------------------

struct SigV4CanonicalParts {
    std::string_view method;
    std::string_view decoded_path;  // percent-decoded: encoded again the AWS way
    const QueryList& query;
    std::string_view skip_query;                     // a parameter left out ("X-Amz-Signature" when presigned)
    const HeaderList& headers;                       // names lowercase; several of one name are joined with ','
    const std::vector<std::string>& signed_headers;  // lowercase, in the order signed
    std::string_view payload_hash;                   // x-amz-content-sha256, or UNSIGNED-PAYLOAD
};
std::string sigv4_canonical_request(const SigV4CanonicalParts& parts);
// "<date>/<region>/<service>/aws4_request"
std::string sigv4_scope(std::string_view date, std::string_view region, std::string_view service);
std::string sigv4_string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request);
// The raw HMAC key of a (secret, date, region, service): four HMACs.
std::string sigv4_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                              std::string_view service);
// Lowercase hex.
std::string sigv4_signature(std::string_view signing_key, std::string_view string_to_sign);
// aws-chunked: a chunk's string to sign, chained on the signature before it
// (the seed signature for the first chunk).
std::string sigv4_chunk_string_to_sign(std::string_view amz_date, std::string_view scope,
                                       std::string_view previous_signature, std::string_view chunk_sha256_hex);
// The trailing headers' string to sign ("name:value\n" each, as sent).
std::string sigv4_trailer_string_to_sign(std::string_view amz_date, std::string_view scope,
                                         std::string_view previous_signature, std::string_view trailer_text);

// ---- Signature V2 ------------------------------------------------------------

// The x-amz-* headers as V2 signs them: sorted by name, values trimmed, one
// name's values joined with ',', each line ending in '\n'.
std::string sigv2_amz_headers(const HeaderList& headers);
// The sub-resources of the query V2 signs ("?acl&uploadId=x"), sorted.
std::string sigv2_subresources(const QueryList& query);
std::string sigv2_string_to_sign(std::string_view method, std::string_view content_md5, std::string_view content_type,
                                 std::string_view date_line, std::string_view amz_headers, std::string_view resource);
// Base64 of HMAC-SHA1.
std::string sigv2_signature(std::string_view secret, std::string_view string_to_sign);

}  // namespace ostor::gw::s3
