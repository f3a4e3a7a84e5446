// The blob store: where object bodies (and multipart parts) are written,
// read back, and freed. Bodies are extents in append-only segments; the
// catalog's records say which extents an object is made of and count their
// references, in the same atomic change as the record (see catalog.hpp).
//
// Local backend (local/segment_store.hpp): segment files under <data>/blobs/,
// written through io_uring, freed by punching holes. RADOS backend: RADOS
// objects named uniquely per write, never after the key.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ostor/error.hpp"
#include "storage/extent.hpp"

namespace ostor::detail {

// Data a change refers to that the change's commit must make durable first.
// Opaque: only the blob store that staged it (and the catalog of the same
// backend, which commits it) knows what it holds. Null: nothing to do (the
// data is durable already, or there is none).
class StagedData {
public:
    virtual ~StagedData() = default;
};
using StagedDataPtr = std::shared_ptr<const StagedData>;

// A body written and not yet committed.
struct StagedBlobs {
    std::vector<Extent> extents;  // in body order
    StagedDataPtr data;
};

// Writes one body into new extents. A writer is used by one thread at a time.
class BlobWriter {
public:
    // Frees everything written unless committed() was called: nothing of an
    // abandoned body stays behind.
    virtual ~BlobWriter() = default;
    // Starts writing `data` (1..kExtentMaxBytes bytes) as the next bytes of
    // the body (extents of at most kExtentMaxBytes, each with its CRC32C).
    // `data` must stay unchanged until wait(tag) returned or finish() did; a
    // tag names one write in flight, and a few (up to 16) may be. `rest`:
    // body bytes known to follow `data` (0: none, it is the last write;
    // nullopt: unknown), to size the extent. `room`: zero bytes that follow
    // `data` in its buffer and may be written after it (so that the last
    // bytes of a body can go with O_DIRECT, in whole blocks); they are not
    // part of the body. Fails: IoError, NoSpace.
    virtual Result<void> write(std::span<const std::byte> data, unsigned tag, std::optional<std::uint64_t> rest,
                               std::size_t room) = 0;
    // Until the write tagged `tag` is done (a tag not in flight: at once).
    virtual Result<void> wait(unsigned tag) = 0;
    // Waits for every write and returns what was written. Fails: IoError.
    virtual Result<StagedBlobs> finish() = 0;
    // The extents belong to a committed record now: keep them.
    virtual void committed() = 0;
};

// Pinned extents of one read: while it lives, none of them is freed (a read
// that began before a delete or overwrite completes with the data it began
// on). Used by one thread at a time.
class BlobReads {
public:
    // Drops the pins, then frees those extents that lost their last
    // reference meanwhile.
    virtual ~BlobReads() = default;
    // Starts reading out.size() bytes at `offset` within `x` (one of the
    // pinned extents) into `out`.
    virtual void submit(const Extent& x, std::uint64_t offset, std::span<std::byte> out, std::uint64_t tag) = 0;
    // Waits for one submitted read; returns its tag. Fails: IoError (failed
    // or short).
    virtual Result<std::uint64_t> wait() = 0;
    virtual std::size_t in_flight() const = 0;
};

class BlobStore {
public:
    virtual ~BlobStore() = default;
    // Frees what dead writers wrote and never committed. Run at open.
    virtual Result<void> recover() = 0;
    virtual std::unique_ptr<BlobWriter> begin_write() = 0;
    // Pins `extents` for reading. Fails: IoError (a segment is gone).
    virtual Result<std::unique_ptr<BlobReads>> pin(const std::vector<Extent>& extents) = 0;
    // Whether a successful pin() alone proves the extents hold the bytes the
    // record named, even when the record was replaced meanwhile (bodies are
    // never rewritten, and a freed one stays readable longer than any read):
    // then a reader need not check the record again after pinning. False
    // where a free may have reused the space before the pin took hold.
    virtual bool pins_prove_contents() const { return false; }
    // After a durable change dropped the last reference to `freed`: gives
    // their space back (extents still pinned by a reader are freed when it
    // lets go).
    virtual void release(const FreedExtents& freed) = 0;
    // Reads `x` whole into `buf` (at least x.length bytes) and checks its
    // CRC32C: false when it is short, unreadable or does not match.
    virtual bool verify(const Extent& x, std::span<std::byte> buf) = 0;
};

}  // namespace ostor::detail
