// <data>/gw.conf: the gateway's settings file, in the vendor guide's format
// (KEY=VALUE lines, '#' comments):
//   S3_GW_COLLECT_STAT=1     collect usage statistics (default 0)
//   S3_GW_STAT_PERIOD=1800   seconds each statistics object covers (default 1800)
#pragma once

#include <chrono>
#include <filesystem>

#include "ostor/error.hpp"

namespace ostor::gw {

struct GatewayConfig {
    bool collect_stats = false;
    std::chrono::seconds stat_period{1800};
};

// The settings of `file`; the defaults when it does not exist. Fails:
// InvalidArgument (a malformed line or value, named in the message), IoError.
Result<GatewayConfig> read_gw_conf(const std::filesystem::path& file);

}  // namespace ostor::gw
