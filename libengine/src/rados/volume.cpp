// Opening a RADOS volume: the connection, the volume id, the lease, the
// seams, the sweep over dead instances and the blob collector.
#include "rados/volume.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "engine_impl.hpp"
#include "hashing.hpp"
#include "rados/blob_store.hpp"
#include "rados/client.hpp"
#include "rados/identity_catalog.hpp"
#include "rados/leases.hpp"
#include "rados/notifier.hpp"
#include "rados/object_catalog.hpp"
#include "rados/settings_catalog.hpp"
#include "rados/space_ledger.hpp"
#include "storage/caching_catalogs.hpp"
#include "versions/object_lock.hpp"

namespace ostor::detail {

namespace rados {

namespace {
// The meta pool's object naming the volume: omap `id` = 16 hex digits.
constexpr std::string_view kVolumeOid = "volume";
constexpr std::string_view kVolumeIdKey = "id";

}  // namespace

Result<std::string> read_volume_id(Client& client, const VolumeSpec& spec) {
    const std::string oid(kVolumeOid);
    const std::string key(kVolumeIdKey);
    auto stored = client.omap_get(Pool::Meta, oid, {key});
    if (!stored) return std::move(stored).error();
    auto it = stored->find(key);
    std::string unhexed;
    if (it == stored->end() || it->second.size() != 16 || !from_hex(it->second, unhexed))
        return Error(Errc::InvalidArgument,
                     spec.to_string() + ": the volume object " + oid + " holds no valid volume id");
    return it->second;
}

namespace {

// How often the collector removes due blob objects (and sweeps dead
// instances): a few minutes, far below the grace period (kGcGracePeriod),
// so that an object is removed soon after it is due.
constexpr std::chrono::milliseconds kCollectInterval = std::chrono::minutes(5);
// One collector per volume at a time: the RADOS lock kCollectorLockName on
// kCollectorOid, held for kCollectorHoldIntervals collect intervals and
// renewed at each pass, so that another gateway takes over when its holder
// died, after at most that long.
constexpr std::string_view kCollectorOid = "gc.collector";
constexpr std::string_view kCollectorLockName = "ostor.collector";
constexpr int kCollectorHoldIntervals = 3;
// Recount queue entries looked at per collector pass: bounded, so that a
// long queue does not hold the collector (and its sweep) for long.
constexpr std::uint32_t kRecountsPerPass = 32;
// Collect intervals after taking the lock past which a pass starts no more
// recounts: one of the kCollectorHoldIntervals left for the last one.
constexpr int kRecountPassIntervals = kCollectorHoldIntervals - 1;

Result<std::string> read_or_create_volume_id(Client& client, const VolumeSpec& spec, const EngineOptions& options) {
    const std::string oid(kVolumeOid);
    const std::string key(kVolumeIdKey);
    std::string unhexed;
    if (!options.volume_id.empty() && (options.volume_id.size() != 16 || !from_hex(options.volume_id, unhexed)))
        return Error(Errc::InvalidArgument, "a volume id is 16 hex digits, not '" + options.volume_id + "'");
    // Two attempts: a concurrent first open may create the object between
    // our read and our exclusive create; we then read its id.
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto stored = read_volume_id(client, spec);
        if (stored) {
            if (!options.volume_id.empty() && options.volume_id != *stored)
                return Error(Errc::VolumeMismatch, "volume id " + options.volume_id + " does not match " + *stored +
                                                       " of " + spec.to_string());
            return stored;
        }
        if (stored.error().code() != kNotFound) return std::move(stored).error();
        if (!options.create_if_missing)
            return Error(Errc::InvalidArgument, "not an ostor volume: " + spec.to_string() + " (no " + oid +
                                                    " object in " + client.pool_name(Pool::Meta) + ")");
        std::string id = options.volume_id.empty() ? random_hex16() : options.volume_id;
        // Created exclusively with its id in one step: never an object
        // without one, and of two first opens only one id wins.
        auto created = client.apply(Pool::Meta, oid, WriteOp().create_exclusive().omap_set(key, id));
        if (created) return id;
        if (created.error().code() != kAlreadyExists) return std::move(created).error();
    }
    return Error(Errc::IoError, spec.to_string() + ": the volume object " + oid + " could not be read");
}

// One sweep over the dead instances of the leases index, then over the
// instances of billing-index that have no lease any more (closed cleanly):
// returns how many were cleaned, or the first failure (an instance whose
// cleanup failed stays adoptable; the sweep goes on with the others).
Result<std::size_t> sweep_dead_instances(Client& client, RadosLeases& leases, RadosBlobStore& blobs,
                                         SpaceLedger& ledger, RadosSettingsCatalog& settings) {
    auto listed = list_leases(client);
    if (!listed) return std::move(listed).error();
    std::size_t adopted_count = 0;
    std::optional<Error> first_failure;
    const auto now = now_ms();
    for (const auto& entry : *listed) {
        // Live by its renewal time: the lock would refuse it anyway.
        if (entry.instance == leases.instance_id() || entry.live_at(now)) continue;
        auto adopted = leases.adopt_if_dead(entry.instance);
        if (!adopted) continue;  // alive, adopted elsewhere, or no answer: a later sweep
        // Both cleanups under this one adoption: ending it removes the
        // instance's lease and index entry, so whichever ran alone first
        // would hide the instance from the other (docs/rados.md, "Recovery").
        auto cleaned = blobs.clean_instance(entry.instance);
        if (!cleaned || adopted->lost()) {
            adopted->release_unfinished();
            if (!cleaned && !first_failure) first_failure = std::move(cleaned).error();
            continue;
        }
        auto dropped = ledger.drop_reservations_of(entry.instance);
        if (!dropped || adopted->lost()) {
            adopted->release_unfinished();
            if (!dropped && !first_failure) first_failure = std::move(dropped).error();
            continue;
        }
        // Its billing rows into billing.folded (it was fenced: it adds no
        // more).
        auto folded = settings.fold_billing_of(entry.instance);
        if (!folded || adopted->lost()) {
            adopted->release_unfinished();
            if (!folded && !first_failure) first_failure = std::move(folded).error();
            continue;
        }
        ++adopted_count;
        // `adopted` goes here: the instance's lease object and entry with it.
    }
    // Instances that closed cleanly left their billing object (a closed
    // instance leaves nothing else). Adopted too, so that two sweeps never
    // fold one at once (a live one holds its lock: refused).
    auto billed = settings.billing_instances();
    if (!billed) {
        if (!first_failure) first_failure = std::move(billed).error();
    } else {
        for (const auto& instance : *billed) {
            if (instance == leases.instance_id() ||
                std::any_of(listed->begin(), listed->end(), [&](const auto& e) { return e.instance == instance; }))
                continue;
            auto adopted = leases.adopt_if_dead(instance);
            if (!adopted) continue;
            auto folded = settings.fold_billing_of(instance);
            if (!folded || adopted->lost()) {
                adopted->release_unfinished();
                if (!folded && !first_failure) first_failure = std::move(folded).error();
                continue;
            }
            ++adopted_count;
        }
    }
    if (first_failure) return std::move(*first_failure);
    return adopted_count;
}

}  // namespace

// Runs collect_due, the sweep and the recount every interval while this
// instance holds the volume's collector lock; stops (and unlocks) when
// destroyed.
class BlobCollector {
public:
    BlobCollector(Client& client, RadosLeases& leases, RadosBlobStore& blobs, SpaceLedger& ledger,
                  RadosSettingsCatalog& settings, RadosObjectCatalog& objects, std::chrono::milliseconds interval)
        : client_(client),
          leases_(leases),
          blobs_(blobs),
          ledger_(ledger),
          settings_(settings),
          objects_(objects),
          interval_(interval) {
        thread_ = std::thread([this] { run(); });
    }
    ~BlobCollector() {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
        if (holding_)
            (void)client_.unlock(Pool::Meta, std::string(kCollectorOid), std::string(kCollectorLockName),
                                 leases_.instance_id());
    }
    BlobCollector(const BlobCollector&) = delete;
    BlobCollector& operator=(const BlobCollector&) = delete;

private:
    void run() {
        std::unique_lock lock(mu_);
        while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
            lock.unlock();
            pass();
            lock.lock();
        }
    }
    // Failures are left for the next pass: every step is guarded and
    // idempotent.
    void pass() {
        if (!leases_.may_commit()) return;  // an adopter may act on us soon: leave the volume alone
        // Takes the lock, or renews it when we hold it (same cookie).
        auto locked = client_.lock_exclusive(Pool::Meta, std::string(kCollectorOid), std::string(kCollectorLockName),
                                             leases_.instance_id(), interval_ * kCollectorHoldIntervals);
        holding_ = static_cast<bool>(locked);
        if (!locked) return;  // another gateway collects (kLockHeld), or no answer
        // The lock is ours for kCollectorHoldIntervals intervals from now:
        // the recount starts no entry past kRecountPassIntervals of them
        // (the next pass goes on from there). Two recounters at once would
        // be safe (every write is guarded), only wasteful.
        const auto until = BootClock::now() + interval_ * kRecountPassIntervals;
        (void)blobs_.collect_due(std::chrono::system_clock::now());
        (void)sweep_dead_instances(client_, leases_, blobs_, ledger_, settings_);
        // After the sweep, which queues what dead instances touched; not
        // when the lease may no longer commit (an adopter may act on us).
        if (!leases_.may_commit()) return;
        (void)objects_.recount_queued(kRecountsPerPass, until);
    }

    Client& client_;
    RadosLeases& leases_;
    RadosBlobStore& blobs_;
    SpaceLedger& ledger_;
    RadosSettingsCatalog& settings_;
    RadosObjectCatalog& objects_;
    const std::chrono::milliseconds interval_;
    bool holding_ = false;  // the collector thread's, read after it ended
    std::mutex mu_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace rados

void RadosVolumeState::close() {
    if (closed) return;
    closed = true;
    collector.reset();
    // Before the lease goes: an instance that closed cleanly leaves no
    // reservation for an adopter to drop. One that did not (its
    // reservations, or touched.<self> when queueing its failed recounts
    // failed again) leaves its lease to expire instead of removing it: a
    // removed lease is never adopted, and the adopter's sweep is what drops
    // the reservations and queues the touched buckets.
    if (ledger && !ledger->close() && lease) lease->abandon();
}

RadosVolumeState::RadosVolumeState() = default;
RadosVolumeState::~RadosVolumeState() { close(); }

Result<void> open_rados_volume(EngineImpl& impl, const VolumeSpec& spec, const EngineOptions& options) {
    using namespace rados;
    // Commit points are written on this connection: its OSD requests must
    // time out within kLeaseWriteTimeout (see rados/leases.hpp).
    Timeouts timeouts;
    timeouts.osd_request = std::chrono::duration_cast<std::chrono::seconds>(kLeaseWriteTimeout);
    auto connected = Client::connect(spec, timeouts);
    if (!connected) return std::move(connected).error();
    std::shared_ptr<Client> client_owner(std::move(*connected));
    Client& client = *client_owner;
    impl.connection = client_owner;

    auto volume = read_or_create_volume_id(client, spec, options);
    if (!volume) return std::move(volume).error();
    impl.volume_id = *volume;

    RadosLeases::Options lease_options;
    lease_options.address = options.instance_address;
    if (options.rados_lease_duration_ms != 0) {
        lease_options.duration = std::chrono::milliseconds(options.rados_lease_duration_ms);
        // A shorter lease would shorten the commit margin below what a commit
        // needs to land (leases.hpp): tests only.
        if (lease_options.duration < kMinLeaseDuration && !options.rados_short_lease_for_tests)
            return Error(Errc::InvalidArgument,
                         "a RADOS lease lasts at least " + std::to_string(kMinLeaseDuration.count() / 1000) +
                             " s (asked: " + std::to_string(options.rados_lease_duration_ms) +
                             " ms): its quarter is the time a commit needs to land before the lease could expire");
        lease_options.commit_margin = std::min(kCommitMargin, lease_options.duration / 4);
    }
    auto leases = RadosLeases::acquire(client, lease_options);
    if (!leases) return std::move(leases).error();
    RadosLeases& lease = **leases;
    impl.leases = std::move(*leases);
    // What a request reads before its own work (its key, user, limits,
    // quotas, bucket record) is cached; every admin change is announced by
    // watch/notify to every instance before the call that made it returns
    // (rados/notifier.hpp).
    auto notifier = RadosNotifier::open(client);
    if (!notifier) return std::move(notifier).error();
    Notifier& announcements = **notifier;
    impl.notifier = std::move(*notifier);

    auto state = std::make_unique<RadosVolumeState>();
    state->client = &client;
    state->lease = &lease;
    SpaceLedger::Options ledger_options;
    ledger_options.lease = &lease;
    // Tests only, as the short lease: a recount then sums a bucket left
    // alone this long (below the time a writer may take to its ledger change).
    if (options.rados_recount_quiet_ms_for_tests != 0)
        ledger_options.recount_quiet = std::chrono::milliseconds(options.rados_recount_quiet_ms_for_tests);
    state->ledger = std::make_unique<SpaceLedger>(client, lease.instance_id(), ledger_options);
    SpaceLedger& ledger = *state->ledger;
    RadosVolumeState& volume_state = *state;
    impl.backend = std::move(state);

    auto rados_settings = std::make_unique<RadosSettingsCatalog>(client, lease.instance_id());
    RadosSettingsCatalog& billing = *rados_settings;  // the sweep folds gone instances' billing rows
    auto settings = std::make_unique<CachingSettingsCatalog>(std::move(rados_settings), announcements);
    auto blobs = std::make_unique<RadosBlobStore>(client, lease);
    auto objects = std::make_unique<RadosObjectCatalog>(client, ledger, *blobs, *settings, &lease, &announcements);
    RadosObjectCatalog& object_catalog = *objects;
    impl.objects = std::move(objects);
    RadosBlobStore& blob_store = *blobs;
    impl.identities = std::make_unique<CachingIdentityCatalog>(
        std::make_unique<RadosIdentityCatalog>(
            client,
            [&object_catalog](std::string_view user_id, std::optional<std::string_view> account) {
                // The user's (or account's) buckets with their ledgers' lock
                // summaries (best effort: unread, the refusal names no lock).
                std::optional<std::string> account_name;
                if (account) account_name = std::string(*account);
                auto buckets = object_catalog.list_buckets(BucketFilter{std::string(user_id), account_name});
                if (!buckets) return std::string();
                for (auto& b : *buckets)
                    if (auto reason = lock_summary_reason(b, now_ms()); !reason.empty()) return reason;
                return std::string();
            }),
        announcements);
    impl.settings = std::move(settings);
    impl.blobs = std::move(blobs);

    // A dead peer's leftovers that cannot be cleaned now do not refuse the
    // volume (every gateway, CLI and admin tree would be refused with it):
    // they stay adoptable, and the collector sweeps again every interval.
    (void)sweep_dead_instances(client, lease, blob_store, ledger, billing);

    auto interval = options.rados_collect_interval_ms != 0
                        ? std::chrono::milliseconds(options.rados_collect_interval_ms)
                        : kCollectInterval;
    volume_state.collector =
        std::make_unique<BlobCollector>(client, lease, blob_store, ledger, billing, object_catalog, interval);
    return {};
}

}  // namespace ostor::detail
