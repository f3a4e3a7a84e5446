// A bucket's object index on RADOS (object_layout.hpp): reading one entry,
// and walking every shard at once in key order for listings and scrub.
//
// An entry is o<key> = the encoded ObjectRecord (inline_data empty; body_id 1
// when b<key> holds the inline body, else 0) and, for a small object, b<key>.
// Both are written and removed together by one guarded write of the shard.
//
// Concurrency: reads only. A walk reads each shard a page at a time: it is
// not one snapshot (entries written or removed meanwhile may or may not be
// seen), as S3 listings are not.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "listing.hpp"
#include "ostor/error.hpp"
#include "rados/client.hpp"
#include "rados/object_layout.hpp"
#include "records.hpp"

namespace ostor::detail::rados {

// body_id of an index record: bit 0 (kInlineBodyMark) says b<key> holds the
// inline body; the other 63 bits are the commit token of the call that wrote
// it (random, never 0; 0 in records written before tokens), so that a
// re-read after an unknown outcome proves that call's write rather than an
// identical one of another call (the same copy sent twice: same extents,
// same time). It is also what a reservation's CommitMark names
// (ledger_layout.hpp): a write under a reservation made for its key commits
// under the reservation's token.
//
// Each record written by a commit also carries its commit's charge
// (ObjectRecord::charge: the token and the deltas the commit settles on the
// ledgers) and the charge of the record it replaced (replaced_charge, one
// step back, none when it replaced no record or one without a charge). So an
// adopter finds out what a dead writer committed even after a client retried
// the write through another gateway and replaced its record once
// (find_commit_charge). Encoded after body_id: engines that stop reading at
// body_id ignore them.
inline constexpr std::uint64_t kInlineBodyMark = 1;
inline bool has_inline_body(const ObjectRecord& rec) { return (rec.body_id & kInlineBodyMark) != 0; }
// A fresh commit token, already shifted into body_id's upper bits.
std::uint64_t new_commit_token();

// What this process last committed at each index entry (bounded; forgets
// everything when full): a guess of an entry's stored value, for a write
// that guards on it instead of reading it first. Only ever a guess: another
// gateway may have changed the entry since, which the guard finds out.
// Safe from any thread.
class IndexGuesses {
public:
    static constexpr std::size_t kMaxEntries = 65'536;
    static constexpr std::size_t kMaxStoredBytes = 2048;
    std::optional<std::string> guess(const std::string& oid, std::string_view key) const;
    void remember(const std::string& oid, std::string_view key, std::string stored);
    void forget(const std::string& oid, std::string_view key);

private:
    static std::string slot(const std::string& oid, std::string_view key);
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::string> stored_;
};

// An index entry as read: the stored o<key> value (what a guarded write
// compares with) and its record (inline_data filled when asked).
struct IndexEntry {
    std::string stored;
    ObjectRecord record;
};

// The entry of `key` in shard `oid`, none when absent. `with_body`: reads
// b<key> in the same read. Fails: kNotFound (the shard object is gone: its
// bucket was deleted), Internal (a damaged record, or its inline body
// missing), IoError.
Result<std::optional<IndexEntry>> read_index_entry(Client& client, const std::string& oid, std::string_view bucket,
                                                   std::string_view key, bool with_body);

// What the commit with `token` (a CommitMark's) of object `key` in the bucket
// incarnation (bucket, epoch) added to the ledgers, as the index says now:
// the charge of the record there when it is that commit's (with the charge
// it replaced), or the charge that record replaced when that one was; with
// no current, the charge the delete marker that is the key's newest version
// hid one step back (a marker is a 0-byte commit). None when neither (the write never
// reached its commit point, or its record was replaced twice or deleted
// since: the caller cannot tell those apart), or when the bucket record is
// gone or of another epoch (its index went with it). One read of the bucket
// record and one of the entry. Fails: IoError (a damaged record is none).
struct FoundCommit {
    CommitCharge charge;                   // the commit's own
    std::optional<CommitCharge> replaced;  // what it replaced, when the record found is its own
};
Result<std::optional<FoundCommit>> find_commit_charge(Client& client, std::string_view bucket, std::uint64_t epoch,
                                                      std::string_view key, std::uint64_t token);

// "no object K in bucket B", as the local backend says it.
Error no_such_key(std::string_view bucket, std::string_view key);
// "no version V of K".
Error no_such_version(std::string_view key, std::string_view version_id);

// What the shard walks (ShardMergeWalk below, ShardVersionEntries in
// version_listing.hpp) share. Each keeps a vector of shards, each shard with
// `ready` (entries read and not yet returned, in the walk's order) and
// `done` (nothing of it left to read).

// One round trip of a shard walk: a read of every shard whose ready entries
// ran out and that is not done, all sent at once (`send_read(shard,
// answer)`: a Client aio_* read of the shard that calls back `answer`), and,
// when `others`, the walk's other calls of the same round trip
// (`send_others(latch)`, each sent through the latch). Once all have
// answered, each shard's read goes to `take(shard, value)`, in shard order;
// a shard whose read failed is done instead: kNotFound is an empty shard
// (the bucket was deleted meanwhile), another failure is kept in `error`
// unless that holds one already. Counts the round trip in `round_trips`,
// unless there was nothing to send.
template <typename Value, typename Shard, typename SendRead, typename Take, typename SendOthers>
void read_empty_shards(std::vector<Shard>& shards, std::uint64_t& round_trips, std::optional<Error>& error,
                       SendRead&& send_read, Take&& take, bool others, SendOthers&& send_others) {
    struct Read {
        Shard* shard;
        std::optional<Result<Value>> got;
    };
    std::vector<Read> reads;
    for (auto& s : shards)
        if (s.ready.empty() && !s.done) reads.push_back(Read{&s, std::nullopt});
    if (reads.empty() && !others) return;
    ++round_trips;
    {
        AioLatch latch;  // after `reads`, which its calls write into
        for (auto& r : reads)
            latch.send([&] {
                send_read(*r.shard, [&latch, slot = &r](Result<Value> got) {
                    slot->got = std::move(got);
                    latch.done();
                });
            });
        if (others) send_others(latch);
        latch.wait();
    }
    for (auto& r : reads) {
        auto& got = *r.got;
        if (!got) {
            r.shard->done = true;
            if (got.error().code() != kNotFound && !error) error = std::move(got).error();
            continue;
        }
        take(*r.shard, std::move(*got));
    }
}

// As above, with no other calls.
template <typename Value, typename Shard, typename SendRead, typename Take>
void read_empty_shards(std::vector<Shard>& shards, std::uint64_t& round_trips, std::optional<Error>& error,
                       SendRead&& send_read, Take&& take) {
    read_empty_shards<Value>(shards, round_trips, error, std::forward<SendRead>(send_read), std::forward<Take>(take),
                             false, [](AioLatch&) {});
}

// The shard whose first ready entry comes first (`before(a, b)`: entry a
// before entry b), none when every shard's ran out.
template <typename Shard, typename Before>
Shard* first_ready(std::vector<Shard>& shards, Before&& before) {
    Shard* first = nullptr;
    for (auto& s : shards) {
        if (s.ready.empty()) continue;
        if (!first || before(s.ready.front(), first->ready.front())) first = &s;
    }
    return first;
}

// The o entries (or, given kVersionPrefix, the v entries) of every shard of
// one bucket incarnation, merged in key order. Each shard is read in pages of `page_entries`; the shards whose
// buffered entries ran out are read again all at once (aio: one round trip
// for all of them). A seek forward (as a listing's past a common prefix)
// keeps each shard's buffered entries at or after the new start and reads
// only the shards left without any, plus the start key itself from its
// shard when that shard must be read again: usually one round trip, often
// none. A seek backwards starts over. A shard that is gone (the bucket was
// deleted meanwhile) reads as empty. Read failures end the walk early;
// error() then says why. One thread at a time.
class ShardMergeWalk final : public ObjectWalk {
public:
    ShardMergeWalk(Client& client, std::string bucket, std::uint64_t epoch, std::uint32_t shards,
                   std::uint32_t page_entries, char prefix = kRecordPrefix);
    // o entries: repositions at the first object key >= `start`.
    void seek(std::string_view start) override;
    std::optional<ObjectInfo> next() override;
    std::optional<ListedVersion> next_entry() override;
    // Repositions at the first entry whose omap key is >= `from` (a key of
    // the walk's prefix), when no entry's key is `from` itself (a v walk's
    // seeks: entries end with "\0" + instance): each shard's page starts
    // after it, with no read of `from` itself.
    void seek_omap(std::string from);
    // As next(), undecoded: the omap key without its prefix (an o entry's:
    // the object key) and the stored value (scrub reports records that do
    // not decode); none at the end or on failure.
    std::optional<std::pair<std::string, std::string>> next_raw();
    const std::optional<Error>& error() const { return error_; }
    // Read round trips so far (each batch of reads sent at once counts one).
    std::uint64_t round_trips() const { return round_trips_; }

private:
    struct Shard {
        std::string oid;
        std::deque<std::pair<std::string, std::string>> ready;  // o<key>, value
        std::string after;                                      // the next page starts after this omap key
        bool done = false;
    };
    // Reads, all at once, a page of every shard without buffered entries
    // (and not done), and the pending exact key.
    void fill_empty();
    // Repositions at omap key `from`; `start`: the object key whose own
    // entry is read apart (o walks), none when `from` is no entry's key.
    void position(std::string from, std::optional<std::string_view> start);

    Client& client_;
    std::string bucket_;
    std::uint32_t page_entries_;
    char prefix_;
    std::vector<Shard> shards_;
    std::optional<std::pair<std::string, std::string>> exact_;  // the seek key's own entry
    std::optional<std::string> exact_pending_;                  // o<start>, to be read from its shard
    // Every key the walk may still return is >= floor_ and > last_ (omap
    // keys): what decides whether a seek goes forward.
    std::string floor_;
    std::optional<std::string> last_;
    bool positioned_ = false;
    std::uint64_t round_trips_ = 0;
    std::optional<Error> error_;
};

// The VersionHead of `key` in shard `oid`, none when absent. Fails:
// kNotFound (the shard is gone), Internal (a damaged head), IoError.
Result<std::optional<VersionHead>> read_version_head(Client& client, const std::string& oid, std::string_view key);

}  // namespace ostor::detail::rados
