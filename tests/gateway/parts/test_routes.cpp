// The route table (gateway-lite/s3/routes.hpp): which operation a request is,
// and the op class its rate limits and usage counters are kept under.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "s3/routes.hpp"

namespace ostor::gw::s3 {
namespace {

struct Req {
    std::string method;
    Scope scope;
    QueryList query;
    HttpRequest http;
};

Req req(std::string method, Scope scope, QueryList query = {}, HeaderList headers = {}) {
    Req r{std::move(method), scope, std::move(query), {}};
    r.http.method = r.method;
    r.http.headers = std::move(headers);
    return r;
}

const Route& route(const Req& r) { return route_for(r.method, r.scope, r.query, r.http); }

TEST(Routes, ServiceRequests) {
    EXPECT_EQ(route(req("GET", Scope::Service)).operation, Operation::ListBuckets);
    EXPECT_EQ(route(req("GET", Scope::Service)).op_class, OpClass::List);
    // The provider's admin API, whatever the method.
    for (const char* m : {"GET", "PUT", "POST", "DELETE"}) {
        const auto& r = route(req(m, Scope::Service, {{"ostor-users", ""}, {"emailAddress", "a@b"}}));
        EXPECT_EQ(r.operation, Operation::AdminApi) << m;
        EXPECT_EQ(r.op_class, OpClass::Default) << m;
    }
    EXPECT_EQ(route(req("PUT", Scope::Service)).operation, Operation::MethodNotAllowed);
    EXPECT_EQ(route(req("DELETE", Scope::Service, {{"acl", ""}})).operation, Operation::MethodNotAllowed);
}

TEST(Routes, SubResourcesWinOverThePlainRequest) {
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"acl", ""}})).operation, Operation::GetBucketAcl);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"uploads", ""}, {"prefix", "a"}})).operation,
              Operation::ListMultipartUploads);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"versions", ""}})).operation, Operation::ListObjectVersions);
    EXPECT_EQ(route(req("PUT", Scope::Bucket, {{"acl", ""}})).operation, Operation::PutBucketAcl);
    EXPECT_EQ(route(req("PUT", Scope::Bucket)).operation, Operation::CreateBucket);
    EXPECT_EQ(route(req("GET", Scope::Object, {{"acl", ""}})).operation, Operation::GetObjectAcl);
    EXPECT_EQ(route(req("GET", Scope::Object, {{"uploadId", "u"}})).operation, Operation::ListParts);
    EXPECT_EQ(route(req("GET", Scope::Object, {{"partNumber", "2"}})).operation, Operation::GetObject);
    EXPECT_EQ(route(req("HEAD", Scope::Object, {{"partNumber", "2"}})).operation, Operation::HeadObject);
    EXPECT_EQ(route(req("DELETE", Scope::Object, {{"uploadId", "u"}})).operation, Operation::AbortMultipartUpload);
    EXPECT_EQ(route(req("POST", Scope::Object, {{"uploads", ""}})).operation, Operation::CreateMultipartUpload);
    EXPECT_EQ(route(req("POST", Scope::Object, {{"uploadId", "u"}})).operation, Operation::CompleteMultipartUpload);
    EXPECT_EQ(route(req("POST", Scope::Bucket, {{"delete", ""}})).operation, Operation::DeleteObjects);
}

TEST(Routes, ListObjectsVersionByListType) {
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"list-type", "2"}})).operation, Operation::ListObjectsV2);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"list-type", "1"}})).operation, Operation::ListObjects);
    EXPECT_EQ(route(req("GET", Scope::Bucket)).operation, Operation::ListObjects);
}

TEST(Routes, CopiesAreToldByTheirSourceHeader) {
    HeaderList copy = {{"x-amz-copy-source", "/src/key"}};
    EXPECT_EQ(route(req("PUT", Scope::Object, {}, copy)).operation, Operation::CopyObject);
    EXPECT_EQ(route(req("PUT", Scope::Object)).operation, Operation::PutObject);
    EXPECT_EQ(route(req("PUT", Scope::Object, {{"partNumber", "1"}, {"uploadId", "u"}}, copy)).operation,
              Operation::UploadPartCopy);
    EXPECT_EQ(route(req("PUT", Scope::Object, {{"partNumber", "1"}, {"uploadId", "u"}})).operation,
              Operation::UploadPart);
    // An ACL change with a copy header is still an ACL change.
    EXPECT_EQ(route(req("PUT", Scope::Object, {{"acl", ""}}, copy)).operation, Operation::PutObjectAcl);
}

TEST(Routes, UnofferedBucketConfigurations) {
    for (const char* config :
         {"website", "encryption", "replication", "notification", "logging", "accelerate", "requestPayment"}) {
        const auto& get = route(req("GET", Scope::Bucket, {{config, ""}}));
        EXPECT_EQ(get.operation, Operation::GetBucketConfig) << config;
        EXPECT_EQ(get.query, config);
        EXPECT_EQ(route(req("PUT", Scope::Bucket, {{config, ""}})).operation, Operation::PutBucketConfig) << config;
        EXPECT_EQ(route(req("DELETE", Scope::Bucket, {{config, ""}})).operation, Operation::DeleteBucketConfig)
            << config;
    }
}

// Object lock: the bucket's configuration (never removed: a DELETE of it is
// refused, not taken for the bucket's), a version's retention and legal hold.
TEST(Routes, ObjectLock) {
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"object-lock", ""}})).operation, Operation::GetObjectLockConfiguration);
    EXPECT_EQ(route(req("PUT", Scope::Bucket, {{"object-lock", ""}})).name, "PutObjectLockConfiguration");
    EXPECT_EQ(route(req("DELETE", Scope::Bucket, {{"object-lock", ""}})).operation, Operation::MethodNotAllowed);
    EXPECT_EQ(route(req("GET", Scope::Object, {{"retention", ""}, {"versionId", "v"}})).operation,
              Operation::GetObjectRetention);
    EXPECT_EQ(route(req("PUT", Scope::Object, {{"retention", ""}})).operation, Operation::PutObjectRetention);
    EXPECT_EQ(route(req("GET", Scope::Object, {{"legal-hold", ""}})).operation, Operation::GetObjectLegalHold);
    EXPECT_EQ(route(req("PUT", Scope::Object, {{"legal-hold", ""}})).name, "PutObjectLegalHold");
    // Not a copy, whatever its headers.
    EXPECT_EQ(route(req("PUT", Scope::Object, {{"retention", ""}}, {{"x-amz-copy-source", "/b/k"}})).operation,
              Operation::PutObjectRetention);
}

// The lifecycle configuration is offered, under AWS's operation names.
TEST(Routes, BucketLifecycle) {
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"lifecycle", ""}})).operation, Operation::GetBucketLifecycle);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"lifecycle", ""}})).name, "GetBucketLifecycleConfiguration");
    EXPECT_EQ(route(req("PUT", Scope::Bucket, {{"lifecycle", ""}})).operation, Operation::PutBucketLifecycle);
    EXPECT_EQ(route(req("DELETE", Scope::Bucket, {{"lifecycle", ""}})).operation, Operation::DeleteBucketLifecycle);
    EXPECT_EQ(route(req("DELETE", Scope::Bucket, {{"lifecycle", ""}})).name, "DeleteBucketLifecycle");
}

// The bucket policy is offered; ?policyStatus is its own operation, not
// taken for ?policy.
TEST(Routes, BucketPolicy) {
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"policy", ""}})).operation, Operation::GetBucketPolicy);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"policy", ""}})).name, "GetBucketPolicy");
    EXPECT_EQ(route(req("PUT", Scope::Bucket, {{"policy", ""}})).operation, Operation::PutBucketPolicy);
    EXPECT_EQ(route(req("DELETE", Scope::Bucket, {{"policy", ""}})).operation, Operation::DeleteBucketPolicy);
    EXPECT_EQ(route(req("DELETE", Scope::Bucket, {{"policy", ""}})).op_class, OpClass::Delete);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"policyStatus", ""}})).operation, Operation::GetBucketPolicyStatus);
}

// Ownership controls and the public access block are offered, under AWS's
// names.
TEST(Routes, OwnershipControlsAndPublicAccessBlock) {
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"ownershipControls", ""}})).operation,
              Operation::GetBucketOwnershipControls);
    EXPECT_EQ(route(req("PUT", Scope::Bucket, {{"ownershipControls", ""}})).operation,
              Operation::PutBucketOwnershipControls);
    const auto& del = route(req("DELETE", Scope::Bucket, {{"ownershipControls", ""}}));
    EXPECT_EQ(del.operation, Operation::DeleteBucketOwnershipControls);
    EXPECT_EQ(del.name, "DeleteBucketOwnershipControls");
    EXPECT_EQ(del.op_class, OpClass::Delete);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"publicAccessBlock", ""}})).operation, Operation::GetPublicAccessBlock);
    EXPECT_EQ(route(req("PUT", Scope::Bucket, {{"publicAccessBlock", ""}})).name, "PutPublicAccessBlock");
    EXPECT_EQ(route(req("DELETE", Scope::Bucket, {{"publicAccessBlock", ""}})).operation,
              Operation::DeletePublicAccessBlock);
}

// CORS and tagging are offered: kept as documents in the bucket's record.
TEST(Routes, BucketCorsAndTagging) {
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"cors", ""}})).operation, Operation::GetBucketCors);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"cors", ""}})).name, "GetBucketCors");
    EXPECT_EQ(route(req("PUT", Scope::Bucket, {{"cors", ""}})).operation, Operation::PutBucketCors);
    EXPECT_EQ(route(req("DELETE", Scope::Bucket, {{"cors", ""}})).operation, Operation::DeleteBucketCors);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"tagging", ""}})).operation, Operation::GetBucketTagging);
    EXPECT_EQ(route(req("PUT", Scope::Bucket, {{"tagging", ""}})).operation, Operation::PutBucketTagging);
    EXPECT_EQ(route(req("DELETE", Scope::Bucket, {{"tagging", ""}})).operation, Operation::DeleteBucketTagging);
    EXPECT_EQ(route(req("DELETE", Scope::Bucket, {{"tagging", ""}})).op_class, OpClass::Delete);
    // Object tagging is not the bucket's.
    EXPECT_EQ(route(req("GET", Scope::Object, {{"tagging", ""}})).operation, Operation::GetObjectTagging);
    // A preflight, on a bucket or an object, whatever its query (a
    // presigned URL's included); on the service there is none.
    EXPECT_EQ(route(req("OPTIONS", Scope::Bucket)).operation, Operation::Preflight);
    EXPECT_EQ(route(req("OPTIONS", Scope::Object)).operation, Operation::Preflight);
    EXPECT_EQ(route(req("OPTIONS", Scope::Object, {{"X-Amz-Signature", "s"}})).operation, Operation::Preflight);
    EXPECT_EQ(route(req("OPTIONS", Scope::Service)).operation, Operation::MethodNotAllowed);
}

// The classes the provider's limits are set by (vendor guide: get, put,
// list, delete, default).
TEST(Routes, OpClasses) {
    EXPECT_EQ(route(req("GET", Scope::Object)).op_class, OpClass::Get);
    EXPECT_EQ(route(req("HEAD", Scope::Object)).op_class, OpClass::Get);
    EXPECT_EQ(route(req("PUT", Scope::Object)).op_class, OpClass::Put);
    EXPECT_EQ(route(req("PUT", Scope::Object, {{"partNumber", "1"}, {"uploadId", "u"}})).op_class, OpClass::Put);
    EXPECT_EQ(route(req("POST", Scope::Object, {{"uploadId", "u"}})).op_class, OpClass::Put);
    EXPECT_EQ(route(req("DELETE", Scope::Object, {{"uploadId", "u"}})).op_class, OpClass::Put);
    EXPECT_EQ(route(req("DELETE", Scope::Object)).op_class, OpClass::Delete);
    EXPECT_EQ(route(req("DELETE", Scope::Bucket)).op_class, OpClass::Delete);
    EXPECT_EQ(route(req("POST", Scope::Bucket, {{"delete", ""}})).op_class, OpClass::Put);
    EXPECT_EQ(route(req("GET", Scope::Bucket)).op_class, OpClass::List);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"uploads", ""}})).op_class, OpClass::List);
    EXPECT_EQ(route(req("GET", Scope::Object, {{"uploadId", "u"}})).op_class, OpClass::List);
    EXPECT_EQ(route(req("GET", Scope::Bucket, {{"acl", ""}})).op_class, OpClass::Default);
    EXPECT_EQ(route(req("PUT", Scope::Object, {{"acl", ""}})).op_class, OpClass::Default);
    EXPECT_EQ(route(req("HEAD", Scope::Bucket)).op_class, OpClass::Default);
}

TEST(Routes, EveryRequestHasARouteAndEveryOperationARow) {
    for (auto scope : {Scope::Service, Scope::Bucket, Scope::Object})
        for (const char* m : {"GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"}) {
            const auto& r = route(req(m, scope, {{"unknown-sub-resource", "x"}}));
            EXPECT_EQ(r.scope, scope) << m;
            EXPECT_FALSE(r.name.empty()) << m;
        }
    std::set<Operation> seen;
    for (const auto& r : routes()) {
        seen.insert(r.operation);
        EXPECT_FALSE(r.name.empty());
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(Operation::MethodNotAllowed) + 1);
}

// A browser's form upload is a POST of the bucket with a body type (the
// handler refuses any but multipart/form-data); it is a write, counted as PUT.
TEST(Routes, PostObjectIsABucketPostWithABody) {
    const auto& form = route(req("POST", Scope::Bucket, {}, {{"content-type", "multipart/form-data; boundary=x"}}));
    EXPECT_EQ(form.operation, Operation::PostObject);
    EXPECT_EQ(form.op_class, OpClass::Put);
    EXPECT_EQ(route(req("POST", Scope::Bucket)).operation, Operation::MethodNotAllowed);
    EXPECT_EQ(route(req("POST", Scope::Bucket, {{"delete", ""}}, {{"content-type", "application/xml"}})).operation,
              Operation::DeleteObjects);
    EXPECT_EQ(route(req("POST", Scope::Object, {}, {{"content-type", "multipart/form-data; boundary=x"}})).operation,
              Operation::MethodNotAllowed);
}

}  // namespace
}  // namespace ostor::gw::s3
