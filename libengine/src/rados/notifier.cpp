#include "rados/notifier.hpp"

#include <charconv>

namespace ostor::detail::rados {

namespace {

std::string encode_change(ChangeKind kind, std::string_view subject) {
    return std::to_string(static_cast<int>(kind)) + " " + std::string(subject) + "\n";
}

// Anything unreadable is taken as "everything may have changed".
std::pair<ChangeKind, std::string_view> decode_change(std::string_view payload) {
    int kind = 0;
    auto sp = payload.find(' ');
    auto head = payload.substr(0, sp);
    auto [end, ec] = std::from_chars(head.data(), head.data() + head.size(), kind);
    if (sp == std::string_view::npos || ec != std::errc() || end != head.data() + head.size() || kind < 0 ||
        kind > static_cast<int>(ChangeKind::All))
        return {ChangeKind::All, {}};
    return {static_cast<ChangeKind>(kind), payload.substr(sp + 1)};
}

}  // namespace

RadosNotifier::RadosNotifier(Client& client) : client_(client) {}

Result<std::unique_ptr<RadosNotifier>> RadosNotifier::open(Client& client) {
    // Made by whichever instance comes first; an empty object (create() is
    // not exclusive, so instances opening together all go on).
    OSTOR_TRY(client.apply(Pool::Meta, std::string(kChangesOid), WriteOp().create()));
    std::unique_ptr<RadosNotifier> n(new RadosNotifier(client));
    OSTOR_TRY(n->watch());
    n->watching_ = true;
    n->rewatcher_ = std::thread([p = n.get()] { p->rewatch_loop(); });
    return n;
}

RadosNotifier::~RadosNotifier() {
    {
        std::lock_guard lock(watch_mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (rewatcher_.joinable()) rewatcher_.join();
    watching_ = false;
    std::unique_ptr<Watch> w;
    {
        std::lock_guard lock(watch_mutex_);
        w = std::move(watch_);
    }
    w.reset();  // unwatches and waits for running handlers
}

Result<void> RadosNotifier::watch() {
    auto w = client_.watch(
        Pool::Meta, std::string(kChangesOid),
        [this](std::string_view payload) {
            while (!payload.empty()) {
                auto eol = payload.find('\n');
                auto [kind, subject] = decode_change(payload.substr(0, eol));
                deliver(kind, subject);
                payload = eol == std::string_view::npos ? std::string_view() : payload.substr(eol + 1);
            }
            return std::string();
        },
        [this](const Error&) { watch_lost(); });
    if (!w) return std::move(w).error();
    std::lock_guard lock(watch_mutex_);
    watch_ = std::move(*w);
    return {};
}

void RadosNotifier::deliver(ChangeKind kind, std::string_view subject) {
    std::lock_guard lock(subscribers_mutex_);
    for (auto& fn : subscribers_) fn(kind, subject);
}

void RadosNotifier::watch_lost() {
    {
        std::lock_guard lock(watch_mutex_);
        watching_ = false;  // stop serving what may be stale
        lost_ = true;
    }
    wake_.notify_all();
}

void RadosNotifier::rewatch_loop() {
    std::unique_lock lock(watch_mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || lost_; });
        if (stopping_) return;
        // The old watch goes first (destroying it may wait for a handler,
        // which must not wait on this mutex: handlers only deliver).
        std::unique_ptr<Watch> old = std::move(watch_);
        lost_ = false;
        lock.unlock();
        old.reset();
        bool ok = static_cast<bool>(watch());
        // Announcements made while no watch was in place were missed:
        // everything goes before caches serve again.
        if (ok) deliver(ChangeKind::All, {});
        lock.lock();
        // Serving again only if the new watch was not lost meanwhile (then
        // lost_ is set again, and the next turn watches again).
        if (ok && !lost_ && !stopping_) watching_ = true;
        if (!ok) {
            lost_ = true;  // try again after a pause
            wake_.wait_for(lock, kRewatchInterval, [&] { return stopping_; });
        }
    }
}

void RadosNotifier::changed(ChangeKind kind, std::string_view subject) {
    // This instance's own caches first, without a round trip; its watch
    // receives the notify too (a second erase, harmless).
    deliver(kind, subject);
    announce(encode_change(kind, subject));
}

void RadosNotifier::changed(const std::vector<std::pair<ChangeKind, std::string>>& changes) {
    std::string payload;
    for (const auto& [kind, subject] : changes) {
        deliver(kind, subject);
        payload += encode_change(kind, subject);
    }
    announce(payload);
}

void RadosNotifier::announce(const std::string& payload) {
    (void)client_.notify(Pool::Meta, std::string(kChangesOid), payload, kNotifyTimeout);
}

void RadosNotifier::subscribe(std::function<void(ChangeKind, std::string_view)> fn) {
    std::lock_guard lock(subscribers_mutex_);
    subscribers_.push_back(std::move(fn));
}

}  // namespace ostor::detail::rados
