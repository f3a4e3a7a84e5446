#include "admin_listener.hpp"

#include "admin_api.hpp"
#include "console.hpp"
#include "util.hpp"

namespace ostor::gw {

void serve_admin_listener(const HttpRequest& request, BodyReader& body, ResponseWriter& out, S3Handler& s3,
                          BillingEndpoint& billing) {
    auto qpos = request.target.find('?');
    std::string_view path = std::string_view(request.target).substr(0, qpos);
    if (is_console_path(path)) return serve_console(request, path, out);
    if (path == "/" && qpos != std::string::npos) {
        // Only the service root's ostor-* calls: no bucket or object
        // operation is reachable here. A malformed query goes to the
        // billing API, which refuses it.
        auto query = parse_query(std::string_view(request.target).substr(qpos + 1));
        if (query && is_admin_request(*query)) return s3.handle(request, body, out);
    }
    billing.handle(request, body, out);
}

}  // namespace ostor::gw
