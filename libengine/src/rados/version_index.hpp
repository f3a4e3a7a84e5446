// A key's versions in a RADOS index shard (docs/versioning.md, "RADOS: one
// read, one guarded write"): reading what the key holds (its current, head
// and the version entries a plan needs) in one omap read of its shard, and
// turning the plan's change (versions/version_plan.hpp) into one WriteOp on
// that shard, guarded on everything it read and changes. Any change of a
// key's newest version changes its head, so two writers racing on one key
// always conflict on h<key>; the loser reads again and plans again.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ostor/error.hpp"
#include "rados/client.hpp"
#include "rados/object_index.hpp"
#include "rados/write_op.hpp"
#include "records.hpp"
#include "storage/extent.hpp"
#include "versions/version_plan.hpp"

namespace ostor::detail::rados {

// What one key holds, as one read of its shard saw it. Entries keep their
// stored values (what the write guards on); their records hold their inline
// bodies (inline_data) when asked for and stored.
struct KeyState {
    std::optional<IndexEntry> current;
    std::string stored_head;  // h<key> as read, "" for none
    std::optional<VersionHead> head;
    std::vector<IndexEntry> versions;  // each once: the newest ones, the named one, the null one
};

struct KeyStateWants {
    std::size_t newest = 0;     // the key's newest version entries (a removal's promotion)
    std::string named;          // an instance named by id, if any
    bool null_version = false;  // the null version among the versions, when the head names it (Suspended)
    bool bodies = false;        // inline bodies of the current and the version entries read
};

// One read of the key's shard `oid`, and a second only when the head names a
// null version not read yet, or a version entry's inline body is wanted.
// Fails: kNotFound (the shard is gone: its bucket was deleted),
// kCompareFailed (the key changed between the two reads: read again),
// Internal (a damaged record or head), IoError.
Result<KeyState> read_key_state(Client& client, const std::string& oid, std::string_view bucket, std::string_view key,
                                const KeyStateWants& wants);

// The plan's input entries of `state`, under kCurrentHandle and index + 1, with
// the clock margin of RADOS (kMaxClockSkew).
PlanInput plan_input_of(const Bucket& bucket, VersionOp op, const KeyState& state);

// The write of a plan's change on the key's shard: guarded on `closed`
// absent, o<key> and h<key> as read, every version entry it removes as read
// and every one it adds absent. `created`: the record the operation itself
// writes (the PUT's, charges set; a marker), its body in inline_data.
// Fills `written` with the stored value of that record's entry (o<key>, or
// a marker's v entry: the proof of an unknown outcome) and `freed` with the
// extents of the records the change frees. Fails: Internal (the change
// names an entry the state lacks, or a promoted version's body is missing).
struct ChangeWrite {
    WriteOp op;
    std::string written_key;
    std::string written_value;
    std::vector<Extent> freed;
    ObjectInfo info;  // the created record's, version id set (a PUT's answer)
};
Result<ChangeWrite> change_write(std::string_view key, const KeyState& state, const VersionChange& change,
                                 const ObjectRecord& created);

// Where a version of a key lies: "" the current (or the marker that is the
// key's newest), "null", or an instance. Its record (is_latest set), with
// its inline body when `with_body`. One read, two for "null" among the
// versions. Fails: NoSuchKey (nothing for ""), NoSuchVersion, Internal,
// IoError.
struct FoundVersion {
    IndexEntry entry;
    bool in_versions = false;
};
Result<FoundVersion> find_version(Client& client, const std::string& oid, std::string_view bucket, std::string_view key,
                                  std::string_view version_id, bool with_body);

// Every version entry (v) of shard `oid` to fn(omap key, stored record), a
// page of `page_entries` at a time, in no key order across shards (the
// recount's sum, scrub). A shard that is gone has none. Stops at fn's
// failure. Fails: IoError.
Result<void> for_each_version_entry(Client& client, const std::string& oid, std::uint32_t page_entries,
                                    const std::function<Result<void>(const std::string&, const std::string&)>& fn);

}  // namespace ostor::detail::rados
