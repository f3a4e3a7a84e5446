#include "rados/write_op.hpp"

#include <rados/librados.hpp>

namespace ostor::detail::rados {

namespace {

librados::bufferlist to_bufferlist(const std::string& s) {
    librados::bufferlist bl;
    bl.append(s);  // a copy: librados may hold a request's buffers past its completion
    return bl;
}

}  // namespace

WriteOp& WriteOp::create_exclusive() {
    exclusive_ = true;
    return *this;
}

WriteOp& WriteOp::assert_exists() {
    exists_ = true;
    return *this;
}

WriteOp& WriteOp::compare_xattr(std::string name, Compare op, std::string value) {
    xattr_guards_.push_back({std::move(name), op, std::move(value)});
    return *this;
}

WriteOp& WriteOp::compare_omap(std::string key, Compare op, std::string value) {
    if (refused_.empty()) {
        if (op != Compare::Eq && op != Compare::Lt && op != Compare::Gt)
            refused_ = "omap compare of '" + key + "' is not Eq, Lt or Gt (the OSD refuses it)";
        for (const auto& g : omap_guards_)
            if (g.name == key) refused_ = "a second omap compare of '" + key + "' would replace the first";
    }
    omap_guards_.push_back({std::move(key), op, std::move(value)});
    return *this;
}

WriteOp& WriteOp::create() {
    changes_.push_back({Kind::Create, {}, {}, 0});
    return *this;
}

WriteOp& WriteOp::write_full(std::string data) {
    changes_.push_back({Kind::WriteFull, {}, std::move(data), 0});
    return *this;
}

WriteOp& WriteOp::write(std::uint64_t offset_bytes, std::string data) {
    changes_.push_back({Kind::Write, {}, std::move(data), offset_bytes});
    return *this;
}

WriteOp& WriteOp::set_xattr(std::string name, std::string value) {
    changes_.push_back({Kind::SetXattr, std::move(name), std::move(value), 0});
    return *this;
}

WriteOp& WriteOp::omap_set(std::string key, std::string value) {
    changes_.push_back({Kind::OmapSet, std::move(key), std::move(value), 0});
    return *this;
}

WriteOp& WriteOp::omap_set(const std::map<std::string, std::string>& entries) {
    for (const auto& [key, value] : entries) omap_set(key, value);
    return *this;
}

WriteOp& WriteOp::omap_remove(std::string key) {
    changes_.push_back({Kind::OmapRemove, std::move(key), {}, 0});
    return *this;
}

WriteOp& WriteOp::omap_remove_keys(const std::set<std::string>& keys) {
    for (const auto& key : keys) omap_remove(key);
    return *this;
}

WriteOp& WriteOp::remove() {
    changes_.push_back({Kind::Remove, {}, {}, 0});
    return *this;
}

std::map<std::string, std::string> WriteOp::omap_after(std::map<std::string, std::string> omap) const {
    for (const Change& c : changes_) {
        if (c.kind == Kind::OmapSet) omap.insert_or_assign(c.name, c.value);
        if (c.kind == Kind::OmapRemove) omap.erase(c.name);
        if (c.kind == Kind::Remove) omap.clear();
    }
    return omap;
}

Result<void> WriteOp::check() const {
    if (!refused_.empty()) return Error(Errc::Internal, "refused write operation: " + refused_);
    return {};
}

void WriteOp::build(librados::ObjectWriteOperation& op) const {
    if (exclusive_) op.create(true);
    if (exists_) op.assert_exists();
    for (const auto& g : xattr_guards_)
        op.cmpxattr(g.name.c_str(), static_cast<std::uint8_t>(g.op), to_bufferlist(g.value));
    if (!omap_guards_.empty()) {
        std::map<std::string, std::pair<librados::bufferlist, int>> assertions;
        for (const auto& g : omap_guards_) assertions[g.name] = {to_bufferlist(g.value), static_cast<int>(g.op)};
        // The compare's own result is the operation's: -ECANCELED when one fails.
        op.omap_cmp(assertions, nullptr);
    }
    // Consecutive omap sets and removals go out as one step each: fewer ops
    // in the OSD's transaction.
    std::map<std::string, librados::bufferlist> sets;
    std::set<std::string> removals;
    auto flush = [&] {
        if (!sets.empty()) op.omap_set(sets);
        if (!removals.empty()) op.omap_rm_keys(removals);
        sets.clear();
        removals.clear();
    };
    for (const auto& c : changes_) {
        switch (c.kind) {
            case Kind::OmapSet:
                if (!removals.empty()) flush();
                sets[c.name] = to_bufferlist(c.value);
                continue;
            case Kind::OmapRemove:
                if (!sets.empty()) flush();
                removals.insert(c.name);
                continue;
            default:
                flush();
        }
        switch (c.kind) {
            case Kind::Create:
                op.create(false);
                break;
            case Kind::WriteFull:
                op.write_full(to_bufferlist(c.value));
                break;
            case Kind::Write:
                op.write(c.offset, to_bufferlist(c.value));
                break;
            case Kind::SetXattr:
                op.setxattr(c.name.c_str(), to_bufferlist(c.value));
                break;
            case Kind::Remove:
                op.remove();
                break;
            case Kind::OmapSet:
            case Kind::OmapRemove:
                break;  // handled above
        }
    }
    flush();
}

}  // namespace ostor::detail::rados
