#include "ostor/admin_targets.hpp"

#include <utility>

namespace ostor::admin {
namespace {

bool names_user(const TargetNames& n) { return n.email.has_value() || n.user_id.has_value(); }

Error invalid(std::string message) { return Error(Errc::InvalidArgument, std::move(message)); }

// The bucket, checked to exist: a limit or quota set on a name that holds no
// bucket would silently apply to whoever creates it later.
Result<std::string> existing_bucket(Engine& engine, const std::string& name, const TargetSpelling& s) {
    if (name.empty()) return invalid(std::string(s.bucket) + ": the bucket name is empty");
    auto bucket = engine.get_bucket(name);
    if (!bucket) return std::move(bucket).error();
    return name;
}

}  // namespace

Result<User> resolve_user(Engine& engine, const TargetNames& n, const TargetSpelling& s) {
    if (!names_user(n)) return invalid("name the user (" + std::string(s.user) + ")");
    if ((n.email && n.email->empty()) || (n.user_id && n.user_id->empty()))
        return invalid("name the user (" + std::string(s.user) + "): a name given is empty");
    if (!n.user_id) return engine.get_user_by_email(*n.email);
    auto user = engine.get_user(*n.user_id);
    if (!user || !n.email) return user;
    auto by_email = engine.get_user_by_email(*n.email);
    if (!by_email) return by_email;
    if (by_email->id != user->id) return invalid("the email and the user id name different users");
    return user;
}

Result<LimitTarget> resolve_limit_target(Engine& engine, const TargetNames& n, const TargetSpelling& s) {
    if (names_user(n) == n.bucket.has_value() || n.defaults)
        return invalid("name either a user (" + std::string(s.user) + ") or a bucket (" + std::string(s.bucket) + ")");
    if (n.bucket) {
        auto name = existing_bucket(engine, *n.bucket, s);
        if (!name) return std::move(name).error();
        return LimitTarget::bucket(std::move(*name));
    }
    auto user = resolve_user(engine, n, s);
    if (!user) return std::move(user).error();
    return LimitTarget::user(user->id);
}

Result<QuotaTarget> resolve_quota_target(Engine& engine, const TargetNames& n, const TargetSpelling& s) {
    if (names_user(n) + n.bucket.has_value() + n.defaults.has_value() != 1)
        return invalid("name one of a user (" + std::string(s.user) + "), a bucket (" + std::string(s.bucket) +
                       ") or a default (" + std::string(s.defaults) + ")");
    if (n.defaults) {
        if (*n.defaults == "user") return QuotaTarget::default_user();
        if (*n.defaults == "bucket") return QuotaTarget::default_bucket();
        return invalid(std::string(s.defaults) + ": the default is user or bucket, not '" + *n.defaults + "'");
    }
    if (n.bucket) {
        auto name = existing_bucket(engine, *n.bucket, s);
        if (!name) return std::move(name).error();
        return QuotaTarget::bucket(std::move(*name));
    }
    auto user = resolve_user(engine, n, s);
    if (!user) return std::move(user).error();
    return QuotaTarget::user(user->id);
}

}  // namespace ostor::admin
