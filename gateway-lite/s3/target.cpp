#include "s3/target.hpp"

namespace ostor::gw::s3 {

std::variant<RequestTarget, S3Error> parse_target(std::string_view target, std::string_view host_header,
                                                  std::string_view domain) {
    RequestTarget t;
    auto qpos = target.find('?');
    t.path = std::string(target.substr(0, qpos));
    std::string_view raw_query = qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1);
    if (t.path.empty() || t.path[0] != '/') {
        // Absolute-form targets ("http://host/path") are allowed by HTTP.
        auto scheme = t.path.find("://");
        if (scheme == std::string::npos) return invalid_request("The request target is not valid.");
        auto slash = t.path.find('/', scheme + 3);
        t.path = slash == std::string::npos ? "/" : t.path.substr(slash);
    }
    auto query = parse_query(raw_query);
    auto decoded_path = url_decode(t.path);
    if (!query || !decoded_path) return invalid_argument("The request URI is not valid percent-encoding.");
    t.query = std::move(*query);

    // Virtual-host style: the bucket is the Host's leading label(s).
    std::string host = to_lower(host_header);
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
        host.resize(colon);
    const std::string suffix = "." + to_lower(domain);
    if (!domain.empty() && host.size() > suffix.size() && host.ends_with(suffix)) {
        t.vhost_bucket = host.substr(0, host.size() - suffix.size());
        t.bucket = t.vhost_bucket;
        t.key = decoded_path->substr(1);
    } else {
        std::string_view p = std::string_view(*decoded_path).substr(1);
        auto slash = p.find('/');
        t.bucket = std::string(p.substr(0, slash));
        if (slash != std::string_view::npos) t.key = std::string(p.substr(slash + 1));
        // "//key": a key under no bucket (else answered as the service,
        // "GET //k" listing the caller's buckets).
        if (t.bucket.empty() && !t.key.empty()) return invalid_bucket_name();
    }
    t.key_given = !t.key.empty();
    return t;
}

}  // namespace ostor::gw::s3
