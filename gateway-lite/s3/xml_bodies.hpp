// The XML request bodies, parsed into what their handlers need: pure
// functions of the body's text (fuzzed: tests/fuzz/).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ostor/types.hpp"
#include "s3_error.hpp"

namespace ostor::gw::s3 {

// DeleteObjects: <Delete><Quiet>..</Quiet><Object><Key>..</Key>
// <VersionId>..</VersionId></Object>...
struct DeleteObjectsEntry {
    std::string key;         // byte for byte, whitespace included
    std::string version_id;  // trimmed; "" when none is named
};
struct DeleteObjectsRequest {
    bool quiet = false;
    std::vector<DeleteObjectsEntry> objects;
};
// Fails: MalformedXML (not XML, another root, an <Object> without <Key>,
// no key or more than 1000).
std::variant<DeleteObjectsRequest, S3Error> parse_delete_objects(std::string_view body);

// Part numbers run from 1 to this (S3's limit).
inline constexpr std::uint32_t kMaxPartNumber = 10000;

// CompleteMultipartUpload: <CompleteMultipartUpload><Part><PartNumber>..
// </PartNumber><ETag>..</ETag><ChecksumCRC32>..</ChecksumCRC32></Part>...
struct ListedPart {
    CompletedPart part;  // the ETag without its quotes
    // The part checksums the client lists, by algorithm name ("CRC32" for
    // <ChecksumCRC32>), trimmed; the first of a name counts.
    std::map<std::string, std::string> checksums;
};
struct CompleteMultipartUploadRequest {
    std::vector<ListedPart> parts;  // in the body's order
};
// Fails: MalformedXML (not XML, another root, a <Part> without <ETag> or
// with a part number that is not 1 to kMaxPartNumber, no part at all).
std::variant<CompleteMultipartUploadRequest, S3Error> parse_complete_multipart_upload(std::string_view body);

// Object lock (docs/versioning.md). PutObjectLockConfiguration:
// <ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>
// <Rule><DefaultRetention><Mode>GOVERNANCE|COMPLIANCE</Mode><Days>N</Days>
// (or <Years>N</Years>)</DefaultRetention></Rule>; no Rule: no default
// retention (enabled is set, as the body says). Fails: MalformedXML (not
// XML, another root, ObjectLockEnabled missing or other than Enabled, a Rule
// without DefaultRetention, another mode, both or neither of Days and Years,
// a period that is no integer), InvalidArgument (a period not positive).
std::variant<ObjectLockConfig, S3Error> parse_object_lock_configuration(std::string_view body);
// PutObjectRetention: <Retention><Mode>..</Mode><RetainUntilDate>ISO 8601
// </RetainUntilDate></Retention>; neither given: nullopt (no retention).
// Fails: MalformedXML (not XML, another root, another mode, a date that is
// not ISO 8601, one of the two without the other). Whether the date is in
// the future is the caller's to check.
std::variant<std::optional<Retention>, S3Error> parse_retention(std::string_view body);
// PutObjectLegalHold: <LegalHold><Status>ON|OFF</Status></LegalHold>, true
// for ON. Fails: MalformedXML (not XML, another root, another status).
std::variant<bool, S3Error> parse_legal_hold(std::string_view body);

}  // namespace ostor::gw::s3
