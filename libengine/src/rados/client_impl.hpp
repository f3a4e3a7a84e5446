// Client's state, shared by client.cpp and watch.cpp. Not for other files:
// it brings librados.hpp in.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

#include <rados/librados.hpp>

#include "rados/client.hpp"

namespace ostor::detail::rados {

struct Client::Impl {
    // Declared first, destroyed last: the I/O contexts hold references to it.
    librados::Rados rados;
    std::array<librados::IoCtx, kPoolCount> io;
    std::array<std::string, kPoolCount> pool_names;

    std::mutex mutex;
    std::condition_variable idle;     // calls_in_flight dropped to 0
    std::size_t calls_in_flight = 0;  // aio calls whose callback has not returned
    std::size_t watches = 0;          // live Watch objects

    librados::IoCtx& ctx(Pool pool) { return io[static_cast<std::size_t>(pool)]; }
    // "pool/oid", for messages.
    std::string where(Pool pool, const std::string& oid) const {
        return pool_names[static_cast<std::size_t>(pool)] + "/" + oid;
    }
};

}  // namespace ostor::detail::rados
