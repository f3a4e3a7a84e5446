// The stored form of billing totals, the same for every backend.
//
// Row: key user id "/" account (user ids never hold '/', so the first '/'
// splits them); value a version byte then six u64 (put, get, list, other,
// uploaded, downloaded).
#pragma once

#include <string>
#include <string_view>

#include "ostor/engine.hpp"

namespace ostor::detail {

std::string billing_key(std::string_view user_id, std::string_view account);
std::string encode_billing_counters(const BillingCounters& c);
// Fails: Internal (a damaged row, or one of a record version this version
// cannot read; `key` names it in the message).
Result<BillingCounters> decode_billing_counters(std::string_view key, std::string_view v);

}  // namespace ostor::detail
