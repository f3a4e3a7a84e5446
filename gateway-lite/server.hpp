// The HTTP/1.1 server: a listening socket and one thread per connection.
//
// Why threads: every engine call blocks (io_uring waits, group-commit syncs),
// and a blocked thread per request is the simplest correct way to let many
// of them wait at once while the disk batches their syncs. Connections are
// capped (max_connections) and every read has a timeout, so slow or idle
// clients cannot pile up threads.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "http.hpp"
#include "ostor/error.hpp"

namespace ostor::gw {

struct TlsFiles {
    std::string cert;  // PEM certificate chain
    std::string key;   // PEM private key
};

struct ServerOptions {
    std::string listen = "127.0.0.1:9000";  // ADDR:PORT, [v6]:PORT; port 0 = any free port
    std::size_t max_connections = 1024;
    int header_timeout_s = 30;   // a request's header must arrive within this
    int idle_timeout_s = 60;     // keep-alive idle time, and the longest pause inside a body
    std::size_t max_header_bytes = 64 * 1024;
    TlsFiles tls;  // HTTPS when cert is set
};

using Handler = std::function<void(const HttpRequest&, BodyReader&, ResponseWriter&)>;

class Server {
public:
    // Binds and listens. Fails: InvalidArgument (bad address, unreadable TLS
    // files), IoError (bind).
    static Result<std::unique_ptr<Server>> listen(const ServerOptions& options);
    virtual ~Server() = default;
    // "http://127.0.0.1:9000": the address actually bound.
    virtual std::string url() const = 0;
    // Serves until stop(); then waits for requests in progress to finish.
    virtual void run(Handler handler) = 0;
    // Stops accepting and closes idle connections. Safe from any thread.
    virtual void stop() = 0;
};

}  // namespace ostor::gw
