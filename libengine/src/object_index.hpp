// Object keys in the Objects table.
//
// LMDB keys are at most 511 bytes, S3 keys up to 1024. A key shorter than
// kInlineKeyBytes is stored as "bucket/key"; a longer one as "bucket/" + its
// first kInlineKeyBytes bytes + 16 bytes of its SHA-256. Short keys and
// groups of long keys sharing a head still sort in true key order; within
// such a group (rare) ObjectScan sorts by the full key, kept in the record.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "engine_impl.hpp"

namespace ostor::detail {

constexpr std::size_t kInlineKeyBytes = 400;

// Walks a bucket's objects in key order from the first key >= `start`.
class ObjectScan {
public:
    ObjectScan(const Txn& txn, std::string_view bucket);
    // Repositions at the first key >= `start`.
    void seek(std::string_view start);
    std::optional<ObjectRecord> next();

private:
    void fill();
    Cursor cursor_;
    std::string prefix_;
    std::string start_;
    Cursor::Entry pending_;
    bool positioned_ = false;
    std::deque<ObjectRecord> ready_;
};

}  // namespace ostor::detail
