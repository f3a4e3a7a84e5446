// Conditional writes (If-None-Match: *, If-Match), for every backend: checked
// inside the change that replaces the object, against what it replaces.
#pragma once

#include <optional>

#include "ostor/engine.hpp"
#include "ostor/error.hpp"
#include "records.hpp"

namespace ostor::detail {

// Checks a conditional write against the object it would replace (`current`,
// none when the key is free). Fails: PreconditionFailed, NoSuchKey.
Result<void> check_write_conditions(const WriteConditions& conditions, const std::optional<ObjectRecord>& current);

// Whether a delete under `options` may remove `current`: with if_current,
// only the same write (ETag and last-modified; a rewrite with the same
// body has another last-modified, unless made in the same millisecond or
// after the clock stepped back: when if_current names its version, the
// version too, a record without one being the null version).
bool is_current_write(const ObjectInfo& current, const DeleteOptions& options);
// The PreconditionFailed of a delete whose if_current is no longer current.
Error not_that_write(std::string_view bucket, std::string_view key);
// Whether a removal by id under `options` may go on: with
// if_noncurrent_under, only while the key's current (`current`: its record,
// or the delete marker that is its newest; null: the key holds nothing) is
// still that write (version id, ETag and last-modified: a "null" deleted
// and written again is another write) and is not the version removed.
bool is_noncurrent_under(const ObjectInfo* current, const DeleteOptions& options);
// The PreconditionFailed of a removal whose if_noncurrent_under fails.
Error not_noncurrent_under(std::string_view bucket, std::string_view key, std::string_view version_id);

}  // namespace ostor::detail
