// The Limits and Quotas tables' keys, and the quota in force for a target.
#include "codec.hpp"
#include "engine_impl.hpp"
#include "local/tables.hpp"

namespace ostor::detail {

std::string limits_key(const LimitTarget& target) {
    return (target.kind == LimitTarget::Kind::User ? "u/" : "b/") + target.id;
}

std::string quota_key(const QuotaTarget& target) {
    switch (target.kind) {
        case QuotaTarget::Kind::User:
            return "u/" + target.id;
        case QuotaTarget::Kind::Bucket:
            return "b/" + target.id;
        case QuotaTarget::Kind::DefaultUser:
            return "default-user";
        case QuotaTarget::Kind::DefaultBucket:
            return "default-bucket";
    }
    return {};
}

std::optional<std::uint64_t> stored_quota_gib(const Txn& txn, const QuotaTarget& target) {
    auto v = txn.get(Table::Quotas, quota_key(target));
    if (!v) return std::nullopt;
    return Decoder(*v).u64();
}

std::uint64_t effective_quota_bytes(const Txn& txn, const QuotaTarget& target) {
    auto specific = stored_quota_gib(txn, target);
    if (!specific) {
        auto fallback =
            target.kind == QuotaTarget::Kind::User ? QuotaTarget::default_user() : QuotaTarget::default_bucket();
        if (target.kind == QuotaTarget::Kind::User || target.kind == QuotaTarget::Kind::Bucket)
            specific = stored_quota_gib(txn, fallback);
    }
    return specific.value_or(0) * kGiB;
}
}  // namespace ostor::detail
