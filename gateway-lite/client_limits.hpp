// What one client address may hold of the server: open connections (in
// all and per address, with a part kept for loopback peers) and busy
// workers (a share of them, past which its connections wait their turn).
// Free of sockets and threads: the server calls these under its own lock.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "s3_error.hpp"

namespace ostor::gw {

struct Connection;  // server.cpp: only pointers pass through here

// Open connections, counted by client address.
class ConnectionCounts {
public:
    ConnectionCounts(std::size_t max_connections, std::size_t max_per_client, std::size_t reserved_for_loopback)
        : max_connections_(max_connections),
          max_per_client_(max_per_client),
          reserved_for_loopback_(reserved_for_loopback) {}

    // Counts a new connection from `client` when `open` (all connections
    // now) leaves room for it; else the 503 SlowDown it gets instead.
    std::optional<S3Error> admit(const std::string& client, std::size_t open);
    // A connection from `client` closed.
    void release(const std::string& client);

private:
    std::size_t max_connections_;
    std::size_t max_per_client_;
    std::size_t reserved_for_loopback_;
    std::unordered_map<std::string, std::size_t> per_client_;  // open connections by client address
};

// Workers busy by client address: slow clients (a header dribbled a byte at
// a time holds a worker until the header timeout) cannot take them all.
class WorkerShares {
public:
    explicit WorkerShares(std::size_t share) : share_(share) {}

    // True: `c` of `client` may take a worker now (counted busy); false: it
    // waits for one of its client's to finish.
    bool take_or_wait(Connection* c, const std::string& client);
    // A worker is done with a connection of `client`: the client's next
    // waiting connection, which takes its place (the count stays), or
    // nullptr (the count drops).
    Connection* finished(const std::string& client);
    // At a stop: every connection still waiting its turn, no longer kept.
    std::vector<Connection*> take_waiting();

private:
    std::size_t share_;
    std::unordered_map<std::string, std::size_t> busy_;                 // ready or being served, by client address
    std::unordered_map<std::string, std::deque<Connection*>> waiting_;  // woken past their client's share
};

}  // namespace ostor::gw
