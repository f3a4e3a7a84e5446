#include "rados/errors.hpp"

#include <cerrno>
#include <cstring>
#include <string>

namespace ostor::detail::rados {

namespace {

Errc errc_of(int err) {
    switch (err) {
        case ENOENT:
            return kNotFound;
        case EEXIST:
            return kAlreadyExists;
        case ECANCELED:
            return kCompareFailed;
        case EBUSY:
            return kLockHeld;
        case ENOSPC:
        case EDQUOT:
            return Errc::NoSpace;
        case EFBIG:
            return Errc::EntityTooLarge;
        case EPERM:
        case EACCES:
            return Errc::Internal;
        default:
            return Errc::IoError;
    }
}

std::string_view hint_of(int err) {
    switch (err) {
        case EEXIST:
            return " (the object exists)";
        case ECANCELED:
            return " (a compare did not hold)";
        case EBUSY:
            return " (another client holds the lock)";
        case ETIMEDOUT:
            return " (no monitor or OSD answered in time: is the cluster up and reachable?)";
        case EPERM:
        case EACCES:
            return " (the client's cephx capabilities do not allow it)";
        case ESHUTDOWN:
            return " (this client was blocklisted or shut down)";
        default:
            return "";
    }
}

}  // namespace

Error rados_error(int r, std::string_view doing) {
    int err = r < 0 ? -r : r;
    std::string message(doing);
    message += ": ";
    message += std::strerror(err);
    message += hint_of(err);
    return Error(errc_of(err), std::move(message));
}

}  // namespace ostor::detail::rados
