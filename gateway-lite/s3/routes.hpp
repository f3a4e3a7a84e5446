// The S3 operations the gateway answers, as one table: each row matches a
// request by its method, what it names (the service, a bucket or an object),
// a query parameter and a header, and says which operation it is, the op
// class rate limits, usage statistics and metrics file it under, and the
// name it is logged as. Dispatch and the op class both read the row, so they
// can never disagree; adding an operation is adding a row (and its handler).
//
// Rows are tried in table order and the first that matches wins, as a
// sub-resource request (?acl) must win over the plain one. Every request
// matches some row: the last rows of each scope answer 405
// MethodNotAllowed.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "http.hpp"
#include "rate_limits.hpp"
#include "util.hpp"

namespace ostor::gw::s3 {

enum class Operation : std::uint8_t {
    // The service (no bucket named).
    AdminApi,  // the provider's ostor-* services (admin_api.hpp)
    ListBuckets,
    // Buckets.
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketAcl,
    PutBucketAcl,
    GetBucketLocation,
    GetBucketVersioning,
    PutBucketVersioning,
    ListObjects,
    ListObjectsV2,
    ListObjectVersions,
    ListMultipartUploads,
    DeleteObjects,
    PostObject,  // a browser's form upload (POST Object)
    // A bucket configuration ostor does not offer (the row's query names
    // it): GET answers "none set", DELETE succeeds, PUT is not implemented.
    GetBucketConfig,
    PutBucketConfig,
    DeleteBucketConfig,
    // Bucket configurations kept as documents in the bucket's record.
    GetBucketCors,
    PutBucketCors,
    DeleteBucketCors,
    GetBucketTagging,
    PutBucketTagging,
    DeleteBucketTagging,
    // The bucket policy (JSON, bucket_policy.hpp), and whether it makes the
    // bucket public.
    GetBucketPolicy,
    PutBucketPolicy,
    DeleteBucketPolicy,
    GetBucketPolicyStatus,
    // Object ownership controls (bucket_access_controls.hpp) and the public
    // access block.
    GetBucketOwnershipControls,
    PutBucketOwnershipControls,
    DeleteBucketOwnershipControls,
    GetPublicAccessBlock,
    PutPublicAccessBlock,
    DeletePublicAccessBlock,
    // The lifecycle configuration (lifecycle.cpp; applied by
    // lifecycle_worker.hpp).
    GetBucketLifecycle,
    PutBucketLifecycle,
    DeleteBucketLifecycle,
    // Object lock (object_lock.cpp): the bucket's default retention, and a
    // version's retention and legal hold.
    GetObjectLockConfiguration,
    PutObjectLockConfiguration,
    // A browser's CORS preflight (OPTIONS) on a bucket or an object:
    // answered from the bucket's CORS rules, unauthenticated.
    Preflight,
    // Objects.
    GetObject,
    HeadObject,
    PutObject,
    CopyObject,
    DeleteObject,
    GetObjectAcl,
    PutObjectAcl,
    GetObjectTagging,
    PutObjectTagging,
    DeleteObjectTagging,
    GetObjectAttributes,
    GetObjectRetention,
    PutObjectRetention,
    GetObjectLegalHold,
    PutObjectLegalHold,
    // Multipart uploads.
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    // No operation has this method on this resource.
    MethodNotAllowed,
};

// What the request's path names.
enum class Scope : std::uint8_t { Service, Bucket, Object };

struct Route {
    std::string_view method;  // "GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"; "" any
    Scope scope;
    // A query parameter the request must have ("" none). A trailing '*'
    // matches any parameter with that prefix ("ostor-*").
    std::string_view query;
    // When not "", the parameter must have this value (list-type=2).
    std::string_view query_value;
    // A header the request must have ("" none), lowercase.
    std::string_view header;
    Operation operation;
    OpClass op_class;
    // The operation's name as AWS calls it (per configuration for the
    // *BucketConfig rows): access log, errors.
    std::string_view name;
};

// Every row, in the order they are tried.
std::span<const Route> routes();

// The first row that matches; always one (a MethodNotAllowed row at worst).
const Route& route_for(std::string_view method, Scope scope, const QueryList& query, const HttpRequest& request);

}  // namespace ostor::gw::s3
