// libFuzzer target: a request head as the gateway takes it, from bytes to a
// route: Beast's parser with the server's header limit, the head's checks
// and conversion (gateway-lite/http_head.hpp), the target and Host
// (s3/target.cpp) and the route table (s3/routes.cpp).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http_head.hpp"
#include "s3/routes.hpp"
#include "s3/target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace http = boost::beast::http;
    using namespace ostor::gw;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(64 * 1024);  // ServerOptions::max_header_bytes
    parser.eager(false);
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(data, size), ec);
    if (ec || !parser.is_header_done()) return 0;
    if (check_request_head(parser.get(), parser.chunked())) return 0;
    HttpRequest request = http_request_from(parser);
    auto target = s3::parse_target(request.target, request.header_or("host"), "s3.example.com");
    auto* t = std::get_if<s3::RequestTarget>(&target);
    if (!t) return 0;
    // A key is only named under a bucket.
    if (t->key_given && t->bucket.empty()) std::abort();
    const auto scope = t->bucket.empty() ? s3::Scope::Service : t->key_given ? s3::Scope::Object : s3::Scope::Bucket;
    const auto& route = s3::route_for(request.method, scope, t->query, request);
    if (route.scope != scope || route.name.empty()) std::abort();
    return 0;
}
