// The RADOS backend's IdentityCatalog: users, their email index, access keys
// and accounts in the meta pool (records_layout.hpp). Everything about one
// user is one object, user.<id>, so that each change of a user is one
// guarded write on it: atomic, durable on the replicas when it returns, and
// seen at once by every client of the cluster. Only create_user and
// delete_user span objects (the email claim and the user index); the order
// of their steps is chosen so that a crash between two leaves nothing
// half-visible (identity_catalog.cpp says how).
//
// Thread-safe: it holds no state but the Client, which is.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "rados/client.hpp"
#include "storage/catalog.hpp"

namespace ostor::detail::rados {

class RadosIdentityCatalog final : public IdentityCatalog {
public:
    // Why a user's buckets (of one account, when given) keep it, naming the
    // first bucket whose lock summary does (lock_summary_reason), empty when
    // none does.
    using LockedBucketReason =
        std::function<std::string(std::string_view user_id, std::optional<std::string_view> account)>;
    // `client` must outlive the catalog. `locked_bucket_reason` (none: the
    // refusal names no lock) adds to delete_user's and delete_account's
    // refusals, as locally.
    explicit RadosIdentityCatalog(Client& client, LockedBucketReason locked_bucket_reason = {})
        : client_(client), locked_bucket_reason_(std::move(locked_bucket_reason)) {}

    Result<UserCreated> create_user(std::string_view email, bool system, bool with_key) override;
    Result<User> get_user(std::string_view user_id) override;
    Result<User> get_user_by_email(std::string_view email) override;
    // Also removes index entries of users that are gone (older than
    // kStaleIndexEntryMs, so that a create in progress keeps its own).
    Result<std::vector<User>> list_users() override;
    Result<User> set_user_state(std::string_view user_id, UserState state) override;
    Result<void> delete_user(std::string_view user_id) override;

    Result<KeyPair> generate_key(std::string_view user_id, std::string_view account) override;
    Result<void> revoke_key(std::string_view user_id, std::string_view access_key_id,
                            std::optional<std::string_view> account) override;
    Result<KeyPair> lookup_key(std::string_view access_key_id) override;
    Result<std::vector<KeyPair>> list_keys(std::string_view user_id, std::string_view account) override;

    Result<AccountCreated> create_account(std::string_view user_id, std::string_view name, bool with_key) override;
    Result<Account> get_account(std::string_view user_id, std::string_view name) override;
    Result<std::vector<Account>> list_accounts(std::string_view user_id) override;
    Result<void> delete_account(std::string_view user_id, std::string_view name) override;

private:
    Result<void> claim_email(const std::string& lowercase_email, const std::string& user_id);

    Client& client_;
    LockedBucketReason locked_bucket_reason_;
};

}  // namespace ostor::detail::rados
