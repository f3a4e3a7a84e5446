// The local backend's leases: <data>/run/<instance>.lock, flocked while its
// Engine is open. The kernel drops a flock when its process dies, so a lock
// file nobody holds belongs to an Engine that is gone.
#pragma once

#include <filesystem>

#include "ostor/error.hpp"
#include "storage/leases.hpp"

namespace ostor::detail {

class LocalLeases final : public Leases {
public:
    // Takes a new instance id's lock in `run_dir`. Fails: IoError.
    static Result<std::unique_ptr<LocalLeases>> acquire(const std::filesystem::path& run_dir);
    ~LocalLeases() override;  // removes this instance's lock file

    const std::string& instance_id() const override { return instance_id_; }
    std::unique_ptr<AdoptedLease> adopt_if_dead(std::string_view instance) override;
    // An flock on <run_dir>/<name>.lock (kept: a process that dies holding
    // it leaves nothing to clean).
    Result<std::unique_ptr<RoleLease>> take_role(std::string_view name) override;

private:
    LocalLeases() = default;
    std::filesystem::path run_dir_;
    std::string instance_id_;
    int lock_fd_ = -1;
};

}  // namespace ostor::detail
