// Which backend the unit suite runs on. By default each test's volume is a
// local data directory (TestDir). With OSTOR_TEST_BACKEND=rados, and the
// variable tests/rados/run_with_cluster.sh exports (OSTOR_TEST_VOLUME: the
// throwaway cluster's spec), the same paths name RADOS volumes instead: each
// directory path maps to its own RADOS namespace of the cluster's pools
// (test_namespace), so every test starts from an empty volume, and a reopen
// of the same path finds the same volume. TestDir's destructor then removes
// every object of the namespaces under it: the test OSD keeps objects in
// memory (memstore, capped), and a deleted body stays for the blob store's
// grace period (2 h), so without that the suite would fill it.
//
// Tests local by nature (they look into the data directory, corrupt segment
// files, share a directory between processes, walk LMDB) start with
// SKIP_ON_RADOS("why").
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#ifdef OSTOR_HAVE_RADOS
#include <rados/librados.hpp>

#include "storage/volume_spec.hpp"  // the engine's internals (engine_internal_dep)
#endif

namespace ostor::test {

// True when the suite runs on RADOS (OSTOR_TEST_BACKEND=rados).
inline bool on_rados() {
    const char* backend = std::getenv("OSTOR_TEST_BACKEND");
    return backend != nullptr && std::string_view(backend) == "rados";
}

#define SKIP_ON_RADOS(reason) \
    if (::ostor::test::on_rados()) GTEST_SKIP() << "local backend: " << reason

namespace backend_detail {

inline std::string fnv_hex(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 0xF];
    return out;
}

// The TestDir a path lies in: up to its "ostor-unit-XXXXXX" component (the
// path itself when it has none).
inline std::string test_root(const std::filesystem::path& path) {
    std::string text = path.lexically_normal().string();
    auto at = text.rfind("/ostor-unit-");
    if (at == std::string::npos) return text;
    auto end = text.find('/', at + 1);
    return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace backend_detail

// The namespaces of all paths under one TestDir share this prefix.
inline std::string namespace_prefix(const std::filesystem::path& root) {
    return "unit." + backend_detail::fnv_hex(backend_detail::test_root(root)) + ".";
}

// The RADOS namespace standing for the data directory `path`.
inline std::string test_namespace(const std::filesystem::path& path) {
    return namespace_prefix(path) + backend_detail::fnv_hex(path.lexically_normal().string());
}

// What Engine::open is given for the data directory `path`.
inline std::string volume_spec_for(const std::filesystem::path& path) {
    if (!on_rados()) return path.string();
    const char* volume = std::getenv("OSTOR_TEST_VOLUME");
    if (volume == nullptr || *volume == '\0') {
        ADD_FAILURE() << "OSTOR_TEST_BACKEND=rados needs OSTOR_TEST_VOLUME: run the suite through "
                         "tests/rados/run_with_cluster.sh";
        std::abort();
    }
    std::string spec = volume;
    return spec + (spec.find('?') == std::string::npos ? "?" : "&") + "ns=" + test_namespace(path);
}

// Removes every object of the namespaces of `root`'s paths from the test
// cluster's three pools. Failures are reported, not fatal.
inline void remove_rados_namespaces(const std::filesystem::path& root) {
#ifdef OSTOR_HAVE_RADOS
    if (!on_rados()) return;
    const char* volume = std::getenv("OSTOR_TEST_VOLUME");
    auto spec = detail::VolumeSpec::parse(volume ? volume : "");
    if (!spec || spec->kind != detail::VolumeSpec::Kind::Rados) {
        ADD_FAILURE() << "OSTOR_TEST_VOLUME is not a rados: spec (run_with_cluster.sh sets it)";
        return;
    }
    librados::Rados cluster;
    if (cluster.init(spec->client_id.c_str()) < 0 ||
        cluster.conf_read_file(spec->conf_file.empty() ? nullptr : spec->conf_file.c_str()) < 0 ||
        (!spec->keyring.empty() && cluster.conf_set("keyring", spec->keyring.c_str()) < 0) || cluster.connect() < 0) {
        ADD_FAILURE() << "cannot connect to the test cluster to clean up";
        return;
    }
    const std::string ns_prefix = namespace_prefix(root);
    for (const char* suffix : {".meta", ".index", ".data"}) {
        librados::IoCtx io;
        if (cluster.ioctx_create((spec->pool_prefix + suffix).c_str(), io) < 0) continue;
        io.set_namespace(librados::all_nspaces);
        std::vector<std::pair<std::string, std::string>> doomed;  // namespace, oid
        for (auto it = io.nobjects_begin(); it != io.nobjects_end(); ++it)
            if (it->get_nspace().rfind(ns_prefix, 0) == 0) doomed.emplace_back(it->get_nspace(), it->get_oid());
        for (const auto& [ns, oid] : doomed) {
            io.set_namespace(ns);
            io.remove(oid);
        }
    }
    cluster.shutdown();
#else
    (void)root;
#endif
}

}  // namespace ostor::test
