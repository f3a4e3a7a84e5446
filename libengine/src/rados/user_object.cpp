#include "rados/user_object.hpp"

#include "rados/catalog_support.hpp"
#include "rados/records_layout.hpp"
#include "records.hpp"

namespace ostor::detail::rados {

Error no_such_user(std::string_view user_id) {
    if (user_id.empty()) return Error(Errc::NoSuchUser, "no user id given");
    return Error(Errc::NoSuchUser, "user " + std::string(user_id) + " does not exist");
}

namespace {

Result<User> decode_info(std::string_view user_id, const std::map<std::string, std::string>& omap) {
    auto it = omap.find(std::string(kInfoKey));
    if (it == omap.end()) return no_such_user(user_id);  // a tombstone
    auto u = decode_user(it->second);
    if (!u) return Error(Errc::Internal, "damaged user record " + std::string(user_id));
    return std::move(*u);
}

}  // namespace

Result<UserObject> read_user_object(Client& client, std::string_view user_id) {
    if (user_id.empty()) return no_such_user(user_id);
    auto omap = read_whole_omap(client, Pool::Meta, user_oid(user_id));
    if (!omap) {
        if (omap.error().code() == kNotFound) return no_such_user(user_id);
        return std::move(omap).error();
    }
    auto user = decode_info(user_id, *omap);
    if (!user) return std::move(user).error();
    UserObject out{std::move(*user), value_of(*omap, kInfoKey), std::move(*omap)};
    return out;
}

Result<std::map<std::string, std::string>> read_user_entries(Client& client, std::string_view user_id,
                                                             std::set<std::string> keys) {
    if (user_id.empty()) return no_such_user(user_id);
    keys.insert(std::string(kInfoKey));
    auto got = client.omap_get(Pool::Meta, user_oid(user_id), keys);
    if (!got) {
        if (got.error().code() == kNotFound) return no_such_user(user_id);
        return std::move(got).error();
    }
    auto user = decode_info(user_id, *got);
    if (!user) return std::move(user).error();
    return std::move(*got);
}

}  // namespace ostor::detail::rados
