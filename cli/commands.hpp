// ostor-s3-admin: the commands of the vendor guide,
// each printing exactly the guide's output.
#pragma once

#include <optional>
#include <string>

#include "ostor/engine.hpp"

namespace ostor::cli {

// The options of one invocation, as the guide names them.
struct Options {
    std::optional<std::string> email;     // -e
    std::optional<std::string> user_id;   // -i
    std::optional<std::string> account;   // -n
    std::optional<std::string> volume;    // -V
    std::optional<std::string> type;      // -t ops|bandwidth
    std::optional<std::string> limit;     // -L resource=value
    std::optional<std::string> bucket;    // -b
    std::optional<std::string> quota;     // -q size in GiB
    std::optional<std::string> defaults;  // -o user|bucket
    std::optional<std::string> key;       // -k access key id
    bool system = false;                  // -S
    bool show_secrets = false;            // -a
    bool xml = false;                     // -X / -x
};

struct Command {
    const char* name;
    const char* usage;  // the options it takes, for --help
    Result<void> (*run)(Engine& engine, const Options& options);
};

// Every command, in the guide's order; nullptr-terminated lookups go through
// find_command().
const Command* find_command(std::string_view name);
void print_usage(std::FILE* out);

}  // namespace ostor::cli
