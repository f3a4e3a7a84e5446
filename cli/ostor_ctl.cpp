// ostor-ctl: the volume commands the vendor guide runs before the admin CLI.
//
//   ostor-ctl get-config [-n NODE]        the volume table: VOL_ID TYPE STATE
//   ostor-ctl add-acc -V VOL_ID [-s PATH]  turns usage accounting on (always on here)
//
// The volume is the one of --data / OSTOR_DATA (as for ostor-s3-admin), or
// add-acc's -s PATH. A local volume is served by the machine holding its
// directory, so -n must name this machine. A RADOS volume (rados:...) is
// served by any machine reaching the cluster: get-config reads its id and
// lists the live gateways of its leases index, without opening it (no lease
// of its own, no recovery), and -n is not checked.
#include <arpa/inet.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <strings.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "ostor/engine.hpp"
#include "storage/volume_spec.hpp"
#ifdef OSTOR_HAVE_RADOS
#include <ctime>

#include "rados/client.hpp"
#include "rados/leases.hpp"
#include "rados/volume.hpp"
#endif

namespace {

constexpr const char* kUsage =
    "usage: ostor-ctl COMMAND [options] [--data VOLUME]\n"
    "  get-config [-n NODE]          print the volume table (VOL_ID TYPE STATE)\n"
    "  add-acc -V VOL_ID [-s PATH]   turn on usage accounting for the volume (always on in ostor)\n"
    "  --data VOLUME   the data directory (default: $OSTOR_DATA, else ./ostor-data); add-acc's -s names it too\n";

int fail(const std::string& message, int status = 1) {
    std::fprintf(stderr, "ostor-ctl: %s\n", message.c_str());
    return status;
}

int usage_failure(const std::string& message) {
    std::fprintf(stderr, "ostor-ctl: %s\n%s", message.c_str(), kUsage);
    return 2;
}

// This machine's addresses, as text (IPv4 and IPv6, loopback included).
std::vector<std::string> local_addresses() {
    std::vector<std::string> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return out;
    for (ifaddrs* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr) continue;
        char text[INET6_ADDRSTRLEN] = {};
        if (a->ifa_addr->sa_family == AF_INET)
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
        else if (a->ifa_addr->sa_family == AF_INET6)
            ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, text, sizeof text);
        else
            continue;
        out.emplace_back(text);
    }
    ::freeifaddrs(list);
    return out;
}

bool is_loopback(const sockaddr* sa) {
    if (sa->sa_family == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
    return false;
}

// Whether `node` (a host name, in any case, or an address) is this machine:
// it resolves to a loopback address (Debian maps the host's own names to
// 127.0.1.1, which no interface lists) or to an address of an interface.
bool is_this_machine(const std::string& node) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && ::strcasecmp(node.c_str(), host) == 0) return true;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    addrinfo* found = nullptr;
    if (::getaddrinfo(node.c_str(), nullptr, &hints, &found) != 0) return false;
    auto mine = local_addresses();
    bool match = false;
    for (addrinfo* a = found; a && !match; a = a->ai_next) {
        if (is_loopback(a->ai_addr)) {
            match = true;
            break;
        }
        char text[INET6_ADDRSTRLEN] = {};
        if (a->ai_family == AF_INET)
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof text);
        else if (a->ai_family == AF_INET6)
            ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text, sizeof text);
        for (const auto& m : mine) match = match || m == text;
    }
    ::freeaddrinfo(found);
    return match;
}

// The volume table's layout, as the guide prints it.
void print_volume_table(const std::string& volume_id, const char* state) {
    std::printf("VOL_ID          TYPE      STATE\n");
    std::printf("%-16s  %-9s%s\n", volume_id.c_str(), "OBJ", state);
}

#ifdef OSTOR_HAVE_RADOS
// UTC, to the second: "2026-12-03 10:29:34".
std::string utc_text(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[32] = {};
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    return text;
}

// get-config on a RADOS volume: the volume table, then the gateways whose
// lease is live (by this machine's clock) in the leases index.
int rados_get_config(const ostor::detail::VolumeSpec& spec) {
    using namespace ostor::detail::rados;
    auto client = Client::connect(spec);
    if (!client) return fail(std::string(client.error().message()), client.error().info().exit_status);
    auto volume_id = read_volume_id(**client, spec);
    if (!volume_id) {
        if (volume_id.error().code() == kNotFound)
            return fail("not an ostor volume: " + spec.to_string() + " (no volume object in " +
                            (*client)->pool_name(Pool::Meta) + ")",
                        ostor::error_info(ostor::Errc::InvalidArgument).exit_status);
        return fail(std::string(volume_id.error().message()), volume_id.error().info().exit_status);
    }
    auto leases = list_leases(**client);
    if (!leases) return fail(std::string(leases.error().message()), leases.error().info().exit_status);
    print_volume_table(*volume_id, "READY");
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::printf("\nGATEWAY                 INSTANCE          SINCE (UTC)\n");
    for (const auto& lease : *leases) {
        if (!lease.live_at(now)) continue;  // dead: a sweep will adopt it
        std::printf("%-22s  %-16s  %s\n", lease.address.empty() ? "-" : lease.address.c_str(), lease.instance.c_str(),
                    utc_text(lease.since_ms).c_str());
    }
    return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
    using namespace ostor;
    if (argc < 2) return usage_failure("missing command");
    std::string command = argv[1];
    if (command == "-h" || command == "--help" || command == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (command != "get-config" && command != "add-acc") return usage_failure("unknown command '" + command + "'");

    std::string volume_path;
    if (const char* env = std::getenv("OSTOR_DATA"); env && *env)
        volume_path = env;
    else
        volume_path = "ostor-data";
    std::optional<std::string> node, volume_id, storage_path;

    static const option long_options[] = {
        {"data", required_argument, nullptr, 'D'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    optind = 2;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":n:V:s:h", long_options, nullptr)) != -1;) {
        switch (c) {
            case 'n':
                node = optarg;
                break;
            case 'V':
                volume_id = optarg;
                break;
            case 's':
                storage_path = optarg;
                break;
            case 'D':
                volume_path = optarg;
                break;
            case 'h':
                std::fputs(kUsage, stdout);
                return 0;
            case ':':
                return usage_failure(std::string("option -") + static_cast<char>(optopt) + " needs a value");
            default:
                if (optopt) return usage_failure(std::string("unknown option -") + static_cast<char>(optopt));
                return usage_failure(std::string("unknown option ") + argv[optind - 1]);
        }
    }
    if (optind < argc) return usage_failure(std::string("unexpected argument '") + argv[optind] + "'");
    if (command == "get-config" && (volume_id || storage_path)) return usage_failure("get-config takes only -n NODE");
    if (command == "add-acc" && node) return usage_failure("add-acc takes -V VOL_ID and -s PATH");
    if (command == "add-acc" && !volume_id) return usage_failure("add-acc needs -V VOL_ID");
    if (storage_path) volume_path = *storage_path;
    auto spec = detail::VolumeSpec::parse(volume_path);
    if (!spec) return fail(std::string(spec.error().message()), spec.error().info().exit_status);
#ifdef OSTOR_HAVE_RADOS
    if (spec->kind == detail::VolumeSpec::Kind::Rados && command == "get-config") return rados_get_config(*spec);
#endif
    if (spec->kind == detail::VolumeSpec::Kind::Local && node && !is_this_machine(*node))
        return fail("node " + *node +
                    " is not this machine: a local volume is served by the machine holding its "
                    "data directory (" +
                    volume_path + "); run ostor-ctl there, or name this machine");

    EngineOptions options;
    options.create_if_missing = false;
    options.async_threads = 1;
    if (volume_id) options.volume_id = *volume_id;
    auto engine = Engine::open(volume_path, options);
    if (!engine) {
        const Error& e = engine.error();
        // The -V given is not volume.id's (another mismatch, of volume.id and
        // the metadata, says so in its own message).
        if (e.code() == Errc::VolumeMismatch && volume_id &&
            e.message().find("does not match") != std::string_view::npos)
            return fail("volume " + *volume_id + " is not the volume of " + volume_path, e.info().exit_status);
        std::string message(e.message());
        if (message.find(volume_path) == std::string::npos) message += " (data directory " + volume_path + ")";
        return fail(message, e.info().exit_status);
    }
    if (command == "get-config") {
        print_volume_table((*engine)->volume_id(), "READY");
        return 0;
    }
    // Usage is always counted (billing totals, and statistics objects with
    // S3_GW_COLLECT_STAT=1 in gw.conf): there is nothing to switch on.
    std::printf("Accounting is on for volume %s (%s).\n", (*engine)->volume_id().c_str(), volume_path.c_str());
    return 0;
}
