// What Engine::open is given: a local data directory (the embedded default),
// or a volume in a Ceph cluster reached through librados.
//
//   /var/lib/ostor                         a directory (any path not starting with "rados:")
//   rados:ostor                            pools "ostor.meta", "ostor.index", "ostor.data"
//   rados:ostor?conf=/etc/ceph/ceph.conf&id=ostor&keyring=/etc/ceph/ceph.client.ostor.keyring
//   rados:ostor?ns=tenant1                 the same pools, RADOS namespace "tenant1"
//
// conf: the ceph.conf to read (default: librados' search, /etc/ceph/ceph.conf
// first); id: the cephx client name without "client." (default "admin");
// keyring: when not named in the conf; ns: the RADOS namespace every object
// of the volume lives in, in all three pools (default: none), so that several
// volumes (and every test) can share one cluster's pools. A directory whose name starts with
// "rados:" is written as "./rados:...".
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "ostor/error.hpp"

namespace ostor::detail {

struct VolumeSpec {
    enum class Kind { Local, Rados };
    Kind kind = Kind::Local;
    std::filesystem::path directory;  // Local
    std::string pool_prefix;          // Rados: the pools' common name
    std::string conf_file;            // Rados: empty = librados' default search
    std::string client_id = "admin";  // Rados
    std::string keyring;              // Rados: empty = from the conf
    std::string rados_namespace;      // Rados: empty = the pools' default namespace

    // Fails: InvalidArgument (a rados: spec without a pool prefix, a prefix
    // or namespace that is not [A-Za-z0-9_.-]+, an unknown or repeated
    // parameter).
    static Result<VolumeSpec> parse(std::string_view text);
    // The spec as given (a directory's path, or the rados: form).
    std::string to_string() const;
};

}  // namespace ostor::detail
