// ostor-fuse: mounts the admin tree of a data directory.
//
//   ostor-fuse --data DIR MOUNTPOINT [-f] [-o OPTIONS]
//   ostor-fuse DIR MOUNTPOINT -o OPTIONS        (the form mount(8) uses; fstab:
//       /var/lib/ostor  /ostor  fuse.ostor-fuse  defaults  0 0)
//
// It runs as a daemon unless -f is given; `fusermount3 -u MOUNTPOINT` (or
// SIGTERM) unmounts it. Only the user who mounted it (root) may use the tree
// unless -o allow_other is given. It refuses a mount point that holds files
// unless -o nonempty is given (libfuse3 dropped that check and refuses the
// option), and one where the tree is already mounted.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "fuse_ops.hpp"

#include <fuse_lowlevel.h>  // fuse_parse_cmdline
#include "mount_point.hpp"
#include "ostor/engine.hpp"
#include "tree.hpp"

namespace {

// Why the volume cannot be opened ("" when it can), found by opening it once
// in a child process. Not in this one: a daemon forks after this, and a
// RADOS volume's librados (its global context and threads) is not safe to
// fork, even once shut down, so this process opens a volume only after
// fuse_daemonize.
std::string volume_open_error(const std::string& data, const ostor::EngineOptions& options) {
    int fds[2];
    if (pipe(fds) != 0) return std::string("cannot probe the volume: pipe: ") + std::strerror(errno);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return std::string("cannot probe the volume: fork: ") + std::strerror(e);
    }
    if (pid == 0) {
        close(fds[0]);
        bool opened = false;
        std::string message;
        {
            // Closed before _exit: a RADOS engine gives its lease back.
            auto probe = ostor::Engine::open(data, options);
            opened = bool(probe);
            if (!probe) message = probe.error().message();
        }
        for (size_t at = 0; at < message.size();) {
            ssize_t n = write(fds[1], message.data() + at, message.size() - at);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            at += static_cast<size_t>(n);
        }
        _exit(opened ? 0 : 1);
    }
    close(fds[1]);
    std::string message;
    char buffer[512];
    for (;;) {
        ssize_t n = read(fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        message.append(buffer, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    if (!message.empty()) return message;
    return WIFSIGNALED(status)
               ? std::string("opening the volume was killed by signal ") + std::to_string(WTERMSIG(status))
               : std::string("the volume cannot be opened");
}

constexpr const char* kUsage =
    "usage: ostor-fuse --data DIR MOUNTPOINT [-f] [-o OPTION[,OPTION...]]\n"
    "       ostor-fuse DIR MOUNTPOINT [-o ...]   (as mount(8) runs it from /etc/fstab)\n"
    "  --data DIR   the ostor data directory (must exist; the gateway may be running on it), or a RADOS\n"
    "               volume, rados:PREFIX?... (as ostor-gateway takes it)\n"
    "  -f           stay in the foreground (default: run as a daemon)\n"
    "  -o allow_other  let users other than the one who mounted it use the tree\n"
    "  -o nonempty  mount on a directory that holds files (hidden while mounted)\n"
    "Unmount with: fusermount3 -u MOUNTPOINT\n";

// Mount options mount(8) passes that mean nothing to a FUSE filesystem.
bool ignored_mount_option(std::string_view o) {
    return o == "defaults" || o == "auto" || o == "noauto" || o == "user" || o == "nouser" || o == "_netdev" ||
           o == "nofail" || o == "users" || o == "owner";
}

// The options of an -o list for libfuse3; "nonempty", which libfuse3 refuses,
// is checked here (mount_point.hpp) and taken out.
std::string filter_mount_options(std::string_view list, bool& nonempty) {
    std::string out;
    while (!list.empty()) {
        auto comma = list.find(',');
        auto o = list.substr(0, comma);
        if (o == "nonempty") {
            nonempty = true;
        } else if (!o.empty() && !ignored_mount_option(o)) {
            if (!out.empty()) out += ',';
            out.append(o);
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::string data;
    bool nonempty = false;
    std::vector<std::string> positional, passthrough;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (a == "--data" && i + 1 < argc) {
            data = argv[++i];
        } else if (a.starts_with("--data=")) {
            data = a.substr(7);
        } else if ((a == "-o" && i + 1 < argc) || (a.starts_with("-o") && a.size() > 2)) {
            std::string opts = filter_mount_options(a == "-o" ? std::string_view(argv[++i]) : a.substr(2), nonempty);
            if (!opts.empty()) passthrough.insert(passthrough.end(), {"-o", opts});
        } else if (a.starts_with("-")) {
            passthrough.push_back(a);
        } else {
            positional.push_back(a);
        }
    }
    if (data.empty() && positional.size() == 2) {
        data = positional[0];
        positional.erase(positional.begin());
    }
    if (data.empty() || positional.size() != 1) {
        std::fputs(data.empty() ? "ostor-fuse: --data DIR is required\n" : "ostor-fuse: one MOUNTPOINT is required\n",
                   stderr);
        std::fputs(kUsage, stderr);
        return 2;
    }

    // Before mounting and before a daemon forks: the exit status must say it.
    if (auto usable = ostor::fs::check_mount_point(positional[0], nonempty); !usable) {
        std::fprintf(stderr, "ostor-fuse: %.*s\n", static_cast<int>(usable.error().message().size()),
                     usable.error().message().data());
        return 1;
    }

    // A daemon runs in "/": the directory must not depend on where we started.
    // A RADOS volume's spec (rados:...) names no local directory.
    std::error_code ec;
    if (!data.starts_with("rados:")) data = std::filesystem::absolute(data, ec).lexically_normal().string();

    // Refuse a bad data directory before mounting (a daemon could not say).
    ostor::EngineOptions engine_options;
    engine_options.create_if_missing = false;
    engine_options.async_threads = 1;
    if (auto why = volume_open_error(data, engine_options); !why.empty()) {
        std::fprintf(stderr, "ostor-fuse: %s\n", why.c_str());
        return 1;
    }

    // default_permissions: the kernel applies the files' modes, so with
    // -o allow_other other users still cannot read the 0600 secrets or write.
    std::vector<std::string> fuse_argv_storage = {argv[0], positional[0], "-o",
                                                  "fsname=ostor:" + data + ",subtype=ostor,default_permissions"};
    fuse_argv_storage.insert(fuse_argv_storage.end(), passthrough.begin(), passthrough.end());
    std::vector<char*> fuse_argv;
    for (auto& s : fuse_argv_storage) fuse_argv.push_back(s.data());
    fuse_args args = FUSE_ARGS_INIT(static_cast<int>(fuse_argv.size()), fuse_argv.data());
    fuse_cmdline_opts opts{};
    if (fuse_parse_cmdline(&args, &opts) != 0) return 2;
    if (!opts.mountpoint) {
        std::fputs("ostor-fuse: one MOUNTPOINT is required\n", stderr);
        return 2;
    }

    // The tree's engine is opened after daemonizing (a fork keeps no threads).
    std::unique_ptr<ostor::Engine> engine;
    std::unique_ptr<ostor::fs::Tree> tree;
    auto ops = ostor::fs::admin_tree_operations();
    fuse* f = fuse_new(&args, &ops, sizeof ops, &tree);
    if (!f) return 2;
    int rc = 1;
    if (fuse_mount(f, opts.mountpoint) == 0) {
        if (fuse_daemonize(opts.foreground) == 0) {
            auto opened = ostor::Engine::open(data, engine_options);
            if (opened) {
                engine = std::move(*opened);
                tree = std::make_unique<ostor::fs::Tree>(*engine);
                fuse_session* se = fuse_get_session(f);
                if (fuse_set_signal_handlers(se) == 0) {
                    rc = opts.singlethread ? fuse_loop(f) : fuse_loop_mt(f, opts.clone_fd);
                    fuse_remove_signal_handlers(se);
                }
            } else {
                std::fprintf(stderr, "ostor-fuse: %.*s\n", static_cast<int>(opened.error().message().size()),
                             opened.error().message().data());
            }
        }
        fuse_unmount(f);
    }
    fuse_destroy(f);
    free(opts.mountpoint);
    fuse_opt_free_args(&args);
    // The loop returns the signal that ended it (SIGTERM, SIGINT, SIGHUP): a clean stop.
    return rc == 0 || rc == SIGTERM || rc == SIGINT || rc == SIGHUP ? 0 : 1;
}
