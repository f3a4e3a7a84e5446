#include "s3/exchange.hpp"

namespace ostor::gw::s3 {

bool Exchange::is_owner(const Bucket& b) const {
    return !principal_.anonymous && principal_.user_id == b.owner_id &&
           (principal_.account.empty() || principal_.account == b.account);
}

// Without permission to list the bucket, a missing key must not be told
// from a forbidden one (S3 answers 403 then).
S3Error Exchange::object_error(const Error& e, const Bucket& b) const {
    if (e.code() == Errc::NoSuchKey && !bucket_allows(b, Permission::Read)) return access_denied();
    return e;
}

bool Exchange::bucket_allows(const Bucket& b, Permission p) const {
    if (is_owner(b)) return acl_owner_allows(b.acl, b.owner_id, p);
    return acl_allows(decode_acl(b.acl), who(), p);
}

bool Exchange::object_allows(const Bucket& b, const ObjectInfo& o, Permission p) const {
    auto writer = acl_object_owner(o.meta.acl);
    bool owns = writer.empty() ? is_owner(b) : !principal_.anonymous && writer == principal_.user_id;
    if (owns) return acl_owner_allows(o.meta.acl, principal_.user_id, p);
    // The bucket's owner reads (and manages) what others write into its bucket.
    return is_owner(b) || acl_allows(decode_acl(o.meta.acl), who(), p);
}

// Who owns an object: its writer when another user than the bucket's owner.
std::string Exchange::object_owner(const Bucket& b, const ObjectInfo& o) {
    auto writer = acl_object_owner(o.meta.acl);
    return writer.empty() ? b.owner_id : writer;
}

std::string Exchange::display_name(const std::string& user_id) {
    if (auto it = names_.find(user_id); it != names_.end()) return it->second;
    auto user = engine_.get_user(user_id);
    std::string name = user ? user->email : user_id;
    names_.emplace(user_id, name);
    return name;
}

// "<ID>..</ID><DisplayName>..</DisplayName>" of an owner or initiator.
std::string Exchange::owner_fields(const std::string& user_id) {
    return "<ID>" + xml_escape(user_id) + "</ID><DisplayName>" + xml_escape(display_name(user_id)) + "</DisplayName>";
}

std::optional<Bucket> Exchange::load_bucket(std::optional<Permission> needed, Freshness freshness) {
    auto s = validate_bucket_name(bucket_);
    if (!s) {
        error(s.error());
        return std::nullopt;
    }
    auto b = freshness == Freshness::Fresh ? engine_.get_bucket(bucket_) : engine_.get_bucket_record(bucket_);
    if (!b) {
        error(b.error());
        return std::nullopt;
    }
    bucket_epoch_ = b->epoch;
    bucket_owner_ = b->owner_id;
    if (!expected_owner(*b, "x-amz-expected-bucket-owner")) return std::nullopt;
    if (needed && !bucket_allows(*b, *needed)) {
        error(access_denied());
        return std::nullopt;
    }
    return std::move(*b);
}

// x-amz-expected-bucket-owner (or, for a copy's source, x-amz-source-
// expected-bucket-owner): a request meant for another owner's bucket is
// refused, whoever may otherwise access it. False once answered.
bool Exchange::expected_owner(const Bucket& b, std::string_view header) {
    const auto* expected = req_.header(header);
    if (!expected || trim(*expected) == b.owner_id) return true;
    error(access_denied());
    return false;
}

bool Exchange::require_signed() {
    if (principal_.anonymous) {
        error(access_denied());
        return false;
    }
    return true;
}

}  // namespace ostor::gw::s3
