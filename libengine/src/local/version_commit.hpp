// How the local catalog's object writes land in a bucket that is or was
// versioned (docs/versioning.md, "Local: one transaction"): each call reads
// the key's current, head and the version entries the plan needs, runs the
// one plan (versions/version_plan.hpp) and writes its change, all inside the
// caller's LMDB write transaction. LMDB's single writer makes the reads and
// the writes one step: a crash leaves the previous or the next state, never
// a head that disagrees with its entries, and the versioning state read is
// the one in force. A bucket never versioned takes today's paths, reading
// nothing more.
#pragma once

#include <cstdint>
#include <string_view>

#include "local/lmdb_env.hpp"
#include "ostor/engine.hpp"
#include "records.hpp"
#include "storage/extent.hpp"
#include "write_conditions.hpp"

namespace ostor::detail {

// Makes `rec` (its extents already referenced by the caller) the current
// object of its key in `bucket` when `conditions` hold and the quotas allow:
// replacing the old current (Off), or keeping it as a version (Enabled), or
// replacing the null version (Suspended). `counted_bytes`: bytes the ledgers
// already count for this body (an upload's parts). Extents no longer
// referenced go to `freed`. Returns the new object's info, its version id
// set. Fails: PreconditionFailed, NoSuchKey (If-Match), QuotaExceeded,
// ObjectLocked, Internal (a damaged record or head).
Result<ObjectInfo> commit_object(Txn& txn, Bucket& bucket, ObjectRecord rec, const WriteConditions& conditions,
                                 std::int64_t counted_bytes, FreedExtents& freed);

// DELETE of (bucket, key): the current (a delete marker when versioned) or
// the version `options.version_id`. Fails: NoSuchKey (an unversioned bucket's
// key holding nothing), NoSuchVersion, ObjectLocked, Internal.
Result<DeleteResult> delete_version(Txn& txn, Bucket& bucket, std::string_view key, const DeleteOptions& options,
                                    FreedExtents& freed);

// Where the version `version_id` of the key lies ("" : the current, or the
// current marker), its record without its body, and whether it is the
// key's newest. Fails: NoSuchKey (nothing at all, for ""), NoSuchVersion.
struct FoundVersion {
    ObjectRecord record;
    bool in_versions = false;  // a Versions row, else the Objects row
};
Result<FoundVersion> find_version(const Txn& txn, std::string_view bucket, std::string_view key,
                                  std::string_view version_id);

// What a copy reads, with its body: the current ("") or the version named
// (ObjectCatalog::get_copy_source). Fails: NoSuchKey, NoSuchVersion,
// MethodNotAllowed (a delete marker named by its id), Internal.
Result<ObjectRecord> load_copy_source(const Txn& txn, std::string_view bucket, std::string_view key,
                                      std::string_view version_id);

}  // namespace ostor::detail
