#include "rados/client.hpp"

#include <algorithm>
#include <cassert>
#include <cerrno>

#include "rados/client_impl.hpp"

namespace ostor::detail::rados {

namespace {

constexpr std::array<std::string_view, kPoolCount> kPoolSuffixes = {"meta", "index", "data"};

std::string seconds_text(std::chrono::seconds s) { return std::to_string(s.count()); }

// librados asks the monitor for a newer OSD map when its tick (every
// objecter_tick_interval) finds a request in flight for longer than
// objecter_timeout ("laggy"). Its defaults (5 s, 10 s) let our OSD request
// timeout (10 s on an engine's connection) cancel requests before a tick asks:
// an OSD that was killed and started again (on new ports) was then never
// found again by running gateways, every request timed out until their
// leases were lost (tests/rados/guarantees_osd.py). Asked sooner, a request
// is resent to the restarted OSD well within its timeout.
constexpr std::chrono::seconds kObjecterTickInterval{1};
constexpr std::chrono::seconds kObjecterLaggyAfter{3};

// Why connect() failed, in the words of someone setting up a volume.
Error connect_error(int r, const VolumeSpec& spec, const Timeouts& timeouts) {
    const std::string who = "client." + spec.client_id;
    const std::string conf = spec.conf_file.empty() ? std::string("the default ceph.conf") : spec.conf_file;
    switch (-r) {
        case ETIMEDOUT:
            return Error(Errc::IoError, "no Ceph monitor named in " + conf + " answered " + who + " within " +
                                            seconds_text(timeouts.connect) + " s: is the cluster up and reachable?");
        case EACCES:
        case EPERM:
            return Error(Errc::InvalidArgument,
                         "the Ceph cluster refused " + who +
                             ": its key does not match the cluster's (check keyring= or the conf's keyring)");
        case ENOENT:
            return Error(Errc::InvalidArgument, who + " found no keyring or no monitor address in " + conf +
                                                    " (give keyring=, or name them in the conf)");
        default:
            return rados_error(r, "connecting to the Ceph cluster of " + conf + " as " + who);
    }
}

}  // namespace

std::string_view pool_suffix(Pool pool) { return kPoolSuffixes[static_cast<std::size_t>(pool)]; }

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() {
    std::unique_lock lock(impl_->mutex);
    assert(impl_->watches == 0 && "a Watch outlives its Client");
    impl_->idle.wait(lock, [&] { return impl_->calls_in_flight == 0; });
}

Result<std::unique_ptr<Client>> Client::connect(const VolumeSpec& spec, const Timeouts& timeouts) {
    if (spec.kind != VolumeSpec::Kind::Rados)
        return Error(Errc::InvalidArgument, "'" + spec.to_string() + "' is not a RADOS volume");
    auto impl = std::make_unique<Impl>();
    const std::string name = "client." + spec.client_id;
    if (int r = impl->rados.init2(name.c_str(), "ceph", 0); r < 0) return rados_error(r, "initializing librados");
    if (int r = impl->rados.conf_read_file(spec.conf_file.empty() ? nullptr : spec.conf_file.c_str()); r < 0)
        return Error(Errc::InvalidArgument,
                     spec.conf_file.empty() ? std::string("no ceph.conf found ($CEPH_CONF, /etc/ceph/ceph.conf, ...)")
                                            : "cannot read the Ceph configuration " + spec.conf_file);
    auto set = [&](const char* option, const std::string& value) -> Result<void> {
        if (int r = impl->rados.conf_set(option, value.c_str()); r < 0)
            return rados_error(r, std::string("setting librados's ") + option);
        return {};
    };
    if (!spec.keyring.empty()) OSTOR_TRY(set("keyring", spec.keyring));
    OSTOR_TRY(set("client_mount_timeout", seconds_text(timeouts.connect)));
    OSTOR_TRY(set("rados_mon_op_timeout", seconds_text(timeouts.monitor_request)));
    OSTOR_TRY(set("rados_osd_op_timeout", seconds_text(timeouts.osd_request)));
    OSTOR_TRY(set("objecter_tick_interval", seconds_text(kObjecterTickInterval)));
    OSTOR_TRY(set("objecter_timeout", seconds_text(kObjecterLaggyAfter)));
    if (int r = impl->rados.connect(); r < 0) return connect_error(r, spec, timeouts);

    for (int i = 0; i < kPoolCount; ++i) {
        std::string pool = spec.pool_prefix + "." + std::string(kPoolSuffixes[i]);
        if (int r = impl->rados.ioctx_create(pool.c_str(), impl->io[i]); r < 0) {
            if (r == -ENOENT)
                return Error(Errc::InvalidArgument, "the Ceph cluster has no pool " + pool + " (a volume " +
                                                        spec.pool_prefix + " needs the pools " + spec.pool_prefix +
                                                        ".meta, .index and .data)");
            return rados_error(r, "opening the pool " + pool);
        }
        // Every object of the volume, in all three pools, lives in its
        // namespace (none: the pool's default one).
        impl->io[i].set_namespace(spec.rados_namespace);
        impl->pool_names[i] = std::move(pool);
    }
    return std::unique_ptr<Client>(new Client(std::move(impl)));
}

const std::string& Client::pool_name(Pool pool) const { return impl_->pool_names[static_cast<std::size_t>(pool)]; }

Result<void> Client::apply(Pool pool, const std::string& oid, const WriteOp& op) {
    OSTOR_TRY(op.check());
    librados::ObjectWriteOperation rop;
    op.build(rop);
    if (int r = impl_->ctx(pool).operate(oid, &rop); r < 0) return rados_error(r, "writing " + impl_->where(pool, oid));
    if (applied_fault_ && applied_fault_(pool, oid, op))
        return rados_error(-ETIMEDOUT, "writing " + impl_->where(pool, oid) + " (injected after it was applied)");
    return {};
}

Result<void> Client::create_exclusive(Pool pool, const std::string& oid, std::string data) {
    WriteOp op;
    op.create_exclusive();
    if (!data.empty()) op.write_full(std::move(data));
    return apply(pool, oid, op);
}

Result<void> Client::write_full(Pool pool, const std::string& oid, std::string data) {
    return apply(pool, oid, WriteOp().write_full(std::move(data)));
}

Result<void> Client::remove(Pool pool, const std::string& oid) {
    if (int r = impl_->ctx(pool).remove(oid); r < 0) return rados_error(r, "removing " + impl_->where(pool, oid));
    return {};
}

Result<std::string> Client::read(Pool pool, const std::string& oid, std::uint64_t offset_bytes,
                                 std::uint64_t length_bytes) {
    librados::ObjectReadOperation op;
    librados::bufferlist bl;
    int rval = 0;
    // An OSD reads the whole object for a length of 0.
    op.read(offset_bytes, length_bytes, &bl, &rval);
    if (int r = impl_->ctx(pool).operate(oid, &op, nullptr); r < 0)
        return rados_error(r, "reading " + impl_->where(pool, oid));
    return bl.to_str();
}

Result<ObjectStat> Client::stat(Pool pool, const std::string& oid) {
    ObjectStat st;
    std::uint64_t size = 0;
    struct timespec mtime {};
    if (int r = impl_->ctx(pool).stat2(oid, &size, &mtime); r < 0)
        return rados_error(r, "stat of " + impl_->where(pool, oid));
    st.size_bytes = size;
    st.mtime_s = static_cast<std::int64_t>(mtime.tv_sec);
    st.mtime_nsec = static_cast<std::int64_t>(mtime.tv_nsec);
    return st;
}

Result<std::string> Client::get_xattr(Pool pool, const std::string& oid, const std::string& name) {
    librados::bufferlist bl;
    int r = impl_->ctx(pool).getxattr(oid, name.c_str(), bl);
    // A missing xattr is ENODATA: the caller asked for something not there.
    if (r == -ENODATA) r = -ENOENT;
    if (r < 0) return rados_error(r, "reading xattr " + name + " of " + impl_->where(pool, oid));
    return bl.to_str();
}

Result<std::map<std::string, std::string>> Client::omap_get(Pool pool, const std::string& oid,
                                                            const std::set<std::string>& keys) {
    if (read_fault_ && read_fault_(pool, oid))
        return rados_error(-ETIMEDOUT, "reading omap of " + impl_->where(pool, oid) + " (injected)");
    librados::ObjectReadOperation op;
    std::map<std::string, librados::bufferlist> values;
    int rval = 0;
    op.omap_get_vals_by_keys(keys, &values, &rval);
    if (int r = impl_->ctx(pool).operate(oid, &op, nullptr); r < 0)
        return rados_error(r, "reading omap of " + impl_->where(pool, oid));
    std::map<std::string, std::string> out;
    for (auto& [key, bl] : values) out.emplace(key, bl.to_str());
    return out;
}

Result<OmapPage> Client::omap_list(Pool pool, const std::string& oid, const std::string& start_after,
                                   const std::string& prefix, std::uint32_t max_entries) {
    librados::ObjectReadOperation op;
    std::map<std::string, librados::bufferlist> values;
    OmapPage page;
    int rval = 0;
    op.omap_get_vals2(start_after, prefix, max_entries, &values, &page.more, &rval);
    if (int r = impl_->ctx(pool).operate(oid, &op, nullptr); r < 0)
        return rados_error(r, "listing omap of " + impl_->where(pool, oid));
    page.entries.reserve(values.size());
    for (auto& [key, bl] : values) page.entries.emplace_back(key, bl.to_str());
    return page;
}

Result<OmapRead> Client::omap_read(Pool pool, const std::string& oid, const std::vector<OmapListing>& listings,
                                   const std::set<std::string>& keys) {
    librados::ObjectReadOperation op;
    // Outputs the op writes into: stable addresses until operate returns.
    std::vector<std::map<std::string, librados::bufferlist>> listed(listings.size());
    auto more = std::make_unique<bool[]>(listings.size());  // not vector<bool>: bool* outputs
    std::vector<int> rvals(listings.size() + 1, 0);
    std::map<std::string, librados::bufferlist> values;
    for (std::size_t i = 0; i < listings.size(); ++i) {
        op.omap_get_vals2(listings[i].start_after, listings[i].prefix, listings[i].max_entries, &listed[i], &more[i],
                          &rvals[i]);
    }
    if (!keys.empty()) op.omap_get_vals_by_keys(keys, &values, &rvals.back());
    if (int r = impl_->ctx(pool).operate(oid, &op, nullptr); r < 0)
        return rados_error(r, "reading omap of " + impl_->where(pool, oid));
    OmapRead out;
    out.pages.resize(listings.size());
    for (std::size_t i = 0; i < listings.size(); ++i) {
        out.pages[i].more = more[i];
        out.pages[i].entries.reserve(listed[i].size());
        for (auto& [key, bl] : listed[i]) out.pages[i].entries.emplace_back(key, bl.to_str());
    }
    for (auto& [key, bl] : values) out.values.emplace(key, bl.to_str());
    return out;
}

// One asynchronous call: what its completion callback needs, owned by the
// callback from submission on.
struct Client::AioCall {
    Client* client = nullptr;
    librados::AioCompletion* completion = nullptr;
    std::string doing;
    WriteDone write_done;  // one of these is set
    ReadDone read_done;
    OmapGetDone omap_get_done;
    OmapListDone omap_list_done;
    OmapReadDone omap_read_done;
    StatDone stat_done;
    std::uint64_t stat_size = 0;  // what a stat returns
    struct timespec stat_mtime {};
    librados::bufferlist data;                           // what a read returns
    std::map<std::string, librados::bufferlist> values;  // what an omap read returns
    bool more = false;
    int read_rval = 0;
    bool xattr = false;  // a get_xattr: a missing one (ENODATA) is kNotFound, as in Client::get_xattr
    // What an omap_read's listings return: one map, flag and rval each
    // (not vector<bool>: bool* outputs).
    std::vector<std::map<std::string, librados::bufferlist>> listed;
    std::unique_ptr<bool[]> listed_more;
    std::vector<int> listed_rvals;

    // A call of `client` about to be built; a throw until send() leaves
    // nothing behind (the completion goes with the call, nothing counted).
    static std::unique_ptr<AioCall> start(Client* client, std::string doing) {
        auto call = std::make_unique<AioCall>();
        call->client = client;
        call->doing = std::move(doing);
        call->completion = librados::Rados::aio_create_completion(call.get(), &AioCall::completed);
        return call;
    }
    ~AioCall() {
        // librados holds its own reference while the callback runs, so the
        // completion may be released from it.
        if (completion) completion->release();
    }

    // Sends `op` (counted in flight from here on); from then on `completed`
    // owns the call.
    template <typename Operation, typename... Flags>
    static void send(std::unique_ptr<AioCall> call, librados::IoCtx& ctx, const std::string& oid, Operation& op,
                     Flags... flags) {
        call->client->call_started();
        int r = 0;
        try {
            r = ctx.aio_operate(oid, call->completion, &op, flags...);
        } catch (...) {
            call->client->call_finished();  // not sent: `done` is never called
            throw;
        }
        if (r < 0) {
            finish(std::move(call), r);
            return;
        }
        call.release();
    }

    static void completed(rados_completion_t, void* arg) {
        std::unique_ptr<AioCall> call(static_cast<AioCall*>(arg));
        int r = call->completion->get_return_value();
        finish(std::move(call), r);
    }

    // Calls `done`, then lets the Client go (its destructor waits for this),
    // even when `done` throws (in send's synchronous failure, the throw goes
    // to the caller): the call is released first, then counted finished.
    static void finish(std::unique_ptr<AioCall> call, int r) {
        struct Finished {
            Client* client;
            ~Finished() { client->call_finished(); }
        } finished{call->client};
        const std::unique_ptr<AioCall> owned = std::move(call);  // destroyed before `finished`
        owned->report(r);
    }

    void report(int r) {
        if (write_done) {
            write_done(r < 0 ? Result<void>(rados_error(r, doing)) : Result<void>());
        } else if (omap_get_done) {
            if (r < 0) {
                omap_get_done(rados_error(r, doing));
            } else {
                std::map<std::string, std::string> out;
                for (auto& [key, bl] : values) out.emplace(key, bl.to_str());
                omap_get_done(std::move(out));
            }
        } else if (omap_list_done) {
            if (r < 0) {
                omap_list_done(rados_error(r, doing));
            } else {
                OmapPage page;
                page.more = more;
                page.entries.reserve(values.size());
                for (auto& [key, bl] : values) page.entries.emplace_back(key, bl.to_str());
                omap_list_done(std::move(page));
            }
        } else if (omap_read_done) {
            if (r < 0) {
                omap_read_done(rados_error(r, doing));
            } else {
                OmapRead out;
                out.pages.resize(listed.size());
                for (std::size_t i = 0; i < listed.size(); ++i) {
                    out.pages[i].more = listed_more[i];
                    out.pages[i].entries.reserve(listed[i].size());
                    for (auto& [key, bl] : listed[i]) out.pages[i].entries.emplace_back(key, bl.to_str());
                }
                for (auto& [key, bl] : values) out.values.emplace(key, bl.to_str());
                omap_read_done(std::move(out));
            }
        } else if (stat_done) {
            if (r < 0) {
                stat_done(rados_error(r, doing));
            } else {
                stat_done(ObjectStat{stat_size, static_cast<std::int64_t>(stat_mtime.tv_sec),
                                     static_cast<std::int64_t>(stat_mtime.tv_nsec)});
            }
        } else {
            if (xattr && r == -ENODATA) r = -ENOENT;
            read_done(r < 0 ? Result<std::string>(rados_error(r, doing)) : Result<std::string>(data.to_str()));
        }
    }
};

void Client::call_started() {
    std::lock_guard lock(impl_->mutex);
    ++impl_->calls_in_flight;
}

void Client::call_finished() {
    std::lock_guard lock(impl_->mutex);
    if (--impl_->calls_in_flight == 0) impl_->idle.notify_all();
}

void Client::aio_apply(Pool pool, const std::string& oid, const WriteOp& op, WriteDone done) {
    if (auto valid = op.check(); !valid) {
        done(std::move(valid).error());  // at once, on this thread: nothing was sent
        return;
    }
    if (aio_applied_fault_) {
        // The fault as set now: a test may reset it while this is in flight.
        done = [fault = aio_applied_fault_, pool, oid, op, where = impl_->where(pool, oid),
                done = std::move(done)](Result<void> r) {
            if (r && fault(pool, oid, op))
                r = rados_error(-ETIMEDOUT, "writing " + where + " (injected after it was applied)");
            done(std::move(r));
        };
    }
    auto call = AioCall::start(this, "writing " + impl_->where(pool, oid));
    call->write_done = std::move(done);
    librados::ObjectWriteOperation rop;  // librados keeps what it needs of it
    op.build(rop);
    AioCall::send(std::move(call), impl_->ctx(pool), oid, rop);
}

void Client::aio_read(Pool pool, const std::string& oid, std::uint64_t offset_bytes, std::uint64_t length_bytes,
                      ReadDone done) {
    auto call = AioCall::start(this, "reading " + impl_->where(pool, oid));
    call->read_done = std::move(done);
    librados::ObjectReadOperation rop;
    rop.read(offset_bytes, length_bytes, &call->data, &call->read_rval);
    AioCall::send(std::move(call), impl_->ctx(pool), oid, rop, nullptr);
}

void Client::aio_omap_get(Pool pool, const std::string& oid, const std::set<std::string>& keys, OmapGetDone done) {
    auto call = AioCall::start(this, "reading omap of " + impl_->where(pool, oid));
    call->omap_get_done = std::move(done);
    librados::ObjectReadOperation rop;
    rop.omap_get_vals_by_keys(keys, &call->values, &call->read_rval);
    AioCall::send(std::move(call), impl_->ctx(pool), oid, rop, nullptr);
}

void Client::aio_omap_list(Pool pool, const std::string& oid, const std::string& start_after, const std::string& prefix,
                           std::uint32_t max_entries, OmapListDone done) {
    auto call = AioCall::start(this, "listing omap of " + impl_->where(pool, oid));
    call->omap_list_done = std::move(done);
    librados::ObjectReadOperation rop;
    rop.omap_get_vals2(start_after, prefix, max_entries, &call->values, &call->more, &call->read_rval);
    AioCall::send(std::move(call), impl_->ctx(pool), oid, rop, nullptr);
}

void Client::aio_omap_read(Pool pool, const std::string& oid, const std::vector<OmapListing>& listings,
                           const std::set<std::string>& keys, OmapReadDone done) {
    auto call = AioCall::start(this, "reading omap of " + impl_->where(pool, oid));
    call->omap_read_done = std::move(done);
    call->listed.resize(listings.size());
    call->listed_more = std::make_unique<bool[]>(listings.size());
    call->listed_rvals.assign(listings.size(), 0);
    librados::ObjectReadOperation rop;
    for (std::size_t i = 0; i < listings.size(); ++i)
        rop.omap_get_vals2(listings[i].start_after, listings[i].prefix, listings[i].max_entries, &call->listed[i],
                           &call->listed_more[i], &call->listed_rvals[i]);
    if (!keys.empty()) rop.omap_get_vals_by_keys(keys, &call->values, &call->read_rval);
    AioCall::send(std::move(call), impl_->ctx(pool), oid, rop, nullptr);
}

void Client::aio_stat(Pool pool, const std::string& oid, StatDone done) {
    auto call = AioCall::start(this, "stat of " + impl_->where(pool, oid));
    call->stat_done = std::move(done);
    librados::ObjectReadOperation rop;
    rop.stat2(&call->stat_size, &call->stat_mtime, &call->read_rval);
    AioCall::send(std::move(call), impl_->ctx(pool), oid, rop, nullptr);
}

void Client::aio_get_xattr(Pool pool, const std::string& oid, const std::string& name, ReadDone done) {
    if (aio_read_fault_ && aio_read_fault_(pool, oid)) {
        done(rados_error(-ETIMEDOUT, "reading xattr " + name + " of " + impl_->where(pool, oid) + " (injected)"));
        return;
    }
    auto call = AioCall::start(this, "reading xattr " + name + " of " + impl_->where(pool, oid));
    call->read_done = std::move(done);
    call->xattr = true;
    librados::ObjectReadOperation rop;
    rop.getxattr(name.c_str(), &call->data, &call->read_rval);
    AioCall::send(std::move(call), impl_->ctx(pool), oid, rop, nullptr);
}

std::vector<Result<std::map<std::string, std::string>>> omap_get_at_once(Client& client, Pool pool,
                                                                         const std::vector<std::string>& oids,
                                                                         const std::set<std::string>& keys) {
    return results_at_once<Result<std::map<std::string, std::string>>>(
        oids.size(), kOmapReadsAtOnce,
        [&](std::size_t i, auto done) { client.aio_omap_get(pool, oids[i], keys, std::move(done)); });
}

}  // namespace ostor::detail::rados
