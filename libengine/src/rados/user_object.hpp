// Reading user.<id> (records_layout.hpp) and the guard every change of it
// carries, shared by the RADOS identity and settings catalogs.
//
// A user exists when user.<id> exists and holds `info`. An object without it
// is a tombstone: an id that create_user burned when it took over an email
// claim, so that the claim's first holder can never create it (see
// identity_catalog.cpp). Tombstones answer NoSuchUser like a missing object.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "ostor/error.hpp"
#include "ostor/types.hpp"
#include "rados/client.hpp"
#include "rados/records_layout.hpp"

namespace ostor::detail::rados {

struct UserObject {
    User user;
    std::string info;                         // the stored encoding of `user`, for compares
    std::map<std::string, std::string> omap;  // every entry, info included
};

// Fails: NoSuchUser (an empty id, no object, a tombstone), Internal (the
// info does not decode), IoError.
Result<UserObject> read_user_object(Client& client, std::string_view user_id);

// Only `keys` (and info, to check the user exists). Fails as read_user_object.
Result<std::map<std::string, std::string>> read_user_entries(Client& client, std::string_view user_id,
                                                             std::set<std::string> keys);

// The user is there and is no tombstone when the write applies; else the
// write fails (kNotFound, kCompareFailed) and the caller reads again.
// "info present" is `info > ""`: an OSD's omap compare knows only Eq, Lt and
// Gt (Ne fails the whole write with EINVAL).
inline WriteOp& guard_live_user(WriteOp& op) {
    return op.assert_exists().compare_omap(std::string(kInfoKey), Compare::Gt, "");
}

// "user <id> does not exist", as the local catalog says it.
Error no_such_user(std::string_view user_id);

}  // namespace ostor::detail::rados
