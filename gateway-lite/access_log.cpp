#include "access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util.hpp"

namespace ostor::gw {

namespace {

void append_field(std::string& line, std::string_view value) {
    line += ' ';
    if (value.empty())
        line += '-';
    else
        line += value;
}

}  // namespace

std::string format_access_line(const AccessLogEntry& entry) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(entry.time.time_since_epoch()).count();
    std::string line = iso8601_ms(ms);
    append_field(line, entry.client);
    append_field(line, entry.user_id);
    append_field(line, entry.method);
    // The bucket comes from the request before it is checked: encoded like
    // the key, so that no request can add fields or lines.
    append_field(line, aws_uri_encode(entry.bucket, /*keep_slash=*/false));
    append_field(line, aws_uri_encode(entry.key, /*keep_slash=*/true));
    char numbers[96];
    double duration_ms = std::chrono::duration<double, std::milli>(entry.duration).count();
    std::snprintf(numbers, sizeof numbers, " %d %llu %llu %.3f", entry.status,
                  static_cast<unsigned long long>(entry.bytes_in), static_cast<unsigned long long>(entry.bytes_out),
                  duration_ms);
    line += numbers;
    append_field(line, entry.request_id);
    line += '\n';
    return line;
}

Result<std::unique_ptr<AccessLog>> AccessLog::open(const std::string& path) {
    if (path == "-") return std::make_unique<AccessLog>(STDERR_FILENO, false);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return Error(Errc::IoError, "cannot open the access log " + path + ": " + std::strerror(errno));
    return std::make_unique<AccessLog>(fd, true);
}

AccessLog::~AccessLog() {
    if (owned_) ::close(fd_);
}

void AccessLog::write(const AccessLogEntry& entry) {
    std::string line = format_access_line(entry);
    ssize_t n = ::write(fd_, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size()) && !warned_.exchange(true)) {
        std::fprintf(stderr, "ostor-gateway: cannot write the access log: %s\n",
                     n < 0 ? std::strerror(errno) : "short write");
    }
}

}  // namespace ostor::gw
