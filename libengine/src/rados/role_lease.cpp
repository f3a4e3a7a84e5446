// Roles on a RADOS volume (Engine::take_role, role_state, swap_role_state):
// the hold is a RADOS lock with a duration on role.<name> in the meta pool,
// as the blob collector's is, and the state record the omap key `state` of
// role.<name>.state, replaced under a compare.
#include <chrono>

#include "lifecycle/lifecycle_rules.hpp"
#include "rados/boot_clock.hpp"
#include "rados/errors.hpp"
#include "rados/leases.hpp"
#include "rados/settings_catalog.hpp"
#include "rados/space_ledger.hpp"
#include "rados/write_op.hpp"

namespace ostor::detail::rados {

namespace {

constexpr std::string_view kRoleLockName = "ostor.role";
constexpr std::string_view kRoleStateKey = "state";
constexpr auto kRoleLease = std::chrono::milliseconds(kRoleLeaseMs);
// Renewed once a quarter of the hold has passed; lost once a renewal failed
// or three quarters passed without one, so that the holder stops a quarter
// before another process could take the role (clock skew and a step in
// flight fit in that quarter).
constexpr auto kRenewAfter = kRoleLease / 4;
constexpr auto kStopAfter = kRoleLease * 3 / 4;

// The lifecycle worker, the "lifecycle" role's holder, evaluates with the
// volume's clock margin (lifecycle_rules.hpp).
static_assert(kLifecycleSharedClockMarginMs == kMaxClockSkew.count());

std::string role_oid(std::string_view name) { return "role." + std::string(name); }
std::string role_state_oid(std::string_view name) { return "role." + std::string(name) + ".state"; }

}  // namespace

class RadosRoleLease final : public RoleLease {
public:
    RadosRoleLease(RadosLeases& leases, Client& client, std::string oid, std::string cookie,
                   BootClock::time_point taken)
        : leases_(leases), client_(client), oid_(std::move(oid)), cookie_(std::move(cookie)), renewed_(taken) {}
    ~RadosRoleLease() override {
        if (!lost_) (void)client_.unlock(Pool::Meta, oid_, std::string(kRoleLockName), cookie_);
        std::lock_guard lock(leases_.roles_mu_);
        leases_.roles_held_.erase(oid_);
    }
    RadosRoleLease(const RadosRoleLease&) = delete;
    RadosRoleLease& operator=(const RadosRoleLease&) = delete;

    bool lost() override {
        if (lost_) return true;
        const auto now = BootClock::now();
        if (now - renewed_ >= kStopAfter) return lost_ = true;
        if (now - renewed_ < kRenewAfter) return false;
        // Counted from before the renewal was sent: the hold lasts from then.
        if (!client_.renew_lock(Pool::Meta, oid_, std::string(kRoleLockName), cookie_, kRoleLease)) return lost_ = true;
        renewed_ = now;
        return false;
    }

private:
    RadosLeases& leases_;
    Client& client_;
    const std::string oid_;
    const std::string cookie_;
    BootClock::time_point renewed_;
    bool lost_ = false;
};

Result<std::unique_ptr<RoleLease>> RadosLeases::take_role(std::string_view name) {
    if (!may_commit()) return std::unique_ptr<RoleLease>();  // this instance is on its way out
    const std::string oid = role_oid(name);
    {
        std::lock_guard lock(roles_mu_);
        if (!roles_held_.insert(oid).second) return std::unique_ptr<RoleLease>();
    }
    const auto taken = BootClock::now();
    auto locked = client_.lock_exclusive(Pool::Meta, oid, std::string(kRoleLockName), instance_id_, kRoleLease);
    if (!locked) {
        std::lock_guard lock(roles_mu_);
        roles_held_.erase(oid);
        if (locked.error().code() == kLockHeld) return std::unique_ptr<RoleLease>();
        return std::move(locked).error();
    }
    return std::unique_ptr<RoleLease>(std::make_unique<RadosRoleLease>(*this, client_, oid, instance_id_, taken));
}

Result<std::optional<std::string>> RadosSettingsCatalog::role_state(std::string_view name) {
    auto got = client_.omap_get(Pool::Meta, role_state_oid(name), {std::string(kRoleStateKey)});
    if (!got && got.error().code() == kNotFound) return std::optional<std::string>();
    if (!got) return std::move(got).error();
    auto it = got->find(std::string(kRoleStateKey));
    if (it == got->end()) return std::optional<std::string>();
    return std::optional<std::string>(std::move(it->second));
}

Result<void> RadosSettingsCatalog::swap_role_state(std::string_view name, const std::optional<std::string>& expected,
                                                   std::string value) {
    WriteOp op;
    // No record yet: the object is made with it, so a second first write fails.
    if (expected)
        op.compare_omap(std::string(kRoleStateKey), Compare::Eq, *expected);
    else
        op.create_exclusive();
    op.omap_set(std::string(kRoleStateKey), std::move(value));
    auto written = client_.apply(Pool::Meta, role_state_oid(name), op);
    if (!written && (written.error().code() == kCompareFailed || written.error().code() == kNotFound))
        return Error(Errc::PreconditionFailed, "the state of role " + std::string(name) + " changed");
    return written;
}

}  // namespace ostor::detail::rados
