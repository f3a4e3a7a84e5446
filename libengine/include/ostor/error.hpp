// ostor engine: the one error model.
//
// Every failure of the engine is an ostor::Error: a code (Errc) and a human
// message. Each code maps, in one table (error_info), to the S3 error code and
// HTTP status the gateway answers with, the errno the FUSE tree returns, and
// the message and exit status of the admin CLI. No exception crosses the
// public API: calls return Result<T>, which holds either a T or an Error.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ostor {

enum class Errc : std::uint16_t {
    // Generic.
    InvalidArgument = 1,
    Internal,
    IoError,         // the disk failed a read or write
    DataCorrupted,   // a checksum did not match what was stored
    NoSpace,         // the file system is full
    VolumeMismatch,  // -V names another volume than the data directory's
    // Users, keys, accounts.
    InvalidEmail,
    NoSuchUser,
    UserAlreadyExists,
    UserHasBuckets,
    UserDisabled,
    TooManyAccessKeys,
    NoSuchAccessKey,
    InvalidAccountName,
    NoSuchAccount,
    AccountAlreadyExists,
    AccountHasBuckets,
    // Buckets.
    InvalidBucketName,
    NoSuchBucket,
    BucketAlreadyExists,  // the name belongs to another user
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    // Objects.
    InvalidObjectName,
    NoSuchKey,
    InvalidRange,
    EntityTooLarge,
    EntityTooSmall,
    BadDigest,
    // Multipart uploads.
    NoSuchUpload,
    InvalidPart,
    InvalidPartOrder,
    // Limits, quotas, usage.
    InvalidLimit,
    QuotaExceeded,
    NoSuchUsageObject,
    // Conditional writes.
    PreconditionFailed,
    // Versioning and object lock (docs/versioning.md).
    NoSuchVersion,
    InvalidBucketState,  // e.g. suspending versioning of an object lock bucket
    ObjectLocked,        // a retention or legal hold forbids removing or changing a version
    MethodNotAllowed,    // a delete marker named by its version id (GET, HEAD, ACL)
    // Load.
    SlowDown,  // a resource is spent for now (the memory for bodies): retry later
};

// Everything each face needs to report an Errc. One row per code.
struct ErrorInfo {
    Errc code;
    std::string_view name;     // "NoSuchBucket"
    std::string_view s3_code;  // S3 <Code> of the XML error body
    int http_status;           // HTTP status the gateway answers with
    int errno_value;           // what the FUSE tree returns (positive errno)
    int exit_status;           // the CLI's exit status
    std::string_view message;  // default human message
};

// The row for a code. Never fails: an unknown code gets the Internal row.
const ErrorInfo& error_info(Errc code) noexcept;

class Error {
public:
    Error(Errc code, std::string message = {}) : code_(code), message_(std::move(message)) {}

    Errc code() const noexcept { return code_; }
    // The specific message when one was given, else the table's default.
    std::string_view message() const noexcept {
        return message_.empty() ? error_info(code_).message : std::string_view(message_);
    }
    const ErrorInfo& info() const noexcept { return error_info(code_); }

private:
    Errc code_;
    std::string message_;
};

// A value or an Error. Reading value() of a failed Result is a programming
// error (asserted), so check has_value() / operator bool first.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}
    Result(Errc code, std::string message = {}) : v_(std::in_place_index<1>, Error(code, std::move(message))) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & {
        check();
        return std::get<0>(v_);
    }
    const T& value() const& {
        check();
        return std::get<0>(v_);
    }
    T&& value() && {
        check();
        return std::get<0>(std::move(v_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& {
        assert(!has_value());
        return std::get<1>(v_);
    }
    Error error() && {
        assert(!has_value());
        return std::get<1>(std::move(v_));
    }

private:
    void check() const {
        if (!has_value()) std::abort();  // value() of an error: a bug in the caller
    }
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}
    Result(Errc code, std::string message = {}) : error_(Error(code, std::move(message))), ok_(false) {}

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    void value() const {
        if (!ok_) std::abort();
    }
    const Error& error() const& {
        assert(!ok_);
        return error_;
    }

private:
    Error error_{Errc::Internal};
    bool ok_ = true;
};

}  // namespace ostor

// Propagates the error of a Result-returning expression, else yields nothing.
#define OSTOR_TRY(expr)                                                      \
    do {                                                                     \
        auto ostor_try_result_ = (expr);                                     \
        if (!ostor_try_result_) return std::move(ostor_try_result_).error(); \
    } while (0)
