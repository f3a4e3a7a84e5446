#include "rados/leases.hpp"

#include <charconv>

#include "engine_impl.hpp"
#include "hashing.hpp"
#include "rados/catalog_support.hpp"

namespace ostor::detail::rados {

namespace {

std::optional<std::int64_t> parse_i64(std::string_view v) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    return n;
}

// The next space-separated field of `rest` (consumed).
std::string_view next_field(std::string_view& rest) {
    auto sp = rest.find(' ');
    std::string_view field = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    return field;
}

}  // namespace

void RadosLeases::remove_lease(const std::string& instance) {
    // The object first: a crash in between leaves an index entry, listed as
    // not live, from which a sweep can adopt the instance again; the other
    // order would leave an object that nothing names.
    (void)client_.remove(Pool::Meta, lease_oid(instance));
    (void)client_.apply(Pool::Meta, std::string(kLeasesIndexOid), WriteOp().omap_remove(instance));
}

namespace {
// Marks the connection field, which entries of older versions lack (their
// address follows the duration at once).
constexpr std::string_view kClientField = "client=";
}  // namespace

std::string encode_lease_entry(const LeaseEntry& e) {
    std::string out =
        std::to_string(e.since_ms) + " " + std::to_string(e.renewed_ms) + " " + std::to_string(e.duration_ms) + " ";
    // A connection address holds no space (Client::address()).
    if (!e.client.empty()) out += std::string(kClientField) + e.client + " ";
    return out + e.address;
}

std::optional<LeaseEntry> decode_lease_entry(std::string_view instance, std::string_view value) {
    LeaseEntry e;
    e.instance = std::string(instance);
    auto since = parse_i64(next_field(value));
    auto renewed = parse_i64(next_field(value));
    auto duration = parse_i64(next_field(value));
    if (!since || !renewed || !duration) return std::nullopt;
    e.since_ms = *since;
    e.renewed_ms = *renewed;
    e.duration_ms = *duration;
    if (value.starts_with(kClientField)) {
        value.remove_prefix(kClientField.size());
        e.client = std::string(next_field(value));
    }
    e.address = std::string(value);  // the rest, possibly empty
    return e;
}

Result<std::vector<LeaseEntry>> list_leases(Client& client) {
    auto omap = read_whole_omap(client, Pool::Meta, std::string(kLeasesIndexOid));
    if (!omap) {
        if (omap.error().code() == kNotFound) return std::vector<LeaseEntry>{};
        return std::move(omap).error();
    }
    std::vector<LeaseEntry> out;
    for (auto& [instance, value] : *omap)
        if (auto e = decode_lease_entry(instance, value)) out.push_back(std::move(*e));
    return out;
}

// ---- Adopting a dead instance ----------------------------------------------

class RadosLeases::Adopted final : public AdoptedLease {
public:
    Adopted(RadosLeases& leases, std::string instance) : leases_(leases), instance_(std::move(instance)) {}
    ~Adopted() override { leases_.end_adoption(instance_, finished_); }
    bool lost() const override { return leases_.adoption_lost(instance_); }
    void release_unfinished() override { finished_ = false; }

private:
    RadosLeases& leases_;
    std::string instance_;
    bool finished_ = true;
};

// ---- RadosLeases ------------------------------------------------------------

RadosLeases::RadosLeases(Client& client, Options options, std::string instance_id)
    : client_(client), options_(std::move(options)), instance_id_(std::move(instance_id)) {}

Result<std::unique_ptr<RadosLeases>> RadosLeases::acquire(Client& client, Options options) {
    for (int attempt = 1;; ++attempt) {
        std::unique_ptr<RadosLeases> leases(new RadosLeases(client, options, random_hex16()));
        leases->since_ms_ = now_ms();
        // Listed before it is locked, for the same reason as remove_lease's
        // order; without our connection, which lock_own adds: a sweeper
        // whose clock runs a duration ahead takes this entry as dead and may
        // adopt the id before our lock, and must not fence our connection
        // then (we take another id and go on with it).
        LeaseEntry listed{leases->instance_id_,     leases->since_ms_,
                          leases->since_ms_,        leases->options_.duration.count(),
                          leases->options_.address, /*client=*/""};
        OSTOR_TRY(client.apply(Pool::Meta, std::string(kLeasesIndexOid),
                               WriteOp().omap_set(leases->instance_id_, encode_lease_entry(listed))));
        if (leases->options_.listed_for_tests) leases->options_.listed_for_tests(leases->instance_id_);
        auto sent = BootClock::now();
        auto locked = leases->lock_own(leases->since_ms_, /*fresh=*/true);
        if (!locked) {
            leases->abandoned_ = true;  // nothing more for the destructor to remove
            // A sweep saw our entry without a lock and adopted the id: the
            // lease object and entry are its to remove (removing the object
            // would end its hold). The id is spent: take another.
            if (locked.error().code() == kLockHeld && attempt < kAcquireAttempts) continue;
            if (locked.error().code() != kLockHeld) leases->remove_lease(leases->instance_id_);
            return std::move(locked).error();
        }
        leases->renewed_at_ = sent;
        leases->renewer_ = std::thread([p = leases.get()] { p->renewal_loop(); });
        return leases;
    }
}

RadosLeases::~RadosLeases() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (renewer_.joinable()) renewer_.join();
    // A lost lease may already be someone else's: its object and index entry
    // are its adopter's to remove (removing the object would end the
    // adopter's hold).
    if (abandoned_ || lost()) return;
    remove_lease(instance_id_);
}

void RadosLeases::abandon() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        abandoned_ = true;
    }
    wake_.notify_all();
    if (renewer_.joinable()) renewer_.join();
}

bool RadosLeases::lost() const {
    std::lock_guard lock(mutex_);
    return lost_ || BootClock::now() - renewed_at_ >= options_.duration;
}

bool RadosLeases::may_commit() const {
    std::lock_guard lock(mutex_);
    return !lost_ && BootClock::now() - renewed_at_ < options_.duration - options_.commit_margin;
}

bool RadosLeases::adoption_lost(const std::string& instance) const {
    std::lock_guard lock(mutex_);
    auto it = adopting_.find(instance);
    if (it == adopting_.end()) return true;  // ended
    return it->second.lost || BootClock::now() - it->second.renewed_at >= options_.duration;
}

Result<void> RadosLeases::lock_own(std::int64_t since_ms, bool fresh) {
    const std::string oid = lease_oid(instance_id_);
    const std::string name(kLeaseLockName);
    OSTOR_TRY(fresh ? client_.lock_exclusive(Pool::Meta, oid, name, instance_id_, options_.duration)
                    : client_.renew_lock(Pool::Meta, oid, name, instance_id_, options_.duration));
    // The lock is the lease; the entry's renewal time is only what listings
    // show, so a failure to update it is left to the next renewal. The
    // first one names our connection for the first time: without it an
    // adopter could not fence us, so acquire fails without it.
    LeaseEntry e{instance_id_, since_ms, now_ms(), options_.duration.count(), options_.address, client_.address()};
    auto listed = client_.apply(Pool::Meta, std::string(kLeasesIndexOid),
                                WriteOp().omap_set(instance_id_, encode_lease_entry(e)));
    if (fresh && !listed) return listed;
    return {};
}

void RadosLeases::renew_hold(const std::string& oid, BootClock::time_point& renewed_at, bool& lost) {
    auto sent = BootClock::now();
    auto renewed = oid == lease_oid(instance_id_) ? lock_own(since_ms_, /*fresh=*/false)
                                                  : client_.renew_lock(Pool::Meta, oid, std::string(kLeaseLockName),
                                                                       instance_id_, options_.duration);
    auto answered = BootClock::now();
    std::lock_guard state(mutex_);
    if (renewed) {
        // A success that arrives past the deadline came after a time the
        // lock was free: someone may have taken and released it meanwhile.
        if (answered - renewed_at >= options_.duration)
            lost = true;
        else
            renewed_at = sent;
    } else if (renewed.error().code() == kNotFound || renewed.error().code() == kLockHeld) {
        // No hold of ours any more (it expired, was broken, or its object
        // was removed by an adopter), or someone else's.
        lost = true;
    }
    // Any other failure (the cluster did not answer) is tried again until
    // the deadline passes.
}

void RadosLeases::renewal_loop() {
    const auto period = options_.duration / kRenewalsPerDuration;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, period, [&] { return stopping_; });
        if (stopping_) return;
        lock.unlock();
        {
            std::lock_guard pass(renewing_);
            // Adoptions first: a cleanup under way must not outlive its hold,
            // and the own lease's renewal could take the time they need.
            // The map's entries stay while renewing_ is held (end_adoption
            // takes it).
            std::vector<std::pair<std::string, Adoption*>> adopting;
            {
                std::lock_guard state(mutex_);
                for (auto& [instance, adoption] : adopting_)
                    if (!adoption.taking) adopting.emplace_back(instance, &adoption);
            }
            if (!lost())
                for (auto& [instance, adoption] : adopting)
                    if (!adoption_lost(instance)) renew_hold(lease_oid(instance), adoption->renewed_at, adoption->lost);
            if (!lost()) renew_hold(lease_oid(instance_id_), renewed_at_, lost_);
        }
        lock.lock();
    }
}

std::unique_ptr<AdoptedLease> RadosLeases::adopt_if_dead(std::string_view instance) {
    if (instance.empty() || instance == instance_id_ || lost()) return nullptr;
    std::string name(instance);
    {
        std::lock_guard state(mutex_);
        // Renewing our own hold would succeed (same connection, same
        // cookie): an adoption under way here, or being taken, is refused by
        // this map.
        if (!adopting_.try_emplace(name, Adoption{{}, false, /*taking=*/true}).second) return nullptr;
    }
    // Without renewing_: the lock call may take up to the OSD timeout, which
    // must not delay the own lease's renewal. A fresh take (MAY_RENEW):
    // takes an expired lock as if free, creates the object when the
    // instance left none (it closed cleanly, or never got that far).
    auto sent = BootClock::now();
    auto taken = client_.lock_exclusive(Pool::Meta, lease_oid(name), std::string(kLeaseLockName), instance_id_,
                                        options_.duration);
    {
        std::lock_guard state(mutex_);
        auto& adoption = adopting_.at(name);
        if (!taken) {  // alive, adopted elsewhere, or no answer
            adopting_.erase(name);
            return nullptr;
        }
        // Ours from now on: renewed while the fencing below waits for the
        // monitor.
        adoption.renewed_at = sent;
        adoption.taking = false;
    }
    auto adopted = std::make_unique<Adopted>(*this, name);
    if (!fence(name)) {
        // Nothing was done under it: the next sweep tries again.
        adopted->release_unfinished();
        return nullptr;
    }
    return adopted;
}

Result<void> RadosLeases::fence(const std::string& instance) {
    const std::string index(kLeasesIndexOid);
    auto got = client_.omap_get(Pool::Meta, index, {instance});
    if (!got) {
        if (got.error().code() == kNotFound) return {};  // no index: no entry, no connection to fence
        return std::move(got).error();
    }
    auto it = got->find(instance);
    if (it == got->end()) return {};  // it left no entry (closed cleanly, or never listed)
    auto entry = decode_lease_entry(instance, it->second);
    // The lock names no holder once it expired: the entry, written by its
    // owner only, says which connection held it. Never rewritten by an
    // adopter: an entry naming an adopter could outlive the adoption (a
    // failed removal) and get that live adopter fenced by the next sweep. An
    // adopter that dies half way leaves its own lease, which fences it.
    if (!entry || entry->client.empty() || entry->client == client_.address()) return {};
    auto fenced = client_.blocklist(entry->client, kFenceExpiry);
    if (fenced) return {};
    // No answer: the next sweep tries again. Refused (a client without the
    // mon cap 'allow command "osd blocklist"', or an address the monitor
    // cannot parse): adopt unfenced, as before fencing existed, rather than
    // leave the dead instance's reservations and data for ever.
    if (fenced.error().code() == Errc::IoError) return fenced;
    return {};
}

void RadosLeases::end_adoption(const std::string& instance, bool finished) {
    {
        std::lock_guard pass(renewing_);  // no renewal of it is under way, and none follows
        std::lock_guard state(mutex_);
        adopting_.erase(instance);
    }
    // Unlock first: it succeeds only while the hold is still ours. When it
    // is not (it expired, someone broke or took it), the object and entry
    // are whoever holds the lock now's to remove, or the next sweep's.
    // An unfinished cleanup only unlocks: the next sweep adopts the
    // instance again at once.
    if (!client_.unlock(Pool::Meta, lease_oid(instance), std::string(kLeaseLockName), instance_id_)) return;
    if (finished) remove_lease(instance);
}

Result<std::uint32_t> RadosLeases::serving_instances() {
    auto entries = list_leases(client_);
    if (!entries) return std::move(entries).error();
    const auto now = now_ms();
    std::uint32_t n = 0;
    for (const auto& e : *entries)
        if (!e.address.empty() && e.live_at(now)) ++n;
    return std::max<std::uint32_t>(n, 1);
}

}  // namespace ostor::detail::rados
