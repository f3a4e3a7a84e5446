// The gateway's settings file, in the vendor guide's format (KEY=VALUE
// lines, '#' comments), at <data>/local/gw.conf (the place the guide names)
// or <data>/gw.conf. When both exist <data>/local/gw.conf wins whole and the
// other is ignored, with a warning:
//   S3_GW_COLLECT_STAT=1     collect usage statistics (default 0)
//   S3_GW_STAT_PERIOD=1800   seconds each statistics object covers (default 1800)
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "ostor/error.hpp"

namespace ostor::gw {

struct GatewayConfig {
    bool collect_stats = false;
    std::chrono::seconds stat_period{1800};
};

// The settings of `file`; the defaults when it does not exist. Fails:
// InvalidArgument (a malformed line or value, named in the message), IoError.
Result<GatewayConfig> read_gw_conf(const std::filesystem::path& file);

struct LoadedGatewayConfig {
    GatewayConfig config;
    std::filesystem::path file;  // the file read; empty when neither exists
    std::string warning;         // non-empty when one file was ignored
};

// The settings of the data directory `data_dir`, from the file that wins
// (see above). Fails as read_gw_conf.
Result<LoadedGatewayConfig> read_gw_conf_of(const std::filesystem::path& data_dir);

}  // namespace ostor::gw
