// Opening and closing a volume (the backend's part: local/volume.cpp,
// rados/volume.cpp; only this file and those know the backends); the
// pieces shared by all parts of the engine.
#include <cctype>
#include <chrono>

#include "engine_impl.hpp"
#include "local/volume.hpp"
#ifdef OSTOR_HAVE_RADOS
#include "rados/volume.hpp"
#endif

namespace ostor {

namespace fs = std::filesystem;
using namespace detail;

namespace detail {

TimestampMs now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Result<void> check_may_commit(const EngineImpl& e) {
    if (!e.leases || e.leases->may_commit()) return {};
    return Error(Errc::IoError, "this engine instance (" + e.leases->instance_id() + ") lost its lease on volume " +
                                    e.volume_id +
                                    " (it could not be renewed in time) and may no longer change it: "
                                    "restart the gateway (or reopen the volume)");
}

Result<void> check_lock_request(EngineImpl& e, std::string_view bucket, const std::optional<ObjectLock>& lock) {
    if (!lock) return {};
    auto b = e.objects->get_bucket_record(bucket);
    // A cached "off" (RADOS) may predate lock turned on through another
    // gateway whose announcement was missed; once on, lock is never turned
    // off: only "off" is read again, past the cache, before refusing.
    if (b && !b->object_lock.enabled) b = e.objects->get_bucket_record_afresh(bucket);
    if (!b) return std::move(b).error();
    if (!b->object_lock.enabled) return Error(Errc::InvalidArgument, "Bucket is missing Object Lock Configuration");
    return check_requested_retention(lock->retention, now_ms());
}

EngineImpl::~EngineImpl() {
    async.reset();                  // finish asynchronous calls first
    if (backend) backend->close();  // background work, open reservations: before the seams and the lease go
    blobs.reset();
    objects.reset();
    settings.reset();
    identities.reset();
    backend.reset();  // after the seams that use it
    notifier.reset();
    leases.reset();      // last: this Engine's reservations are gone with it
    connection.reset();  // what the leases used
}

}  // namespace detail

Result<std::unique_ptr<Engine>> Engine::open(const fs::path& volume_spec, EngineOptions options) {
    auto spec = VolumeSpec::parse(volume_spec.native());
    if (!spec) return std::move(spec).error();
    auto impl = std::make_unique<EngineImpl>();
    impl->spec = *spec;
    impl->options = options;
    impl->body_memory =
        std::make_unique<BodyMemory>(options.body_memory_bytes, std::chrono::milliseconds(options.body_memory_wait_ms));
    switch (spec->kind) {
        case VolumeSpec::Kind::Local:
            OSTOR_TRY(open_local_volume(*impl, spec->directory, options));
            break;
        case VolumeSpec::Kind::Rados:
#ifdef OSTOR_HAVE_RADOS
            OSTOR_TRY(open_rados_volume(*impl, *spec, options));
            break;
#else
            return Error(Errc::InvalidArgument, "'" + spec->to_string() +
                                                    "': this build of ostor opens local data directories only: RADOS "
                                                    "volumes need ostor built with librados (meson option rados, "
                                                    "librados-dev and libradospp-dev installed)");
#endif
    }
    impl->async = std::make_unique<AsyncPool>(options.async_threads);
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::Engine(std::unique_ptr<EngineImpl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

const std::string& Engine::volume_id() const { return impl_->volume_id; }
const fs::path& Engine::directory() const { return impl_->dir; }
Result<std::uint32_t> Engine::serving_instances() { return impl_->leases->serving_instances(); }

Engine::BodyMemoryUse Engine::body_memory() const {
    return {impl_->body_memory->in_use(), impl_->body_memory->budget()};
}

bool Engine::lease_lost() const { return impl_->leases && impl_->leases->lost(); }

void Engine::submit(std::function<void()> fn) { impl_->async->submit(std::move(fn)); }

}  // namespace ostor
