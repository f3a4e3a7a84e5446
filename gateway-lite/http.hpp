// The gateway's view of one HTTP exchange, free of Beast: the S3 code works
// on these and only server.cpp knows the HTTP library.
//
// Model: while a request is served, one worker thread owns its connection,
// so reads and writes block (with timeouts enforced underneath); between
// requests the server parks the connection without a thread. The request body is pulled by the handler;
// the response is pushed as a head followed by body bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ostor::gw {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method;  // "GET", ...
    std::string target;  // as sent: path?query, still percent-encoded
    HeaderList headers;  // names lowercased, values as sent, in arrival order
    std::optional<std::uint64_t> content_length;
    bool chunked = false;  // Transfer-Encoding: chunked (decoded underneath)
    std::string remote;    // peer address, for logs
    bool tls = false;      // arrived over TLS (https): for URLs of the gateway in answers

    // The first header of that (lowercase) name.
    const std::string* header(std::string_view name) const {
        for (const auto& [n, v] : headers)
            if (n == name) return &v;
        return nullptr;
    }
    std::string_view header_or(std::string_view name, std::string_view fallback = {}) const {
        const auto* v = header(name);
        return v ? std::string_view(*v) : fallback;
    }
};

// Pulls the request body. Reading starts the body: a client that sent
// `Expect: 100-continue` gets its "100 Continue" at the first read.
class BodyReader {
public:
    virtual ~BodyReader() = default;
    // Up to out.size() bytes; 0 at the end of the body. -1 when the body
    // could not be read whole (client gone, truncated, timed out, malformed
    // chunking): the connection is then closed after the response.
    virtual std::ptrdiff_t read(std::span<std::byte> out) = 0;
    // True once the whole body has been read.
    virtual bool done() const = 0;
};

struct HttpResponseHead {
    int status = 200;
    HeaderList headers;
    // Length of the body that follows; nullopt sends it chunked.
    std::optional<std::uint64_t> content_length = 0;
};

// Pushes the response. write_head once, then write_body until content_length
// bytes are sent. False when the client is gone (stop sending).
class ResponseWriter {
public:
    virtual ~ResponseWriter() = default;
    virtual bool write_head(const HttpResponseHead& head) = 0;
    virtual bool write_body(std::span<const std::byte> data) = 0;
    // True once write_head was called.
    virtual bool head_written() const = 0;
};

}  // namespace ostor::gw
