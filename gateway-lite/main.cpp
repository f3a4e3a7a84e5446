// ostor-gateway: the S3 gateway on one data directory, or on a RADOS volume.
//
//   ostor-gateway --data DIR [--listen ADDR:PORT] [--domain DOMAIN]
//   ostor-gateway --data rados:PREFIX?... --state-dir DIR [...]
//                 [--region REGION] [--tls-cert FILE --tls-key FILE]
//                 [--max-connections N] [--header-timeout S] [--idle-timeout S]
//                 [--lease-seconds S] [--collect-seconds S]   (RADOS volumes)
//                 [--lifecycle-day-seconds S] [--lifecycle-interval-seconds S]
//                 [--lifecycle-page-size N] [--lifecycle-page-pause-ms MS]
//
// On a new data directory it creates the system user admin@localhost and
// prints its key pair (`ostor-s3-admin query-user-info -e admin@localhost`
// shows it again). It binds its ports before it touches the data directory,
// so a start that fails creates nothing. On a RADOS volume, what a gateway
// keeps for itself (gw.conf, its usage checkpoints gw-stats/) is in the state
// directory it is given, one per gateway; the local disk-space checks do not
// apply (the cluster's quotas and fullness do). SIGTERM / SIGINT stop it cleanly:
// no new connections, requests in progress finish, exit status 0. A gateway
// whose lease on a RADOS volume was lost (not renewed in time: the cluster
// out of reach for most of --lease-seconds) stops the same way and starts
// again in the same process (exec), as a new instance on the same ports.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "admin_access.hpp"
#include "admin_listener.hpp"
#include "billing.hpp"
#include "gw_conf.hpp"
#include "lifecycle_worker.hpp"
#include "metrics.hpp"
#include "ostor/engine.hpp"
#include "s3_handler.hpp"
#include "server.hpp"

namespace {

// Raised by the gateway itself when its lease was lost (see serve()).
constexpr int kLeaseLostSignal = SIGUSR2;
// The signals the gateway takes itself (sigwait): stops, and its own restart.
sigset_t stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, kLeaseLostSignal);
    return signals;
}

// Set in the environment of a gateway started again after a lost lease.
constexpr const char* kRestartedVariable = "OSTOR_GATEWAY_RESTARTED_AFTER_LOST_LEASE";
constexpr int kReopenRetrySeconds = 5;

constexpr const char* kUsage =
    "usage: ostor-gateway --data DIR [--listen ADDR:PORT] [--domain DOMAIN] [--region REGION]\n"
    "                     [--tls-cert FILE --tls-key FILE] [--max-connections N] [--max-connections-per-client N]\n"
    "                     [--header-timeout SECONDS] [--idle-timeout SECONDS] [--admin-listen [ADDR:]PORT]\n"
    "                     [--admin-token-file FILE] [--access-log FILE|-] [--body-memory-mib N]\n"
    "                     [--state-dir DIR] [--lease-seconds S] [--collect-seconds S]   (RADOS volumes)\n"
    "                     [--lifecycle-day-seconds S] [--lifecycle-interval-seconds S]\n"
    "                     [--lifecycle-page-size N] [--lifecycle-page-pause-ms MS]\n"
    "  --data DIR          the data directory: an ostor volume, or a new or empty directory to make one;\n"
    "                      or a RADOS volume, rados:PREFIX[?conf=FILE&id=NAME&keyring=FILE&ns=NAMESPACE]\n"
    "  --state-dir DIR     with a RADOS volume (required then): this gateway's own files (gw.conf, gw-stats/)\n"
    "  --lease-seconds S   RADOS volumes: the failover time (default 60). This gateway's lease lasts S seconds\n"
    "                      without renewal: once it died, another gateway's sweep drops its reservations and\n"
    "                      unfinished writes that long after its last renewal. Writes stop S/4 (at most 12 s)\n"
    "                      before a lease that could not be renewed expires; at least 48 (a quarter is that\n"
    "                      12 s). --test-lease-seconds S: the same without the minimum, for tests only\n"
    "  --collect-seconds S RADOS volumes: how often the blob collector and the sweep of dead gateways run\n"
    "                      (default 300; one gateway of the volume runs them, another takes over 3*S after\n"
    "                      it died)\n"
    "  --listen ADDR:PORT  where to serve S3 (default 127.0.0.1:9000; port 0 = any free port)\n"
    "  --domain DOMAIN     also accept virtual-host style requests to <bucket>.DOMAIN\n"
    "  --region REGION     the region GetBucketLocation answers; in us-east-1 (the default) creating\n"
    "                      a bucket one owns already answers 200, as AWS does there\n"
    "  --tls-cert, --tls-key  serve HTTPS with this PEM certificate chain and key\n"
    "  --max-connections N    open connections, idle ones included (default 16384, at most what the\n"
    "                         open-files limit allows); more get 503 SlowDown\n"
    "  --max-connections-per-client N  open connections from one client address (default 1000)\n"
    "  --header-timeout S     a request's header must arrive within S seconds (default 30)\n"
    "  --idle-timeout S       close a connection idle, or stalled mid-body, for S seconds (default 60)\n"
    "  --body-memory-mib N    memory for the bodies being received, all requests together (default an\n"
    "                         eighth of the machine's, 64 to 4096); a request finding none free for\n"
    "                         10 s gets 503 SlowDown\n"
    "  --admin-listen [ADDR:]PORT  serve the billing API (/v1/info, /v1/status, /v1/bill/fetch) and\n"
    "                         Prometheus /metrics there; ADDR defaults to 127.0.0.1 (loopback).\n"
    "                         peers other than loopback need a system user's S3 signature or the token:\n"
    "                         also the web console (/console/, sign in with a system user's keys) and\n"
    "                         the admin REST API (/?ostor-*, a system user's signature from anyone)\n"
    "  --admin-token-file FILE  accept 'Authorization: Bearer <first line of FILE>' on the admin listener\n"
    "  --lifecycle-day-seconds S  the length of a lifecycle \"day\" (default 86400; tests use a few seconds):\n"
    "                         rules' Days count these, and the buckets' lifecycle rules are applied once a day\n"
    "  --lifecycle-interval-seconds S  how often this gateway looks for a lifecycle pass to run (default 60;\n"
    "                         one gateway of the volume runs the passes, another takes over when it died)\n"
    "  --lifecycle-page-size N  objects or uploads a lifecycle pass lists at a time (1 to 1000, default 1000)\n"
    "  --lifecycle-page-pause-ms MS  a lifecycle pass's pause between pages (0 to 7499, default 100)\n"
    "  --access-log FILE|-    a line a request (time, client, user, method, bucket, key, status,\n"
    "                         bytes in and out, duration, request id) appended to FILE, or - for stderr\n"
    "Settings in <data>/local/gw.conf (or <data>/gw.conf; the first wins when both exist; <state-dir> for RADOS):\n"
    "S3_GW_COLLECT_STAT=1 stores usage statistics objects, S3_GW_STAT_PERIOD=SECONDS sets the\n"
    "period of each (default 1800). Billing totals are kept either way.\n";

constexpr const char* kSystemUserEmail = "admin@localhost";
// --lease-seconds and --collect-seconds: a day at most (and well inside the
// engine's 32-bit millisecond options).
constexpr long kMaxRadosPeriodSeconds = 86400;
// The engine's minimum lease (rados/leases.hpp, kMinLeaseDuration).
constexpr long kMinLeaseSeconds = 48;
constexpr long kMillisecondsPerSecond = 1000;
// --body-memory-mib: up to 1 TiB.
constexpr long kMaxBodyMemoryMib = 1L << 20;

// The --lifecycle-* options' ranges: a day of a second (tests) to a year; a
// page is at most what one listing answers; a pause between pages shorter
// than a quarter of the role's lease, since the worker renews its hold on
// the role only between steps (Engine::take_role): a longer pause would lose
// the role at every page.
struct OptionBounds {
    std::string_view name;
    long min, max;
};
constexpr OptionBounds kLifecycleBounds[] = {
    {"--lifecycle-day-seconds", 1, 365L * 86400},
    {"--lifecycle-interval-seconds", 1, 86400},
    {"--lifecycle-page-size", 1, 1000},
    {"--lifecycle-page-pause-ms", 0, ostor::kRoleLeaseMs / 4 - 1},
};
const OptionBounds* lifecycle_bounds(std::string_view name) {
    for (const auto& b : kLifecycleBounds)
        if (b.name == name) return &b;
    return nullptr;
}

// The admin CLI as this user can run it: beside this binary in a build tree
// (build/cli/) or an installation (bin/), else by name from PATH.
std::string admin_cli_command() {
    std::error_code ec;
    auto self_dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
    if (!ec)
        for (const auto& candidate : {self_dir.parent_path() / "cli" / "ostor-s3-admin", self_dir / "ostor-s3-admin"})
            if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    return "ostor-s3-admin";
}

int usage_error(const std::string& message) {
    std::fprintf(stderr, "ostor-gateway: %s\n%s", message.c_str(), kUsage);
    return 2;
}

// "host:port" of a listener's URL (its port resolved).
std::string listening_address(const std::string& url) {
    auto scheme = url.find("://");
    return scheme == std::string::npos ? url : url.substr(scheme + 3);
}

// The arguments of a gateway started again: as given, with the ports
// resolved (a listener on port 0 keeps the port it got).
std::vector<std::string> restart_arguments(int argc, char** argv, const ostor::gw::Server& server,
                                           const ostor::gw::Server* admin_server) {
    std::vector<std::string> args(argv, argv + argc);
    for (size_t i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == "--listen") args[i + 1] = listening_address(server.url());
        if (args[i] == "--admin-listen" && admin_server) args[i + 1] = listening_address(admin_server->url());
    }
    return args;
}

// The gateway until it stops. Fills `restart_args` when it stopped because
// its lease on a RADOS volume was lost: main then starts it again with them.
int serve(int argc, char** argv, std::vector<std::string>& restart_args) {
    std::string data;
    std::string state_dir;  // RADOS volumes: this gateway's files; a local volume keeps them in its directory
    ostor::gw::ServerOptions server_options;
    ostor::gw::S3Options s3_options;
    std::string admin_listen;
    std::string admin_token_file;
    std::string access_log_path;
    long lease_seconds = 0;  // 0: the backend's
    bool short_lease_for_tests = false;
    long collect_seconds = 0;  // 0: the backend's
    long body_memory_mib = 0;  // 0: the engine's default
    ostor::gw::LifecycleWorkerOptions lifecycle_options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) return nullptr;
            (void)name;
            return argv[++i];
        };
        if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        const char* v = value(arg.c_str());
        if (!v) return usage_error(arg + " needs a value");
        if (arg == "--data")
            data = v;
        else if (arg == "--state-dir")
            state_dir = v;
        else if (arg == "--listen")
            server_options.listen = v;
        else if (arg == "--domain")
            s3_options.domain = v;
        else if (arg == "--region")
            s3_options.region = v;
        else if (arg == "--admin-listen")
            admin_listen = std::string(v).find(':') == std::string::npos ? "127.0.0.1:" + std::string(v) : v;
        else if (arg == "--admin-token-file")
            admin_token_file = v;
        else if (arg == "--access-log")
            access_log_path = v;
        else if (arg == "--body-memory-mib") {
            char* end = nullptr;
            long n = std::strtol(v, &end, 10);
            if (*end != '\0' || n < 1 || n > kMaxBodyMemoryMib)
                return usage_error(arg + " wants a number of MiB from 1 to " + std::to_string(kMaxBodyMemoryMib));
            body_memory_mib = n;
        } else if (arg == "--lease-seconds" || arg == "--test-lease-seconds" || arg == "--collect-seconds") {
            char* end = nullptr;
            long n = std::strtol(v, &end, 10);
            // A lease shorter than kMinLeaseSeconds would stop commits less
            // than 12 s before it could expire: a commit sent in time could
            // land after another gateway adopted this one.
            const long min = arg == "--lease-seconds" ? kMinLeaseSeconds : 1;
            if (*end != '\0' || n < min || n > kMaxRadosPeriodSeconds)
                return usage_error(arg + " wants a number of seconds from " + std::to_string(min) + " to " +
                                   std::to_string(kMaxRadosPeriodSeconds) +
                                   (min > 1 ? " (a quarter of the lease is the 12 s a commit needs to land)" : ""));
            if (arg == "--collect-seconds")
                collect_seconds = n;
            else
                lease_seconds = n, short_lease_for_tests = arg == "--test-lease-seconds";
        } else if (arg.starts_with("--lifecycle-")) {
            char* end = nullptr;
            long n = std::strtol(v, &end, 10);
            const auto* bounds = lifecycle_bounds(arg);
            if (!bounds) return usage_error("unknown option " + arg);
            if (*end != '\0' || n < bounds->min || n > bounds->max)
                return usage_error(arg + " wants a number from " + std::to_string(bounds->min) + " to " +
                                   std::to_string(bounds->max) +
                                   (arg == "--lifecycle-page-pause-ms"
                                        ? " (under a quarter of the lifecycle role's lease, renewed between pages)"
                                        : ""));
            if (arg == "--lifecycle-day-seconds")
                lifecycle_options.day = std::chrono::seconds(n);
            else if (arg == "--lifecycle-interval-seconds")
                lifecycle_options.interval = std::chrono::seconds(n);
            else if (arg == "--lifecycle-page-size")
                lifecycle_options.page_size = static_cast<std::uint32_t>(n);
            else
                lifecycle_options.page_pause = std::chrono::milliseconds(n);
        } else if (arg == "--tls-cert")
            server_options.tls.cert = v;
        else if (arg == "--tls-key")
            server_options.tls.key = v;
        else if (arg == "--max-connections" || arg == "--max-connections-per-client" || arg == "--header-timeout" ||
                 arg == "--idle-timeout") {
            char* end = nullptr;
            long n = std::strtol(v, &end, 10);
            if (*end != '\0' || n < 1 || n > 1000000) return usage_error(arg + " wants a positive number");
            if (arg == "--max-connections")
                server_options.max_connections = static_cast<std::size_t>(n);
            else if (arg == "--max-connections-per-client")
                server_options.max_connections_per_client = static_cast<std::size_t>(n);
            else if (arg == "--header-timeout")
                server_options.header_timeout_s = static_cast<int>(n);
            else
                server_options.idle_timeout_s = static_cast<int>(n);
        } else {
            return usage_error("unknown option " + arg);
        }
    }
    if (data.empty()) return usage_error("--data DIR is required");
    const bool on_rados = data.rfind("rados:", 0) == 0;
    if (on_rados && state_dir.empty())
        return usage_error(
            "a RADOS volume (--data rados:...) has no local directory: give --state-dir DIR for this "
            "gateway's own files (gw.conf, gw-stats/)");
    if (!on_rados && !state_dir.empty())
        return usage_error("--state-dir is for RADOS volumes: a data directory keeps the gateway's files itself");
    if (!on_rados && (lease_seconds != 0 || collect_seconds != 0))
        return usage_error(
            "--lease-seconds and --collect-seconds are for RADOS volumes: a data directory has one gateway");
    // Where gw.conf and the usage checkpoints live.
    const std::filesystem::path gateway_dir = on_rados ? std::filesystem::path(state_dir) : std::filesystem::path(data);
    if (server_options.tls.cert.empty() != server_options.tls.key.empty())
        return usage_error("--tls-cert and --tls-key go together");

    // Opened first: a start that fails creates nothing.
    std::unique_ptr<ostor::gw::AccessLog> access_log;
    if (!access_log_path.empty()) {
        auto opened = ostor::gw::AccessLog::open(access_log_path);
        if (!opened) {
            std::fprintf(stderr, "ostor-gateway: %.*s\n", static_cast<int>(opened.error().message().size()),
                         opened.error().message().data());
            return 1;
        }
        access_log = std::move(*opened);
    }

    // Signals are taken by one thread (sigwait) so that stopping is ordinary
    // code, not a signal handler.
    sigset_t signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    // Listeners and the admin token first: a start that fails (port in use,
    // bad TLS files, no token file) must leave no data directory or system
    // user behind.
    auto server = ostor::gw::Server::listen(server_options);
    if (!server) {
        std::fprintf(stderr, "ostor-gateway: %.*s\n", static_cast<int>(server.error().message().size()),
                     server.error().message().data());
        return 1;
    }
    std::unique_ptr<ostor::gw::Server> admin_server;
    if (!admin_listen.empty()) {
        ostor::gw::ServerOptions admin_options;
        admin_options.listen = admin_listen;
        // Small, and with room kept for local scripts: remote peers reach
        // it before they authenticate.
        admin_options.max_connections = 64;
        admin_options.max_connections_per_client = 8;
        admin_options.reserved_for_loopback = 16;
        admin_options.max_active = 16;
        admin_options.min_workers = 1;  // seldom busy: one idle worker, more when it is
        admin_options.idle_timeout_s = 15;
        auto listening = ostor::gw::Server::listen(admin_options);
        if (!listening) {
            std::fprintf(stderr, "ostor-gateway: admin listener: %.*s\n",
                         static_cast<int>(listening.error().message().size()), listening.error().message().data());
            return 1;
        }
        admin_server = std::move(*listening);
    }
    ostor::gw::AdminAccess admin_access;
    if (!admin_token_file.empty()) {
        auto token = ostor::gw::read_admin_token_file(admin_token_file);
        if (!token) {
            std::fprintf(stderr, "ostor-gateway: %.*s\n", static_cast<int>(token.error().message().size()),
                         token.error().message().data());
            return 1;
        }
        admin_access.token = std::move(*token);
    }
    if (!admin_listen.empty() && !ostor::gw::listen_is_loopback(admin_listen))
        std::fprintf(stderr,
                     "ostor-gateway: warning: the admin listener %s is reachable from other hosts; they must present "
                     "a system user's signature%s\n",
                     admin_listen.c_str(), admin_access.token.empty() ? "" : " or the admin token");

    // Read before the volume is opened (or made): a bad gw.conf stops the
    // start before a system user exists.
    auto config = ostor::gw::read_gw_conf_of(gateway_dir);
    if (!config) {
        std::fprintf(stderr, "ostor-gateway: %.*s\n", static_cast<int>(config.error().message().size()),
                     config.error().message().data());
        return 1;
    }
    if (!config->warning.empty()) std::fprintf(stderr, "ostor-gateway: warning: %s\n", config->warning.c_str());

    ostor::EngineOptions engine_options;
    {
        // What a RADOS volume lists this gateway as (ostor-ctl get-config):
        // the address it listens on, its port resolved.
        engine_options.instance_address = listening_address((*server)->url());
    }
    engine_options.rados_lease_duration_ms = static_cast<std::uint32_t>(lease_seconds * kMillisecondsPerSecond);
    engine_options.rados_short_lease_for_tests = short_lease_for_tests;
    engine_options.body_memory_bytes = static_cast<std::uint64_t>(body_memory_mib) << 20;
    engine_options.rados_collect_interval_ms = static_cast<std::uint32_t>(collect_seconds * kMillisecondsPerSecond);
    if (on_rados) {
        std::error_code ec;
        std::filesystem::create_directories(gateway_dir, ec);
        if (ec) {
            std::fprintf(stderr, "ostor-gateway: cannot create the state directory %s: %s\n", state_dir.c_str(),
                         ec.message().c_str());
            return 1;
        }
    }
    auto engine = ostor::Engine::open(data, engine_options);
    // Started again after a lost lease (main): the cluster may still be out
    // of reach. A gateway that was serving waits for it rather than exit.
    const bool restarted = std::getenv(kRestartedVariable) != nullptr;
    unsetenv(kRestartedVariable);
    while (!engine && restarted && engine.error().code() == ostor::Errc::IoError) {
        std::fprintf(stderr, "ostor-gateway: cannot open %s yet: %.*s (trying again in %d s)\n", data.c_str(),
                     static_cast<int>(engine.error().message().size()), engine.error().message().data(),
                     kReopenRetrySeconds);
        std::this_thread::sleep_for(std::chrono::seconds(kReopenRetrySeconds));
        engine = ostor::Engine::open(data, engine_options);
    }
    if (!engine) {
        std::fprintf(stderr, "ostor-gateway: cannot open %s: %.*s\n", data.c_str(),
                     static_cast<int>(engine.error().message().size()), engine.error().message().data());
        return 1;
    }
    auto& e = **engine;
    // Reads the start time: made before anything is printed on stdout, so
    // that whoever waits for the "listening" line finds it no later.
    ostor::gw::Metrics metrics;

    // A new store gets a system user so that someone can administer it.
    auto users = e.list_users();
    if (!users) {
        std::fprintf(stderr, "ostor-gateway: %.*s\n", static_cast<int>(users.error().message().size()),
                     users.error().message().data());
        return 1;
    }
    if (users->empty()) {
        auto created = e.create_user(kSystemUserEmail, /*system=*/true, /*with_key=*/true);
        if (created && created->key) {
            std::printf("ostor-gateway: created the system user %s (id %s) with these keys:\n", kSystemUserEmail,
                        created->user.id.c_str());
            std::printf("S3AccessKeyId: %s\nS3SecretAccessKey: %s\n", created->key->access_key_id.c_str(),
                        created->key->secret.c_str());
            std::error_code ec;
            std::printf("ostor-gateway: to show them again: %s query-user-info -e %s --data %s\n",
                        admin_cli_command().c_str(), kSystemUserEmail,
                        on_rados ? ("'" + data + "'").c_str() : std::filesystem::absolute(data, ec).c_str());
        } else if (!created && created.error().code() == ostor::Errc::UserAlreadyExists) {
            // Gateways started together on a new RADOS volume all find it
            // empty: one of them made the system user.
        } else {
            std::string why = created ? "no key was made" : std::string(created.error().message());
            std::fprintf(stderr, "ostor-gateway: cannot create the system user: %s\n", why.c_str());
            return 1;
        }
    }

    // Always started: billing totals are kept whether or not statistics
    // objects are collected.
    auto started = ostor::gw::UsageStats::start(e, {.collect_objects = config->config.collect_stats,
                                                    .service_address = server_options.listen,
                                                    .period = config->config.stat_period,
                                                    .state_dir = gateway_dir});
    if (!started) {
        std::fprintf(stderr, "ostor-gateway: cannot count usage: %.*s\n",
                     static_cast<int>(started.error().message().size()), started.error().message().data());
        return 1;
    }
    std::unique_ptr<ostor::gw::UsageStats> stats = std::move(*started);
    if (config->config.collect_stats)
        std::printf("ostor-gateway: collecting usage statistics as service %s every %llds\n",
                    stats->service_id().c_str(), static_cast<long long>(config->config.stat_period.count()));
    std::printf("ostor-gateway: listening on %s (data %s, volume %s)\n", (*server)->url().c_str(), data.c_str(),
                e.volume_id().c_str());
    if (admin_server) {
        std::printf("ostor-gateway: billing and metrics on %s\n", admin_server->url().c_str());
        std::printf("ostor-gateway: web console on %s/console/\n", admin_server->url().c_str());
    }
    std::fflush(stdout);

    metrics.watch_connections("s3", **server);
    metrics.watch_body_memory(e);
    if (admin_server) metrics.watch_connections("admin", *admin_server);
    s3_options.lifecycle_day_ms = lifecycle_options.day.count();
    ostor::gw::S3Handler handler(e, s3_options, stats.get(), &metrics, access_log.get());
    ostor::gw::BillingEndpoint billing(e, stats->billing(), metrics, (*server)->url(), admin_access);
    // An instance whose lease on a RADOS volume was lost refuses every
    // change for good (its reservations may have been adopted): the gateway
    // stops as on SIGTERM and starts again as a new instance, on the same
    // ports. Checked every second; a local volume never loses its lease.
    // After the handler: the gateway serves while a pass runs.
    lifecycle_options.clock_margin = ostor::gw::lifecycle_clock_margin(e, lifecycle_options.day);
    auto lifecycle = std::make_unique<ostor::gw::LifecycleWorker>(e, lifecycle_options);
    std::atomic<bool> lease_lost{false};
    std::mutex lease_watch_mutex;
    std::condition_variable lease_watch_wake;
    bool stopped = false;
    std::thread lease_watch;
    if (on_rados)
        lease_watch = std::thread([&] {
            std::unique_lock lock(lease_watch_mutex);
            while (!lease_watch_wake.wait_for(lock, std::chrono::seconds(1), [&] { return stopped; })) {
                if (!e.lease_lost()) continue;
                lease_lost = true;
                kill(getpid(), kLeaseLostSignal);
                return;
            }
        });
    std::thread signal_thread([&] {
        int sig = 0;
        // kLeaseLostSignal from outside (nothing lost) is not a stop.
        while (sigwait(&signals, &sig) != 0 || (sig == kLeaseLostSignal && !lease_lost)) {
        }
        if (lease_lost)
            std::fprintf(stderr,
                         "ostor-gateway: this gateway's lease on volume %s was lost (not renewed in time): "
                         "stopping, to start again as a new instance\n",
                         e.volume_id().c_str());
        else
            std::fprintf(stderr, "ostor-gateway: signal %d, stopping\n", sig);
        handler.stop();  // paced downloads end now rather than hold up the stop
        (*server)->stop();
        if (admin_server) admin_server->stop();
    });

    std::thread admin_thread;
    if (admin_server)
        admin_thread = std::thread([&] {
            admin_server->run(
                [&](const ostor::gw::HttpRequest& req, ostor::gw::BodyReader& body, ostor::gw::ResponseWriter& out) {
                    ostor::gw::serve_admin_listener(req, body, out, handler, billing);
                });
        });
    (*server)->run([&](const ostor::gw::HttpRequest& req, ostor::gw::BodyReader& body, ostor::gw::ResponseWriter& out) {
        handler.handle(req, body, out);
    });
    // run() returns only after stop(), which only the signal thread calls.
    signal_thread.join();
    if (admin_thread.joinable()) admin_thread.join();
    if (lease_watch.joinable()) {
        {
            std::lock_guard lock(lease_watch_mutex);
            stopped = true;
        }
        lease_watch_wake.notify_all();
        lease_watch.join();
    }
    lifecycle.reset();  // stops at its next step; what it did is recorded
    stats->stop();      // stores the period under way, adds the last counts to the billing totals
    std::fprintf(stderr, "ostor-gateway: stopped\n");
    if (lease_lost) restart_args = restart_arguments(argc, argv, **server, admin_server.get());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> restart_args;
    int status = serve(argc, argv, restart_args);
    if (restart_args.empty()) return status;
    // Everything serve() opened is closed (listeners, the volume, files):
    // the same program, with the same arguments, opens the volume again as
    // a new instance. The signal mask survives exec: unblock what it blocked.
    sigset_t blocked = stop_signals();
    pthread_sigmask(SIG_UNBLOCK, &blocked, nullptr);
    setenv(kRestartedVariable, "1", 1);
    std::fprintf(stderr, "ostor-gateway: starting again\n");
    std::fflush(nullptr);
    std::vector<char*> exec_argv;
    for (auto& arg : restart_args) exec_argv.push_back(arg.data());
    exec_argv.push_back(nullptr);
    execv("/proc/self/exe", exec_argv.data());
    std::fprintf(stderr, "ostor-gateway: cannot start again: %s\n", std::strerror(errno));
    return 1;
}
