// The RADOS ObjectCatalog's space ledger calls (on rados::SpaceLedger) and
// scrub's walk over every stored body (object_catalog.hpp).
#include "engine_impl.hpp"
#include "rados/catalog_support.hpp"
#include "rados/object_catalog.hpp"
#include "rados/object_index.hpp"
#include "rados/user_object.hpp"
#include "rados/version_index.hpp"

namespace ostor::detail::rados {

namespace {

// Scrub's batches: bodies per call of its `fn`, and index entries read per
// shard read (inline bodies are up to kInlineMaxBytes each: 256 of them are
// 2 MiB at most).
constexpr std::size_t kScrubBatchBodies = 256;
constexpr std::uint32_t kScrubShardPageEntries = 256;

}  // namespace

Result<void> RadosObjectCatalog::drop_dead_reservations(Leases& leases) {
    auto dropped = ledger_.drop_dead_reservations(leases);
    if (!dropped) return std::move(dropped).error();
    return {};
}

Result<bool> RadosObjectCatalog::quota_applies(std::string_view bucket) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    auto q = quota_bytes(b->bucket);
    if (!q) return std::move(q).error();
    return q->first > 0 || q->second > 0;
}

Result<ReservationId> RadosObjectCatalog::reserve(std::string_view bucket, std::string_view key, std::uint64_t bytes) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    auto q = quota_bytes(b->bucket);
    if (!q) return std::move(q).error();
    // The commit token is chosen now, so that the ledgers name the record
    // before it exists: an adopter can tell whether it was written, with no
    // write of the ledgers at the commit point.
    std::optional<CommitMark> mark;
    if (!key.empty()) mark = CommitMark{new_commit_token(), std::string(key)};
    auto r = ledger_.reserve(b->bucket.owner_id, ledger_bucket_of(b->bucket), bytes, q->first, q->second, mark);
    if (!r) return std::move(r).error();
    return encode_reservation_id(*r);
}

void RadosObjectCatalog::release(const ReservationId& reservation) {
    // Best effort, as the interface has it: a reservation not released
    // expires (or is dropped with its instance's lease).
    if (auto r = decode_reservation_id(reservation)) (void)ledger_.release(*r);
}

Result<UserUsage> RadosObjectCatalog::get_user_usage(std::string_view user_id) {
    auto user = read_user_entries(client_, user_id, {});
    if (!user) return std::move(user).error();
    return ledger_.usage(user_id);
}

Result<bool> RadosObjectCatalog::extent_referenced(const Extent& x) {
    // The count is per blob object (blob_store.hpp), not per extent: an
    // object still counted may hold the extent. Conservative for scrub:
    // "referenced" makes a failed check damage, which it was when read.
    auto refs = client_.get_xattr(Pool::Data, blob_oid(x.segment), std::string(kRefsXattr));
    if (!refs) {
        if (refs.error().code() == kNotFound) return false;
        return std::move(refs).error();
    }
    return decode_count(*refs).value_or(0) > 0;
}

Result<void> RadosObjectCatalog::scan_bodies(const std::function<Result<void>(std::vector<StoredBody>&)>& fn) {
    std::vector<StoredBody> batch;
    auto flush = [&]() -> Result<void> {
        if (batch.empty()) return {};
        auto r = fn(batch);  // no read of ours is in progress meanwhile
        batch.clear();
        return r;
    };
    for (std::uint32_t list = 0; list < kBucketListShards; ++list) {
        auto names = read_whole_omap(client_, Pool::Meta, "buckets." + std::to_string(list));
        if (!names) {
            if (names.error().code() == kNotFound) continue;
            return std::move(names).error();
        }
        for (auto& [name, _] : *names) {
            auto b = load_bucket(name);
            if (!b) {
                if (b.error().code() == Errc::NoSuchBucket) continue;
                return std::move(b).error();
            }
            ShardMergeWalk walk(client_, name, b->bucket.epoch, b->shards, kScrubShardPageEntries);
            // Inline bodies of the batch, read per shard once it is full.
            std::map<std::string, std::vector<std::size_t>> inline_by_shard;
            auto read_inline = [&]() -> Result<void> {
                for (auto& [oid, at] : inline_by_shard) {
                    std::set<std::string> keys;
                    for (auto i : at) keys.insert(body_key(batch[i].name.substr(name.size() + 1)));
                    auto got = client_.omap_get(Pool::Index, oid, keys);
                    if (!got && got.error().code() != kNotFound) return std::move(got).error();
                    for (auto i : at) {
                        auto it = got ? got->find(body_key(batch[i].name.substr(name.size() + 1)))
                                      : std::map<std::string, std::string>::iterator();
                        // A body that is gone cannot be checked: damaged (or
                        // deleted since: the record is then gone too).
                        if (!got || it == got->end())
                            batch[i].damaged_record = true;
                        else
                            batch[i].inline_data = std::move(it->second);
                    }
                }
                inline_by_shard.clear();
                return {};
            };
            while (auto raw = walk.next_raw()) {
                StoredBody body;
                body.name = name + "/" + raw->first;
                auto rec = decode_object(raw->second, false);
                if (!rec) {
                    body.damaged_record = true;
                } else {
                    body.extents = std::move(rec->extents);
                    body.inline_crc = rec->inline_crc;
                    if (has_inline_body(*rec))
                        inline_by_shard[index_oid(name, b->bucket.epoch, index_shard_of(raw->first, b->shards))]
                            .push_back(batch.size());
                    else if (body.extents.empty() && rec->info.size > 0)
                        body.damaged_record = true;  // neither extents nor an inline body
                }
                batch.push_back(std::move(body));
                if (batch.size() >= kScrubBatchBodies) {
                    OSTOR_TRY(read_inline());
                    OSTOR_TRY(flush());
                }
            }
            if (walk.error()) return *walk.error();
            OSTOR_TRY(read_inline());
            OSTOR_TRY(flush());
            // The noncurrent versions (v records, w inline bodies): each
            // shard's in turn, an inline body read with its record's page.
            for (std::uint32_t shard = 0; shard < b->shards; ++shard) {
                const std::string oid = index_oid(name, b->bucket.epoch, shard);
                OSTOR_TRY(
                    for_each_version_entry(client_, oid, kScrubShardPageEntries,
                                           [&](const std::string& omap_key, const std::string& stored) -> Result<void> {
                                               StoredBody body;
                                               auto rec = decode_object(stored, false);
                                               body.name = name + "/" + (rec ? rec->info.key : omap_key.substr(1)) +
                                                           " version " + (rec ? rec->instance : std::string("?"));
                                               if (!rec) {
                                                   body.damaged_record = true;
                                               } else if (rec->info.delete_marker) {
                                                   return {};  // no body
                                               } else {
                                                   body.extents = std::move(rec->extents);
                                                   body.inline_crc = rec->inline_crc;
                                                   if (has_inline_body(*rec)) {
                                                       std::string w = omap_key;
                                                       w[0] = kVersionBodyPrefix;
                                                       auto got = client_.omap_get(Pool::Index, oid, {w});
                                                       if (!got && got.error().code() != kNotFound)
                                                           return std::move(got).error();
                                                       // Gone: damaged (or removed since: its record is then gone too).
                                                       if (!got || !got->contains(w))
                                                           body.damaged_record = true;
                                                       else
                                                           body.inline_data = std::move(got->at(w));
                                                   } else if (body.extents.empty() && rec->info.size > 0) {
                                                       body.damaged_record = true;
                                                   }
                                               }
                                               batch.push_back(std::move(body));
                                               if (batch.size() >= kScrubBatchBodies) return flush();
                                               return {};
                                           }));
            }
            OSTOR_TRY(flush());
            OSTOR_TRY(flush());
        }
    }
    OSTOR_TRY(flush());
    // Then the parts of the uploads in progress (upload_scan.cpp).
    return scan_parts(fn);
}

}  // namespace ostor::detail::rados
