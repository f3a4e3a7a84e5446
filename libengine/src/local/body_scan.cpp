// The local ObjectCatalog's walk for scrub: every object's and part's body,
// in bounded batches read each in a snapshot of its own.
#include "codec.hpp"
#include "local/object_catalog.hpp"
#include "local/object_index.hpp"

namespace ostor::detail {

namespace {

// Scrub holds one batch of records at a time, read in a snapshot of its own
// that ends before the batch's data is read: memory stays bounded at any
// number of objects, and no snapshot is held across disk reads (LMDB cannot
// reuse pages a live snapshot still sees, so a long one makes the file grow).
constexpr std::size_t kScrubBatchRecords = 256;
// Inline bodies are up to kInlineMaxBytes each: this bounds a batch's copy of
// them (and of the extent lists of large objects) too.
constexpr std::size_t kScrubBatchValueBytes = std::size_t{4} << 20;

// An Objects entry as scrub checks it. A record that cannot be decoded is
// named by its index key (a long key's head; the hash bytes are dropped).
StoredBody object_body(const Txn& txn, std::string_view k, std::string_view v) {
    StoredBody out;
    auto slash = k.find('/');
    std::string bucket(k.substr(0, slash));
    auto rec = decode_object(v);
    if (!rec) {
        out.name = bucket + "/" + std::string(k.substr(slash + 1).substr(0, kInlineKeyBytes));
        out.damaged_record = true;
        return out;
    }
    out.name = bucket + "/" + rec->info.key;
    if (rec->body_id != 0) {
        rec->inline_data = load_body(txn, rec->body_id);
        // A body row that is gone cannot be checked: the record is damaged.
        if (rec->inline_data.empty()) out.damaged_record = true;
    }
    // A body that is neither in extents nor in the catalog (a damaged body id)
    // cannot be served either.
    if (rec->extents.empty() && rec->inline_data.empty() && rec->info.size > 0) out.damaged_record = true;
    out.extents = std::move(rec->extents);
    out.inline_data = std::move(rec->inline_data);
    out.inline_crc = rec->inline_crc;
    return out;
}

StoredBody part_body(std::string_view k, std::string_view v) {
    StoredBody out;
    auto upload_id = k.substr(0, kUploadIdLength);
    auto rec = decode_part(v);
    std::uint32_t number = rec ? rec->info.number
                               : (k.size() == kUploadIdLength + 4 ? read_be32(k, kUploadIdLength) : 0);
    out.name = "upload " + std::string(upload_id) + " part " + std::to_string(number);
    if (!rec) {
        out.damaged_record = true;
        return out;
    }
    out.extents = std::move(rec->extents);
    return out;
}

}  // namespace

Result<void> LocalObjectCatalog::scan_bodies(const std::function<Result<void>(std::vector<StoredBody>&)>& fn) {
    // Reads `table` batch by batch, turning each entry into a body with
    // `to_body(txn, key, value)`, and hands each batch to `fn`.
    auto scan_table = [&](Table table, auto to_body) -> Result<void> {
        TableBatches batches(table, kScrubBatchRecords, kScrubBatchValueBytes);
        std::vector<StoredBody> batch;
        for (;;) {
            batch.clear();
            auto more = read([&](const Txn& txn) -> Result<bool> {
                return batches.next(txn, [&](std::string_view k, std::string_view v) {
                    batch.push_back(to_body(txn, k, v));
                });
            });
            if (!more) return std::move(more).error();
            if (!batch.empty()) OSTOR_TRY(fn(batch));
            if (!*more) return {};
        }
    };
    OSTOR_TRY(scan_table(Table::Objects, object_body));
    return scan_table(Table::Parts, [](const Txn&, std::string_view k, std::string_view v) { return part_body(k, v); });
}

Result<bool> LocalObjectCatalog::extent_referenced(const Extent& x) {
    return read([&](const Txn& txn) -> Result<bool> {
        return txn.get(Table::Extents, extent_key(x.segment, x.offset)).has_value();
    });
}

}  // namespace ostor::detail
