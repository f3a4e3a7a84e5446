#include "bucket_access_controls.hpp"

#include <array>

#include "s3/xml_writer.hpp"
#include "util.hpp"
#include "xml_input.hpp"

namespace ostor::gw {

namespace {

struct OwnershipName {
    ObjectOwnership value;
    std::string_view name;
};
constexpr OwnershipName kOwnershipNames[] = {
    {ObjectOwnership::ObjectWriter, "ObjectWriter"},
    {ObjectOwnership::BucketOwnerPreferred, "BucketOwnerPreferred"},
    {ObjectOwnership::BucketOwnerEnforced, "BucketOwnerEnforced"},
};

// The elements of a PublicAccessBlockConfiguration, with the setting each
// one holds.
struct BlockElement {
    std::string_view name;
    bool PublicAccessBlock::*setting;
};
constexpr std::array<BlockElement, 4> kBlockElements = {{
    {"BlockPublicAcls", &PublicAccessBlock::block_public_acls},
    {"IgnorePublicAcls", &PublicAccessBlock::ignore_public_acls},
    {"BlockPublicPolicy", &PublicAccessBlock::block_public_policy},
    {"RestrictPublicBuckets", &PublicAccessBlock::restrict_public_buckets},
}};

// The element children of `node` (comments and text between them skipped).
template <class F>
bool each_element(const pugi::xml_node& node, F&& f) {
    for (auto child : node.children())
        if (child.type() == pugi::node_element && !f(child)) return false;
    return true;
}

}  // namespace

std::optional<ObjectOwnership> parse_object_ownership(std::string_view name) {
    for (const auto& n : kOwnershipNames)
        if (n.name == name) return n.value;
    return std::nullopt;
}

std::string_view object_ownership_name(ObjectOwnership ownership) {
    for (const auto& n : kOwnershipNames)
        if (n.value == ownership) return n.name;
    return "ObjectWriter";
}

std::variant<ObjectOwnership, S3Error> parse_ownership_controls(std::string_view xml) {
    pugi::xml_document doc;
    if (!load_xml(doc, xml)) return malformed_xml();
    auto root = doc.document_element();
    if (std::string_view(root.name()) != "OwnershipControls") return malformed_xml();
    std::optional<ObjectOwnership> found;
    int rules = 0;
    bool ok = each_element(root, [&](const pugi::xml_node& rule) {
        if (std::string_view(rule.name()) != "Rule" || ++rules > 1) return false;
        return each_element(rule, [&](const pugi::xml_node& field) {
            if (std::string_view(field.name()) != "ObjectOwnership" || found) return false;
            found = parse_object_ownership(trim(field.child_value()));
            return found.has_value();
        });
    });
    if (!ok || !found) return malformed_xml();
    return *found;
}

std::string ownership_controls_xml(ObjectOwnership ownership) {
    s3::XmlWriter x("OwnershipControls");
    x.open("Rule").el("ObjectOwnership", object_ownership_name(ownership)).close("Rule");
    return x.finish();
}

std::variant<PublicAccessBlock, S3Error> parse_public_access_block(std::string_view xml) {
    pugi::xml_document doc;
    if (!load_xml(doc, xml)) return malformed_xml();
    auto root = doc.document_element();
    if (std::string_view(root.name()) != "PublicAccessBlockConfiguration") return malformed_xml();
    PublicAccessBlock block;
    std::array<bool, kBlockElements.size()> seen{};
    bool ok = each_element(root, [&](const pugi::xml_node& field) {
        for (std::size_t i = 0; i < kBlockElements.size(); ++i) {
            if (std::string_view(field.name()) != kBlockElements[i].name) continue;
            if (seen[i]) return false;
            seen[i] = true;
            auto value = trim(field.child_value());
            if (!iequals(value, "true") && !iequals(value, "false")) return false;
            block.*kBlockElements[i].setting = iequals(value, "true");
            return true;
        }
        return false;
    });
    if (!ok) return malformed_xml();
    return block;
}

std::string public_access_block_xml(const PublicAccessBlock& block) {
    s3::XmlWriter x("PublicAccessBlockConfiguration");
    for (const auto& e : kBlockElements) x.el(e.name, block.*e.setting ? "true" : "false");
    return x.finish();
}

}  // namespace ostor::gw
