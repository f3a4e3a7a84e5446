// Users, their access key pairs and their accounts in the RADOS meta pool.
//
// Creating a user spans three objects, in this order:
//   1. email.<lowercase email> created exclusively, omap user = the new id
//      (the claim: what keeps emails unique across gateways);
//   2. the id's entry in the user index users.<shard> (created ms);
//   3. user.<id> created exclusively with its info (and first key): the
//      user exists from this write on.
// Deleting one: user.<id> removed (guarded: no buckets), then the claim if it
// is still this user's, then the index entry.
//
// The rules that make a crash between two steps harmless:
//   - A user exists when user.<id> holds info; get_user_by_email follows the
//     claim and answers NoSuchUser when its user does not exist (a claim
//     left by a crash before step 3 or during a delete).
//   - create_user takes over a claim whose user does not exist: it first
//     burns the old id by creating user.<old id> exclusively as a tombstone
//     (no info), so that a create still in progress between steps 1 and 3
//     fails at step 3 instead of making a second user with the email; then
//     it re-points the claim with a compare on its content (user = old id).
//     Tombstones stay (a few bytes each, only after a crash or a race).
//   - list_users skips index entries whose user does not exist, and removes
//     those older than kStaleIndexEntryMs (younger ones may be a create in
//     progress, between steps 2 and 3; the entry's time is taken right
//     before it is written). Before removing one it burns the id as the
//     email takeover does, so that a create slower than that fails at step
//     3 (IoError) instead of making a user no index lists.
// Hence a user object with info always has the claim of its email and,
// unless it is being deleted, an index entry: nothing is half-visible, and
// no email stays unusable.
#include "rados/identity_catalog.hpp"

#include "access_keys.hpp"
#include "engine_impl.hpp"
#include "hashing.hpp"
#include "rados/catalog_support.hpp"
#include "rados/records_layout.hpp"
#include "rados/user_buckets.hpp"
#include "rados/user_object.hpp"
#include "versions/object_lock.hpp"

namespace ostor::detail::rados {

namespace {

// Longer than any create_user takes between its index entry and its user
// object (a few OSD round trips, each bounded by the OSD request timeout).
constexpr TimestampMs kStaleIndexEntryMs = 10 * 60 * 1000;

// Keys of the user (account empty) or of one account, oldest first.
std::vector<KeyPair> keys_of(const UserObject& u, std::string_view account) {
    std::vector<KeyPair> out;
    for (auto it = u.omap.lower_bound(std::string(kKeyPrefix)); it != u.omap.end() && it->first.starts_with(kKeyPrefix);
         ++it) {
        auto k = decode_key(it->second);
        if (k && k->account == account) out.push_back(std::move(*k));
    }
    sort_keys_oldest_first(out);
    return out;
}

Error no_such_account(std::string_view name) {
    if (name.empty()) return Error(Errc::NoSuchAccount, "no account name given");
    return Error(Errc::NoSuchAccount, "account " + std::string(name) + " does not exist");
}

Result<Account> account_of(const UserObject& u, std::string_view name) {
    if (name.empty()) return no_such_account(name);
    auto v = value_of(u.omap, account_omap_key(name));
    if (v.empty()) return no_such_account(name);
    auto a = decode_account(v);
    if (!a) return Error(Errc::Internal, "damaged account record");
    return std::move(*a);
}

// Adds to `op` a new key of (user, account), guarded so that a concurrent
// generate_key for the same identity (which bumps the same keyseq) or one
// drawing the same id makes the write fail and run again.
Result<KeyPair> add_key(WriteOp& op, const UserObject& u, std::string_view account) {
    auto seq_key = keyseq_key(account);
    auto seq_value = value_of(u.omap, seq_key);
    auto seq = decode_count(seq_value);
    if (!seq) return Error(Errc::Internal, "damaged key count " + seq_key + " of user " + u.user.id);
    auto key = new_key_pair(u.user.id, account, keys_of(u, account),
                            [&](std::string_view id) { return u.omap.contains(key_key(id)); });
    if (!key) return key;
    op.compare_omap(seq_key, Compare::Eq, seq_value)
        .compare_omap(key_key(key->access_key_id), Compare::Eq, "")
        .omap_set(key_key(key->access_key_id), encode(*key))
        .omap_set(seq_key, encode_count(*seq + 1));
    return key;
}

// A write that lost to a concurrent change runs again (nullopt); any other
// outcome is the call's.
template <class T>
std::optional<Result<T>> settle(Result<void> applied, T value) {
    if (applied) return Result<T>(std::move(value));
    if (changed_meanwhile(applied.error())) return std::nullopt;
    return Result<T>(applied.error());
}

std::optional<Result<void>> settle_void(Result<void> applied) {
    if (applied) return Result<void>();
    if (changed_meanwhile(applied.error())) return std::nullopt;
    return applied;
}

// Whether user.<id> holds a live user (info), read anew.
Result<bool> user_exists(Client& client, const std::string& user_id) {
    auto u = read_user_entries(client, user_id, {});
    if (u) return true;
    if (u.error().code() == Errc::NoSuchUser) return false;
    return std::move(u).error();
}

}  // namespace

// ---- Users -----------------------------------------------------------------

Result<void> RadosIdentityCatalog::claim_email(const std::string& lowercase_email, const std::string& user_id) {
    const auto oid = email_oid(lowercase_email);
    auto taken = [&] {
        return Error(Errc::UserAlreadyExists, "a user with email " + lowercase_email + " already exists");
    };
    return retry_on_conflict<void>(oid, [&]() -> std::optional<Result<void>> {
        auto claimed =
            client_.apply(Pool::Meta, oid, WriteOp().create_exclusive().omap_set(std::string(kEmailUserKey), user_id));
        if (claimed) return Result<void>();
        if (claimed.error().code() != kAlreadyExists) return claimed;
        auto holder = client_.omap_get(Pool::Meta, oid, {std::string(kEmailUserKey)});
        if (!holder) {
            if (holder.error().code() == kNotFound) return std::nullopt;  // deleted meanwhile: claim it
            return Result<void>(std::move(holder).error());
        }
        auto old_id = value_of(*holder, kEmailUserKey);
        if (!old_id.empty()) {
            auto exists = user_exists(client_, old_id);
            if (!exists) return Result<void>(std::move(exists).error());
            if (*exists) return Result<void>(taken());
            // A leftover, or a create still between its claim and its user
            // object: burn the id so that the latter fails rather than make a
            // second user with this email.
            auto burned = client_.apply(
                Pool::Meta, user_oid(old_id),
                WriteOp().create_exclusive().omap_set(std::string(kTombstoneKey), encode_count(now_ms())));
            if (!burned) {
                if (burned.error().code() != kAlreadyExists) return Result<void>(burned.error());
                exists = user_exists(client_, old_id);  // created meanwhile, or already a tombstone
                if (!exists) return Result<void>(std::move(exists).error());
                if (*exists) return Result<void>(taken());
            }
        }
        return settle_void(client_.apply(Pool::Meta, oid,
                                         WriteOp()
                                             .assert_exists()
                                             .compare_omap(std::string(kEmailUserKey), Compare::Eq, old_id)
                                             .omap_set(std::string(kEmailUserKey), user_id)));
    });
}

Result<UserCreated> RadosIdentityCatalog::create_user(std::string_view email, bool system, bool with_key) {
    auto email_key = lowercase(email);
    UserCreated out;
    for (;;) {
        out.user.id = random_hex16();
        auto there = client_.stat(Pool::Meta, user_oid(out.user.id));
        if (!there && there.error().code() == kNotFound) break;
        if (!there) return std::move(there).error();
    }
    out.user.email = email;
    out.user.system = system;
    out.user.created_ms = now_ms();

    if (auto claimed = claim_email(email_key, out.user.id); !claimed) {
        if (claimed.error().code() == Errc::UserAlreadyExists)
            return Error(Errc::UserAlreadyExists, "a user with email " + std::string(email) + " already exists");
        return claimed.error();
    }
    // Indexed before it exists: an entry without its user is skipped, a user
    // without its entry would not be listed.
    // Its time taken now, not before the claim (which may have retried):
    // list_users counts kStaleIndexEntryMs from it.
    const auto index_oid = user_index_oid(user_index_shard(out.user.id));
    OSTOR_TRY(client_.apply(Pool::Meta, index_oid, WriteOp().omap_set(out.user.id, encode_count(now_ms()))));

    WriteOp op;
    op.create_exclusive().omap_set(std::string(kInfoKey), encode(out.user));
    if (with_key) {
        // No keyseq or key-id compares as generate_key makes: the exclusive
        // create already says the object holds nothing yet.
        auto key = new_key_pair(out.user.id, {}, {}, [](std::string_view) { return false; });
        if (!key) return std::move(key).error();
        op.omap_set(key_key(key->access_key_id), encode(*key)).omap_set(keyseq_key({}), encode_count(1));
        out.key = std::move(*key);
    }
    auto created = client_.apply(Pool::Meta, user_oid(out.user.id), op);
    if (!created) {
        if (created.error().code() != kAlreadyExists) return created.error();
        // The id was burned: by another create_user that took the claim
        // over, or by list_users because this create took too long.
        (void)client_.apply(Pool::Meta, index_oid, WriteOp().omap_remove(out.user.id));
        auto holder = client_.omap_get(Pool::Meta, email_oid(email_key), {std::string(kEmailUserKey)});
        if (holder && value_of(*holder, kEmailUserKey) == out.user.id)
            return Error(Errc::IoError, "creating user " + out.user.id + " took longer than " +
                                            std::to_string(kStaleIndexEntryMs / 1000) +
                                            " s: its index entry was removed; try again");
        return Error(Errc::UserAlreadyExists, "a user with email " + std::string(email) + " already exists");
    }
    return out;
}

Result<User> RadosIdentityCatalog::get_user(std::string_view user_id) {
    auto u = read_user_entries(client_, user_id, {});
    if (!u) return std::move(u).error();
    auto user = decode_user(value_of(*u, kInfoKey));
    if (!user) return Error(Errc::Internal, "damaged user record " + std::string(user_id));
    return std::move(*user);
}

Result<User> RadosIdentityCatalog::get_user_by_email(std::string_view email) {
    if (email.empty()) return Error(Errc::NoSuchUser, "no email given");
    auto no_user = [&] { return Error(Errc::NoSuchUser, "no user with email " + std::string(email)); };
    auto holder = client_.omap_get(Pool::Meta, email_oid(lowercase(email)), {std::string(kEmailUserKey)});
    if (!holder) return holder.error().code() == kNotFound ? no_user() : std::move(holder).error();
    auto id = value_of(*holder, kEmailUserKey);
    if (id.empty()) return no_user();
    auto user = get_user(id);
    if (!user && user.error().code() == Errc::NoSuchUser) return no_user();  // a leftover claim
    return user;
}

Result<std::vector<User>> RadosIdentityCatalog::list_users() {
    std::map<std::string, std::pair<std::uint32_t, std::string>> entries;  // id -> shard, value
    for (std::uint32_t shard = 0; shard < kUserIndexShards; ++shard) {
        auto index = read_whole_omap(client_, Pool::Meta, user_index_oid(shard));
        if (!index) {
            if (index.error().code() == kNotFound) continue;
            return std::move(index).error();
        }
        for (auto& [id, v] : *index) entries.emplace(id, std::make_pair(shard, std::move(v)));
    }
    std::vector<User> out;
    const auto now = now_ms();
    for (auto& [id, where] : entries) {
        auto user = get_user(id);
        if (user) {
            out.push_back(std::move(*user));
            continue;
        }
        if (user.error().code() != Errc::NoSuchUser) {
            if (user.error().code() == Errc::Internal) continue;  // a damaged record is not listed, as locally
            return std::move(user).error();
        }
        auto created_ms = static_cast<TimestampMs>(decode_count(where.second).value_or(0));
        if (now - created_ms <= kStaleIndexEntryMs) continue;  // a create may be in progress
        // Burn the id first: a create still between its entry and its user
        // object then fails, rather than make a user nothing lists.
        auto burned =
            client_.apply(Pool::Meta, user_oid(id),
                          WriteOp().create_exclusive().omap_set(std::string(kTombstoneKey), encode_count(now_ms())));
        if (!burned) {
            if (burned.error().code() != kAlreadyExists) continue;  // left for the next listing
            auto late = get_user(id);                               // created meanwhile, or a tombstone already
            if (late) {
                out.push_back(std::move(*late));
                continue;
            }
            if (late.error().code() != Errc::NoSuchUser) continue;
        }
        (void)client_.apply(Pool::Meta, user_index_oid(where.first),
                            WriteOp().compare_omap(id, Compare::Eq, where.second).omap_remove(id));
    }
    return out;
}

Result<User> RadosIdentityCatalog::set_user_state(std::string_view user_id, UserState state) {
    return retry_on_conflict<User>(user_oid(user_id), [&]() -> std::optional<Result<User>> {
        auto u = read_user_object(client_, user_id);
        if (!u) return Result<User>(std::move(u).error());
        User user = u->user;
        user.state = state;
        return settle(client_.apply(Pool::Meta, user_oid(user_id),
                                    WriteOp()
                                        .assert_exists()
                                        .compare_omap(std::string(kInfoKey), Compare::Eq, u->info)
                                        .omap_set(std::string(kInfoKey), encode(user))),
                      user);
    });
}

Result<void> RadosIdentityCatalog::delete_user(std::string_view user_id) {
    // The user object goes first, guarded on the bucket count the object
    // catalog keeps (it adds to it with a compare, so a bucket created after
    // the read makes this write fail and the check run again).
    bool recounted = false;
    auto gone = retry_on_conflict<User>(user_oid(user_id), [&]() -> std::optional<Result<User>> {
        auto u = read_user_object(client_, user_id);
        if (!u) return Result<User>(std::move(u).error());
        auto count_value = value_of(u->omap, kBucketsKey);
        auto count = decode_count(count_value);
        if (!count) return Result<User>(Error(Errc::Internal, "damaged bucket count of user " + u->user.id));
        if (*count > 0) {
            // A count a crash left too high: drop the claims no bucket backs
            // (user_buckets.hpp), once, and look again.
            if (!recounted) {
                recounted = true;
                auto dropped = recount_user_buckets(client_, user_id);
                if (dropped && *dropped > 0) return std::nullopt;
            }
            const std::string locked =
                locked_bucket_reason_ ? locked_bucket_reason_(u->user.id, std::nullopt) : std::string();
            return Result<User>(Error(Errc::UserHasBuckets, "user " + u->user.id + " owns buckets; delete them first" +
                                                                lock_reason_suffix(locked)));
        }
        WriteOp op;
        guard_live_user(op).compare_omap(std::string(kBucketsKey), Compare::Eq, count_value).remove();
        return settle(client_.apply(Pool::Meta, user_oid(user_id), op), u->user);
    });
    if (!gone) return std::move(gone).error();
    // Deleted, with its keys, accounts, limits and quota. What follows only
    // tidies: a crash or a failure here leaves a claim without its user (taken
    // over by the next create_user of the email) or an index entry without
    // its user (skipped by list_users), so neither fails the call.
    (void)client_.apply(
        Pool::Meta, email_oid(lowercase(gone->email)),
        WriteOp().assert_exists().compare_omap(std::string(kEmailUserKey), Compare::Eq, gone->id).remove());
    (void)client_.apply(Pool::Meta, user_index_oid(user_index_shard(gone->id)), WriteOp().omap_remove(gone->id));
    return {};
}

// ---- Access keys -----------------------------------------------------------

Result<KeyPair> RadosIdentityCatalog::generate_key(std::string_view user_id, std::string_view account) {
    return retry_on_conflict<KeyPair>(user_oid(user_id), [&]() -> std::optional<Result<KeyPair>> {
        auto u = read_user_object(client_, user_id);
        if (!u) return Result<KeyPair>(std::move(u).error());
        WriteOp op;
        guard_live_user(op);
        if (!account.empty()) {
            auto acc = account_of(*u, account);
            if (!acc) return Result<KeyPair>(std::move(acc).error());
            auto k = account_omap_key(account);
            op.compare_omap(k, Compare::Eq, value_of(u->omap, k));
        }
        auto key = add_key(op, *u, account);
        if (!key) return key;
        return settle(client_.apply(Pool::Meta, user_oid(user_id), op), std::move(*key));
    });
}

Result<void> RadosIdentityCatalog::revoke_key(std::string_view user_id, std::string_view access_key_id,
                                              std::optional<std::string_view> account) {
    return retry_on_conflict<void>(user_oid(user_id), [&]() -> std::optional<Result<void>> {
        auto u = read_user_object(client_, user_id);
        if (!u) return Result<void>(std::move(u).error());
        if (account && !account->empty()) {
            auto acc = account_of(*u, *account);
            if (!acc) return Result<void>(std::move(acc).error());
        }
        auto no_such = Error(Errc::NoSuchAccessKey,
                             "user " + std::string(user_id) + " has no access key " + std::string(access_key_id));
        if (access_key_id.empty()) return Result<void>(no_such);
        auto stored = value_of(u->omap, key_key(access_key_id));
        if (stored.empty()) return Result<void>(no_such);
        auto key = decode_key(stored);
        if (!key || key->user_id != user_id || (account && key->account != *account)) return Result<void>(no_such);
        return settle_void(client_.apply(Pool::Meta, user_oid(user_id),
                                         WriteOp()
                                             .assert_exists()
                                             .compare_omap(key_key(access_key_id), Compare::Eq, stored)
                                             .omap_remove(key_key(access_key_id))));
    });
}

Result<KeyPair> RadosIdentityCatalog::lookup_key(std::string_view access_key_id) {
    // The id starts with the user's id: one read of that user's object.
    auto no_such = Error(Errc::NoSuchAccessKey, "access key " + std::string(access_key_id) + " does not exist");
    constexpr std::size_t kUserIdChars = 16;
    if (access_key_id.size() <= kUserIdChars) return no_such;
    auto got = client_.omap_get(Pool::Meta, user_oid(access_key_id.substr(0, kUserIdChars)), {key_key(access_key_id)});
    if (!got) return got.error().code() == kNotFound ? no_such : std::move(got).error();
    auto stored = value_of(*got, key_key(access_key_id));
    if (stored.empty()) return no_such;
    auto key = decode_key(stored);
    if (!key) return Error(Errc::Internal, "damaged key record");
    return std::move(*key);
}

Result<std::vector<KeyPair>> RadosIdentityCatalog::list_keys(std::string_view user_id, std::string_view account) {
    auto u = read_user_object(client_, user_id);
    if (!u) return std::move(u).error();
    if (!account.empty()) {
        auto acc = account_of(*u, account);
        if (!acc) return std::move(acc).error();
    }
    return keys_of(*u, account);
}

// ---- Accounts --------------------------------------------------------------

Result<AccountCreated> RadosIdentityCatalog::create_account(std::string_view user_id, std::string_view name,
                                                            bool with_key) {
    return retry_on_conflict<AccountCreated>(user_oid(user_id), [&]() -> std::optional<Result<AccountCreated>> {
        auto u = read_user_object(client_, user_id);
        if (!u) return Result<AccountCreated>(std::move(u).error());
        auto k = account_omap_key(name);
        if (u->omap.contains(k))
            return Result<AccountCreated>(
                Error(Errc::AccountAlreadyExists,
                      "user " + std::string(user_id) + " already has an account " + std::string(name)));
        AccountCreated out;
        out.account = Account{std::string(user_id), std::string(name), now_ms()};
        WriteOp op;
        guard_live_user(op).compare_omap(k, Compare::Eq, "").omap_set(k, encode(out.account));
        if (with_key) {
            auto key = add_key(op, *u, name);
            if (!key) return Result<AccountCreated>(std::move(key).error());
            out.key = std::move(*key);
        }
        return settle(client_.apply(Pool::Meta, user_oid(user_id), op), std::move(out));
    });
}

Result<Account> RadosIdentityCatalog::get_account(std::string_view user_id, std::string_view name) {
    auto u = read_user_object(client_, user_id);
    if (!u) return std::move(u).error();
    return account_of(*u, name);
}

Result<std::vector<Account>> RadosIdentityCatalog::list_accounts(std::string_view user_id) {
    auto u = read_user_object(client_, user_id);
    if (!u) return std::move(u).error();
    std::vector<Account> out;  // in name order, as omap keys sort
    for (auto it = u->omap.lower_bound(std::string(kAccountPrefix));
         it != u->omap.end() && it->first.starts_with(kAccountPrefix); ++it)
        if (auto a = decode_account(it->second)) out.push_back(std::move(*a));
    return out;
}

Result<void> RadosIdentityCatalog::delete_account(std::string_view user_id, std::string_view name) {
    bool recounted = false;
    return retry_on_conflict<void>(user_oid(user_id), [&]() -> std::optional<Result<void>> {
        auto u = read_user_object(client_, user_id);
        if (!u) return Result<void>(std::move(u).error());
        auto acc = account_of(*u, name);
        if (!acc) return Result<void>(std::move(acc).error());
        auto count_key = account_buckets_key(name);
        auto count_value = value_of(u->omap, count_key);
        auto count = decode_count(count_value);
        if (!count) return Result<void>(Error(Errc::Internal, "damaged bucket count of account " + std::string(name)));
        if (*count > 0) {
            if (!recounted) {  // as delete_user
                recounted = true;
                auto dropped = recount_user_buckets(client_, user_id);
                if (dropped && *dropped > 0) return std::nullopt;
            }
            const std::string locked = locked_bucket_reason_ ? locked_bucket_reason_(user_id, name) : std::string();
            return Result<void>(Error(
                Errc::AccountHasBuckets,
                "account " + std::string(name) + " owns buckets; delete them first" + lock_reason_suffix(locked)));
        }
        // With its keys: the keyseq compare fails the write when a key was
        // generated after the read (keyseq is kept, so it never goes back).
        auto k = account_omap_key(name);
        auto seq = keyseq_key(name);
        WriteOp op;
        guard_live_user(op)
            .compare_omap(k, Compare::Eq, value_of(u->omap, k))
            .compare_omap(count_key, Compare::Eq, count_value)
            .compare_omap(seq, Compare::Eq, value_of(u->omap, seq))
            .omap_remove(k)
            .omap_remove(count_key);
        for (auto& key : keys_of(*u, name)) op.omap_remove(key_key(key.access_key_id));
        return settle_void(client_.apply(Pool::Meta, user_oid(user_id), op));
    });
}

}  // namespace ostor::detail::rados
