// The ostor-* admin services (see admin_api.hpp). Each handler parses its
// parameters, calls the engine and formats with ostor/admin_format.hpp, the
// formats the CLI and the FUSE tree share.
#include "admin_api.hpp"

#include <algorithm>
#include <charconv>

#include "ostor/admin_format.hpp"
#include "ostor/admin_targets.hpp"

namespace ostor::gw {

namespace {

using admin::Json;

const std::string* param(const QueryList& q, std::string_view name) {
    for (const auto& [n, v] : q)
        if (n == name) return &v;
    return nullptr;
}
bool has(const QueryList& q, std::string_view name) { return param(q, name) != nullptr; }

// One call being answered: the result is either a JSON document or an Error.
struct Reply {
    int status = 200;
    std::optional<Json> json;
    std::optional<Error> error;
    std::string not_allowed_on;  // the service, when the method is not one it serves (405)

    Reply() = default;
    Reply(Json j) : json(std::move(j)) {}    // NOLINT: handlers return documents
    Reply(Error e) : error(std::move(e)) {}  // NOLINT: and errors alike
    static Reply empty() { return Reply(); }
    static Reply method_not_allowed(std::string service) {
        Reply r;
        r.not_allowed_on = std::move(service);
        return r;
    }
};

Reply bad_request(std::string message) { return Error(Errc::InvalidArgument, std::move(message)); }

// How the REST API spells what names a user, a bucket and a default in messages.
constexpr admin::TargetSpelling kRestSpelling{"emailAddress or userId", "bucket", "default=user|bucket"};

admin::TargetNames target_names(const QueryList& q) {
    auto given = [&](std::string_view name) -> std::optional<std::string> {
        if (const auto* value = param(q, name)) return *value;
        return std::nullopt;
    };
    // An empty emailAddress or userId is taken as not given, as the REST API
    // always did (emailAddress=&userId=ID names the user by id).
    auto given_nonempty = [&](std::string_view name) -> std::optional<std::string> {
        if (const auto* value = param(q, name); value && !value->empty()) return *value;
        return std::nullopt;
    };
    return {given_nonempty("emailAddress"), given_nonempty("userId"), given("bucket"), given("default")};
}

// The user named by emailAddress, userId or both (then the same user).
Result<User> named_user(Engine& engine, const QueryList& q) {
    return admin::resolve_user(engine, target_names(q), kRestSpelling);
}

// ---- ostor-users --------------------------------------------------------------

Reply users(Engine& engine, std::string_view method, const QueryList& q) {
    const auto* account = param(q, "accountName");
    if (method == "GET") {
        if (!has(q, "emailAddress") && !has(q, "userId")) {
            auto all = engine.list_users();
            if (!all) return std::move(all).error();
            Json list = Json::array();
            for (const auto& u : *all) list.push(admin::user_row_json(u));
            return list;
        }
        auto user = named_user(engine, q);
        if (!user) return std::move(user).error();
        auto info = admin::user_info_json(engine, *user);
        if (!info) return std::move(info).error();
        return std::move(*info);
    }
    if (method == "PUT") {
        const auto* email = param(q, "emailAddress");
        if (!email || email->empty()) return bad_request("emailAddress is required");
        // &system (or system=true): a user of the admin API itself (the
        // CLI's -S). Any other value is refused rather than read as yes.
        const auto* system = param(q, "system");
        if (system && !system->empty() && *system != "true")
            return bad_request("system takes no value or true, not '" + *system + "'");
        auto created = engine.create_user(*email, system != nullptr);
        if (!created) return std::move(created).error();
        std::vector<KeyPair> keys;
        if (created->key) keys.push_back(*created->key);
        return admin::user_keys_json(created->user, keys);
    }
    if (method == "DELETE") {
        auto user = named_user(engine, q);
        if (!user) return std::move(user).error();
        auto deleted = engine.delete_user(user->id);
        if (!deleted) return deleted.error();
        return Reply::empty();
    }
    if (method == "POST") {
        auto user = named_user(engine, q);
        if (!user) return std::move(user).error();
        if (has(q, "disable") || has(q, "enable")) {
            auto changed =
                engine.set_user_state(user->id, has(q, "disable") ? UserState::Disabled : UserState::Enabled);
            if (!changed) return std::move(changed).error();
            return Reply::empty();
        }
        if (has(q, "genKey")) {
            auto key = engine.generate_key(user->id, account ? *account : "");
            if (!key) return std::move(key).error();
            return admin::user_keys_json(*user, {*key});
        }
        if (const auto* key_id = param(q, "revokeKey")) {
            if (key_id->empty()) return bad_request("revokeKey needs the access key id");
            auto revoked =
                account ? engine.revoke_key(user->id, *key_id, *account) : engine.revoke_key(user->id, *key_id);
            if (!revoked) return revoked.error();
            return Reply::empty();
        }
        return bad_request("POST ?ostor-users takes disable, enable, genKey or revokeKey=");
    }
    return Reply::method_not_allowed("ostor-users");
}

// ---- ostor-accounts -----------------------------------------------------------

Reply accounts(Engine& engine, std::string_view method, const QueryList& q) {
    auto user = named_user(engine, q);
    if (!user) return std::move(user).error();
    const auto* name = param(q, "accountName");
    if (method == "GET" && !name) {
        auto all = engine.list_accounts(user->id);
        if (!all) return std::move(all).error();
        Json list = Json::array();
        for (const auto& a : *all) {
            auto keys = engine.list_keys(user->id, a.name);
            if (!keys) return std::move(keys).error();
            list.push(admin::account_json(a, *keys));
        }
        return list;
    }
    if (!name || name->empty()) return bad_request("accountName is required");
    if (method == "PUT" || method == "POST") {
        auto created = engine.create_account(user->id, *name);
        if (!created) return std::move(created).error();
        std::vector<KeyPair> keys;
        if (created->key) keys.push_back(*created->key);
        return admin::account_json(created->account, keys);
    }
    if (method == "GET") {
        auto account = engine.get_account(user->id, *name);
        if (!account) return std::move(account).error();
        auto keys = engine.list_keys(user->id, *name);
        if (!keys) return std::move(keys).error();
        return admin::account_json(*account, *keys);
    }
    if (method == "DELETE") {
        auto deleted = engine.delete_account(user->id, *name);
        if (!deleted) return deleted.error();
        return Reply::empty();
    }
    return Reply::method_not_allowed("ostor-accounts");
}

// ---- ostor-buckets ------------------------------------------------------------

// A page of a list (the usage list, the bucket list) holds 1000 at most.
constexpr std::uint32_t kMaxItemsPerPage = 1000;

// The page size `&max-items=N` asks (1..kMaxItemsPerPage), kMaxItemsPerPage
// when not given; nullopt when malformed.
std::optional<std::uint32_t> max_items(const QueryList& q) {
    const auto* m = param(q, "max-items");
    if (!m) return kMaxItemsPerPage;
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(m->data(), m->data() + m->size(), n);
    if (m->empty() || ec != std::errc() || end != m->data() + m->size() || n == 0 || n > kMaxItemsPerPage)
        return std::nullopt;
    return n;
}

Reply buckets(Engine& engine, std::string_view method, const QueryList& q) {
    if (method != "GET") return Reply::method_not_allowed("ostor-buckets");
    // Paged as the usage list is: with &marker= or &max-items=, the buckets
    // named after the marker, a page at most, and "truncated". Without
    // either, every bucket, as the guide lists them.
    const auto* marker = param(q, "marker");
    const bool paged = marker || has(q, "max-items");
    auto page_size = max_items(q);
    if (!page_size) return bad_request("max-items must be 1 to 1000");
    BucketFilter filter;
    if (has(q, "emailAddress") || has(q, "userId")) {
        auto user = named_user(engine, q);
        if (!user) return std::move(user).error();
        filter.owner_id = user->id;
    }
    if (marker) filter.start_after = *marker;
    auto page = list_bucket_page(engine, std::move(filter), paged ? page_size : std::nullopt);
    if (!page) return std::move(page).error();
    Json array = Json::array();
    for (const auto& b : page->buckets) array.push(admin::bucket_json(b));
    Json doc = Json::object();
    doc.set("Buckets", std::move(array));
    if (paged) doc.set("truncated", page->truncated);
    return doc;
}

// ---- ostor-limits and ostor-quotas ------------------------------------------------

Result<LimitTarget> limit_target(Engine& engine, const QueryList& q) {
    return admin::resolve_limit_target(engine, target_names(q), kRestSpelling);
}

Reply limits(Engine& engine, std::string_view method, const QueryList& q) {
    if (method != "GET" && method != "PUT" && method != "POST" && method != "DELETE")
        return Reply::method_not_allowed("ostor-limits");
    auto target = limit_target(engine, q);
    if (!target) return std::move(target).error();
    if (method == "GET") {
        auto l = engine.get_limits(*target);
        if (!l) return std::move(l).error();
        return admin::limits_json(*l);
    }
    if (method == "PUT" || method == "POST") {
        const auto* type = param(q, "limit-type");
        const auto* resource = param(q, "limit-resource");
        const auto* value = param(q, "limit-value");
        if (!type || !resource || !value)
            return Error(Errc::InvalidLimit, "limit-type, limit-resource and limit-value are required");
        auto setting = admin::parse_limit(*type, *resource, *value);
        if (!setting) return std::move(setting).error();
        auto l = engine.set_limit(*target, *setting);
        if (!l) return std::move(l).error();
        return Reply::empty();
    }
    if (method == "DELETE") {
        auto removed = engine.remove_limits(*target);
        if (!removed) return removed.error();
        return Reply::empty();
    }
    return Reply::method_not_allowed("ostor-limits");
}

Result<QuotaTarget> quota_target(Engine& engine, const QueryList& q) {
    return admin::resolve_quota_target(engine, target_names(q), kRestSpelling);
}

Reply quotas(Engine& engine, std::string_view method, const QueryList& q) {
    if (method != "GET" && method != "PUT" && method != "POST" && method != "DELETE")
        return Reply::method_not_allowed("ostor-quotas");
    auto target = quota_target(engine, q);
    if (!target) return std::move(target).error();
    if (method == "GET") {
        auto size = engine.get_quota(*target);
        if (!size) return std::move(size).error();
        return admin::quota_json(target->kind, size->value_or(0));
    }
    if (method == "PUT" || method == "POST") {
        const auto* size_text = param(q, "quota-size");
        if (!size_text) return bad_request("quota-size is required");
        auto size = admin::parse_quota_size(*size_text);
        if (!size) return std::move(size).error();
        auto set = engine.set_quota(*target, *size);
        if (!set) return set.error();
        return Reply::empty();
    }
    if (method == "DELETE") {
        auto removed = engine.remove_quota(*target);
        if (!removed) return removed.error();
        return Reply::empty();
    }
    return Reply::method_not_allowed("ostor-quotas");
}

// ---- ostor-usage ----------------------------------------------------------------

Reply usage(Engine& engine, const UsageStats* stats, std::string_view method, const QueryList& q,
            std::string& raw_body) {
    if (method != "GET" && method != "DELETE") return Reply::method_not_allowed("ostor-usage");
    const auto* obj = param(q, "obj");
    // &current: this gateway's period under way, not stored yet (the live
    // counters; other gateways keep their own).
    if (method == "GET" && has(q, "current")) {
        if (obj) return bad_request("current and obj do not go together");
        auto document = stats ? stats->current_document() : std::nullopt;
        if (!document)
            return Error(
                Errc::NoSuchUsageObject,
                "this gateway stores no usage statistics (S3_GW_COLLECT_STAT=1 in gw.conf): no period under way");
        raw_body = std::move(*document);
        return Reply::empty();
    }
    if (method == "GET" && !obj) {
        auto page_size = max_items(q);
        if (!page_size) return bad_request("max-items must be 1 to 1000");
        const auto* marker = param(q, "marker");
        auto list = engine.list_usage_objects(marker ? *marker : "", *page_size);
        if (!list) return std::move(list).error();
        return admin::usage_list_json(*list);
    }
    if (!obj || obj->empty()) return bad_request("obj is required");
    if (method == "GET") {
        auto content = engine.get_usage_object(*obj);
        if (!content) return std::move(content).error();
        raw_body = std::move(*content);  // stored as the document it is
        return Reply::empty();
    }
    if (method == "DELETE") {
        auto removed = engine.delete_usage_object(*obj);
        if (!removed) return removed.error();
        return Reply::empty();
    }
    return Reply::method_not_allowed("ostor-usage");
}

AdminAnswer json_error(int status, std::string_view code, std::string_view message, std::string_view request_id) {
    Json j = Json::object();
    j.set("Code", code).set("Message", message).set("RequestId", request_id);
    return {status, j.pretty()};
}

}  // namespace

bool is_admin_request(const QueryList& query) {
    for (const auto& [n, v] : query)
        if (n.starts_with("ostor-")) return true;
    return false;
}

AdminAnswer handle_admin(Engine& engine, const Principal& caller, std::string_view method, const QueryList& query,
                         std::string_view request_id, const UsageStats* stats) {
    if (caller.anonymous || !caller.system)
        return json_error(403, "AccessDenied", "The admin API is open to system users only.", request_id);
    std::string raw_body;
    Reply reply;
    if (has(query, "ostor-users"))
        reply = users(engine, method, query);
    else if (has(query, "ostor-accounts"))
        reply = accounts(engine, method, query);
    else if (has(query, "ostor-buckets"))
        reply = buckets(engine, method, query);
    else if (has(query, "ostor-limits"))
        reply = limits(engine, method, query);
    else if (has(query, "ostor-quotas"))
        reply = quotas(engine, method, query);
    else if (has(query, "ostor-usage"))
        reply = usage(engine, stats, method, query, raw_body);
    else
        return json_error(400, "InvalidArgument", "Unknown admin service.", request_id);

    if (!reply.not_allowed_on.empty())
        return json_error(405, "MethodNotAllowed",
                          std::string(method) + " is not allowed on ?" + reply.not_allowed_on + ".", request_id);
    if (reply.error) {
        const auto& info = reply.error->info();
        // For S3 an unknown key is a refused signature (403); here it is
        // the subject of the call, which does not exist.
        if (reply.error->code() == Errc::NoSuchAccessKey)
            return json_error(404, info.name, reply.error->message(), request_id);
        return json_error(info.http_status, info.s3_code, reply.error->message(), request_id);
    }
    if (reply.json) return {200, reply.json->pretty()};
    return {200, std::move(raw_body)};
}

// The engine reads only the page, and one more to tell whether another
// follows.
Result<BucketPage> list_bucket_page(Engine& engine, BucketFilter filter, std::optional<std::uint32_t> page_size) {
    if (page_size) filter.max_count = *page_size + 1;
    auto buckets = engine.list_buckets(filter);
    if (!buckets) return std::move(buckets).error();
    BucketPage page{std::move(*buckets)};
    page.truncated = page_size && page.buckets.size() > *page_size;
    if (page.truncated) page.buckets.resize(*page_size);
    return page;
}

}  // namespace ostor::gw
