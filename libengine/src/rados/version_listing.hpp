// ListObjectVersions on RADOS (docs/rados.md, "Version listing"): every
// index shard's o entries (the currents) and v entries (the other versions)
// merged in the listing's order, each shard's two kinds read together.
//
// Concurrency: reads only. Each read of a shard is one read op listing its
// o and its v entries (one state of the shard), and only the keys both of
// its pages hold whole are taken from it: the shard's next read, of both
// kinds again, starts at the first key not taken. So a key's current and
// versions come from one state of its shard, and a version that a PUT or a
// DELETE by id moves between o and v meanwhile is listed once. Only a key
// with more versions (from where the walk reaches it) than a page holds is
// read in several reads. Across reads it is not a snapshot (keys written or
// removed meanwhile may or may not be listed), as S3 listings are not.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "listing.hpp"
#include "ostor/error.hpp"
#include "rados/client.hpp"

namespace ostor::detail::rados {

// The o and v entries of every shard of one bucket incarnation. Each shard
// is read in pages of `page_entries` of each kind; the shards whose taken
// entries ran out are read again all at once (aio: one round trip for all
// of them). A seek forward (a delimiter listing's, past a common prefix)
// keeps each shard's taken entries at or after the new start and reads only
// the shards left without any. A seek backwards starts over. A shard that
// is gone (the bucket was deleted meanwhile) reads as empty. Read failures
// end the walk early; error() then says why. One thread at a time.
class ShardVersionEntries final : public ListedEntryWalk {
public:
    ShardVersionEntries(Client& client, std::string bucket, std::uint64_t epoch, std::uint32_t shards,
                        std::uint32_t page_entries);
    void seek(std::string_view start) override;
    void seek_versions_after(std::string_view key, std::string_view after_instance) override;
    std::optional<ListedEntry> next() override;
    const std::optional<Error>& error() const { return error_; }
    // Read round trips so far (each batch of reads sent at once counts one).
    std::uint64_t round_trips() const { return round_trips_; }

    // An entry as read, ordered as the listing lists: by object key, the
    // current (o) first, then the versions (v) in omap key order.
    struct Entry {
        std::string key;       // the object key
        bool current = false;  // o<key>, else a v entry
        std::string omap_key;  // as stored: o<key>, v<head>\0<instance>
        std::string stored;    // the encoded record
    };

private:
    // A shard's entries taken from its last read (those of the keys its
    // pages held whole), and where its next read starts: after o_after and
    // v_after (omap keys), with o_at (an o entry) read by key when the
    // read starts at a key. frontier_key: no entry of a key below it is
    // left to read.
    struct Shard {
        std::string oid;
        std::deque<Entry> ready;
        std::string o_after;
        std::optional<std::string> o_at;
        std::string v_after;
        std::string frontier_key;
        bool done = false;
    };
    // The next read of `shard` starts at `key` (its o entry read by key when
    // `owner`), its v entries after `v_after`.
    static void start_at(Shard& shard, std::string_view key, bool owner, std::string v_after);
    // Repositions every shard at `key`, its v entries after `v_after`.
    void position(std::string_view key, std::string v_after);
    // Reads, all at once, every shard without taken entries (and not done).
    void fill_empty();
    // Takes from one read of `shard` (its o page, its v page, o_at's value)
    // the entries up to the bound both pages cover, and sets where its next
    // read starts.
    static void take(Shard& shard, OmapRead read);

    Client& client_;
    std::string bucket_;
    std::uint32_t page_entries_;
    std::vector<Shard> shards_;
    // Every entry the walk may still return has a key >= floor_ and > last_.
    std::string floor_;
    std::optional<std::string> last_;
    bool positioned_ = false;
    std::uint64_t round_trips_ = 0;
    std::optional<Error> error_;
};

}  // namespace ostor::detail::rados
