// The RADOS backend's leases (storage/leases.hpp): which Engine instances,
// in any gateway on any machine, are alive.
//
// An instance (16 random hex digits) holds the exclusive RADOS lock
// kLeaseLockName on `lease.<instance>` in the meta pool, taken for
// kLeaseDuration and renewed every third of it by a thread of its own, and
// lists itself in the `leases` index object (omap <instance> -> "since_ms
// renewed_ms duration_ms client=<connection address> address", rewritten at
// each renewal; listed first without `client=`, which the entry gets once
// the lock is ours: a sweeper that adopts the id in between, its clock far
// ahead, finds no connection to fence) so that
// `ostor-ctl` can list the gateways (list_leases). A process that dies stops
// renewing: its lock expires kLeaseDuration after the last renewal, and the
// instance is then adoptable. Closing cleanly (the destructor) removes the
// lease object and the index entry: a closed instance is adoptable at once
// (it left nothing under way, or what it left is dropped by its adopter).
//
// Losing the lease. Renewals only renew (Client::renew_lock, MUST_RENEW):
// a renewal that finds no hold of ours (it expired, someone broke it, an
// adopter removed the object: kNotFound) or someone else's (kLockHeld)
// loses the lease at once, and writes nothing. Otherwise the lease is lost
// once kLeaseDuration has passed since the last renewal it sent that
// succeeded (counted from when the renewal was sent, which is before the
// OSD started the lock's new duration: the local deadline is never later
// than the cluster's), and a renewal whose success arrives after that
// deadline loses it too (the lock was free meanwhile: someone may have
// adopted and released it). Deadlines are on BootClock, which counts the
// time the machine was suspended: the cluster's expiry does. From then on lost() is true, for good: the
// instance never renews again, because a peer may already have adopted it
// and dropped its reservations.
//
// Committing. A commit point (an object index entry, a settle of a
// reservation) is an OSD request that may take up to the OSD request
// timeout of lease-bound writes (kLeaseWriteTimeout) to land, and the OSD's
// clock may run ahead of ours: so commit points check may_commit(), which
// turns false kCommitMargin (that timeout plus kLeaseClockSkewMargin)
// before the lease could expire, not lost(). The connection that writes
// commit points must use Timeouts::osd_request <= kLeaseWriteTimeout.
// What the engine must do once may_commit() is false: stop committing
// writes at once, fail the requests under way and later ones with IoError
// ("lease lost"), and, once lost(), open the volume again as a new instance.
// Data it staged meanwhile is its adopter's to free.
//
// Adopting. adopt_if_dead(instance) takes `lease.<instance>`'s lock under
// this instance's own cookie (lock_exclusive takes an expired lock as if it
// were free): it fails while the owner (or another adopter) holds it, live.
// Then it fences: it blocklists (for kFenceExpiry) the connection that the
// instance's index entry names, so that none of the dead holder's requests
// still in flight (or held by a paused process) can land after the adopter
// starts. The entry is never rewritten (only its owner writes it): an
// entry naming an adopter could outlive the adoption and get that live
// adopter fenced; an adopter that dies half way is fenced through its own
// lease. A fence that gets no answer gives the adoption up (unlocked, for
// a later sweep); one the monitor refuses (no 'osd blocklist' cap, an
// address it cannot parse) adopts unfenced, as before fencing existed,
// rather than never clean the instance. An entry that names this instance's own
// connection is not fenced (that would fence us; only tests put two
// instances on one connection, which a gateway never does). The lock call
// and the fencing are made without holding off the own lease's renewal.
// The adopter's hold is renewed (MUST_RENEW, before the own lease) by this
// instance's renewal thread while the returned AdoptedLease lives; its
// lost() turns true as the own lease's does (a refused renewal, a late
// one, or a duration without one): the adopter then stops cleaning. Its
// destructor unlocks, and only when the unlock succeeded (the hold was
// still ours) removes the lease object, then the index entry; otherwise it
// leaves both to whoever holds the lock now (or the next sweep). A zombie
// owner that comes back after that finds no hold to renew (kNotFound): it
// is lost and never re-creates the lease object.
//
// Concurrency: every call is safe from any thread. The Client must outlive
// the RadosLeases and every AdoptedLease it returned.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ostor/error.hpp"
#include "rados/boot_clock.hpp"
#include "rados/client.hpp"
#include "storage/leases.hpp"

namespace ostor::detail::rados {

// How long a lease lasts without renewal: a dead gateway's writes under way
// are adoptable this long after it died.
// Long enough that kCommitMargin leaves most of it usable.
inline constexpr std::chrono::milliseconds kLeaseDuration{60'000};
// Renewed every kLeaseDuration / kRenewalsPerDuration: two renewals may fail
// (a monitor election, an OSD restart) before the lease is lost.
inline constexpr int kRenewalsPerDuration = 3;
// The OSD request timeout (Timeouts::osd_request) of the connection that
// writes lease-bound commit points: a commit sent while may_commit() lands
// within it, or fails.
inline constexpr std::chrono::milliseconds kLeaseWriteTimeout{10'000};
// How far the OSD's clock may run ahead of ours over one lease duration.
inline constexpr std::chrono::milliseconds kLeaseClockSkewMargin{2'000};
// may_commit() turns false this long before the lease could expire.
inline constexpr std::chrono::milliseconds kCommitMargin = kLeaseWriteTimeout + kLeaseClockSkewMargin;
static_assert(kCommitMargin < kLeaseDuration / 2, "a lease must leave most of its duration to commit in");
// A fresh instance id that finds its lease locked (a sweep adopted the id
// between our index entry and our lock) is given up for a new one, so many
// times at most.
inline constexpr int kAcquireAttempts = 5;
// How long an adopted instance's connection stays blocklisted. It must
// outlast every request of that connection that could still reach an OSD:
// those in flight time out within the OSD request timeout (30 s at most,
// then librados drops them), but a process that was paused (SIGSTOP, a
// frozen VM) holds requests it has not sent yet for as long as it was
// paused. Ceph's own default (what RBD uses); the entries then leave the
// OSD map by themselves.
inline constexpr std::chrono::seconds kFenceExpiry{3600};
// Shortest lease outside tests: its quarter is kCommitMargin, so that every
// lease keeps the full margin (RadosLeases::Options::commit_margin).
inline constexpr std::chrono::milliseconds kMinLeaseDuration = 4 * kCommitMargin;

// ---- Layout in the meta pool
inline constexpr std::string_view kLeaseLockName = "ostor.lease";
inline constexpr std::string_view kLeasesIndexOid = "leases";
inline std::string lease_oid(std::string_view instance) { return "lease." + std::string(instance); }

// One entry of the `leases` index.
struct LeaseEntry {
    std::string instance;
    std::int64_t since_ms = 0;    // when the instance took its lease
    std::int64_t renewed_ms = 0;  // its last renewal (its own clock)
    std::int64_t duration_ms = 0;
    std::string address;  // what the gateway said it is (host:port), may be empty
    // The connection that holds (or last held) the lease: what an adopter
    // blocklists (Client::address()); empty in entries of older versions.
    std::string client;
    // Renewed within its duration by now (by this machine's clock: a hint
    // for listing and for the sweeps' skip, not what adoption decides on:
    // that is the lock). A renewal more than a duration in the future is
    // not live: its holder's clock ran ahead, and were it dead, the sweeps
    // would skip it until that time (its lock expired long before).
    bool live_at(std::int64_t now_ms) const {
        return renewed_ms + duration_ms > now_ms && renewed_ms <= now_ms + duration_ms;
    }
};
std::string encode_lease_entry(const LeaseEntry& e);  // without the instance (the key)
// nullopt when `value` is not one.
std::optional<LeaseEntry> decode_lease_entry(std::string_view instance, std::string_view value);

// The instances listed in the index, in instance order, live or not.
// Fails: IoError. An absent index is an empty list.
Result<std::vector<LeaseEntry>> list_leases(Client& client);

class RadosLeases final : public Leases {
public:
    struct Options {
        std::chrono::milliseconds duration = kLeaseDuration;      // tests use short ones
        std::string address;                                      // for the index entry
        std::chrono::milliseconds commit_margin = kCommitMargin;  // see may_commit()
        // Tests only: called with the new id between its index entry and
        // its lock (acquire), e.g. to adopt it there as a sweep could.
        std::function<void(const std::string& instance)> listed_for_tests = nullptr;
    };
    // Takes a new instance id's lease and lists it in the index, then starts
    // renewing. An id whose lease is found locked (a sweep adopted it
    // between the entry and the lock) is left to that sweep and a new id is
    // tried. Fails: IoError (the cluster), Internal (capabilities).
    static Result<std::unique_ptr<RadosLeases>> acquire(Client& client, Options options);
    static Result<std::unique_ptr<RadosLeases>> acquire(Client& client) { return acquire(client, Options{}); }
    // Stops renewing, then (unless abandoned) removes the index entry and the
    // lease object. Every AdoptedLease it returned must be gone first.
    ~RadosLeases() override;
    RadosLeases(const RadosLeases&) = delete;
    RadosLeases& operator=(const RadosLeases&) = delete;

    const std::string& instance_id() const override { return instance_id_; }
    // Null while `instance` is alive, being adopted (here or elsewhere), is
    // this instance, when this lease is lost, when the cluster did not
    // answer (its fence included: try again later).
    // Sweeps skip the entries that are live_at(now) before calling it: the
    // lock decides, but a live instance costs a round trip for nothing.
    std::unique_ptr<AdoptedLease> adopt_if_dead(std::string_view instance) override;

    // True once the lease is lost (see above): stop writing.
    bool lost() const override;
    // False once the lease is lost or ends within commit_margin (see
    // above): what each commit point checks right before it is sent.
    bool may_commit() const override;
    // The live entries of the index with an address (gateways; CLIs open
    // with none), by this machine's clock; at least 1.
    Result<std::uint32_t> serving_instances() override;
    // role_lease.cpp: the lock kRoleLockName on role.<name>, cookie this
    // instance's id, for kRoleLeaseMs, renewed by RoleLease::lost().
    Result<std::unique_ptr<RoleLease>> take_role(std::string_view name) override;

    // Stops renewing and leaves the lease object and index entry for an
    // adopter once the lease expires (the destructor then removes nothing):
    // for an instance that leaves work only an adopter finishes (a ledger
    // that did not close).
    void abandon();
    // For tests: behaves as if the process died now (abandon()).
    void abandon_for_test() { abandon(); }

private:
    class Adopted;
    RadosLeases(Client& client, Options options, std::string instance_id);
    // Takes (fresh) or renews (MUST_RENEW) our lock (its result), then
    // rewrites our index entry, now naming our connection: required when
    // fresh (an adopter fences by it), best effort on renewals.
    Result<void> lock_own(std::int64_t since_ms, bool fresh);
    void renewal_loop();
    // One renewal (MUST_RENEW) of `oid`'s hold under our cookie, whose last
    // successful renewal was sent at `renewed_at`: updates `renewed_at`, or
    // sets `lost` (refused, or answered past the deadline), under mutex_.
    // Called with renewing_ held.
    void renew_hold(const std::string& oid, BootClock::time_point& renewed_at, bool& lost);
    bool adoption_lost(const std::string& instance) const;
    // Blocklists the connection `instance`'s index entry names (unless it
    // is ours). Fails only when the monitor did not answer. Called holding
    // its lock.
    Result<void> fence(const std::string& instance);
    void end_adoption(const std::string& instance, bool finished);
    // Removes `instance`'s lease object, then its index entry; failures are
    // left (a sweep adopts the instance again).
    void remove_lease(const std::string& instance);

    // Roles this instance holds (role_lease.cpp): the lock would let this
    // connection and cookie take one twice, so the instance refuses itself.
    std::mutex roles_mu_;
    std::set<std::string> roles_held_;
    friend class RadosRoleLease;
    Client& client_;
    const Options options_;
    const std::string instance_id_;
    std::int64_t since_ms_ = 0;

    // Held by each renewal pass, and by end_adoption while it forgets an
    // adoption, so that an adoption that ends is not renewed after its
    // destructor unlocked it (the pass holds pointers into adopting_).
    // Never by adopt_if_dead: its lock call and fencing must not delay the
    // own lease's renewal (an adoption being taken is marked `taking`).
    std::mutex renewing_;
    mutable std::mutex mutex_;  // the fields below; never held across a RADOS call
    std::condition_variable wake_;
    bool stopping_ = false;
    bool abandoned_ = false;
    bool lost_ = false;
    // The last renewal that succeeded was sent then: the lease holds until
    // this plus the duration.
    BootClock::time_point renewed_at_;
    struct Adoption {
        BootClock::time_point renewed_at;  // as renewed_at_
        bool lost = false;
        // adopt_if_dead is taking the lock (without renewing_): not renewed,
        // not yet ours; erased by adopt_if_dead alone.
        bool taking = false;
    };
    std::map<std::string, Adoption> adopting_;  // instances whose AdoptedLease lives
    std::thread renewer_;
};

}  // namespace ostor::detail::rados
