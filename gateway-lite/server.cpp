// HTTP/1.1 over plain sockets (or OpenSSL) with Beast's parser and
// serializer: the connections' life (accepted, parked in epoll while idle,
// taken from epoll by a worker when a request comes: server.hpp says why)
// and the serving of one connection. The only translation unit that
// includes Beast (server_exchange.hpp, server_stream.hpp,
// server_connection.hpp); the setup without it is in server_socket.cpp and
// the per-client accounting in client_limits.cpp.
#include "server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "client_limits.hpp"
#include "server_connection.hpp"
#include "server_exchange.hpp"
#include "server_socket.hpp"

namespace ostor::gw {

namespace http = boost::beast::http;
namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using server_io::Body;
using server_io::Response;
using server_io::Stream;

// How long a stop waits for requests in progress before cutting them off.
constexpr int kStopGraceSeconds = 10;

namespace {

// epoll tags that are not connections (whose ids start above them).
constexpr std::uint64_t kListenTag = 0;
constexpr std::uint64_t kStopTag = 1;
constexpr std::uint64_t kTendTag = 2;
constexpr std::uint64_t kFirstConnectionId = 16;
// One client address may keep at most max_active / this many workers busy.
constexpr std::size_t kBusyShareDivisor = 8;
// A worker with nothing to do for this long ends, while more than the
// pool's minimum are left (it shrinks back after a burst).
constexpr int kWorkerIdleExitMs = 10'000;
// No worker back in epoll for this long while connections wait there: all
// are held (by slow clients, long transfers, writers) or in reserve, and
// more are called. The acceptor checks at this interval while workers are
// (or lately were) all busy...
constexpr auto kStarvedAfter = std::chrono::milliseconds(2);
// ...and for this long after it last saw them so, before it sleeps long
// again (a worker wakes it when it leaves epoll with none left there).
constexpr auto kTendingFor = std::chrono::seconds(1);
// Threads a check starts at most (under the server's lock).
constexpr std::size_t kMaxStartsPerCheck = 16;
// What a connection's buffer holds beyond the largest header: one read's
// worth of what follows it. Chunked trailers share the bound with headers.
constexpr std::size_t kReadAheadBytes = 64 * 1024;

class ServerImpl final : public Server {
public:
    ~ServerImpl() override {
        if (listen_fd_ >= 0) ::close(listen_fd_);
        if (epoll_fd_ >= 0) ::close(epoll_fd_);
        if (ready_epoll_fd_ >= 0) ::close(ready_epoll_fd_);
        if (tend_fd_ >= 0) ::close(tend_fd_);
        ::close(stop_pipe_[0]);
        ::close(stop_pipe_[1]);
        if (tls_) SSL_CTX_free(tls_);
    }

    Result<void> init(const ServerOptions& options) {
        options_ = options;
        if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
            return Error(Errc::IoError, "pipe: " + std::string(strerror(errno)));
        epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
        ready_epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd_ < 0 || ready_epoll_fd_ < 0)
            return Error(Errc::IoError, "epoll_create1: " + std::string(strerror(errno)));
        tend_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (tend_fd_ < 0) return Error(Errc::IoError, "eventfd: " + std::string(strerror(errno)));
        auto listener = open_listener(options.listen, !options.tls.cert.empty());
        if (!listener) return listener.error();
        listen_fd_ = listener->fd;
        url_ = std::move(listener->url);
        if (!options.tls.cert.empty()) {
            auto tls = load_tls_context(options.tls);
            if (!tls) return tls.error();
            tls_ = *tls;
        }
        options_.max_connections = std::min(options_.max_connections, connection_budget());
        counts_.emplace(options_.max_connections, options_.max_connections_per_client, options_.reserved_for_loopback);
        shares_ = WorkerShares(std::max<std::size_t>(1, options_.max_active / kBusyShareDivisor));
        std::size_t wanted = options_.min_workers > 0 ? options_.min_workers : usable_cores() + 2;
        min_workers_ = std::max<std::size_t>(1, std::min(wanted, options_.max_active));
        return {};
    }

    std::string url() const override { return url_; }

    std::size_t open_connections() const override {
        std::lock_guard lock(mutex_);
        return connections_.size();
    }

    void run(Handler handler) override {
        handler_ = std::move(handler);
        epoll_add(epoll_fd_, listen_fd_, kListenTag);
        epoll_add(epoll_fd_, stop_pipe_[0], kStopTag);
        epoll_add(epoll_fd_, tend_fd_, kTendTag);
        // Level-triggered: once the pipe has its byte, every worker's
        // epoll_wait returns it.
        epoll_add(ready_epoll_fd_, stop_pipe_[0], kStopTag);
        {
            std::lock_guard lock(mutex_);
            last_poll_left_ = Clock::now();
            while (workers_ < min_workers_ && start_worker_locked()) {
            }
        }
        epoll_event events[256];
        while (!stopping_) {
            int n = ::epoll_wait(epoll_fd_, events, std::size(events), next_wait_ms());
            if (n < 0 && errno != EINTR) {
                std::fprintf(stderr, "ostor-gateway: epoll_wait failed: %s; stopping\n", std::strerror(errno));
                stop();  // the workers too: shut_down() waits for them
                break;
            }
            for (int i = 0; i < n && !stopping_; ++i) {
                auto tag = events[i].data.u64;
                if (tag == kListenTag) {
                    accept_all();
                } else if (tag == kTendTag) {
                    std::uint64_t count;
                    [[maybe_unused]] auto r = ::read(tend_fd_, &count, sizeof count);
                }
            }
            // After every wake, not only timeouts: a steady stream of
            // accepts would never let epoll_wait time out.
            close_expired();
            tend_workers();
            join_ended_workers();
        }
        ::close(listen_fd_);
        listen_fd_ = -1;
        shut_down();
        join_ended_workers();
    }

    void stop() override {
        stopping_ = true;
        char byte = 1;
        [[maybe_unused]] auto n = ::write(stop_pipe_[1], &byte, 1);
        std::lock_guard lock(mutex_);  // a worker between its check of stopping_ and its wait is not missed
        reserve_cv_.notify_all();
    }

private:
    void accept_all() {
        for (;;) {
            sockaddr_storage peer{};
            socklen_t len = sizeof peer;
            int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                // Out of descriptors: the pending connection stays queued;
                // a short pause instead of spinning on a readable listener.
                if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(50));
                return;
            }
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            std::string remote = peer_name(peer);
            std::unique_lock lock(mutex_);
            if (auto refusal = counts_->admit(remote, connections_.size())) {
                lock.unlock();
                refuse_connection(fd, *refusal, tls_ != nullptr);
                continue;
            }
            auto owned = std::make_unique<Connection>(fd, std::move(remote), stop_pipe_[0], stopping_,
                                                      options_.max_header_bytes + kReadAheadBytes);
            auto* c = owned.get();
            c->id = next_connection_id_++;
            connections_.emplace(c->id, std::move(owned));
            // A new connection waits in epoll for its first bytes, like an
            // idle one: connecting and saying nothing holds no worker.
            park_locked(*c);
        }
    }

    // Hands the connection to epoll until its next bytes arrive (or its idle
    // time runs out). Under mutex_: a worker may take it, or the acceptor
    // expire it, as soon as it is armed.
    void park_locked(Connection& c) {
        c.buffer.shrink_to_fit();  // an idle connection keeps no buffer (a worker's spare has it)
        c.parked = true;
        c.parked_at = Clock::now();
        parked_.push_back(c);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
        ev.data.u64 = c.id;
        if (::epoll_ctl(ready_epoll_fd_, c.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &ev) != 0) {
            parked_.erase(parked_.iterator_to(c));
            c.parked = false;
            close_locked(c);
            return;
        }
        c.in_epoll = true;
    }

    // A parked connection epoll reported (it has bytes, or its peer closed
    // it), taken by a worker: null when it was closed meanwhile (expired),
    // or when its client has its share of the workers busy:
    // slow clients (a header dribbled a byte at a time holds a worker until
    // the header timeout) cannot take them all. Past its share, a connection
    // waits for one of its client's to finish (finished_serving_locked).
    Connection* take_woken_locked(std::uint64_t id) {
        auto it = connections_.find(id);
        if (it == connections_.end()) return nullptr;
        Connection* c = it->second.get();
        if (!c->parked) return nullptr;
        parked_.erase(parked_.iterator_to(*c));
        c->parked = false;
        return shares_.take_or_wait(c, c->remote) ? c : nullptr;
    }

    // False when no thread could be had (the workers there carry on,
    // and the acceptor tries again at its next check).
    bool start_worker_locked() {
        // The thread waits for mutex_ (held here) before it reads its place
        // in the list, so the place is filled by then.
        auto place = worker_threads_.emplace(worker_threads_.end());
        try {
            *place = std::thread([this, place] { work(place); });
            ++workers_;
            ++starting_;
            return true;
        } catch (const std::system_error&) {
            worker_threads_.erase(place);
            return false;
        }
    }

    // The acceptor's check that workers come back to epoll: when none has
    // for kStarvedAfter and connections wait there, a quarter more are
    // called from the reserve or started (at least one, at most
    // kMaxStartsPerCheck threads), so that a burst of slow clients is met
    // within a few checks. Those called or started and not yet running are
    // waited for first. (ready_ needs no check: the worker that fills it
    // takes it.)
    void tend_workers() {
        std::lock_guard lock(mutex_);
        if (stopping_ || polling_workers_ > 0 || reserve_calls_ + starting_ > 0) return;
        auto now = Clock::now();
        last_starved_ = now;
        if (now - last_poll_left_ < kStarvedAfter) return;
        pollfd waiting{ready_epoll_fd_, POLLIN, 0};
        if (::poll(&waiting, 1, 0) <= 0) return;
        std::size_t more = std::max<std::size_t>(1, workers_ / 4);
        std::size_t calls = std::min(more, reserve_workers_ - reserve_calls_);
        reserve_calls_ += calls;
        for (std::size_t i = 0; i < calls; ++i) reserve_cv_.notify_one();
        more = std::min({more - calls, options_.max_active - workers_, kMaxStartsPerCheck});
        while (more-- > 0 && start_worker_locked()) {
        }
    }

    // How long the acceptor may sleep: until the oldest parked connection
    // expires, or the next check of the workers while they are (or lately
    // were) all busy. Sleeping longer, it asks to be woken (tend_fd_) when
    // the last worker leaves epoll.
    int next_wait_ms() {
        std::lock_guard lock(mutex_);
        int expiry = next_expiry_ms_locked();
        bool tending = polling_workers_ == 0 || (last_starved_ && Clock::now() - *last_starved_ < kTendingFor);
        tend_wanted_ = !tending;
        if (!tending) return expiry;
        int tick = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(kStarvedAfter).count());
        return expiry < 0 ? tick : std::min(expiry, tick);
    }

    // Parked connections idle past the idle timeout are closed, oldest
    // first (parked_ is in parking order, and the timeout is one for all).
    // A connection with a request waiting for a worker (all busy) is not
    // idle: it goes to the back, timed from now.
    void close_expired() {
        std::lock_guard lock(mutex_);
        auto now = Clock::now();  // under the lock: parked_ stays in time order
        auto cutoff = now - std::chrono::seconds(options_.idle_timeout_s);
        while (!parked_.empty() && parked_.front().parked_at <= cutoff) {
            Connection& c = parked_.front();
            parked_.pop_front();
            pollfd waiting{c.fd, POLLIN, 0};
            if (::poll(&waiting, 1, 0) == 1 && waiting.revents == POLLIN) {
                c.parked_at = now;
                parked_.push_back(c);
                continue;
            }
            c.parked = false;
            close_locked(c);
        }
    }

    // How long epoll may sleep before the oldest parked connection expires.
    int next_expiry_ms_locked() const {
        if (parked_.empty()) return -1;
        auto due = parked_.front().parked_at + std::chrono::seconds(options_.idle_timeout_s);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now()).count() + 1;
        return static_cast<int>(std::clamp<long long>(ms, 0, 1000));
    }

    void close_locked(Connection& c) {
        assert(!c.parked);
        counts_->release(c.remote);
        int fd = c.fd;
        connections_.erase(c.id);  // ends the TLS session first
        ::close(fd);               // under the lock: the number is not reused while it is known here
    }

    // A worker thread: serves connections one after another, taking each
    // from ready_ (a client's connection whose turn came) or else from epoll;
    // ends when none came for a while and more than min_workers_ are left,
    // or at a stop.
    void work(std::list<std::thread>::iterator place) {
        // A parked connection keeps no buffer: the worker lends it this one
        // and takes it back whenever it is empty after serving, rather than
        // one freed and allocated again per request.
        boost::beast::flat_buffer spare(options_.max_header_bytes + kReadAheadBytes);
        std::unique_lock lock(mutex_);
        --starting_;
        bool called = false;  // out of the reserve: to epoll, however many are there
        while (!stopping_) {
            Connection* c = nullptr;
            if (!ready_.empty()) {
                c = ready_.front();
                ready_.pop_front();
            } else if (!called && polling_workers_ >= min_workers_) {
                // Enough wait in epoll already: more would each be woken in
                // turn for a request one of them could take without sleeping.
                // This one waits in reserve until the acceptor calls it (all
                // are held), or ends.
                ++reserve_workers_;
                bool woke = reserve_cv_.wait_for(lock, std::chrono::milliseconds(kWorkerIdleExitMs),
                                                 [this] { return stopping_ || reserve_calls_ > 0; });
                --reserve_workers_;
                if (stopping_) break;
                if (woke)
                    --reserve_calls_;
                else if (workers_ > min_workers_)
                    break;  // not needed for a while
                called = true;
                continue;  // to epoll (or ready_)
            } else {
                called = false;
                ++polling_workers_;
                lock.unlock();
                epoll_event event{};
                int n = ::epoll_wait(ready_epoll_fd_, &event, 1, kWorkerIdleExitMs);
                lock.lock();
                if (--polling_workers_ == 0) {
                    last_poll_left_ = Clock::now();
                    if (tend_wanted_) {
                        tend_wanted_ = false;
                        std::uint64_t one = 1;
                        [[maybe_unused]] auto r = ::write(tend_fd_, &one, sizeof one);
                    }
                }
                if (stopping_) break;
                // Idle: the pool shrinks back, from its reserve first.
                if (n == 0 && reserve_workers_ == 0 && workers_ > min_workers_) break;
                if (n <= 0 || event.data.u64 == kStopTag) continue;
                c = take_woken_locked(event.data.u64);
                if (!c) continue;
            }
            active_.push_back(*c);
            lock.unlock();
            if (c->buffer.capacity() == 0) swap(c->buffer, spare);
            bool keep = serve(*c);
            if (c->buffer.size() == 0 && spare.capacity() == 0) swap(c->buffer, spare);
            lock.lock();
            active_.erase(active_.iterator_to(*c));
            finished_serving_locked(c->remote);
            if (keep && !stopping_)
                park_locked(*c);
            else
                close_locked(*c);
        }
        // The thread still has its exit to run (thread-local destructors,
        // OpenSSL's per-thread state): it is joined, never left running
        // while the process exits.
        ended_workers_.push_back(std::move(*place));
        worker_threads_.erase(place);
        if (--workers_ == 0) done_cv_.notify_all();
    }

    // Joins the workers that ended (outside the lock: they may still be in
    // their thread's exit).
    void join_ended_workers() {
        std::vector<std::thread> ended;
        {
            std::lock_guard lock(mutex_);
            ended.swap(ended_workers_);
        }
        for (auto& t : ended) t.join();
    }

    // A worker is done with a connection of `client`: the client's next
    // connection waiting for its turn, if any, is made ready (and this
    // worker takes it next).
    void finished_serving_locked(const std::string& client) {
        if (Connection* next = shares_.finished(client)) ready_.push_back(next);
    }

    // At a stop: idle connections close now; requests in progress finish
    // within the grace period, after which their sockets are shut down,
    // which fails their I/O at once: no worker outlives run(), so the engine
    // can be closed after it.
    void shut_down() {
        std::unique_lock lock(mutex_);
        parked_.clear_and_dispose([this](Connection* c) {
            c->parked = false;
            close_locked(*c);
        });
        for (Connection* c : ready_) close_locked(*c);
        ready_.clear();
        for (Connection* c : shares_.take_waiting()) close_locked(*c);
        if (!done_cv_.wait_for(lock, std::chrono::seconds(kStopGraceSeconds), [this] { return workers_ == 0; })) {
            for (Connection& c : active_) ::shutdown(c.fd, SHUT_RDWR);
            done_cv_.wait(lock, [this] { return workers_ == 0; });
        }
    }

    // Serves the request epoll reported on one connection, those already
    // read behind it, and, after a write, those that follow within
    // linger_ms. True: the connection is between requests in good order and
    // may be parked; false: close it.
    bool serve(Connection& c) {
        Stream& stream = c.stream;
        auto& buffer = c.buffer;
        stream.set_timeout(options_.idle_timeout_s * 1000);
        if (tls_ && !c.tls_started) {
            stream.set_deadline(Clock::now() + std::chrono::seconds(options_.header_timeout_s));
            if (!stream.start_tls(tls_)) return false;
            c.tls_started = true;
        }
        // After a read (GET, HEAD), with nothing more read, the connection
        // goes back to epoll at once and this worker serves whichever has a
        // request next. After a write it waits a moment for the connection's
        // next request: writes wait for a disk sync, and the engine batches
        // the syncs of writes waiting at once, so a client's stream of PUTs
        // wants a worker of its own (the pool grows for them).
        bool linger = true;  // first, for the bytes epoll reported
        while (!stopping_) {
            if (!linger && buffer.size() == 0 && !stream.has_pending()) return true;
            http::request_parser<http::buffer_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
            parser.body_limit(boost::none);
            // Once a request's first bytes arrive, the whole header must
            // follow within the header timeout.
            if (buffer.size() == 0) {
                stream.set_idle(true);
                stream.set_deadline(std::nullopt);
                stream.set_timeout(options_.linger_ms);
                error_code ec;
                auto n = stream.read_some(buffer.prepare(4096), ec);
                stream.set_idle(false);
                stream.set_timeout(options_.idle_timeout_s * 1000);
                if (ec == boost::beast::error::timeout && !stream.has_pending()) return true;  // idle: park it
                // (A TLS record begun but not whole: its rest comes under
                // the header deadline below.)
                if (ec && ec != boost::beast::error::timeout) return false;
                buffer.commit(n);
            }
            stream.set_deadline(Clock::now() + std::chrono::seconds(options_.header_timeout_s));
            error_code ec;
            http::read_header(stream, buffer, parser, ec);
            stream.set_deadline(std::nullopt);
            if (ec) {
                if (ec == http::error::header_limit)
                    refuse_request(stream, request_header_too_large());
                else if (ec != http::error::end_of_stream && ec != asio::error::eof &&
                         ec != boost::beast::error::timeout && ec != asio::error::connection_reset)
                    refuse_request(stream, unparsable_request());
                return false;
            }
            auto& msg = parser.get();
            if (auto refusal = check_request_head(msg, parser.chunked())) {
                refuse_request(stream, *refusal);
                return false;
            }
            HttpRequest request = http_request_from(parser);
            request.remote = c.remote;
            request.tls = c.tls_started;
            bool expect_header = boost::beast::iequals(msg[http::field::expect], "100-continue");
            Body body(stream, buffer, parser, expect_header);
            Response response(stream, body, request.method == "HEAD", msg.keep_alive());
            try {
                handler_(request, body, response);
            } catch (const std::exception& e) {
                // A handler bug must not take the server down with it.
                std::fprintf(stderr, "ostor-gateway: internal error serving %s %s: %s\n", request.method.c_str(),
                             request.target.c_str(), e.what());
                if (!response.head_written()) send_plain_error(stream, handler_failed());
                return false;
            }
            if (!response.head_written()) {
                send_plain_error(stream, handler_failed());
                return false;
            }
            if (!response.finish()) {
                if (!body.done() && !body.failed()) stream.drain_before_close();
                return false;
            }
            linger = request.method != "GET" && request.method != "HEAD";
        }
        return false;
    }

    // An answer before the body was read, then the connection's end: what
    // the client still sends is drained first, so that the kernel does not
    // reset the connection under the answer.
    static void refuse_request(Stream& stream, const S3Error& refusal) {
        send_plain_error(stream, refusal);
        stream.drain_before_close();
    }

    ServerOptions options_;
    int listen_fd_ = -1;
    int epoll_fd_ = -1;        // the acceptor's: the listener, the stop pipe, tend_fd_
    int ready_epoll_fd_ = -1;  // the workers': parked connections, the stop pipe
    int tend_fd_ = -1;         // an eventfd: a worker asks the acceptor to check on them
    int stop_pipe_[2] = {-1, -1};
    SSL_CTX* tls_ = nullptr;
    std::string url_;
    Handler handler_;
    std::atomic<bool> stopping_{false};

    mutable std::mutex mutex_;                                                    // guards everything below
    std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;  // every open one, by id
    std::uint64_t next_connection_id_ = kFirstConnectionId;
    std::optional<ConnectionCounts> counts_;  // set by init: open connections by client
    // The two lists link connections owned by connections_: declared after
    // it, they are destroyed (unlinked) before it.
    ConnectionList parked_;          // idle in epoll, oldest first
    std::deque<Connection*> ready_;  // their client's turn came: taken next by the worker that put them
    ConnectionList active_;          // being served by a worker
    WorkerShares shares_{1};         // set by init: workers busy by client
    std::size_t workers_ = 0;
    std::size_t min_workers_ = 1;      // kept when idle (set by init)
    std::size_t polling_workers_ = 0;  // in epoll_wait
    std::size_t starting_ = 0;         // threads started, not yet running work()
    std::size_t reserve_workers_ = 0;  // waiting on reserve_cv_
    std::size_t reserve_calls_ = 0;    // of them, called to epoll and not yet gone
    std::condition_variable reserve_cv_;
    bool tend_wanted_ = false;          // the acceptor sleeps long: wake it when polling_workers_ drops to 0
    Clock::time_point last_poll_left_;  // polling_workers_ last dropped to 0
    std::optional<Clock::time_point> last_starved_;  // the acceptor last saw no worker in epoll
    std::list<std::thread> worker_threads_;          // the running workers
    std::vector<std::thread> ended_workers_;         // ended, to be joined
    std::condition_variable done_cv_;                // the last worker ended
};

}  // namespace

Result<std::unique_ptr<Server>> Server::listen(const ServerOptions& options) {
    auto server = std::make_unique<ServerImpl>();
    if (auto r = server->init(options); !r) return r.error();
    return std::unique_ptr<Server>(std::move(server));
}

}  // namespace ostor::gw
