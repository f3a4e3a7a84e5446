// From the route's operation to its handler, and to the bucket access the
// pipeline checks before the handler runs.
#include "s3/handlers.hpp"

namespace ostor::gw::s3 {

BucketAccess bucket_access(Operation op) {
    using enum Operation;
    switch (op) {
        case AdminApi:
        case ListBuckets:
        case CreateBucket:
        case PutBucketConfig:
        case MethodNotAllowed:
        case Preflight:  // reads the bucket itself: its errors are CORS's own
            return {};
        case DeleteBucket:
        case PutBucketAcl:
        case PutBucketCors:
        case DeleteBucketCors:
        case PutBucketTagging:
        case DeleteBucketTagging:
        case PutBucketPolicy:
        case DeleteBucketPolicy:
        case PutBucketOwnershipControls:
        case DeleteBucketOwnershipControls:
        case PutPublicAccessBlock:
        case DeletePublicAccessBlock:
        case PutBucketLifecycle:
        case DeleteBucketLifecycle:
        case PutBucketVersioning:
        case PutObjectLockConfiguration:
            return {.read = true, .permission = std::nullopt, .fresh = true};
        case HeadBucket:
        case ListObjects:
        case ListObjectsV2:
        case ListObjectVersions:
        case ListMultipartUploads:
        case ListParts:
            return {.read = true, .permission = Permission::Read, .fresh = false};
        case DeleteObjects:
        case PostObject:
        case PutObject:
        case CopyObject:
        case DeleteObject:
        case CreateMultipartUpload:
        case UploadPart:
        case UploadPartCopy:
        case CompleteMultipartUpload:
        case AbortMultipartUpload:
            return {.read = true, .permission = Permission::Write, .fresh = false};
        case GetBucketAcl:
        case GetBucketLocation:
        case GetBucketVersioning:
        case GetBucketConfig:
        case DeleteBucketConfig:
        case GetBucketCors:
        case GetBucketTagging:
        case GetBucketPolicy:
        case GetBucketPolicyStatus:
        case GetBucketOwnershipControls:
        case GetPublicAccessBlock:
        case GetBucketLifecycle:
        case GetObject:
        case HeadObject:
        case GetObjectAcl:
        case PutObjectAcl:
        case GetObjectTagging:
        case PutObjectTagging:
        case DeleteObjectTagging:
        case GetObjectAttributes:
        case GetObjectLockConfiguration:
        case GetObjectRetention:
        case PutObjectRetention:
        case GetObjectLegalHold:
        case PutObjectLegalHold:
            return {.read = true, .permission = std::nullopt, .fresh = false};
    }
    return {};
}

Reply dispatch(const RequestContext& ctx, RequestBody& body) {
    using enum Operation;
    switch (ctx.route->operation) {
        case AdminApi:
            return admin(ctx);
        case ListBuckets:
            return list_buckets(ctx);
        case CreateBucket:
            return create_bucket(ctx, body);
        case HeadBucket:
            return head_bucket(ctx);
        case DeleteBucket:
            return delete_bucket(ctx);
        case GetBucketAcl:
            return get_bucket_acl(ctx);
        case PutBucketAcl:
            return put_bucket_acl(ctx, body);
        case GetBucketLocation:
            return get_bucket_location(ctx);
        case GetBucketVersioning:
            return get_bucket_versioning(ctx);
        case PutBucketVersioning:
            return put_bucket_versioning(ctx, body);
        case ListObjects:
            return list_objects(ctx, ListKind::V1);
        case ListObjectsV2:
            return list_objects(ctx, ListKind::V2);
        case ListObjectVersions:
            return list_object_versions(ctx);
        case ListMultipartUploads:
            return list_uploads(ctx);
        case DeleteObjects:
            return delete_objects(ctx, body);
        case PostObject:
            return post_object(ctx);
        case GetBucketConfig:
            return get_bucket_config(ctx, ctx.route->query);
        case PutBucketConfig:
            return not_implemented();
        case DeleteBucketConfig:
            return empty_answer(204);
        case GetBucketCors:
            return get_bucket_cors(ctx);
        case PutBucketCors:
            return put_bucket_cors(ctx, body);
        case DeleteBucketCors:
            return delete_bucket_cors(ctx);
        case GetBucketTagging:
            return get_bucket_tagging(ctx);
        case PutBucketTagging:
            return put_bucket_tagging(ctx, body);
        case DeleteBucketTagging:
            return delete_bucket_tagging(ctx);
        case GetBucketPolicy:
            return get_bucket_policy(ctx);
        case PutBucketPolicy:
            return put_bucket_policy(ctx, body);
        case DeleteBucketPolicy:
            return delete_bucket_policy(ctx);
        case GetBucketPolicyStatus:
            return get_bucket_policy_status(ctx);
        case GetBucketOwnershipControls:
            return get_bucket_ownership_controls(ctx);
        case PutBucketOwnershipControls:
            return put_bucket_ownership_controls(ctx, body);
        case DeleteBucketOwnershipControls:
            return delete_bucket_ownership_controls(ctx);
        case GetPublicAccessBlock:
            return get_public_access_block(ctx);
        case PutPublicAccessBlock:
            return put_public_access_block(ctx, body);
        case DeletePublicAccessBlock:
            return delete_public_access_block(ctx);
        case GetBucketLifecycle:
            return get_bucket_lifecycle(ctx);
        case PutBucketLifecycle:
            return put_bucket_lifecycle(ctx, body);
        case DeleteBucketLifecycle:
            return delete_bucket_lifecycle(ctx);
        case GetObjectLockConfiguration:
            return get_object_lock_configuration(ctx);
        case PutObjectLockConfiguration:
            return put_object_lock_configuration(ctx, body);
        case Preflight:
            return preflight(ctx);
        case GetObject:
        case HeadObject:
            return get_object(ctx);
        case PutObject:
            return put_object(ctx, body);
        case CopyObject:
            return copy_object(ctx);
        case DeleteObject:
            return delete_object(ctx);
        case GetObjectAcl:
            return get_object_acl(ctx);
        case PutObjectAcl:
            return put_object_acl(ctx, body);
        case GetObjectTagging:
            return get_object_tagging(ctx);
        case PutObjectTagging:
            return put_object_tagging(ctx, body);
        case DeleteObjectTagging:
            return delete_object_tagging(ctx);
        case GetObjectAttributes:
            return get_object_attributes(ctx);
        case GetObjectRetention:
            return get_object_retention(ctx);
        case PutObjectRetention:
            return put_object_retention(ctx, body);
        case GetObjectLegalHold:
            return get_object_legal_hold(ctx);
        case PutObjectLegalHold:
            return put_object_legal_hold(ctx, body);
        case CreateMultipartUpload:
            return create_upload(ctx);
        case UploadPart:
            return upload_part(ctx, body);
        case UploadPartCopy:
            return upload_part_copy(ctx);
        case CompleteMultipartUpload:
            return complete_upload(ctx, body);
        case AbortMultipartUpload:
            return abort_upload(ctx);
        case ListParts:
            return list_parts(ctx);
        case MethodNotAllowed:
            break;
    }
    return method_not_allowed();
}

}  // namespace ostor::gw::s3
