#include "client_limits.hpp"

#include <algorithm>

#include "util.hpp"

namespace ostor::gw {

std::optional<S3Error> ConnectionCounts::admit(const std::string& client, std::size_t open) {
    std::size_t cap = max_connections_;
    if (!is_loopback_address(client)) cap -= std::min(cap, reserved_for_loopback_);
    auto& from_client = per_client_[client];
    if (open >= cap || from_client >= max_per_client_) {
        bool whole = open >= cap;
        if (from_client == 0) per_client_.erase(client);
        return whole ? too_many_connections() : too_many_client_connections();
    }
    ++from_client;
    return std::nullopt;
}

void ConnectionCounts::release(const std::string& client) {
    auto it = per_client_.find(client);
    if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

bool WorkerShares::take_or_wait(Connection* c, const std::string& client) {
    auto& busy = busy_[client];
    if (busy >= share_) {
        waiting_[client].push_back(c);
        return false;
    }
    ++busy;
    return true;
}

Connection* WorkerShares::finished(const std::string& client) {
    auto waiting = waiting_.find(client);
    if (waiting != waiting_.end()) {
        Connection* next = waiting->second.front();
        waiting->second.pop_front();
        if (waiting->second.empty()) waiting_.erase(waiting);
        return next;  // the client's busy count stays: one ends, one begins
    }
    auto busy = busy_.find(client);
    if (busy != busy_.end() && --busy->second == 0) busy_.erase(busy);
    return nullptr;
}

std::vector<Connection*> WorkerShares::take_waiting() {
    std::vector<Connection*> all;
    for (auto& [client, waiting] : waiting_) all.insert(all.end(), waiting.begin(), waiting.end());
    waiting_.clear();
    return all;
}

}  // namespace ostor::gw
