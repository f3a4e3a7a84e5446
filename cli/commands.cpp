// ostor-s3-admin commands. Each parses its options, calls the engine and
// prints the vendor guide's output; a refusal is returned as an Error and
// printed by main() on stderr.
#include "commands.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "ostor/admin_format.hpp"
#include "ostor/admin_targets.hpp"

namespace ostor::cli {

namespace {

// How the CLI spells what names a user, a bucket and a default in messages.
constexpr admin::TargetSpelling kCliSpelling{"-e EMAIL or -i USER_ID", "-b BUCKET", "-o user|bucket"};

admin::TargetNames target_names(const Options& o) { return {o.email, o.user_id, o.bucket, o.defaults}; }

// The user named by -e or -i (both: they must name the same user).
Result<User> resolve_user(Engine& engine, const Options& o) {
    return admin::resolve_user(engine, target_names(o), kCliSpelling);
}

Result<std::string> required(const std::optional<std::string>& value, const char* what) {
    if (!value || value->empty()) return Error(Errc::InvalidArgument, std::string("missing ") + what);
    return *value;
}

const char* flags_name(const User& user) { return user.system ? "system" : "none"; }

void print(const std::string& text) { std::fputs(text.c_str(), stdout); }

// Secrets are shown only with -a.
std::string shown_secret(const KeyPair& key, const Options& o) { return o.show_secrets ? key.secret : "***"; }

// ---- Users -------------------------------------------------------------------------

Result<void> create_user(Engine& engine, const Options& o) {
    auto email = required(o.email, "-e EMAIL");
    if (!email) return std::move(email).error();
    auto created = engine.create_user(*email, o.system);
    if (!created) return std::move(created).error();
    const User& u = created->user;
    std::printf("UserEmail:%s\nUserId:%s\n", u.email.c_str(), u.id.c_str());
    if (created->key)
        std::printf("KeyPair[0]:S3AccessKeyId:%s\nKeyPair[0]:S3SecretAccessKey:%s\n",
                    created->key->access_key_id.c_str(), created->key->secret.c_str());
    std::printf("Flags:%s\n", flags_name(u));
    return {};
}

Result<void> query_users(Engine& engine, const Options& o) {
    auto users = engine.list_users();
    if (!users) return std::move(users).error();
    if (o.xml) {
        std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><QueryUsersResult><Users>";
        for (const auto& u : *users) {
            auto keys = engine.list_keys(u.id);
            if (!keys) return std::move(keys).error();
            out += "<User><Id>" + u.id + "</Id><Email>" + admin::xml_escape(u.email) +
                   "</Email><Keys><OwnerId>0000000000000000</OwnerId>";
            for (const auto& k : *keys)
                out += "<KeyPair><S3AccessKeyId>" + k.access_key_id + "</S3AccessKeyId><S3SecretAccessKey>" +
                       shown_secret(k, o) + "</S3SecretAccessKey></KeyPair>";
            out += "</Keys></User>";
        }
        out += "</Users></QueryUsersResult>\n";
        print(out);
        return {};
    }
    // Column layout as printed in the guide.
    std::printf("      S3 USER ID      S3 ACCESS KEY ID      S3 SECRET ACCESS KEY  S3 USER EMAIL\n");
    for (const auto& u : *users) {
        auto keys = engine.list_keys(u.id);
        if (!keys) return std::move(keys).error();
        if (keys->empty()) {
            std::printf("%-16s    %-20s %12s %s\n", u.id.c_str(), "-", "-", u.email.c_str());
            continue;
        }
        for (std::size_t i = 0; i < keys->size(); ++i) {
            const auto& k = (*keys)[i];
            if (i == 0)
                std::printf("%-16s    %-20s %12s %s\n", u.id.c_str(), k.access_key_id.c_str(),
                            shown_secret(k, o).c_str(), u.email.c_str());
            else
                std::printf("%24s%-20s %12s\n", "", k.access_key_id.c_str(), shown_secret(k, o).c_str());
        }
    }
    return {};
}

Result<void> query_user_info(Engine& engine, const Options& o) {
    auto user = resolve_user(engine, o);
    if (!user) return std::move(user).error();
    auto keys = engine.list_keys(user->id);
    if (!keys) return std::move(keys).error();
    std::printf("Query user: user id=%s, user email=%s\n", user->id.c_str(), user->email.c_str());
    for (std::size_t i = 0; i < keys->size(); ++i)
        std::printf("Key pair[%zu]: access key id=%s, secret access key=%s\n", i, (*keys)[i].access_key_id.c_str(),
                    (*keys)[i].secret.c_str());
    return {};
}

Result<void> set_state(Engine& engine, const Options& o, UserState state) {
    auto user = resolve_user(engine, o);
    if (!user) return std::move(user).error();
    auto changed = engine.set_user_state(user->id, state);
    if (!changed) return std::move(changed).error();
    return {};
}

Result<void> disable_user(Engine& engine, const Options& o) { return set_state(engine, o, UserState::Disabled); }
Result<void> enable_user(Engine& engine, const Options& o) { return set_state(engine, o, UserState::Enabled); }

Result<void> delete_user(Engine& engine, const Options& o) {
    auto user = resolve_user(engine, o);
    if (!user) return std::move(user).error();
    OSTOR_TRY(engine.delete_user(user->id));
    std::printf("Deleted user: user id=%s\n", user->id.c_str());
    return {};
}

// ---- Keys ----------------------------------------------------------------------------

Result<void> gen_access_key(Engine& engine, const Options& o) {
    auto user = resolve_user(engine, o);
    if (!user) return std::move(user).error();
    auto key = engine.generate_key(user->id, o.account.value_or(""));
    if (!key) return std::move(key).error();
    if (o.account)
        std::printf("S3AccessKeyId:%s\nS3SecretAccessKey:%s\n", key->access_key_id.c_str(), key->secret.c_str());
    else
        std::printf("Generate access key: user id=%s, access key id=%s, secret access key=%s\n", user->id.c_str(),
                    key->access_key_id.c_str(), key->secret.c_str());
    return {};
}

// The guide revokes user and account keys with the same options (-e, -k):
// the key itself says which it is. With -n the key must be that account's.
Result<void> revoke_access_key(Engine& engine, const Options& o) {
    auto user = resolve_user(engine, o);
    if (!user) return std::move(user).error();
    auto key_id = required(o.key, "-k ACCESS_KEY_ID");
    if (!key_id) return std::move(key_id).error();
    auto key = engine.lookup_key(*key_id);
    if (!key) return std::move(key).error();
    if (key->user_id != user->id)
        return Error(Errc::NoSuchAccessKey, "access key " + *key_id + " does not belong to user " + user->id);
    if (o.account && *o.account != key->account)
        return Error(Errc::NoSuchAccessKey, "access key " + *key_id + " does not belong to account " + *o.account);
    if (key->account.empty()) {
        OSTOR_TRY(engine.revoke_key(user->id, *key_id));
        std::printf("Revoke access key: user id=%s, access key id=%s\n", user->id.c_str(), key_id->c_str());
    } else {
        OSTOR_TRY(engine.revoke_key(user->id, *key_id, key->account));
    }
    return {};
}

// ---- Accounts ------------------------------------------------------------------------

void print_account(const User& user, const Account& account, const std::vector<KeyPair>& keys) {
    std::printf("UserEmail:%s\nUserId:%s\nAccountName:%s\nFlags:%s\n", user.email.c_str(), user.id.c_str(),
                account.name.c_str(), flags_name(user));
    for (std::size_t i = 0; i < keys.size(); ++i)
        std::printf("KeyPair[%zu]:S3AccessKeyId:%s\nKeyPair[%zu]:S3SecretAccessKey:%s\n", i,
                    keys[i].access_key_id.c_str(), i, keys[i].secret.c_str());
}

Result<void> create_account(Engine& engine, const Options& o) {
    auto user = resolve_user(engine, o);
    if (!user) return std::move(user).error();
    auto name = required(o.account, "-n ACCOUNT");
    if (!name) return std::move(name).error();
    auto created = engine.create_account(user->id, *name);
    if (!created) return std::move(created).error();
    std::vector<KeyPair> keys;
    if (created->key) keys.push_back(*created->key);
    print_account(*user, created->account, keys);
    return {};
}

Result<void> query_account_info(Engine& engine, const Options& o) {
    auto user = resolve_user(engine, o);
    if (!user) return std::move(user).error();
    auto name = required(o.account, "-n ACCOUNT");
    if (!name) return std::move(name).error();
    auto account = engine.get_account(user->id, *name);
    if (!account) return std::move(account).error();
    auto keys = engine.list_keys(user->id, *name);
    if (!keys) return std::move(keys).error();
    print_account(*user, *account, *keys);
    return {};
}

Result<void> list_user_accounts(Engine& engine, const Options& o) {
    auto user = resolve_user(engine, o);
    if (!user) return std::move(user).error();
    auto accounts = engine.list_accounts(user->id);
    if (!accounts) return std::move(accounts).error();
    // Column layout as printed in the guide.
    std::printf("NAME      USER_ID      EMAIL      S3AccessKeyId      S3SecretAccessKey\n");
    for (const auto& a : *accounts) {
        auto keys = engine.list_keys(user->id, a.name);
        if (!keys) return std::move(keys).error();
        std::printf("%-8s  %s  %s", a.name.c_str(), user->id.c_str(), user->email.c_str());
        for (std::size_t i = 0; i < keys->size(); ++i) {
            const auto& k = (*keys)[i];
            if (i == 0)
                std::printf("  %s %s", k.access_key_id.c_str(), shown_secret(k, o).c_str());
            else
                std::printf("\n%37s%s %s", "", k.access_key_id.c_str(), shown_secret(k, o).c_str());
        }
        std::printf("\n");
    }
    return {};
}

Result<void> delete_account(Engine& engine, const Options& o) {
    auto user = resolve_user(engine, o);
    if (!user) return std::move(user).error();
    auto name = required(o.account, "-n ACCOUNT");
    if (!name) return std::move(name).error();
    return engine.delete_account(user->id, *name);
}

// ---- Limits ----------------------------------------------------------------------------

// -e/-i names a user, -b a bucket; exactly one of them.
Result<LimitTarget> limit_target(Engine& engine, const Options& o) {
    return admin::resolve_limit_target(engine, target_names(o), kCliSpelling);
}

Result<void> set_limits(Engine& engine, const Options& o) {
    auto target = limit_target(engine, o);
    if (!target) return std::move(target).error();
    auto type = required(o.type, "-t ops|bandwidth");
    if (!type) return std::move(type).error();
    auto limit = required(o.limit, "-L RESOURCE=VALUE");
    if (!limit) return std::move(limit).error();
    auto eq = limit->find('=');
    if (eq == std::string::npos) return Error(Errc::InvalidLimit, "-L takes RESOURCE=VALUE (e.g. get=3600 or out=100)");
    auto setting = admin::parse_limit(*type, limit->substr(0, eq), limit->substr(eq + 1));
    if (!setting) return std::move(setting).error();
    auto limits = engine.set_limit(*target, *setting);
    if (!limits) return std::move(limits).error();
    print(admin::limits_text(*limits));
    return {};
}

Result<void> query_limits(Engine& engine, const Options& o) {
    auto target = limit_target(engine, o);
    if (!target) return std::move(target).error();
    auto limits = engine.get_limits(*target);
    if (!limits) return std::move(limits).error();
    print(admin::limits_text(*limits));
    return {};
}

Result<void> rm_limits(Engine& engine, const Options& o) {
    auto target = limit_target(engine, o);
    if (!target) return std::move(target).error();
    OSTOR_TRY(engine.remove_limits(*target));
    print(admin::limits_text(Limits{}));
    return {};
}

// ---- Quotas ----------------------------------------------------------------------------

// -e/-i a user, -b a bucket, -o user|bucket the default; exactly one.
Result<QuotaTarget> quota_target(Engine& engine, const Options& o) {
    return admin::resolve_quota_target(engine, target_names(o), kCliSpelling);
}

Result<void> set_quotas(Engine& engine, const Options& o) {
    auto target = quota_target(engine, o);
    if (!target) return std::move(target).error();
    auto size_text = required(o.quota, "-q SIZE_GIB");
    if (!size_text) return std::move(size_text).error();
    auto size = admin::parse_quota_size(*size_text);
    if (!size) return std::move(size).error();
    OSTOR_TRY(engine.set_quota(*target, *size));
    print(admin::quota_text(target->kind, *size));
    return {};
}

Result<void> query_quotas(Engine& engine, const Options& o) {
    auto target = quota_target(engine, o);
    if (!target) return std::move(target).error();
    auto quota = engine.get_quota(*target);
    if (!quota) return std::move(quota).error();
    print(admin::quota_text(target->kind, quota->value_or(0)));
    return {};
}

Result<void> rm_quotas(Engine& engine, const Options& o) {
    auto target = quota_target(engine, o);
    if (!target) return std::move(target).error();
    OSTOR_TRY(engine.remove_quota(*target));
    std::printf("successfully removed quotas\n");
    return {};
}

constexpr Command kCommands[] = {
    {"create-user", "-e EMAIL [-S]", create_user},
    {"query-users", "[-a] [-X]", query_users},
    {"query-user-info", "-e EMAIL | -i USER_ID", query_user_info},
    {"disable-user", "-e EMAIL | -i USER_ID", disable_user},
    {"enable-user", "-e EMAIL | -i USER_ID", enable_user},
    {"delete-user", "-e EMAIL | -i USER_ID", delete_user},
    {"gen-access-key", "-e EMAIL | -i USER_ID [-n ACCOUNT]", gen_access_key},
    {"revoke-access-key", "-e EMAIL | -i USER_ID -k ACCESS_KEY_ID [-n ACCOUNT]", revoke_access_key},
    {"create-account", "-e EMAIL | -i USER_ID -n ACCOUNT", create_account},
    {"list-user-accounts", "-e EMAIL | -i USER_ID [-a]", list_user_accounts},
    {"query-account-info", "-e EMAIL | -i USER_ID -n ACCOUNT", query_account_info},
    {"delete-account", "-e EMAIL | -i USER_ID -n ACCOUNT", delete_account},
    {"set-limits", "-e EMAIL | -i USER_ID | -b BUCKET -t ops|bandwidth -L RESOURCE=VALUE", set_limits},
    {"query-limits", "-e EMAIL | -i USER_ID | -b BUCKET", query_limits},
    {"rm-limits", "-e EMAIL | -i USER_ID | -b BUCKET", rm_limits},
    {"set-quotas", "-e EMAIL | -i USER_ID | -b BUCKET | -o user|bucket -q SIZE_GIB", set_quotas},
    {"query-quotas", "-e EMAIL | -i USER_ID | -b BUCKET | -o user|bucket", query_quotas},
    {"rm-quotas", "-e EMAIL | -i USER_ID | -b BUCKET | -o user|bucket", rm_quotas},
};

}  // namespace

const Command* find_command(std::string_view name) {
    for (const auto& c : kCommands)
        if (name == c.name) return &c;
    return nullptr;
}

void print_usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: ostor-s3-admin COMMAND [OPTIONS] [-V VOLUME_ID] [--data DIR]\n"
                 "\n"
                 "Administers the users, accounts, keys, limits and quotas of an ostor data\n"
                 "directory (--data, else $OSTOR_DATA, else ./ostor-data). -V, when given, must\n"
                 "be the directory's volume id (<data>/volume.id). Commands:\n");
    for (const auto& c : kCommands) std::fprintf(out, "  %-20s %s\n", c.name, c.usage);
}

}  // namespace ostor::cli
