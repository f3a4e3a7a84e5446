// The rules of access key pairs, the same for every backend: how many an
// identity (a user, or one of its accounts) may hold, what their ids and
// secrets look like, and their order.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "ostor/error.hpp"
#include "ostor/types.hpp"

namespace ostor::detail {

// AWS allows two active key pairs per identity; so does the vendor guide.
constexpr std::size_t kMaxKeysPerIdentity = 2;

// A new pair for the identity (user_id, account; account empty for the user
// itself) that holds `existing`: its id is the user id then a random suffix
// (so one prefix scan finds a user's keys), drawn again while `id_taken`
// says another key holds it; created strictly after every existing pair.
// Stores nothing. Fails: TooManyAccessKeys.
Result<KeyPair> new_key_pair(std::string_view user_id, std::string_view account, const std::vector<KeyPair>& existing,
                             const std::function<bool(std::string_view)>& id_taken);

// Oldest first, the order list_keys returns.
void sort_keys_oldest_first(std::vector<KeyPair>& keys);

}  // namespace ostor::detail
