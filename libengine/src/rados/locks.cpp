// RADOS advisory locks: how the RADOS backend's leases say which Engine
// instances are alive (a lock with a duration, renewed while open), and the
// blocklist that fences a dead holder's connection before it is adopted.
#include <sys/time.h>

#include <algorithm>
#include <cerrno>

#include "rados/client.hpp"
#include "rados/client_impl.hpp"

namespace ostor::detail::rados {

namespace {

timeval to_timeval(std::chrono::milliseconds duration) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
    return tv;
}

}  // namespace

Result<void> Client::lock_exclusive(Pool pool, const std::string& oid, const std::string& name,
                                    const std::string& cookie, std::chrono::milliseconds duration) {
    timeval tv = to_timeval(duration);
    // MAY_RENEW: a renewal of our own hold is not EEXIST.
    int r = impl_->ctx(pool).lock_exclusive(oid, name, cookie, "ostor", duration.count() > 0 ? &tv : nullptr,
                                            LIBRADOS_LOCK_FLAG_MAY_RENEW);
    if (r < 0) return rados_error(r, "locking " + name + " on " + impl_->where(pool, oid));
    return {};
}

Result<void> Client::renew_lock(Pool pool, const std::string& oid, const std::string& name, const std::string& cookie,
                                std::chrono::milliseconds duration) {
    timeval tv = to_timeval(duration);
    // MUST_RENEW: cls_lock answers ENOENT when this connection and cookie
    // hold no live lock (expired, broken, or the object is gone), and then
    // writes nothing: a late renewal cannot re-take what an adopter removed.
    int r = impl_->ctx(pool).lock_exclusive(oid, name, cookie, "ostor", duration.count() > 0 ? &tv : nullptr,
                                            LIBRADOS_LOCK_FLAG_MUST_RENEW);
    if (r < 0) return rados_error(r, "renewing " + name + " on " + impl_->where(pool, oid));
    return {};
}

Result<void> Client::unlock(Pool pool, const std::string& oid, const std::string& name, const std::string& cookie) {
    if (int r = impl_->ctx(pool).unlock(oid, name, cookie); r < 0)
        return rados_error(r, "unlocking " + name + " on " + impl_->where(pool, oid));
    return {};
}

Result<std::vector<Locker>> Client::lockers(Pool pool, const std::string& oid, const std::string& name) {
    int exclusive = 0;
    std::string tag;
    std::list<librados::locker_t> holders;
    if (int r = impl_->ctx(pool).list_lockers(oid, name, &exclusive, &tag, &holders); r < 0)
        return rados_error(r, "listing the holders of " + name + " on " + impl_->where(pool, oid));
    std::vector<Locker> out;
    out.reserve(holders.size());
    for (auto& h : holders) out.push_back({h.client, h.cookie, h.address});
    return out;
}

Result<void> Client::break_lock(Pool pool, const std::string& oid, const std::string& name, const Locker& holder) {
    if (int r = impl_->ctx(pool).break_lock(oid, name, holder.client, holder.cookie); r < 0)
        return rados_error(r, "breaking " + holder.client + "'s hold of " + name + " on " + impl_->where(pool, oid));
    return {};
}

std::string Client::address() const { return impl_->rados.get_addrs(); }

Result<void> Client::blocklist(const std::string& address, std::chrono::seconds expire) {
    auto seconds = static_cast<std::uint32_t>(std::max<std::chrono::seconds::rep>(expire.count(), 1));
    // librados waits for the OSD map holding the entry before it returns.
    if (int r = impl_->rados.blocklist_add(address, seconds); r < 0) {
        auto e = rados_error(r, "blocklisting " + address);
        if (r == -EINVAL) return Error(Errc::InvalidArgument, std::string(e.message()));
        return e;
    }
    return {};
}

}  // namespace ostor::detail::rados
