#include "rados/user_buckets.hpp"

#include <map>

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

}  // namespace ostor::detail::rados
