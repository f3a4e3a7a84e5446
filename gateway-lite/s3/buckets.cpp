// Buckets: create, look at, delete, and the configurations they answer.
#include <set>
#include <tuple>

#include "s3/handlers.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

namespace {

// The region that S3 reports as an empty LocationConstraint, and where
// CreateBucket of a bucket one owns answers 200.
constexpr std::string_view kDefaultRegion = "us-east-1";

constexpr std::string_view kOwnershipKind = "ownership";

// CreateBucket's x-amz-object-ownership (nullopt: none given): 400
// InvalidArgument for an unknown value, and ACLs off (BucketOwnerEnforced)
// with an ACL granting anyone but the creator, or a canned ACL other than
// private and bucket-owner-full-control, is 400
// InvalidBucketAclWithObjectOwnership, as S3 answers.
std::variant<std::optional<ObjectOwnership>, S3Error> requested_ownership(const RequestContext& ctx,
                                                                          const std::string& stored_acl) {
    const auto* header = ctx.request.header("x-amz-object-ownership");
    if (!header) return std::optional<ObjectOwnership>();
    auto ownership = parse_object_ownership(trim(*header));
    if (!ownership) return invalid_argument("Invalid x-amz-object-ownership header: " + std::string(trim(*header)));
    if (*ownership == ObjectOwnership::BucketOwnerEnforced) {
        const auto* canned = ctx.request.header("x-amz-acl");
        auto name = canned ? trim(*canned) : std::string_view("private");
        if ((name != "private" && name != "bucket-owner-full-control") ||
            !acl_owner_only(stored_acl, ctx.principal.user_id))
            return invalid_bucket_acl_with_object_ownership();
    }
    return ownership;
}

}  // namespace

Reply get_bucket_config(const RequestContext& ctx, std::string_view name) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    if (auto missing = no_such_bucket_config(name)) return *missing;
    // Empty documents for configurations that always exist.
    if (name == "notification") return xml_answer(XmlWriter("NotificationConfiguration").finish());
    if (name == "logging") return xml_answer(XmlWriter("BucketLoggingStatus").finish());
    if (name == "accelerate") return xml_answer(XmlWriter("AccelerateConfiguration").finish());
    return xml_answer(XmlWriter("RequestPaymentConfiguration").el("Payer", "BucketOwner").finish());
}

Reply stored_bucket_config(const Bucket& b, std::string_view kind) {
    auto it = b.configs.find(std::string(kind));
    if (it == b.configs.end()) return *no_such_bucket_config(kind);
    return xml_answer(it->second);
}

Reply store_bucket_config(const RequestContext& ctx, std::string_view kind, std::optional<std::string> document,
                          int status) {
    auto r = ctx.engine.set_bucket_config(ctx.bucket, kind, std::move(document));
    if (!r) return r.error();
    return empty_answer(status);
}

Reply create_bucket(const RequestContext& ctx, RequestBody& body) {
    if (ctx.principal.anonymous) return access_denied();
    pugi::xml_document doc;
    auto config = body.xml(doc, "CreateBucketConfiguration", /*allow_empty=*/true);
    if (!config) return config.error();
    auto acl = acl_from_headers(ctx.engine, ctx.request, {{}, ctx.principal.user_id});
    if (auto* e = std::get_if<S3Error>(&acl)) return *e;
    std::string stored_acl;
    if (auto& stored = std::get<std::optional<std::string>>(acl)) stored_acl = *stored;
    auto ownership = requested_ownership(ctx, stored_acl);
    if (auto* e = std::get_if<S3Error>(&ownership)) return *e;
    const auto& wanted_ownership = std::get<std::optional<ObjectOwnership>>(ownership);
    // The controls go in with the bucket (one write): it never exists,
    // even after a crash, with ACLs on when they were asked off.
    BucketCreateOptions options;
    options.acl = stored_acl;
    // Object lock asked at creation: the bucket is versioned with it.
    const auto* lock = ctx.request.header("x-amz-bucket-object-lock-enabled");
    options.object_lock = lock && iequals(trim(*lock), "true");
    if (wanted_ownership) options.configs.emplace(kOwnershipKind, ownership_controls_xml(*wanted_ownership));
    auto b = ctx.engine.create_bucket(ctx.bucket, ctx.principal.user_id, ctx.principal.account, options);
    if (!b && b.error().code() == Errc::BucketAlreadyOwnedByYou && ctx.options.region == kDefaultRegion &&
        trim(config->child_value("LocationConstraint")).empty()) {
        // In us-east-1 AWS answers 200 to its owner and changes nothing
        // (`aws s3 mb` relies on it); one asking for another ACL than
        // the bucket's is refused, as Ceph RGW does.
        // (Only the owner the request is made as: another of the
        // user's accounts is told as before.)
        // Read fresh: a cached record may predate the last PutBucketAcl.
        auto existing = ctx.engine.get_bucket(ctx.bucket);
        if (!existing) return existing.error();
        if (!ctx.is_owner(*existing)) return b.error();
        // Grants compared, not stored text: an ACL read and put back
        // stores the owner's FULL_CONTROL, which every bucket has anyway.
        auto effective = [&](const std::string& stored) {
            std::set<std::tuple<int, std::string, int>> set;
            if (acl_grants_owner(stored))
                set.emplace(static_cast<int>(Grant::Kind::User), existing->owner_id,
                            static_cast<int>(Permission::FullControl));
            for (const auto& g : decode_acl(stored))
                set.emplace(static_cast<int>(g.kind), g.kind == Grant::Kind::User ? g.user_id : std::string(),
                            static_cast<int>(g.permission));
            return set;
        };
        if (effective(existing->acl) != effective(stored_acl)) return bucket_already_exists();
        // Another object ownership than the bucket's is refused as another
        // ACL is: a retry must not pass for a bucket made as asked.
        if (wanted_ownership && *wanted_ownership != RequestContext::object_ownership(*existing))
            return bucket_already_exists();
        // Object lock asked of one's bucket made without it is no quiet
        // 200 either, but told as AWS tells its owner: the bucket is theirs.
        if (options.object_lock && !existing->object_lock.enabled) return b.error();
        return empty_answer(200, {{"Location", "/" + ctx.bucket}});
    }
    if (!b) return b.error();
    return empty_answer(200, {{"Location", "/" + ctx.bucket}});
}

Reply head_bucket(const RequestContext& ctx) {
    return empty_answer(200, {{"x-amz-bucket-region", ctx.options.region}});
}

Reply delete_bucket(const RequestContext& ctx) {
    // The provider's system users may delete any bucket: the vendor
    // guide removes a user that way (its buckets first, by name).
    if (!ctx.is_owner(*ctx.bucket_record) && !ctx.principal.system) return access_denied();
    auto r = ctx.engine.delete_bucket(ctx.bucket);
    if (!r) return r.error();
    return empty_answer(204);
}

Reply get_bucket_location(const RequestContext& ctx) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    std::string region = ctx.options.region == kDefaultRegion ? "" : ctx.options.region;
    return xml_answer(XmlWriter("LocationConstraint").text(region).finish());
}

}  // namespace ostor::gw::s3
