// Users, their access key pairs and their accounts in the local metadata
// store.
#include "local/identity_catalog.hpp"

#include "access_keys.hpp"
#include "engine_impl.hpp"
#include "hashing.hpp"
#include "local/read_snapshot.hpp"
#include "local/tables.hpp"
#include "versions/object_lock.hpp"

namespace ostor::detail {

namespace {

// Keys of the user (account empty) or of one account; key ids start with the
// user id, so one range scan finds them.
std::vector<KeyPair> keys_of(const Txn& txn, std::string_view user_id, std::string_view account) {
    std::vector<KeyPair> out;
    auto cur = txn.cursor(Table::Keys);
    for (auto e = cur.seek(user_id); e && e->first.substr(0, user_id.size()) == user_id; e = cur.next()) {
        auto k = decode_key(e->second);
        if (k && k->user_id == user_id && k->account == account) out.push_back(std::move(*k));
    }
    sort_keys_oldest_first(out);
    return out;
}

Result<KeyPair> add_key(Txn& txn, std::string_view user_id, std::string_view account) {
    auto key = new_key_pair(user_id, account, keys_of(txn, user_id, account),
                            [&](std::string_view id) { return txn.get(Table::Keys, id).has_value(); });
    if (!key) return key;
    txn.put(Table::Keys, key->access_key_id, encode(*key));
    return key;
}

bool owns_buckets(const Txn& txn, std::string_view user_id, std::optional<std::string_view> account) {
    auto cur = txn.cursor(Table::Buckets);
    for (auto e = cur.first(); e; e = cur.next()) {
        auto b = decode_bucket(e->second);
        if (b && b->owner_id == user_id && (!account || b->account == *account)) return true;
    }
    return false;
}

// The first of the user's buckets (of `account` only, when given) whose lock
// summary keeps it (and so the user or account), as the refusal names it;
// empty when none does.
std::string locked_bucket_reason(const Txn& txn, std::string_view user_id, std::optional<std::string_view> account) {
    auto cur = txn.cursor(Table::Buckets);
    for (auto e = cur.first(); e; e = cur.next()) {
        auto b = decode_bucket(e->second);
        if (!b || b->owner_id != user_id || (account && b->account != *account)) continue;
        if (auto reason = lock_summary_reason(*b, now_ms()); !reason.empty()) return reason;
    }
    return {};
}

}  // namespace

Result<User> load_user(const Txn& txn, std::string_view user_id) {
    if (user_id.empty()) return Error(Errc::NoSuchUser, "no user id given");
    auto v = txn.get(Table::Users, user_id);
    if (!v) return Error(Errc::NoSuchUser, "user " + std::string(user_id) + " does not exist");
    auto u = decode_user(*v);
    if (!u) return Error(Errc::Internal, "damaged user record " + std::string(user_id));
    return std::move(*u);
}

std::string account_key(std::string_view user_id, std::string_view name) {
    return std::string(user_id) + "/" + std::string(name);
}

Result<Account> load_account(const Txn& txn, std::string_view user_id, std::string_view name) {
    if (name.empty()) return Error(Errc::NoSuchAccount, "no account name given");
    auto v = txn.get(Table::Accounts, account_key(user_id, name));
    if (!v) return Error(Errc::NoSuchAccount, "account " + std::string(name) + " does not exist");
    auto a = decode_account(*v);
    if (!a) return Error(Errc::Internal, "damaged account record");
    return std::move(*a);
}

// ---- Users -----------------------------------------------------------------

Result<UserCreated> LocalIdentityCatalog::create_user(std::string_view email, bool system, bool with_key) {
    return commits_.run_value<UserCreated>([&](Txn& txn) -> Result<UserCreated> {
        auto email_key = lowercase(email);
        if (txn.get(Table::UsersByEmail, email_key))
            return Error(Errc::UserAlreadyExists, "a user with email " + std::string(email) + " already exists");
        UserCreated out;
        do {
            out.user.id = random_hex16();
        } while (txn.get(Table::Users, out.user.id));
        out.user.email = email;
        out.user.system = system;
        out.user.created_ms = now_ms();
        txn.put(Table::Users, out.user.id, encode(out.user));
        txn.put(Table::UsersByEmail, email_key, out.user.id);
        if (with_key) {
            auto key = add_key(txn, out.user.id, {});
            if (!key) return std::move(key).error();
            out.key = std::move(*key);
        }
        return out;
    });
}

Result<User> LocalIdentityCatalog::get_user(std::string_view user_id) {
    return read_snapshot(env_, [&](const Txn& txn) { return load_user(txn, user_id); });
}

Result<User> LocalIdentityCatalog::get_user_by_email(std::string_view email) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<User> {
        if (email.empty()) return Error(Errc::NoSuchUser, "no email given");
        auto id = txn.get(Table::UsersByEmail, lowercase(email));
        if (!id) return Error(Errc::NoSuchUser, "no user with email " + std::string(email));
        return load_user(txn, *id);
    });
}

Result<std::vector<User>> LocalIdentityCatalog::list_users() {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<std::vector<User>> {
        std::vector<User> out;
        auto cur = txn.cursor(Table::Users);
        for (auto e = cur.first(); e; e = cur.next())
            if (auto u = decode_user(e->second)) out.push_back(std::move(*u));
        return out;
    });
}

Result<User> LocalIdentityCatalog::set_user_state(std::string_view user_id, UserState state) {
    return commits_.run_value<User>([&](Txn& txn) -> Result<User> {
        auto user = load_user(txn, user_id);
        if (!user) return user;
        user->state = state;
        txn.put(Table::Users, user->id, encode(*user));
        return user;
    });
}

Result<void> LocalIdentityCatalog::delete_user(std::string_view user_id) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        auto user = load_user(txn, user_id);
        if (!user) return std::move(user).error();
        if (owns_buckets(txn, user->id, std::nullopt)) {
            const std::string locked = locked_bucket_reason(txn, user->id, std::nullopt);
            return Error(Errc::UserHasBuckets,
                         "user " + user->id + " owns buckets; delete them first" + lock_reason_suffix(locked));
        }
        // Keys of the user and of all its accounts share the id prefix.
        std::vector<std::string> doomed;
        auto keys = txn.cursor(Table::Keys);
        for (auto e = keys.seek(user->id); e && e->first.substr(0, 16) == user->id; e = keys.next())
            doomed.emplace_back(e->first);
        for (auto& k : doomed) txn.del(Table::Keys, k);
        doomed.clear();
        auto prefix = user->id + "/";
        auto accounts = txn.cursor(Table::Accounts);
        for (auto e = accounts.seek(prefix); e && e->first.substr(0, prefix.size()) == prefix; e = accounts.next())
            doomed.emplace_back(e->first);
        for (auto& k : doomed) txn.del(Table::Accounts, k);
        txn.del(Table::UsersByEmail, lowercase(user->email));
        txn.del(Table::Users, user->id);
        txn.del(Table::Limits, limits_key(LimitTarget::user(user->id)));
        txn.del(Table::Quotas, quota_key(QuotaTarget::user(user->id)));
        txn.del(Table::UserUsage, user->id);
        return {};
    });
}

// ---- Access keys -----------------------------------------------------------

Result<KeyPair> LocalIdentityCatalog::generate_key(std::string_view user_id, std::string_view account) {
    return commits_.run_value<KeyPair>([&](Txn& txn) -> Result<KeyPair> {
        auto user = load_user(txn, user_id);
        if (!user) return std::move(user).error();
        if (!account.empty()) {
            auto acc = load_account(txn, user_id, account);
            if (!acc) return std::move(acc).error();
        }
        return add_key(txn, user_id, account);
    });
}

Result<void> LocalIdentityCatalog::revoke_key(std::string_view user_id, std::string_view access_key_id,
                                              std::optional<std::string_view> account) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        auto user = load_user(txn, user_id);
        if (!user) return std::move(user).error();
        if (account && !account->empty()) {
            auto acc = load_account(txn, user_id, *account);
            if (!acc) return std::move(acc).error();
        }
        auto no_such = Error(Errc::NoSuchAccessKey,
                             "user " + std::string(user_id) + " has no access key " + std::string(access_key_id));
        if (access_key_id.empty()) return no_such;
        auto v = txn.get(Table::Keys, access_key_id);
        if (!v) return no_such;
        auto key = decode_key(*v);
        if (!key || key->user_id != user_id || (account && key->account != *account)) return no_such;
        txn.del(Table::Keys, access_key_id);
        return {};
    });
}

namespace {

Result<KeyPair> load_key(const Txn& txn, std::string_view access_key_id) {
    auto no_such = [&] {
        return Error(Errc::NoSuchAccessKey, "access key " + std::string(access_key_id) + " does not exist");
    };
    if (access_key_id.empty()) return no_such();
    auto v = txn.get(Table::Keys, access_key_id);
    if (!v) return no_such();
    auto key = decode_key(*v);
    if (!key) return Error(Errc::Internal, "damaged key record");
    return std::move(*key);
}

}  // namespace

Result<KeyPair> LocalIdentityCatalog::lookup_key(std::string_view access_key_id) {
    return read_snapshot(env_, [&](const Txn& txn) { return load_key(txn, access_key_id); });
}

Result<KeyOwner> LocalIdentityCatalog::lookup_key_owner(std::string_view access_key_id) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<KeyOwner> {
        auto key = load_key(txn, access_key_id);
        if (!key) return std::move(key).error();
        auto user = load_user(txn, key->user_id);
        if (!user) return std::move(user).error();
        return KeyOwner{std::move(*key), std::move(*user)};
    });
}

Result<std::vector<KeyPair>> LocalIdentityCatalog::list_keys(std::string_view user_id, std::string_view account) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<std::vector<KeyPair>> {
        auto user = load_user(txn, user_id);
        if (!user) return std::move(user).error();
        if (!account.empty()) {
            auto acc = load_account(txn, user_id, account);
            if (!acc) return std::move(acc).error();
        }
        return keys_of(txn, user_id, account);
    });
}

// ---- Accounts --------------------------------------------------------------

Result<AccountCreated> LocalIdentityCatalog::create_account(std::string_view user_id, std::string_view name,
                                                            bool with_key) {
    return commits_.run_value<AccountCreated>([&](Txn& txn) -> Result<AccountCreated> {
        auto user = load_user(txn, user_id);
        if (!user) return std::move(user).error();
        auto k = account_key(user_id, name);
        if (txn.get(Table::Accounts, k))
            return Error(Errc::AccountAlreadyExists,
                         "user " + std::string(user_id) + " already has an account " + std::string(name));
        AccountCreated out;
        out.account = Account{std::string(user_id), std::string(name), now_ms()};
        txn.put(Table::Accounts, k, encode(out.account));
        if (with_key) {
            auto key = add_key(txn, user_id, name);
            if (!key) return std::move(key).error();
            out.key = std::move(*key);
        }
        return out;
    });
}

Result<Account> LocalIdentityCatalog::get_account(std::string_view user_id, std::string_view name) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<Account> {
        auto user = load_user(txn, user_id);
        if (!user) return std::move(user).error();
        return load_account(txn, user_id, name);
    });
}

Result<std::vector<Account>> LocalIdentityCatalog::list_accounts(std::string_view user_id) {
    return read_snapshot(env_, [&](const Txn& txn) -> Result<std::vector<Account>> {
        auto user = load_user(txn, user_id);
        if (!user) return std::move(user).error();
        std::vector<Account> out;
        auto prefix = std::string(user_id) + "/";
        auto cur = txn.cursor(Table::Accounts);
        for (auto e = cur.seek(prefix); e && e->first.substr(0, prefix.size()) == prefix; e = cur.next())
            if (auto a = decode_account(e->second)) out.push_back(std::move(*a));
        return out;
    });
}

Result<void> LocalIdentityCatalog::delete_account(std::string_view user_id, std::string_view name) {
    return commits_.run([&](Txn& txn) -> Result<void> {
        auto user = load_user(txn, user_id);
        if (!user) return std::move(user).error();
        auto acc = load_account(txn, user_id, name);
        if (!acc) return std::move(acc).error();
        if (owns_buckets(txn, user_id, name)) {
            const std::string locked = locked_bucket_reason(txn, user_id, name);
            return Error(Errc::AccountHasBuckets, "account " + std::string(name) + " owns buckets; delete them first" +
                                                      lock_reason_suffix(locked));
        }
        for (auto& key : keys_of(txn, user_id, name)) txn.del(Table::Keys, key.access_key_id);
        txn.del(Table::Accounts, account_key(user_id, name));
        return {};
    });
}

}  // namespace ostor::detail
