#include "server_socket.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "s3/xml_writer.hpp"

namespace ostor::gw {

namespace {

// Pending connections the kernel queues before accept.
constexpr int kListenBacklog = 4096;
// Open files kept for the engine and the rest of the process when the
// connection cap is cut to the open-files limit.
constexpr std::size_t kReservedFds = 256;

}  // namespace

std::string peer_name(const sockaddr_storage& addr) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (addr.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, host, sizeof host);
    else if (addr.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, host, sizeof host);
    return host;
}

Result<Listener> open_listener(const std::string& listen, bool tls) {
    std::string host = listen, port;
    auto colon = host.rfind(':');
    if (colon == std::string::npos) return Error(Errc::InvalidArgument, "--listen wants ADDR:PORT, got " + listen);
    port = host.substr(colon + 1);
    host.resize(colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0)
        return Error(Errc::InvalidArgument, "cannot resolve " + listen + ": " + gai_strerror(rc));
    Listener listener;
    std::string last_error = "no address";
    for (auto* ai = res; ai; ai = ai->ai_next) {
        int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, kListenBacklog) == 0) {
            listener.fd = fd;
            break;
        }
        last_error = strerror(errno);
        ::close(fd);
    }
    freeaddrinfo(res);
    if (listener.fd < 0) return Error(Errc::IoError, "cannot listen on " + listen + ": " + last_error);

    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    getsockname(listener.fd, reinterpret_cast<sockaddr*>(&bound), &len);
    unsigned bound_port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(bound).sin_port
                                                           : reinterpret_cast<sockaddr_in6&>(bound).sin6_port);
    std::string shown = peer_name(bound);
    if (bound.ss_family == AF_INET6) shown = "[" + shown + "]";
    listener.url = std::string(tls ? "https://" : "http://") + shown + ":" + std::to_string(bound_port);
    return listener;
}

Result<SSL_CTX*> load_tls_context(const TlsFiles& files) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        char err[256];
        ERR_error_string_n(ERR_get_error(), err, sizeof err);
        if (ctx) SSL_CTX_free(ctx);
        return Error(Errc::InvalidArgument, "cannot load the TLS certificate or key: " + std::string(err));
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    return ctx;
}

std::size_t connection_budget() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return kReservedFds;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur > 2 * kReservedFds ? static_cast<std::size_t>(limit.rlim_cur) - kReservedFds : kReservedFds;
}

void epoll_add(int epoll_fd, int fd, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

std::size_t usable_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<std::size_t>(std::max(1, CPU_COUNT(&set)));
    return std::max(1u, std::thread::hardware_concurrency());
}

void refuse_connection(int fd, const S3Error& refusal, bool tls) {
    if (!tls) {
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

}  // namespace ostor::gw
