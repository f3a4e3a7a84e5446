// What the RADOS upload calls share (upload_catalog.cpp, upload_closing.cpp,
// upload_scan.cpp): reading upload.<id>, its parts, the seal that closes it,
// and new upload ids. Layout: object_layout.hpp.
//
// The seal. Completing or aborting an upload spans objects (the object
// index, the ledgers, the blob counts, upload.<id>, the uploads index), so
// its first step is one guarded write on upload.<id> that sets `closing`
// (compared with "" : only one closer wins). Every part write compares
// `closing` with "" too, so once sealed the upload's parts are final: what
// the closer reads next is what it frees and gives back. An open upload is
// one without `closing`; get_upload, list_parts and put_part see a sealed
// one as gone (list_uploads lists it until its object is removed);
// get_upload first waits a little for a young complete's outcome.
//
// Seals are "abort <ms> <token>[ no-give-back]" or "complete <ms> <token>[ <segment>
// <offset>][ i:<instance>]" (the object's first extent, by which an abort
// that takes over a complete's seal tells whether the object was committed;
// the completing engine instance, whose lease gone lets an abort take the
// seal over at once: seals written before it name none).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ostor/error.hpp"
#include "ostor/types.hpp"
#include "rados/client.hpp"
#include "records.hpp"

namespace ostor::detail::rados {

// A complete's seal older than this belongs to a complete that stopped (a
// crash, or an IoError it could not undo): abort may take it over. Younger,
// the complete may still be running, and abort answers NoSuchUpload, unless
// the seal's instance's lease is gone (it can commit nothing more). An
// abort's seal is taken over at once (two aborts are safe: see
// upload_closing.cpp).
inline constexpr std::chrono::milliseconds kStaleCompleteSeal{10 * 60 * 1000};

// How long get_upload waits for the outcome of a complete under way (a seal
// younger than kStaleCompleteSeal): a complete writes its object in well
// under it.
inline constexpr std::chrono::milliseconds kCompleteUnderWayWait{5000};

// Parts read per omap page by list_parts, and uploads index entries per page.
inline constexpr std::uint32_t kUploadIndexPageEntries = 128;

Error no_such_upload(std::string_view upload_id);
// A part's write refused because this instance's lease may no longer commit
// (its adopter may soon remove the blobs the part would refer to).
Error lease_may_not_commit();
// 32 lowercase hex digits (an id of another form names no upload).
bool well_formed_upload_id(std::string_view upload_id);
// A new id: a time in nanoseconds, rising within the process, then random.
std::string new_upload_id();
// The time in the id of new_upload_id, in ms: an upload's initiated_ms, so
// that the index's order (by id) is S3's (by initiation time, then id).
TimestampMs upload_id_time_ms(std::string_view upload_id);

// upload.<id> as read.
struct StoredUpload {
    Upload upload;
    std::uint64_t epoch = 0;  // the bucket's when the upload was created
    std::string info_raw;     // `info` as stored: what guarded writes compare
    std::string closing;      // the seal, "" while open
};

// Reads `info`, `epoch`, `closing` and `extra_keys` of upload.<id>: the
// upload and the extra keys' values (absent ones left out). Fails:
// NoSuchUpload (no object, no info), Internal (a damaged record), IoError.
Result<StoredUpload> read_upload(Client& client, std::string_view upload_id,
                                 const std::set<std::string>& extra_keys = {},
                                 std::map<std::string, std::string>* extra = nullptr);
// The same from a whole omap already read.
Result<StoredUpload> parse_upload(std::string_view upload_id, const std::map<std::string, std::string>& omap);

// An upload that is open: as read_upload, and NoSuchUpload when sealed.
Result<StoredUpload> read_open_upload(Client& client, std::string_view upload_id,
                                      const std::set<std::string>& extra_keys = {},
                                      std::map<std::string, std::string>* extra = nullptr);

// A stored part with its value as stored.
struct StoredPart {
    std::string raw;
    PartRecord record;
};
// The parts in an upload's whole omap, in ascending number. A part that
// cannot be decoded is left out and counted in `damaged` (when given).
std::vector<StoredPart> parts_in(const std::map<std::string, std::string>& omap, std::size_t* damaged = nullptr);

struct Seal {
    enum class Kind : std::uint8_t { Abort, Complete };
    Kind kind = Kind::Abort;
    TimestampMs sealed_ms = 0;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> first_extent;  // segment, offset (Complete)
    std::string instance;  // the completing engine instance (Complete; empty: not known)
    // Abort: whether the parts' bytes go back to the ledgers after the
    // upload's removal (false once an abort took a complete's seal over: an
    // abort taking this seal over keeps it, and a recount leaves such
    // parts out, as a complete's).
    bool give_back = true;
};
// A new seal's text (with a random token of its own).
std::string encode_seal(const Seal& seal);
// nullopt when `text` is not a seal.
std::optional<Seal> decode_seal(std::string_view text);

}  // namespace ostor::detail::rados
