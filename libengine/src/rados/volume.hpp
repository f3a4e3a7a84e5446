// The RADOS backend: a volume in a Ceph cluster's three pools (optionally in
// one RADOS namespace of them: VolumeSpec::rados_namespace).
//
//   meta pool  volume            omap `id` = the volume id (16 hex digits),
//                                created exclusively by the first open
//              lease.*, leases   the instances (RadosLeases)
//              user.*, ...       the catalogs (docs/rados.md)
//   index pool                   the object index (RadosObjectCatalog)
//   data pool  blob.*            object bodies (RadosBlobStore)
//
// Opening a volume connects, reads (or creates) the volume id, takes this
// Engine's lease (a new instance), builds the seams, then runs one sweep over
// the dead instances of the leases index: under one adoption each, the blob
// store's clean_instance and the space ledger's drop_reservations_of (both
// under the same adoption, since ending it hides the instance from any other
// sweep: docs/rados.md, "Recovery"). A collector thread then runs
// RadosBlobStore::collect_due, the same sweep and a bounded recount of the
// queued ledgers (RadosObjectCatalog::recount_queued) every collect interval,
// under a RADOS lock with a duration so that one gateway of the volume
// collects at a time.
//
// Closing cleanly (close(), then the destructors): the collector stops, the
// space ledger drops this instance's open reservations (SpaceLedger::close),
// then the lease goes (EngineImpl destroys the leases after the seams, and the
// connection after the leases).
#pragma once

#include <memory>

#include "engine_impl.hpp"

namespace ostor::detail {

namespace rados {
class Client;
class SpaceLedger;
class RadosLeases;
class RadosBlobStore;
class BlobCollector;
}  // namespace rados

// What the RADOS seams share. The Client itself is kept in
// EngineImpl::connection, which outlives the leases (they use it).
struct RadosVolumeState final : BackendState {
    rados::Client* client = nullptr;
    rados::RadosLeases* lease = nullptr;  // impl.leases
    std::unique_ptr<rados::SpaceLedger> ledger;
    std::unique_ptr<rados::BlobCollector> collector;
    // Stops the collector, then drops this instance's open reservations
    // (SpaceLedger::close); when that fails, abandons the lease, so that an
    // adopter finishes what the close left. Once (the destructor calls it
    // too, for an open that failed part way).
    void close() override;
    bool closed = false;
    // Out of line, as the destructor: BlobCollector is complete in volume.cpp.
    RadosVolumeState();
    ~RadosVolumeState() override;
};

namespace rados {
// The volume id stored in the volume object, without opening the volume (no
// lease, no sweep: what `ostor-ctl get-config` reads). Fails: NoSuchKey (no
// volume there), InvalidArgument (the object holds no valid id), IoError.
Result<std::string> read_volume_id(Client& client, const VolumeSpec& spec);
}  // namespace rados

// Opens the RADOS volume `spec` as Engine::open documents and fills in
// `impl`'s seams, backend state, connection and volume id (impl.dir stays
// empty). Fails: InvalidArgument (cannot connect with the spec: conf, key,
// pools; no volume there and options.create_if_missing is false; a bad
// options.volume_id), VolumeMismatch (options.volume_id names another
// volume), IoError (the cluster). A refused open leaves no lease behind;
// a volume object it created stays (the volume exists from then on).
Result<void> open_rados_volume(EngineImpl& impl, const VolumeSpec& spec, const EngineOptions& options);

}  // namespace ostor::detail
