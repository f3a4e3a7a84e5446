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
#include <memory>
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

// The names a bucket listing reads the records of, a batch at a time, in
// name order: those after `start_after` beginning with `prefix` (the
// listing's page), no more read than the batches asked need. Maybe with
// names whose record is absent or not the owner's (the records decide).
class BucketNamePager {
public:
    virtual ~BucketNamePager() = default;
    // The next (at most) `count` names; empty at the end. Fails: IoError.
    virtual Result<std::vector<std::string>> next(std::size_t count) = 0;
};

// The names `user_id` claims (its bkt.<name>.<epoch> entries, each name
// once): its buckets, a create in flight, a claim a crash left. None when
// the user does not exist.
std::unique_ptr<BucketNamePager> claimed_bucket_names(Client& client, std::string_view user_id,
                                                      std::string_view start_after, std::string_view prefix);

// The names of the bucket list (buckets.<0..15>, read from each at once):
// every bucket, with leftovers of a crash.
std::unique_ptr<BucketNamePager> listed_bucket_names(Client& client, std::string_view start_after,
                                                     std::string_view prefix);

// The omap entries beginning with `prefix` of each of `oids` (all read at
// once, a page of each per round trip): one result per oid, in order, a
// missing object's kNotFound.
std::vector<Result<std::map<std::string, std::string>>> read_omaps_at_once(Client& client, Pool pool,
                                                                           const std::vector<std::string>& oids,
                                                                           const std::string& prefix);

}  // namespace ostor::detail::rados
