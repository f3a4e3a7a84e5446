// Connections to the throwaway cluster that run_with_cluster.sh names in
// OSTOR_TEST_VOLUME: each Client stands for one gateway.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "rados/client.hpp"
#include "storage/volume_spec.hpp"

namespace ostor::detail::rados::cluster_test {

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().message()

// A new connection; aborts when there is no cluster to connect to.
inline std::unique_ptr<Client> connect_gateway() {
    const char* text = std::getenv("OSTOR_TEST_VOLUME");
    if (!text) {
        std::fprintf(stderr, "OSTOR_TEST_VOLUME is not set: run this through tests/rados/run_with_cluster.sh\n");
        std::abort();
    }
    auto spec = VolumeSpec::parse(text);
    if (!spec) std::abort();
    auto c = Client::connect(*spec);
    if (!c) {
        std::fprintf(stderr, "connect: %s\n", std::string(c.error().message()).c_str());
        std::abort();
    }
    return std::move(*c);
}

}  // namespace ostor::detail::rados::cluster_test
