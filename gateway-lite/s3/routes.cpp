#include "s3/routes.hpp"

#include <array>

namespace ostor::gw::s3 {

namespace {

using enum Operation;
constexpr auto kService = Scope::Service;
constexpr auto kBucket = Scope::Bucket;
constexpr auto kObject = Scope::Object;
constexpr std::string_view kCopySource = "x-amz-copy-source";

// The bucket configurations ostor does not offer, with the names of their
// get, put and delete operations (AWS's).
struct UnofferedConfig {
    std::string_view query, get, put, del;
};
constexpr UnofferedConfig kUnofferedConfigs[] = {
    {"website", "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"},
    {"encryption", "GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"},
    {"replication", "GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication"},
    {"notification", "GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration",
     "DeleteBucketNotificationConfiguration"},
    {"logging", "GetBucketLogging", "PutBucketLogging", "DeleteBucketLogging"},
    {"accelerate", "GetBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration",
     "DeleteBucketAccelerateConfiguration"},
    {"requestPayment", "GetBucketRequestPayment", "PutBucketRequestPayment", "DeleteBucketRequestPayment"},
};
constexpr std::size_t kConfigs = std::size(kUnofferedConfigs);

// Rows that name the method, scope and query only.
constexpr Route row(std::string_view method, Scope scope, std::string_view query, Operation op, OpClass c,
                    std::string_view name) {
    return Route{method, scope, query, "", "", op, c, name};
}

// The service's and the objects' rows, and the bucket rows around the
// configurations', in order.
constexpr Route kServiceRows[] = {
    row("", kService, "ostor-*", AdminApi, OpClass::Default, "OstorAdmin"),
    row("GET", kService, "", ListBuckets, OpClass::List, "ListBuckets"),
    row("", kService, "", MethodNotAllowed, OpClass::Default, "MethodNotAllowed"),
};

// GET of a bucket before the configurations: sub-resources a configuration
// query must not shadow.
constexpr Route kBucketGetRows[] = {
    row("GET", kBucket, "acl", GetBucketAcl, OpClass::Default, "GetBucketAcl"),
    row("GET", kBucket, "location", GetBucketLocation, OpClass::Default, "GetBucketLocation"),
    row("GET", kBucket, "versioning", GetBucketVersioning, OpClass::Default, "GetBucketVersioning"),
    row("GET", kBucket, "versions", ListObjectVersions, OpClass::List, "ListObjectVersions"),
    row("GET", kBucket, "uploads", ListMultipartUploads, OpClass::List, "ListMultipartUploads"),
    row("GET", kBucket, "cors", GetBucketCors, OpClass::Default, "GetBucketCors"),
    row("GET", kBucket, "tagging", GetBucketTagging, OpClass::Default, "GetBucketTagging"),
    row("GET", kBucket, "policy", GetBucketPolicy, OpClass::Default, "GetBucketPolicy"),
    row("GET", kBucket, "policyStatus", GetBucketPolicyStatus, OpClass::Default, "GetBucketPolicyStatus"),
    row("GET", kBucket, "ownershipControls", GetBucketOwnershipControls, OpClass::Default,
        "GetBucketOwnershipControls"),
    row("GET", kBucket, "publicAccessBlock", GetPublicAccessBlock, OpClass::Default, "GetPublicAccessBlock"),
    row("GET", kBucket, "lifecycle", GetBucketLifecycle, OpClass::Default, "GetBucketLifecycleConfiguration"),
    row("GET", kBucket, "object-lock", GetObjectLockConfiguration, OpClass::Default, "GetObjectLockConfiguration"),
};

constexpr Route kBucketListRows[] = {
    Route{"GET", kBucket, "list-type", "2", "", ListObjectsV2, OpClass::List, "ListObjectsV2"},
    row("GET", kBucket, "", ListObjects, OpClass::List, "ListObjects"),
    row("HEAD", kBucket, "", HeadBucket, OpClass::Default, "HeadBucket"),
    row("PUT", kBucket, "acl", PutBucketAcl, OpClass::Default, "PutBucketAcl"),
    row("PUT", kBucket, "versioning", PutBucketVersioning, OpClass::Default, "PutBucketVersioning"),
    row("PUT", kBucket, "cors", PutBucketCors, OpClass::Default, "PutBucketCors"),
    row("PUT", kBucket, "tagging", PutBucketTagging, OpClass::Default, "PutBucketTagging"),
    row("DELETE", kBucket, "cors", DeleteBucketCors, OpClass::Delete, "DeleteBucketCors"),
    row("DELETE", kBucket, "tagging", DeleteBucketTagging, OpClass::Delete, "DeleteBucketTagging"),
    row("PUT", kBucket, "policy", PutBucketPolicy, OpClass::Default, "PutBucketPolicy"),
    row("DELETE", kBucket, "policy", DeleteBucketPolicy, OpClass::Delete, "DeleteBucketPolicy"),
    row("PUT", kBucket, "ownershipControls", PutBucketOwnershipControls, OpClass::Default,
        "PutBucketOwnershipControls"),
    row("DELETE", kBucket, "ownershipControls", DeleteBucketOwnershipControls, OpClass::Delete,
        "DeleteBucketOwnershipControls"),
    row("PUT", kBucket, "publicAccessBlock", PutPublicAccessBlock, OpClass::Default, "PutPublicAccessBlock"),
    row("DELETE", kBucket, "publicAccessBlock", DeletePublicAccessBlock, OpClass::Delete, "DeletePublicAccessBlock"),
    // PutBucketLifecycle (deprecated) is the same request: its body differs.
    row("PUT", kBucket, "lifecycle", PutBucketLifecycle, OpClass::Default, "PutBucketLifecycleConfiguration"),
    row("DELETE", kBucket, "lifecycle", DeleteBucketLifecycle, OpClass::Delete, "DeleteBucketLifecycle"),
    row("PUT", kBucket, "object-lock", PutObjectLockConfiguration, OpClass::Default, "PutObjectLockConfiguration"),
    // Object lock is never turned off, and S3 has no call removing it: not
    // the bucket's DELETE either.
    row("DELETE", kBucket, "object-lock", MethodNotAllowed, OpClass::Delete, "MethodNotAllowed"),
};

constexpr Route kBucketRestRows[] = {
    row("PUT", kBucket, "", CreateBucket, OpClass::Default, "CreateBucket"),
    row("DELETE", kBucket, "", DeleteBucket, OpClass::Delete, "DeleteBucket"),
    row("POST", kBucket, "delete", DeleteObjects, OpClass::Put, "DeleteObjects"),
    // A form upload; a body of another type is answered 405 (read_post_form).
    Route{"POST", kBucket, "", "", "content-type", PostObject, OpClass::Put, "PostObject"},
    row("POST", kBucket, "", MethodNotAllowed, OpClass::Put, "MethodNotAllowed"),
    row("OPTIONS", kBucket, "", Preflight, OpClass::Default, "OPTIONS"),
    row("", kBucket, "", MethodNotAllowed, OpClass::Default, "MethodNotAllowed"),
};

constexpr Route kObjectRows[] = {
    row("GET", kObject, "uploadId", ListParts, OpClass::List, "ListParts"),
    row("GET", kObject, "acl", GetObjectAcl, OpClass::Default, "GetObjectAcl"),
    row("HEAD", kObject, "acl", GetObjectAcl, OpClass::Default, "GetObjectAcl"),
    row("GET", kObject, "tagging", GetObjectTagging, OpClass::Default, "GetObjectTagging"),
    row("HEAD", kObject, "tagging", GetObjectTagging, OpClass::Default, "GetObjectTagging"),
    row("GET", kObject, "attributes", GetObjectAttributes, OpClass::Get, "GetObjectAttributes"),
    row("GET", kObject, "retention", GetObjectRetention, OpClass::Default, "GetObjectRetention"),
    row("GET", kObject, "legal-hold", GetObjectLegalHold, OpClass::Default, "GetObjectLegalHold"),
    row("GET", kObject, "", GetObject, OpClass::Get, "GetObject"),
    row("HEAD", kObject, "", HeadObject, OpClass::Get, "HeadObject"),
    // A part is named by uploadId; partNumber alone still means a part (the
    // handler then answers for the missing uploadId).
    Route{"PUT", kObject, "uploadId", "", kCopySource, UploadPartCopy, OpClass::Put, "UploadPartCopy"},
    row("PUT", kObject, "uploadId", UploadPart, OpClass::Put, "UploadPart"),
    Route{"PUT", kObject, "partNumber", "", kCopySource, UploadPartCopy, OpClass::Put, "UploadPartCopy"},
    row("PUT", kObject, "partNumber", UploadPart, OpClass::Put, "UploadPart"),
    row("PUT", kObject, "acl", PutObjectAcl, OpClass::Default, "PutObjectAcl"),
    row("PUT", kObject, "tagging", PutObjectTagging, OpClass::Default, "PutObjectTagging"),
    row("PUT", kObject, "retention", PutObjectRetention, OpClass::Default, "PutObjectRetention"),
    row("PUT", kObject, "legal-hold", PutObjectLegalHold, OpClass::Default, "PutObjectLegalHold"),
    Route{"PUT", kObject, "", "", kCopySource, CopyObject, OpClass::Put, "CopyObject"},
    row("PUT", kObject, "", PutObject, OpClass::Put, "PutObject"),
    row("DELETE", kObject, "uploadId", AbortMultipartUpload, OpClass::Put, "AbortMultipartUpload"),
    row("DELETE", kObject, "tagging", DeleteObjectTagging, OpClass::Default, "DeleteObjectTagging"),
    row("DELETE", kObject, "", DeleteObject, OpClass::Delete, "DeleteObject"),
    row("POST", kObject, "uploads", CreateMultipartUpload, OpClass::Put, "CreateMultipartUpload"),
    row("POST", kObject, "uploadId", CompleteMultipartUpload, OpClass::Put, "CompleteMultipartUpload"),
    row("POST", kObject, "", MethodNotAllowed, OpClass::Put, "MethodNotAllowed"),
    row("OPTIONS", kObject, "", Preflight, OpClass::Default, "OPTIONS"),
    row("", kObject, "", MethodNotAllowed, OpClass::Default, "MethodNotAllowed"),
};

template <std::size_t N>
constexpr void append(auto& table, std::size_t& at, const Route (&rows)[N]) {
    for (const auto& r : rows) table[at++] = r;
}

constexpr std::size_t kRows = std::size(kServiceRows) + std::size(kBucketGetRows) + kConfigs +
                              std::size(kBucketListRows) + 2 * kConfigs + std::size(kBucketRestRows) +
                              std::size(kObjectRows);

constexpr std::array<Route, kRows> build_table() {
    std::array<Route, kRows> table{};
    std::size_t at = 0;
    append(table, at, kServiceRows);
    append(table, at, kBucketGetRows);
    for (const auto& c : kUnofferedConfigs)
        table[at++] = row("GET", kBucket, c.query, GetBucketConfig, OpClass::Default, c.get);
    append(table, at, kBucketListRows);
    for (const auto& c : kUnofferedConfigs)
        table[at++] = row("PUT", kBucket, c.query, PutBucketConfig, OpClass::Default, c.put);
    for (const auto& c : kUnofferedConfigs)
        table[at++] = row("DELETE", kBucket, c.query, DeleteBucketConfig, OpClass::Delete, c.del);
    append(table, at, kBucketRestRows);
    append(table, at, kObjectRows);
    return table;
}

constexpr auto kTable = build_table();

bool query_matches(const Route& r, const QueryList& query) {
    if (r.query.empty()) return true;
    const bool prefix = r.query.ends_with('*');
    const auto name = prefix ? r.query.substr(0, r.query.size() - 1) : r.query;
    for (const auto& [n, v] : query) {
        if (prefix ? std::string_view(n).starts_with(name) : n == name)
            if (r.query_value.empty() || v == r.query_value) return true;
    }
    return false;
}

}  // namespace

std::span<const Route> routes() { return kTable; }

const Route& route_for(std::string_view method, Scope scope, const QueryList& query, const HttpRequest& request) {
    for (const auto& r : kTable) {
        if (r.scope != scope || (!r.method.empty() && r.method != method)) continue;
        if (!query_matches(r, query)) continue;
        if (!r.header.empty() && !request.header(r.header)) continue;
        return r;
    }
    // The table ends each scope with a row for any method.
    return kTable.back();
}

}  // namespace ostor::gw::s3
