// The access log (--access-log FILE, or - for stderr; off by default): one
// line a request, written when its answer is done:
//
//   TIME CLIENT USER METHOD BUCKET KEY STATUS BYTES_IN BYTES_OUT DURATION_MS REQUEST_ID
//   2026-12-03T04:20:00.123Z 127.0.0.1 a49e12a226bd760f PUT photos cat.jpg 200 5678 0 12.345 764B05EC6BB6B558
//
// Fields are separated by one space and never contain one: the bucket and
// the key are percent-encoded as in a URL path; an empty field (no user, no bucket) is
// "-". Lines go out with one write(2) on an O_APPEND descriptor, so lines of
// concurrent requests never interleave and `logrotate` with copytruncate
// works.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ostor/error.hpp"

namespace ostor::gw {

struct AccessLogEntry {
    std::chrono::system_clock::time_point time;  // when the request arrived
    std::string_view client;                     // peer address
    std::string_view user_id;                    // empty: anonymous or not authenticated
    std::string_view method;
    std::string_view bucket;
    std::string_view key;
    int status = 0;
    std::uint64_t bytes_in = 0;   // request body bytes read
    std::uint64_t bytes_out = 0;  // response body bytes sent
    std::chrono::nanoseconds duration{0};
    std::string_view request_id;
};

// The line for an entry, with its newline.
std::string format_access_line(const AccessLogEntry& entry);

class AccessLog {
public:
    // "-" writes to stderr; anything else is a file, created (0640) or
    // appended to. Fails: IoError (cannot open).
    static Result<std::unique_ptr<AccessLog>> open(const std::string& path);
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    // Thread-safe. A failed write is reported once on stderr, not to the
    // client: logging never fails a request.
    void write(const AccessLogEntry& entry);

    // Writes to fd; closes it at the end when owned.
    AccessLog(int fd, bool owned) : fd_(fd), owned_(owned) {}

private:
    int fd_;
    bool owned_;
    std::atomic<bool> warned_{false};
};

}  // namespace ostor::gw
