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

}  // namespace ostor::detail
