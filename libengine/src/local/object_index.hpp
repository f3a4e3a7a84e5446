// Object keys in the Objects and UploadsByBucket tables, the records of
// objects and uploads inside a metadata transaction, and the walks over them
// that listings and scrub make.
//
// LMDB keys are at most 511 bytes, S3 keys up to 1024. A key shorter than
// kInlineKeyBytes is stored as "bucket/key"; a longer one as "bucket/" + its
// first kInlineKeyBytes bytes + kKeyHashBytes bytes of its SHA-256. Short keys
// and groups of long keys sharing a head still sort in true key order; within
// such a group (rare) the scans sort by the full key, kept in the record.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine_impl.hpp"
#include "listing.hpp"
#include "local/lmdb_env.hpp"
#include "records.hpp"

namespace ostor::detail {

constexpr std::size_t kInlineKeyBytes = 400;
constexpr std::size_t kKeyHashBytes = 16;

// The Objects-table key of (bucket, key): "bucket/key", with keys too long
// for LMDB cut and suffixed by a hash of the whole key.
std::string object_index_key(std::string_view bucket, std::string_view key);
std::string bucket_index_prefix(std::string_view bucket);
// The object or NoSuchKey. Fails: Internal (a damaged record, a missing body).
Result<ObjectRecord> load_object(const Txn& txn, std::string_view bucket, std::string_view key);
// The object's record without its body row (body_id kept; inline_data empty,
// except in a version 1 record, which holds its body itself): all
// that deleting or replacing it needs, so an object whose body row is missing
// can still be deleted. Fails: NoSuchKey, Internal (a damaged record).
Result<ObjectRecord> load_object_record(const Txn& txn, std::string_view bucket, std::string_view key);
// The object a write would replace (its record, as load_object_record reads
// it), or none. Only NoSuchKey means none: any other failure is returned, so
// a record that cannot be read is never replaced as if absent (its extents and
// body would leak and the bucket's counts would drift).
Result<std::optional<ObjectRecord>> load_replaced_object(const Txn& txn, std::string_view bucket, std::string_view key);

// Writes `rec` as the object (bucket, key), replacing `old` (the object stored
// there now, as load_replaced_object found it, or none): the new body goes to
// a new Bodies row, the old one's row is deleted. Fails: Internal (the Bodies
// table holds a key that is no body id; nothing is written).
[[nodiscard]] Result<void> store_object(Txn& txn, std::string_view bucket, std::string_view key, ObjectRecord rec,
                                        const ObjectRecord* old);
// Gives a record read with its body inside (version 1, body_id 0) a Bodies
// row of that body, before it is encoded again: encode() writes version 2,
// which keeps only the body's id. Does nothing to any other record. Fails:
// Internal (as store_object).
[[nodiscard]] Result<void> move_body_to_row(Txn& txn, ObjectRecord& rec);
// Deletes the Bodies row of a record that is gone (a freed version).
void erase_body(Txn& txn, std::uint64_t body_id);
// Deletes the object `old` (as load_object_record found it) and its body.
void erase_object(Txn& txn, std::string_view bucket, std::string_view key, const ObjectRecord& old);
// The body of a version 2 record (scrub reads records without load_object).
// Empty when there is none.
std::string load_body(const Txn& txn, std::uint64_t body_id);

// Walks a bucket's objects in key order from the first key >= `start`.
class ObjectScan final : public ObjectWalk {
public:
    ObjectScan(const Txn& txn, std::string_view bucket);
    // Repositions at the first key >= `start`.
    void seek(std::string_view start) override;
    std::optional<ObjectInfo> next() override;
    std::optional<ListedVersion> next_entry() override;

private:
    void fill();
    Cursor cursor_;
    std::string prefix_;
    std::string start_;
    Cursor::Entry pending_;
    bool positioned_ = false;
    std::deque<ObjectRecord> ready_;
};

// The UploadsByBucket key of an upload: its object index key, "\0", be64
// initiation time, upload id. Uploads of one key therefore sort in the order
// they were begun (ids start with a volume-wide sequence number, for uploads
// begun in the same millisecond).
std::string upload_index_key(const Upload& upload);

// ---- Multipart uploads
constexpr std::size_t kUploadIdLength = 32;  // hex digits
// UploadsByBucket keys end with the upload id.
inline std::string_view upload_id_of_index_key(std::string_view k) { return k.substr(k.size() - kUploadIdLength); }
// Fails: NoSuchUpload, Internal (a damaged record).
Result<Upload> load_upload(const Txn& txn, std::string_view upload_id);
std::string part_key(std::string_view upload_id, std::uint32_t number);
// Removes an upload and its parts inside `txn`, accounting the freed bytes.
void drop_upload(Txn& txn, const Upload& upload, std::vector<Extent>& freed);

// Walks a bucket's multipart uploads in S3's order (by key, then in the order
// they were begun) straight from the UploadsByBucket index: a page costs its
// own length (plus the uploads of the marker's key, and of keys that extend
// it with a NUL, begun before the marker), not the number of uploads in the
// bucket.
class UploadScan final : public UploadWalk {
public:
    UploadScan(const Txn& txn, std::string_view bucket);
    // Repositions at the first upload whose key is >= `key`, or > `key` when
    // `after_key`.
    void seek_key(std::string_view key, bool after_key) override;
    // Repositions just after `upload` (an upload of this bucket).
    void seek_after(const Upload& upload) override;
    std::optional<Upload> next() override;

private:
    enum class Bound { KeyAtLeast, KeyAfter, AfterUpload };
    void position(std::string index_start);
    // What every index key in the group of `key_index` (an entry's key
    // without its tail) starts with.
    std::string group_head(std::string_view key_index) const;
    bool passes(const Upload& u) const;
    void fill();

    const Txn& txn_;
    Cursor cursor_;
    std::string prefix_;
    Bound bound_ = Bound::KeyAtLeast;
    std::string bound_key_;
    TimestampMs bound_ms_ = 0;
    std::string bound_id_;
    Cursor::Entry pending_;
    bool positioned_ = false;
    std::deque<Upload> ready_;
    std::string group_;         // group_head() of the group being read, or empty
    std::vector<Upload> held_;  // its uploads of other keys than its own
};

// Reads a whole table in key order, one bounded batch per read transaction:
// a caller that works between batches (scrub reads extents) holds neither a
// snapshot nor more than one batch of records, whatever the table's size.
// Each batch continues after the last key of the one before, so entries
// added or removed meanwhile are seen as the batch's snapshot has them.
// Given bounds, only the keys in [start, end) are read (no end: to the last).
class TableBatches {
public:
    TableBatches(Table table, std::size_t max_entries, std::size_t max_value_bytes, std::string start = {},
                 std::optional<std::string> end = std::nullopt)
        : table_(table),
          max_entries_(max_entries),
          max_value_bytes_(max_value_bytes),
          start_(std::move(start)),
          end_(std::move(end)) {}

    // Hands the next batch's entries to `fn(key, value)` (views valid only
    // during the call): at most max_entries, and no more once their values
    // reach max_value_bytes (at least one). False once the range is done.
    template <class Fn>
    bool next(const Txn& txn, Fn&& fn) {
        if (done_) return false;
        auto cur = txn.cursor(table_);
        // The smallest key greater than the last one read is that key + "\0".
        auto e = started_ ? cur.seek(last_key_ + std::string(1, '\0')) : cur.seek(start_);
        started_ = true;
        auto in_range = [&] { return e && (!end_ || e->first < *end_); };
        std::size_t entries = 0, bytes = 0;
        for (; in_range() && entries < max_entries_ && bytes < max_value_bytes_; e = cur.next()) {
            fn(e->first, e->second);
            ++entries;
            bytes += e->second.size();
            last_key_.assign(e->first);
        }
        if (!in_range()) done_ = true;
        return entries > 0;
    }

    // Moves the range's end (between batches).
    void set_end(std::optional<std::string> end) { end_ = std::move(end); }

private:
    Table table_;
    std::size_t max_entries_;
    std::size_t max_value_bytes_;
    std::string start_;
    std::optional<std::string> end_;
    std::string last_key_;
    bool started_ = false;
    bool done_ = false;
};

// A key between `low` and `high` (low < key < high), interpolated as if
// keys were fractions written in base 256: about halfway from one to the
// other in the 8 bytes after their common head. None when they are too
// close (e.g. "a" and "a\0").
std::optional<std::string> key_between(std::string_view low, std::string_view high);
// How far apart `low` and `high` are, as base-256 fractions (0 to 1; 0 when
// low >= high): comparable between any two pairs of keys.
double key_span(std::string_view low, std::string_view high);

}  // namespace ostor::detail
