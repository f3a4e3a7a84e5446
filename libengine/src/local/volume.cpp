// Opening a local volume: a data directory with LMDB metadata (meta/) and
// segment files (blobs/); crash recovery at open.
#include "local/volume.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <set>
#include <system_error>

#include "hashing.hpp"
#include "local/blob_store.hpp"
#include "local/bucket_owner_index.hpp"
#include "local/identity_catalog.hpp"
#include "local/leases.hpp"
#include "local/object_catalog.hpp"
#include "local/read_snapshot.hpp"
#include "local/settings_catalog.hpp"

namespace ostor::detail {

namespace fs = std::filesystem;

LocalVolumeState::~LocalVolumeState() {
    segments.reset();  // closes the active segment cleanly
    commits.reset();
    env.reset();
}

namespace {

constexpr std::string_view kVolumeIdFile = "volume.id";
// LMDB's data file of the metadata store, relative to the data directory.
constexpr std::string_view kMetaStoreFile = "meta/data.mdb";

// LMDB forbids opening one environment twice in a process: directories open
// here, by canonical path.
std::mutex open_dirs_mu;
std::set<std::string> open_dirs;

struct OpenDirClaim {
    std::string path;
    ~OpenDirClaim() {
        std::lock_guard lock(open_dirs_mu);
        open_dirs.erase(path);
    }
};

// What a data directory may hold before its volume.id exists: what an open
// interrupted before writing volume.id leaves, what a provider writes before
// the first start (gw.conf, local/gw.conf), a gateway's usage checkpoints,
// and the lost+found of a file system made for the volume.
constexpr std::string_view kVolumeEntries[] = {"meta",    "blobs", "run",      "volume.id.tmp",
                                               "gw.conf", "local", "gw-stats", "lost+found"};

// Refuses to make a volume where it would mix with other files: a path that
// is not a directory, or a directory holding anything but volume entries. A
// missing or empty directory is fine (open creates it).
Result<void> check_volume_directory(const fs::path& dir, bool fresh) {
    std::error_code ec;
    auto status = fs::status(dir, ec);
    if (status.type() == fs::file_type::not_found) return {};
    if (ec) return Error(Errc::IoError, "cannot open " + dir.string() + ": " + ec.message());
    if (status.type() != fs::file_type::directory)
        return Error(Errc::InvalidArgument, dir.string() + ": not a directory");
    if (!fresh) return {};
    // An open writes volume.id before it creates the metadata store, so a
    // store without volume.id is a volume that lost its id: a new id would not
    // match the one inside the store, and this open and every later one would
    // fail with VolumeMismatch.
    auto store = dir / kMetaStoreFile;
    if (fs::exists(store, ec))
        return Error(Errc::InvalidArgument, dir.string() + " holds a volume's metadata (" + store.string() +
                                                ") but its " + std::string(kVolumeIdFile) + " is missing: restore " +
                                                (dir / kVolumeIdFile).string() +
                                                " (its id is the volume's, e.g. from a backup); nothing was changed");
    if (ec) return Error(Errc::IoError, "cannot check " + store.string() + ": " + ec.message());
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        auto name = it->path().filename().string();
        if (std::find(std::begin(kVolumeEntries), std::end(kVolumeEntries), name) == std::end(kVolumeEntries))
            return Error(Errc::InvalidArgument, dir.string() + " is not empty and is not an ostor data directory (no " +
                                                    std::string(kVolumeIdFile) + "; it holds '" + name +
                                                    "'): name a new or empty directory");
    }
    if (ec) return Error(Errc::IoError, "cannot list " + dir.string() + ": " + ec.message());
    return {};
}

Result<std::string> read_or_create_volume_id(const fs::path& dir, const EngineOptions& options, bool fresh) {
    auto path = dir / kVolumeIdFile;
    if (!fresh) {
        std::ifstream in(path);
        std::string id;
        if (!(in >> id) || id.size() != 16)
            return Error(Errc::InvalidArgument, "not an ostor data directory (no valid " + path.string() + ")");
        if (!options.volume_id.empty() && options.volume_id != id)
            return Error(Errc::VolumeMismatch,
                         "volume id " + options.volume_id + " does not match " + id + " of " + dir.string());
        return id;
    }
    std::string id = options.volume_id.empty() ? random_hex16() : options.volume_id;
    std::string dummy;
    if (id.size() != 16 || !from_hex(id, dummy))
        return Error(Errc::InvalidArgument, "a volume id is 16 hex digits, not '" + id + "'");
    // Write then rename, so a crash never leaves a half-written id.
    auto tmp = dir / "volume.id.tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << id << "\n";
        out.flush();
        if (!out) return Error(Errc::IoError, "cannot write " + tmp.string());
    }
    int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) return Error(Errc::IoError, "cannot create " + path.string() + ": " + ec.message());
    return id;
}

}  // namespace

Result<void> open_local_volume(EngineImpl& impl, const fs::path& dir, const EngineOptions& options) {
    std::error_code ec;
    bool fresh = !fs::exists(dir / kVolumeIdFile, ec);
    // Checked before anything is created (an existing volume's id is compared
    // instead: VolumeMismatch).
    std::string unhexed;
    if (fresh && !options.volume_id.empty() &&
        (options.volume_id.size() != 16 || !from_hex(options.volume_id, unhexed)))
        return Error(Errc::InvalidArgument, "a volume id is 16 hex digits, not '" + options.volume_id + "'");
    OSTOR_TRY(check_volume_directory(dir, fresh));
    if (fresh && !options.create_if_missing)
        return Error(Errc::InvalidArgument, "not an ostor data directory: " + dir.string());
    for (auto sub : {fs::path(), fs::path("meta"), fs::path("blobs"), fs::path("run")}) {
        fs::create_directories(dir / sub, ec);
        if (ec) return Error(Errc::IoError, "cannot create " + (dir / sub).string() + ": " + ec.message());
    }
    auto volume = read_or_create_volume_id(dir, options, fresh);
    if (!volume) return std::move(volume).error();

    // Keyed by pid too: a forked child inherits the set but not the Engine.
    auto canonical = std::to_string(::getpid()) + ":" + fs::canonical(dir, ec).string();
    {
        std::lock_guard lock(open_dirs_mu);
        if (!open_dirs.insert(canonical).second)
            return Error(Errc::InvalidArgument, dir.string() + " is already open in this process");
    }
    auto claim = std::make_shared<OpenDirClaim>();
    claim->path = canonical;

    impl.open_claim = claim;
    impl.dir = dir;
    impl.volume_id = *volume;

    // This Engine's liveness, for the reservations it makes: held while open.
    auto leases = LocalLeases::acquire(dir / "run");
    if (!leases) return std::move(leases).error();
    impl.leases = std::move(*leases);
    impl.notifier = std::make_unique<SharedStoreNotifier>();

    auto env = Env::open(dir / "meta", options.meta_map_size_bytes);
    if (!env) return std::move(env).error();
    auto state = std::make_unique<LocalVolumeState>();
    state->env = std::move(*env);
    state->commits = std::make_unique<CommitQueue>(*state->env);
    state->segments = std::make_unique<SegmentStore>(dir / "blobs", *state->env, *state->commits);
    Env& meta = *state->env;
    CommitQueue& commits = *state->commits;
    SegmentStore& segments = *state->segments;
    impl.backend = std::move(state);
    impl.identities = std::make_unique<LocalIdentityCatalog>(meta, commits);
    impl.settings = std::make_unique<LocalSettingsCatalog>(meta, commits);
    impl.objects = std::make_unique<LocalObjectCatalog>(meta, commits, impl.leases->instance_id());
    impl.blobs = std::make_unique<LocalBlobStore>(segments);

    auto recorded = commits.run([&](Txn& txn) -> Result<void> {
        auto stored = txn.get(Table::Meta, "volume_id");
        if (!stored)
            txn.put(Table::Meta, "volume_id", impl.volume_id);
        else if (*stored != impl.volume_id)
            return Error(Errc::VolumeMismatch, "metadata belongs to volume " + std::string(*stored));
        return {};
    });
    if (!recorded) return recorded.error();
    // A volume written before the owner index existed gets it once, whole,
    // in one transaction (which does nothing when another open built it first).
    auto index_built = read_snapshot(meta, [](const Txn& txn) -> Result<bool> { return owner_index_built(txn); });
    if (!index_built) return index_built.error();
    if (!*index_built) {
        auto built = commits.run([](Txn& txn) -> Result<void> {
            build_owner_index(txn);
            return {};
        });
        if (!built) return built.error();
    }
    if (auto r = impl.blobs->recover(); !r) return r.error();
    if (auto r = impl.objects->drop_dead_reservations(*impl.leases); !r) return r.error();
    return {};
}

}  // namespace ostor::detail
