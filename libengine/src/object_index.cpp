#include "object_index.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <vector>

namespace ostor::detail {

namespace {

constexpr std::size_t kKeyHashBytes = 16;

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

Result<ObjectRecord> load_object(const Txn& txn, std::string_view bucket, std::string_view key) {
    auto v = txn.get(Table::Objects, object_index_key(bucket, key));
    if (!v) return Error(Errc::NoSuchKey, "no object " + std::string(key) + " in bucket " + std::string(bucket));
    auto rec = decode_object(*v);
    if (!rec) return Error(Errc::Internal, "damaged object record");
    if (rec->info.key != key) return Error(Errc::NoSuchKey, "no object " + std::string(key));
    rec->info.bucket = bucket;
    return std::move(*rec);
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
            while (pending_ && pending_->first.size() == index_key.size() && pending_->first.substr(0, head.size()) == head) {
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

std::optional<ObjectRecord> ObjectScan::next() {
    fill();
    if (ready_.empty()) return std::nullopt;
    ObjectRecord rec = std::move(ready_.front());
    ready_.pop_front();
    return rec;
}

}  // namespace ostor::detail
