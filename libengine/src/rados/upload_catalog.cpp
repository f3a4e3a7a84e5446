// The RADOS ObjectCatalog's multipart uploads, open ones: create, read, list,
// and parts. Closing (complete, abort) is in upload_closing.cpp, scrub's walk
// in upload_scan.cpp; the seal that separates the two in upload_support.hpp.
//
// An upload is upload.<id> (meta pool) plus its entry in the bucket's
// uploads index, uploads.<bucket>.<epoch> (index pool). create_upload writes
// the object first, then the entry: a crash between leaves an upload nothing
// lists and nobody was told the id of (a small leak). The entry is guarded
// on the index's `closed` mark, which a delete_bucket sets before its walk
// over the uploads: an upload begun from then on fails (its object removed
// again: NoSuchBucket once the record is gone, a retryable IoError while
// the delete lasts), so the walk sees every upload. Closers remove the
// object first, then the entry: a crash between leaves an entry whose
// upload is gone, which list_uploads skips. So nothing closed is ever
// listed (one being closed is, until its object goes).
#include <condition_variable>
#include <deque>
#include <thread>

#include "engine_impl.hpp"
#include "listing.hpp"
#include "multipart_assembly.hpp"
#include "rados/catalog_support.hpp"
#include "rados/object_catalog.hpp"
#include "rados/upload_support.hpp"

namespace ostor::detail::rados {

namespace {

// A bucket's uploads in S3's order, straight from its uploads index (keys
// "<key>\0<id>" with NULs escaped, ids rising in the order begun): a page
// of index entries costs one read of it plus one round trip reading the
// uploads' data (the Upload) at once. An upload being closed is listed
// until its object is removed (as locally, until the closing commits); one
// whose object is gone is skipped.
class IndexUploadWalk final : public UploadWalk {
public:
    IndexUploadWalk(Client& client, std::string index_oid) : client_(client), oid_(std::move(index_oid)) {}

    void seek_key(std::string_view key, bool after_key) override {
        // The key's head sorts before each of key's entries and after every
        // smaller key's (object_layout.hpp).
        reposition(after_key ? upload_index_after_key(key) : upload_index_key_head(key));
    }
    void seek_after(const Upload& upload) override { reposition(upload_index_key(upload.key, upload.id)); }
    std::optional<Upload> next() override {
        while (ready_.empty() && !end_) fill();
        if (ready_.empty()) return std::nullopt;
        Upload u = std::move(ready_.front());
        ready_.pop_front();
        return u;
    }
    // The first failure a read met (the walk ended there).
    const std::optional<Error>& error() const { return error_; }

private:
    void reposition(std::string after) {
        after_ = std::move(after);
        ready_.clear();
        end_ = error_.has_value();
    }
    void fill() {
        auto page = client_.omap_list(Pool::Index, oid_, after_, "", kUploadIndexPageEntries);
        if (!page) {
            if (page.error().code() != kNotFound) error_ = std::move(page).error();
            end_ = true;
            return;
        }
        // The page's uploads are read all at once (their data: the encoded
        // Upload, kept there for this), one round trip per page.
        std::vector<std::string> ids;
        for (auto& [k, v] : page->entries) {
            after_ = k;
            if (k.size() < kUploadIdLength + 1) continue;
            ids.push_back(k.substr(k.size() - kUploadIdLength));
        }
        auto reads = results_at_once<Result<std::string>>(
            ids.size(), kUploadIndexPageEntries,
            [&](std::size_t i, auto done) { client_.aio_read(Pool::Meta, upload_oid(ids[i]), 0, 0, std::move(done)); });
        for (std::size_t i = 0; i < ids.size(); ++i) {
            auto& got = reads[i];
            if (!got) {
                // Gone: a closer stopped between its two removals.
                if (got.error().code() == kNotFound) continue;
                error_ = std::move(got).error();
                end_ = true;
                return;
            }
            auto u = decode_upload(*got);
            if (!u) {
                // No copy in the data (or a damaged one): the omap has it.
                auto up = read_open_upload(client_, ids[i]);
                if (!up) {
                    if (up.error().code() == Errc::NoSuchUpload) continue;
                    error_ = std::move(up).error();
                    end_ = true;
                    return;
                }
                u = std::move(up->upload);
            }
            ready_.push_back(std::move(*u));
        }
        if (!page->more || page->entries.empty()) end_ = true;
    }

    Client& client_;
    std::string oid_;
    std::string after_;
    std::deque<Upload> ready_;
    bool end_ = false;
    std::optional<Error> error_;
};

}  // namespace

Result<Upload> RadosObjectCatalog::create_upload(std::string_view bucket, std::string_view key, ObjectMeta meta,
                                                 std::optional<ObjectLock> lock) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    Upload u;
    u.id = new_upload_id();
    u.bucket = bucket;
    u.key = key;
    u.owner_id = b->bucket.owner_id;
    u.account = b->bucket.account;
    u.initiated_ms = upload_id_time_ms(u.id);  // not a later now_ms(): the index orders by id
    u.meta = std::move(meta);
    u.lock = std::move(lock);
    // The object first, then the index entry (see the top of this file).
    WriteOp op;
    op.create_exclusive()
        .write_full(encode(u))  // a copy for list_uploads' batched reads
        .omap_set(std::string(kUploadInfoKey), encode(u))
        .omap_set(std::string(kUploadEpochKey), std::to_string(b->bucket.epoch));
    OSTOR_TRY(client_.apply(Pool::Meta, upload_oid(u.id), op));
    // The uploads index exists from the bucket's creation to its deletion,
    // and a delete closes it before its walk over the uploads: an entry
    // written while the bucket is deleted fails instead of making an upload
    // the walk may not see, or recreating the index of an incarnation that
    // is gone.
    const std::string index = uploads_oid(u.bucket, b->bucket.epoch);
    WriteOp entry;
    entry.assert_exists()
        .compare_omap(std::string(kShardClosedKey), Compare::Eq, "")
        .omap_set(upload_index_key(u.key, u.id), "1");
    for (int attempt = 1;; ++attempt) {
        auto w = client_.apply(Pool::Index, index, entry);
        if (w) return u;
        Error failed = std::move(w).error();
        if (failed.code() == kNotFound) {
            failed = Error(Errc::NoSuchBucket, "bucket " + std::string(bucket) + " does not exist");
        } else if (failed.code() == kCompareFailed) {
            // Closed by a delete: its outcome waited for (wait_while_closed).
            auto open = wait_while_closed(b->bucket, index);
            if (open && attempt < 3) continue;  // reopened (a delete that gave up, or a crashed one's mark)
            failed = open ? Error(Errc::IoError, "the uploads index of bucket " + std::string(bucket) +
                                                     " keeps being closed by deletes: try again")
                          : std::move(open).error();
        }
        (void)client_.remove(Pool::Meta, upload_oid(u.id));  // best effort: else a leak nobody names
        if (failed.code() == Errc::NoSuchBucket) forget_cached_bucket(bucket);
        return failed;
    }
}

Result<Upload> RadosObjectCatalog::get_upload(std::string_view upload_id) {
    // A complete under way holds the upload sealed for as long as it writes
    // its object; its outcome is near. Whoever asks for the upload then (a
    // client's retry of that complete, overlapping it) waits for it, as the
    // local backend's one transaction would have made it wait: the upload is
    // then gone with its object made (the gateway answers with that object),
    // or open again. Seals of aborts, and stale ones, are answered at once.
    const auto deadline = std::chrono::steady_clock::now() + kCompleteUnderWayWait;
    for (;;) {
        auto up = read_upload(client_, upload_id);
        if (!up) return std::move(up).error();
        if (up->closing.empty()) return std::move(up->upload);
        auto seal = decode_seal(up->closing);
        if (!seal || seal->kind != Seal::Kind::Complete || now_ms() - seal->sealed_ms > kStaleCompleteSeal.count() ||
            std::chrono::steady_clock::now() >= deadline)
            return no_such_upload(upload_id);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

Result<ListPartsResult> RadosObjectCatalog::list_parts(std::string_view upload_id, std::uint32_t marker,
                                                       std::uint32_t max_parts) {
    OSTOR_TRY(read_open_upload(client_, upload_id));
    ListPartsResult out;
    std::string after = part_key(marker);  // parts are numbered from 1
    const std::string oid = upload_oid(upload_id);
    for (;;) {
        auto page = client_.omap_list(Pool::Meta, oid, after, std::string(kPartKeyPrefix),
                                      std::min<std::uint32_t>(kUploadIndexPageEntries, max_parts + 1));
        if (!page) {
            if (page.error().code() == kNotFound) return no_such_upload(upload_id);
            return std::move(page).error();
        }
        for (auto& [k, v] : page->entries) {
            after = k;
            auto p = decode_part(v);
            if (!p) continue;  // as the local backend: a damaged part is scrub's to report
            if (out.parts.size() == max_parts) {
                out.truncated = true;
                break;
            }
            out.parts.push_back(std::move(p->info));
        }
        if (out.truncated || !page->more || page->entries.empty()) break;
    }
    if (out.truncated && !out.parts.empty()) out.next_marker = out.parts.back().number;
    return out;
}

Result<ListUploadsResult> RadosObjectCatalog::list_uploads(std::string_view bucket, const ListUploadsParams& params) {
    auto b = load_bucket_cached(bucket);
    if (!b) return std::move(b).error();
    std::optional<Upload> marker_upload;
    if (!params.upload_id_marker.empty())
        if (auto m = read_open_upload(client_, params.upload_id_marker)) marker_upload = std::move(m->upload);
    IndexUploadWalk walk(client_, uploads_oid(bucket, b->bucket.epoch));
    auto out = list_uploads_page(walk, bucket, params, marker_upload);
    if (walk.error()) return *walk.error();
    return out;
}

}  // namespace ostor::detail::rados
