// Copies: CopyObject, and the source that it and UploadPartCopy read.
#include "s3/conditions.hpp"
#include "s3/handlers.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::int64_t kMsPerSecond = 1000;

// x-amz-copy-source-if-* preconditions, compared to the second as HTTP
// dates are; false when one does not hold (all answer 412).
bool copy_source_conditions_hold(const HttpRequest& req, const ObjectInfo& info) {
    const auto* m = req.header("x-amz-copy-source-if-match");
    const auto* nm = req.header("x-amz-copy-source-if-none-match");
    const auto* ums = req.header("x-amz-copy-source-if-unmodified-since");
    const auto* ms = req.header("x-amz-copy-source-if-modified-since");
    std::int64_t modified_s = info.last_modified_ms / kMsPerSecond;
    bool ok = true;
    if (m && !etag_matches(*m, info.etag)) ok = false;
    if (nm && etag_matches(*nm, info.etag)) ok = false;
    if (ums && !m) {
        auto t = parse_http_date(*ums);
        if (t && modified_s > *t / kMsPerSecond) ok = false;
    }
    if (ms && !nm) {
        auto t = parse_http_date(*ms);
        if (t && modified_s <= *t / kMsPerSecond) ok = false;
    }
    return ok;
}

}  // namespace

// x-amz-copy-source: "[/]bucket/key[?versionId=...]", percent-encoded.
Outcome<CopySource> copy_source(const RequestContext& ctx) {
    std::string_view raw = trim(ctx.request.header_or("x-amz-copy-source"));
    std::string version_id;
    if (auto q = raw.find('?'); q != std::string_view::npos) {
        constexpr std::string_view kVersionParam = "versionId=";
        auto params = raw.substr(q + 1);
        raw = raw.substr(0, q);
        if (params.starts_with(kVersionParam)) {
            auto id = url_decode(params.substr(kVersionParam.size()));
            // Empty, it would read as none (the current).
            if (!id || id->empty()) return invalid_argument("Invalid version id specified");
            version_id = std::move(*id);
        }
    }
    auto decoded = url_decode(raw);
    if (!decoded) return invalid_argument("Invalid copy source encoding");
    std::string_view s = *decoded;
    if (s.starts_with("/")) s.remove_prefix(1);
    auto slash = s.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= s.size())
        return invalid_argument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    CopySource src{std::string(s.substr(0, slash)), std::string(s.substr(slash + 1)), std::move(version_id), {}, {}};

    auto sb = ctx.engine.get_bucket_record(src.bucket);
    if (!sb) return sb.error();
    if (auto refused = ctx.check_expected_owner(*sb, "x-amz-source-expected-bucket-owner")) return *refused;
    // s3:GetObject (of a version: s3:GetObjectVersion) of the source, by the
    // source bucket's policy and then its ACLs.
    auto by_policy = ctx.object_policy_decision(*sb, "s3:GetObject", "s3:GetObjectVersion", src.key, src.version_id);
    if (by_policy == PolicyDecision::Deny) return access_denied();
    auto info = ctx.engine.head_object(src.bucket, src.key, src.version_id);
    if (!info && info.error().code() == Errc::MethodNotAllowed) {
        // Only a caller who may tell a missing key from a forbidden one
        // learns that a marker is there.
        S3Error hidden = ctx.object_error(Error(Errc::NoSuchKey, "no such key"), *sb);
        if (hidden.status == 403) return hidden;
        // A delete marker is no source: named by its id, 400 (as S3); as
        // the current, the key reads as missing.
        return invalid_request(
            "The source of a copy request may not specifically refer to a delete marker by version id.");
    }
    // A missing source is told from a forbidden one only to callers who
    // may list the source bucket, as for a GET.
    if (!info) return ctx.object_error(info.error(), *sb);
    if (!ctx.object_allows(*sb, *info, Permission::Read, by_policy)) return access_denied();
    if (!copy_source_conditions_hold(ctx.request, *info)) return precondition_failed();
    src.shown_version_id = shown_version_id(*sb, *info);
    src.info = std::move(*info);
    return src;
}

Reply copy_object(const RequestContext& ctx) {
    const auto& b = ctx.bucket_record;
    if (auto refused = ctx.check_space_for(0)) return *refused;
    if (auto refused = ctx.check_new_key()) return *refused;
    auto v = validate_object_key(ctx.key);
    if (!v) return v.error();
    auto src = copy_source(ctx);
    if (!src) return src.error();
    std::string directive(trim(ctx.request.header_or("x-amz-metadata-directive", "COPY")));
    if (directive != "COPY" && directive != "REPLACE") return invalid_argument("Unknown metadata directive.");
    std::string tagging(trim(ctx.request.header_or("x-amz-tagging-directive", "COPY")));
    if (tagging != "COPY" && tagging != "REPLACE") return invalid_argument("Unknown tagging directive.");
    auto meta = meta_from_headers(ctx, *b);
    if (!meta) return meta.error();
    auto& new_meta = *meta;
    // The tags follow their own directive: the source's unless REPLACE
    // (x-amz-tagging, none when absent).
    if (tagging == "COPY") new_meta.tags = src->info.meta.tags;
    // Tags brought from the source are set on the copy as much as its own
    // would be: a Deny of s3:PutObjectTagging refuses them too.
    if (tagging == "COPY" && !new_meta.tags.empty() && RequestContext::bucket_policy(*b) &&
        !ctx.may_write_extras(*b, ctx.key, {.tags = true}, &new_meta.tags))
        return access_denied();
    // A version other than the current copied onto its own key restores
    // it, which is a change.
    bool same = src->bucket == ctx.bucket && src->key == ctx.key &&
                (src->version_id.empty() || src->info.is_latest || b->versioning == VersioningState::Off);
    if (same && directive != "REPLACE")
        return invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the "
            "object's metadata, storage class, website redirect location or encryption attributes.");
    CopyOptions options;
    options.src_version_id = src->version_to_copy();
    // The copy's own lock, never the source's (as S3).
    auto lock = requested_lock(ctx, *b, /*with_body=*/false);
    if (!lock) return lock.error();
    options.lock = std::move(*lock);
    if (auto refused = write_conditions(ctx, *b, options.conditions)) return *refused;
    if (directive == "REPLACE") {
        new_meta.checksums = src->info.meta.checksums;
        options.replace_meta = new_meta;
    } else if (tagging == "REPLACE" || RequestContext::bucket_policy(*b)) {
        // The source's metadata as the copy reads it (not as read above: it
        // may have been overwritten since), with the new tags; on a bucket
        // with a policy, the source's tags that its s3:PutObjectTagging
        // Deny was asked of above, not what a write meanwhile made them.
        options.replace_tags = new_meta.tags;
    }
    // The copy gets the ACL the request asks for (private by default),
    // never the source's, in the copy's own commit: not even for a moment.
    options.replace_acl = new_meta.acl;
    auto copied = ctx.engine.copy_object(src->bucket, src->key, ctx.bucket, ctx.key, options);
    if (!copied) return copied.error();
    // The copy is a new write: the rules say when it expires, as on a PUT.
    HeaderList h;
    add_written_version_header(h, *copied);
    if (!src->shown_version_id.empty()) h.emplace_back("x-amz-copy-source-version-id", src->shown_version_id);
    add_expiration_header(h, ctx, *b, *copied);
    return xml_answer(XmlWriter("CopyObjectResult")
                          .el("LastModified", iso8601_ms(copied->last_modified_ms))
                          .el("ETag", etag_quoted(copied->etag))
                          .finish(),
                      std::move(h));
}

}  // namespace ostor::gw::s3
