// Where object bytes live, for every backend: a run of bytes inside a
// "segment", a container the blob store appends to and never rewrites (a
// segment file under <data>/blobs/ locally; a RADOS object named uniquely per
// write on Ceph). Records in the catalog hold extents; the blob store reads,
// references and frees them.
#pragma once

#include <cstdint>
#include <vector>

namespace ostor::detail {

struct Extent {
    std::uint64_t segment = 0;  // the container's id, unique in the volume
    std::uint64_t offset = 0;   // within the container
    std::uint32_t length = 0;
    std::uint32_t crc = 0;  // CRC32C of the bytes
};

// Extents whose last reference a committed change dropped: the engine hands
// them to BlobStore::release once that change is durable.
using FreedExtents = std::vector<Extent>;

// One CRC32C per extent: a read verifies whole extents, so this bounds what a
// verified range read must fetch beyond the range (and a writer's buffer).
constexpr std::uint64_t kExtentMaxBytes = std::uint64_t{1} << 20;

// Objects up to this size keep their body in the catalog (no extents): one
// write fewer per PUT, and a small GET is one catalog read.
constexpr std::uint64_t kInlineMaxBytes = 8 * 1024;

}  // namespace ostor::detail
