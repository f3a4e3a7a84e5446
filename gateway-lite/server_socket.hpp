// The server's setup outside HTTP: the listening socket, the TLS context,
// the open-files budget, the cores, peer addresses as text, and the answer
// to a connection refused before it is served.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include <openssl/ssl.h>

#include "ostor/error.hpp"
#include "s3_error.hpp"
#include "server.hpp"

namespace ostor::gw {

// A listening socket (non-blocking, close-on-exec) bound to `listen`
// (ADDR:PORT, [v6]:PORT; port 0 = any free port), and the URL it answers at
// ("http://127.0.0.1:9000", https with `tls`). Fails: InvalidArgument (not
// ADDR:PORT, unresolvable), IoError (bind or listen).
struct Listener {
    int fd = -1;
    std::string url;
};
Result<Listener> open_listener(const std::string& listen, bool tls);

// A TLS server context (TLS 1.2 at least) with the certificate chain and
// key of `files`. Fails: InvalidArgument (unreadable or mismatched files).
Result<SSL_CTX*> load_tls_context(const TlsFiles& files);

// What the open-files limit leaves for connections, after raising the soft
// limit to the hard one (each connection is a socket).
std::size_t connection_budget();

// The address of a peer (or of a bound socket) as text, "?" when not IP.
std::string peer_name(const sockaddr_storage& addr);

// Adds `fd` to `epoll_fd`, level-triggered for input, with `tag` as its data.
void epoll_add(int epoll_fd, int fd, std::uint64_t tag);

// The cores this process may run on (its affinity mask, which a container's
// cpuset sets), at least 1.
std::size_t usable_cores();

// Closes a connection refused at accept (too many), with a clear answer
// (503 `refusal`) rather than a silent queue, sent without waiting: the
// acceptor never blocks on one client. An HTTPS connection is only closed:
// there is no session to answer in.
void refuse_connection(int fd, const S3Error& refusal, bool tls);

}  // namespace ostor::gw
