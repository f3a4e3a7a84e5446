// Who may do what: the caller against a bucket's and an object's owner and
// ACL (acl.hpp), and the checks a write passes before it is read.
#include "s3/context.hpp"
#include "space_reserve.hpp"

namespace ostor::gw::s3 {

bool RequestContext::is_owner(const Bucket& b) const {
    return !principal.anonymous && principal.user_id == b.owner_id &&
           (principal.account.empty() || principal.account == b.account);
}

S3Error RequestContext::object_error(const Error& e, const Bucket& b) const {
    // A version that is not there says as much as a key that is not.
    if (e.code() != Errc::NoSuchKey && e.code() != Errc::NoSuchVersion) return e;
    // Whether the caller may list the bucket: s3:ListBucket by its policy.
    auto listing = policy_decision(b, "s3:ListBucket", nullptr);
    if (listing == PolicyDecision::Allow) return e;
    if (listing == PolicyDecision::Deny || !acl_bucket_allows(b, Permission::Read)) return access_denied();
    return e;
}

// The policy's Allow was for the request's own bucket (read_bucket); a
// copy's source in another bucket is decided by that bucket's policy.
bool RequestContext::bucket_allows(const Bucket& b, Permission p) const {
    if (policy == PolicyDecision::Allow && b.name == bucket) return true;
    return acl_bucket_allows(b, p);
}

bool RequestContext::object_allows(const Bucket& b, const ObjectInfo& o, Permission p) const {
    // `policy` is the request's own bucket's decision (read_bucket).
    return object_allows(b, o, p, b.name == bucket ? policy : PolicyDecision::NoMatch);
}

bool RequestContext::object_allows(const Bucket& b, const ObjectInfo& o, Permission p, PolicyDecision by_policy) const {
    // A bucket policy speaks for the objects the bucket's owner owns only
    // (S3 with ACLs on): another writer's object keeps its own ACL.
    if (by_policy == PolicyDecision::Allow && object_owner(b, o) == b.owner_id) return true;
    return acl_object_allows(b, o, p);
}

namespace {

// The grants of an ACL that count: without those to AllUsers and
// AuthenticatedUsers when the public access block ignores public ACLs.
std::vector<Grant> counted_grants(const RequestContext::BucketSettings& s, std::string_view stored) {
    auto grants = decode_acl(stored);
    if (s.block.ignore_public_acls) return without_public_grants(std::move(grants));
    return grants;
}

}  // namespace

// With ACLs off (BucketOwnerEnforced) the bucket's owner has every right
// and the ACLs grant nobody else anything: only the policy can.
bool RequestContext::acl_bucket_allows(const Bucket& b, Permission p) const {
    auto s = settings(b);
    bool acls_off = s.ownership == ObjectOwnership::BucketOwnerEnforced;
    if (is_owner(b)) return acls_off || acl_owner_allows(b.acl, b.owner_id, p);
    if (acls_off) return false;
    return acl_allows(counted_grants(s, b.acl), who(), p);
}

bool RequestContext::acl_object_allows(const Bucket& b, const ObjectInfo& o, Permission p) const {
    auto s = settings(b);
    if (s.ownership == ObjectOwnership::BucketOwnerEnforced) return is_owner(b);
    auto writer = acl_object_owner(o.meta.acl);
    bool owns = writer.empty() ? is_owner(b) : !principal.anonymous && writer == principal.user_id;
    if (owns) return acl_owner_allows(o.meta.acl, principal.user_id, p);
    // The bucket's owner too has only what the ACL gives it (as S3 and
    // Ceph RGW): it deletes, overwrites and lists through the bucket's.
    return acl_allows(counted_grants(s, o.meta.acl), who(), p);
}

std::string RequestContext::object_owner(const Bucket& b, const ObjectInfo& o) const {
    // With ACLs off every object is the bucket owner's, whoever wrote it
    // (and its writer's again if they are turned back on, as in S3).
    if (settings(b).ownership == ObjectOwnership::BucketOwnerEnforced) return b.owner_id;
    auto writer = acl_object_owner(o.meta.acl);
    return writer.empty() ? b.owner_id : writer;
}

std::optional<S3Error> RequestContext::check_expected_owner(const Bucket& b, std::string_view header) const {
    const auto* expected = request.header(header);
    if (!expected || trim(*expected) == b.owner_id) return std::nullopt;
    return access_denied();
}

std::optional<S3Error> RequestContext::check_space_for(std::uint64_t bytes) const {
    if (space_for_write(engine.directory(), bytes)) return std::nullopt;
    return S3Error(Error(Errc::NoSpace, "The storage is (nearly) full: delete objects to free space."));
}

std::optional<S3Error> RequestContext::check_new_key() const {
    if (xml_can_carry(key)) return std::nullopt;
    return invalid_argument(
        "Object key contains characters not allowed: it must be valid UTF-8 without control characters other than "
        "TAB, LF and CR.");
}

}  // namespace ostor::gw::s3
