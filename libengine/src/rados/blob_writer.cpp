// RadosBlobStore's writer: a body's extents laid back to back in objects of
// up to kBlobObjectMaxBytes, each write sent asynchronously.
#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "hashing.hpp"
#include "rados/blob_io.hpp"

namespace ostor::detail::rados {

namespace {

std::uint64_t random_id() {
    std::string raw;
    from_hex(random_hex16(), raw);
    std::uint64_t id = 0;
    for (unsigned char c : raw) id = (id << 8) | c;
    return id;
}

// Writes in flight, counted per tag; completions arrive on librados threads.
// Shared with the callbacks, which may outlive nothing: the writer waits for
// all of them before it goes.
struct InFlight {
    std::mutex mu;
    std::condition_variable cv;
    std::map<unsigned, int> by_tag;
    int total = 0;
    std::optional<Error> error;  // the first failure

    void started(unsigned tag) {
        std::lock_guard lock(mu);
        ++by_tag[tag];
        ++total;
    }
    void done(unsigned tag, Result<void> r) {
        std::lock_guard lock(mu);
        if (!r && !error) error = r.error();
        if (--by_tag[tag] == 0) by_tag.erase(tag);
        --total;
        cv.notify_all();
    }
    // Sends one call counted under `tag` (`send()`: a Client aio_* call
    // whose callback calls done()). One that throws is not counted: a
    // Client call that throws never calls back, and the writer's
    // destructor must not wait for it. Its bytes are already counted in
    // the extent: it is recorded as failed, so that no later wait or
    // finish takes the extent for written.
    template <typename Send>
    void send(unsigned tag, Send&& send_call) {
        started(tag);
        try {
            std::forward<Send>(send_call)();
        } catch (...) {
            done(tag, Result<void>(Error(Errc::IoError, "a blob write could not be sent")));
            throw;
        }
    }
    Result<void> wait_tag(unsigned tag) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return by_tag.find(tag) == by_tag.end(); });
        if (error) return *error;
        return {};
    }
    void fail(const Error& e) {
        std::lock_guard lock(mu);
        if (!error) error = e;
    }
    Result<void> status() {
        std::lock_guard lock(mu);
        if (error) return *error;
        return {};
    }
    Result<void> wait_all() {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return total == 0; });
        if (error) return *error;
        return {};
    }
};

class RadosBlobWriter final : public BlobWriter {
public:
    explicit RadosBlobWriter(RadosBlobStore& store)
        : client_(store.client()), pending_(blob_pending_oid(store.instance())) {}

    ~RadosBlobWriter() override {
        (void)flight_->wait_all();  // a late write would create a removed object again
        if (committed_) return;
        // Abandoned: nothing of the body stays. An object that cannot be
        // removed keeps its pending entry, for recover() to find.
        std::set<std::string> gone;
        for (const auto& o : objects_) {
            auto r = client_.remove(Pool::Data, o.oid);
            if (r || r.error().code() == kNotFound) gone.insert(o.oid);
        }
        if (!gone.empty()) (void)client_.apply(Pool::Meta, pending_, WriteOp().omap_remove_keys(gone));
    }

    Result<void> write(std::span<const std::byte> data, unsigned tag, std::optional<std::uint64_t> /*rest*/,
                       std::size_t /*room*/) override {
        // The rest is not needed: extents take no space ahead of their
        // bytes here, so each is filled to kExtentMaxBytes in turn.
        if (finished_) return Error(Errc::InvalidArgument, "the blob writer is already finished");
        if (auto r = flight_->status(); !r) return r;
        while (!data.empty()) {
            if (deferred_) {
                if (auto r = create_deferred({}); !r) return r;
            }
            if (objects_.empty() || objects_.back().size == kBlobObjectMaxBytes) {
                if (auto r = new_object(); !r) return r;
            }
            Object& obj = objects_.back();
            if (extents_.empty() || extents_.back().segment != obj.id || extents_.back().length == kExtentMaxBytes) {
                extents_.push_back(Extent{obj.id, obj.size, 0, 0});
                ++obj.extents;
            }
            auto& ext = extents_.back();
            std::size_t n = static_cast<std::size_t>(
                std::min<std::uint64_t>({data.size(), kExtentMaxBytes - ext.length, kBlobObjectMaxBytes - obj.size}));
            auto piece = data.first(n);
            data = data.subspan(n);
            ext.crc = crc32c(piece, ext.crc);
            ext.length += static_cast<std::uint32_t>(n);
            std::string bytes(reinterpret_cast<const char*>(piece.data()), piece.size());
            if (obj.size == 0) {
                // The object's first bytes create it, exclusively (a drawn id
                // that exists already is drawn again), synchronously, as the
                // next writes to it need the id settled. Deferred until then:
                // when finish() comes first (a small body), the count goes
                // with them, one round trip fewer.
                deferred_ = Deferred{std::move(bytes), tag};
            } else {
                flight_->send(tag, [&] {
                    client_.aio_apply(Pool::Data, obj.oid, WriteOp().write(obj.size, std::move(bytes)),
                                      [f = flight_, tag](Result<void> r) { f->done(tag, std::move(r)); });
                });
            }
            obj.size += n;
        }
        return {};
    }

    Result<void> wait(unsigned tag) override {
        if (deferred_ && deferred_->tag == tag) {
            if (auto r = create_deferred({}); !r) return r;
        }
        return flight_->wait_tag(tag);
    }

    Result<StagedBlobs> finish() override {
        if (finished_) return Error(Errc::InvalidArgument, "the blob writer is already finished");
        finished_ = true;
        if (auto r = flight_->wait_all(); !r) return std::move(r).error();
        // Every byte is in: the body is referenced from now on (see
        // blob_store.hpp on why here and not in committed()).
        std::optional<std::uint64_t> counted;  // created with its count
        if (deferred_) {
            if (auto r = create_deferred(objects_.back().extents); !r) return std::move(r).error();
            counted = objects_.back().id;
        }
        constexpr unsigned kRefsTag = 0;
        for (const auto& o : objects_) {
            if (counted == o.id) continue;
            flight_->send(kRefsTag, [&] {
                client_.aio_apply(Pool::Data, o.oid,
                                  WriteOp()
                                      .compare_xattr(std::string(kRefsXattr), Compare::Eq, "")
                                      .set_xattr(std::string(kRefsXattr), std::to_string(o.extents)),
                                  [f = flight_](Result<void> r) { f->done(kRefsTag, std::move(r)); });
            });
        }
        if (auto r = flight_->wait_all(); !r) return std::move(r).error();
        return StagedBlobs{extents_, nullptr};  // durable once acknowledged
    }

    void committed() override {
        committed_ = true;
        std::set<std::string> keys;
        for (const auto& o : objects_) keys.insert(o.oid);
        // Best effort, and not waited for (it is off the commit's path): an
        // entry left names an object with its count set, which recover()
        // keeps.
        if (!keys.empty())
            client_.aio_apply(Pool::Meta, pending_, WriteOp().omap_remove_keys(keys), [](Result<void>) {});
    }

private:
    struct Object {
        std::uint64_t id = 0;
        std::string oid;
        std::uint64_t size = 0;     // bytes sent so far
        std::uint32_t extents = 0;  // of this body in it
    };

    // Draws an id and lists it as pending, before anything is written.
    Result<void> new_object() {
        Object o;
        do o.id = random_id();
        while (o.id == 0);
        o.oid = blob_oid(o.id);
        if (auto r = client_.apply(Pool::Meta, pending_, WriteOp().omap_set(o.oid, "")); !r) return r;
        objects_.push_back(std::move(o));
        return {};
    }

    // Creates objects_.back() with its first bytes (its only extent's so
    // far, extents_.back()), and with its count when given.
    Result<void> create_deferred(std::optional<std::uint32_t> refs) {
        std::string bytes = std::move(deferred_->bytes);
        deferred_.reset();
        for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
            const std::string oid = objects_.back().oid;
            WriteOp op;
            op.create_exclusive().write(0, bytes);
            if (refs) op.set_xattr(std::string(kRefsXattr), std::to_string(*refs));
            auto r = client_.apply(Pool::Data, oid, op);
            if (r) return {};
            if (r.error().code() != kAlreadyExists) {
                flight_->fail(r.error());  // the body has a hole: every later call fails
                return r;
            }
            // Someone else's object: forget our entry for it, draw again.
            if (auto d = client_.apply(Pool::Meta, pending_, WriteOp().omap_remove(oid)); !d) {
                flight_->fail(d.error());
                return d;
            }
            const std::uint32_t extents = objects_.back().extents;
            const std::uint64_t size = objects_.back().size;
            objects_.pop_back();
            if (auto n = new_object(); !n) {
                flight_->fail(n.error());
                return n;
            }
            objects_.back().extents = extents;
            objects_.back().size = size;
            extents_.back().segment = objects_.back().id;
        }
        Error e(Errc::IoError, "could not draw a free blob object id");
        flight_->fail(e);
        return e;
    }

    static constexpr int kCreateAttempts = 16;

    Client& client_;
    const std::string pending_;
    std::shared_ptr<InFlight> flight_ = std::make_shared<InFlight>();
    std::vector<Object> objects_;
    std::vector<Extent> extents_;
    // The first bytes of objects_.back(), not sent yet (see write()).
    struct Deferred {
        std::string bytes;
        unsigned tag = 0;
    };
    std::optional<Deferred> deferred_;
    bool finished_ = false;
    bool committed_ = false;
};

}  // namespace

std::unique_ptr<BlobWriter> make_blob_writer(RadosBlobStore& store) { return std::make_unique<RadosBlobWriter>(store); }

}  // namespace ostor::detail::rados
