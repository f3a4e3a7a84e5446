#include "rados/object_index.hpp"

#include <random>

#include "rados/catalog_support.hpp"
#include "rados/object_layout.hpp"
#include "versions/version_ids.hpp"

namespace ostor::detail::rados {

Error no_such_key(std::string_view bucket, std::string_view key) {
    return Error(Errc::NoSuchKey, "no object " + std::string(key) + " in bucket " + std::string(bucket));
}

Error no_such_version(std::string_view key, std::string_view version_id) {
    return Error(Errc::NoSuchVersion, "no version " + std::string(version_id) + " of " + std::string(key));
}

std::uint64_t new_commit_token() {
    // Seeded with 256 bits: one random_device word (32 bits) would let two
    // threads draw the same stream far more often than 63-bit tokens imply.
    thread_local std::mt19937_64 rng = [] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }();
    for (;;)
        if (std::uint64_t t = rng() & ~kInlineBodyMark) return t;
}

std::string IndexGuesses::slot(const std::string& oid, std::string_view key) {
    std::string out = oid;
    out += '\0';  // shard names hold no NUL
    out += key;
    return out;
}

std::optional<std::string> IndexGuesses::guess(const std::string& oid, std::string_view key) const {
    std::lock_guard lock(mutex_);
    auto it = stored_.find(slot(oid, key));
    if (it == stored_.end()) return std::nullopt;
    return it->second;
}

void IndexGuesses::remember(const std::string& oid, std::string_view key, std::string stored) {
    // A large object's record (its extents) is not kept: its write can
    // afford the read, and the map stays small.
    if (stored.size() > kMaxStoredBytes) return forget(oid, key);
    std::lock_guard lock(mutex_);
    if (stored_.size() >= kMaxEntries) stored_.clear();
    stored_.insert_or_assign(slot(oid, key), std::move(stored));
}

void IndexGuesses::forget(const std::string& oid, std::string_view key) {
    std::lock_guard lock(mutex_);
    stored_.erase(slot(oid, key));
}

Result<std::optional<IndexEntry>> read_index_entry(Client& client, const std::string& oid, std::string_view bucket,
                                                   std::string_view key, bool with_body) {
    std::set<std::string> keys{record_key(key)};
    if (with_body) keys.insert(body_key(key));
    auto got = client.omap_get(Pool::Index, oid, keys);
    if (!got) return std::move(got).error();
    auto it = got->find(record_key(key));
    if (it == got->end()) return std::optional<IndexEntry>();
    auto rec = decode_object(it->second, false);
    if (!rec)
        return Error(Errc::Internal, "the record of object " + std::string(key) + " in bucket " + std::string(bucket) +
                                         " is damaged or of a version this engine cannot read");
    rec->info.bucket = bucket;
    if (with_body && has_inline_body(*rec)) {
        auto body = got->find(body_key(key));
        if (body == got->end()) return Error(Errc::Internal, "the body of object " + std::string(key) + " is missing");
        rec->inline_data = body->second;
    }
    return std::optional<IndexEntry>(IndexEntry{std::move(it->second), std::move(*rec)});
}

Result<std::optional<FoundCommit>> find_commit_charge(Client& client, std::string_view bucket, std::uint64_t epoch,
                                                      std::string_view key, std::uint64_t token) {
    using None = std::optional<FoundCommit>;
    auto got =
        client.omap_get(Pool::Meta, bucket_oid(bucket), {std::string(kBucketInfoKey), std::string(kBucketShardsKey)});
    if (!got) {
        if (got.error().code() == kNotFound) return None();
        return std::move(got).error();
    }
    // Deleted: the index of `epoch` went with it.
    if (!got->contains(std::string(kBucketInfoKey))) return None();
    auto record = decode_bucket(value_of(*got, kBucketInfoKey));
    auto shards = decode_count(value_of(*got, kBucketShardsKey));
    // A record that does not read is no answer: the adoption stays
    // unfinished (retried by the next sweep) rather than release a commit.
    if (!record || !shards || *shards == 0 || *shards > 1024)
        return Error(Errc::Internal, "bucket " + std::string(bucket) + ": its record does not decode");
    if (record->epoch != epoch) return None();  // made again: the index of `epoch` went with the old one
    // The entry, its head and the key's newest version entry, in one read:
    // a marker hiding the current carries that current's charge one step
    // back, as a replacing record does (docs/versioning.md, "Reconciliation").
    const std::string oid = index_oid(bucket, epoch, index_shard_of(key, static_cast<std::uint32_t>(*shards)));
    auto read = client.omap_read(Pool::Index, oid, {OmapListing{"", versions_prefix(key), 1}},
                                 {record_key(key), head_key(key)});
    if (!read) {
        // The shard gone (the bucket deleted meanwhile).
        if (read.error().code() == kNotFound) return None();
        return std::move(read).error();
    }
    auto found_in = [&](const ObjectRecord& rec) -> std::optional<FoundCommit> {
        if (rec.charge && rec.charge->token == token) return FoundCommit{*rec.charge, rec.replaced_charge};
        if (rec.replaced_charge && rec.replaced_charge->token == token) return FoundCommit{*rec.replaced_charge, {}};
        return std::nullopt;
    };
    auto damaged = [&] {
        return Error(Errc::Internal, "the record of object " + std::string(key) + " in bucket " + std::string(bucket) +
                                         " is damaged or of a version this engine cannot read");
    };
    if (auto it = read->values.find(record_key(key)); it != read->values.end()) {
        auto rec = decode_object(it->second, false);
        if (!rec) return damaged();  // a record that does not decode stays an error, as above
        return None(found_in(*rec));
    }
    auto head_at = read->values.find(head_key(key));
    if (head_at == read->values.end()) return None();
    auto head = decode_version_head(head_at->second);
    if (!head) return damaged();
    if (!head->newest_is_marker || read->pages.empty() || read->pages[0].entries.empty()) return None();
    const auto& [newest_key, newest] = read->pages[0].entries.front();
    if (newest_key != version_key(key, head->newest)) return None();
    auto marker = decode_object(newest, false);
    if (!marker) return damaged();
    return None(found_in(*marker));
}

ShardMergeWalk::ShardMergeWalk(Client& client, std::string bucket, std::uint64_t epoch, std::uint32_t shards,
                               std::uint32_t page_entries, char prefix)
    : client_(client),
      bucket_(std::move(bucket)),
      page_entries_(std::max<std::uint32_t>(page_entries, 1)),
      prefix_(prefix) {
    for (std::uint32_t i = 0; i < shards; ++i) shards_.push_back(Shard{index_oid(bucket_, epoch, i), {}, {}, false});
}

void ShardMergeWalk::seek(std::string_view start) {
    position(start.empty() ? std::string() : record_key(start), start);
}

void ShardMergeWalk::seek_omap(std::string from) { position(std::move(from), std::nullopt); }

void ShardMergeWalk::position(std::string from, std::optional<std::string_view> start) {
    const bool forward = positioned_ && !error_ && from > floor_ && (!last_ || from > *last_);
    positioned_ = true;
    floor_ = from;
    last_.reset();
    exact_pending_.reset();
    if (exact_ && exact_->first < from) exact_.reset();
    if (!forward) {
        // omap_list gives the keys after a key: every shard starts after
        // o<start>, and the one shard that may hold o<start> is asked for it.
        exact_.reset();
        for (auto& s : shards_) {
            s.ready.clear();
            s.after = from;
            s.done = false;
        }
        if (start && !from.empty() && !shards_.empty()) exact_pending_ = from;
        return;
    }
    // Forward: each shard's buffer holds every key of the shard between its
    // previous page's start and `after`, and that start is below `from`
    // (a key already passed, or the earlier seek's start).
    const std::size_t owner =
        start ? index_shard_of(*start, static_cast<std::uint32_t>(shards_.size())) : shards_.size();
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        auto& s = shards_[i];
        while (!s.ready.empty() && s.ready.front().first < from) s.ready.pop_front();
        if (!s.ready.empty() || s.done) continue;  // o<start> buffered, or nothing after
        // Nothing buffered at or after `from`: the next page starts after it,
        // and the owner's o<start> itself is read separately.
        if (s.after < from) {
            s.after = from;
            if (i == owner && !exact_) exact_pending_ = from;
        }
    }
}

void ShardMergeWalk::fill_empty() {
    if (error_) return;
    // The pending exact key, read from its shard in the same round trip.
    std::optional<Result<std::map<std::string, std::string>>> exact;
    auto send_exact = [&](AioLatch& latch) {
        std::string_view key = std::string_view(*exact_pending_).substr(1);
        const std::string& oid = shards_[index_shard_of(key, static_cast<std::uint32_t>(shards_.size()))].oid;
        latch.send([&] {
            client_.aio_omap_get(Pool::Index, oid, {*exact_pending_},
                                 [&latch, &exact](Result<std::map<std::string, std::string>> got) {
                                     exact = std::move(got);
                                     latch.done();
                                 });
        });
    };
    auto send_page = [&](Shard& s, auto answer) {
        client_.aio_omap_list(Pool::Index, s.oid, s.after, std::string(1, prefix_), page_entries_, std::move(answer));
    };
    auto take_page = [](Shard& s, OmapPage page) {
        for (auto& e : page.entries) s.ready.push_back(std::move(e));
        if (!s.ready.empty()) s.after = s.ready.back().first;
        if (!page.more || page.entries.empty()) s.done = true;
    };
    read_empty_shards<OmapPage>(shards_, round_trips_, error_, send_page, take_page, exact_pending_.has_value(),
                                send_exact);
    if (exact) {
        if (*exact) {
            if (auto it = (*exact)->find(*exact_pending_); it != (*exact)->end())
                exact_.emplace(it->first, std::move(it->second));
        } else if (exact->error().code() != kNotFound) {
            error_ = std::move(*exact).error();  // kept over any shard's failure
        }
        exact_pending_.reset();
    }
}

std::optional<std::pair<std::string, std::string>> ShardMergeWalk::next_raw() {
    if (!positioned_) seek({});
    fill_empty();
    if (error_) return std::nullopt;
    if (exact_) {
        auto e = std::move(*exact_);
        exact_.reset();
        last_ = e.first;
        return std::make_pair(e.first.substr(1), std::move(e.second));
    }
    Shard* best = first_ready(shards_, [](const auto& a, const auto& b) { return a.first < b.first; });
    if (!best) return std::nullopt;
    auto e = std::move(best->ready.front());
    best->ready.pop_front();
    last_ = e.first;
    return std::make_pair(e.first.substr(1), std::move(e.second));
}

std::optional<ObjectInfo> ShardMergeWalk::next() {
    auto e = next_entry();
    if (!e) return std::nullopt;
    return std::move(e->info);
}

std::optional<ListedVersion> ShardMergeWalk::next_entry() {
    while (auto raw = next_raw()) {
        auto rec = decode_object(raw->second, false);
        if (!rec) continue;  // as the local walk: a damaged record is not listed
        rec->info.bucket = bucket_;
        return ListedVersion{std::move(rec->info), std::move(rec->instance)};
    }
    return std::nullopt;
}

Result<std::optional<VersionHead>> read_version_head(Client& client, const std::string& oid, std::string_view key) {
    const std::string hk = head_key(key);
    auto got = client.omap_get(Pool::Index, oid, {hk});
    if (!got) return std::move(got).error();
    auto it = got->find(hk);
    if (it == got->end()) return std::optional<VersionHead>();
    auto head = decode_version_head(it->second);
    if (!head) return Error(Errc::Internal, "the version head of object " + std::string(key) + " is damaged");
    return std::optional<VersionHead>(std::move(*head));
}

}  // namespace ostor::detail::rados
