// Scrub's walk of the parts of the uploads in progress (scan_parts): every
// bucket of the bucket list, every upload of its uploads index, every part
// of the upload, handed on in bounded batches. Nothing is held between
// batches but the walk's position; uploads closed meanwhile are skipped,
// parts stored meanwhile may be missed (a scrub is a snapshot of nothing).
#include "rados/catalog_support.hpp"
#include "rados/object_catalog.hpp"
#include "rados/upload_support.hpp"

namespace ostor::detail::rados {

namespace {

// Bodies per batch handed to scrub (as the local walk's).
constexpr std::size_t kScrubBatchBodies = 256;

// Calls fn(entry key) for every omap entry of `oid`, a page at a time.
// A missing object has no entries.
template <class F>
Result<void> for_each_entry(Client& client, Pool pool, const std::string& oid, F&& fn) {
    std::string after;
    for (;;) {
        auto page = client.omap_list(pool, oid, after, "", kUploadIndexPageEntries);
        if (!page) {
            if (page.error().code() == kNotFound) return {};
            return std::move(page).error();
        }
        for (auto& [k, v] : page->entries) {
            after = k;
            OSTOR_TRY(fn(k));
        }
        if (!page->more || page->entries.empty()) return {};
    }
}

}  // namespace

Result<void> RadosObjectCatalog::scan_parts(const std::function<Result<void>(std::vector<StoredBody>&)>& fn) {
    std::vector<StoredBody> batch;
    auto flush = [&]() -> Result<void> {
        if (batch.empty()) return {};
        auto r = fn(batch);
        batch.clear();
        return r;
    };
    auto scan_upload = [&](std::string_view id) -> Result<void> {
        const std::string oid = upload_oid(id);
        auto omap = read_whole_omap(client_, Pool::Meta, oid);
        if (!omap) return omap.error().code() == kNotFound ? Result<void>() : Result<void>(std::move(omap).error());
        for (auto it = omap->lower_bound(std::string(kPartKeyPrefix));
             it != omap->end() && it->first.starts_with(kPartKeyPrefix); ++it) {
            StoredBody body;
            auto number = it->first.substr(kPartKeyPrefix.size());
            number.erase(0, std::min(number.find_first_not_of('0'), number.size()));
            body.name = "upload " + std::string(id) + " part " + (number.empty() ? "0" : number);
            if (auto p = decode_part(it->second))
                body.extents = std::move(p->extents);
            else
                body.damaged_record = true;
            batch.push_back(std::move(body));
            if (batch.size() >= kScrubBatchBodies) OSTOR_TRY(flush());
        }
        return {};
    };
    auto scan_bucket = [&](const std::string& name) -> Result<void> {
        auto b = load_bucket(name);
        if (!b) return b.error().code() == Errc::NoSuchBucket ? Result<void>() : Result<void>(std::move(b).error());
        return for_each_entry(client_, Pool::Index, uploads_oid(name, b->bucket.epoch),
                              [&](const std::string& k) -> Result<void> {
                                  if (k.size() < kUploadIdLength + 1) return {};
                                  return scan_upload(std::string_view(k).substr(k.size() - kUploadIdLength));
                              });
    };
    for (std::uint32_t shard = 0; shard < kBucketListShards; ++shard)
        OSTOR_TRY(for_each_entry(client_, Pool::Meta, bucket_list_shard_oid(shard), scan_bucket));
    return flush();
}

}  // namespace ostor::detail::rados
