// The handlers of the S3 operations, by family. Each reads the request
// context (filled by the pipeline, read-only here) and, if it takes one, the
// body, calls the engine and returns an answer or an error; none writes to
// the connection. dispatch() picks the route's handler (s3/routes.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "acl.hpp"
#include "s3/context.hpp"
#include "s3/reply.hpp"
#include "s3/request_body.hpp"

namespace ostor::gw::s3 {

// Runs the handler of the request's route.
Reply dispatch(const RequestContext& ctx, RequestBody& body);

// How an operation uses the bucket it names: the pipeline reads it before
// the handler runs (into ctx.bucket_record) when `read`, and refuses the
// request unless the caller has `permission`. `fresh`: read afresh, not from
// the engine's cache (RADOS), for a change of the bucket itself.
struct BucketAccess {
    bool read = false;
    std::optional<Permission> permission;
    bool fresh = false;
};
BucketAccess bucket_access(Operation op);

// ---- service (service.cpp) ---------------------------------------------------

Reply admin(const RequestContext& ctx);
Reply list_buckets(const RequestContext& ctx);

// ---- buckets (buckets.cpp) ---------------------------------------------------

Reply create_bucket(const RequestContext& ctx, RequestBody& body);
Reply head_bucket(const RequestContext& ctx);
Reply delete_bucket(const RequestContext& ctx);
Reply get_bucket_location(const RequestContext& ctx);
// A bucket configuration ostor does not offer (`name`, the route's query):
// none is set.
Reply get_bucket_config(const RequestContext& ctx, std::string_view name);

// ---- bucket configuration documents (cors.cpp, bucket_tagging.cpp) -----------

Reply get_bucket_cors(const RequestContext& ctx);
Reply put_bucket_cors(const RequestContext& ctx, RequestBody& body);
Reply delete_bucket_cors(const RequestContext& ctx);
// OPTIONS: a browser's preflight, answered from the bucket's CORS rules.
Reply preflight(const RequestContext& ctx);
// The Access-Control-* headers of an answer to a cross-origin request (one
// with an Origin) that a CORS rule of `bucket` allows; none otherwise.
HeaderList cors_headers(const RequestContext& ctx, const Bucket& bucket);
// cors_headers of the bucket the request names, for an answer given without
// reading its record (a refused signature, a route that reads none): looked
// up, and a bucket found missing is remembered for a moment, so that
// requests naming it do not each cost a read (RADOS caches only buckets
// that exist).
HeaderList cors_headers_by_name(const RequestContext& ctx);
Reply get_bucket_tagging(const RequestContext& ctx);
Reply put_bucket_tagging(const RequestContext& ctx, RequestBody& body);
Reply delete_bucket_tagging(const RequestContext& ctx);
// The bucket policy (bucket_policies.cpp).
Reply get_bucket_policy(const RequestContext& ctx);
Reply put_bucket_policy(const RequestContext& ctx, RequestBody& body);
Reply delete_bucket_policy(const RequestContext& ctx);
Reply get_bucket_policy_status(const RequestContext& ctx);
// Object ownership controls and the public access block (access_controls.cpp).
Reply get_bucket_ownership_controls(const RequestContext& ctx);
Reply put_bucket_ownership_controls(const RequestContext& ctx, RequestBody& body);
Reply delete_bucket_ownership_controls(const RequestContext& ctx);
Reply get_public_access_block(const RequestContext& ctx);
Reply put_public_access_block(const RequestContext& ctx, RequestBody& body);
Reply delete_public_access_block(const RequestContext& ctx);
// The lifecycle configuration (lifecycle.cpp).
Reply get_bucket_lifecycle(const RequestContext& ctx);
Reply put_bucket_lifecycle(const RequestContext& ctx, RequestBody& body);
Reply delete_bucket_lifecycle(const RequestContext& ctx);
// The x-amz-expiration header of an object a current-expiration rule of
// `bucket` covers (AWS's form: expiry-date="<HTTP date>", rule-id="<id>"),
// added to `h`; nothing when none does.
void add_expiration_header(HeaderList& h, const RequestContext& ctx, const Bucket& bucket, const ObjectInfo& info);
// The configuration documents a bucket keeps (Bucket::configs, by S3's
// kind: cors, tagging, policy, lifecycle, ownership, public-access-block), for their handlers: the stored
// document as an XML answer (S3's "no such configuration" error of `kind`
// when there is none), and the document stored (nullopt: removed),
// answered `status` with no body.
Reply stored_bucket_config(const Bucket& b, std::string_view kind);
Reply store_bucket_config(const RequestContext& ctx, std::string_view kind, std::optional<std::string> document,
                          int status = 204);
// PutBucketCors and PutBucketTagging need an integrity check of their body:
// Content-MD5 or an x-amz-checksum-* (as a header or a trailer). nullopt
// when one is there.
std::optional<S3Error> missing_body_digest(const RequestContext& ctx);

// ---- ACLs (acls.cpp) ---------------------------------------------------------

Reply get_bucket_acl(const RequestContext& ctx);
Reply put_bucket_acl(const RequestContext& ctx, RequestBody& body);
Reply get_object_acl(const RequestContext& ctx);
Reply put_object_acl(const RequestContext& ctx, RequestBody& body);

// ---- object tags (tagging.cpp) -----------------------------------------------

Reply get_object_tagging(const RequestContext& ctx);
Reply put_object_tagging(const RequestContext& ctx, RequestBody& body);
Reply delete_object_tagging(const RequestContext& ctx);

// ---- listing (listing.cpp) ---------------------------------------------------

enum class ListKind { V1, V2 };
Reply list_objects(const RequestContext& ctx, ListKind kind);
Reply list_object_versions(const RequestContext& ctx);
Reply list_uploads(const RequestContext& ctx);

// ---- objects (objects.cpp) ---------------------------------------------------

Reply put_object(const RequestContext& ctx, RequestBody& body);
Reply get_object(const RequestContext& ctx);
Reply get_object_attributes(const RequestContext& ctx);

// ---- versions (versions.cpp) -------------------------------------------------

Reply get_bucket_versioning(const RequestContext& ctx);
Reply put_bucket_versioning(const RequestContext& ctx, RequestBody& body);
// DeleteObject adds a delete marker (versioned bucket) or removes the
// version its versionId names; DeleteObjects does so per <Object>.
Reply delete_object(const RequestContext& ctx);
Reply delete_objects(const RequestContext& ctx, RequestBody& body);
// The request's versionId ("" when none: the current).
std::string requested_version(const RequestContext& ctx);
// The version id an answer shows for `info` of bucket `b`: its own; "null"
// for one written before `b` was versioned; "" (no header) in a bucket
// never versioned.
std::string shown_version_id(const Bucket& b, const ObjectInfo& info);
// x-amz-version-id: shown_version_id, when there is one.
void add_version_header(HeaderList& h, const Bucket& b, const ObjectInfo& info);
// The answer to a write (PUT, POST, copy, complete): x-amz-version-id when
// the write made a version of its own id (Enabled), none for the null
// version (unversioned or Suspended), as S3 answers.
void add_written_version_header(HeaderList& h, const ObjectInfo& written);
// The answer to a failed read of (ctx.bucket, ctx.key) at `version_id`
// (GET, HEAD, ACL, tags), as object_error gives it, and: the key's newest a
// delete marker, 404 NoSuchKey with x-amz-delete-marker and the marker's
// x-amz-version-id; a marker named by its id, 405 MethodNotAllowed with
// those and its Last-Modified.
S3Error read_error(const RequestContext& ctx, const Error& e, const Bucket& b, std::string_view version_id);
// s3:DeleteObjectVersion of version `version_id` of `key` in `b` by this
// caller: the policy's (a Deny of s3:DeleteObject refuses too), else the
// ACLs', which give it to the bucket's owner alone.
bool may_delete_version(const RequestContext& ctx, const Bucket& b, const std::string& key,
                        const std::string& version_id);

// ---- object lock (object_lock.cpp) ------------------------------------------

Reply get_object_lock_configuration(const RequestContext& ctx);
Reply put_object_lock_configuration(const RequestContext& ctx, RequestBody& body);
Reply get_object_retention(const RequestContext& ctx);
Reply put_object_retention(const RequestContext& ctx, RequestBody& body);
Reply get_object_legal_hold(const RequestContext& ctx);
Reply put_object_legal_hold(const RequestContext& ctx, RequestBody& body);
// The lock a write of ctx.key into `b` asks for (x-amz-object-lock-mode
// with -retain-until-date, -legal-hold; nullopt: none): 400 InvalidArgument
// for a mode without a date or the reverse, an unknown mode or hold, a date
// not ISO 8601 or not in the future; 400 InvalidRequest in a bucket without
// object lock; 403 for a caller without s3:PutObjectRetention (or
// s3:PutObjectLegalHold). `with_body` (PutObject): such a write, or any into
// a bucket with a default retention, needs Content-MD5 or an
// x-amz-checksum-* (400 InvalidRequest), as S3 asks.
Outcome<std::optional<ObjectLock>> requested_lock(const RequestContext& ctx, const Bucket& b, bool with_body);
// UploadPart's digest, needed as requested_lock's for a part of an upload
// with a lock or into a bucket with a default retention.
std::optional<S3Error> missing_part_digest(const RequestContext& ctx, const Bucket& b, const Upload& upload);
// x-amz-object-lock-mode, -retain-until-date and -legal-hold of a GET or
// HEAD answer, each to a caller who may read it (s3:GetObjectRetention,
// s3:GetObjectLegalHold), as S3 shows them.
void add_lock_headers(HeaderList& h, const RequestContext& ctx, const Bucket& b, const ObjectInfo& info);
// Whether a removal or retention change of `key` in `b` may bypass a
// GOVERNANCE retention: x-amz-bypass-governance-retention: true from a
// caller the policy allows s3:BypassGovernanceRetention, or, without a
// statement about it, from the bucket's owner. `version_id` is the version
// the removal or change names ("": none), the policy's s3:versionid.
bool bypass_governance(const RequestContext& ctx, const Bucket& b, const std::string& key,
                       const std::string& version_id);

// ---- browser uploads (post_object.cpp) ---------------------------------------

// POST Object: the form the pipeline read (ctx.post_form), its policy
// checked, its file stored.
Reply post_object(const RequestContext& ctx);

// Metadata of a new object from the request's headers (its ACL included:
// another user than the bucket's owner owns what it writes; its tags from
// x-amz-tagging).
Outcome<ObjectMeta> meta_from_headers(const RequestContext& ctx, const Bucket& bucket);
// A conditional write (PutObject, CopyObject, CompleteMultipartUpload):
// If-None-Match: * (create only) or If-Match: <etag> (replace only that
// version), filled into `conditions`. Checked now, so that a refused upload
// is not read first, and again by the engine in the commit, so that of
// concurrent writers only one passes.
std::optional<S3Error> write_conditions(const RequestContext& ctx, const Bucket& bucket, WriteConditions& conditions);
// 304/412 for a failed precondition of a read, else nullopt.
std::optional<S3Error> read_preconditions(const RequestContext& ctx, const ObjectInfo& info);

// ---- copies (copy.cpp) -------------------------------------------------------

Reply copy_object(const RequestContext& ctx);

// A copy's source: x-amz-copy-source's bucket, key and version id ("": the
// current), and the object, readable by the caller and meeting the
// x-amz-copy-source-if-* conditions, with the id its answer shows
// (x-amz-copy-source-version-id; "" none).
struct CopySource {
    std::string bucket, key, version_id;
    std::string shown_version_id;
    ObjectInfo info;
    // The version the engine is to copy: the one checked and shown, not
    // whatever is current at the commit ("" in a bucket never versioned,
    // whose key holds one object).
    const std::string& version_to_copy() const { return version_id.empty() ? shown_version_id : version_id; }
};
Outcome<CopySource> copy_source(const RequestContext& ctx);

// ---- multipart uploads (multipart.cpp) ---------------------------------------

Reply create_upload(const RequestContext& ctx);
Reply upload_part(const RequestContext& ctx, RequestBody& body);
Reply upload_part_copy(const RequestContext& ctx);
Reply complete_upload(const RequestContext& ctx, RequestBody& body);
Reply abort_upload(const RequestContext& ctx);
Reply list_parts(const RequestContext& ctx);

// Who started an upload (its Initiator and Owner): the writer recorded in
// its ACL (meta_from_headers) when another user than the bucket's owner.
std::string upload_initiator(const Upload& upload);

}  // namespace ostor::gw::s3
