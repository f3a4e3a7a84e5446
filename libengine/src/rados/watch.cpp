// Watch/notify: how one client tells the others that something changed (the
// RADOS backend's Notifier). A notify returns once every watcher acknowledged
// it, so a change announced this way is seen by all live watchers when the
// announcing call returns.
#include <cassert>
#include <cerrno>
#include <cstdlib>

#include "rados/client.hpp"
#include "rados/client_impl.hpp"

namespace ostor::detail::rados {

// librados calls these on its watch thread; each notify is acknowledged,
// with the handler's reply, once the handler returned.
struct Watch::Handlers final : librados::WatchCtx2 {
    librados::IoCtx* io = nullptr;
    std::string oid;
    std::string where;
    Client::NotifyHandler on_notify;
    Client::WatchErrorHandler on_error;

    void handle_notify(std::uint64_t notify_id, std::uint64_t cookie, std::uint64_t /*notifier_id*/,
                       librados::bufferlist& bl) override {
        std::string payload = bl.to_str();
        std::string reply = on_notify(payload);
        librados::bufferlist reply_bl;
        reply_bl.append(reply);
        io->notify_ack(oid, notify_id, cookie, reply_bl);
    }

    // ENOTCONN: the watch is gone (the OSD restarted, or this client was cut
    // off past the watch timeout); ETIMEDOUT: still registered, but notifies
    // may have been missed. Either way the watcher must assume it missed
    // something.
    void handle_error(std::uint64_t /*cookie*/, int err) override {
        on_error(rados_error(-std::abs(err), "watching " + where));
    }
};

Watch::Watch(Client& client, Pool pool, std::string oid, std::unique_ptr<Handlers> handlers)
    : client_(client), pool_(pool), oid_(std::move(oid)), handlers_(std::move(handlers)) {}

Watch::~Watch() {
    auto& impl = *client_.impl_;
    // An unwatch that fails (the cluster is gone) leaves nothing to undo: the
    // OSD drops a watch whose client stopped pinging it.
    (void)impl.ctx(pool_).unwatch2(cookie_);
    // No handler of ours may run once handlers_ is freed.
    (void)impl.rados.watch_flush();
    std::lock_guard lock(impl.mutex);
    assert(impl.watches > 0);
    --impl.watches;
}

Result<std::unique_ptr<Watch>> Client::watch(Pool pool, const std::string& oid, NotifyHandler on_notify,
                                             WatchErrorHandler on_error) {
    auto handlers = std::make_unique<Watch::Handlers>();
    handlers->io = &impl_->ctx(pool);
    handlers->oid = oid;
    handlers->where = impl_->where(pool, oid);
    handlers->on_notify = std::move(on_notify);
    handlers->on_error = std::move(on_error);
    std::uint64_t cookie = 0;
    // The handlers' address is what librados keeps: it stays the same once
    // they move into the Watch.
    if (int r = impl_->ctx(pool).watch2(oid, &cookie, handlers.get()); r < 0)
        return rados_error(r, "watching " + impl_->where(pool, oid));
    {
        std::lock_guard lock(impl_->mutex);
        ++impl_->watches;
    }
    std::unique_ptr<Watch> w(new Watch(*this, pool, oid, std::move(handlers)));
    w->cookie_ = cookie;
    return w;
}

Result<NotifyResult> Client::notify(Pool pool, const std::string& oid, std::string_view payload,
                                    std::chrono::milliseconds timeout) {
    librados::bufferlist bl;
    bl.append(payload.data(), payload.size());
    librados::bufferlist reply;
    int r = impl_->ctx(pool).notify2(oid, bl, static_cast<std::uint64_t>(timeout.count()), &reply);
    // ETIMEDOUT: some watcher did not answer in time; the reply still says
    // who did and who did not.
    if (r < 0 && !(r == -ETIMEDOUT && reply.length() > 0))
        return rados_error(r, "notifying the watchers of " + impl_->where(pool, oid));
    std::vector<librados::notify_ack_t> acks;
    std::vector<librados::notify_timeout_t> timeouts;
    impl_->ctx(pool).decode_notify_response(reply, &acks, &timeouts);
    NotifyResult result;
    result.replies.reserve(acks.size());
    for (auto& ack : acks) result.replies.push_back(ack.payload_bl.to_str());
    result.timed_out = timeouts.size();
    return result;
}

}  // namespace ostor::detail::rados
