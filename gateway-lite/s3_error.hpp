// An S3 error answer: HTTP status, <Code> and <Message>. Engine errors map
// through the engine's one table (ostor::error_info); the errors only S3 has
// (a bad digest, an invalid range, ...) are named here, in one place, and
// nowhere else is an error spelt out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "http.hpp"
#include "ostor/error.hpp"

namespace ostor::gw {

struct S3Error {
    int status = 500;
    std::string code = "InternalError";
    std::string message = "We encountered an internal error. Please try again.";
    // Headers the answer carries besides the usual ones (a 416's Content-Range).
    HeaderList headers;
    // The <Condition> element some 412s name the failed condition in ("" none).
    std::string condition;

    S3Error() = default;
    S3Error(int s, std::string c, std::string m) : status(s), code(std::move(c)), message(std::move(m)) {}
    // From an engine error, with the table's S3 code and status.
    S3Error(const Error& e)  // NOLINT: implicit on purpose, engine errors flow into answers
        : status(e.info().http_status), code(e.info().s3_code), message(e.message()) {}
};

inline S3Error access_denied(std::string message = "Access Denied") {
    return {403, "AccessDenied", std::move(message)};
}
inline S3Error invalid_argument(std::string message) { return {400, "InvalidArgument", std::move(message)}; }
inline S3Error invalid_request(std::string message) { return {400, "InvalidRequest", std::move(message)}; }
inline S3Error precondition_failed() {
    return {412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"};
}
inline S3Error signature_mismatch() {
    return {403, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing "
            "method."};
}
inline S3Error malformed_xml() {
    return {400, "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema."};
}

// ---- the connection (answered by the server, outside the pipeline) --------

// Past the server's connection caps (ServerOptions): in all, or from one
// client address.
inline S3Error too_many_connections() { return {503, "SlowDown", "Too many connections; reduce your request rate."}; }
inline S3Error too_many_client_connections() {
    return {503, "SlowDown", "Too many connections from your address; reuse or close some."};
}
inline S3Error request_header_too_large() {
    return {400, "RequestHeaderSectionTooLarge", "Your request header section exceeds the maximum allowed size."};
}
inline S3Error unparsable_request() { return {400, "BadRequest", "The request could not be parsed."}; }
inline S3Error http_version_not_supported() {
    return {505, "HttpVersionNotSupported", "Only HTTP/1.0 and HTTP/1.1 are served."};
}
// RFC 9112 6.1: a request whose final transfer coding is not chunked cannot
// be framed.
inline S3Error unframed_transfer_coding() {
    return {400, "BadRequest", "A request's transfer coding must end with chunked, applied once."};
}
// Codings before chunked (gzip, ...) are not implemented.
inline S3Error transfer_coding_not_implemented() {
    return {501, "NotImplemented", "Transfer codings other than chunked are not implemented."};
}
// A handler that threw, or ended without answering.
inline S3Error handler_failed() { return {500, "InternalError", "We encountered an internal error."}; }

// ---- the request ------------------------------------------------------------

inline S3Error request_time_too_skewed() {
    return {403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."};
}
inline S3Error authorization_header_malformed(std::string message) {
    return {400, "AuthorizationHeaderMalformed", std::move(message)};
}
inline S3Error invalid_access_key_id() {
    return {403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."};
}
inline S3Error invalid_bucket_name() { return {400, "InvalidBucketName", "The specified bucket is not valid."}; }

inline S3Error method_not_allowed() {
    return {405, "MethodNotAllowed", "The specified method is not allowed against this resource."};
}
inline S3Error not_implemented(
    std::string message = "A header or query you provided implies functionality that is not implemented.") {
    return {501, "NotImplemented", std::move(message)};
}
inline S3Error slow_down() { return {503, "SlowDown", "Please reduce your request rate."}; }
inline S3Error missing_security_header() {
    return {400, "MissingSecurityHeader", "Your request was missing a required header: x-amz-acl"};
}
inline S3Error unexpected_content() { return {400, "UnexpectedContent", "This request does not support content"}; }
inline S3Error metadata_too_large() {
    return {400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size."};
}

// ---- access control lists -------------------------------------------------

// An AccessControlPolicy body RGW would not read (acl_policy.hpp).
inline S3Error malformed_acl() {
    return {400, "MalformedACLError",
            "The XML you provided was not well-formed or did not validate against our published schema"};
}
// `what`: the grantee as given (an id no user has, an unknown group URI, ...).
inline S3Error invalid_grantee(std::string_view what) {
    return invalid_argument("Invalid grantee: " + std::string(what));
}
inline S3Error unresolvable_grant_by_email() {
    return {400, "UnresolvableGrantByEmailAddress",
            "The e-mail address you provided does not match any account on record."};
}
// CreateMultipartUpload with an x-amz-checksum-algorithm S3 does not know.
inline S3Error unsupported_upload_checksum() {
    return invalid_request(
        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
        "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
}

// ---- bucket policies --------------------------------------------------------

// A PutBucketPolicy document S3 would refuse; `message` says why
// (bucket_policy.hpp lists them).
inline S3Error malformed_policy(std::string message) { return {400, "MalformedPolicy", std::move(message)}; }

// ---- request bodies -------------------------------------------------------

inline S3Error missing_content_length() {
    return {411, "MissingContentLength", "You must provide the Content-Length HTTP header."};
}
inline S3Error entity_too_large() {
    return {400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."};
}
inline S3Error max_message_length_exceeded() { return {400, "MaxMessageLengthExceeded", "Your request was too big."}; }
inline S3Error incomplete_body(
    std::string message = "You did not provide the number of bytes specified by the Content-Length HTTP header.") {
    return {400, "IncompleteBody", std::move(message)};
}
inline S3Error malformed_trailer(std::string message) { return {400, "MalformedTrailerError", std::move(message)}; }
inline S3Error invalid_digest() { return {400, "InvalidDigest", "The Content-MD5 you specified was not valid."}; }
// `what`: "The Content-MD5", "The CRC32", ...
inline S3Error bad_digest(std::string_view what) {
    return {400, "BadDigest", std::string(what) + " you specified did not match the calculated checksum."};
}
inline S3Error content_md5_mismatch() {
    return {400, "BadDigest", "The Content-MD5 you specified did not match what we received."};
}
inline S3Error content_sha256_mismatch() {
    return {400, "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed."};
}

// ---- buckets and objects --------------------------------------------------

inline S3Error bucket_already_exists() {
    return {409, "BucketAlreadyExists",
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
            "Please select a different name and try again."};
}
inline S3Error no_such_version() { return {404, "NoSuchVersion", "The specified version does not exist."}; }
inline S3Error not_modified(std::string message = "Not Modified") { return {304, "NotModified", std::move(message)}; }
// A range past the end of an object of `size` bytes (GetObject).
inline S3Error invalid_range(std::uint64_t size) {
    S3Error e{416, "InvalidRange", "The requested range is not satisfiable"};
    e.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return e;
}
// A copy range past the end of a source object of `size` bytes (UploadPartCopy).
inline S3Error invalid_copy_range(std::uint64_t size) {
    return {416, "InvalidRange",
            "The requested range is not satisfiable: the source object's size is " + std::to_string(size) + "."};
}
inline S3Error invalid_part(std::string message) { return {400, "InvalidPart", std::move(message)}; }
// A storage class ostor does not have (a lifecycle Transition names one):
// AWS's code and message.
inline S3Error invalid_storage_class() {
    return {400, "InvalidStorageClass", "The storage class you specified is not valid"};
}

// The "none set" error of a bucket configuration ostor does not offer,
// named by its query parameter (?policy, ...); nullopt for those that
// always exist (empty documents).
inline std::optional<S3Error> no_such_bucket_config(std::string_view name) {
    struct Missing {
        std::string_view name, code, message;
    };
    static constexpr Missing kMissing[] = {
        {"policy", "NoSuchBucketPolicy", "The bucket policy does not exist"},
        {"cors", "NoSuchCORSConfiguration", "The CORS configuration does not exist"},
        {"lifecycle", "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"},
        {"tagging", "NoSuchTagSet", "The TagSet does not exist"},
        {"website", "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"},
        {"encryption", "ServerSideEncryptionConfigurationNotFoundError",
         "The server side encryption configuration was not found"},
        {"ownership", "OwnershipControlsNotFoundError", "The bucket ownership controls were not found"},
        {"public-access-block", "NoSuchPublicAccessBlockConfiguration",
         "The public access block configuration was not found"},
        {"object-lock", "ObjectLockConfigurationNotFoundError",
         "Object Lock configuration does not exist for this bucket"},
        {"replication", "ReplicationConfigurationNotFoundError", "The replication configuration was not found"},
    };
    for (const auto& m : kMissing)
        if (m.name == name) return S3Error{404, std::string(m.code), std::string(m.message)};
    return std::nullopt;
}

// ---- object ownership controls ------------------------------------------------

// An ACL other than the owner's full control set on a bucket with ACLs off
// (BucketOwnerEnforced).
inline S3Error acl_not_supported() { return {400, "AccessControlListNotSupported", "The bucket does not allow ACLs"}; }
// ACLs turned off (BucketOwnerEnforced) on a bucket whose ACL grants others.
inline S3Error invalid_bucket_acl_with_object_ownership() {
    return {400, "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"};
}

// ---- bucket configuration documents: CORS and tagging ----------------------

// PutBucketCors / PutBucketTagging without Content-MD5 or an x-amz-checksum-*.
inline S3Error missing_content_md5() {
    return invalid_request("Missing required header for this request: Content-MD5");
}
// A CORS rule allowing a method other than GET, PUT, HEAD, POST, DELETE.
inline S3Error unsupported_cors_method(std::string_view method) {
    return invalid_request("Found unsupported HTTP method in CORS config. Unsupported method is " +
                           std::string(method));
}
// An AllowedOrigin or AllowedHeader (`element`) with two '*'.
inline S3Error cors_two_wildcards(std::string_view element, std::string_view value) {
    return invalid_request(std::string(element) + " \"" + std::string(value) +
                           "\" can not have more than one wildcard.");
}
// An ExposeHeader with a '*' (S3 takes header names only).
inline S3Error cors_expose_header_wildcard(std::string_view value) {
    return invalid_request("ExposeHeader \"" + std::string(value) +
                           "\" contains wildcard. We currently do not support wildcard for ExposeHeader.");
}
// The preflight (OPTIONS) refusals, as S3 words them.
inline S3Error cors_origin_missing() {
    return {400, "BadRequest", "Insufficient information. Origin request header needed."};
}
inline S3Error cors_request_method_invalid(std::string_view method) {
    return {400, "BadRequest", "Invalid Access-Control-Request-Method: " + std::string(method)};
}
inline S3Error cors_bucket_not_found() { return {403, "AccessForbidden", "CORSResponse: Bucket not found"}; }
inline S3Error cors_not_enabled() {
    return {403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket."};
}
// (The misspelt "evalution" is S3's own: clients may match the text.)
inline S3Error cors_not_allowed() {
    return {403, "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request "
            "method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the "
            "resource's CORS spec."};
}
inline S3Error too_many_bucket_tags(std::size_t max) {
    return {400, "BadRequest", "Bucket tag count cannot be greater than " + std::to_string(max)};
}

// ---- tags ---------------------------------------------------------------------

// A tag S3 refuses (its key or value, a key twice, a reserved key), with
// S3's message.
inline S3Error invalid_tag(std::string message) { return {400, "InvalidTag", std::move(message)}; }
// More tags than an object may have: S3 answers 400 BadRequest here, not
// InvalidTag.
inline S3Error too_many_object_tags() { return {400, "BadRequest", "Object tags cannot be greater than 10"}; }
// An x-amz-tagging header that is not a URL query without duplicate keys.
inline S3Error invalid_tagging_header() {
    return {400, "InvalidArgument",
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag "
            "name duplicates."};
}

// ---- browser uploads (POST Object), AWS's codes and messages -------------

inline S3Error malformed_post_request() {
    return {400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."};
}
inline S3Error max_post_pre_data_length_exceeded() {
    return {400, "MaxPostPreDataLengthExceeded", "Your POST request fields preceding the upload file were too large."};
}
inline S3Error invalid_policy_document(std::string message) {
    return {400, "InvalidPolicyDocument", std::move(message)};
}
inline S3Error entity_too_small() {
    return {400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size."};
}
// A POST to a bucket whose body is not a form: AWS's 412 and its Condition.
inline S3Error not_a_form_post() {
    auto e = precondition_failed();
    e.condition = "Bucket POST must be of the enclosure-type multipart/form-data";
    return e;
}

}  // namespace ostor::gw
