// The local backend's IdentityCatalog: users, their email index, access
// keys and accounts in LMDB tables. Each read runs on one snapshot, each
// change as one CommitQueue change (one nested LMDB transaction), so every
// call is atomic and durable when it returns, for every process sharing the
// environment. Thread-safe as the Env and CommitQueue are.
#pragma once

#include "local/commit_queue.hpp"
#include "local/lmdb_env.hpp"
#include "storage/catalog.hpp"

namespace ostor::detail {

class LocalIdentityCatalog final : public IdentityCatalog {
public:
    // Both must outlive the catalog.
    LocalIdentityCatalog(const Env& env, CommitQueue& commits) : env_(env), commits_(commits) {}

    Result<UserCreated> create_user(std::string_view email, bool system, bool with_key) override;
    Result<User> get_user(std::string_view user_id) override;
    Result<User> get_user_by_email(std::string_view email) override;
    Result<std::vector<User>> list_users() override;
    Result<User> set_user_state(std::string_view user_id, UserState state) override;
    Result<void> delete_user(std::string_view user_id) override;

    Result<KeyPair> generate_key(std::string_view user_id, std::string_view account) override;
    Result<void> revoke_key(std::string_view user_id, std::string_view access_key_id,
                            std::optional<std::string_view> account) override;
    Result<KeyPair> lookup_key(std::string_view access_key_id) override;
    Result<KeyOwner> lookup_key_owner(std::string_view access_key_id) override;
    Result<std::vector<KeyPair>> list_keys(std::string_view user_id, std::string_view account) override;

    Result<AccountCreated> create_account(std::string_view user_id, std::string_view name, bool with_key) override;
    Result<Account> get_account(std::string_view user_id, std::string_view name) override;
    Result<std::vector<Account>> list_accounts(std::string_view user_id) override;
    Result<void> delete_account(std::string_view user_id, std::string_view name) override;

private:
    const Env& env_;
    CommitQueue& commits_;
};

}  // namespace ostor::detail
