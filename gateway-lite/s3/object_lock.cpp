// Object lock (docs/versioning.md, "Object lock"): the bucket's default
// retention (Put/GetObjectLockConfiguration), a version's retention and legal
// hold (Put/GetObjectRetention, Put/GetObjectLegalHold), the
// x-amz-object-lock-* headers of writes and reads, and who may bypass a
// GOVERNANCE retention. The rules themselves are the engine's.
//
// Who may: as in S3, a version's lock is not the ACLs' to grant. The
// bucket's policy decides (s3:GetObjectRetention, s3:PutObjectRetention,
// s3:GetObjectLegalHold, s3:PutObjectLegalHold, by their names; a lock asked
// for on a write is s3:PutObjectRetention or s3:PutObjectLegalHold too);
// without a statement about it, the bucket's owner alone. The bypass of a
// GOVERNANCE retention is s3:BypassGovernanceRetention's, decided the same
// way: the owner has it (AWS's root principal) unless the policy denies it,
// another user when the policy allows it.
#include "s3/handlers.hpp"
#include "s3/xml_bodies.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::string_view kLockConfig = "object-lock";
constexpr std::string_view kModeHeader = "x-amz-object-lock-mode";
constexpr std::string_view kUntilHeader = "x-amz-object-lock-retain-until-date";
constexpr std::string_view kHoldHeader = "x-amz-object-lock-legal-hold";

S3Error no_object_lock_configuration() {
    return {404, "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration"};
}
// S3's wording differs between the lock calls and the writes.
S3Error bucket_without_lock() { return invalid_request("Bucket is missing Object Lock Configuration"); }
S3Error write_to_bucket_without_lock() { return invalid_request("Bucket is missing ObjectLockConfiguration"); }
S3Error retain_date_not_in_future() { return invalid_argument("The retain until date must be in the future!"); }
// The lock calls' bodies need a digest as the configuration PUTs' do; S3
// names both kinds here.
std::optional<S3Error> missing_lock_call_digest(const RequestContext& ctx) {
    if (!missing_body_digest(ctx)) return std::nullopt;
    return invalid_request("Missing required header for this request: Content-MD5 OR x-amz-checksum-*");
}

// What the policy says of `action` on the key, else whether the caller is
// the bucket's owner.
bool lock_action_allowed(const RequestContext& ctx, const Bucket& b, std::string_view action, const std::string& key) {
    auto decision = ctx.policy_decision(b, action, &key);
    if (decision != PolicyDecision::NoMatch) return decision == PolicyDecision::Allow;
    return ctx.is_owner(b);
}

// The bucket's object lock settings in force: `b`'s, or when they say lock
// is off, the record's read again past the cache (RADOS: a cached "off" may
// predate lock turned on through another gateway whose announcement was
// missed; once on, lock is never turned off). A bucket made again since is
// decided by its new record; one gone answers NoSuchBucket.
Outcome<ObjectLockConfig> lock_in_force(const RequestContext& ctx, const Bucket& b) {
    if (b.object_lock.enabled) return b.object_lock;
    auto now = ctx.engine.get_bucket_record_afresh(ctx.bucket);
    if (!now) return now.error();
    return now->object_lock;
}

// The request's own lock call (the pipeline refused a Deny of its action).
bool may_call(const RequestContext& ctx, const Bucket& b) {
    return ctx.policy == PolicyDecision::Allow || (ctx.policy == PolicyDecision::NoMatch && ctx.is_owner(b));
}

// The version a Get of its retention or legal hold names (versionId; the
// current without), once the call is allowed in a lock bucket: its errors as
// a read's.
Outcome<ObjectInfo> locked_version(const RequestContext& ctx, const Bucket& b) {
    if (!may_call(ctx, b)) return access_denied();
    auto lock = lock_in_force(ctx, b);
    if (!lock) return lock.error();
    if (!lock->enabled) return bucket_without_lock();
    const auto version_id = requested_version(ctx);
    auto info = ctx.engine.head_object(ctx.bucket, ctx.key, version_id);
    if (!info) return read_error(ctx, info.error(), b, version_id);
    return std::move(*info);
}

// The body of a Put of a version's retention or legal hold, once the call is
// allowed in a lock bucket and the body has its digest.
Outcome<std::string> version_lock_body(const RequestContext& ctx, const Bucket& b, RequestBody& body) {
    if (!may_call(ctx, b)) return access_denied();
    auto lock = lock_in_force(ctx, b);
    if (!lock) return lock.error();
    if (!lock->enabled) return bucket_without_lock();
    if (auto missing = missing_lock_call_digest(ctx)) return *missing;
    return body.small();
}

// A lock call's answer: empty, with the version's id.
Reply lock_changed(const RequestContext& ctx, const Bucket& b, const Result<ObjectInfo>& r) {
    if (!r) return read_error(ctx, r.error(), b, requested_version(ctx));
    HeaderList h;
    add_version_header(h, b, *r);
    return empty_answer(200, std::move(h));
}

}  // namespace

Reply get_object_lock_configuration(const RequestContext& ctx) {
    const auto& b = *ctx.bucket_record;
    if (!may_call(ctx, b)) return access_denied();
    auto lock = lock_in_force(ctx, b);
    if (!lock) return lock.error();
    if (!lock->enabled) return *no_such_bucket_config(kLockConfig);
    XmlWriter x("ObjectLockConfiguration");
    x.el("ObjectLockEnabled", "Enabled");
    const auto& c = *lock;
    if (c.default_mode != RetentionMode::None) {
        x.open("Rule").open("DefaultRetention").el("Mode", std::string(retention_mode_name(c.default_mode)));
        if (c.default_days > 0) x.el("Days", std::to_string(c.default_days));
        if (c.default_years > 0) x.el("Years", std::to_string(c.default_years));
        x.close("DefaultRetention").close("Rule");
    }
    return xml_answer(x.finish());
}

Reply put_object_lock_configuration(const RequestContext& ctx, RequestBody& body) {
    const auto& b = *ctx.bucket_record;
    if (!may_call(ctx, b)) return access_denied();
    if (auto missing = missing_lock_call_digest(ctx)) return *missing;
    auto text = body.small();
    if (!text) return text.error();
    auto parsed = parse_object_lock_configuration(*text);
    if (auto* e = std::get_if<S3Error>(&parsed)) return *e;
    // A bucket made without lock gets it here once its versioning is
    // Enabled (the engine checks, on the record it rewrites; 409
    // InvalidBucketState otherwise).
    auto r = ctx.engine.set_object_lock_config(ctx.bucket, std::get<ObjectLockConfig>(parsed));
    if (!r) return r.error();
    return empty_answer();
}

Reply get_object_retention(const RequestContext& ctx) {
    const auto& b = *ctx.bucket_record;
    auto info = locked_version(ctx, b);
    if (!info) return info.error();
    const auto& retention = info->lock.retention;
    if (retention.mode == RetentionMode::None) return no_object_lock_configuration();
    XmlWriter x("Retention");
    x.el("Mode", std::string(retention_mode_name(retention.mode)));
    x.el("RetainUntilDate", iso8601_ms(retention.until_ms));
    return xml_answer(x.finish());
}

Reply put_object_retention(const RequestContext& ctx, RequestBody& body) {
    const auto& b = *ctx.bucket_record;
    auto text = version_lock_body(ctx, b, body);
    if (!text) return text.error();
    auto parsed = parse_retention(*text);
    if (auto* e = std::get_if<S3Error>(&parsed)) return *e;
    const auto& retention = std::get<std::optional<Retention>>(parsed);
    if (retention && retention->until_ms <= now_ms()) return retain_date_not_in_future();
    const auto version_id = requested_version(ctx);
    auto r = ctx.engine.set_object_retention(ctx.bucket, ctx.key, version_id, retention,
                                             bypass_governance(ctx, b, ctx.key, version_id));
    return lock_changed(ctx, b, r);
}

Reply get_object_legal_hold(const RequestContext& ctx) {
    const auto& b = *ctx.bucket_record;
    auto info = locked_version(ctx, b);
    if (!info) return info.error();
    // A version never given a status has no legal hold configuration; one
    // released (or written with OFF) reads Status OFF, as S3 answers.
    if (!info->lock.legal_hold && !info->lock.legal_hold_off) return no_object_lock_configuration();
    return xml_answer(XmlWriter("LegalHold").el("Status", info->lock.legal_hold ? "ON" : "OFF").finish());
}

Reply put_object_legal_hold(const RequestContext& ctx, RequestBody& body) {
    const auto& b = *ctx.bucket_record;
    auto text = version_lock_body(ctx, b, body);
    if (!text) return text.error();
    auto parsed = parse_legal_hold(*text);
    if (auto* e = std::get_if<S3Error>(&parsed)) return *e;
    auto r = ctx.engine.set_object_legal_hold(ctx.bucket, ctx.key, requested_version(ctx), std::get<bool>(parsed));
    return lock_changed(ctx, b, r);
}

Outcome<std::optional<ObjectLock>> requested_lock(const RequestContext& ctx, const Bucket& b, bool with_body) {
    const auto* mode_header = ctx.request.header(kModeHeader);
    const auto* until_header = ctx.request.header(kUntilHeader);
    const auto* hold_header = ctx.request.header(kHoldHeader);
    // S3 asks a body written into a lock bucket with a default retention,
    // or with lock headers, for a digest.
    auto missing_digest = [&]() -> std::optional<S3Error> {
        if (!with_body || !missing_body_digest(ctx)) return std::nullopt;
        return invalid_request(
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock "
            "parameters");
    };
    if (!mode_header && !until_header && !hold_header) {
        if (b.object_lock.default_mode != RetentionMode::None)
            if (auto missing = missing_digest()) return *missing;
        return std::optional<ObjectLock>();
    }
    if (!mode_header != !until_header)
        return invalid_argument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied");
    ObjectLock lock;
    if (mode_header) {
        auto mode = parse_retention_mode(trim(*mode_header));
        if (!mode) return invalid_argument("Unknown wormMode directive.");
        auto until = parse_iso8601(*until_header);
        if (!until) return invalid_argument("The retain until date must be provided in ISO 8601 format");
        if (*until <= now_ms()) return retain_date_not_in_future();
        lock.retention = {*mode, *until};
    }
    if (hold_header) {
        auto hold = trim(*hold_header);
        if (hold != "ON" && hold != "OFF") return invalid_argument("Legal Hold must be either of 'ON' or 'OFF'");
        lock.legal_hold = hold == "ON";
        lock.legal_hold_off = hold == "OFF";
    }
    auto in_force = lock_in_force(ctx, b);
    if (!in_force) return in_force.error();
    if (!in_force->enabled) return write_to_bucket_without_lock();
    if ((mode_header && !lock_action_allowed(ctx, b, "s3:PutObjectRetention", ctx.key)) ||
        (hold_header && !lock_action_allowed(ctx, b, "s3:PutObjectLegalHold", ctx.key)))
        return access_denied();
    if (auto missing = missing_digest()) return *missing;
    return std::optional<ObjectLock>(lock);
}

std::optional<S3Error> missing_part_digest(const RequestContext& ctx, const Bucket& b, const Upload& upload) {
    bool locked = b.object_lock.default_mode != RetentionMode::None ||
                  (upload.lock && (upload.lock->retention.mode != RetentionMode::None || upload.lock->legal_hold));
    if (!locked || !missing_body_digest(ctx)) return std::nullopt;
    return invalid_request(
        "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters");
}

void add_lock_headers(HeaderList& h, const RequestContext& ctx, const Bucket& b, const ObjectInfo& info) {
    const auto& retention = info.lock.retention;
    if (retention.mode != RetentionMode::None && lock_action_allowed(ctx, b, "s3:GetObjectRetention", ctx.key)) {
        h.emplace_back(kModeHeader, std::string(retention_mode_name(retention.mode)));
        h.emplace_back(kUntilHeader, iso8601_ms(retention.until_ms));
    }
    // Shown once a status was given, ON or OFF (S3: "not returned if the
    // version has never had a legal hold applied").
    if ((info.lock.legal_hold || info.lock.legal_hold_off) &&
        lock_action_allowed(ctx, b, "s3:GetObjectLegalHold", ctx.key))
        h.emplace_back(kHoldHeader, info.lock.legal_hold ? "ON" : "OFF");
}

bool bypass_governance(const RequestContext& ctx, const Bucket& b, const std::string& key,
                       const std::string& version_id) {
    const auto* header = ctx.request.header("x-amz-bypass-governance-retention");
    if (!header || !iequals(trim(*header), "true")) return false;
    auto decision = ctx.policy_decision(b, "s3:BypassGovernanceRetention", &key, &version_id);
    if (decision != PolicyDecision::NoMatch) return decision == PolicyDecision::Allow;
    return ctx.is_owner(b);
}

}  // namespace ostor::gw::s3
