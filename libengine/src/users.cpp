// Users, their access key pairs and their accounts: the engine's calls check
// their arguments' form, the IdentityCatalog does the rest; and the rules of
// access key pairs (access_keys.hpp) every backend follows.
#include <algorithm>

#include "access_keys.hpp"
#include "engine_impl.hpp"
#include "hashing.hpp"
#include "ostor/names.hpp"

namespace ostor {

using namespace detail;

namespace detail {

namespace {

constexpr std::string_view kKeySuffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::size_t kKeySuffixLength = 4;
constexpr std::string_view kSecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kSecretLength = 40;

}  // namespace

Result<KeyPair> new_key_pair(std::string_view user_id, std::string_view account, const std::vector<KeyPair>& existing,
                             const std::function<bool(std::string_view)>& id_taken) {
    if (existing.size() >= kMaxKeysPerIdentity)
        return Error(Errc::TooManyAccessKeys,
                     account.empty() ? "user " + std::string(user_id) + " already has 2 access key pairs"
                                     : "account " + std::string(account) + " already has 2 access key pairs");
    KeyPair key;
    do {
        key.access_key_id = std::string(user_id) + random_string(kKeySuffixAlphabet, kKeySuffixLength);
    } while (id_taken(key.access_key_id));
    key.secret = random_string(kSecretAlphabet, kSecretLength);
    key.user_id = user_id;
    key.account = account;
    // Strictly after the older pair, so "oldest first" is well defined.
    key.created_ms = now_ms();
    for (auto& k : existing) key.created_ms = std::max(key.created_ms, k.created_ms + 1);
    return key;
}

void sort_keys_oldest_first(std::vector<KeyPair>& keys) {
    std::sort(keys.begin(), keys.end(), [](const KeyPair& a, const KeyPair& b) { return a.created_ms < b.created_ms; });
}

}  // namespace detail

Result<UserCreated> Engine::create_user(std::string_view email, bool system, bool with_key) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(validate_email(email));
    auto created = impl_->identities->create_user(email, system, with_key);
    // A process may have cached that the new key id does not exist.
    if (created && created->key) impl_->notifier->changed(ChangeKind::Keys, user_subject(created->user.id));
    return created;
}

Result<User> Engine::get_user(std::string_view user_id) { return impl_->identities->get_user(user_id); }

Result<User> Engine::get_user_by_email(std::string_view email) { return impl_->identities->get_user_by_email(email); }

Result<std::vector<User>> Engine::list_users() { return impl_->identities->list_users(); }

Result<User> Engine::set_user_state(std::string_view user_id, UserState state) {
    OSTOR_TRY(check_may_commit(*impl_));
    auto user = impl_->identities->set_user_state(user_id, state);
    impl_->notifier->changed(ChangeKind::UserState, user_subject(user_id));  // whatever it returned: it may have landed
    return user;
}

Result<void> Engine::delete_user(std::string_view user_id) {
    OSTOR_TRY(check_may_commit(*impl_));
    auto deleted = impl_->identities->delete_user(user_id);
    {  // with its keys, limits and quota; whatever it returned: it may have landed
        const std::string subject = user_subject(user_id);
        impl_->notifier->changed({{ChangeKind::UserState, subject},
                                  {ChangeKind::Keys, subject},
                                  {ChangeKind::Limits, subject},
                                  {ChangeKind::Quotas, subject}});
    }
    return deleted;
}

Result<KeyPair> Engine::generate_key(std::string_view user_id, std::string_view account) {
    OSTOR_TRY(check_may_commit(*impl_));
    auto key = impl_->identities->generate_key(user_id, account);
    impl_->notifier->changed(ChangeKind::Keys, user_subject(user_id));
    return key;
}

Result<void> Engine::revoke_key(std::string_view user_id, std::string_view access_key_id,
                                std::optional<std::string_view> account) {
    OSTOR_TRY(check_may_commit(*impl_));
    auto revoked = impl_->identities->revoke_key(user_id, access_key_id, account);
    impl_->notifier->changed(ChangeKind::Keys, user_subject(user_id));  // whatever it returned: it may have landed
    return revoked;
}

Result<KeyPair> Engine::lookup_key(std::string_view access_key_id) {
    return impl_->identities->lookup_key(access_key_id);
}

Result<KeyOwner> Engine::lookup_key_owner(std::string_view access_key_id) {
    return impl_->identities->lookup_key_owner(access_key_id);
}

Result<std::vector<KeyPair>> Engine::list_keys(std::string_view user_id, std::string_view account) {
    return impl_->identities->list_keys(user_id, account);
}

Result<AccountCreated> Engine::create_account(std::string_view user_id, std::string_view name, bool with_key) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(validate_account_name(name));
    auto created = impl_->identities->create_account(user_id, name, with_key);
    if (created && created->key) impl_->notifier->changed(ChangeKind::Keys, user_subject(user_id));
    return created;
}

Result<Account> Engine::get_account(std::string_view user_id, std::string_view name) {
    return impl_->identities->get_account(user_id, name);
}

Result<std::vector<Account>> Engine::list_accounts(std::string_view user_id) {
    return impl_->identities->list_accounts(user_id);
}

Result<void> Engine::delete_account(std::string_view user_id, std::string_view name) {
    OSTOR_TRY(check_may_commit(*impl_));
    auto deleted = impl_->identities->delete_account(user_id, name);
    impl_->notifier->changed(ChangeKind::Keys, user_subject(user_id));  // whatever it returned: it may have landed
    return deleted;
}

}  // namespace ostor
