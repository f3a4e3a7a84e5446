// An S3 error answer: HTTP status, <Code> and <Message>. Engine errors map
// through the engine's one table (ostor::error_info).
#pragma once

#include <string>
#include <utility>

#include "ostor/error.hpp"

namespace ostor::gw {

struct S3Error {
    int status = 500;
    std::string code = "InternalError";
    std::string message = "We encountered an internal error. Please try again.";

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

}  // namespace ostor::gw
