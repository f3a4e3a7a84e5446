// Connections to the throwaway cluster that run_with_cluster.sh names in
// OSTOR_TEST_VOLUME: each Client stands for one gateway. The spec may name a
// RADOS namespace (run_in_namespaces.sh gives each program one of its own).
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "hashing.hpp"
#include "rados/client.hpp"
#include "storage/volume_spec.hpp"

namespace ostor::detail::rados::cluster_test {

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().message()

// The cluster's volume; aborts when there is none.
inline VolumeSpec test_volume_spec() {
    const char* text = std::getenv("OSTOR_TEST_VOLUME");
    if (!text) {
        std::fprintf(stderr, "OSTOR_TEST_VOLUME is not set: run this through tests/rados/run_with_cluster.sh\n");
        std::abort();
    }
    auto spec = VolumeSpec::parse(text);
    if (!spec) {
        std::fprintf(stderr, "OSTOR_TEST_VOLUME: %s\n", std::string(spec.error().message()).c_str());
        std::abort();
    }
    return *spec;
}

// The cluster's volume in a new namespace WHAT-<random>, within the
// namespace the spec names if any: a volume of the test's own.
inline std::string test_volume_in_new_namespace(std::string_view what) {
    VolumeSpec spec = test_volume_spec();
    const std::string within = spec.rados_namespace.empty() ? "" : spec.rados_namespace + ".";
    spec.rados_namespace = within + std::string(what) + "-" + random_hex16();
    return spec.to_string();
}

// A new connection; aborts when there is no cluster to connect to.
inline std::unique_ptr<Client> connect_gateway() {
    auto spec = test_volume_spec();
    auto c = Client::connect(spec);
    if (!c) {
        std::fprintf(stderr, "connect: %s\n", std::string(c.error().message()).c_str());
        std::abort();
    }
    return std::move(*c);
}

// Fences `victim`'s connection as an adopter does, and makes the OSD apply
// the blocklist before it returns. blocklist() returns once the fencer's
// client has the OSD map holding the entry; the OSD learns it on its own
// later, and until then it still serves the victim (a dying gateway's next
// write would land). A request of the fencer's, carrying the newer map
// epoch, makes the OSD take that map before serving it. One OSD: one stat.
inline void fence_now(Client& fencer, Client& victim) {
    auto fenced = fencer.blocklist(victim.address(), std::chrono::seconds(3600));
    ASSERT_OK(fenced);
    (void)fencer.stat(Pool::Meta, "fence-barrier");  // absent: its ENOENT comes from the OSD all the same
}

}  // namespace ostor::detail::rados::cluster_test
