// A connected socket as Beast's SyncReadStream / SyncWriteStream: the
// server's reads and writes with their timeouts, plain or over TLS. A
// header for server.cpp alone (Asio's buffer sequences compile slowly: one
// translation unit pays for them).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

namespace ostor::gw::server_io {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

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
                // An abrupt TLS end reads as the client going away.
                return ssl_transfer([&](int n) { return SSL_read(ssl_, data, n); }, size, ec,
                                    [&] { return end_of_input(); });
            }
            if (!arm_receive_timeout(ec)) return 0;
            ssize_t r = ::recv(fd_, data, size, 0);
            if (r > 0) return static_cast<std::size_t>(r);
            if (r == 0) {
                ec = end_of_input();
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

    // The input ended: an idle connection shut down by a server stop is
    // aborted, any other is the client going away.
    error_code end_of_input() const {
        return idle_ && stopping_ ? error_code(asio::error::operation_aborted) : error_code(asio::error::eof);
    }

    // One SSL_read or SSL_write (`io`, given how many bytes it may move),
    // waited through WANT_READ and WANT_WRITE; any other failure is
    // `ended()`, read when it happens.
    template <class Io, class Ended>
    std::size_t ssl_transfer(Io io, std::size_t size, error_code& ec, Ended ended) {
        for (;;) {
            ERR_clear_error();
            int r = io(static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
            if (r > 0) return static_cast<std::size_t>(r);
            int err = SSL_get_error(ssl_, r);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
                if (wait_for(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) continue;
                ec = last_error_;
                return 0;
            }
            ERR_clear_error();
            ec = ended();
            return 0;
        }
    }

    std::size_t write_from(const char* data, std::size_t size, error_code& ec) {
        for (;;) {
            if (ssl_) {
                return ssl_transfer([&](int n) { return SSL_write(ssl_, data, n); }, size, ec,
                                    [] { return error_code(asio::error::broken_pipe); });
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

}  // namespace ostor::gw::server_io
