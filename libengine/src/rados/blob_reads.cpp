// RadosBlobStore's reads: asynchronous reads of pinned extents. A pin holds
// nothing on the cluster: objects are removed only a grace period after their
// last reference went (blob_store.hpp).
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>

#include "rados/blob_io.hpp"

namespace ostor::detail::rados {

namespace {

// Completions, queued by librados threads for wait().
struct Completions {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Result<std::uint64_t>> done;
    std::size_t running = 0;  // callbacks not yet returned
};

class RadosBlobReads final : public BlobReads {
public:
    explicit RadosBlobReads(Client& client) : client_(client) {}

    ~RadosBlobReads() override {
        // The callbacks copy into the caller's buffers: none may run later.
        std::unique_lock lock(c_->mu);
        c_->cv.wait(lock, [&] { return c_->running == 0; });
    }

    void submit(const Extent& x, std::uint64_t offset, std::span<std::byte> out, std::uint64_t tag) override {
        {
            std::lock_guard lock(c_->mu);
            ++c_->running;
        }
        ++in_flight_;
        if (offset + out.size() > x.length) {
            finish(c_, Error(Errc::InvalidArgument, "a read past its extent's end"));
            return;
        }
        try {
            const std::string oid = blob_oid(x.segment);
            client_.aio_read(Pool::Data, oid, x.offset + offset, out.size(),
                             [c = c_, out, tag, oid](Result<std::string> r) {
                                 if (!r) return finish(c, std::move(r).error());
                                 if (r->size() != out.size())
                                     return finish(c, Error(Errc::IoError, "short read of " + oid));
                                 std::memcpy(out.data(), r->data(), out.size());
                                 finish(c, tag);
                             });
        } catch (...) {
            // Not sent (a Client call that throws never calls back): the
            // destructor must not wait for it.
            std::lock_guard lock(c_->mu);
            --c_->running;
            --in_flight_;
            throw;
        }
    }

    Result<std::uint64_t> wait() override {
        std::unique_lock lock(c_->mu);
        c_->cv.wait(lock, [&] { return !c_->done.empty(); });
        auto r = std::move(c_->done.front());
        c_->done.pop_front();
        --in_flight_;
        return r;
    }

    std::size_t in_flight() const override { return in_flight_; }

private:
    static void finish(const std::shared_ptr<Completions>& c, Result<std::uint64_t> r) {
        std::lock_guard lock(c->mu);
        c->done.push_back(std::move(r));
        --c->running;
        c->cv.notify_all();
    }

    Client& client_;
    std::shared_ptr<Completions> c_ = std::make_shared<Completions>();
    std::size_t in_flight_ = 0;
};

}  // namespace

std::unique_ptr<BlobReads> make_blob_reads(Client& client) { return std::make_unique<RadosBlobReads>(client); }

}  // namespace ostor::detail::rados
