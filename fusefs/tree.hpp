// The admin tree of docs/architecture.md as data: a table of nodes (path pattern, mode,
// handlers). The FUSE callbacks (fuse_ops.cpp) only resolve paths here and
// call the handlers; nothing here knows FUSE, so the tree is plain engine
// code with the seed's formats.
//
// Patterns are absolute paths whose "*" components match one name each
// (a user's email, an account, a bucket, a statistics object); the names
// matched are the node's captures, checked to exist as the path resolves.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

#include "ostor/engine.hpp"

namespace ostor::fs {

struct Node;

// A path resolved to its node and the names its "*" components matched.
struct Resolved {
    const Node* node = nullptr;
    std::vector<std::string> captures;
};

class Tree {
public:
    explicit Tree(Engine& engine) : engine_(engine) {}

    // Fails: NoSuchUser / NoSuchAccount / NoSuchBucket / NoSuchUsageObject
    // or InvalidArgument (no such path) — all "not found" to the caller.
    Result<Resolved> resolve(std::string_view path) const;

    bool is_dir(const Resolved& r) const;
    mode_t mode(const Resolved& r) const;  // with S_IFDIR / S_IFREG
    bool writable(const Resolved& r) const;

    // A directory's entries (names, without "." and "..").
    Result<std::vector<std::string>> list(const Resolved& dir) const;
    // A file's current contents.
    Result<std::string> read(const Resolved& file) const;
    // Performs what writing `data` (whole lines) to the file means. `replace`
    // is true for the first lines after an open with O_TRUNC (the file's new
    // contents), false for further lines and appends. Bad input fails and
    // changes nothing. Fails: InvalidArgument / InvalidLimit (EINVAL) and the
    // engine's refusals; PermissionDenied-like InvalidArgument for a file
    // that takes no writes (the caller checks writable() first).
    Result<void> write(const Resolved& file, std::string_view data, bool replace) const;
    // Whether `partial`, the start of a line whose end has not been written
    // yet, can still become a line the file takes (line_forms.hpp).
    bool may_begin_line(const Resolved& file, std::string_view partial) const;
    // Truncation to empty, with nothing written after it (": > limits").
    Result<void> truncate(const Resolved& file) const;
    // The state a writable file stands for, taken when it is opened for
    // writing, and put back when a later write of that open fails: a shell
    // writes line by line, so "good line, bad line" must not leave the good
    // one applied. (Keys: pairs generated since are revoked again.)
    Result<std::string> save(const Resolved& file) const;
    Result<void> restore(const Resolved& file, const std::string& saved) const;
    // mkdir NAME inside `dir` (a user in users/, an account in accounts/).
    Result<void> make_dir(const Resolved& dir, std::string_view name) const;
    // rmdir of a user or an account.
    Result<void> remove_dir(const Resolved& dir) const;
    // rm of a statistics object.
    Result<void> remove_file(const Resolved& file) const;

private:
    Engine& engine_;
};

// Whether the tree lets `r` be created with mkdir / removed with rmdir or rm.
bool can_make_dir_in(const Resolved& dir);
bool can_remove(const Resolved& r);

}  // namespace ostor::fs
