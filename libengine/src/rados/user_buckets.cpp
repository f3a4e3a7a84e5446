#include "rados/user_buckets.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "engine_impl.hpp"
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
        std::optional<Result<OmapPage>> page;
        bool done = false;
    };
    std::vector<Read> reads(oids.size());
    for (;;) {
        AioLatch latch;  // after `reads`, which its calls write into
        bool any = false;
        for (std::size_t i = 0; i < oids.size(); ++i) {
            if (reads[i].done) continue;
            any = true;
            latch.send([&] {
                client.aio_omap_list(pool, oids[i], reads[i].after, prefix, kPageEntries,
                                     [&latch, slot = &reads[i]](Result<OmapPage> page) {
                                         slot->page = std::move(page);
                                         latch.done();
                                     });
            });
        }
        if (!any) break;
        latch.wait();
        for (auto& r : reads) {
            if (r.done) continue;
            auto page = std::move(*r.page);
            r.page.reset();
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

Result<std::vector<std::string>> claimed_bucket_names(Client& client, std::string_view user_id) {
    auto claims =
        std::move(read_omaps_at_once(client, Pool::Meta, {user_oid(user_id)}, std::string(kBucketClaimPrefix)).front());
    if (!claims) {
        if (claims.error().code() == kNotFound) return std::vector<std::string>();
        return std::move(claims).error();
    }
    std::vector<std::string> names;
    for (auto& [key, value] : *claims)
        if (auto c = parse_claim(key, value)) names.push_back(std::move(c->bucket));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

Result<std::vector<std::string>> listed_bucket_names(Client& client) {
    std::vector<std::string> oids;
    for (std::uint32_t shard = 0; shard < kBucketListShards; ++shard) oids.push_back(bucket_list_shard_oid(shard));
    std::vector<std::string> names;
    for (auto& shard : read_omaps_at_once(client, Pool::Meta, oids, "")) {
        if (!shard) {
            if (shard.error().code() == kNotFound) continue;
            return std::move(shard).error();
        }
        for (auto& [name, value] : *shard) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace ostor::detail::rados
