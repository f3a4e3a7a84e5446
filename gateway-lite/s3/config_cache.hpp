// Parsed bucket configuration documents, kept so that a request parses
// none: keyed by the bucket's name and epoch (a recreated bucket never sees
// its predecessor's), and checked against the document (a changed one is
// parsed anew). Bounded: the names come from requests, and a parse is cheap
// next to a request, so past the bound it starts over.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ostor/types.hpp"

namespace ostor::gw::s3 {

template <class T>
class ParsedConfigCache {
public:
    static constexpr std::size_t kMaxEntries = 1024;
    // The bucket is there for documents that name it (a policy's resources).
    using Parse = T (*)(const Bucket& bucket, std::string_view document);

    explicit ParsedConfigCache(Parse parse) : parse_(parse) {}

    T get(const Bucket& b, const std::string& document) {
        auto name = b.name + '\n' + std::to_string(b.epoch);
        std::lock_guard lock(mutex_);
        auto it = cache_.find(name);
        if (it != cache_.end() && it->second.document == document) return it->second.parsed;
        T parsed = parse_(b, document);
        if (cache_.size() >= kMaxEntries) cache_.clear();
        cache_[name] = Entry{document, parsed};
        return parsed;
    }

private:
    struct Entry {
        std::string document;
        T parsed;
    };
    Parse parse_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> cache_;
};

}  // namespace ostor::gw::s3
