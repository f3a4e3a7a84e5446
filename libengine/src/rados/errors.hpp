// How librados's failures (negative errnos) become ostor::Errors, in one
// place, so that every RADOS call reports the same condition the same way.
//
//   -ENOENT              Errc::NoSuchKey           the object (or pool) is not there
//   -EEXIST              Errc::PreconditionFailed  an exclusive create found the object
//   -ECANCELED           Errc::PreconditionFailed  a compare (omap or xattr) did not hold
//   -EBUSY               Errc::PreconditionFailed  another client holds the lock
//   -ETIMEDOUT           Errc::IoError             no monitor or OSD answered in time
//   -ENOSPC, -EDQUOT     Errc::NoSpace             the cluster or pool is full
//   -EFBIG               Errc::EntityTooLarge      over the OSDs' osd_max_object_size
//   -EPERM, -EACCES      Errc::Internal            cephx capabilities refuse the call
//   anything else        Errc::IoError
//
// The message names the call and the object, and says the errno.
#pragma once

#include <string_view>

#include "ostor/error.hpp"

namespace ostor::detail::rados {

// What each guarded call's caller tests for (`error.code() == kNotFound`).
inline constexpr Errc kNotFound = Errc::NoSuchKey;
inline constexpr Errc kAlreadyExists = Errc::PreconditionFailed;
inline constexpr Errc kCompareFailed = Errc::PreconditionFailed;
inline constexpr Errc kLockHeld = Errc::PreconditionFailed;

// `r` is a librados return value below 0; `doing` says what failed, as
// "writing ostor.meta/users.alice".
Error rados_error(int r, std::string_view doing);

}  // namespace ostor::detail::rados
