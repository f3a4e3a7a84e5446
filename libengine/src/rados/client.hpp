// A connection to a Ceph cluster for one ostor volume: librados's Rados and
// the I/O contexts of the volume's three replicated pools,
// <prefix>.meta, <prefix>.index and <prefix>.data (see docs/rados.md), each
// set to the spec's RADOS namespace (VolumeSpec::rados_namespace; none when
// empty): every object name below is within it.
//
// Every call returns an ostor::Result; librados's errnos are mapped in one
// place (rados/errors.hpp): a missing object is kNotFound, a failed guard
// kAlreadyExists or kCompareFailed, an unreachable cluster IoError. Nothing
// throws.
//
// Concurrency: a Client is safe to use from any number of threads at once
// (librados serializes what it must). Completion callbacks (aio_*) and watch
// handlers run on librados's threads: they must be short and must not wait
// for another RADOS call to complete.
//
// Lifetime: destroying the Client waits for its asynchronous calls'
// callbacks to have returned, then disconnects. Every Watch it made must be
// destroyed before it (asserted).
#pragma once

#include <algorithm>
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
#include <utility>
#include <vector>

#include <rados/librados_fwd.hpp>

#include "ostor/error.hpp"
#include "rados/errors.hpp"
#include "rados/write_op.hpp"
#include "storage/volume_spec.hpp"

namespace ostor::detail::rados {

enum class Pool : std::uint8_t { Meta, Index, Data };
inline constexpr int kPoolCount = 3;
// "meta", "index", "data": the pool is named "<prefix>.<suffix>".
std::string_view pool_suffix(Pool pool);

// How long a call waits for the cluster before it fails with IoError
// (ETIMEDOUT), so that a dead or unreachable cluster fails a request in
// seconds instead of librados's defaults (5 minutes to connect, forever for
// an OSD request).
struct Timeouts {
    // Reaching a monitor and authenticating (client_mount_timeout).
    std::chrono::seconds connect{10};
    // A monitor request: pool lookups, the maps (rados_mon_op_timeout).
    std::chrono::seconds monitor_request{10};
    // An OSD request, from its submission (rados_osd_op_timeout). Longer
    // than a monitor's: an OSD that restarts, or a placement group that
    // re-peers, holds requests for several seconds.
    std::chrono::seconds osd_request{30};
};

struct ObjectStat {
    std::uint64_t size_bytes = 0;
    // The last write's time, as its WRITER's client stamped it (librados
    // sends the client's clock with the op; the OSD stores that): seconds
    // since the epoch, and nanoseconds within it.
    std::int64_t mtime_s = 0;
    std::int64_t mtime_nsec = 0;
};

// One page of an object's omap, in key order.
struct OmapPage {
    std::vector<std::pair<std::string, std::string>> entries;
    bool more = false;  // keys after the last entry remain
};

// One listing of Client::omap_read, as omap_list's arguments.
struct OmapListing {
    std::string start_after;
    std::string prefix;
    std::uint32_t max_entries = 0;
};

// What Client::omap_read returns, all of one state of the omap.
struct OmapRead {
    std::vector<OmapPage> pages;                // one per listing, in order
    std::map<std::string, std::string> values;  // those of the keys that are set
};

class Watch;

// Waits for asynchronous calls started on this thread: send() each call
// (a Client aio_* call whose callback ends with done(), under no lock of
// the caller's), wait() for all of them. For callers that send a batch and
// need every answer. The destructor waits too: an exception between two
// sends (a bad_alloc while building the next) must not unwind the state
// the calls already sent write into. Declare the latch after that state,
// so that it goes first.
class AioLatch {
public:
    AioLatch() = default;
    ~AioLatch() { wait(); }
    AioLatch(const AioLatch&) = delete;
    AioLatch& operator=(const AioLatch&) = delete;

    // Counts one call and sends it (`send_call()`). One that throws is not
    // counted: a Client aio_* call that throws never calls back.
    template <typename Send>
    void send(Send&& send_call) {
        add();
        try {
            std::forward<Send>(send_call)();
        } catch (...) {
            done();
            throw;
        }
    }
    void done() {
        std::lock_guard lock(mutex_);
        if (--pending_ == 0) idle_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex_);
        idle_.wait(lock, [&] { return pending_ == 0; });
    }

private:
    void add() {
        std::lock_guard lock(mutex_);
        ++pending_;
    }

    std::mutex mutex_;
    std::condition_variable idle_;
    std::size_t pending_ = 0;
};

// Calls send(i, done) for each i < n, at most `at_once` calls in flight
// (at least one), each a Client aio_* call whose callback ends in
// done(result); returns the results in order. For batches of reads or
// writes that need every answer.
template <typename T, typename Send>
std::vector<T> results_at_once(std::size_t n, std::size_t at_once, Send&& send) {
    std::vector<std::optional<T>> got(n);
    at_once = std::max<std::size_t>(at_once, 1);
    for (std::size_t from = 0; from < n; from += at_once) {
        const std::size_t to = std::min(n, from + at_once);
        AioLatch latch;  // after `got`, which its calls write into
        for (std::size_t i = from; i < to; ++i)
            latch.send([&] {
                send(i, [&latch, slot = &got[i]](T r) {
                    *slot = std::move(r);
                    latch.done();
                });
            });
        latch.wait();
    }
    std::vector<T> out;
    out.reserve(n);
    for (auto& r : got) out.push_back(std::move(*r));
    return out;
}

// A holder of an object lock (Client::lock_exclusive).
struct Locker {
    std::string client;   // the holder's connection, "client.4125"
    std::string cookie;   // what the holder named its hold
    std::string address;  // the holder's address
};

struct NotifyResult {
    std::vector<std::string> replies;  // what each watcher's handler returned
    std::size_t timed_out = 0;         // watchers that did not answer in time
};

class Client {
public:
    // Connects as client.<spec.client_id> with spec.conf_file (librados's
    // default search when empty: $CEPH_CONF, then /etc/ceph/ceph.conf) and
    // spec.keyring (when given; else the conf's), then opens the three pools.
    // Fails: InvalidArgument (spec is not a RADOS one, the conf cannot be read,
    // a pool does not exist, cephx refused the client), IoError (no monitor
    // answered within timeouts.connect, or another failure).
    static Result<std::unique_ptr<Client>> connect(const VolumeSpec& spec, const Timeouts& timeouts = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // "<prefix>.meta" and so on.
    const std::string& pool_name(Pool pool) const;

    // Applies `op` to `oid` atomically (write_op.hpp says how guards fail).
    // Durable on the pool's replicas when it returns.
    Result<void> apply(Pool pool, const std::string& oid, const WriteOp& op);

    // Tests only: a write fault. When set, apply() asks it after the cluster
    // applied a write (the pool, object and write): true makes the
    // call fail with IoError as a timeout after the OSD applied it would.
    // Set it before the client is shared between threads, never in the
    // engine itself.
    using AppliedFault = std::function<bool(Pool, const std::string& oid, const WriteOp& op)>;
    void set_applied_fault_for_tests(AppliedFault fault) { applied_fault_ = std::move(fault); }
    // Tests only: a read fault. When set, omap_get() asks it before it reads
    // (the pool and object): true makes the call fail with IoError, as a
    // read the cluster did not answer. Same rules as the write fault.
    using ReadFault = std::function<bool(Pool, const std::string& oid)>;
    void set_read_fault_for_tests(ReadFault fault) { read_fault_ = std::move(fault); }
    // Tests only: the same two faults for aio_apply() (asked on the
    // completion's thread once the write is applied) and aio_get_xattr()
    // (asked before sending), apart from the above so that tests faulting
    // apply() and omap_get() are not changed by the aio calls.
    void set_aio_faults_for_tests(AppliedFault applied, ReadFault read) {
        aio_applied_fault_ = std::move(applied);
        aio_read_fault_ = std::move(read);
    }
    // The common one-step writes.
    Result<void> create_exclusive(Pool pool, const std::string& oid, std::string data = {});
    Result<void> write_full(Pool pool, const std::string& oid, std::string data);
    Result<void> remove(Pool pool, const std::string& oid);  // kNotFound when missing

    // Whole object when length_bytes is 0 (kReadWhole); a read past the end
    // returns what is there. Fails: kNotFound.
    static constexpr std::uint64_t kReadWhole = 0;
    Result<std::string> read(Pool pool, const std::string& oid, std::uint64_t offset_bytes = 0,
                             std::uint64_t length_bytes = kReadWhole);
    Result<ObjectStat> stat(Pool pool, const std::string& oid);
    // Fails: kNotFound (no object, or no such xattr).
    Result<std::string> get_xattr(Pool pool, const std::string& oid, const std::string& name);

    // The values of those of `keys` that are set. Fails: kNotFound (no object).
    Result<std::map<std::string, std::string>> omap_get(Pool pool, const std::string& oid,
                                                        const std::set<std::string>& keys);
    // Up to max_entries entries with keys after `start_after` (from the first
    // key when empty) that begin with `prefix`. Fails: kNotFound (no object).
    Result<OmapPage> omap_list(Pool pool, const std::string& oid, const std::string& start_after,
                               const std::string& prefix, std::uint32_t max_entries);
    // Several listings and a read by key in one read op: one consistent
    // state (separate calls may each see another). Fails: kNotFound (no object).
    Result<OmapRead> omap_read(Pool pool, const std::string& oid, const std::vector<OmapListing>& listings,
                               const std::set<std::string>& keys);

    // Asynchronous calls. `done` is called exactly once: on a librados thread
    // when the cluster answered (or the request timed out), or before the call
    // returns when the request could not be submitted. A call that throws
    // (bad_alloc) sent nothing and never calls `done`.
    using WriteDone = std::function<void(Result<void>)>;
    using ReadDone = std::function<void(Result<std::string>)>;
    void aio_apply(Pool pool, const std::string& oid, const WriteOp& op, WriteDone done);
    void aio_read(Pool pool, const std::string& oid, std::uint64_t offset_bytes, std::uint64_t length_bytes,
                  ReadDone done);
    // omap_get and omap_list, asynchronous: for reads of many objects sent
    // at once (a listing's shards, a user's buckets). Same failures.
    using OmapGetDone = std::function<void(Result<std::map<std::string, std::string>>)>;
    using OmapListDone = std::function<void(Result<OmapPage>)>;
    void aio_omap_get(Pool pool, const std::string& oid, const std::set<std::string>& keys, OmapGetDone done);
    void aio_omap_list(Pool pool, const std::string& oid, const std::string& start_after, const std::string& prefix,
                       std::uint32_t max_entries, OmapListDone done);
    // omap_read, asynchronous: one consistent state of each of many objects
    // (a version listing's shards). Same failures.
    using OmapReadDone = std::function<void(Result<OmapRead>)>;
    void aio_omap_read(Pool pool, const std::string& oid, const std::vector<OmapListing>& listings,
                       const std::set<std::string>& keys, OmapReadDone done);
    // stat, asynchronous: for the many objects a recount stats at once.
    using StatDone = std::function<void(Result<ObjectStat>)>;
    void aio_stat(Pool pool, const std::string& oid, StatDone done);
    // get_xattr, asynchronous: for the counts a release reads at once. Same
    // failures.
    void aio_get_xattr(Pool pool, const std::string& oid, const std::string& name, ReadDone done);

    // Watches `oid` (which must exist: kNotFound): `on_notify` runs for every
    // notify sent to it, from any client, and what it returns is the reply;
    // `on_error` runs when the watch was lost (IoError: the watch must be made
    // again, and notifies meanwhile were missed). The watch ends when the
    // returned Watch is destroyed.
    using NotifyHandler = std::function<std::string(std::string_view payload)>;
    using WatchErrorHandler = std::function<void(const Error&)>;
    Result<std::unique_ptr<Watch>> watch(Pool pool, const std::string& oid, NotifyHandler on_notify,
                                         WatchErrorHandler on_error);
    // Sends `payload` to every watcher of `oid` and returns once each has
    // replied or `timeout` passed. Fails: kNotFound (no object).
    Result<NotifyResult> notify(Pool pool, const std::string& oid, std::string_view payload,
                                std::chrono::milliseconds timeout);

    // RADOS advisory locks (the cls_lock object class; the client needs the
    // pool's x capability). Takes the exclusive lock `name` on `oid` (created
    // when missing) for `duration` (0: until unlocked or broken), or renews it
    // when this connection holds it with the same cookie. Another connection
    // takes an expired lock as if it were free. Fails: kLockHeld (someone
    // else holds it).
    Result<void> lock_exclusive(Pool pool, const std::string& oid, const std::string& name, const std::string& cookie,
                                std::chrono::milliseconds duration);
    // Renews this connection's hold under `cookie` for `duration` from now,
    // and only that (LIBRADOS_LOCK_FLAG_MUST_RENEW): never takes a lock that
    // is free, expired, broken or gone with its object. Fails: kNotFound (no
    // such hold any more: it expired, was broken, or the object was removed;
    // nothing is created), kLockHeld (someone else holds it).
    Result<void> renew_lock(Pool pool, const std::string& oid, const std::string& name, const std::string& cookie,
                            std::chrono::milliseconds duration);
    // Fails: kNotFound (this connection does not hold it with this cookie).
    Result<void> unlock(Pool pool, const std::string& oid, const std::string& name, const std::string& cookie);
    // The current holders: cls_lock drops expired ones as it reads them, so
    // a dead holder's connection is not found here once its hold expired.
    // Fails: kNotFound (no object).
    Result<std::vector<Locker>> lockers(Pool pool, const std::string& oid, const std::string& name);
    // Ends another connection's hold (one that is known to be dead).
    // Fails: kNotFound (no such holder).
    Result<void> break_lock(Pool pool, const std::string& oid, const std::string& name, const Locker& holder);

    // Fencing. This connection's address as the OSDs know it (what
    // blocklist() takes, and what lockers() reports for its holds).
    std::string address() const;
    // Adds `address` (another connection's: blocklisting our own ends this
    // Client) to the cluster's blocklist for `expire` (whole seconds, at
    // least 1): from the OSD map that holds it on, every OSD refuses that
    // connection's requests (ESHUTDOWN, IoError), those already queued
    // included, and the monitor has published that map when this returns.
    // Needs the mon capability `allow command "osd blocklist"`. Fails:
    // Internal (capabilities), IoError (no monitor answered), InvalidArgument
    // (not an address).
    Result<void> blocklist(const std::string& address, std::chrono::seconds expire);

private:
    friend class Watch;
    struct Impl;
    struct AioCall;
    explicit Client(std::unique_ptr<Impl> impl);
    void call_started();
    void call_finished();

    std::unique_ptr<Impl> impl_;
    AppliedFault applied_fault_;
    ReadFault read_fault_;
    AppliedFault aio_applied_fault_;
    ReadFault aio_read_fault_;
};

// A live watch on one object (Client::watch). Destroying it unwatches and
// waits until none of its handlers is running.
class Watch {
public:
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

private:
    friend class Client;
    struct Handlers;
    Watch(Client& client, Pool pool, std::string oid, std::unique_ptr<Handlers> handlers);

    Client& client_;
    Pool pool_;
    std::string oid_;
    std::unique_ptr<Handlers> handlers_;
    std::uint64_t cookie_ = 0;
};

// omap_get of each of `oids` (the same keys), sent at once (aio, at most
// kOmapReadsAtOnce in flight): one result per oid, in order. For listings
// that read many records.
inline constexpr std::size_t kOmapReadsAtOnce = 256;
std::vector<Result<std::map<std::string, std::string>>> omap_get_at_once(Client& client, Pool pool,
                                                                         const std::vector<std::string>& oids,
                                                                         const std::set<std::string>& keys);

}  // namespace ostor::detail::rados
