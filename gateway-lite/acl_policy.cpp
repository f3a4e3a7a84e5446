#include "acl_policy.hpp"

#include <tuple>

#include "util.hpp"
#include "xml_input.hpp"

namespace ostor::gw {

std::string_view permission_name(Permission p) {
    switch (p) {
        case Permission::Read:
            return "READ";
        case Permission::Write:
            return "WRITE";
        case Permission::ReadAcp:
            return "READ_ACP";
        case Permission::WriteAcp:
            return "WRITE_ACP";
        case Permission::FullControl:
            return "FULL_CONTROL";
    }
    return "READ";
}

std::optional<Permission> parse_permission(std::string_view name) {
    if (name == "READ") return Permission::Read;
    if (name == "WRITE") return Permission::Write;
    if (name == "READ_ACP") return Permission::ReadAcp;
    if (name == "WRITE_ACP") return Permission::WriteAcp;
    if (name == "FULL_CONTROL") return Permission::FullControl;
    return std::nullopt;
}

namespace {

// nullopt when malformed.
std::optional<PolicyGrant> parse_grant(const pugi::xml_node& node) {
    auto grantee = node.child("Grantee");
    auto perm = parse_permission(trim(node.child_value("Permission")));
    if (!grantee || !perm) return std::nullopt;
    // The type names the one field that is read (RGW reads no other).
    static constexpr std::tuple<std::string_view, PolicyGrant::Field, const char*> kTypes[] = {
        {"CanonicalUser", PolicyGrant::Field::Id, "ID"},
        {"AmazonCustomerByEmail", PolicyGrant::Field::EmailAddress, "EmailAddress"},
        {"Group", PolicyGrant::Field::Uri, "URI"}};
    std::string_view type = grantee.attribute("xsi:type").value();
    for (const auto& [name, field, element] : kTypes) {
        if (type != name) continue;
        auto child = grantee.child(element);
        if (!child || trim(child.child_value()).empty()) return std::nullopt;
        return PolicyGrant{field, std::string(trim(child.child_value())), *perm};
    }
    return std::nullopt;
}

}  // namespace

std::variant<AccessControlPolicy, S3Error> parse_access_control_policy(std::string_view xml) {
    pugi::xml_document doc;
    if (!load_xml(doc, xml)) return malformed_xml();
    auto root = doc.child("AccessControlPolicy");
    if (!root) return malformed_acl();
    // Both are required: a policy without them would otherwise be stored as
    // one granting nothing, locking the owner out.
    auto list = root.child("AccessControlList");
    auto owner = root.child("Owner");
    if (!list || !owner || !owner.child("ID")) return malformed_acl();
    AccessControlPolicy policy;
    for (auto node : list.children("Grant")) {
        auto grant = parse_grant(node);
        if (!grant) return malformed_acl();
        policy.grants.push_back(std::move(*grant));
    }
    policy.owner_id = trim(owner.child_value("ID"));
    return policy;
}

}  // namespace ostor::gw
