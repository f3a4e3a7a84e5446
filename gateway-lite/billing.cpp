#include "billing.hpp"

#include <boost/json.hpp>

#include "ostor/admin_format.hpp"
#include "util.hpp"

namespace ostor::gw {

namespace {

using admin::Json;

struct Bandwidth {
    std::uint64_t in = 0, out = 0;
};

bool counts_for(std::string_view user_id, std::string_view tag, const std::string& want_user,
                const std::optional<std::string>& want_account) {
    return user_id == want_user && (!want_account || tag == *want_account);
}

// Bytes uploaded and downloaded by the user (account) in the statistics
// objects still stored.
Result<Bandwidth> stored_bandwidth(Engine& engine, const std::string& user_id,
                                   const std::optional<std::string>& account) {
    Bandwidth total;
    std::string after;
    for (;;) {
        auto page = engine.list_usage_objects(after);
        if (!page) return std::move(page).error();
        for (const auto& name : page->names) {
            auto content = engine.get_usage_object(name);
            if (!content) continue;  // deleted meanwhile
            boost::system::error_code ec;
            auto doc = boost::json::parse(*content, ec);
            const auto* items = !ec && doc.is_object() ? doc.as_object().if_contains("items") : nullptr;
            if (!items || !items->is_array()) continue;  // not a statistics object of ours
            for (const auto& item : items->as_array()) {
                const auto* key = item.is_object() ? item.as_object().if_contains("key") : nullptr;
                const auto* counters = item.is_object() ? item.as_object().if_contains("counters") : nullptr;
                if (!key || !counters || !key->is_object() || !counters->is_object()) continue;
                const auto* uid = key->as_object().if_contains("user_id");
                const auto* tag = key->as_object().if_contains("tag");
                const auto* net = counters->as_object().if_contains("net_io");
                if (!uid || !tag || !net || !uid->is_string() || !tag->is_string() || !net->is_object()) continue;
                if (!counts_for(uid->as_string(), tag->as_string(), user_id, account)) continue;
                auto number = [&](const char* field) -> std::uint64_t {
                    const auto* v = net->as_object().if_contains(field);
                    if (v && v->is_uint64()) return v->as_uint64();
                    if (v && v->is_int64() && v->as_int64() > 0) return static_cast<std::uint64_t>(v->as_int64());
                    return 0;
                };
                total.in += number("uploaded");
                total.out += number("downloaded");
            }
        }
        if (!page->truncated || page->names.empty()) break;
        after = page->names.back();
    }
    return total;
}

void answer(ResponseWriter& out, int status, const std::string& body, std::string_view type = "application/json") {
    HttpResponseHead head;
    head.status = status;
    head.headers = {{"Content-Type", std::string(type)}, {"Server", "ostor"}};
    head.content_length = body.size();
    if (out.write_head(head)) out.write_body(std::as_bytes(std::span(body.data(), body.size())));
}

void answer_error(ResponseWriter& out, int status, std::string_view code, std::string_view message) {
    Json j = Json::object();
    j.set("Code", code).set("Message", message);
    answer(out, status, j.pretty());
}

void answer_error(ResponseWriter& out, const Error& e) {
    answer_error(out, e.info().http_status, e.info().s3_code, e.message());
}

}  // namespace

void BillingEndpoint::handle(const HttpRequest& request, BodyReader&, ResponseWriter& out) {
    auto qpos = request.target.find('?');
    std::string path = request.target.substr(0, qpos);
    auto query = parse_query(qpos == std::string::npos ? "" : request.target.substr(qpos + 1));
    if (!query) return answer_error(out, Error(Errc::InvalidArgument, "malformed query string"));
    auto param = [&](std::string_view name) -> std::optional<std::string> {
        for (const auto& [n, v] : *query)
            if (n == name) return v;
        return std::nullopt;
    };
    if (request.method != "GET" && request.method != "HEAD")
        return answer_error(out, 405, "MethodNotAllowed", "the billing API answers GET only");

    if (path == "/metrics") return answer(out, 200, metrics_.render(), "text/plain; version=0.0.4");
    if (path == "/v1/status") return answer(out, 200, Json::object().pretty());
    if (path == "/v1/info") {
        Json prefixes = Json::object();
        prefixes.set("account_prefixes", Json::array()).set("container_prefixes", Json::array());
        Json version = Json::object();
        version.set("version", "0.1.0");
        Json conf = Json::object();
        conf.set("proxy_url", gateway_url_).set("namespace", engine_.volume_id());
        Json j = Json::object();
        j.set("prefixes", std::move(prefixes)).set("oiobilling", std::move(version)).set("sds_conf", std::move(conf));
        return answer(out, 200, j.pretty());
    }
    if (path != "/v1/bill/fetch") return answer_error(out, 404, "NotFound", "unknown path " + path);

    auto user_param = param("user");
    if (!user_param || user_param->empty())
        return answer_error(out, Error(Errc::InvalidArgument, "user is required (a user id or email)"));
    auto user = user_param->find('@') == std::string::npos ? engine_.get_user(*user_param)
                                                           : engine_.get_user_by_email(*user_param);
    if (!user) return answer_error(out, user.error());
    auto account = param("account");
    if (account && account->empty()) account.reset();
    if (account) {
        auto a = engine_.get_account(user->id, *account);
        if (!a) return answer_error(out, a.error());
    }

    BucketFilter filter;
    filter.owner_id = user->id;
    if (account) filter.account = *account;
    auto buckets = engine_.list_buckets(filter);
    if (!buckets) return answer_error(out, buckets.error());
    std::uint64_t bytes = 0, objects = 0;
    Json items = Json::array();
    for (const auto& b : *buckets) {
        bytes += b.bytes;
        objects += b.objects;
        Json item = Json::object();
        item.set("name", b.name).set("bytes", b.bytes).set("objects", b.objects);
        items.push(std::move(item));
    }
    auto bandwidth = stored_bandwidth(engine_, user->id, account);
    if (!bandwidth) return answer_error(out, bandwidth.error());
    if (stats_)
        for (const auto& [key, c] : stats_->current())
            if (counts_for(key.user_id, key.tag, user->id, account)) {
                bandwidth->in += c.uploaded;
                bandwidth->out += c.downloaded;
            }

    Json bw = Json::object();
    bw.set("out", bandwidth->out).set("in", bandwidth->in);
    Json storage = Json::object();
    storage.set("objects", objects).set("bytes", bytes);
    Json reference = Json::object();
    reference.set("account", account.value_or("")).set("user", *user_param);
    Json j = Json::object();
    j.set("items", std::move(items)).set("bandwidth", std::move(bw)).set("storage", std::move(storage))
        .set("reference", std::move(reference));
    answer(out, 200, j.pretty());
}

}  // namespace ostor::gw
