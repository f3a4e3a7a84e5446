#include "admin_listener.hpp"

#include "admin_api.hpp"
#include "console.hpp"
#include "ostor/admin_format.hpp"
#include "util.hpp"

namespace ostor::gw {

namespace {

// The billing API's 404, for an ostor-* call that routed elsewhere.
void answer_not_admin(ResponseWriter& out) {
    admin::Json j = admin::Json::object();
    j.set("Code", "NotFound").set("Message", "only the admin API (ostor-* on the service, no bucket) is served here");
    std::string body = j.pretty();
    HttpResponseHead head;
    head.status = 404;
    head.headers = {{"Content-Type", "application/json"}, {"Server", "ostor"}};
    head.content_length = body.size();
    if (out.write_head(head)) out.write_body(std::as_bytes(std::span(body.data(), body.size())));
}

}  // namespace

void serve_admin_listener(const HttpRequest& request, BodyReader& body, ResponseWriter& out, S3Handler& s3,
                          BillingEndpoint& billing) {
    auto qpos = request.target.find('?');
    std::string_view path = std::string_view(request.target).substr(0, qpos);
    if (is_console_path(path)) return serve_console(request, path, out);
    if (path == "/" && qpos != std::string::npos) {
        // Only the service root's ostor-* calls: no bucket or object
        // operation is reachable here (handle_admin declines the rest, a
        // bucket named by Host included). A malformed query goes to the
        // billing API, which refuses it.
        auto query = parse_query(std::string_view(request.target).substr(qpos + 1));
        if (query && is_admin_request(*query)) {
            if (!s3.handle_admin(request, body, out)) answer_not_admin(out);
            return;
        }
    }
    billing.handle(request, body, out);
}

}  // namespace ostor::gw
