// The admin tree's nodes and their handlers (see tree.hpp). Each handler
// parses, calls the engine and formats with ostor/admin_format.hpp, the
// formats the CLI and the REST API print.
#include "tree.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "line_forms.hpp"
#include "ostor/admin_format.hpp"
#include "ostor/admin_targets.hpp"
#include "ostor/names.hpp"

namespace ostor::fs {

namespace {

// What a handler sees: the engine and the names the path's "*" matched.
struct Ctx {
    Engine& e;
    const std::vector<std::string>& cap;
};

using ReadFn = Result<std::string> (*)(const Ctx&);
using WriteFn = Result<void> (*)(const Ctx&, std::string_view data, bool replace);
using TruncateFn = Result<void> (*)(const Ctx&);
using ListFn = Result<std::vector<std::string>> (*)(const Ctx&);
using CheckFn = Result<void> (*)(const Ctx&);
using MakeFn = Result<void> (*)(const Ctx&, std::string_view name);
using RemoveFn = Result<void> (*)(const Ctx&);
using SaveFn = Result<std::string> (*)(const Ctx&);
using RestoreFn = Result<void> (*)(const Ctx&, const std::string& saved);

}  // namespace

struct Node {
    std::string_view pattern;
    bool dir = false;
    mode_t perm = 0444;
    // "*" nodes: the capture names something that exists.
    CheckFn exists = nullptr;
    // Directories with a "*" child: its names; mkdir of a new one.
    ListFn names = nullptr;
    MakeFn make = nullptr;
    // rmdir (a "*" directory) or rm (a file).
    RemoveFn remove = nullptr;
    // Files.
    ReadFn read = nullptr;
    WriteFn write = nullptr;
    TruncateFn truncate = nullptr;
    // Writable files: the state to put back after a failed write.
    SaveFn save = nullptr;
    RestoreFn restore = nullptr;
    // Writable files: the lines they take (a line split across writes is
    // checked against these before its end arrives).
    std::span<const LineForm> lines = {};
};

namespace {

// ---- small helpers -------------------------------------------------------------

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// The non-empty lines of what was written, trimmed.
std::vector<std::string_view> lines_of(std::string_view data) {
    std::vector<std::string_view> out;
    while (!data.empty()) {
        auto nl = data.find('\n');
        auto line = trim(data.substr(0, nl));
        if (!line.empty()) out.push_back(line);
        if (nl == std::string_view::npos) break;
        data.remove_prefix(nl + 1);
    }
    return out;
}

// How the tree spells what names a user, a bucket and a default in messages.
constexpr admin::TargetSpelling kTreeSpelling{"users/<email>", "buckets/<bucket>", "quotas/default-<user|bucket>"};

admin::TargetNames user_named(const Ctx& c) { return {.email = c.cap.at(0)}; }
admin::TargetNames bucket_named(const Ctx& c) { return {.bucket = c.cap.at(0)}; }

Result<User> user_of(const Ctx& c) { return admin::resolve_user(c.e, user_named(c), kTreeSpelling); }

std::string key_lines(const std::vector<KeyPair>& keys) {
    std::string out;
    for (const auto& k : keys) out += k.access_key_id + " " + k.secret + "\n";
    return out;
}

template <class T>
Result<void> as_void(Result<T> r) {
    if (!r) return std::move(r).error();
    return {};
}

// ---- limits and quotas, shared by users and buckets ----------------------------------

Result<std::string> read_limits(Engine& e, const LimitTarget& t) {
    auto l = e.get_limits(t);
    if (!l) return std::move(l).error();
    return admin::limits_text(*l);
}

// "ops:get=3600" lines. Replacing starts from no limits; appending from the
// limits in force. All lines are checked before anything changes.
Result<void> write_limits(Engine& e, const LimitTarget& t, std::string_view data, bool replace) {
    std::vector<LimitSetting> settings;
    for (auto line : lines_of(data)) {
        auto s = admin::parse_limit_line(line);
        if (!s) return std::move(s).error();
        settings.push_back(std::move(*s));
    }
    Limits limits;
    if (!replace) {
        if (settings.empty()) return {};
        auto current = e.get_limits(t);
        if (!current) return std::move(current).error();
        limits = *current;
    }
    for (const auto& s : settings) s.apply_to(limits);
    return as_void(e.set_limits(t, limits));
}

Result<std::string> read_quota(Engine& e, const QuotaTarget& t) {
    auto q = e.get_quota(t);
    if (!q) return std::move(q).error();
    if (!*q) return std::string();  // none set: an empty file
    return admin::quota_text(t.kind, **q);
}

// A size in GiB; an empty write that replaces the file removes the quota.
Result<void> write_quota(Engine& e, const QuotaTarget& t, std::string_view data, bool replace) {
    auto lines = lines_of(data);
    if (lines.empty()) return replace ? e.remove_quota(t) : Result<void>();
    if (lines.size() > 1) return Error(Errc::InvalidArgument, "write one quota size in GiB");
    auto size = admin::parse_quota_size(lines[0]);
    if (!size) return std::move(size).error();
    return e.set_quota(t, *size);
}

// "gen" and "revoke <access key id>" lines, for a user or one of its accounts.
Result<void> write_keys(Engine& e, const User& user, std::string_view account, std::string_view data) {
    auto lines = lines_of(data);
    for (auto line : lines)
        if (line != "gen" && !(line.starts_with("revoke ") && !trim(line.substr(7)).empty()))
            return Error(Errc::InvalidArgument, "write \"gen\" or \"revoke <access key id>\"");
    for (auto line : lines) {
        if (line == "gen") {
            OSTOR_TRY(e.generate_key(user.id, account));
            continue;
        }
        std::string_view key = trim(line.substr(7));
        if (account.empty())
            OSTOR_TRY(e.revoke_key(user.id, key));
        else
            OSTOR_TRY(e.revoke_key(user.id, key, account));
    }
    return {};
}

// ---- saving and restoring what a file stands for ------------------------------------------

Result<std::string> save_limits(Engine& e, const LimitTarget& t) {
    auto l = e.get_limits(t);
    if (!l) return std::move(l).error();
    char buf[256];
    std::snprintf(buf, sizeof buf, "%.17g %.17g %.17g %.17g %.17g %llu", l->ops_default, l->ops_get, l->ops_put,
                  l->ops_list, l->ops_delete, static_cast<unsigned long long>(l->bandwidth_out_kbps));
    return std::string(buf);
}

Result<void> restore_limits(Engine& e, const LimitTarget& t, const std::string& saved) {
    Limits l;
    unsigned long long bandwidth = 0;
    if (std::sscanf(saved.c_str(), "%lf %lf %lf %lf %lf %llu", &l.ops_default, &l.ops_get, &l.ops_put, &l.ops_list,
                    &l.ops_delete, &bandwidth) != 6)
        return Error(Errc::Internal, "bad saved limits");
    l.bandwidth_out_kbps = bandwidth;
    if (l.ops_default == 0 && l.ops_get == 0 && l.ops_put == 0 && l.ops_list == 0 && l.ops_delete == 0 &&
        bandwidth == 0)
        return e.remove_limits(t);
    return as_void(e.set_limits(t, l));
}

Result<std::string> save_quota(Engine& e, const QuotaTarget& t) {
    auto q = e.get_quota(t);
    if (!q) return std::move(q).error();
    return *q ? std::to_string(**q) : std::string();
}

Result<void> restore_quota(Engine& e, const QuotaTarget& t, const std::string& saved) {
    if (saved.empty()) return e.remove_quota(t);
    return e.set_quota(t, std::stoull(saved));
}

Result<std::string> save_key_ids(Engine& e, const std::string& user_id, std::string_view account) {
    auto keys = e.list_keys(user_id, account);
    if (!keys) return std::move(keys).error();
    std::string ids;
    for (const auto& k : *keys) ids += k.access_key_id + "\n";
    return ids;
}

// Revokes the pairs made since `saved` (a revoked pair cannot come back).
Result<void> revoke_new_keys(Engine& e, const std::string& user_id, std::string_view account,
                             const std::string& saved) {
    auto keys = e.list_keys(user_id, account);
    if (!keys) return std::move(keys).error();
    for (const auto& k : *keys) {
        if (saved.find(k.access_key_id + "\n") != std::string::npos) continue;
        if (account.empty())
            OSTOR_TRY(e.revoke_key(user_id, k.access_key_id));
        else
            OSTOR_TRY(e.revoke_key(user_id, k.access_key_id, account));
    }
    return {};
}

// ---- the handlers -----------------------------------------------------------------------

constexpr std::string_view kReadme =
    "ostor admin tree: reading a file shows the current state, writing it performs the operation.\n"
    "\n"
    "users/                       one directory per user; mkdir <email> creates a user (with a key pair),\n"
    "                             rmdir deletes it (\"Directory not empty\" while it owns buckets)\n"
    "users/<email>/id             the user id\n"
    "users/<email>/info           the user as the REST API's query (JSON, with keys and accounts)\n"
    "users/<email>/state          enabled or disabled; write either to change it\n"
    "users/<email>/keys           \"ACCESS_KEY_ID SECRET\" lines; write \"gen\" for a new pair (2 at most:\n"
    "                             a third fails with \"Disk quota exceeded\"),\n"
    "                             \"revoke <access key id>\" to revoke one\n"
    "users/<email>/limits         ops:default|get|put|list|delete=<ops/s> and bandwidth:out=<KB/s> lines;\n"
    "                             '>' replaces them, '>>' adds, ': >' removes them all\n"
    "users/<email>/quota          the quota as the CLI prints it; write a size in GiB, ': >' removes it\n"
    "users/<email>/buckets        the user's buckets, one a line\n"
    "users/<email>/accounts/      mkdir/rmdir <name> creates/deletes an account; keys and info inside\n"
    "buckets/<name>/owner         the owner's user id\n"
    "buckets/<name>/size          the size history (JSON: current, h_integral, hmax, last_ts)\n"
    "buckets/<name>/versioning    Off, Enabled or Suspended\n"
    "buckets/<name>/object-lock   the object lock (JSON: mode, days|years, locked_until, legal_holds;\n"
    "                             {} without lock)\n"
    "buckets/<name>/limits, quota as for users\n"
    "quotas/default-user          the quota of users without their own; default-bucket likewise\n"
    "usage/<object>               a usage statistics object (JSON); rm deletes it\n"
    "\n"
    "A line acts when its newline is written, so writers may split lines across writes; a last\n"
    "line without a newline acts at close, and close() reports its error.\n"
    "Bad input changes nothing and fails with \"Invalid argument\"; when one line of several\n"
    "written is refused, the earlier ones written since the file was opened are undone too.\n";

Result<std::string> readme(const Ctx&) { return std::string(kReadme); }

// users/
Result<std::vector<std::string>> user_names(const Ctx& c) {
    auto users = c.e.list_users();
    if (!users) return std::move(users).error();
    std::vector<std::string> names;
    for (const auto& u : *users) names.push_back(u.email);
    return names;
}
Result<void> user_exists(const Ctx& c) { return as_void(user_of(c)); }
Result<void> make_user(const Ctx& c, std::string_view email) { return as_void(c.e.create_user(email)); }
Result<void> remove_user(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return c.e.delete_user(u->id);
}

Result<std::string> user_id(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return u->id + "\n";
}
Result<std::string> user_info(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    auto j = admin::user_info_json(c.e, *u);
    if (!j) return std::move(j).error();
    return j->pretty();
}
Result<std::string> user_state(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return std::string(admin::user_state_name(u->state)) + "\n";
}
Result<void> write_user_state(const Ctx& c, std::string_view data, bool) {
    auto lines = lines_of(data);
    if (lines.size() != 1 || (lines[0] != "enabled" && lines[0] != "disabled"))
        return Error(Errc::InvalidArgument, "write enabled or disabled");
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return as_void(c.e.set_user_state(u->id, lines[0] == "enabled" ? UserState::Enabled : UserState::Disabled));
}
Result<void> nothing_to_truncate(const Ctx&) { return {}; }

Result<std::string> user_keys(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    auto keys = c.e.list_keys(u->id);
    if (!keys) return std::move(keys).error();
    return key_lines(*keys);
}
Result<void> write_user_keys(const Ctx& c, std::string_view data, bool) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return write_keys(c.e, *u, {}, data);
}

Result<LimitTarget> user_limit_target(const Ctx& c) {
    return admin::resolve_limit_target(c.e, user_named(c), kTreeSpelling);
}
Result<std::string> user_limits(const Ctx& c) {
    auto t = user_limit_target(c);
    if (!t) return std::move(t).error();
    return read_limits(c.e, *t);
}
Result<void> write_user_limits(const Ctx& c, std::string_view data, bool replace) {
    auto t = user_limit_target(c);
    if (!t) return std::move(t).error();
    return write_limits(c.e, *t, data, replace);
}
Result<void> remove_user_limits(const Ctx& c) {
    auto t = user_limit_target(c);
    if (!t) return std::move(t).error();
    return c.e.remove_limits(*t);
}

Result<QuotaTarget> user_quota_target(const Ctx& c) {
    return admin::resolve_quota_target(c.e, user_named(c), kTreeSpelling);
}
Result<std::string> user_quota(const Ctx& c) {
    auto t = user_quota_target(c);
    if (!t) return std::move(t).error();
    return read_quota(c.e, *t);
}
Result<void> write_user_quota(const Ctx& c, std::string_view data, bool replace) {
    auto t = user_quota_target(c);
    if (!t) return std::move(t).error();
    return write_quota(c.e, *t, data, replace);
}
Result<void> remove_user_quota(const Ctx& c) {
    auto t = user_quota_target(c);
    if (!t) return std::move(t).error();
    return c.e.remove_quota(*t);
}

Result<std::string> user_buckets(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    BucketFilter filter;
    filter.owner_id = u->id;
    auto buckets = c.e.list_buckets(filter);
    if (!buckets) return std::move(buckets).error();
    std::string out;
    for (const auto& b : *buckets) out += b.name + "\n";
    return out;
}

// users/<email>/accounts/
Result<std::vector<std::string>> account_names(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    auto accounts = c.e.list_accounts(u->id);
    if (!accounts) return std::move(accounts).error();
    std::vector<std::string> names;
    for (const auto& a : *accounts) names.push_back(a.name);
    return names;
}
Result<void> account_exists(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return as_void(c.e.get_account(u->id, c.cap.at(1)));
}
Result<void> make_account(const Ctx& c, std::string_view name) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return as_void(c.e.create_account(u->id, name));
}
Result<void> remove_account(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return c.e.delete_account(u->id, c.cap.at(1));
}
Result<std::string> account_keys(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    auto keys = c.e.list_keys(u->id, c.cap.at(1));
    if (!keys) return std::move(keys).error();
    return key_lines(*keys);
}
Result<void> write_account_keys(const Ctx& c, std::string_view data, bool) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return write_keys(c.e, *u, c.cap.at(1), data);
}
Result<std::string> account_info(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    auto account = c.e.get_account(u->id, c.cap.at(1));
    if (!account) return std::move(account).error();
    auto keys = c.e.list_keys(u->id, c.cap.at(1));
    if (!keys) return std::move(keys).error();
    return admin::account_json(*account, *keys).pretty();
}

// buckets/
Result<std::vector<std::string>> bucket_names(const Ctx& c) {
    auto buckets = c.e.list_buckets();
    if (!buckets) return std::move(buckets).error();
    std::vector<std::string> names;
    for (const auto& b : *buckets) names.push_back(b.name);
    return names;
}
Result<void> bucket_exists(const Ctx& c) { return as_void(c.e.get_bucket(c.cap.at(0))); }
Result<std::string> bucket_owner(const Ctx& c) {
    auto b = c.e.get_bucket(c.cap.at(0));
    if (!b) return std::move(b).error();
    return b->owner_id + "\n";
}
Result<std::string> bucket_size(const Ctx& c) {
    auto b = c.e.get_bucket(c.cap.at(0));
    if (!b) return std::move(b).error();
    return admin::size_history_json(b->size).pretty();
}
Result<std::string> bucket_versioning(const Ctx& c) {
    auto b = c.e.get_bucket(c.cap.at(0));
    if (!b) return std::move(b).error();
    return std::string(admin::versioning_name(b->versioning)) + "\n";
}
Result<std::string> bucket_object_lock(const Ctx& c) {
    auto b = c.e.get_bucket(c.cap.at(0));
    if (!b) return std::move(b).error();
    return admin::object_lock_json(*b).pretty();
}
Result<LimitTarget> bucket_limit_target(const Ctx& c) {
    return admin::resolve_limit_target(c.e, bucket_named(c), kTreeSpelling);
}
Result<std::string> bucket_limits(const Ctx& c) {
    auto t = bucket_limit_target(c);
    if (!t) return std::move(t).error();
    return read_limits(c.e, *t);
}
Result<void> write_bucket_limits(const Ctx& c, std::string_view data, bool replace) {
    auto t = bucket_limit_target(c);
    if (!t) return std::move(t).error();
    return write_limits(c.e, *t, data, replace);
}
Result<void> remove_bucket_limits(const Ctx& c) {
    auto t = bucket_limit_target(c);
    if (!t) return std::move(t).error();
    return c.e.remove_limits(*t);
}
Result<QuotaTarget> bucket_quota_target(const Ctx& c) {
    return admin::resolve_quota_target(c.e, bucket_named(c), kTreeSpelling);
}
Result<std::string> bucket_quota(const Ctx& c) {
    auto t = bucket_quota_target(c);
    if (!t) return std::move(t).error();
    return read_quota(c.e, *t);
}
Result<void> write_bucket_quota(const Ctx& c, std::string_view data, bool replace) {
    auto t = bucket_quota_target(c);
    if (!t) return std::move(t).error();
    return write_quota(c.e, *t, data, replace);
}
Result<void> remove_bucket_quota(const Ctx& c) {
    auto t = bucket_quota_target(c);
    if (!t) return std::move(t).error();
    return c.e.remove_quota(*t);
}

// quotas/
Result<std::string> default_user_quota(const Ctx& c) { return read_quota(c.e, QuotaTarget::default_user()); }
Result<void> write_default_user_quota(const Ctx& c, std::string_view data, bool replace) {
    return write_quota(c.e, QuotaTarget::default_user(), data, replace);
}
Result<void> remove_default_user_quota(const Ctx& c) { return c.e.remove_quota(QuotaTarget::default_user()); }
Result<std::string> default_bucket_quota(const Ctx& c) { return read_quota(c.e, QuotaTarget::default_bucket()); }
Result<void> write_default_bucket_quota(const Ctx& c, std::string_view data, bool replace) {
    return write_quota(c.e, QuotaTarget::default_bucket(), data, replace);
}
Result<void> remove_default_bucket_quota(const Ctx& c) { return c.e.remove_quota(QuotaTarget::default_bucket()); }

// usage/
Result<std::vector<std::string>> usage_names(const Ctx& c) {
    std::vector<std::string> names;
    std::string after;
    for (;;) {
        auto page = c.e.list_usage_objects(after);
        if (!page) return std::move(page).error();
        names.insert(names.end(), page->names.begin(), page->names.end());
        if (!page->truncated || page->names.empty()) break;
        after = page->names.back();
    }
    return names;
}
Result<void> usage_exists(const Ctx& c) { return as_void(c.e.get_usage_object(c.cap.at(0))); }
Result<std::string> usage_object(const Ctx& c) { return c.e.get_usage_object(c.cap.at(0)); }
Result<void> remove_usage_object(const Ctx& c) { return c.e.delete_usage_object(c.cap.at(0)); }

// Save / restore of each writable file.
Result<std::string> save_user_state(const Ctx& c) { return user_state(c); }
Result<void> restore_user_state(const Ctx& c, const std::string& saved) { return write_user_state(c, saved, true); }
Result<std::string> save_user_keys(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return save_key_ids(c.e, u->id, {});
}
Result<void> restore_user_keys(const Ctx& c, const std::string& saved) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return revoke_new_keys(c.e, u->id, {}, saved);
}
Result<std::string> save_account_keys(const Ctx& c) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return save_key_ids(c.e, u->id, c.cap.at(1));
}
Result<void> restore_account_keys(const Ctx& c, const std::string& saved) {
    auto u = user_of(c);
    if (!u) return std::move(u).error();
    return revoke_new_keys(c.e, u->id, c.cap.at(1), saved);
}
Result<std::string> save_user_limits(const Ctx& c) {
    auto t = user_limit_target(c);
    if (!t) return std::move(t).error();
    return save_limits(c.e, *t);
}
Result<void> restore_user_limits(const Ctx& c, const std::string& saved) {
    auto t = user_limit_target(c);
    if (!t) return std::move(t).error();
    return restore_limits(c.e, *t, saved);
}
Result<std::string> save_user_quota(const Ctx& c) {
    auto t = user_quota_target(c);
    if (!t) return std::move(t).error();
    return save_quota(c.e, *t);
}
Result<void> restore_user_quota(const Ctx& c, const std::string& saved) {
    auto t = user_quota_target(c);
    if (!t) return std::move(t).error();
    return restore_quota(c.e, *t, saved);
}
Result<std::string> save_bucket_limits(const Ctx& c) { return save_limits(c.e, LimitTarget::bucket(c.cap.at(0))); }
Result<void> restore_bucket_limits(const Ctx& c, const std::string& saved) {
    return restore_limits(c.e, LimitTarget::bucket(c.cap.at(0)), saved);
}
Result<std::string> save_bucket_quota(const Ctx& c) { return save_quota(c.e, QuotaTarget::bucket(c.cap.at(0))); }
Result<void> restore_bucket_quota(const Ctx& c, const std::string& saved) {
    return restore_quota(c.e, QuotaTarget::bucket(c.cap.at(0)), saved);
}
Result<std::string> save_default_user_quota(const Ctx& c) { return save_quota(c.e, QuotaTarget::default_user()); }
Result<void> restore_default_user_quota(const Ctx& c, const std::string& saved) {
    return restore_quota(c.e, QuotaTarget::default_user(), saved);
}
Result<std::string> save_default_bucket_quota(const Ctx& c) { return save_quota(c.e, QuotaTarget::default_bucket()); }
Result<void> restore_default_bucket_quota(const Ctx& c, const std::string& saved) {
    return restore_quota(c.e, QuotaTarget::default_bucket(), saved);
}

// The lines each writable file takes, as its write handler parses them. The
// ops resources are parse_limit's (admin_format.cpp).
constexpr LineForm kLimitLines[] = {
    {"ops:default=", LineTail::Decimal}, {"ops:get=", LineTail::Decimal},    {"ops:put=", LineTail::Decimal},
    {"ops:list=", LineTail::Decimal},    {"ops:delete=", LineTail::Decimal}, {"bandwidth:out=", LineTail::Integer},
};
constexpr LineForm kQuotaLines[] = {{"", LineTail::Integer}};
constexpr LineForm kKeyLines[] = {{"gen", LineTail::Nothing}, {"revoke ", LineTail::Text}};
constexpr LineForm kStateLines[] = {{"enabled", LineTail::Nothing}, {"disabled", LineTail::Nothing}};

// The tree. Secrets (keys, info) are 0600; files that take writes 0644.
const Node kNodes[] = {
    {.pattern = "/", .dir = true, .perm = 0755},
    {.pattern = "/README", .read = readme},
    {.pattern = "/users", .dir = true, .perm = 0755, .names = user_names, .make = make_user},
    {.pattern = "/users/*", .dir = true, .perm = 0755, .exists = user_exists, .remove = remove_user},
    {.pattern = "/users/*/id", .read = user_id},
    {.pattern = "/users/*/info", .perm = 0600, .read = user_info},
    {.pattern = "/users/*/state",
     .perm = 0644,
     .read = user_state,
     .write = write_user_state,
     .truncate = nothing_to_truncate,
     .save = save_user_state,
     .restore = restore_user_state,
     .lines = kStateLines},
    {.pattern = "/users/*/keys",
     .perm = 0600,
     .read = user_keys,
     .write = write_user_keys,
     .truncate = nothing_to_truncate,
     .save = save_user_keys,
     .restore = restore_user_keys,
     .lines = kKeyLines},
    {.pattern = "/users/*/limits",
     .perm = 0644,
     .read = user_limits,
     .write = write_user_limits,
     .truncate = remove_user_limits,
     .save = save_user_limits,
     .restore = restore_user_limits,
     .lines = kLimitLines},
    {.pattern = "/users/*/quota",
     .perm = 0644,
     .read = user_quota,
     .write = write_user_quota,
     .truncate = remove_user_quota,
     .save = save_user_quota,
     .restore = restore_user_quota,
     .lines = kQuotaLines},
    {.pattern = "/users/*/buckets", .read = user_buckets},
    {.pattern = "/users/*/accounts", .dir = true, .perm = 0755, .names = account_names, .make = make_account},
    {.pattern = "/users/*/accounts/*", .dir = true, .perm = 0755, .exists = account_exists, .remove = remove_account},
    {.pattern = "/users/*/accounts/*/keys",
     .perm = 0600,
     .read = account_keys,
     .write = write_account_keys,
     .truncate = nothing_to_truncate,
     .save = save_account_keys,
     .restore = restore_account_keys,
     .lines = kKeyLines},
    {.pattern = "/users/*/accounts/*/info", .perm = 0600, .read = account_info},
    {.pattern = "/buckets", .dir = true, .perm = 0755, .names = bucket_names},
    {.pattern = "/buckets/*", .dir = true, .perm = 0755, .exists = bucket_exists},
    {.pattern = "/buckets/*/owner", .read = bucket_owner},
    {.pattern = "/buckets/*/size", .read = bucket_size},
    {.pattern = "/buckets/*/versioning", .read = bucket_versioning},
    {.pattern = "/buckets/*/object-lock", .read = bucket_object_lock},
    {.pattern = "/buckets/*/limits",
     .perm = 0644,
     .read = bucket_limits,
     .write = write_bucket_limits,
     .truncate = remove_bucket_limits,
     .save = save_bucket_limits,
     .restore = restore_bucket_limits,
     .lines = kLimitLines},
    {.pattern = "/buckets/*/quota",
     .perm = 0644,
     .read = bucket_quota,
     .write = write_bucket_quota,
     .truncate = remove_bucket_quota,
     .save = save_bucket_quota,
     .restore = restore_bucket_quota,
     .lines = kQuotaLines},
    {.pattern = "/quotas", .dir = true, .perm = 0755},
    {.pattern = "/quotas/default-user",
     .perm = 0644,
     .read = default_user_quota,
     .write = write_default_user_quota,
     .truncate = remove_default_user_quota,
     .save = save_default_user_quota,
     .restore = restore_default_user_quota,
     .lines = kQuotaLines},
    {.pattern = "/quotas/default-bucket",
     .perm = 0644,
     .read = default_bucket_quota,
     .write = write_default_bucket_quota,
     .truncate = remove_default_bucket_quota,
     .save = save_default_bucket_quota,
     .restore = restore_default_bucket_quota,
     .lines = kQuotaLines},
    {.pattern = "/usage", .dir = true, .perm = 0755, .names = usage_names},
    {.pattern = "/usage/*", .perm = 0444, .exists = usage_exists, .remove = remove_usage_object, .read = usage_object},
};

const Node* find_node(std::string_view pattern) {
    for (const auto& n : kNodes)
        if (n.pattern == pattern) return &n;
    return nullptr;
}

std::string child_pattern(std::string_view parent, std::string_view name) {
    return (parent == "/" ? std::string() : std::string(parent)) + "/" + std::string(name);
}

Error not_found(std::string_view path) { return Error(Errc::InvalidArgument, "no such file: " + std::string(path)); }

}  // namespace

Result<Resolved> Tree::resolve(std::string_view path) const {
    Resolved r;
    r.node = find_node("/");
    std::string_view rest = path;
    while (!rest.empty()) {
        if (rest.front() == '/') {
            rest.remove_prefix(1);
            continue;
        }
        auto slash = rest.find('/');
        std::string_view name = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
        if (!r.node->dir) return not_found(path);
        if (const Node* exact = find_node(child_pattern(r.node->pattern, name))) {
            r.node = exact;
            continue;
        }
        const Node* any = find_node(child_pattern(r.node->pattern, "*"));
        if (!any) return not_found(path);
        r.captures.emplace_back(name);
        r.node = any;
        if (any->exists) OSTOR_TRY(any->exists(Ctx{engine_, r.captures}));
    }
    return r;
}

bool Tree::is_dir(const Resolved& r) const { return r.node->dir; }
mode_t Tree::mode(const Resolved& r) const { return (r.node->dir ? S_IFDIR : S_IFREG) | r.node->perm; }
bool Tree::writable(const Resolved& r) const { return r.node->write != nullptr; }

Result<std::vector<std::string>> Tree::list(const Resolved& dir) const {
    if (!dir.node->dir) return Error(Errc::InvalidArgument, "not a directory");
    std::vector<std::string> names;
    std::string prefix = child_pattern(dir.node->pattern, "");
    for (const auto& n : kNodes) {
        if (!n.pattern.starts_with(prefix) || n.pattern.size() == prefix.size()) continue;
        std::string_view leaf = n.pattern.substr(prefix.size());
        if (leaf.find('/') != std::string_view::npos || leaf == "*") continue;
        names.emplace_back(leaf);
    }
    if (dir.node->names) {
        auto dynamic = dir.node->names(Ctx{engine_, dir.captures});
        if (!dynamic) return std::move(dynamic).error();
        names.insert(names.end(), dynamic->begin(), dynamic->end());
    }
    return names;
}

Result<std::string> Tree::read(const Resolved& file) const {
    if (!file.node->read) return Error(Errc::InvalidArgument, "not a file");
    return file.node->read(Ctx{engine_, file.captures});
}

Result<void> Tree::write(const Resolved& file, std::string_view data, bool replace) const {
    if (!file.node->write) return Error(Errc::InvalidArgument, "this file takes no writes");
    return file.node->write(Ctx{engine_, file.captures}, data, replace);
}

bool Tree::may_begin_line(const Resolved& file, std::string_view partial) const {
    return fs::may_begin_line(file.node->lines, partial);
}

Result<void> Tree::truncate(const Resolved& file) const {
    if (!file.node->truncate) return Error(Errc::InvalidArgument, "this file takes no writes");
    return file.node->truncate(Ctx{engine_, file.captures});
}

Result<std::string> Tree::save(const Resolved& file) const {
    if (!file.node->save) return std::string();
    return file.node->save(Ctx{engine_, file.captures});
}

Result<void> Tree::restore(const Resolved& file, const std::string& saved) const {
    if (!file.node->restore) return {};
    return file.node->restore(Ctx{engine_, file.captures}, saved);
}

Result<void> Tree::make_dir(const Resolved& dir, std::string_view name) const {
    if (!dir.node->make) return Error(Errc::InvalidArgument, "no directories can be made here");
    return dir.node->make(Ctx{engine_, dir.captures}, name);
}

Result<void> Tree::remove_dir(const Resolved& dir) const {
    if (!dir.node->dir || !dir.node->remove) return Error(Errc::InvalidArgument, "this directory cannot be removed");
    return dir.node->remove(Ctx{engine_, dir.captures});
}

Result<void> Tree::remove_file(const Resolved& file) const {
    if (file.node->dir || !file.node->remove) return Error(Errc::InvalidArgument, "this file cannot be removed");
    return file.node->remove(Ctx{engine_, file.captures});
}

bool can_make_dir_in(const Resolved& dir) { return dir.node->dir && dir.node->make; }
bool can_remove(const Resolved& r) { return r.node->remove != nullptr; }

}  // namespace ostor::fs
