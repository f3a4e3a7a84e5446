#include "mount_point.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>
#include <system_error>

namespace ostor::fs {

namespace {

namespace stdfs = std::filesystem;

// mountinfo escapes blanks, newlines and backslashes in paths as \ooo.
std::string unescape(std::string_view field) {
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        auto octal = [&](std::size_t k) { return field[k] >= '0' && field[k] <= '7'; };
        if (field[i] == '\\' && i + 3 < field.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
            out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
            i += 3;
        } else {
            out += field[i];
        }
    }
    return out;
}

// The source ("ostor:/var/lib/ostor") of the tree mounted at `path`, if any.
std::optional<std::string> tree_mounted_at(const std::string& path) {
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mountinfo, line)) {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
        std::string_view rest = line;
        auto field = [&rest]() {
            auto blank = rest.find(' ');
            std::string_view f = rest.substr(0, blank);
            rest = blank == std::string_view::npos ? std::string_view() : rest.substr(blank + 1);
            return f;
        };
        for (int i = 0; i < 4; ++i) field();
        std::string mount_point = unescape(field());
        auto separator = rest.find(" - ");
        if (separator == std::string_view::npos || mount_point != path) continue;
        rest.remove_prefix(separator + 3);
        if (field() == kTreeFsType) return unescape(field());
    }
    return std::nullopt;
}

Error refused(const std::string& path, const std::string& why) {
    return Error(Errc::InvalidArgument, "cannot mount on " + path + ": " + why);
}

Error dead_mount(const std::string& path, const std::error_code& ec) {
    return refused(path, ec.message() + " (a tree whose process ended is still mounted there; unmount it with " +
                             "fusermount3 -u " + path + ")");
}

}  // namespace

Result<void> check_mount_point(const std::string& path, bool allow_nonempty) {
    std::error_code ec;
    stdfs::path real = stdfs::canonical(path, ec);
    if (ec) return ec.value() == ENOTCONN ? dead_mount(path, ec) : refused(path, ec.message());
    bool dir = stdfs::is_directory(real, ec);
    if (ec.value() == ENOTCONN) return dead_mount(path, ec);
    if (auto source = tree_mounted_at(real.string())) {
        return refused(
            path, "the tree is already mounted there (" + *source + "); unmount it first with fusermount3 -u " + path);
    }
    if (!dir) return refused(path, ec ? ec.message() : "not a directory");
    stdfs::directory_iterator entries(real, ec);
    if (ec) return refused(path, ec.message());
    if (!allow_nonempty && entries != stdfs::directory_iterator()) {
        return refused(path,
                       "the directory is not empty (the tree would hide its files); give -o nonempty to "
                       "mount there anyway");
    }
    return {};
}

}  // namespace ostor::fs
