#include "local/object_index.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "codec.hpp"

namespace ostor::detail {

namespace {

// An UploadsByBucket key ends with "\0", be64 initiation time, upload id.
constexpr std::size_t kUploadIndexTailBytes = 1 + 8 + kUploadIdLength;

std::string key_hash(std::string_view key) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(key.data(), key.size(), digest, &len, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(digest), kKeyHashBytes);
}

}  // namespace

std::string bucket_index_prefix(std::string_view bucket) { return std::string(bucket) + "/"; }

std::string object_index_key(std::string_view bucket, std::string_view key) {
    std::string out = bucket_index_prefix(bucket);
    if (key.size() < kInlineKeyBytes) {
        out.append(key);
    } else {
        out.append(key.substr(0, kInlineKeyBytes));
        out.append(key_hash(key));
    }
    return out;
}

namespace {

std::string body_key(std::uint64_t body_id) {
    std::string k;
    append_be64(k, body_id);
    return k;
}

// Ids rise, so new bodies are appended at the right edge of the Bodies table:
// a commit's bodies share its last pages instead of each dirtying a page of
// the object index (an id freed at the very end may be used again: its row
// is gone by then). They are written with Txn::append, which leaves full
// pages behind it: a plain put splits the last page in the middle, leaving
// every page of the table half empty (at 10 M objects of 1 KiB, the
// metadata file outgrew the machine's memory by that alone).
// A last key of another length is not one this engine wrote: guessing an id
// could overwrite a live body, so the write fails instead.
Result<std::uint64_t> next_body_id(const Txn& txn) {
    auto cur = txn.cursor(Table::Bodies);
    auto last = cur.last();
    if (!last) return std::uint64_t{1};
    if (last->first.size() != sizeof(std::uint64_t))
        return Error(Errc::Internal, "the bodies table ends with a key of " + std::to_string(last->first.size()) +
                                         " bytes, not an 8-byte body id: no new body id can be chosen");
    return read_be64(last->first) + 1;
}

}  // namespace

namespace {

// A body row: a value larger than a page lies in pages of its own, read one
// at a time as the copy reaches them (the store reads no pages ahead,
// lmdb_env.cpp); asking for all of them first reads them at once.
std::optional<std::string_view> get_body(const Txn& txn, std::uint64_t body_id) {
    auto v = txn.get(Table::Bodies, body_key(body_id));
    if (v) prefetch_value(*v);
    return v;
}

}  // namespace

std::string load_body(const Txn& txn, std::uint64_t body_id) {
    if (body_id == 0) return {};
    auto v = get_body(txn, body_id);
    return v ? std::string(*v) : std::string();
}

Result<ObjectRecord> load_object_record(const Txn& txn, std::string_view bucket, std::string_view key) {
    auto v = txn.get(Table::Objects, object_index_key(bucket, key));
    if (!v) return Error(Errc::NoSuchKey, "no object " + std::string(key) + " in bucket " + std::string(bucket));
    auto rec = decode_object(*v);
    if (!rec)
        return Error(Errc::Internal, "the record of object " + std::string(key) + " in bucket " + std::string(bucket) +
                                         " is damaged or of a version this engine cannot read");
    if (rec->info.key != key) return Error(Errc::NoSuchKey, "no object " + std::string(key));
    rec->info.bucket = bucket;
    return std::move(*rec);
}

Result<ObjectRecord> load_object(const Txn& txn, std::string_view bucket, std::string_view key) {
    auto rec = load_object_record(txn, bucket, key);
    if (!rec) return rec;
    if (rec->body_id != 0) {
        auto body = get_body(txn, rec->body_id);
        if (!body) return Error(Errc::Internal, "the body of object " + std::string(key) + " is missing");
        rec->inline_data = *body;
    }
    return rec;
}

Result<std::optional<ObjectRecord>> load_replaced_object(const Txn& txn, std::string_view bucket,
                                                         std::string_view key) {
    auto rec = load_object_record(txn, bucket, key);
    if (rec) return std::optional<ObjectRecord>(std::move(*rec));
    if (rec.error().code() == Errc::NoSuchKey) return std::optional<ObjectRecord>();
    return std::move(rec).error();
}

Result<void> store_object(Txn& txn, std::string_view bucket, std::string_view key, ObjectRecord rec,
                          const ObjectRecord* old) {
    if (old && old->body_id != 0) txn.del(Table::Bodies, body_key(old->body_id));
    rec.body_id = 0;
    OSTOR_TRY(move_body_to_row(txn, rec));
    txn.put(Table::Objects, object_index_key(bucket, key), encode(rec));
    return {};
}

Result<void> move_body_to_row(Txn& txn, ObjectRecord& rec) {
    if (rec.body_id != 0 || rec.inline_data.empty()) return {};
    auto id = next_body_id(txn);
    if (!id) return std::move(id).error();
    rec.body_id = *id;
    txn.append(Table::Bodies, body_key(rec.body_id), rec.inline_data);
    return {};
}

void erase_body(Txn& txn, std::uint64_t body_id) {
    if (body_id != 0) txn.del(Table::Bodies, body_key(body_id));
}

void erase_object(Txn& txn, std::string_view bucket, std::string_view key, const ObjectRecord& old) {
    if (old.body_id != 0) txn.del(Table::Bodies, body_key(old.body_id));
    txn.del(Table::Objects, object_index_key(bucket, key));
}

ObjectScan::ObjectScan(const Txn& txn, std::string_view bucket)
    : cursor_(txn.cursor(Table::Objects)), prefix_(bucket_index_prefix(bucket)) {}

void ObjectScan::seek(std::string_view start) {
    start_ = start;
    ready_.clear();
    // A long start key may sit anywhere in its group: begin at the group.
    pending_ = cursor_.seek(prefix_ + std::string(start.substr(0, kInlineKeyBytes)));
    positioned_ = true;
}

void ObjectScan::fill() {
    if (!positioned_) seek({});
    while (ready_.empty()) {
        if (!pending_ || pending_->first.substr(0, prefix_.size()) != prefix_) return;
        auto index_key = pending_->first;
        bool long_group = index_key.size() == prefix_.size() + kInlineKeyBytes + kKeyHashBytes;
        std::vector<ObjectRecord> group;
        if (auto rec = decode_object(pending_->second, false)) group.push_back(std::move(*rec));
        pending_ = cursor_.next();
        if (long_group) {
            auto head = index_key.substr(0, prefix_.size() + kInlineKeyBytes);
            while (pending_ && pending_->first.size() == index_key.size() &&
                   pending_->first.substr(0, head.size()) == head) {
                if (auto rec = decode_object(pending_->second, false)) group.push_back(std::move(*rec));
                pending_ = cursor_.next();
            }
            std::sort(group.begin(), group.end(),
                      [](const ObjectRecord& a, const ObjectRecord& b) { return a.info.key < b.info.key; });
        }
        for (auto& rec : group)
            if (rec.info.key >= start_) ready_.push_back(std::move(rec));
    }
}

std::optional<ObjectInfo> ObjectScan::next() {
    auto e = next_entry();
    if (!e) return std::nullopt;
    return std::move(e->info);
}

std::optional<ListedVersion> ObjectScan::next_entry() {
    fill();
    if (ready_.empty()) return std::nullopt;
    ListedVersion e{std::move(ready_.front().info), std::move(ready_.front().instance)};
    ready_.pop_front();
    return e;
}

std::string upload_index_key(const Upload& u) {
    std::string k = object_index_key(u.bucket, u.key);
    k.push_back('\0');
    append_be64(k, static_cast<std::uint64_t>(u.initiated_ms));
    k.append(u.id);
    return k;
}

UploadScan::UploadScan(const Txn& txn, std::string_view bucket)
    : txn_(txn), cursor_(txn.cursor(Table::UploadsByBucket)), prefix_(bucket_index_prefix(bucket)) {}

void UploadScan::position(std::string index_start) {
    ready_.clear();
    group_.clear();
    held_.clear();
    pending_ = cursor_.seek(index_start);
    positioned_ = true;
}

namespace {

// Where the group holding `key`'s uploads begins (relative to the bucket's
// prefix): the key's index head cut at its first NUL. Every key >= `key` has
// its entries at or after it; the scan's bound skips the rest of the group.
std::string_view group_start(std::string_view key) {
    auto head = key.substr(0, kInlineKeyBytes);
    return head.substr(0, head.find('\0'));
}

}  // namespace

void UploadScan::seek_key(std::string_view key, bool after_key) {
    bound_ = after_key ? Bound::KeyAfter : Bound::KeyAtLeast;
    bound_key_ = key;
    position(prefix_ + std::string(group_start(key)));
}

void UploadScan::seek_after(const Upload& upload) {
    bound_ = Bound::AfterUpload;
    bound_key_ = upload.key;
    bound_ms_ = upload.initiated_ms;
    bound_id_ = upload.id;
    position(prefix_ + std::string(group_start(upload.key)));
}

bool UploadScan::passes(const Upload& u) const {
    int c = u.key.compare(bound_key_);
    if (c != 0) return c > 0;
    switch (bound_) {
        case Bound::KeyAtLeast:
            return true;
        case Bound::KeyAfter:
            return false;
        case Bound::AfterUpload:
            return std::tie(u.initiated_ms, u.id) > std::tie(bound_ms_, bound_id_);
    }
    return false;
}

// Upload index keys sort in S3's order only group by group. An upload of key
// K is "K\0" + be64 time + id, so the entries of a key K\0x (S3 keys may hold
// NUL) interleave with K's by the bytes of their times; and a long group's
// keys are ordered by hash. A group is every entry starting with the returned
// head: the inline part cut after its first NUL (a key K without NUL and all
// its K\0... keys share "K\0"), else a long key's 400-byte head. Groups hold
// disjoint key ranges in the same order as their heads, so sorting each group
// gives S3's order.
std::string UploadScan::group_head(std::string_view key_index) const {
    auto inline_part = key_index.substr(prefix_.size());
    bool long_key = inline_part.size() == kInlineKeyBytes + kKeyHashBytes;
    auto head = long_key ? inline_part.substr(0, kInlineKeyBytes) : inline_part;
    auto nul = head.find('\0');
    if (nul != std::string_view::npos) return std::string(key_index.substr(0, prefix_.size() + nul + 1));
    if (long_key) return std::string(key_index.substr(0, prefix_.size() + kInlineKeyBytes));
    return std::string(key_index) + '\0';
}

void UploadScan::fill() {
    if (!positioned_) seek_key({}, false);
    auto key_index_of = [&](std::string_view k) { return k.substr(0, k.size() - kUploadIndexTailBytes); };
    auto in_bucket = [&](const Cursor::Entry& e) {
        return e && e->first.size() >= prefix_.size() + kUploadIndexTailBytes &&
               e->first.substr(0, prefix_.size()) == prefix_;
    };
    // A group "K\0" streams K's own uploads one entry at a time (they sort
    // first, in the order begun, and a key may have very many); only the
    // group's other keys (holding NUL, or long) are held until it ends.
    while (ready_.empty()) {
        if (in_bucket(pending_) && !group_.empty() && pending_->first.starts_with(group_)) {
            auto u = load_upload(txn_, upload_id_of_index_key(pending_->first));
            bool own = key_index_of(pending_->first).size() + 1 == group_.size() && group_.back() == '\0';
            pending_ = cursor_.next();
            if (!u) continue;
            if (!own)
                held_.push_back(std::move(*u));
            else if (passes(*u))
                ready_.push_back(std::move(*u));
            continue;
        }
        group_.clear();
        if (!held_.empty()) {
            std::sort(held_.begin(), held_.end(), [](const Upload& a, const Upload& b) {
                return std::tie(a.key, a.initiated_ms, a.id) < std::tie(b.key, b.initiated_ms, b.id);
            });
            for (auto& u : held_)
                if (passes(u)) ready_.push_back(std::move(u));
            held_.clear();
            continue;
        }
        if (!in_bucket(pending_)) return;
        group_ = group_head(key_index_of(pending_->first));
    }
}

std::optional<Upload> UploadScan::next() {
    fill();
    if (ready_.empty()) return std::nullopt;
    Upload u = std::move(ready_.front());
    ready_.pop_front();
    return u;
}

namespace {

// The 8 bytes of `key` after its first `head` bytes, as a number (a short
// key padded with zero bytes).
std::uint64_t eight_bytes_after(std::string_view key, std::size_t head) {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < 8; ++i)
        n = n << 8 | (head + i < key.size() ? static_cast<unsigned char>(key[head + i]) : 0u);
    return n;
}

std::size_t common_head(std::string_view a, std::string_view b) {
    std::size_t head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
    return head;
}

}  // namespace

std::optional<std::string> key_between(std::string_view low, std::string_view high) {
    if (low >= high) return std::nullopt;
    std::size_t head = common_head(low, high);
    std::uint64_t from = eight_bytes_after(low, head), to = eight_bytes_after(high, head);
    std::uint64_t mid = from + (to - from) / 2;
    std::string key(low.substr(0, head));
    for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(mid >> shift & 0xff));
    while (key.size() > head + 1 && key.back() == '\0') key.pop_back();
    if (key > low && key < high) return key;
    return std::nullopt;
}

double key_span(std::string_view low, std::string_view high) {
    if (low >= high) return 0;
    std::size_t head = common_head(low, high);
    double span = static_cast<double>(eight_bytes_after(high, head) - eight_bytes_after(low, head));
    return std::ldexp(span, -8 * static_cast<int>(std::min<std::size_t>(head, 120)) - 64);
}

}  // namespace ostor::detail
