#include "rados/user_buckets.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <set>

#include "engine_impl.hpp"
#include "ostor/names.hpp"
#include "rados/catalog_support.hpp"
#include "rados/object_layout.hpp"
#include "rados/user_object.hpp"
#include "records.hpp"

namespace ostor::detail::rados {

namespace {

struct Claim {
    std::string bucket;
    std::uint64_t epoch = 0;
    std::int64_t claimed_ms = 0;
    std::string account;
};

// "bkt.<name>.<epoch>" = "<ms> <account>" (bucket names may hold dots: the
// epoch is after the last one).
std::optional<Claim> parse_claim(std::string_view key, std::string_view value) {
    key.remove_prefix(kBucketClaimPrefix.size());
    auto dot = key.rfind('.');
    auto space = value.find(' ');
    if (dot == std::string_view::npos || space == std::string_view::npos) return std::nullopt;
    auto epoch = decode_count(key.substr(dot + 1));
    auto ms = decode_count(value.substr(0, space));
    if (!epoch || !ms) return std::nullopt;
    return Claim{std::string(key.substr(0, dot)), *epoch, static_cast<std::int64_t>(*ms),
                 std::string(value.substr(space + 1))};
}

// Whether bucket.<name> is the claimed bucket of `user_id`.
Result<bool> claim_backed(Client& client, std::string_view user_id, const Claim& c) {
    auto got = client.omap_get(Pool::Meta, bucket_oid(c.bucket), {std::string(kBucketInfoKey)});
    if (!got) {
        if (got.error().code() == kNotFound) return false;
        return std::move(got).error();
    }
    auto b = decode_bucket(value_of(*got, kBucketInfoKey));
    return b && b->owner_id == user_id && b->epoch == c.epoch;
}

}  // namespace

Result<std::size_t> recount_user_buckets(Client& client, std::string_view user_id, std::chrono::milliseconds min_age) {
    return retry_on_conflict<std::size_t>(user_oid(user_id), [&]() -> std::optional<Result<std::size_t>> {
        auto u = read_user_object(client, user_id);
        if (!u) return Result<std::size_t>(std::move(u).error());
        const std::int64_t now = now_ms();
        WriteOp op;
        guard_live_user(op);
        std::size_t dropped = 0;
        std::map<std::string, std::uint64_t> lower;  // count key -> by how much
        for (auto it = u->omap.lower_bound(std::string(kBucketClaimPrefix));
             it != u->omap.end() && it->first.starts_with(kBucketClaimPrefix); ++it) {
            auto claim = parse_claim(it->first, it->second);
            if (claim && now - claim->claimed_ms < min_age.count()) continue;  // a create in flight
            if (claim) {
                auto backed = claim_backed(client, user_id, *claim);
                if (!backed) return Result<std::size_t>(std::move(backed).error());
                if (*backed) continue;
            }
            op.compare_omap(it->first, Compare::Eq, it->second).omap_remove(it->first);
            ++lower[std::string(kBucketsKey)];
            if (claim && !claim->account.empty()) ++lower[account_buckets_key(claim->account)];
            ++dropped;
        }
        if (dropped == 0) return Result<std::size_t>(std::size_t{0});
        for (auto& [key, by] : lower) {
            std::string read = value_of(u->omap, key);
            std::uint64_t n = decode_count(read).value_or(0);
            op.compare_omap(key, Compare::Eq, read).omap_set(key, encode_count(n > by ? n - by : 0));
        }
        auto written = client.apply(Pool::Meta, user_oid(user_id), op);
        if (!written && changed_meanwhile(written.error())) return std::nullopt;
        if (!written) return Result<std::size_t>(std::move(written).error());
        return Result<std::size_t>(dropped);
    });
}

std::vector<Result<std::map<std::string, std::string>>> read_omaps_at_once(Client& client, Pool pool,
                                                                           const std::vector<std::string>& oids,
                                                                           const std::string& prefix) {
    constexpr std::uint32_t kPageEntries = 1024;
    struct Read {
        std::map<std::string, std::string> entries;
        std::string after;
        std::optional<Error> failed;
        bool done = false;
    };
    std::vector<Read> reads(oids.size());
    for (;;) {
        std::vector<std::size_t> reading;  // the objects not read to their end
        for (std::size_t i = 0; i < oids.size(); ++i)
            if (!reads[i].done) reading.push_back(i);
        if (reading.empty()) break;
        auto pages = results_at_once<Result<OmapPage>>(reading.size(), reading.size(), [&](std::size_t j, auto done) {
            const std::size_t i = reading[j];
            client.aio_omap_list(pool, oids[i], reads[i].after, prefix, kPageEntries, std::move(done));
        });
        for (std::size_t j = 0; j < reading.size(); ++j) {
            auto& r = reads[reading[j]];
            auto& page = pages[j];
            if (!page) {
                r.failed = std::move(page).error();
                r.done = true;
                continue;
            }
            for (auto& [k, v] : page->entries) r.entries.insert_or_assign(k, std::move(v));
            if (!page->entries.empty()) r.after = page->entries.back().first;
            if (!page->more || page->entries.empty()) r.done = true;
        }
    }
    std::vector<Result<std::map<std::string, std::string>>> out;
    out.reserve(reads.size());
    for (auto& r : reads) {
        if (r.failed)
            out.emplace_back(std::move(*r.failed));
        else
            out.emplace_back(std::move(r.entries));
    }
    return out;
}

namespace {

// The omap entries read for a batch of names, per object and round trip.
std::uint32_t entries_per_read(std::size_t count) {
    return static_cast<std::uint32_t>(std::clamp<std::size_t>(count, 1, 1024));
}

// A claim's key is bkt.<name>.<epoch>: keys are in name order but where a
// name goes on, in a longer one, with a character sorting at or before '.'
// ("a" comes after "a-b", maybe after "a.1"). Read in key order from
// bkt.<marker> (which every key of a name after the marker follows), the
// names read miss, of those before the last one, only such a name P of a
// longer one read: P is taken for a name too, at once (the records decide).
class ClaimedNames final : public BucketNamePager {
public:
    ClaimedNames(Client& client, std::string_view user_id, std::string_view start_after, std::string_view prefix)
        : client_(client),
          oid_(user_oid(user_id)),
          prefix_(prefix),
          key_prefix_(std::string(kBucketClaimPrefix) + std::string(prefix)),
          cursor_(start_after),
          read_after_(start_after.empty() ? std::string()
                                          : std::string(kBucketClaimPrefix) + std::string(start_after)) {}

    Result<std::vector<std::string>> next(std::size_t count) override {
        std::vector<std::string> out;
        if (count == 0) return out;
        while (!exhausted_ && names_.size() < count) OSTOR_TRY(read_more(count));
        for (auto it = names_.begin(); it != names_.end() && out.size() < count; it = names_.erase(it))
            out.push_back(*it);
        if (!out.empty()) cursor_ = out.back();
        return out;
    }

private:
    void add(const std::string& name) {
        if (name > cursor_ && name.starts_with(prefix_)) names_.insert(name);
    }

    Result<void> read_more(std::size_t count) {
        auto page = client_.omap_list(Pool::Meta, oid_, read_after_, key_prefix_, entries_per_read(count));
        if (!page) {
            if (page.error().code() != kNotFound) return std::move(page).error();
            exhausted_ = true;  // no such user: no buckets
            return {};
        }
        for (auto& [key, value] : page->entries) {
            auto claim = parse_claim(key, value);
            if (!claim) continue;
            for (std::size_t i = 1; i < claim->bucket.size(); ++i)
                if (claim->bucket[i] <= '.' && validate_bucket_name(claim->bucket.substr(0, i)))
                    add(claim->bucket.substr(0, i));
            add(claim->bucket);
        }
        if (!page->entries.empty()) read_after_ = page->entries.back().first;
        if (!page->more || page->entries.empty()) exhausted_ = true;
        return {};
    }

    Client& client_;
    const std::string oid_, prefix_, key_prefix_;
    std::string cursor_;      // the last name handed out (the marker at first)
    std::string read_after_;  // the last key read
    bool exhausted_ = false;
    std::set<std::string> names_;  // known, after the cursor (those handed out are dropped)
};

// Each shard is by name: the names up to the least of the last ones read
// of shards not read to their end are all known.
class ListedNames final : public BucketNamePager {
public:
    ListedNames(Client& client, std::string_view start_after, std::string_view prefix)
        : client_(client), prefix_(prefix), cursor_(start_after) {
        for (std::uint32_t shard = 0; shard < kBucketListShards; ++shard)
            shards_.push_back({bucket_list_shard_oid(shard), std::string(start_after)});
    }

    Result<std::vector<std::string>> next(std::size_t count) override {
        std::vector<std::string> out;
        if (count == 0) return out;
        for (;;) {
            // The names up to the bound never change (a shard's next names
            // follow its last one read): a round goes on after the last taken.
            auto bound = known_up_to();
            auto end = bound ? names_.upper_bound(*bound) : names_.end();
            auto first = names_.upper_bound(out.empty() ? cursor_ : out.back());
            for (auto it = first; it != end && out.size() < count; ++it) out.push_back(*it);
            if (out.size() == count || !bound) break;
            OSTOR_TRY(read_more(count));
        }
        if (!out.empty()) cursor_ = out.back();
        return out;
    }

private:
    struct Shard {
        std::string oid;
        std::string read_after;
        bool exhausted = false;
    };

    std::optional<std::string> known_up_to() const {
        std::optional<std::string> bound;
        for (const auto& s : shards_)
            if (!s.exhausted && (!bound || s.read_after < *bound)) bound = s.read_after;
        return bound;
    }

    // The next entries of every shard not read to its end, at once (aio).
    Result<void> read_more(std::size_t count) {
        // Names spread evenly over the shards (by hash): a share each, and
        // some to spare, before another round.
        const std::uint32_t per_shard = entries_per_read(count / shards_.size() + 16);
        std::vector<std::size_t> reading;  // the shards not read to their end
        for (std::size_t i = 0; i < shards_.size(); ++i)
            if (!shards_[i].exhausted) reading.push_back(i);
        auto pages = results_at_once<Result<OmapPage>>(reading.size(), reading.size(), [&](std::size_t j, auto done) {
            const auto& shard = shards_[reading[j]];
            client_.aio_omap_list(Pool::Meta, shard.oid, shard.read_after, prefix_, per_shard, std::move(done));
        });
        for (std::size_t j = 0; j < reading.size(); ++j) {
            auto& page = pages[j];
            auto& shard = shards_[reading[j]];
            if (!page) {
                if (page.error().code() != kNotFound) return std::move(page).error();
                shard.exhausted = true;  // a shard never written
                continue;
            }
            for (auto& [name, value] : page->entries) names_.insert(name);
            if (!page->entries.empty()) shard.read_after = page->entries.back().first;
            if (!page->more || page->entries.empty()) shard.exhausted = true;
        }
        return {};
    }

    Client& client_;
    const std::string prefix_;
    std::string cursor_;  // the last name handed out (the marker at first)
    std::vector<Shard> shards_;
    std::set<std::string> names_;
};

}  // namespace

std::unique_ptr<BucketNamePager> claimed_bucket_names(Client& client, std::string_view user_id,
                                                      std::string_view start_after, std::string_view prefix) {
    return std::make_unique<ClaimedNames>(client, user_id, start_after, prefix);
}

std::unique_ptr<BucketNamePager> listed_bucket_names(Client& client, std::string_view start_after,
                                                     std::string_view prefix) {
    return std::make_unique<ListedNames>(client, start_after, prefix);
}

}  // namespace ostor::detail::rados
