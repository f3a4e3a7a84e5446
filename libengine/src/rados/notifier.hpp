// The RADOS backend's Notifier: watch/notify on one control object of the
// meta pool, `changes`. Every engine instance of the volume watches it;
// changed() sends a notify and returns once every watcher acknowledged, and
// a watcher acknowledges only after its subscribers ran (erased what they
// cached). So a change made through any gateway, CLI or admin tree is seen
// by every other one on its next request, with no polling interval.
//
// Payload: lines "<kind> <subject>", kind a decimal ChangeKind (several
// changes of one call go in one notify).
//
// Caches serve (caches_may_serve()) only while this instance's watch is in
// place. When librados reports the watch lost (the OSD restarted, or this
// client was cut off past the watch timeout: announcements may have been
// missed), caches stop serving at once, a thread of the notifier watches
// again (every kRewatchInterval until it succeeds), tells the subscribers
// ChangeKind::All, and only then lets caches serve again.
//
// A notify that some watcher did not acknowledge within kNotifyTimeout (a
// gateway that hangs, is cut off, or was killed: its watch stays registered
// until the OSD's watch timeout, 30 s) is given up: the change is committed
// all the same, and a live watcher that missed it has its own watch reported
// lost, which makes it clear its caches as above. changed() never fails.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ostor/error.hpp"
#include "rados/client.hpp"
#include "storage/notifier.hpp"

namespace ostor::detail::rados {

inline constexpr std::string_view kChangesOid = "changes";
// How long changed() waits for the other instances' acknowledgements: a
// live one answers in milliseconds; this bounds what a killed gateway (its
// watch not yet timed out) costs an admin call.
inline constexpr std::chrono::milliseconds kNotifyTimeout{3'000};
// How often a lost watch is tried again.
inline constexpr std::chrono::milliseconds kRewatchInterval{1'000};

class RadosNotifier final : public Notifier {
public:
    // Creates the control object when missing and watches it. Fails:
    // IoError (the cluster), as Client::watch. `client` must outlive it.
    static Result<std::unique_ptr<RadosNotifier>> open(Client& client);
    ~RadosNotifier() override;

    void changed(ChangeKind kind, std::string_view subject) override;
    void changed(const std::vector<std::pair<ChangeKind, std::string>>& changes) override;
    void subscribe(std::function<void(ChangeKind, std::string_view)> fn) override;
    bool caches_may_serve() const override { return watching_.load(); }

    // Tests: what happens when librados reports the watch lost.
    void simulate_watch_lost_for_tests() { watch_lost(); }

private:
    explicit RadosNotifier(Client& client);
    Result<void> watch();  // into watch_; caches_may_serve() is the caller's to set
    void deliver(ChangeKind kind, std::string_view subject);
    void announce(const std::string& payload);
    void watch_lost();  // on librados's thread: quick, no RADOS call
    void rewatch_loop();

    Client& client_;
    std::mutex subscribers_mutex_;
    std::vector<std::function<void(ChangeKind, std::string_view)>> subscribers_;

    std::atomic<bool> watching_{false};
    std::mutex watch_mutex_;  // guards watch_, lost_, stopping_
    std::condition_variable wake_;
    std::unique_ptr<Watch> watch_;
    bool lost_ = false;
    bool stopping_ = false;
    std::thread rewatcher_;  // last: started once the rest is built
};

}  // namespace ostor::detail::rados
