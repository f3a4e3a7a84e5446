// The identity and settings catalogs with the reads of every request cached:
// an S3 request looks up its access key, its user (state) and the user's and
// bucket's limits, and a write its quotas. On a backend where each of those
// is a network round trip (RADOS) they cost more than the request's own
// work; here they come from memory.
//
// Kept true by the Notifier (storage/read_cache.hpp): the engine announces
// every change of keys, user state, limits and quotas once it committed, and
// every process's subscriber erases what it touched before the changing call
// returns. The catalogs' own changes through these decorators also erase at
// once, for this process's later calls. With a notifier that cannot serve
// caches (the local backend's), every call reads the catalog, as without
// them.
//
// What is cached: get_user and lookup_key (erased by UserState and Keys of
// the user: key ids begin with their user's id; lookup_key_owner is left to
// the default, these two cached calls: forwarding it to the inner catalog
// would skip both caches), get_limits (by Limits of
// the target), get_quota and effective_quota (every Quotas change erases
// them all: the defaults enter every effective quota). Only successful reads
// are cached; everything else is passed through.
#pragma once

#include <memory>

#include "storage/catalog.hpp"
#include "storage/notifier.hpp"
#include "storage/read_cache.hpp"

namespace ostor::detail {

class CachingIdentityCatalog final : public IdentityCatalog {
public:
    // `notifier` must outlive the catalog.
    CachingIdentityCatalog(std::unique_ptr<IdentityCatalog> inner, Notifier& notifier);

    Result<UserCreated> create_user(std::string_view email, bool system, bool with_key) override {
        return inner_->create_user(email, system, with_key);
    }
    Result<User> get_user(std::string_view user_id) override;
    Result<User> get_user_by_email(std::string_view email) override { return inner_->get_user_by_email(email); }
    Result<std::vector<User>> list_users() override { return inner_->list_users(); }
    Result<User> set_user_state(std::string_view user_id, UserState state) override;
    Result<void> delete_user(std::string_view user_id) override;

    Result<KeyPair> generate_key(std::string_view user_id, std::string_view account) override {
        return inner_->generate_key(user_id, account);
    }
    Result<void> revoke_key(std::string_view user_id, std::string_view access_key_id,
                            std::optional<std::string_view> account) override;
    Result<KeyPair> lookup_key(std::string_view access_key_id) override;
    Result<std::vector<KeyPair>> list_keys(std::string_view user_id, std::string_view account) override {
        return inner_->list_keys(user_id, account);
    }

    Result<AccountCreated> create_account(std::string_view user_id, std::string_view name, bool with_key) override {
        return inner_->create_account(user_id, name, with_key);
    }
    Result<Account> get_account(std::string_view user_id, std::string_view name) override {
        return inner_->get_account(user_id, name);
    }
    Result<std::vector<Account>> list_accounts(std::string_view user_id) override {
        return inner_->list_accounts(user_id);
    }
    Result<void> delete_account(std::string_view user_id, std::string_view name) override;

private:
    struct Caches;
    std::unique_ptr<IdentityCatalog> inner_;
    // Shared with the notifier's subscription, which holds it weakly: an
    // announcement arriving while this catalog is destroyed finds nothing.
    std::shared_ptr<Caches> caches_;
};

class CachingSettingsCatalog final : public SettingsCatalog {
public:
    // `notifier` must outlive the catalog.
    CachingSettingsCatalog(std::unique_ptr<SettingsCatalog> inner, Notifier& notifier);

    Result<Limits> get_limits(const LimitTarget& target) override;
    Result<Limits> update_limits(const LimitTarget& target,
                                 const std::function<Result<void>(Limits&)>& change) override;
    Result<void> remove_limits(const LimitTarget& target) override;

    Result<std::optional<std::uint64_t>> get_quota(const QuotaTarget& target) override;
    Result<std::uint64_t> effective_quota(const QuotaTarget& target) override;
    Result<void> set_quota(const QuotaTarget& target, std::uint64_t size_gib) override;
    Result<void> remove_quota(const QuotaTarget& target) override;

    Result<void> put_usage_object(std::string_view name, std::string_view content) override {
        return inner_->put_usage_object(name, content);
    }
    Result<UsageObjectList> list_usage_objects(std::string_view after, std::uint32_t max_items) override {
        return inner_->list_usage_objects(after, max_items);
    }
    Result<std::string> get_usage_object(std::string_view name) override { return inner_->get_usage_object(name); }
    Result<void> delete_usage_object(std::string_view name) override { return inner_->delete_usage_object(name); }

    Result<void> add_billing_totals(const std::vector<BillingDelta>& deltas) override {
        return inner_->add_billing_totals(deltas);
    }
    Result<BillingCounters> billing_totals(std::string_view user_id, std::optional<std::string_view> account) override {
        return inner_->billing_totals(user_id, account);
    }
    Result<std::vector<BillingDelta>> list_billing_totals() override { return inner_->list_billing_totals(); }
    // Never cached: a role's record changes under other processes.
    Result<std::optional<std::string>> role_state(std::string_view name) override { return inner_->role_state(name); }
    Result<void> swap_role_state(std::string_view name, const std::optional<std::string>& expected,
                                 std::string value) override {
        return inner_->swap_role_state(name, expected, std::move(value));
    }

private:
    struct Caches;
    std::unique_ptr<SettingsCatalog> inner_;
    std::shared_ptr<Caches> caches_;  // as CachingIdentityCatalog's
};

}  // namespace ostor::detail
