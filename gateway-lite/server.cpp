// HTTP/1.1 over plain sockets (or OpenSSL) with Beast's parser and
// serializer. The only translation unit that includes Beast.
#include "server.hpp"
#include "util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
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

#include "http_head.hpp"  // Beast's parser (and the warning it needs off)

#include <boost/beast/core/flat_buffer.hpp>

namespace ostor::gw {

namespace http = boost::beast::http;
namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// How long a stop waits for requests in progress before cutting them off.
constexpr int kStopGraceSeconds = 10;

namespace {

// A connected socket as Beast's SyncReadStream / SyncWriteStream, with
// poll()-based timeouts and an optional TLS session. A read fails with
// `timeout` after the per-operation timeout or past the absolute deadline,
// and with `operation_aborted` when the server stops while the connection is
// idle (between requests).
class Stream {
public:
    Stream(int fd, int stop_fd, const std::atomic<bool>& stopping) : fd_(fd), stop_fd_(stop_fd), stopping_(stopping) {}
    ~Stream() {
        if (ssl_) {
            SSL_shutdown(ssl_);
            SSL_free(ssl_);
        }
        // The fd is closed by whoever accepted it (see ServerImpl::run).
    }

    // Per-operation timeout and an absolute deadline (for the header).
    void set_timeout(int ms) { op_timeout_ms_ = ms; }
    void set_deadline(std::optional<Clock::time_point> deadline) { deadline_ = deadline; }
    // While true, a server stop aborts a pending read.
    void set_idle(bool idle) { idle_ = idle; }
    // TLS bytes already taken from the socket but not yet read: epoll would
    // not report them, so such a connection must not be parked.
    bool has_pending() const { return ssl_ && SSL_has_pending(ssl_) == 1; }

    // TLS runs on a non-blocking socket: OpenSSL may need several reads for
    // one record, and each wait between them goes through wait_for, which
    // keeps the header deadline, the idle timeout and a stop (a blocking recv
    // under SO_RCVTIMEO would restart its timeout at every byte).
    bool start_tls(SSL_CTX* ctx) {
        int flags = ::fcntl(fd_, F_GETFL);
        if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0) return false;
        ssl_ = SSL_new(ctx);
        if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return false;
        for (;;) {
            ERR_clear_error();  // SSL_get_error reads this thread's queue; a worker serves many connections
            int r = SSL_accept(ssl_);
            if (r == 1) return true;
            int err = SSL_get_error(ssl_, r);
            if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return false;
            if (!wait_for(err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN)) return false;
        }
    }

    template <class Buffers>
    std::size_t read_some(const Buffers& buffers, error_code& ec) {
        ec = {};
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
            asio::mutable_buffer b = *it;
            if (b.size() == 0) continue;
            return read_into(static_cast<char*>(b.data()), b.size(), ec);
        }
        return 0;
    }
    template <class Buffers>
    std::size_t read_some(const Buffers& buffers) {
        error_code ec;
        auto n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    // Gathers the sequence into one send: Beast serializes a header as
    // dozens of small buffers, and a syscall (and a TCP segment) per piece
    // would cost more than the whole request.
    template <class Buffers>
    std::size_t write_some(const Buffers& buffers, error_code& ec) {
        ec = {};
        iovec iov[kMaxGather];
        std::size_t count = 0, total = 0;
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers) && count < kMaxGather; ++it) {
            asio::const_buffer b = *it;
            if (b.size() == 0) continue;
            iov[count++] = {const_cast<void*>(b.data()), b.size()};
            total += b.size();
        }
        if (count == 0) return 0;
        if (count == 1) return write_from(static_cast<const char*>(iov[0].iov_base), iov[0].iov_len, ec);
        if (ssl_) {
            // TLS: one record from the small pieces copied together.
            char joined[kTlsJoinBytes];
            std::size_t n = 0;
            for (std::size_t i = 0; i < count && n + iov[i].iov_len <= sizeof joined; ++i) {
                std::memcpy(joined + n, iov[i].iov_base, iov[i].iov_len);
                n += iov[i].iov_len;
            }
            if (n == 0) return write_from(static_cast<const char*>(iov[0].iov_base), iov[0].iov_len, ec);
            return write_from(joined, n, ec);
        }
        (void)total;
        return gather_send(iov, count, ec);
    }
    template <class Buffers>
    std::size_t write_some(const Buffers& buffers) {
        error_code ec;
        auto n = write_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

    // Closing a socket with unread input makes the kernel send a reset,
    // which can destroy the answer just sent before the client reads it
    // (a refused upload whose body was never read). So: end our side, then
    // read and drop what the client still sends, for a bounded time and
    // amount, before the caller closes.
    void drain_before_close() {
        if (ssl_) SSL_shutdown(ssl_);
        ::shutdown(fd_, SHUT_WR);
        auto deadline = Clock::now() + std::chrono::seconds(2);
        std::size_t drained = 0;
        char scratch[16384];
        while (drained < (std::size_t{16} << 20)) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left <= 0) break;
            pollfd pfd{fd_, POLLIN, 0};
            if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) break;
            ssize_t n = ::recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT);
            if (n <= 0) break;
            drained += static_cast<std::size_t>(n);
        }
    }

    bool write_all(const void* data, std::size_t size) {
        error_code ec;
        asio::write(*this, asio::const_buffer(data, size), ec);
        return !ec;
    }
    // Two pieces in one send where possible (a response head and its body).
    bool write_all(std::string_view first, const void* data, std::size_t size) {
        error_code ec;
        std::array<asio::const_buffer, 2> pieces = {asio::const_buffer(first.data(), first.size()),
                                                    asio::const_buffer(data, size)};
        asio::write(*this, pieces, ec);
        return !ec;
    }

private:
    // Waits until the socket is ready for `events`. False on timeout, error
    // or (when idle) a server stop; sets last_error_.
    bool wait_for(short events) {
        for (;;) {
            auto timeout = wait_budget_ms();
            if (!timeout) {
                last_error_ = boost::beast::error::timeout;
                return false;
            }
            pollfd fds[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
            int r = ::poll(fds, idle_ ? 2 : 1, *timeout);
            if (r < 0) {
                if (errno == EINTR) continue;
                last_error_ = error_code(errno, boost::system::system_category());
                return false;
            }
            if (idle_ && (fds[1].revents & POLLIN) && stopping_) {
                last_error_ = asio::error::operation_aborted;
                return false;
            }
            if (r == 0) {
                if (deadline_ && Clock::now() < *deadline_) continue;
                last_error_ = boost::beast::error::timeout;
                return false;
            }
            if (fds[0].revents) return true;
        }
    }

    // Plain reads block in recv bounded by SO_RCVTIMEO: a poll before every
    // read doubled the syscalls of a small request. A server stop shuts idle
    // sockets down, which ends their recv. TLS reads wait through wait_for.
    std::size_t read_into(char* data, std::size_t size, error_code& ec) {
        for (;;) {
            if (ssl_) {
                ERR_clear_error();
                int r = SSL_read(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
                if (r > 0) return static_cast<std::size_t>(r);
                int err = SSL_get_error(ssl_, r);
                if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
                    if (!wait_for(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) {
                        ec = last_error_;
                        return 0;
                    }
                    continue;
                }
                ERR_clear_error();
                // An abrupt TLS end reads as the client going away.
                ec = idle_ && stopping_ ? error_code(asio::error::operation_aborted) : error_code(asio::error::eof);
                return 0;
            }
            if (!arm_receive_timeout(ec)) return 0;
            ssize_t r = ::recv(fd_, data, size, 0);
            if (r > 0) return static_cast<std::size_t>(r);
            if (r == 0) {
                ec = idle_ && stopping_ ? error_code(asio::error::operation_aborted) : error_code(asio::error::eof);
                return 0;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (receive_timed_out(ec)) return 0;
                continue;
            }
            ec = error_code(errno, boost::system::system_category());
            return 0;
        }
    }

    // Sets SO_RCVTIMEO to what is left of the operation's time: the
    // per-operation timeout, cut by the header deadline. Fails (timeout)
    // once the deadline has passed.
    bool arm_receive_timeout(error_code& ec) {
        auto timeout = wait_budget_ms();
        if (!timeout) {
            ec = boost::beast::error::timeout;
            return false;
        }
        set_receive_timeout(*timeout);
        return true;
    }

    // How long one wait may last: the per-operation timeout, cut by the
    // header deadline; nullopt once the deadline has passed.
    std::optional<int> wait_budget_ms() const {
        if (!deadline_) return op_timeout_ms_;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline_ - Clock::now()).count();
        if (left <= 0) return std::nullopt;
        return static_cast<int>(std::min<long long>(op_timeout_ms_, left));
    }

    // After a receive timed out: true (ec = timeout) unless a deadline, not
    // yet reached, governs instead.
    bool receive_timed_out(error_code& ec) {
        if (deadline_ && Clock::now() < *deadline_) return false;
        ec = boost::beast::error::timeout;
        return true;
    }

    void set_receive_timeout(int ms) {
        if (ms == receive_timeout_ms_) return;
        timeval tv{ms / 1000, static_cast<suseconds_t>((ms % 1000) * 1000)};
        if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0) receive_timeout_ms_ = ms;
    }

    static constexpr std::size_t kMaxGather = 64;
    static constexpr std::size_t kTlsJoinBytes = 16 * 1024;

    std::size_t gather_send(iovec* iov, std::size_t count, error_code& ec) {
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = count;
        for (;;) {
            ssize_t r = ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (r >= 0) return static_cast<std::size_t>(r);
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ec = error_code(errno, boost::system::system_category());
                return 0;
            }
            if (!wait_for(POLLOUT)) {
                ec = last_error_;
                return 0;
            }
        }
    }

    std::size_t write_from(const char* data, std::size_t size, error_code& ec) {
        for (;;) {
            if (ssl_) {
                ERR_clear_error();
                int r = SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
                if (r > 0) return static_cast<std::size_t>(r);
                int err = SSL_get_error(ssl_, r);
                if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
                    if (!wait_for(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) {
                        ec = last_error_;
                        return 0;
                    }
                    continue;
                }
                ERR_clear_error();
                ec = asio::error::broken_pipe;
                return 0;
            }
            ssize_t r = ::send(fd_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (r >= 0) return static_cast<std::size_t>(r);
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ec = error_code(errno, boost::system::system_category());
                return 0;
            }
            if (!wait_for(POLLOUT)) {
                ec = last_error_;
                return 0;
            }
        }
    }

    int fd_;
    int stop_fd_;
    const std::atomic<bool>& stopping_;
    SSL* ssl_ = nullptr;
    int op_timeout_ms_ = 60000;
    std::optional<Clock::time_point> deadline_;
    std::atomic<bool> idle_{false};
    int receive_timeout_ms_ = -1;  // SO_RCVTIMEO in force; -1: none set yet
    error_code last_error_;
};

class Body final : public BodyReader {
public:
    Body(Stream& stream, boost::beast::flat_buffer& buffer, http::request_parser<http::buffer_body>& parser,
         bool expect_header)
        : stream_(stream),
          buffer_(buffer),
          parser_(parser),
          expect_header_(expect_header),
          expect_continue_(expect_header && !parser.is_done()) {}

    std::ptrdiff_t read(std::span<std::byte> out) override {
        if (failed_) return -1;
        if (parser_.is_done() || out.empty()) return 0;
        if (expect_continue_) {
            expect_continue_ = false;
            if (!send_continue()) return fail();
        }
        for (;;) {
            auto& body = parser_.get().body();
            body.data = out.data();
            body.size = out.size();
            error_code ec;
            http::read(stream_, buffer_, parser_, ec);
            if (ec == http::error::need_buffer) ec = {};
            if (ec) return fail();
            std::size_t n = out.size() - parser_.get().body().size;
            if (n > 0 || parser_.is_done()) return static_cast<std::ptrdiff_t>(n);
        }
    }
    bool done() const override { return parser_.is_done(); }
    bool failed() const { return failed_; }
    // botocore sends `Expect: 100-continue` even with an empty body and
    // misreads a final answer that comes without the interim one: such a
    // request gets its "100 Continue" before the final response.
    bool owe_continue_before_answer() const { return expect_header_ && !continue_sent_ && parser_.is_done(); }
    bool send_continue() {
        continue_sent_ = true;
        static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        return stream_.write_all(kContinue, sizeof kContinue - 1);
    }

private:
    std::ptrdiff_t fail() {
        failed_ = true;
        return -1;
    }
    Stream& stream_;
    boost::beast::flat_buffer& buffer_;
    http::request_parser<http::buffer_body>& parser_;
    bool expect_header_;
    bool expect_continue_;  // the 100 is still to be sent at the first read
    bool continue_sent_ = false;
    bool failed_ = false;
};

class Response final : public ResponseWriter {
public:
    Response(Stream& stream, Body& body, bool head_request, bool keep_alive)
        : stream_(stream), body_(body), head_request_(head_request), keep_alive_(keep_alive) {}

    bool write_head(const HttpResponseHead& head) override {
        if (head_written_) return false;
        head_written_ = true;
        if (body_.owe_continue_before_answer() && !body_.send_continue()) return ok_ = false;
        http::response<http::empty_body> res;
        res.version(11);
        res.result(static_cast<unsigned>(head.status));
        for (const auto& [name, value] : head.headers) res.insert(name, value);
        no_body_ =
            head_request_ || head.status == 204 || head.status == 304 || (head.status >= 100 && head.status < 200);
        if (head.content_length) {
            if (head.status != 204 && head.status != 304)
                res.set(http::field::content_length, std::to_string(*head.content_length));
            remaining_ = no_body_ ? 0 : *head.content_length;
        } else if (!no_body_) {
            res.set(http::field::transfer_encoding, "chunked");
            chunked_ = true;
        }
        // A body left unread, or a failed one, ends the connection: whatever
        // the client still sends cannot be told from its next request.
        if (!body_.done()) keep_alive_ = false;
        res.keep_alive(keep_alive_);
        // Held back to go out with the first body bytes (or at finish()):
        // a small answer then leaves in one send.
        pending_head_ = serialize(res);
        return ok_;
    }

    bool write_body(std::span<const std::byte> data) override {
        if (!ok_ || !head_written_) return false;
        if (data.empty()) return true;
        if (no_body_) {
            // HEAD (or 204/304): the handler wrote what a GET would send;
            // only the head goes out.
            flush_head();
            return ok_;
        }
        if (chunked_) {
            char size_line[32];
            int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
            pending_head_.append(size_line, static_cast<std::size_t>(n));
            ok_ = stream_.write_all(pending_head_, data.data(), data.size()) && stream_.write_all("\r\n", 2);
            pending_head_.clear();
            return ok_;
        }
        if (data.size() > remaining_) {
            ok_ = false;  // a handler bug: more than announced
            return false;
        }
        remaining_ -= data.size();
        ok_ = stream_.write_all(pending_head_, data.data(), data.size());
        pending_head_.clear();
        return ok_;
    }

    bool head_written() const override { return head_written_; }

    // Sends a head still held back (an answer without body bytes).
    void flush_head() {
        if (ok_ && !pending_head_.empty()) ok_ = stream_.write_all(pending_head_.data(), pending_head_.size());
        pending_head_.clear();
    }

    // Ends the exchange; true when the connection may serve another request.
    bool finish() {
        if (!head_written_) return false;
        flush_head();
        if (chunked_ && ok_) ok_ = stream_.write_all("0\r\n\r\n", 5);
        return ok_ && keep_alive_ && remaining_ == 0;
    }

private:
    Stream& stream_;
    Body& body_;
    bool head_request_;
    bool keep_alive_;
    bool head_written_ = false;
    bool chunked_ = false;
    bool no_body_ = false;
    bool ok_ = true;
    std::uint64_t remaining_ = 0;
    std::string pending_head_;

    static std::string serialize(const http::response<http::empty_body>& res) {
        std::string out = "HTTP/1.1 " + std::to_string(res.result_int()) + " ";
        auto reason = res.reason();
        out.append(reason.data(), reason.size());
        out += "\r\n";
        for (const auto& field : res) {
            auto name = field.name_string();
            auto value = field.value();
            out.append(name.data(), name.size());
            out += ": ";
            out.append(value.data(), value.size());
            out += "\r\n";
        }
        out += "\r\n";
        return out;
    }
};

void send_plain_error(Stream& stream, int status, std::string_view code, std::string_view message) {
    std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + std::string(code) +
                       "</Code><Message>" + std::string(message) + "</Message></Error>";
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/xml");
    res.set(http::field::server, "ostor");
    res.keep_alive(false);
    res.body() = std::move(body);
    res.prepare_payload();
    error_code ec;
    http::write(stream, res, ec);
}

std::string peer_name(const sockaddr_storage& addr) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (addr.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, host, sizeof host);
    else if (addr.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, host, sizeof host);
    return host;
}

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
// Open files kept for the engine and the rest of the process when the
// connection cap is cut to the open-files limit.
constexpr std::size_t kReservedFds = 256;

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
        std::string host = options.listen, port;
        auto colon = host.rfind(':');
        if (colon == std::string::npos)
            return Error(Errc::InvalidArgument, "--listen wants ADDR:PORT, got " + options.listen);
        port = host.substr(colon + 1);
        host.resize(colon);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        addrinfo* res = nullptr;
        if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0)
            return Error(Errc::InvalidArgument, "cannot resolve " + options.listen + ": " + gai_strerror(rc));
        std::string last_error = "no address";
        for (auto* ai = res; ai; ai = ai->ai_next) {
            int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
            if (fd < 0) continue;
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 4096) == 0) {
                listen_fd_ = fd;
                break;
            }
            last_error = strerror(errno);
            ::close(fd);
        }
        freeaddrinfo(res);
        if (listen_fd_ < 0) return Error(Errc::IoError, "cannot listen on " + options.listen + ": " + last_error);

        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
        unsigned bound_port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(bound).sin_port
                                                               : reinterpret_cast<sockaddr_in6&>(bound).sin6_port);
        std::string shown = peer_name(bound);
        if (bound.ss_family == AF_INET6) shown = "[" + shown + "]";

        if (!options.tls.cert.empty()) {
            tls_ = SSL_CTX_new(TLS_server_method());
            if (!tls_ || SSL_CTX_use_certificate_chain_file(tls_, options.tls.cert.c_str()) != 1 ||
                SSL_CTX_use_PrivateKey_file(tls_, options.tls.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
                SSL_CTX_check_private_key(tls_) != 1) {
                char err[256];
                ERR_error_string_n(ERR_get_error(), err, sizeof err);
                return Error(Errc::InvalidArgument, "cannot load the TLS certificate or key: " + std::string(err));
            }
            SSL_CTX_set_min_proto_version(tls_, TLS1_2_VERSION);
        }
        url_ = std::string(tls_ ? "https://" : "http://") + shown + ":" + std::to_string(bound_port);
        options_.max_connections = std::min(options_.max_connections, connection_budget());
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
        }
        ::close(listen_fd_);
        listen_fd_ = -1;
        shut_down();
    }

    void stop() override {
        stopping_ = true;
        char byte = 1;
        [[maybe_unused]] auto n = ::write(stop_pipe_[1], &byte, 1);
        work_cv_.notify_all();
    }

private:
    // What the open-files limit leaves for connections, after raising the
    // soft limit to the hard one (each connection is a socket).
    static std::size_t connection_budget() {
        rlimit limit{};
        if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return kReservedFds;
        if (limit.rlim_cur < limit.rlim_max) {
            limit.rlim_cur = limit.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &limit);
            ::getrlimit(RLIMIT_NOFILE, &limit);
        }
        return limit.rlim_cur > 2 * kReservedFds ? static_cast<std::size_t>(limit.rlim_cur) - kReservedFds
                                                 : kReservedFds;
    }

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
            std::size_t cap = options_.max_connections;
            if (!is_loopback_address(remote)) cap -= std::min(cap, options_.reserved_for_loopback);
            std::unique_lock lock(mutex_);
            auto& from_client = per_client_[remote];
            if (connections_.size() >= cap || from_client >= options_.max_connections_per_client) {
                bool whole = connections_.size() >= cap;
                if (from_client == 0) per_client_.erase(remote);
                lock.unlock();
                refuse(fd, whole ? "Too many connections; reduce your request rate."
                                 : "Too many connections from your address; reuse or close some.");
                continue;
            }
            ++from_client;
            auto owned = std::make_unique<Connection>(fd, std::move(remote), stop_pipe_[0], stopping_,
                                                      options_.max_header_bytes + kReadAheadBytes);
            auto* c = owned.get();
            connections_.emplace(c, std::move(owned));
            // A new connection waits in epoll for its first bytes, like an
            // idle one: connecting and saying nothing holds no worker.
            park_locked(*c);
        }
    }

    // A clear answer rather than a silent queue, sent without waiting: the
    // epoll thread never blocks on one client. (On an HTTPS listener the
    // connection is only closed: there is no session to answer in.)
    void refuse(int fd, std::string_view message) {
        if (!tls_) {
            std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>" +
                               std::string(message) + "</Message></Error>";
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
        auto& busy = busy_per_client_[c->remote];
        if (busy >= busy_share()) {
            waiting_turn_[c->remote].push_back(c);
            return;
        }
        ++busy;
        make_ready_locked(c);
    }

    std::size_t busy_share() const { return std::max<std::size_t>(1, options_.max_active / kBusyShareDivisor); }

    // Queues a connection for a worker, starting one if none is waiting.
    void make_ready_locked(Connection* c) {
        ready_.push_back(c);
        // Waiting workers each take one; a worker notified but not yet
        // running still counts as waiting, so compare with the queue.
        if (ready_.size() <= waiting_workers_) {
            work_cv_.notify_one();
        } else if (workers_ < options_.max_active) {
            try {
                std::thread([this] { work(); }).detach();
                ++workers_;
            } catch (const std::system_error&) {
                // No thread to be had now: the connection waits in ready_
                // for a worker that finishes.
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
        auto it = per_client_.find(c.remote);
        if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
        int fd = c.fd;
        connections_.erase(&c);  // ends the TLS session first
        ::close(fd);             // under the lock: the number is not reused while it is known here
    }

    // A worker thread: serves ready connections one after another; ends
    // when none came for a while, or at a stop.
    void work() {
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
        if (--workers_ == 0) done_cv_.notify_all();
    }

    // A worker is done with a connection of `client`: the client's next
    // connection waiting for its turn, if any, is made ready (and this
    // worker takes it next).
    void finished_serving_locked(const std::string& client) {
        auto waiting = waiting_turn_.find(client);
        if (waiting != waiting_turn_.end()) {
            Connection* next = waiting->second.front();
            waiting->second.pop_front();
            if (waiting->second.empty()) waiting_turn_.erase(waiting);
            ready_.push_back(next);  // the client's busy count stays: one ends, one begins
            return;
        }
        auto busy = busy_per_client_.find(client);
        if (busy != busy_per_client_.end() && --busy->second == 0) busy_per_client_.erase(busy);
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
        for (auto& [client, waiting] : waiting_turn_)
            for (Connection* c : waiting) close_locked(*c);
        waiting_turn_.clear();
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
                    refuse_request(stream, 400, "RequestHeaderSectionTooLarge",
                                   "Your request header section exceeds the maximum allowed size.");
                else if (ec != http::error::end_of_stream && ec != asio::error::eof &&
                         ec != boost::beast::error::timeout && ec != asio::error::connection_reset)
                    refuse_request(stream, 400, "BadRequest", "The request could not be parsed.");
                return false;
            }
            auto& msg = parser.get();
            if (auto refusal = check_request_head(msg, parser.chunked())) {
                refuse_request(stream, refusal->status, refusal->code, refusal->message);
                return false;
            }
            HttpRequest request = http_request_from(parser);
            request.remote = c.remote;
            bool expect_header = boost::beast::iequals(msg[http::field::expect], "100-continue");
            Body body(stream, buffer, parser, expect_header);
            Response response(stream, body, request.method == "HEAD", msg.keep_alive());
            try {
                handler_(request, body, response);
            } catch (const std::exception& e) {
                // A handler bug must not take the server down with it.
                std::fprintf(stderr, "ostor-gateway: internal error serving %s %s: %s\n", request.method.c_str(),
                             request.target.c_str(), e.what());
                if (!response.head_written())
                    send_plain_error(stream, 500, "InternalError", "We encountered an internal error.");
                return false;
            }
            if (!response.head_written()) {
                send_plain_error(stream, 500, "InternalError", "We encountered an internal error.");
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
    static void refuse_request(Stream& stream, int status, std::string_view code, std::string_view message) {
        send_plain_error(stream, status, code, message);
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
    std::unordered_map<std::string, std::size_t> per_client_;                   // open connections by client address
    std::list<Connection*> parked_;                                             // idle in epoll, oldest first
    std::deque<Connection*> ready_;                                             // woken, waiting for a worker
    std::unordered_set<Connection*> active_;                                    // being served by a worker
    std::unordered_map<std::string, std::size_t> busy_per_client_;           // ready or being served, by client address
    std::unordered_map<std::string, std::deque<Connection*>> waiting_turn_;  // woken past their client's share
    std::size_t workers_ = 0;
    std::size_t waiting_workers_ = 0;
    std::condition_variable work_cv_;  // ready_ got a connection, or a stop
    std::condition_variable done_cv_;  // the last worker ended
};

}  // namespace

Result<std::unique_ptr<Server>> Server::listen(const ServerOptions& options) {
    auto server = std::make_unique<ServerImpl>();
    if (auto r = server->init(options); !r) return r.error();
    return std::unique_ptr<Server>(std::move(server));
}

}  // namespace ostor::gw
