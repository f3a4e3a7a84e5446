#include "gw_conf.hpp"

#include <charconv>
#include <fstream>
#include <string>

namespace ostor::gw {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// The longest period accepted: a day.
constexpr long kMaxStatPeriodS = 86400;

}  // namespace

Result<GatewayConfig> read_gw_conf(const std::filesystem::path& file) {
    GatewayConfig config;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return config;
    std::ifstream in(file);
    if (!in) return Error(Errc::IoError, "cannot read " + file.string());
    std::string raw;
    for (int line_no = 1; std::getline(in, raw); ++line_no) {
        std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') continue;
        auto where = file.string() + ":" + std::to_string(line_no);
        auto eq = line.find('=');
        if (eq == std::string_view::npos) return Error(Errc::InvalidArgument, where + ": expected KEY=VALUE");
        auto key = trim(line.substr(0, eq));
        auto value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        long number = 0;
        auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), number);
        bool numeric = !value.empty() && err == std::errc() && end == value.data() + value.size();
        if (key == "S3_GW_COLLECT_STAT") {
            if (!numeric || (number != 0 && number != 1))
                return Error(Errc::InvalidArgument, where + ": S3_GW_COLLECT_STAT must be 0 or 1");
            config.collect_stats = number == 1;
        } else if (key == "S3_GW_STAT_PERIOD") {
            if (!numeric || number < 1 || number > kMaxStatPeriodS)
                return Error(Errc::InvalidArgument, where + ": S3_GW_STAT_PERIOD must be 1 to 86400 seconds");
            config.stat_period = std::chrono::seconds(number);
        }
        // Other keys belong to other tools sharing the file: ignored.
    }
    return config;
}

Result<LoadedGatewayConfig> read_gw_conf_of(const std::filesystem::path& data_dir) {
    const auto guide_place = data_dir / "local" / "gw.conf";
    const auto data_place = data_dir / "gw.conf";
    std::error_code ec;
    bool in_guide_place = std::filesystem::exists(guide_place, ec);
    bool in_data_place = std::filesystem::exists(data_place, ec);
    LoadedGatewayConfig loaded;
    if (in_guide_place)
        loaded.file = guide_place;
    else if (in_data_place)
        loaded.file = data_place;
    else
        return loaded;
    if (in_guide_place && in_data_place)
        loaded.warning = "both " + guide_place.string() + " and " + data_place.string() + " exist; using " +
                         guide_place.string() + " and ignoring " + data_place.string();
    auto config = read_gw_conf(loaded.file);
    if (!config) return std::move(config).error();
    loaded.config = *config;
    return loaded;
}

}  // namespace ostor::gw
