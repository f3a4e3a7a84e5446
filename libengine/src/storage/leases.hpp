// Which Engine instances (open volumes, in any process on any machine) are
// alive. A change in flight (a space reservation, a write's staged data)
// carries the id of the instance that made it; when that instance is gone,
// whoever opens the volume next (or a live peer, on a cluster) adopts what it
// left: drops its reservations, frees its unreferenced data.
//
// Local backend: a file <data>/run/<instance>.lock flocked while the Engine
// is open (the kernel drops it when the process dies). The segment files'
// own flocks (see local/segment_store.hpp) are the leases of their writers.
// RADOS backend: a lock with a duration on a lease object, renewed while open.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ostor/engine.hpp"
#include "ostor/error.hpp"

namespace ostor::detail {

// Held while the dead instance's leftovers are being cleaned: no other
// process adopts the same instance meanwhile. Releasing it ends the dead
// instance's lease for good.
class AdoptedLease {
public:
    virtual ~AdoptedLease() = default;
    // True once the hold may have ended under the adopter (a lease with a
    // duration that could not be renewed in time, or that someone broke):
    // another process may be adopting the same instance, so stop cleaning
    // and drop this. For good once true. Check it before each step that
    // must not run twice.
    virtual bool lost() const = 0;
    // The cleanup did not finish (a failure, or lost()): releasing this
    // hold then leaves the instance adoptable again, with what names it
    // (lock file, lease object, index entry), instead of ending it for good.
    virtual void release_unfinished() = 0;
};

class Leases {
public:
    virtual ~Leases() = default;
    // This Engine's own instance id (16 hex digits), live while it is open.
    virtual const std::string& instance_id() const = 0;
    // Takes over `instance`'s lease when its holder is gone; null while it is
    // alive (or being adopted by someone else).
    virtual std::unique_ptr<AdoptedLease> adopt_if_dead(std::string_view instance) = 0;
    // False once this instance may no longer commit a change (a lease with a
    // duration that was lost, or ends too soon for a write sent now to land
    // before it does): the engine then refuses its mutating calls (IoError)
    // until the volume is opened again. Local: always true (the lock file
    // holds while the process lives).
    virtual bool may_commit() const { return true; }
    // True, for good, once this instance's lease has ended under it (never
    // for a local volume): reopen the volume as a new instance.
    virtual bool lost() const { return false; }
    // How many live instances serve clients (Engine::serving_instances), at
    // least 1. Local: 1.
    virtual Result<std::uint32_t> serving_instances() { return std::uint32_t{1}; }
    // Takes the volume's role `name` (Engine::take_role; the name checked)
    // when no live process holds it; null while one does. Fails: IoError.
    virtual Result<std::unique_ptr<RoleLease>> take_role(std::string_view name) = 0;
};

}  // namespace ostor::detail
