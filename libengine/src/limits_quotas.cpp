// Limits and quotas (the accounting quotas are enforced on is the object
// catalog's space ledger).
#include <cmath>

#include "engine_impl.hpp"

namespace ostor {

using namespace detail;

std::string_view op_class_name(OpClass c) {
    switch (c) {
        case OpClass::Get:
            return "get";
        case OpClass::Put:
            return "put";
        case OpClass::List:
            return "list";
        case OpClass::Delete:
            return "delete";
        case OpClass::Default:
            break;
    }
    return "default";
}

std::optional<OpClass> parse_op_class(std::string_view name) {
    for (auto c : kOpClasses)
        if (op_class_name(c) == name) return c;
    return std::nullopt;
}

namespace {

Result<void> validate(const Limits& l) {
    for (double v : {l.ops_default, l.ops_get, l.ops_put, l.ops_list, l.ops_delete})
        if (!std::isfinite(v) || v < 0) return Error(Errc::InvalidLimit, "an ops limit must be a number >= 0");
    return {};
}

}  // namespace

// Each change below is announced whatever the catalog call returned: a
// change can land and still report an error (a timeout after the cluster
// applied it), and an announcement too many only costs a re-read.

Result<Limits> Engine::get_limits(const LimitTarget& target) { return impl_->settings->get_limits(target); }

RequestLimits Engine::request_limits(std::string_view user_id, std::string_view bucket) {
    return impl_->settings->request_limits(user_id, bucket);
}

Result<Limits> Engine::set_limits(const LimitTarget& target, const Limits& limits) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(validate(limits));
    auto stored = impl_->settings->update_limits(target, [&](Limits& l) -> Result<void> {
        l = limits;
        return {};
    });
    impl_->notifier->changed(ChangeKind::Limits, subject_of(target));
    return stored;
}

Result<Limits> Engine::set_limit(const LimitTarget& target, const LimitSetting& setting) {
    OSTOR_TRY(check_may_commit(*impl_));
    const double value = setting.value;
    if (!std::isfinite(value) || value < 0) return Error(Errc::InvalidLimit, "a limit value must be a number >= 0");
    if (setting.kind == LimitSetting::Kind::BandwidthOut && (value != std::floor(value) || value > 1e15))
        return Error(Errc::InvalidLimit, "a bandwidth limit is a whole number of KB/s");
    // Applied to the stored limits inside the catalog's change, so that
    // concurrent changes of other values are kept.
    auto stored = impl_->settings->update_limits(target, [&](Limits& l) -> Result<void> {
        setting.apply_to(l);
        return {};
    });
    impl_->notifier->changed(ChangeKind::Limits, subject_of(target));
    return stored;
}

Result<void> Engine::remove_limits(const LimitTarget& target) {
    OSTOR_TRY(check_may_commit(*impl_));
    auto removed = impl_->settings->remove_limits(target);
    impl_->notifier->changed(ChangeKind::Limits, subject_of(target));
    return removed;
}

Result<std::optional<std::uint64_t>> Engine::get_quota(const QuotaTarget& target) {
    return impl_->settings->get_quota(target);
}

Result<std::uint64_t> Engine::effective_quota(const QuotaTarget& target) {
    return impl_->settings->effective_quota(target);
}

Result<void> Engine::set_quota(const QuotaTarget& target, std::uint64_t size_gib) {
    OSTOR_TRY(check_may_commit(*impl_));
    if (size_gib > (std::uint64_t{1} << 33)) return Error(Errc::InvalidArgument, "quota too large (at most 8 EiB)");
    auto stored = impl_->settings->set_quota(target, size_gib);
    impl_->notifier->changed(ChangeKind::Quotas, subject_of(target));
    return stored;
}

Result<void> Engine::remove_quota(const QuotaTarget& target) {
    OSTOR_TRY(check_may_commit(*impl_));
    auto removed = impl_->settings->remove_quota(target);
    impl_->notifier->changed(ChangeKind::Quotas, subject_of(target));
    return removed;
}

Result<UserUsage> Engine::get_user_usage(std::string_view user_id) { return impl_->objects->get_user_usage(user_id); }

}  // namespace ostor
