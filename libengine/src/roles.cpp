// Roles: background work one process of the volume does at a time, with a
// state record that outlives its holder (engine.hpp, "Roles").
#include <algorithm>

#include "engine_impl.hpp"

namespace ostor {

namespace {

constexpr std::size_t kMaxRoleNameBytes = 64;

// Names become file and object names: a short [a-z0-9-] word.
Result<void> check_role_name(std::string_view name) {
    const bool ok = !name.empty() && name.size() <= kMaxRoleNameBytes && std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!ok) return Error(Errc::InvalidArgument, "a role name is 1 to 64 of a-z, 0-9 and -");
    return {};
}

}  // namespace

Result<std::unique_ptr<RoleLease>> Engine::take_role(std::string_view name) {
    OSTOR_TRY(check_role_name(name));
    return impl_->leases->take_role(name);
}

Result<std::optional<std::string>> Engine::role_state(std::string_view name) {
    OSTOR_TRY(check_role_name(name));
    return impl_->settings->role_state(name);
}

Result<void> Engine::swap_role_state(std::string_view name, const std::optional<std::string>& expected,
                                     std::string value) {
    OSTOR_TRY(check_role_name(name));
    if (value.size() > kMaxRoleStateBytes) return Error(Errc::InvalidArgument, "a role's state record is too long");
    OSTOR_TRY(detail::check_may_commit(*impl_));
    return impl_->settings->swap_role_state(name, expected, std::move(value));
}

}  // namespace ostor
