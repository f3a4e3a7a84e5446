#include "s3/exchange.hpp"

#include <set>
#include <tuple>

#include "ostor/names.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

// A bucket configuration ostor does not offer (`name`, the route's
// query): none is set.
void Exchange::bucket_config_missing(std::string_view name) {
    static const std::map<std::string_view, std::pair<std::string_view, std::string_view>> kMissing = {
        {"policy", {"NoSuchBucketPolicy", "The bucket policy does not exist"}},
        {"cors", {"NoSuchCORSConfiguration", "The CORS configuration does not exist"}},
        {"lifecycle", {"NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"}},
        {"tagging", {"NoSuchTagSet", "The TagSet does not exist"}},
        {"website", {"NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"}},
        {"encryption",
         {"ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found"}},
        {"ownershipControls", {"OwnershipControlsNotFoundError", "The bucket ownership controls were not found"}},
        {"publicAccessBlock",
         {"NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"}},
        {"object-lock",
         {"ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"}},
        {"replication", {"ReplicationConfigurationNotFoundError", "The replication configuration was not found"}},
    };
    auto b = load_bucket(std::nullopt);
    if (!b) return;
    if (!is_owner(*b)) return error(access_denied());
    if (auto it = kMissing.find(name); it != kMissing.end())
        return error({404, std::string(it->second.first), std::string(it->second.second)});
    // Empty documents for configurations that always exist.
    if (name == "notification") return xml(XmlWriter("NotificationConfiguration").finish());
    if (name == "logging") return xml(XmlWriter("BucketLoggingStatus").finish());
    if (name == "accelerate") return xml(XmlWriter("AccelerateConfiguration").finish());
    return xml(XmlWriter("RequestPaymentConfiguration").el("Payer", std::string_view("BucketOwner")).finish());
}

void Exchange::create_bucket() {
    if (!require_signed()) return;
    pugi::xml_document doc;
    auto config = xml_body(doc, "CreateBucketConfiguration", /*allow_empty=*/true);
    if (!config) return;
    auto acl = acl_from_headers(engine_, req_);
    if (auto* e = std::get_if<S3Error>(&acl)) return error(*e);
    std::string stored_acl;
    if (auto& grants = std::get<std::optional<std::vector<Grant>>>(acl)) stored_acl = encode_acl(*grants);
    auto b = engine_.create_bucket(bucket_, principal_.user_id, principal_.account, stored_acl);
    if (!b && b.error().code() == Errc::BucketAlreadyOwnedByYou && options_.region == "us-east-1" &&
        trim(config->child_value("LocationConstraint")).empty()) {
        // In us-east-1 AWS answers 200 to its owner and changes nothing
        // (`aws s3 mb` relies on it); one asking for another ACL than
        // the bucket's is refused, as Ceph RGW does.
        // (Only the owner the request is made as: another of the
        // user's accounts is told as before.)
        // Read fresh: a cached record may predate the last PutBucketAcl.
        auto existing = engine_.get_bucket(bucket_);
        if (!existing) return error(existing.error());
        if (!is_owner(*existing)) return error(b.error());
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
        if (effective(existing->acl) != effective(stored_acl))
            return error({409, "BucketAlreadyExists",
                          "The requested bucket name is not available. The bucket namespace is shared by all users "
                          "of the system. Please select a different name and try again."});
        return send(200, {{"Location", "/" + bucket_}}, {});
    }
    if (!b) return error(b.error());
    send(200, {{"Location", "/" + bucket_}}, {});
}

void Exchange::head_bucket() {
    auto b = load_bucket(Permission::Read);
    if (!b) return;
    send(200, {{"x-amz-bucket-region", options_.region}}, {});
}

void Exchange::delete_bucket() {
    auto b = load_bucket(std::nullopt, Freshness::Fresh);
    if (!b) return;
    // The provider's system users may delete any bucket: the vendor
    // guide removes a user that way (its buckets first, by name).
    if (!is_owner(*b) && !principal_.system) return error(access_denied());
    auto r = engine_.delete_bucket(bucket_);
    if (!r) return error(r.error());
    send(204, {}, {});
}

void Exchange::get_bucket_location() {
    auto b = load_bucket(std::nullopt);
    if (!b) return;
    if (!is_owner(*b)) return error(access_denied());
    std::string region = options_.region == "us-east-1" ? "" : options_.region;
    xml(std::string(kXmlHeader) + "<LocationConstraint xmlns=\"" + std::string(kXmlns) + "\">" + xml_escape(region) +
        "</LocationConstraint>");
}

void Exchange::get_bucket_versioning() {
    auto b = load_bucket(std::nullopt);
    if (!b) return;
    if (!is_owner(*b)) return error(access_denied());
    // Versioning is not offered: every bucket is (and stays) unversioned.
    xml(std::string(kXmlHeader) + "<VersioningConfiguration xmlns=\"" + std::string(kXmlns) + "\"/>");
}

void Exchange::put_bucket_versioning() {
    auto b = load_bucket(std::nullopt);
    if (!b) return;
    if (!is_owner(*b)) return error(access_denied());
    pugi::xml_document doc;
    auto root = xml_body(doc, "VersioningConfiguration");
    if (!root) return;
    std::string status = root->child_value("Status");
    if (status == "Enabled") return error({501, "NotImplemented", "Bucket versioning is not offered by this service."});
    if (!status.empty() && status != "Suspended") return error(malformed_xml());
    send(200, {}, {});
}

}  // namespace ostor::gw::s3
