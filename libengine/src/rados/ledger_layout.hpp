// Where the RADOS space ledger keeps its counts (docs/rados.md, "Space
// ledger"), all in the meta pool:
//
//   ledger.user.<id>              one user's usage, its accounts' included
//   ledger.bucket/<name>/<epoch>  one incarnation of a bucket's usage (a
//                                 bucket made again under its name starts
//                                 a ledger of its own). `/`, which no bucket
//                                 name holds, keeps it apart from the old
//                                 layout's ledger.bucket.<name> (names may
//                                 hold dots and end in digits)
//     bytes                 stored bytes (decimal)
//     objects               stored objects (decimal)
//     reserved              the sum of the reservations below (decimal)
//     ver                   bumped by every change (decimal): each change is
//                           one read, then one write guarded on ver
//     r.<instance>.<seq>    an open reservation (encode_reservation), with
//                           the commit mark of the object write it is for
//     size.hmax, size.hint, size.hts   a bucket's size history (below)
//     lock.until            a bucket's lock summary (object lock): the latest
//                           retain-until date (ms) any version was given, a
//                           maximum that only grows; absent: none
//     lock.holds            the versions under legal hold now (absent: 0)
//     !s.<token>            a settled marker: the ms it was written. Written
//                           in the same guarded write as a settle (token: the
//                           reservation's key) or an apply given a token, so
//                           that the change made again after an unknown
//                           outcome finds it and does nothing. Kept for the
//                           settled lifetime (space_ledger.hpp)
//     !s.u.<commit token>   an unsettled marker (unsettled_token): an
//                           adopter released a marked reservation whose
//                           record it did not find; a live change that took
//                           that record off counts its charge and removes it
//     !t.<ms>.<token>       its age key (ms: 16 hex digits), written and
//                           removed with it: the oldest markers are listed in
//                           age order, so that a later change drops the stale
//                           ones without reading the rest. `!` sorts before
//                           every other key: a ledger's read lists from
//                           kMarkersEnd on and reads the markers it needs by key
//     recount.owner         a recount's owner delta still to apply (bucket
//                           ledgers only): "<bytes> <objects> <token> <queued
//                           value>" (space_ledger.hpp, "Recount")
//     !r.<bucket>/<epoch>   on a user's ledger: the token of the last
//                           recount delta of that bucket incarnation applied
//                           here (permanent: read by key, never expires)
//   pending.<instance>    omap <ledger oid> = "1": every ledger the instance
//                         has reserved on, written before the reservation,
//                         so that its adopter finds them all
//   touched.<instance>    omap <bucket>/<epoch> = ms: every bucket
//                         incarnation whose counts the instance may change,
//                         written before its first index, part or ledger
//                         write there
//   recount.queue         omap <bucket>/<epoch> = "<ms queued> <random>":
//                         the bucket incarnations whose ledgers are to be
//                         recounted from their index; !user/<id>: an owner
//                         to recount from its buckets' ledgers
//
// Counts are decimal text, as in records_layout.hpp: `ver` is compared, so
// it is never stored empty ("absent" compares as "").
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ostor::detail::rados {

inline constexpr std::string_view kBucketLedgerPrefix = "ledger.bucket/";
inline std::string user_ledger_oid(std::string_view user_id) { return "ledger.user." + std::string(user_id); }
inline std::string bucket_ledger_oid(std::string_view bucket, std::uint64_t epoch) {
    return std::string(kBucketLedgerPrefix) + std::string(bucket) + "/" + std::to_string(epoch);
}
inline std::string ledger_pending_oid(std::string_view instance) { return "pending." + std::string(instance); }
inline std::string touched_oid(std::string_view instance) { return "touched." + std::string(instance); }
inline constexpr std::string_view kRecountQueueOid = "recount.queue";
// A bucket incarnation's key in touched.<instance> and recount.queue.
inline std::string recount_key(std::string_view bucket, std::uint64_t epoch) {
    return std::string(bucket) + "/" + std::to_string(epoch);
}
// The bucket incarnation of a recount_key; nullopt for any other string.
std::optional<std::pair<std::string, std::uint64_t>> bucket_of_recount_key(std::string_view key);
// An owner recount's key in recount.queue: `!`, which no bucket name holds.
inline constexpr std::string_view kOwnerRecountPrefix = "!user/";
inline std::string owner_recount_key(std::string_view user_id) {
    return std::string(kOwnerRecountPrefix) + std::string(user_id);
}
// A recount.queue entry that removes an owner's recount marker of a deleted
// bucket incarnation once no finisher of its delta can be under way; its
// value is "<ms queued> <random> <owner id>".
inline constexpr std::string_view kMarkerPrunePrefix = "!prune/";
inline std::string marker_prune_key(std::string_view bucket, std::uint64_t epoch) {
    return std::string(kMarkerPrunePrefix) + recount_key(bucket, epoch);
}
inline constexpr std::string_view kRecountOwnerKey = "recount.owner";
// A bucket ledger's last recount sequence (16 hex digits): each recount of
// the incarnation writes the next one with its pending owner delta, and the
// owner's !r. marker keeps the highest one applied.
inline constexpr std::string_view kRecountSeqKey = "recount.seq";
// Before kSettledPrefix, so among the markers an ordinary read skips.
inline constexpr std::string_view kRecountMarkPrefix = "!r.";
inline std::string recount_mark_key(std::string_view bucket, std::uint64_t epoch) {
    return std::string(kRecountMarkPrefix) + recount_key(bucket, epoch);
}

inline constexpr std::string_view kLedgerBytesKey = "bytes";
inline constexpr std::string_view kLedgerObjectsKey = "objects";
inline constexpr std::string_view kLedgerReservedKey = "reserved";
// A bucket's lock summary (Bucket::locked_until_ms, legal_holds).
inline constexpr std::string_view kLedgerLockUntilKey = "lock.until";
inline constexpr std::string_view kLedgerLockHoldsKey = "lock.holds";
// lock.holds is stored signed: a release landing before its hold (two
// gateways) leaves -1 until the hold lands, so that deltas commute; readers
// clamp at zero (lock_holds_shown). Absent or unreadable: 0.
inline std::int64_t decode_lock_holds(std::string_view v) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return ec == std::errc() && end == v.data() + v.size() ? n : 0;
}
inline std::string encode_lock_holds(std::int64_t n) { return std::to_string(n); }
inline std::uint64_t lock_holds_shown(std::int64_t n) { return n > 0 ? static_cast<std::uint64_t>(n) : 0; }
inline constexpr std::string_view kLedgerVersionKey = "ver";
inline constexpr std::string_view kReservationPrefix = "r.";
// Settled markers and their age keys (above): before every other key of a
// ledger, all of them before kMarkersEnd, which sorts before every other key.
inline constexpr std::string_view kSettledPrefix = "!s.";
inline constexpr std::string_view kSettledAgePrefix = "!t.";
inline constexpr std::string_view kMarkersEnd = "!~";
inline std::string settled_key(std::string_view token) { return std::string(kSettledPrefix) + std::string(token); }
// The token of an unsettled marker (!s.u.<commit token, 16 hex digits>): a
// marked reservation its adopter released, the index holding no record with
// its commit token. A live change whose `replaced` charge names that token
// (a DELETE or overwrite that took the record off before the adopter looked)
// counts the charge and removes the marker. Same lifetime and age keys as a
// settled marker; no change's own token starts with "u.".
std::string unsettled_token(std::uint64_t commit_token);
std::string settled_age_key(std::int64_t written_ms, std::string_view token);
// An age key's written ms and token; nullopt when `key` is not one.
struct SettledAge {
    std::int64_t written_ms = 0;
    std::string token;
};
std::optional<SettledAge> decode_settled_age_key(std::string_view key);
// A bucket's size history (SizeHistory, size_history.hpp), in its ledger
// only, changed with its counts (the ledger's changes are the only changes
// of `current` = bytes): the largest bytes seen, the byte-hours accrued up to
// the hour of the last change, and that hour. Absent until the first change
// (the bucket was empty until then: nothing accrued).
inline constexpr std::string_view kLedgerSizeMaxKey = "size.hmax";
inline constexpr std::string_view kLedgerSizeIntegralKey = "size.hint";
inline constexpr std::string_view kLedgerSizeHourKey = "size.hts";
// Only this layout's: an old ledger.bucket.<name> is read by nothing.
inline bool is_bucket_ledger(std::string_view oid) { return oid.starts_with(kBucketLedgerPrefix); }
// The bucket incarnation of a bucket ledger's oid (name, epoch); nullopt for
// any other oid.
std::optional<std::pair<std::string, std::uint64_t>> bucket_of_ledger(std::string_view oid);
// The keys of `instance`'s reservations all start with this.
inline std::string reservations_of_prefix(std::string_view instance) {
    return std::string(kReservationPrefix) + std::string(instance) + ".";
}

// What a reservation of an object write records at reserve time, so that an
// adopter can tell whether the write reached its commit point (the index
// record) after its instance died: the object key, and the commit token the
// write's index record will carry (its body_id without the inline bit,
// object_index.hpp). The bucket is the reservation's (the bucket ledger: the
// entry's own on a bucket's ledger, its other ledger on the user's). The
// deltas are the index record's own (ObjectRecord::charge), as its commit
// settled them.
struct CommitMark {
    std::uint64_t token = 0;  // never 0 in a mark
    std::string key;          // the object key, any bytes (last in the encoding)
};

// One open reservation, as stored under r.<instance>.<seq>:
//   "<bytes> <expiry ms> <other ledger oid>[ <token, 16 hex digits> <key>]"
// The object key comes last and runs to the end of the value. Entries
// without a mark (older engines', a part's, growth a commit reserved that it
// does not settle) are released by an adopter.
struct ReservationEntry {
    std::uint64_t bytes = 0;
    std::int64_t expiry_ms = 0;  // wall clock, ms since the epoch
    std::string other_ledger;    // the bucket's ledger on the user's, and back
    std::optional<CommitMark> committing;
};

std::string encode_reservation(const ReservationEntry& e);
std::optional<ReservationEntry> decode_reservation_entry(std::string_view value);

}  // namespace ostor::detail::rados
