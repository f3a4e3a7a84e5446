// HTTP/1.1 over plain sockets (or OpenSSL) with Beast's parser and
// serializer: the connections' life (accepted, parked in epoll while idle,
// served by a worker while busy) and the serving of one connection. The only
// translation unit that includes Beast (server_exchange.hpp,
// server_stream.hpp); the setup without it is in server_socket.cpp and the
// per-client accounting in client_limits.cpp.
#include "server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "client_limits.hpp"
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

// A connection's state between requests; owned by the server's registry.
struct Connection {
    Connection(int socket_fd, std::string peer, int stop_fd, const std::atomic<bool>& stopping,
               std::size_t max_buffered)
        : fd(socket_fd), remote(std::move(peer)), stream(socket_fd, stop_fd, stopping), buffer(max_buffered) {}
    int fd;
    std::string remote;  // peer address: for logs and the per-client cap
    Stream stream;
    // Bytes read past the last request. Bounded: a header, or a chunked
    // body's trailer, that does not fit fails its read (buffer_overflow).
    boost::beast::flat_buffer buffer;
    bool tls_started = false;
    bool in_epoll = false;  // registered once; re-armed (EPOLLONESHOT) at each park
    bool parked = false;
    Clock::time_point parked_at;
    std::list<Connection*>::iterator parked_pos;  // valid while parked
};

namespace {

// epoll tags that are not connections.
constexpr std::uint64_t kListenTag = 0;
constexpr std::uint64_t kStopTag = 1;
// One client address may keep at most max_active / this many workers busy.
constexpr std::size_t kBusyShareDivisor = 8;
// A worker with nothing to do for this long ends (the pool shrinks back).
constexpr auto kWorkerIdleExit = std::chrono::seconds(10);
// What a connection's buffer holds beyond the largest header: one read's
// worth of what follows it. Chunked trailers share the bound with headers.
constexpr std::size_t kReadAheadBytes = 64 * 1024;

class ServerImpl final : public Server {
public:
    ~ServerImpl() override {
        if (listen_fd_ >= 0) ::close(listen_fd_);
        if (epoll_fd_ >= 0) ::close(epoll_fd_);
        ::close(stop_pipe_[0]);
        ::close(stop_pipe_[1]);
        if (tls_) SSL_CTX_free(tls_);
    }

    Result<void> init(const ServerOptions& options) {
        options_ = options;
        if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
            return Error(Errc::IoError, "pipe: " + std::string(strerror(errno)));
        epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd_ < 0) return Error(Errc::IoError, "epoll_create1: " + std::string(strerror(errno)));
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
        return {};
    }

    std::string url() const override { return url_; }

    std::size_t open_connections() const override {
        std::lock_guard lock(mutex_);
        return connections_.size();
    }

    void run(Handler handler) override {
        handler_ = std::move(handler);
        epoll_add(listen_fd_, kListenTag);
        epoll_add(stop_pipe_[0], kStopTag);
        epoll_event events[256];
        while (!stopping_) {
            int n = ::epoll_wait(epoll_fd_, events, std::size(events), next_expiry_ms());
            if (n < 0 && errno != EINTR) break;
            for (int i = 0; i < n && !stopping_; ++i) {
                auto tag = events[i].data.u64;
                if (tag == kListenTag)
                    accept_all();
                else if (tag != kStopTag)
                    wake(reinterpret_cast<Connection*>(tag));
            }
            close_expired();
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
        work_cv_.notify_all();
    }

private:
    void epoll_add(int fd, std::uint64_t tag) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }

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
                refuse(fd, *refusal);
                continue;
            }
            auto owned = std::make_unique<Connection>(fd, std::move(remote), stop_pipe_[0], stopping_,
                                                      options_.max_header_bytes + kReadAheadBytes);
            auto* c = owned.get();
            connections_.emplace(c, std::move(owned));
            // A new connection waits in epoll for its first bytes, like an
            // idle one: connecting and saying nothing holds no worker.
            park_locked(*c);
        }
    }

    // A clear answer (503 SlowDown) rather than a silent queue, sent without waiting: the
    // epoll thread never blocks on one client. (On an HTTPS listener the
    // connection is only closed: there is no session to answer in.)
    void refuse(int fd, const S3Error& refusal) {
        if (!tls_) {
            std::string body = s3::error_document(refusal);
            std::string answer =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nServer: ostor\r\n"
                "Connection: close\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
            [[maybe_unused]] auto n = ::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            ::shutdown(fd, SHUT_WR);
        }
        ::close(fd);
    }

    // Hands the connection to epoll until its next bytes arrive (or its idle
    // time runs out). Under mutex_: the epoll thread may wake or expire it
    // as soon as it is armed.
    void park_locked(Connection& c) {
        c.buffer.shrink_to_fit();  // an idle connection keeps no buffer
        c.parked = true;
        c.parked_at = Clock::now();
        c.parked_pos = parked_.insert(parked_.end(), &c);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
        ev.data.u64 = reinterpret_cast<std::uint64_t>(&c);
        if (::epoll_ctl(epoll_fd_, c.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &ev) != 0) {
            parked_.erase(c.parked_pos);
            c.parked = false;
            close_locked(c);
            return;
        }
        c.in_epoll = true;
    }

    // The epoll thread: a parked connection has bytes (or was closed by its
    // peer): a worker takes it.
    void wake(Connection* c) {
        std::lock_guard lock(mutex_);
        if (!c->parked) return;
        parked_.erase(c->parked_pos);
        c->parked = false;
        // One client address gets at most its share of the workers: slow
        // clients (a header dribbled a byte at a time holds a worker until
        // the header timeout) cannot take them all. Past its share, a
        // connection waits for one of its client's to finish.
        if (shares_.take_or_wait(c, c->remote)) make_ready_locked(c);
    }

    // Queues a connection for a worker, starting one if none is waiting.
    void make_ready_locked(Connection* c) {
        ready_.push_back(c);
        // Waiting workers each take one; a worker notified but not yet
        // running still counts as waiting, so compare with the queue.
        if (ready_.size() <= waiting_workers_) {
            work_cv_.notify_one();
        } else if (workers_ < options_.max_active) {
            // The thread waits for mutex_ (held here) before it reads its
            // place in the list, so the place is filled by then.
            auto place = worker_threads_.emplace(worker_threads_.end());
            try {
                *place = std::thread([this, place] { work(place); });
                ++workers_;
            } catch (const std::system_error&) {
                // No thread to be had now: the connection waits in ready_
                // for a worker that finishes.
                worker_threads_.erase(place);
            }
        }
        // else: it waits its turn in ready_ for the next free worker.
    }

    // Parked connections idle past the idle timeout are closed, oldest
    // first (parked_ is in parking order, and the timeout is one for all).
    void close_expired() {
        auto cutoff = Clock::now() - std::chrono::seconds(options_.idle_timeout_s);
        std::lock_guard lock(mutex_);
        while (!parked_.empty() && parked_.front()->parked_at <= cutoff) {
            Connection* c = parked_.front();
            parked_.pop_front();
            c->parked = false;
            close_locked(*c);
        }
    }

    // How long epoll may sleep before the oldest parked connection expires.
    int next_expiry_ms() {
        std::lock_guard lock(mutex_);
        if (parked_.empty()) return -1;
        auto due = parked_.front()->parked_at + std::chrono::seconds(options_.idle_timeout_s);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now()).count() + 1;
        return static_cast<int>(std::clamp<long long>(ms, 0, 1000));
    }

    void close_locked(Connection& c) {
        assert(!c.parked);
        counts_->release(c.remote);
        int fd = c.fd;
        connections_.erase(&c);  // ends the TLS session first
        ::close(fd);             // under the lock: the number is not reused while it is known here
    }

    // A worker thread: serves ready connections one after another; ends
    // when none came for a while, or at a stop.
    void work(std::list<std::thread>::iterator place) {
        std::unique_lock lock(mutex_);
        for (;;) {
            ++waiting_workers_;
            bool got = work_cv_.wait_for(lock, kWorkerIdleExit, [this] { return stopping_ || !ready_.empty(); });
            --waiting_workers_;
            if (!got || stopping_) break;
            Connection* c = ready_.front();
            ready_.pop_front();
            active_.insert(c);
            lock.unlock();
            bool keep = serve(*c);
            lock.lock();
            active_.erase(c);
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
        for (Connection* c : parked_) {
            c->parked = false;
            close_locked(*c);
        }
        parked_.clear();
        for (Connection* c : ready_) close_locked(*c);
        ready_.clear();
        for (Connection* c : shares_.take_waiting()) close_locked(*c);
        work_cv_.notify_all();
        if (!done_cv_.wait_for(lock, std::chrono::seconds(kStopGraceSeconds), [this] { return workers_ == 0; })) {
            for (Connection* c : active_) ::shutdown(c->fd, SHUT_RDWR);
            done_cv_.wait(lock, [this] { return workers_ == 0; });
        }
    }

    // Serves requests on one connection while they keep coming. True: the
    // connection went idle in good order and may be parked; false: close it.
    bool serve(Connection& c) {
        Stream& stream = c.stream;
        auto& buffer = c.buffer;
        stream.set_timeout(options_.idle_timeout_s * 1000);
        if (tls_ && !c.tls_started) {
            stream.set_deadline(Clock::now() + std::chrono::seconds(options_.header_timeout_s));
            if (!stream.start_tls(tls_)) return false;
            c.tls_started = true;
        }
        while (!stopping_) {
            http::request_parser<http::buffer_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
            parser.body_limit(boost::none);
            // Wait a moment for the next request; once its first bytes
            // arrive, the whole header must follow within the header timeout.
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
    int epoll_fd_ = -1;
    int stop_pipe_[2] = {-1, -1};
    SSL_CTX* tls_ = nullptr;
    std::string url_;
    Handler handler_;
    std::atomic<bool> stopping_{false};

    mutable std::mutex mutex_;                                                  // guards everything below
    std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;  // every open connection
    std::optional<ConnectionCounts> counts_;  // set by init: open connections by client
    std::list<Connection*> parked_;           // idle in epoll, oldest first
    std::deque<Connection*> ready_;           // woken, waiting for a worker
    std::unordered_set<Connection*> active_;  // being served by a worker
    WorkerShares shares_{1};                  // set by init: workers busy by client
    std::size_t workers_ = 0;
    std::size_t waiting_workers_ = 0;
    std::list<std::thread> worker_threads_;   // the running workers
    std::vector<std::thread> ended_workers_;  // ended, to be joined
    std::condition_variable work_cv_;         // ready_ got a connection, or a stop
    std::condition_variable done_cv_;         // the last worker ended
};

}  // namespace

Result<std::unique_ptr<Server>> Server::listen(const ServerOptions& options) {
    auto server = std::make_unique<ServerImpl>();
    if (auto r = server->init(options); !r) return r.error();
    return std::unique_ptr<Server>(std::move(server));
}

}  // namespace ostor::gw
