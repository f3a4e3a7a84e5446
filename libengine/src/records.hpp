// The encodings of the records kept in LMDB. Each starts with a version byte
// so that later releases can read what earlier ones wrote.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ostor/types.hpp"
#include "storage/extent.hpp"

namespace ostor::detail {

// What one commit of an object record added to its owner's and bucket's
// space ledgers, under the commit's token (the RADOS object index's: see
// rados/object_index.hpp; the local backend never sets it).
struct CommitCharge {
    std::uint64_t token = 0;
    std::int64_t delta_bytes = 0;
    std::int64_t delta_objects = 0;
    // Its move of the bucket's lock summary (LockSummaryChange), made with
    // the counts by whichever change settles the commit: its writer's, or a
    // later commit's carrying it as `replaced` (whose marker then skips the
    // writer's settle whole).
    std::int64_t lock_until_ms = 0;
    std::int64_t lock_holds_delta = 0;
    bool operator==(const CommitCharge&) const = default;
};

// An object as stored: its info plus where its bytes are.
struct ObjectRecord {
    ObjectInfo info;              // bucket is not stored (it is in the key)
    std::vector<Extent> extents;  // in body order
    // Small objects keep their bytes in the metadata (no extents): one sync
    // fewer per PUT and no block per object in a segment. Records of version
    // 1 hold them in the record itself; version 2 in the Bodies table under
    // `body_id` (0: none), so that the records in the object index stay small
    // and a leaf page holds many keys (load_object fills inline_data).
    std::string inline_data;
    std::uint32_t inline_crc = 0;  // CRC32C of inline_data
    std::uint64_t body_id = 0;
    // RADOS only: this record's own commit, and the one it replaced (one
    // step back), so that an adopter can settle a dead writer's reservation
    // (rados/space_ledger.hpp, "Reconciliation"). Encoded after body_id
    // when set: readers that stop at body_id ignore them.
    std::optional<CommitCharge> charge;
    std::optional<CommitCharge> replaced_charge;
    // The version (docs/versioning.md, "Records"): its instance (24 hex
    // digits; empty for an object written unversioned that never moved into
    // its key's versions) and whether it is the null version. With
    // info.delete_marker and info.lock, encoded behind tail flag bits (16:
    // version block, 32: lock block) so that records written before decode as
    // unversioned and unlocked. decode_object sets info.version_id from them.
    std::string instance;
    bool null_version = false;
};

// The id clients see of a record's version: "null", the instance, or empty
// for an object written unversioned (a current without a version block).
std::string version_id_of(const ObjectRecord& o);

// Per key, once it has had a versioned write and while it has any version
// (docs/versioning.md, "The data model").
struct VersionHead {
    std::string newest;  // the newest version's instance (the current's, or a marker's)
    bool newest_is_marker = false;
    std::string null_instance;  // the null version's instance when it is among the versions; empty otherwise
    bool operator==(const VersionHead&) const = default;
};

struct PartRecord {
    PartInfo info;
    std::vector<Extent> extents;
};

struct ReservationRecord {
    std::string user_id;
    std::string bucket;
    std::uint64_t bytes = 0;
};

std::string encode(const User& u);
std::optional<User> decode_user(std::string_view v);
std::string encode(const KeyPair& k);
std::optional<KeyPair> decode_key(std::string_view v);
std::string encode(const Account& a);
std::optional<Account> decode_account(std::string_view v);
std::string encode(const Bucket& b);
std::optional<Bucket> decode_bucket(std::string_view v);
std::string encode(const ObjectRecord& o);
// `with_data` false skips copying inline data (listings). A version 2
// record's body is not in it: load_object reads it from the Bodies table.
std::optional<ObjectRecord> decode_object(std::string_view v, bool with_data = true);
std::string encode(const VersionHead& h);
std::optional<VersionHead> decode_version_head(std::string_view v);
std::string encode(const Upload& u);
std::optional<Upload> decode_upload(std::string_view v);
std::string encode(const PartRecord& p);
std::optional<PartRecord> decode_part(std::string_view v);
std::string encode(const Limits& l);
std::optional<Limits> decode_limits(std::string_view v);
std::string encode(const UserUsage& u);
std::optional<UserUsage> decode_user_usage(std::string_view v);
std::string encode(const ReservationRecord& r);
std::optional<ReservationRecord> decode_reservation(std::string_view v);

}  // namespace ostor::detail
