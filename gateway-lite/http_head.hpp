// A request head as Beast parsed it, checked and turned into the
// HttpRequest the S3 code sees. Included only where Beast's parser is
// (server.cpp, and the request head's fuzz target): Beast compiles slowly.
#pragma once

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

// GCC 12 with -fsanitize reports a false maybe-uninitialized inside Beast's
// parser (a boost::optional it inlines here); werror would stop the build.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/beast/http.hpp>

#include "http.hpp"
#include "s3_error.hpp"

namespace ostor::gw {

// The HTTP version (1.0 and 1.1 are served: 505 otherwise) and the
// transfer coding (RFC 9112 6.1: a request whose final transfer coding is
// not chunked cannot be framed, 400; codings before it that the server does
// not implement (gzip, ...) are 501; only "chunked" alone is served; the
// codings of every Transfer-Encoding field count, in order).
template <class Message>
std::optional<S3Error> check_request_head(const Message& msg, bool chunked) {
    namespace http = boost::beast::http;
    if (msg.version() != 11 && msg.version() != 10) return http_version_not_supported();
    std::size_t codings = 0;
    auto fields = msg.equal_range(http::field::transfer_encoding);
    for (auto field = fields.first; field != fields.second; ++field)
        for (auto coding : http::token_list(field->value())) {
            (void)coding;
            ++codings;
        }
    if (codings == 0) return std::nullopt;
    if (!chunked) return unframed_transfer_coding();
    if (codings != 1) return transfer_coding_not_implemented();
    return std::nullopt;
}

// The request as the S3 code sees it: header names lowercased, values and
// their order as sent.
template <class Parser>
HttpRequest http_request_from(const Parser& parser) {
    const auto& msg = parser.get();
    HttpRequest request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    for (const auto& field : msg) {
        std::string name(field.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (auto len = parser.content_length()) request.content_length = *len;
    request.chunked = parser.chunked();
    return request;
}

}  // namespace ostor::gw
