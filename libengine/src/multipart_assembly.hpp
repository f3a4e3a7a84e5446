// Completing a multipart upload, for every backend: which stored parts the
// requested list names, S3's checks of that list, and the ETag of the
// object made from them. The backend reads the stored parts and commits the
// result in one change; this decides what the result is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ostor/error.hpp"
#include "ostor/types.hpp"
#include "records.hpp"

namespace ostor::detail {

constexpr std::uint32_t kMaxPartNumber = 10000;
constexpr std::uint64_t kMinPartBytes = std::uint64_t{5} << 20;  // all but the last part

// Fails: InvalidArgument (not 1..kMaxPartNumber).
Result<void> check_part_number(std::uint32_t number);

// The requested list's own form, before anything is read. Fails:
// InvalidArgument (empty), InvalidPartOrder (not strictly ascending).
Result<void> check_part_list(const std::vector<CompletedPart>& parts);

// The object the requested parts make.
struct AssembledObject {
    // info.size, info.part_sizes, info.etag ("<md5 of the parts' md5s>-<n>")
    // and the parts' extents in order; the caller fills in the rest.
    ObjectRecord record;
    std::uint64_t stored_bytes = 0;  // of every stored part, listed or not
    std::vector<bool> used;          // per stored part: listed (its extents go to the object)
};

// Matches `requested` (checked by check_part_list) against the upload's
// `stored` parts (in ascending number). Fails: InvalidPart (a part not
// uploaded, or another ETag), EntityTooSmall (a part but the last under
// kMinPartBytes).
Result<AssembledObject> assemble_parts(const std::vector<CompletedPart>& requested,
                                       const std::vector<PartRecord>& stored);

}  // namespace ostor::detail
