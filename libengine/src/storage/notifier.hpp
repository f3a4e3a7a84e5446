// Tells the other processes using a volume that an admin change committed,
// so that what they cache about it (keys, limits, user state, quotas) is
// dropped before the call that made the change returns.
//
// Local backend: nothing to tell. Every process reads the shared LMDB
// environment on each call, so a committed change is already seen by all,
// and nothing is cached (caches_may_serve() is false).
// RADOS backend: watch/notify on a control object; changed() returns once
// every live watcher acknowledged (or its watch timed out), and caches serve
// only while this process's own watch is known to be in place.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ostor/types.hpp"

namespace ostor::detail {

// Bucket: a bucket record changed or went (its ACL, a configuration
// document, its versioning, its object lock configuration, its deletion).
// All: anything may have changed (this process may have missed
// announcements: its watch was lost); subject is empty.
enum class ChangeKind { UserState, Keys, Limits, Quotas, Bucket, All };

class Notifier {
public:
    virtual ~Notifier() = default;
    // After `kind` of `subject` changed and committed. Subjects name what
    // changed without ambiguity (a bucket may be named like a user id):
    // user_subject(), bucket_subject(), or subject_of() a target.
    virtual void changed(ChangeKind kind, std::string_view subject) = 0;
    // Several changes of one call, announced together (one round trip).
    virtual void changed(const std::vector<std::pair<ChangeKind, std::string>>& changes) {
        for (const auto& [kind, subject] : changes) changed(kind, subject);
    }
    // `fn` runs (on a thread of the notifier's) for every change another
    // process announced.
    // Changes this process announces itself reach `fn` too, before
    // changed() returns.
    virtual void subscribe(std::function<void(ChangeKind, std::string_view)> fn) = 0;
    // Whether what was cached from the catalogs may be served: true only
    // while every change made anywhere is known to reach the subscribers.
    // A cache checks it on every lookup and before every insert.
    virtual bool caches_may_serve() const { return false; }
};

inline std::string user_subject(std::string_view user_id) { return "u/" + std::string(user_id); }
inline std::string bucket_subject(std::string_view bucket) { return "b/" + std::string(bucket); }
inline std::string subject_of(const LimitTarget& t) {
    return t.kind == LimitTarget::Kind::User ? user_subject(t.id) : bucket_subject(t.id);
}
inline std::string subject_of(const QuotaTarget& t) {
    switch (t.kind) {
        case QuotaTarget::Kind::User:
            return user_subject(t.id);
        case QuotaTarget::Kind::Bucket:
            return bucket_subject(t.id);
        case QuotaTarget::Kind::DefaultUser:
            return "default-user";
        case QuotaTarget::Kind::DefaultBucket:
            return "default-bucket";
    }
    return {};
}

// The local backend's notifier: committed changes are seen through the
// shared metadata store, so there is nobody to tell.
class SharedStoreNotifier final : public Notifier {
public:
    void changed(ChangeKind, std::string_view) override {}
    void subscribe(std::function<void(ChangeKind, std::string_view)>) override {}
};

}  // namespace ostor::detail
