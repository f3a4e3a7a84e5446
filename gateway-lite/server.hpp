// The HTTP/1.1 server: a listening socket with its acceptor thread, idle
// connections parked in epoll, and a pool of worker threads that take them
// from epoll as their requests arrive.
//
// Why threads: every engine call blocks (io_uring waits, group-commit syncs),
// and a blocked thread per request is the simplest correct way to let many
// of them wait at once while the disk batches their syncs; the pool grows
// when all its workers are held. Why epoll: a keep-alive connection spends
// most of its life idle, and an idle connection parked in epoll costs a
// socket and a few hundred bytes, not a thread, so tens of thousands of them
// cannot lock busy clients out. A worker serves a read (and any request
// read behind it), parks the connection and takes the next one epoll has,
// so a few workers serve many connections' small GETs without a context
// switch each; after a write it waits a moment for the connection's next
// request, so that writers keep a worker each and their syncs batch.
// Everything is bounded: open connections in all and per client address,
// worker threads, and every read by a timeout.
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
    // Open connections in all (idle ones included), and per client address;
    // past either a new connection gets 503 SlowDown. max_connections is
    // cut to what the process's open-files limit allows.
    std::size_t max_connections = 16384;
    std::size_t max_connections_per_client = 1000;
    // Of max_connections, this many are kept for loopback peers: remote
    // clients cannot lock out a local one (the admin listener's scripts).
    std::size_t reserved_for_loopback = 0;
    // Requests served at once (worker threads); more wait for a worker. One
    // client address keeps at most an eighth of them busy.
    std::size_t max_active = 1024;
    // Workers kept waiting in epoll while idle (more start when they are
    // all busy); 0: the usable cores + 2, which a busy listener wants.
    std::size_t min_workers = 0;
    int header_timeout_s = 30;  // a request's header must arrive within this
    int idle_timeout_s = 60;    // keep-alive idle time, and the longest pause inside a body
    // A worker waits this long for a connection's bytes before parking it:
    // the first ones epoll reported, and the next request after a write.
    int linger_ms = 200;
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
    // Open connections now (idle ones included).
    virtual std::size_t open_connections() const = 0;
    // Serves until stop(); then waits for requests in progress to finish.
    virtual void run(Handler handler) = 0;
    // Stops accepting and closes idle connections. Safe from any thread.
    virtual void stop() = 0;
};

}  // namespace ostor::gw
