// The server's setup outside HTTP: the listening socket, the TLS context,
// the open-files budget, and peer addresses as text.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <string>

#include <openssl/ssl.h>

#include "ostor/error.hpp"
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

}  // namespace ostor::gw
