// The local backend: a volume in one data directory.
//
//   <dir>/volume.id   the volume id (16 hex digits)
//   <dir>/meta/       the LMDB environment: every catalog table
//   <dir>/blobs/      segment files holding object data
//   <dir>/run/        one lock file per open Engine (LocalLeases)
#pragma once

#include <filesystem>
#include <memory>

#include "engine_impl.hpp"
#include "local/commit_queue.hpp"
#include "local/lmdb_env.hpp"
#include "local/segment_store.hpp"

namespace ostor::detail {

// What the local seams share: the metadata environment, its group commit and
// the segment store. Outlives the seams (EngineImpl destroys it after them).
struct LocalVolumeState final : BackendState {
    std::unique_ptr<Env> env;
    std::unique_ptr<CommitQueue> commits;
    std::unique_ptr<SegmentStore> segments;
    ~LocalVolumeState() override;
};

// Opens (or creates) the data directory `dir` as Engine::open documents,
// recovers from any crash of a process that used it, and fills in `impl`'s
// seams, backend state, volume id and directory. Fails as Engine::open does;
// a refused open changes nothing on disk.
Result<void> open_local_volume(EngineImpl& impl, const std::filesystem::path& dir, const EngineOptions& options);

}  // namespace ostor::detail
