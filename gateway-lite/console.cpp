#include "console.hpp"

#include "ostor/admin_format.hpp"

namespace ostor::gw {

namespace {

constexpr std::string_view kRoot = "/console";
constexpr std::string_view kIndex = "index.html";

// Scripts and styles from the console's own files only: no inline script,
// no other origin, not framed (clickjacking of the admin pages).
constexpr std::string_view kSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

void answer(ResponseWriter& out, int status, std::string_view type, std::string_view body, HeaderList extra = {}) {
    HttpResponseHead head;
    head.status = status;
    head.headers = {{"Content-Type", std::string(type)},
                    {"Cache-Control", "no-cache"},
                    {"X-Content-Type-Options", "nosniff"},
                    {"X-Frame-Options", "DENY"},
                    {"Content-Security-Policy", std::string(kSecurityPolicy)},
                    {"Server", "ostor"}};
    for (auto& h : extra) head.headers.push_back(std::move(h));
    head.content_length = body.size();
    if (out.write_head(head)) out.write_body(std::as_bytes(std::span(body.data(), body.size())));
}

void answer_error(ResponseWriter& out, int status, std::string_view code, std::string_view message,
                  HeaderList extra = {}) {
    admin::Json j = admin::Json::object();
    j.set("Code", code).set("Message", message);
    answer(out, status, "application/json", j.pretty(), std::move(extra));
}

}  // namespace

bool is_console_path(std::string_view path) {
    return path == kRoot || (path.starts_with(kRoot) && path[kRoot.size()] == '/');
}

void serve_console(const HttpRequest& request, std::string_view path, ResponseWriter& out) {
    if (request.method != "GET" && request.method != "HEAD")
        return answer_error(out, 405, "MethodNotAllowed", "the console's pages answer GET and HEAD only",
                            {{"Allow", "GET, HEAD"}});
    if (path == kRoot) return answer(out, 301, "text/plain; charset=utf-8", "", {{"Location", "/console/"}});
    std::string_view name = path.substr(kRoot.size() + 1);
    if (name.empty()) name = kIndex;
    for (const auto& file : console_files())
        if (file.path == name) return answer(out, 200, file.content_type, file.body);
    answer_error(out, 404, "NotFound", "the console has no file " + std::string(path));
}

}  // namespace ostor::gw
