// Limits and quotas (the accounting quotas are enforced on is the object
// catalog's space ledger).
#include <cmath>

#include "codec.hpp"
#include "engine_impl.hpp"

namespace ostor {

using namespace detail;

namespace detail {

std::string limits_key(const LimitTarget& target) {
    return (target.kind == LimitTarget::Kind::User ? "u/" : "b/") + target.id;
}

std::string quota_key(const QuotaTarget& target) {
    switch (target.kind) {
        case QuotaTarget::Kind::User: return "u/" + target.id;
        case QuotaTarget::Kind::Bucket: return "b/" + target.id;
        case QuotaTarget::Kind::DefaultUser: return "default-user";
        case QuotaTarget::Kind::DefaultBucket: return "default-bucket";
    }
    return {};
}

namespace {

std::optional<std::uint64_t> stored_quota_gib(const Txn& txn, const QuotaTarget& target) {
    auto v = txn.get(Table::Quotas, quota_key(target));
    if (!v) return std::nullopt;
    return Decoder(*v).u64();
}

Result<void> check_target_exists(const Txn& txn, QuotaTarget::Kind kind, const std::string& id) {
    if (kind == QuotaTarget::Kind::User) {
        auto u = load_user(txn, id);
        if (!u) return std::move(u).error();
    } else if (kind == QuotaTarget::Kind::Bucket) {
        auto b = load_bucket(txn, id);
        if (!b) return std::move(b).error();
    }
    return {};
}

Result<void> check_target_exists(const Txn& txn, const LimitTarget& t) {
    return check_target_exists(txn, t.kind == LimitTarget::Kind::User ? QuotaTarget::Kind::User : QuotaTarget::Kind::Bucket,
                               t.id);
}

Limits stored_limits(const Txn& txn, const LimitTarget& target) {
    auto v = txn.get(Table::Limits, limits_key(target));
    if (!v) return {};
    return decode_limits(*v).value_or(Limits{});
}

Result<void> validate(const Limits& l) {
    for (double v : {l.ops_default, l.ops_get, l.ops_put, l.ops_list, l.ops_delete})
        if (!std::isfinite(v) || v < 0) return Error(Errc::InvalidLimit, "an ops limit must be a number >= 0");
    return {};
}

}  // namespace

std::uint64_t effective_quota_bytes(const Txn& txn, const QuotaTarget& target) {
    auto specific = stored_quota_gib(txn, target);
    if (!specific) {
        auto fallback = target.kind == QuotaTarget::Kind::User ? QuotaTarget::default_user() : QuotaTarget::default_bucket();
        if (target.kind == QuotaTarget::Kind::User || target.kind == QuotaTarget::Kind::Bucket)
            specific = stored_quota_gib(txn, fallback);
    }
    return specific.value_or(0) * kGiB;
}

}  // namespace detail

Result<Limits> Engine::get_limits(const LimitTarget& target) {
    return impl_->read([&](const Txn& txn) -> Result<Limits> {
        OSTOR_TRY(check_target_exists(txn, target));
        return stored_limits(txn, target);
    });
}

Result<Limits> Engine::set_limits(const LimitTarget& target, const Limits& limits) {
    OSTOR_TRY(validate(limits));
    return impl_->commits->run_value<Limits>([&](Txn& txn) -> Result<Limits> {
        OSTOR_TRY(check_target_exists(txn, target));
        txn.put(Table::Limits, limits_key(target), encode(limits));
        return limits;
    });
}

Result<Limits> Engine::set_limit(const LimitTarget& target, std::string_view type, std::string_view resource,
                                 double value) {
    if (!std::isfinite(value) || value < 0)
        return Error(Errc::InvalidLimit, "a limit value must be a number >= 0");
    return impl_->commits->run_value<Limits>([&](Txn& txn) -> Result<Limits> {
        OSTOR_TRY(check_target_exists(txn, target));
        Limits l = stored_limits(txn, target);
        if (type == "ops") {
            if (resource == "default") l.ops_default = value;
            else if (resource == "get") l.ops_get = value;
            else if (resource == "put") l.ops_put = value;
            else if (resource == "list") l.ops_list = value;
            else if (resource == "delete") l.ops_delete = value;
            else
                return Error(Errc::InvalidLimit, "unknown ops limit '" + std::string(resource) +
                                                     "' (use default, get, put, list or delete)");
        } else if (type == "bandwidth") {
            if (resource != "out")
                return Error(Errc::InvalidLimit, "unknown bandwidth limit '" + std::string(resource) + "' (use out)");
            if (value != std::floor(value) || value > 1e15)
                return Error(Errc::InvalidLimit, "a bandwidth limit is a whole number of KB/s");
            l.bandwidth_out_kbps = static_cast<std::uint64_t>(value);
        } else {
            return Error(Errc::InvalidLimit, "unknown limit type '" + std::string(type) + "' (use ops or bandwidth)");
        }
        txn.put(Table::Limits, limits_key(target), encode(l));
        return l;
    });
}

Result<void> Engine::remove_limits(const LimitTarget& target) {
    return impl_->commits->run([&](Txn& txn) -> Result<void> {
        OSTOR_TRY(check_target_exists(txn, target));
        txn.del(Table::Limits, limits_key(target));
        return {};
    });
}

Result<std::optional<std::uint64_t>> Engine::get_quota(const QuotaTarget& target) {
    return impl_->read([&](const Txn& txn) -> Result<std::optional<std::uint64_t>> {
        OSTOR_TRY(check_target_exists(txn, target.kind, target.id));
        return stored_quota_gib(txn, target);
    });
}

Result<std::uint64_t> Engine::effective_quota(const QuotaTarget& target) {
    return impl_->read([&](const Txn& txn) -> Result<std::uint64_t> {
        OSTOR_TRY(check_target_exists(txn, target.kind, target.id));
        return effective_quota_bytes(txn, target) / kGiB;
    });
}

Result<void> Engine::set_quota(const QuotaTarget& target, std::uint64_t size_gib) {
    if (size_gib > (std::uint64_t{1} << 33))
        return Error(Errc::InvalidArgument, "quota too large (at most 8 EiB)");
    return impl_->commits->run([&](Txn& txn) -> Result<void> {
        OSTOR_TRY(check_target_exists(txn, target.kind, target.id));
        txn.put(Table::Quotas, quota_key(target), Encoder().u64(size_gib).take());
        return {};
    });
}

Result<void> Engine::remove_quota(const QuotaTarget& target) {
    return impl_->commits->run([&](Txn& txn) -> Result<void> {
        OSTOR_TRY(check_target_exists(txn, target.kind, target.id));
        txn.del(Table::Quotas, quota_key(target));
        return {};
    });
}

Result<UserUsage> Engine::get_user_usage(std::string_view user_id) { return impl_->objects->get_user_usage(user_id); }

}  // namespace ostor
