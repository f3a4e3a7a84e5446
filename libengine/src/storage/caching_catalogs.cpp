#include "storage/caching_catalogs.hpp"

#include <string>

namespace ostor::detail {

namespace {

// Subscribes `erase` to the notifier's announcements for as long as `caches`
// lives (the subscription holds it weakly).
template <class Caches>
void subscribe_weakly(Notifier& notifier, const std::shared_ptr<Caches>& caches) {
    notifier.subscribe([weak = std::weak_ptr<Caches>(caches)](ChangeKind kind, std::string_view subject) {
        if (auto c = weak.lock()) c->erase(kind, subject);
    });
}

// "u/<id>" -> "<id>"; "" for another subject.
std::string_view user_of(std::string_view subject) {
    constexpr std::string_view kUserPrefix = "u/";
    return subject.starts_with(kUserPrefix) ? subject.substr(kUserPrefix.size()) : std::string_view();
}

// A quota target's cache key.
std::string quota_key(const QuotaTarget& target) { return subject_of(target); }

}  // namespace

// ---- Identity -------------------------------------------------------------

struct CachingIdentityCatalog::Caches {
    explicit Caches(const Notifier& n) : users(n), keys(n) {}
    ReadCache<User> users;    // by user id
    ReadCache<KeyPair> keys;  // by access key id (which begins with its user's id)

    void erase_user(std::string_view user_id) {
        if (user_id.empty()) return;
        users.erase(user_id);
        keys.erase_prefix(user_id);
    }
    void erase(ChangeKind kind, std::string_view subject) {
        switch (kind) {
            case ChangeKind::UserState:
            case ChangeKind::Keys:
                erase_user(user_of(subject));
                break;
            case ChangeKind::All:
                users.clear();
                keys.clear();
                break;
            default:
                break;
        }
    }
};

CachingIdentityCatalog::CachingIdentityCatalog(std::unique_ptr<IdentityCatalog> inner, Notifier& notifier)
    : inner_(std::move(inner)), caches_(std::make_shared<Caches>(notifier)) {
    subscribe_weakly(notifier, caches_);
}

Result<User> CachingIdentityCatalog::get_user(std::string_view user_id) {
    return caches_->users.get_or_read(std::string(user_id), [&] { return inner_->get_user(user_id); });
}

Result<KeyPair> CachingIdentityCatalog::lookup_key(std::string_view access_key_id) {
    return caches_->keys.get_or_read(std::string(access_key_id), [&] { return inner_->lookup_key(access_key_id); });
}

Result<User> CachingIdentityCatalog::set_user_state(std::string_view user_id, UserState state) {
    auto r = inner_->set_user_state(user_id, state);
    caches_->erase_user(user_id);
    return r;
}

Result<void> CachingIdentityCatalog::delete_user(std::string_view user_id) {
    auto r = inner_->delete_user(user_id);
    caches_->erase_user(user_id);
    return r;
}

Result<void> CachingIdentityCatalog::revoke_key(std::string_view user_id, std::string_view access_key_id,
                                                std::optional<std::string_view> account) {
    auto r = inner_->revoke_key(user_id, access_key_id, account);
    caches_->erase_user(user_id);
    return r;
}

Result<void> CachingIdentityCatalog::delete_account(std::string_view user_id, std::string_view name) {
    auto r = inner_->delete_account(user_id, name);
    caches_->erase_user(user_id);
    return r;
}

// ---- Settings -------------------------------------------------------------

struct CachingSettingsCatalog::Caches {
    explicit Caches(const Notifier& n) : limits(n), quotas(n), effective_quotas(n) {}
    ReadCache<Limits> limits;                        // by subject_of(target)
    ReadCache<std::optional<std::uint64_t>> quotas;  // by quota_key(target)
    ReadCache<std::uint64_t> effective_quotas;       // by quota_key(target)

    void erase_quotas() {
        quotas.clear();
        effective_quotas.clear();
    }
    void erase(ChangeKind kind, std::string_view subject) {
        switch (kind) {
            case ChangeKind::Limits:
                limits.erase(subject);
                break;
            case ChangeKind::Quotas:
                erase_quotas();
                break;
            case ChangeKind::All:
                limits.clear();
                erase_quotas();
                break;
            default:
                break;
        }
    }
};

CachingSettingsCatalog::CachingSettingsCatalog(std::unique_ptr<SettingsCatalog> inner, Notifier& notifier)
    : inner_(std::move(inner)), caches_(std::make_shared<Caches>(notifier)) {
    subscribe_weakly(notifier, caches_);
}

Result<Limits> CachingSettingsCatalog::get_limits(const LimitTarget& target) {
    return caches_->limits.get_or_read(subject_of(target), [&] { return inner_->get_limits(target); });
}

Result<Limits> CachingSettingsCatalog::update_limits(const LimitTarget& target,
                                                     const std::function<Result<void>(Limits&)>& change) {
    auto r = inner_->update_limits(target, change);
    caches_->limits.erase(subject_of(target));
    return r;
}

Result<void> CachingSettingsCatalog::remove_limits(const LimitTarget& target) {
    auto r = inner_->remove_limits(target);
    caches_->limits.erase(subject_of(target));
    return r;
}

Result<std::optional<std::uint64_t>> CachingSettingsCatalog::get_quota(const QuotaTarget& target) {
    return caches_->quotas.get_or_read(quota_key(target), [&] { return inner_->get_quota(target); });
}

Result<std::uint64_t> CachingSettingsCatalog::effective_quota(const QuotaTarget& target) {
    return caches_->effective_quotas.get_or_read(quota_key(target), [&] { return inner_->effective_quota(target); });
}

Result<void> CachingSettingsCatalog::set_quota(const QuotaTarget& target, std::uint64_t size_gib) {
    auto r = inner_->set_quota(target, size_gib);
    caches_->erase_quotas();
    return r;
}

Result<void> CachingSettingsCatalog::remove_quota(const QuotaTarget& target) {
    auto r = inner_->remove_quota(target);
    caches_->erase_quotas();
    return r;
}

}  // namespace ostor::detail
