#include "local/version_index.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <tuple>

#include "local/object_index.hpp"
#include "versions/version_ids.hpp"

namespace ostor::detail {

namespace {

// Each NUL of a key becomes "\0\xff" (as UploadsByBucket and the RADOS
// uploads index escape keys): the "\0" ending a head then sorts before any
// longer key's bytes, so one key's versions are contiguous.
void append_escaped(std::string& out, std::string_view s) {
    for (char c : s) {
        out.push_back(c);
        if (c == '\0') out.push_back('\xff');
    }
}

std::string version_key_head(std::string_view key) {
    std::string head;
    append_escaped(head, key);
    if (head.size() < kVersionKeyHeadBytes) return head;
    // Never between "\0" and its "\xff": a head ending in a bare "\0" is
    // what a shorter key's prefix ends with, so this key's versions would sort
    // among that key's and end its scans (newest_versions) before its own.
    const std::size_t cut = head[kVersionKeyHeadBytes - 1] == '\0' ? kVersionKeyHeadBytes + 1 : kVersionKeyHeadBytes;
    head.resize(cut);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(key.data(), key.size(), digest, &len, EVP_sha256(), nullptr);
    append_escaped(head, std::string_view(reinterpret_cast<char*>(digest), kKeyHashBytes));
    return head;
}

Result<ObjectRecord> decode_version(std::string_view value, std::string_view bucket, std::string_view key) {
    auto rec = decode_object(value, false);
    if (!rec)
        return Error(Errc::Internal, "a version record of object " + std::string(key) + " in bucket " +
                                         std::string(bucket) + " is damaged");
    rec->info.bucket = bucket;
    return std::move(*rec);
}

}  // namespace

std::string versions_prefix(std::string_view bucket, std::string_view key) {
    std::string out = bucket_index_prefix(bucket);
    out += version_key_head(key);
    out.push_back('\0');
    return out;
}

std::string versions_key(std::string_view bucket, std::string_view key, std::string_view instance) {
    return versions_prefix(bucket, key) + std::string(instance);
}

Result<std::optional<VersionHead>> load_version_head(const Txn& txn, std::string_view bucket, std::string_view key) {
    auto v = txn.get(Table::VersionHeads, object_index_key(bucket, key));
    if (!v) return std::optional<VersionHead>();
    auto head = decode_version_head(*v);
    if (!head) return Error(Errc::Internal, "the version head of object " + std::string(key) + " is damaged");
    return std::optional<VersionHead>(std::move(*head));
}

void store_version_head(Txn& txn, std::string_view bucket, std::string_view key, const VersionHead& head) {
    txn.put(Table::VersionHeads, object_index_key(bucket, key), encode(head));
}

void erase_version_head(Txn& txn, std::string_view bucket, std::string_view key) {
    txn.del(Table::VersionHeads, object_index_key(bucket, key));
}

Result<std::optional<ObjectRecord>> load_version(const Txn& txn, std::string_view bucket, std::string_view key,
                                                 std::string_view instance) {
    if (!is_instance(instance)) return std::optional<ObjectRecord>();
    auto v = txn.get(Table::Versions, versions_key(bucket, key, instance));
    if (!v) return std::optional<ObjectRecord>();
    auto rec = decode_version(*v, bucket, key);
    if (!rec) return std::move(rec).error();
    // A cut head is shared only by a hash collision: the record says whose it is.
    if (rec->info.key != key) return std::optional<ObjectRecord>();
    return std::optional<ObjectRecord>(std::move(*rec));
}

Result<std::vector<ObjectRecord>> newest_versions(const Txn& txn, std::string_view bucket, std::string_view key,
                                                  std::size_t max) {
    std::vector<ObjectRecord> out;
    const std::string prefix = versions_prefix(bucket, key);
    auto cur = txn.cursor(Table::Versions);
    // An entry whose tail is not exactly an instance belongs to a longer key
    // (escaped "\0\xff..."): the key's own versions end there.
    for (auto e = cur.seek(prefix);
         e && out.size() < max && e->first.starts_with(prefix) && is_instance(e->first.substr(prefix.size()));
         e = cur.next()) {
        auto rec = decode_version(e->second, bucket, key);
        if (!rec) return std::move(rec).error();
        if (rec->info.key == key) out.push_back(std::move(*rec));
    }
    return out;
}

bool bucket_has_versions(const Txn& txn, std::string_view bucket) {
    const std::string prefix = bucket_index_prefix(bucket);
    for (Table t : {Table::Versions, Table::VersionHeads}) {
        auto cur = txn.cursor(t);
        auto e = cur.seek(prefix);
        if (e && e->first.starts_with(prefix)) return true;
    }
    return false;
}

VersionScan::VersionScan(const Txn& txn, std::string_view bucket)
    : cursor_(txn.cursor(Table::Versions)), prefix_(bucket_index_prefix(bucket)) {}

namespace {

// The length of a cut head's shared part (as version_key_head cuts).
std::size_t cut_head_bytes(std::string_view head) {
    return head[kVersionKeyHeadBytes - 1] == '\0' ? kVersionKeyHeadBytes + 1 : kVersionKeyHeadBytes;
}

}  // namespace

void VersionScan::seek(std::string_view key, std::string_view after_instance) {
    key_ = key;
    after_ = after_instance;
    ready_.clear();
    std::string start = prefix_;
    const std::string head = version_key_head(key);
    if (head.size() >= kVersionKeyHeadBytes) {
        // A cut head's key may sit anywhere in its group: begin at the group.
        start.append(head, 0, cut_head_bytes(head));
    } else {
        start += head;
        if (!after_instance.empty()) {
            start.push_back('\0');
            start += after_instance;
        }
    }
    pending_ = cursor_.seek(start);
    positioned_ = true;
}

void VersionScan::take(std::string_view k, std::string_view value, std::vector<ListedVersion>& into) const {
    auto rec = decode_object(value, false);
    if (!rec) return;  // as ObjectScan: a damaged record is not listed
    std::string instance(k.substr(k.size() - kInstanceChars));
    if (std::tie(rec->info.key, instance) <= std::tie(key_, after_)) return;
    into.push_back(ListedVersion{std::move(rec->info), std::move(instance)});
}

void VersionScan::fill() {
    if (!positioned_) seek({}, {});
    std::vector<ListedVersion> group;
    while (ready_.empty()) {
        if (!pending_ || !pending_->first.starts_with(prefix_)) return;
        const std::string_view k = pending_->first;
        // "bucket/" + head + "\0" + instance
        if (k.size() < prefix_.size() + 1 + kInstanceChars) {
            pending_ = cursor_.next();
            continue;
        }
        const std::string_view head = k.substr(prefix_.size(), k.size() - prefix_.size() - 1 - kInstanceChars);
        group.clear();
        if (head.size() < kVersionKeyHeadBytes) {
            take(k, pending_->second, group);
            pending_ = cursor_.next();
        } else {
            // Keys sharing a cut head: their entries interleave by hash.
            const std::string shared(k.substr(0, prefix_.size() + cut_head_bytes(head)));
            while (pending_ && pending_->first.starts_with(shared)) {
                take(pending_->first, pending_->second, group);
                pending_ = cursor_.next();
            }
            std::sort(group.begin(), group.end(), [](const ListedVersion& a, const ListedVersion& b) {
                return std::tie(a.info.key, a.instance) < std::tie(b.info.key, b.instance);
            });
        }
        for (auto& e : group) ready_.push_back(std::move(e));
    }
}

std::optional<ListedVersion> VersionScan::next() {
    fill();
    if (ready_.empty()) return std::nullopt;
    ListedVersion e = std::move(ready_.front());
    ready_.pop_front();
    return e;
}

}  // namespace ostor::detail
