#include "bucket_policy_actions.hpp"

#include <algorithm>
#include <cctype>

namespace ostor::gw {

namespace {

constexpr auto kBucket = PolicyResourceKind::Bucket;
constexpr auto kObject = PolicyResourceKind::Object;

// AWS's S3 actions on a bucket or an object ("Actions defined by Amazon
// S3"), those of access points, jobs and the like left out: a bucket policy
// naming an action not here is refused ("Policy has invalid action").
constexpr PolicyActionInfo kActions[] = {
    // Objects.
    {"s3:AbortMultipartUpload", kObject},
    {"s3:BypassGovernanceRetention", kObject},
    {"s3:DeleteObject", kObject},
    {"s3:DeleteObjectTagging", kObject},
    {"s3:DeleteObjectVersion", kObject},
    {"s3:DeleteObjectVersionTagging", kObject},
    {"s3:GetObject", kObject},
    {"s3:GetObjectAcl", kObject},
    {"s3:GetObjectAttributes", kObject},
    {"s3:GetObjectLegalHold", kObject},
    {"s3:GetObjectRetention", kObject},
    {"s3:GetObjectTagging", kObject},
    {"s3:GetObjectTorrent", kObject},
    {"s3:GetObjectVersion", kObject},
    {"s3:GetObjectVersionAcl", kObject},
    {"s3:GetObjectVersionAttributes", kObject},
    {"s3:GetObjectVersionForReplication", kObject},
    {"s3:GetObjectVersionTagging", kObject},
    {"s3:GetObjectVersionTorrent", kObject},
    {"s3:InitiateReplication", kObject},
    {"s3:ListMultipartUploadParts", kObject},
    {"s3:ObjectOwnerOverrideToBucketOwner", kObject},
    {"s3:PutObject", kObject},
    {"s3:PutObjectAcl", kObject},
    {"s3:PutObjectLegalHold", kObject},
    {"s3:PutObjectRetention", kObject},
    {"s3:PutObjectTagging", kObject},
    {"s3:PutObjectVersionAcl", kObject},
    {"s3:PutObjectVersionTagging", kObject},
    {"s3:ReplicateDelete", kObject},
    {"s3:ReplicateObject", kObject},
    {"s3:ReplicateTags", kObject},
    {"s3:RestoreObject", kObject},
    // Buckets.
    {"s3:CreateBucket", kBucket},
    {"s3:DeleteBucket", kBucket},
    {"s3:DeleteBucketPolicy", kBucket},
    {"s3:DeleteBucketWebsite", kBucket},
    {"s3:GetAccelerateConfiguration", kBucket},
    {"s3:GetAnalyticsConfiguration", kBucket},
    {"s3:GetBucketAcl", kBucket},
    {"s3:GetBucketCORS", kBucket},
    {"s3:GetBucketLocation", kBucket},
    {"s3:GetBucketLogging", kBucket},
    {"s3:GetBucketNotification", kBucket},
    {"s3:GetBucketObjectLockConfiguration", kBucket},
    {"s3:GetBucketOwnershipControls", kBucket},
    {"s3:GetBucketPolicy", kBucket},
    {"s3:GetBucketPolicyStatus", kBucket},
    {"s3:GetBucketPublicAccessBlock", kBucket},
    {"s3:GetBucketRequestPayment", kBucket},
    {"s3:GetBucketTagging", kBucket},
    {"s3:GetBucketVersioning", kBucket},
    {"s3:GetBucketWebsite", kBucket},
    {"s3:GetEncryptionConfiguration", kBucket},
    {"s3:GetIntelligentTieringConfiguration", kBucket},
    {"s3:GetInventoryConfiguration", kBucket},
    {"s3:GetLifecycleConfiguration", kBucket},
    {"s3:GetMetricsConfiguration", kBucket},
    {"s3:GetReplicationConfiguration", kBucket},
    {"s3:ListBucket", kBucket},
    {"s3:ListBucketMultipartUploads", kBucket},
    {"s3:ListBucketVersions", kBucket},
    {"s3:PutAccelerateConfiguration", kBucket},
    {"s3:PutAnalyticsConfiguration", kBucket},
    {"s3:PutBucketAcl", kBucket},
    {"s3:PutBucketCORS", kBucket},
    {"s3:PutBucketLogging", kBucket},
    {"s3:PutBucketNotification", kBucket},
    {"s3:PutBucketObjectLockConfiguration", kBucket},
    {"s3:PutBucketOwnershipControls", kBucket},
    {"s3:PutBucketPolicy", kBucket},
    {"s3:PutBucketPublicAccessBlock", kBucket},
    {"s3:PutBucketRequestPayment", kBucket},
    {"s3:PutBucketTagging", kBucket},
    {"s3:PutBucketVersioning", kBucket},
    {"s3:PutBucketWebsite", kBucket},
    {"s3:PutEncryptionConfiguration", kBucket},
    {"s3:PutIntelligentTieringConfiguration", kBucket},
    {"s3:PutInventoryConfiguration", kBucket},
    {"s3:PutLifecycleConfiguration", kBucket},
    {"s3:PutMetricsConfiguration", kBucket},
    {"s3:PutReplicationConfiguration", kBucket},
};

// The API operations (as routes.cpp names them) and the action each needs,
// per the "API operations defined by Amazon S3" table. The configuration
// deletes AWS has no action of their own for are the Put action.
constexpr OperationAction kOperations[] = {
    // Buckets.
    {"CreateBucket", "s3:CreateBucket", "", kBucket},
    {"HeadBucket", "s3:ListBucket", "", kBucket},
    {"DeleteBucket", "s3:DeleteBucket", "", kBucket},
    {"GetBucketAcl", "s3:GetBucketAcl", "", kBucket},
    {"PutBucketAcl", "s3:PutBucketAcl", "", kBucket},
    {"GetBucketLocation", "s3:GetBucketLocation", "", kBucket},
    {"GetBucketVersioning", "s3:GetBucketVersioning", "", kBucket},
    {"PutBucketVersioning", "s3:PutBucketVersioning", "", kBucket},
    {"ListObjects", "s3:ListBucket", "", kBucket},
    {"ListObjectsV2", "s3:ListBucket", "", kBucket},
    {"ListObjectVersions", "s3:ListBucketVersions", "", kBucket},
    {"ListMultipartUploads", "s3:ListBucketMultipartUploads", "", kBucket},
    {"GetBucketPolicy", "s3:GetBucketPolicy", "", kBucket},
    {"PutBucketPolicy", "s3:PutBucketPolicy", "", kBucket},
    {"DeleteBucketPolicy", "s3:DeleteBucketPolicy", "", kBucket},
    {"GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", "", kBucket},
    {"GetBucketCors", "s3:GetBucketCORS", "", kBucket},
    {"PutBucketCors", "s3:PutBucketCORS", "", kBucket},
    {"DeleteBucketCors", "s3:PutBucketCORS", "", kBucket},
    {"GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", "", kBucket},
    {"PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration", "", kBucket},
    {"DeleteBucketLifecycle", "s3:PutLifecycleConfiguration", "", kBucket},
    {"GetBucketTagging", "s3:GetBucketTagging", "", kBucket},
    {"PutBucketTagging", "s3:PutBucketTagging", "", kBucket},
    {"DeleteBucketTagging", "s3:PutBucketTagging", "", kBucket},
    {"GetBucketWebsite", "s3:GetBucketWebsite", "", kBucket},
    {"PutBucketWebsite", "s3:PutBucketWebsite", "", kBucket},
    {"DeleteBucketWebsite", "s3:DeleteBucketWebsite", "", kBucket},
    {"GetBucketEncryption", "s3:GetEncryptionConfiguration", "", kBucket},
    {"PutBucketEncryption", "s3:PutEncryptionConfiguration", "", kBucket},
    {"DeleteBucketEncryption", "s3:PutEncryptionConfiguration", "", kBucket},
    {"GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", "", kBucket},
    {"PutBucketOwnershipControls", "s3:PutBucketOwnershipControls", "", kBucket},
    {"DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls", "", kBucket},
    {"GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", "", kBucket},
    {"PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "", kBucket},
    {"DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock", "", kBucket},
    {"GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration", "", kBucket},
    {"PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration", "", kBucket},
    {"GetBucketReplication", "s3:GetReplicationConfiguration", "", kBucket},
    {"PutBucketReplication", "s3:PutReplicationConfiguration", "", kBucket},
    {"DeleteBucketReplication", "s3:PutReplicationConfiguration", "", kBucket},
    {"GetBucketNotificationConfiguration", "s3:GetBucketNotification", "", kBucket},
    {"PutBucketNotificationConfiguration", "s3:PutBucketNotification", "", kBucket},
    {"DeleteBucketNotificationConfiguration", "s3:PutBucketNotification", "", kBucket},
    {"GetBucketLogging", "s3:GetBucketLogging", "", kBucket},
    {"PutBucketLogging", "s3:PutBucketLogging", "", kBucket},
    {"DeleteBucketLogging", "s3:PutBucketLogging", "", kBucket},
    {"GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration", "", kBucket},
    {"PutBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration", "", kBucket},
    {"DeleteBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration", "", kBucket},
    {"GetBucketRequestPayment", "s3:GetBucketRequestPayment", "", kBucket},
    {"PutBucketRequestPayment", "s3:PutBucketRequestPayment", "", kBucket},
    {"DeleteBucketRequestPayment", "s3:PutBucketRequestPayment", "", kBucket},
    // Objects.
    {"DeleteObjects", "s3:DeleteObject", "s3:DeleteObjectVersion", kObject},
    {"GetObject", "s3:GetObject", "s3:GetObjectVersion", kObject},
    {"HeadObject", "s3:GetObject", "s3:GetObjectVersion", kObject},
    {"PutObject", "s3:PutObject", "", kObject},
    // The object the form's key names (see policy_action_for).
    {"PostObject", "s3:PutObject", "", kObject},
    {"CopyObject", "s3:PutObject", "", kObject},
    {"DeleteObject", "s3:DeleteObject", "s3:DeleteObjectVersion", kObject},
    {"GetObjectAcl", "s3:GetObjectAcl", "s3:GetObjectVersionAcl", kObject},
    {"PutObjectAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", kObject},
    {"GetObjectTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging", kObject},
    {"PutObjectTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging", kObject},
    {"DeleteObjectTagging", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging", kObject},
    {"GetObjectAttributes", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes", kObject},
    // A version's lock has no version action of its own (s3:versionid says which).
    {"GetObjectRetention", "s3:GetObjectRetention", "", kObject},
    {"PutObjectRetention", "s3:PutObjectRetention", "", kObject},
    {"GetObjectLegalHold", "s3:GetObjectLegalHold", "", kObject},
    {"PutObjectLegalHold", "s3:PutObjectLegalHold", "", kObject},
    // Multipart uploads.
    {"CreateMultipartUpload", "s3:PutObject", "", kObject},
    {"UploadPart", "s3:PutObject", "", kObject},
    {"UploadPartCopy", "s3:PutObject", "", kObject},
    {"CompleteMultipartUpload", "s3:PutObject", "", kObject},
    {"AbortMultipartUpload", "s3:AbortMultipartUpload", "", kObject},
    {"ListParts", "s3:ListMultipartUploadParts", "", kObject},
};

bool iequal(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b,
                              [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

std::span<const PolicyActionInfo> known_policy_actions() { return kActions; }

const PolicyActionInfo* find_policy_action(std::string_view name) {
    auto it = std::ranges::find_if(kActions, [&](const auto& a) { return iequal(a.name, name); });
    return it == std::end(kActions) ? nullptr : &*it;
}

const OperationAction* policy_action_for(std::string_view operation) {
    auto it = std::ranges::find(kOperations, operation, &OperationAction::operation);
    return it == std::end(kOperations) ? nullptr : &*it;
}

std::span<const OperationAction> operation_actions() { return kOperations; }

}  // namespace ostor::gw
