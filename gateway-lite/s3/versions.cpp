// Versions (docs/versioning.md): a bucket's versioning state, the version
// headers of answers, the errors of reads that meet a delete marker, and
// deletes (one or many), which add markers or remove versions.
#include <algorithm>

#include "s3/handlers.hpp"
#include "s3/xml_bodies.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::string_view kVersionHeader = "x-amz-version-id";
constexpr std::string_view kNullVersion = "null";
constexpr std::string_view kMarkerHeader = "x-amz-delete-marker";

// The answer to a delete: the marker added or the version removed (AWS
// names a marker's removal as a marker too).
HeaderList delete_headers(const DeleteResult& r) {
    HeaderList h;
    if (r.delete_marker) h.emplace_back(kMarkerHeader, "true");
    if (!r.version_id.empty()) h.emplace_back(kVersionHeader, r.version_id);
    return h;
}

// What the engine takes for a version id: "null" or 24 lowercase hex
// digits (libengine/src/versions/version_ids.hpp, which the gateway does
// not see).
bool is_version_id(std::string_view s) {
    constexpr std::size_t kInstanceChars = 24;
    auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    return s == kNullVersion || (s.size() == kInstanceChars && std::ranges::all_of(s, hex));
}

// DELETE of one key (or one version of it). A well-formed id that names
// nothing is answered as removed (AWS: 204 with the id), and so is, in an
// unversioned bucket, a key holding nothing; a malformed one is refused
// (AWS: 400 InvalidArgument for DeleteObject; NoSuchVersion for an entry of
// DeleteObjects).
Outcome<DeleteResult> delete_one(const RequestContext& ctx, const std::string& key, const std::string& version_id,
                                 const S3Error& malformed_id) {
    if (!version_id.empty() && !is_version_id(version_id)) return malformed_id;
    DeleteOptions options;
    options.version_id = version_id;
    options.bypass_governance = !version_id.empty() && bypass_governance(ctx, *ctx.bucket_record, key, version_id);
    auto r = ctx.engine.delete_object(ctx.bucket, key, options);
    if (r) return std::move(*r);
    if (r.error().code() == Errc::NoSuchVersion) return DeleteResult{version_id, false};
    if (r.error().code() == Errc::NoSuchKey && version_id.empty()) return DeleteResult{};
    return r.error();
}

}  // namespace

std::string requested_version(const RequestContext& ctx) {
    const auto* v = ctx.param("versionId");
    return v ? *v : std::string();
}

std::string shown_version_id(const Bucket& b, const ObjectInfo& info) {
    if (!info.version_id.empty()) return info.version_id;
    // An object of before versioning is the null version of its key.
    return b.versioning == VersioningState::Off ? std::string() : std::string(kNullVersion);
}

void add_version_header(HeaderList& h, const Bucket& b, const ObjectInfo& info) {
    if (auto id = shown_version_id(b, info); !id.empty()) h.emplace_back(kVersionHeader, std::move(id));
}

void add_written_version_header(HeaderList& h, const ObjectInfo& written) {
    if (!written.version_id.empty() && written.version_id != kNullVersion)
        h.emplace_back(kVersionHeader, written.version_id);
}

S3Error read_error(const RequestContext& ctx, const Error& e, const Bucket& b, std::string_view version_id) {
    S3Error answer = ctx.object_error(e, b);
    if (e.code() == Errc::MethodNotAllowed) {
        // Only a caller who may tell a missing key from a forbidden one
        // learns that a marker is there.
        S3Error hidden = ctx.object_error(Error(Errc::NoSuchKey, "no such key"), b);
        if (hidden.status == 403) return hidden;
        answer = method_not_allowed();
        answer.headers.emplace_back(kMarkerHeader, "true");
        if (auto marker = ctx.engine.stat_version(ctx.bucket, ctx.key, version_id)) {
            answer.headers.emplace_back("Last-Modified", http_date(marker->last_modified_ms));
            add_version_header(answer.headers, b, *marker);
        }
        return answer;
    }
    // A key whose newest version is a marker reads as missing, and says so.
    if (e.code() == Errc::NoSuchKey && answer.status == 404 && version_id.empty() &&
        b.versioning != VersioningState::Off)
        if (auto marker = ctx.engine.stat_version(ctx.bucket, ctx.key, {}); marker && marker->delete_marker) {
            answer.headers.emplace_back(kMarkerHeader, "true");
            add_version_header(answer.headers, b, *marker);
        }
    return answer;
}

bool may_delete_version(const RequestContext& ctx, const Bucket& b, const std::string& key,
                        const std::string& version_id) {
    auto decision = ctx.object_policy_decision(b, "s3:DeleteObject", "s3:DeleteObjectVersion", key, version_id);
    if (decision != PolicyDecision::NoMatch) return decision == PolicyDecision::Allow;
    // By the ACLs, WRITE lets the bucket's owner alone remove versions (AWS).
    return ctx.is_owner(b) && ctx.acl_bucket_allows(b, Permission::Write);
}

Reply get_bucket_versioning(const RequestContext& ctx) {
    const auto& b = *ctx.bucket_record;
    if (!ctx.is_owner(b)) return access_denied();
    XmlWriter x("VersioningConfiguration");
    // A bucket never versioned has no Status, as in S3.
    if (b.versioning == VersioningState::Enabled) x.el("Status", "Enabled");
    if (b.versioning == VersioningState::Suspended) x.el("Status", "Suspended");
    return xml_answer(x.finish());
}

Reply put_bucket_versioning(const RequestContext& ctx, RequestBody& body) {
    if (!ctx.is_owner(*ctx.bucket_record)) return access_denied();
    pugi::xml_document doc;
    auto root = body.xml(doc, "VersioningConfiguration");
    if (!root) return root.error();
    std::string_view status = trim(root->child_value("Status"));
    std::string_view mfa_delete = trim(root->child_value("MfaDelete"));
    if (!status.empty() && status != "Enabled" && status != "Suspended") return malformed_xml();
    if (!mfa_delete.empty() && mfa_delete != "Enabled" && mfa_delete != "Disabled") return malformed_xml();
    // No caller here authenticates with an MFA device: AWS's answer to
    // turning MFA delete on without one.
    if (mfa_delete == "Enabled") return access_denied("Mfa Authentication must be used for this request");
    if (status.empty()) return empty_answer();  // nothing asked of the state
    auto state = status == "Enabled" ? VersioningState::Enabled : VersioningState::Suspended;
    // Suspended on an object lock bucket: 409 InvalidBucketState from the
    // engine, checked on the record it rewrites (lock may come meanwhile).
    auto r = ctx.engine.set_bucket_versioning(ctx.bucket, state);
    if (!r) return r.error();
    return empty_answer();
}

Reply delete_object(const RequestContext& ctx) {
    auto v = validate_object_key(ctx.key);
    if (!v) return v.error();
    const auto& b = *ctx.bucket_record;
    const auto version_id = requested_version(ctx);
    // The pipeline decided the policy on s3:DeleteObjectVersion then; by the
    // ACLs only the bucket's owner removes a version.
    if (ctx.param("versionId") && ctx.policy != PolicyDecision::Allow && !ctx.is_owner(b)) return access_denied();
    auto r = delete_one(ctx, ctx.key, version_id, invalid_argument("Invalid version id specified"));
    if (!r) return r.error();
    return empty_answer(204, delete_headers(*r));
}

Reply delete_objects(const RequestContext& ctx, RequestBody& body) {
    auto text = body.small();
    if (!text) return text.error();
    auto parsed = parse_delete_objects(*text);
    if (auto* e = std::get_if<S3Error>(&parsed)) return *e;
    const auto& [quiet, objects] = std::get<DeleteObjectsRequest>(parsed);
    const auto& b = *ctx.bucket_record;
    XmlWriter x("DeleteResult");
    // With a bucket policy, each key is s3:DeleteObject (or, naming a
    // version, s3:DeleteObjectVersion) of its own (pipeline.cpp, decide);
    // without, the bucket's ACL was checked.
    const bool per_key = RequestContext::bucket_policy(b) != nullptr;
    auto error = [&](const std::string& key, const std::string& version_id, const S3Error& e) {
        x.open("Error").key(key);
        if (!version_id.empty()) x.text_el("VersionId", version_id);
        x.el("Code", e.code).text_el("Message", e.message).close("Error");
    };
    for (const auto& [key, version_id] : objects) {
        bool allowed = !version_id.empty() ? may_delete_version(ctx, b, key, version_id)
                                           : !per_key || ctx.may_write_key(b, "s3:DeleteObject", key);
        if (!allowed) {
            error(key, version_id, access_denied());
            continue;
        }
        auto r = delete_one(ctx, key, version_id, no_such_version());
        if (!r) {
            error(key, version_id, r.error());
            continue;
        }
        if (quiet) continue;
        // As AWS: the version asked for; a marker added or removed, with its
        // id (the removed version's when one was named).
        x.open("Deleted").key(key);
        if (!version_id.empty()) x.text_el("VersionId", version_id);
        if (r->delete_marker) {
            x.el("DeleteMarker", "true");
            if (!r->version_id.empty()) x.el("DeleteMarkerVersionId", r->version_id);
        }
        x.close("Deleted");
    }
    return xml_answer(x.finish());
}

}  // namespace ostor::gw::s3
