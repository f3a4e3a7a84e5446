// A connection of the HTTP server (server.cpp, the only file that includes
// this: it brings Beast's flat_buffer and the server's stream).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/intrusive/list.hpp>

#include "server_stream.hpp"

namespace ostor::gw {

// A connection's state between requests; owned by the server's registry.
struct Connection {
    Connection(int socket_fd, std::string peer, int stop_fd, const std::atomic<bool>& stopping,
               std::size_t max_buffered)
        : fd(socket_fd), remote(std::move(peer)), stream(socket_fd, stop_fd, stopping), buffer(max_buffered) {}
    int fd;
    std::uint64_t id = 0;  // its epoll tag: never reused, unlike a pointer or fd
    std::string remote;    // peer address: for logs and the per-client cap
    server_io::Stream stream;
    // Bytes read past the last request. Bounded: a header, or a chunked
    // body's trailer, that does not fit fails its read (buffer_overflow).
    boost::beast::flat_buffer buffer;
    bool tls_started = false;
    bool in_epoll = false;  // registered once; re-armed (EPOLLONESHOT) at each park
    bool parked = false;
    std::chrono::steady_clock::time_point parked_at;
    // In the server's parked_ list while parked, in active_ while served: a
    // link of its own rather than a list node allocated per request.
    boost::intrusive::list_member_hook<> link;
};

using ConnectionList = boost::intrusive::list<
    Connection, boost::intrusive::member_hook<Connection, boost::intrusive::list_member_hook<>, &Connection::link>>;

}  // namespace ostor::gw
