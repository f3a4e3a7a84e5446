// Where the RADOS backend keeps the identity and settings records: object
// names in the meta pool and the omap keys inside them (docs/rados.md,
// "Catalog layout"). What must change together lives in one object, so that
// each call is one guarded write (WriteOp) on it:
//
//   user.<id>            one user: everything about it
//     info                 the encoded User (records.hpp); absent in a
//                          tombstone (an id burned by create_user, below)
//     key.<access key id>  an encoded KeyPair, of the user or of an account
//     keyseq.<account>     keys ever generated for the identity (account ""
//                          is the user's own keys: "keyseq."), compared by
//                          generate_key so that two calls cannot both pass
//                          the two-keys rule
//     acct.<name>          an encoded Account
//     limits               encoded Limits
//     quota                GiB, a decimal count
//     buckets              the user's buckets, its accounts' included
//     buckets.<account>    the account's buckets (both kept by the object
//                          catalog; a missing count is 0)
//   email.<lowercase email>  omap user = the id holding the email
//   users.<shard>        omap <id> = created ms: the user index, shard = a
//                        hash of the id mod kUserIndexShards
//   bucket.<name>        the object catalog's bucket record; the settings
//                        catalog reads and writes only its omap limits, quota
//   settings             omap quota.default-user, quota.default-bucket
//   usage.<name>         a usage statistics object's JSON, as its data
//   usage-index          omap <name> = "1": the usage objects, in name order
//   billing.<instance>   omap <user id>/<account> -> encoded counters
//                        (billing_record.hpp), written only by that engine
//                        instance; `flush` = the token of its last addition
//                        ("<instance>.<sequence>")
//   billing-index        omap <instance> = "1": the instances with totals
//   billing.folded       omap <user id>/<account> -> encoded counters: the
//                        rows of instances that are gone; `fold` = a
//                        generation (decimal) bumped by each fold write,
//                        `fold.<instance>` = the last row key folded from
//                        an instance whose fold is under way
//
// Counts and quotas are decimal text: a guarded value is never stored empty
// (a compare reads a missing key as ""), and `rados listomapvals` shows them.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ostor::detail::rados {

// ---- Objects in the meta pool
inline std::string user_oid(std::string_view user_id) { return "user." + std::string(user_id); }
inline std::string email_oid(std::string_view lowercase_email) { return "email." + std::string(lowercase_email); }
inline std::string bucket_oid(std::string_view name) { return "bucket." + std::string(name); }
inline constexpr std::string_view kSettingsOid = "settings";
inline std::string usage_oid(std::string_view name) { return "usage." + std::string(name); }
inline constexpr std::string_view kUsageIndexOid = "usage-index";
inline std::string billing_oid(std::string_view instance_id) { return "billing." + std::string(instance_id); }
inline constexpr std::string_view kBillingIndexOid = "billing-index";
inline constexpr std::string_view kBillingFoldedOid = "billing.folded";
// Keys without a '/': never a row's (a user id holds no '/').
inline constexpr std::string_view kBillingFlushKey = "flush";
inline constexpr std::string_view kBillingFoldKey = "fold";  // and "fold.<instance>"

// The user index is sharded so that creating users from many gateways does
// not make one omap object hot. Fixed: changing it strands the entries.
inline constexpr std::uint32_t kUserIndexShards = 16;
// FNV-1a (32 bit): stable across builds and machines, unlike std::hash.
inline std::uint32_t user_index_shard(std::string_view user_id) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : user_id) {
        h ^= c;
        h *= 16777619u;
    }
    return h % kUserIndexShards;
}
inline std::string user_index_oid(std::uint32_t shard) { return "users." + std::to_string(shard); }

// ---- Omap keys of user.<id>
inline constexpr std::string_view kInfoKey = "info";
inline constexpr std::string_view kKeyPrefix = "key.";
inline constexpr std::string_view kAccountPrefix = "acct.";
inline constexpr std::string_view kLimitsKey = "limits";
inline constexpr std::string_view kQuotaKey = "quota";
inline constexpr std::string_view kBucketsKey = "buckets";
// Only in a tombstone: when create_user burned the id (ms, decimal).
inline constexpr std::string_view kTombstoneKey = "tombstone";
inline std::string key_key(std::string_view access_key_id) {
    return std::string(kKeyPrefix) + std::string(access_key_id);
}
inline std::string keyseq_key(std::string_view account) { return "keyseq." + std::string(account); }
inline std::string account_omap_key(std::string_view name) { return std::string(kAccountPrefix) + std::string(name); }
inline std::string account_buckets_key(std::string_view account) { return "buckets." + std::string(account); }

// ---- Omap keys of email.<email>, settings, bucket.<name>
inline constexpr std::string_view kEmailUserKey = "user";
inline constexpr std::string_view kDefaultUserQuotaKey = "quota.default-user";
inline constexpr std::string_view kDefaultBucketQuotaKey = "quota.default-bucket";
// bucket.<name> uses kLimitsKey and kQuotaKey.

// The value of index entries that carry nothing but their key.
inline constexpr std::string_view kPresent = "1";

// ---- Counts
inline std::string encode_count(std::uint64_t n) { return std::to_string(n); }
// A missing (empty) count is 0; nullopt when it is not a decimal number.
inline std::optional<std::uint64_t> decode_count(std::string_view v) {
    if (v.empty()) return 0;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    return n;
}

}  // namespace ostor::detail::rados
