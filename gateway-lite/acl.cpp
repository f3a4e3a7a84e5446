#include "acl.hpp"

#include <algorithm>

#include "s3/xml_writer.hpp"
#include "util.hpp"

namespace ostor::gw {

namespace {

constexpr std::string_view kAllUsersUri = "http://acs.amazonaws.com/groups/global/AllUsers";
constexpr std::string_view kAuthenticatedUsersUri = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
// The namespace of a <Grantee>'s xsi:type attribute.
constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

std::optional<Grant::Kind> group_from_uri(std::string_view uri) {
    if (uri == kAllUsersUri) return Grant::Kind::AllUsers;
    if (uri == kAuthenticatedUsersUri) return Grant::Kind::AuthenticatedUsers;
    return std::nullopt;
}

std::variant<std::string, S3Error> user_by_email(Engine& engine, std::string_view email) {
    auto user = engine.get_user_by_email(email);
    if (!user) {
        if (user.error().code() == Errc::NoSuchUser || user.error().code() == Errc::InvalidEmail)
            return unresolvable_grant_by_email();
        return S3Error(user.error());
    }
    return user->id;
}

S3Error verify_user_id(Engine& engine, const std::string& id, bool& ok) {
    auto user = engine.get_user(id);
    ok = user.has_value();
    if (!ok) return invalid_grantee("no user has the id " + id);
    return {};
}

}  // namespace

std::vector<Grant> decode_acl(std::string_view stored) {
    std::vector<Grant> grants;
    while (!stored.empty()) {
        auto nl = stored.find('\n');
        auto line = stored.substr(0, nl);
        stored = nl == std::string_view::npos ? std::string_view{} : stored.substr(nl + 1);
        auto space = line.find(' ');
        if (space == std::string_view::npos) continue;
        auto grantee = line.substr(0, space);
        auto perm = parse_permission(line.substr(space + 1));
        if (!perm) continue;
        Grant g;
        g.permission = *perm;
        if (grantee == "group:AllUsers") {
            g.kind = Grant::Kind::AllUsers;
        } else if (grantee == "group:AuthenticatedUsers") {
            g.kind = Grant::Kind::AuthenticatedUsers;
        } else if (grantee.starts_with("id:")) {
            g.user_id = grantee.substr(3);
        } else {
            continue;
        }
        grants.push_back(std::move(g));
    }
    return grants;
}

namespace {
constexpr std::string_view kOwnerPrefix = "owner:";
constexpr std::string_view kOwnerSuffix = " OWNER";
// Has no space: decode_acl (and a gateway from before it) skips it.
constexpr std::string_view kListedOnlyLine = "listed-only";
}  // namespace

bool acl_grants_owner(std::string_view stored) {
    while (!stored.empty()) {
        auto nl = stored.find('\n');
        if (stored.substr(0, nl) == kListedOnlyLine) return false;
        if (nl == std::string_view::npos) break;
        stored.remove_prefix(nl + 1);
    }
    return true;
}

bool acl_is_public(std::string_view stored) {
    for (const auto& g : decode_acl(stored))
        if (g.kind != Grant::Kind::User) return true;
    return false;
}

std::vector<Grant> without_public_grants(std::vector<Grant> grants) {
    std::erase_if(grants, [](const Grant& g) { return g.kind != Grant::Kind::User; });
    return grants;
}

bool acl_owner_only(std::string_view stored, std::string_view owner_id) {
    if (!acl_grants_owner(stored)) return false;
    for (const auto& g : decode_acl(stored))
        if (g.kind != Grant::Kind::User || g.user_id != owner_id) return false;
    return true;
}

std::string acl_object_owner(std::string_view stored) {
    while (!stored.empty()) {
        auto nl = stored.find('\n');
        auto line = stored.substr(0, nl);
        if (line.starts_with(kOwnerPrefix) && line.ends_with(kOwnerSuffix))
            return std::string(
                line.substr(kOwnerPrefix.size(), line.size() - kOwnerPrefix.size() - kOwnerSuffix.size()));
        if (nl == std::string_view::npos) break;
        stored.remove_prefix(nl + 1);
    }
    return {};
}

std::string acl_with_object_owner(std::string_view stored, std::string_view owner_id) {
    std::string out;
    if (!owner_id.empty()) out = std::string(kOwnerPrefix) + std::string(owner_id) + std::string(kOwnerSuffix) + "\n";
    while (!stored.empty()) {
        auto nl = stored.find('\n');
        auto line = stored.substr(0, nl);
        if (!(line.starts_with(kOwnerPrefix) && line.ends_with(kOwnerSuffix)) && !line.empty()) {
            out += line;
            out += '\n';
        }
        if (nl == std::string_view::npos) break;
        stored.remove_prefix(nl + 1);
    }
    return out;
}

std::string encode_acl(const std::vector<Grant>& grants, OwnerGrant owner) {
    std::string out;
    if (owner == OwnerGrant::ListedOnly) out = std::string(kListedOnlyLine) + "\n";
    for (const auto& g : grants) {
        switch (g.kind) {
            case Grant::Kind::AllUsers:
                out += "group:AllUsers";
                break;
            case Grant::Kind::AuthenticatedUsers:
                out += "group:AuthenticatedUsers";
                break;
            case Grant::Kind::User:
                out += "id:" + g.user_id;
                break;
        }
        out += ' ';
        out += permission_name(g.permission);
        out += '\n';
    }
    return out;
}

std::string encode_policy_acl(const std::vector<Grant>& grants, std::string_view owner_id) {
    bool owner_full = false;
    for (const auto& g : grants)
        owner_full |= g.kind == Grant::Kind::User && g.user_id == owner_id && g.permission == Permission::FullControl;
    return encode_acl(grants, owner_full ? OwnerGrant::Implicit : OwnerGrant::ListedOnly);
}

std::optional<std::vector<Grant>> canned_acl(std::string_view name, const CannedAclOwners& owners) {
    using K = Grant::Kind;
    if (name == "bucket-owner-read" || name == "bucket-owner-full-control") {
        if (owners.bucket_owner.empty() || owners.bucket_owner == owners.owner) return std::vector<Grant>{};
        return std::vector<Grant>{
            {K::User, owners.bucket_owner, name == "bucket-owner-read" ? Permission::Read : Permission::FullControl}};
    }
    if (name == "private" || name == "log-delivery-write" || name == "aws-exec-read") return std::vector<Grant>{};
    if (name == "public-read") return std::vector<Grant>{{K::AllUsers, {}, Permission::Read}};
    if (name == "public-read-write")
        return std::vector<Grant>{{K::AllUsers, {}, Permission::Read}, {K::AllUsers, {}, Permission::Write}};
    if (name == "authenticated-read") return std::vector<Grant>{{K::AuthenticatedUsers, {}, Permission::Read}};
    return std::nullopt;
}

std::variant<std::optional<std::string>, S3Error> acl_from_headers(Engine& engine, const HttpRequest& request,
                                                                   const CannedAclOwners& owners) {
    const auto* canned = request.header("x-amz-acl");
    std::vector<Grant> grants;
    bool any_grant = false;
    for (const auto& [header, permission] : kGrantHeaders) {
        const auto* value = request.header(header);
        if (!value) continue;
        any_grant = true;
        // id="...", uri="...", emailAddress="..." separated by commas.
        std::string_view rest = *value;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            auto item = trim(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            if (item.empty()) continue;
            auto eq = item.find('=');
            if (eq == std::string_view::npos) return invalid_grantee(std::string(item));
            auto type = trim(item.substr(0, eq));
            auto val = trim(item.substr(eq + 1));
            if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
            Grant g;
            g.permission = permission;
            if (iequals(type, "id")) {
                bool ok = false;
                auto e = verify_user_id(engine, std::string(val), ok);
                if (!ok) return e;
                g.user_id = val;
            } else if (iequals(type, "uri")) {
                auto kind = group_from_uri(val);
                if (!kind) return invalid_grantee(std::string(val));
                g.kind = *kind;
            } else if (iequals(type, "emailAddress")) {
                auto id = user_by_email(engine, val);
                if (auto* e = std::get_if<S3Error>(&id)) return *e;
                g.user_id = std::get<std::string>(id);
            } else {
                return invalid_grantee(std::string(item));
            }
            grants.push_back(std::move(g));
        }
    }
    if (canned && any_grant) return invalid_request("Specifying both Canned ACLs and Header Grants is not allowed");
    if (canned) {
        auto c = canned_acl(trim(*canned), owners);
        if (!c) return invalid_argument("Unknown canned ACL: " + *canned);
        return std::optional<std::string>(encode_acl(*c));
    }
    if (any_grant) return std::optional<std::string>(encode_policy_acl(grants, owners.owner));
    return std::optional<std::string>();
}

std::variant<std::string, S3Error> acl_from_xml(Engine& engine, std::string_view xml, std::string_view owner_id) {
    auto parsed = parse_access_control_policy(xml);
    if (auto* e = std::get_if<S3Error>(&parsed)) return *e;
    const auto& policy = std::get<AccessControlPolicy>(parsed);
    // A policy is set by its resource's owner, never handed to another.
    if (!policy.owner_id.empty() && policy.owner_id != owner_id) return access_denied();
    std::vector<Grant> grants;
    for (const auto& p : policy.grants) {
        Grant g;
        g.permission = p.permission;
        if (p.field == PolicyGrant::Field::Uri) {
            auto kind = group_from_uri(p.value);
            if (!kind) return invalid_grantee(p.value);
            g.kind = *kind;
        } else if (p.field == PolicyGrant::Field::EmailAddress) {
            auto id = user_by_email(engine, p.value);
            if (auto* e = std::get_if<S3Error>(&id)) return *e;
            g.user_id = std::get<std::string>(id);
        } else {
            bool ok = false;
            auto e = verify_user_id(engine, p.value, ok);
            if (!ok) return e;
            g.user_id = p.value;
        }
        grants.push_back(std::move(g));
    }
    return encode_policy_acl(grants, owner_id);
}

std::string acl_to_xml(const std::string& owner_id, const std::string& owner_name, std::string_view stored,
                       const std::function<std::string(const std::string&)>& user_name) {
    s3::XmlWriter x("AccessControlPolicy");
    x.person("Owner", owner_id, owner_name).open("AccessControlList");
    auto grant = [&x](std::string_view type, auto&& fields, Permission p) {
        x.open("Grant").open("Grantee", {{"xmlns:xsi", kXsiNamespace}, {"xsi:type", type}});
        fields();
        x.close("Grantee").el("Permission", permission_name(p)).close("Grant");
    };
    auto grants = decode_acl(stored);
    for (const auto& g : grants)
        if (g.kind != Grant::Kind::User)
            grant(
                "Group", [&] { x.el("URI", g.kind == Grant::Kind::AllUsers ? kAllUsersUri : kAuthenticatedUsersUri); },
                g.permission);
    bool implicit = acl_grants_owner(stored);
    std::vector<std::pair<const std::string*, Permission>> users;
    if (implicit) users.emplace_back(&owner_id, Permission::FullControl);
    for (const auto& g : grants) {
        if (g.kind != Grant::Kind::User) continue;
        bool owners_full_control = g.user_id == owner_id && g.permission == Permission::FullControl;
        if (owners_full_control && implicit) continue;
        users.emplace_back(&g.user_id, g.permission);
    }
    std::stable_sort(users.begin(), users.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
    for (const auto& [id, permission] : users)
        grant(
            "CanonicalUser",
            [&] {
                x.el("ID", *id);
                if (*id == owner_id)
                    x.el("DisplayName", owner_name);
                else if (user_name)
                    x.el("DisplayName", user_name(*id));
            },
            permission);
    return x.close("AccessControlList").finish();
}

bool acl_allows(const std::vector<Grant>& grants, const std::string* who, Permission needed) {
    for (const auto& g : grants) {
        bool matches = g.kind == Grant::Kind::AllUsers || (g.kind == Grant::Kind::AuthenticatedUsers && who) ||
                       (g.kind == Grant::Kind::User && who && *who == g.user_id);
        if (matches && (g.permission == needed || g.permission == Permission::FullControl)) return true;
    }
    return false;
}

bool acl_owner_allows(std::string_view stored, const std::string& owner_id, Permission needed) {
    if (acl_grants_owner(stored) || needed == Permission::ReadAcp || needed == Permission::WriteAcp) return true;
    return acl_allows(decode_acl(stored), &owner_id, needed);
}

}  // namespace ostor::gw
