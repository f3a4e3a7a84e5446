// ostor-s3-admin: the provider's admin CLI of the vendor guide. It opens the
// data directory directly (as the original runs on a storage node), so it
// works whether or not a gateway is running on the same directory.
#include <getopt.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands.hpp"
#include "ostor/engine.hpp"

namespace {

int fail(const ostor::Error& error) {
    std::fprintf(stderr, "ostor-s3-admin: %.*s\n", static_cast<int>(error.message().size()), error.message().data());
    return error.info().exit_status;
}

int usage_failure(const std::string& message) {
    std::fprintf(stderr, "ostor-s3-admin: %s\n", message.c_str());
    std::fprintf(stderr, "Run 'ostor-s3-admin --help' for the commands and their options.\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace ostor;
    if (argc < 2) return usage_failure("missing command");
    std::string name = argv[1];
    if (name == "-h" || name == "--help" || name == "help") {
        cli::print_usage(stdout);
        return 0;
    }
    const cli::Command* command = cli::find_command(name);
    if (!command) return usage_failure("unknown command '" + name + "'");

    cli::Options o;
    std::string data_dir;
    if (const char* env = std::getenv("OSTOR_DATA"); env && *env)
        data_dir = env;
    else
        data_dir = "ostor-data";

    static const option long_options[] = {
        {"data", required_argument, nullptr, 'D'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    optind = 2;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":e:i:n:V:t:L:b:q:o:k:SaXxh", long_options, nullptr)) != -1) {
        switch (c) {
            case 'e':
                o.email = optarg;
                break;
            case 'i':
                o.user_id = optarg;
                break;
            case 'n':
                o.account = optarg;
                break;
            case 'V':
                o.volume = optarg;
                break;
            case 't':
                o.type = optarg;
                break;
            case 'L':
                o.limit = optarg;
                break;
            case 'b':
                o.bucket = optarg;
                break;
            case 'q':
                o.quota = optarg;
                break;
            case 'o':
                o.defaults = optarg;
                break;
            case 'k':
                o.key = optarg;
                break;
            case 'S':
                o.system = true;
                break;
            case 'a':
                o.show_secrets = true;
                break;
            case 'X':
            case 'x':
                o.xml = true;
                break;
            case 'D':
                data_dir = optarg;
                break;
            case 'h':
                std::printf("usage: ostor-s3-admin %s %s\n", command->name, command->usage);
                return 0;
            case ':':
                return usage_failure(std::string("option -") + static_cast<char>(optopt) + " needs a value");
            default:
                if (optopt) return usage_failure(std::string("unknown option -") + static_cast<char>(optopt));
                return usage_failure(std::string("unknown option ") + argv[optind - 1]);
        }
    }
    if (optind < argc) return usage_failure(std::string("unexpected argument '") + argv[optind] + "'");

    EngineOptions options;
    options.create_if_missing = false;
    options.async_threads = 1;
    if (o.volume) options.volume_id = *o.volume;
    auto engine = Engine::open(data_dir, options);
    if (!engine) {
        const Error& e = engine.error();
        if (e.code() == Errc::VolumeMismatch)
            return fail(Error(Errc::VolumeMismatch, "volume " + *o.volume + " is not the volume of " + data_dir));
        std::string message(e.message());
        if (message.find(data_dir) == std::string::npos) message += " (data directory " + data_dir + ")";
        return fail(Error(e.code(), message));
    }
    auto result = command->run(**engine, o);
    std::fflush(stdout);
    if (!result) return fail(result.error());
    return 0;
}
