#include "billing.hpp"

#include <sys/statvfs.h>

#include "ostor/admin_format.hpp"
#include "util.hpp"

namespace ostor::gw {

namespace {

using admin::Json;

constexpr std::size_t kUserIdHexDigits = 16;

bool looks_like_user_id(std::string_view s) {
    return s.size() == kUserIdHexDigits && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
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

std::string BillingEndpoint::status_json() const {
    auto uptime_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
    auto totals = metrics_.totals();
    Json requests = Json::object();
    requests.set("total", totals.requests)
        .set("client_errors", totals.client_errors)
        .set("server_errors", totals.server_errors);
    Json volume = Json::object();
    volume.set("id", engine_.volume_id());
    struct statvfs fs {};
    if (::statvfs(engine_.directory().c_str(), &fs) == 0) {
        volume.set("total_bytes", static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize)
            .set("free_bytes", static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize);
    }
    Json j = Json::object();
    j.set("uptime_s", static_cast<std::int64_t>(uptime_s.count()))
        .set("requests", std::move(requests))
        .set("volume", std::move(volume));
    return j.pretty();
}

void BillingEndpoint::handle(const HttpRequest& request, BodyReader&, ResponseWriter& out) {
    auto qpos = request.target.find('?');
    std::string path = request.target.substr(0, qpos);
    auto query = parse_query(qpos == std::string::npos ? "" : request.target.substr(qpos + 1));
    if (!query) return answer_error(out, Error(Errc::InvalidArgument, "malformed query string"));
    if (auto refused = admin_refusal(engine_, access_, request, path, *query))
        return answer_error(out, 403, "AccessDenied", *refused);
    auto param = [&](std::string_view name) -> std::optional<std::string> {
        for (const auto& [n, v] : *query)
            if (n == name) return v;
        return std::nullopt;
    };
    if (request.method != "GET" && request.method != "HEAD")
        return answer_error(out, 405, "MethodNotAllowed", "the billing API answers GET only");

    if (path == "/") {
        Json endpoints = Json::object();
        endpoints.set("/v1/info", "the billing service's configuration")
            .set("/v1/status", "uptime, requests answered, errors, volume space")
            .set("/v1/bill/fetch?user=&account=", "storage, bandwidth and buckets of a user or account")
            .set("/metrics", "Prometheus metrics")
            .set("/console/", "the web console (sign in with a system user's keys)")
            .set("/?ostor-*", "the admin REST API (a system user's signature)");
        Json j = Json::object();
        j.set("service", "ostor-gateway admin listener").set("endpoints", std::move(endpoints));
        return answer(out, 200, j.pretty());
    }
    if (path == "/metrics") return answer(out, 200, metrics_.render(), "text/plain; version=0.0.4");
    if (path == "/v1/status") return answer(out, 200, status_json());
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
    auto account_param = param("account");
    if (user_param && user_param->empty()) user_param.reset();
    if (account_param && account_param->empty()) account_param.reset();
    if (!user_param && !account_param)
        return answer_error(
            out, Error(Errc::InvalidArgument, "user or account is required (a user id or email; an account name)"));

    // Which (user id, account) rows and buckets the bill covers; no user id
    // when `user` names no one (then the bill is zeros).
    BillingMeter::Selection selection;
    selection.account = account_param;
    bool nobody = false;
    if (user_param) {
        if (user_param->find('@') != std::string::npos) {
            auto user = engine_.get_user_by_email(*user_param);
            if (user)
                selection.user_id = user->id;
            else if (user.error().code() == Errc::NoSuchUser)
                nobody = true;
            else
                return answer_error(out, user.error());
        } else if (looks_like_user_id(*user_param)) {
            selection.user_id = *user_param;  // also a deleted user's: its bandwidth stays billed
        } else {
            nobody = true;
        }
    }

    std::uint64_t bytes = 0, objects = 0;
    Json items = Json::array();
    BillingCounters billed;
    if (!nobody) {
        BucketFilter filter;
        filter.owner_id = selection.user_id;
        if (selection.user_id) filter.account = selection.account;
        auto buckets = engine_.list_buckets(filter);
        if (!buckets) return answer_error(out, buckets.error());
        for (const auto& b : *buckets) {
            if (selection.account && b.account != *selection.account) continue;
            bytes += b.bytes;
            objects += b.objects;
            Json item = Json::object();
            item.set("name", b.name).set("bytes", b.bytes).set("objects", b.objects);
            items.push(std::move(item));
        }
        auto totals = meter_.billed(selection);
        if (!totals) return answer_error(out, totals.error());
        billed = *totals;
    }

    Json bw = Json::object();
    bw.set("out", billed.downloaded).set("in", billed.uploaded);
    Json storage = Json::object();
    storage.set("objects", objects).set("bytes", bytes);
    Json reference = Json::object();
    reference.set("account", account_param.value_or("")).set("user", user_param.value_or(""));
    Json j = Json::object();
    j.set("items", std::move(items))
        .set("bandwidth", std::move(bw))
        .set("storage", std::move(storage))
        .set("reference", std::move(reference));
    answer(out, 200, j.pretty());
}

}  // namespace ostor::gw
