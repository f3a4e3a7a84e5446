// A compound write on one RADOS object: guards (exclusive create, exists,
// xattr and omap compares) and changes (data, xattrs, omap, remove), applied
// by Client::apply as one OSD transaction: all of it or none of it.
//
// The guards are checked before any change, whatever order they were added
// in (an OSD reads omap and xattrs as they were before the transaction, so a
// compare placed after a change to the same key would not see that change
// anyway). When a guard fails, nothing is changed and the call fails:
//   create_exclusive on an existing object   kAlreadyExists (PreconditionFailed)
//   assert_exists on a missing object         kNotFound (NoSuchKey)
//   compare_xattr / compare_omap not holding  kCompareFailed (PreconditionFailed)
// A compare reads a missing xattr or omap key as the empty value: "key
// absent" is compare_omap(key, Compare::Eq, ""), so a guarded value is never
// stored empty. Comparisons are bytewise (memcmp order, then length).
// compare_omap takes only Eq, Lt and Gt (the OSD fails a write holding any
// other omap compare with EINVAL, whatever the values; "present" is Gt ""),
// and one compare per key (the OSD's request holds one per key: a second
// would silently replace the first). A WriteOp breaking either rule is
// refused before anything is sent: check() fails, and so does Client::apply
// (Internal: a bug in the caller).
//
// A WriteOp is a plain value: build it on any thread, apply it any number of
// times.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rados/librados_fwd.hpp>

#include "ostor/error.hpp"

namespace ostor::detail::rados {

// librados's LIBRADOS_CMPXATTR_OP_* values.
enum class Compare : std::uint8_t { Eq = 1, Ne = 2, Gt = 3, Gte = 4, Lt = 5, Lte = 6 };

class WriteOp {
public:
    // Guards.
    WriteOp& create_exclusive();
    WriteOp& assert_exists();
    // Holds when the stored value `op` `value` (stored < value for Lt).
    WriteOp& compare_xattr(std::string name, Compare op, std::string value);
    WriteOp& compare_omap(std::string key, Compare op, std::string value);

    // Changes, applied in the order added. A write to a missing object
    // creates it (unless a guard says otherwise).
    WriteOp& create();                      // an empty object, if missing
    WriteOp& write_full(std::string data);  // replaces the whole data
    // Writes `data` at `offset_bytes` (extends the object as needed).
    WriteOp& write(std::uint64_t offset_bytes, std::string data);
    WriteOp& set_xattr(std::string name, std::string value);
    WriteOp& omap_set(std::string key, std::string value);
    WriteOp& omap_set(const std::map<std::string, std::string>& entries);
    WriteOp& omap_remove(std::string key);
    WriteOp& omap_remove_keys(const std::set<std::string>& keys);
    WriteOp& remove();  // the object, its xattrs and omap

    bool empty() const {
        return !exclusive_ && !exists_ && xattr_guards_.empty() && omap_guards_.empty() && changes_.empty();
    }

    // Fails (Internal) when a guard added is one the OSD would not run as
    // written (see above); build() must not be called then.
    Result<void> check() const;

    // `omap` as the changes leave it, guards not checked (tests of what a
    // planned write does, without a cluster).
    std::map<std::string, std::string> omap_after(std::map<std::string, std::string> omap) const;

    // The librados operation (for Client): guards first, then the changes.
    // The operation refers to nothing of this WriteOp after it returns.
    void build(librados::ObjectWriteOperation& op) const;

private:
    struct Guard {
        std::string name;
        Compare op;
        std::string value;
    };
    enum class Kind : std::uint8_t { Create, WriteFull, Write, SetXattr, OmapSet, OmapRemove, Remove };
    struct Change {
        Kind kind;
        std::string name;          // SetXattr, OmapSet, OmapRemove
        std::string value;         // WriteFull, Write, SetXattr, OmapSet
        std::uint64_t offset = 0;  // Write
    };

    bool exclusive_ = false;
    bool exists_ = false;
    std::vector<Guard> xattr_guards_;
    std::vector<Guard> omap_guards_;
    std::string refused_;  // why check() fails, "" when it does not
    std::vector<Change> changes_;
};

}  // namespace ostor::detail::rados
