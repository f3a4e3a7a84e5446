#include "local/version_index.hpp"

#include <openssl/evp.h>

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

}  // namespace ostor::detail
