// The repair of a user's bucket counts (user.<id> omap `buckets`,
// `buckets.<account>`), which a crash can leave too high (never too low):
// between a create_bucket's count and its bucket record, or a
// delete_bucket's removal of the record and its lowering of the count. Such
// a count refuses delete_user (UserHasBuckets) and delete_account
// (AccountHasBuckets) for ever; the identity catalog runs the recount once
// before refusing.
//
// Every count change carries a claim bkt.<name>.<epoch> (object_layout.hpp)
// in the same guarded write, so `buckets` is always the number of claims. A
// claim is stale when it is older than `min_age` and bucket.<name> is not
// that bucket (absent, another owner, another epoch). A create takes at most
// kBucketCreateMaxAge from its claim to sending its record (it gives up
// otherwise), so a create still in flight is never taken for stale; a
// delete lowers the count only while its claim is still there, so a claim
// the recount dropped is never counted down twice.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ostor/error.hpp"
#include "rados/client.hpp"

namespace ostor::detail::rados {

// A claim younger than this is a create in flight.
inline constexpr std::chrono::milliseconds kStaleBucketClaimAge{10 * 60 * 1000};
// A create_bucket sends its record no later than this after its claim, or
// gives up (IoError): half the stale age, leaving the OSD request timeout to
// spare.
inline constexpr std::chrono::milliseconds kBucketCreateMaxAge{5 * 60 * 1000};

// Drops the user's stale claims and lowers its counts by them, in one write
// guarded on the counts and the claims read. Returns how many it dropped.
// Fails: NoSuchUser, IoError.
Result<std::size_t> recount_user_buckets(Client& client, std::string_view user_id,
                                         std::chrono::milliseconds min_age = kStaleBucketClaimAge);

// The names of the buckets `user_id` claims (its bkt.<name>.<epoch>
// entries), each once, in name order: its buckets, and maybe names of a
// create in flight or a claim a crash left (whose record is absent or not
// the user's: the records decide). Empty when the user does not exist.
// Fails: IoError.
Result<std::vector<std::string>> claimed_bucket_names(Client& client, std::string_view user_id);

// Every name of the bucket list (buckets.<0..15>, read at once), in name
// order: with leftovers whose record is absent (the records decide).
// Fails: IoError.
Result<std::vector<std::string>> listed_bucket_names(Client& client);

// The omap entries beginning with `prefix` of each of `oids` (all read at
// once, a page of each per round trip): one result per oid, in order, a
// missing object's kNotFound.
std::vector<Result<std::map<std::string, std::string>>> read_omaps_at_once(Client& client, Pool pool,
                                                                           const std::vector<std::string>& oids,
                                                                           const std::string& prefix);

}  // namespace ostor::detail::rados
