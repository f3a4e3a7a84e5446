// Several processes on one data directory: each sees the others' committed
// changes on its next read, without reopening.
//
// The children are fork()ed and must not use gtest: they report through
// their exit status (0 = all checks passed, anything else names the step that
// failed) and end with _exit().
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

constexpr unsigned kChildAlarmSeconds = 120;  // a hung child dies instead of hanging the suite
constexpr int kPollTimeoutMs = 60000;

// One-way byte channel between parent and child.
struct Channel {
    int fd[2] = {-1, -1};
    Channel() {
        if (::pipe(fd) != 0) std::abort();
    }
    ~Channel() {
        for (int f : fd)
            if (f >= 0) ::close(f);
    }
    bool send(char c = 'x') { return ::write(fd[1], &c, 1) == 1; }
    // False on timeout or EOF.
    bool receive(char* out = nullptr) {
        pollfd p{fd[0], POLLIN, 0};
        if (::poll(&p, 1, kPollTimeoutMs) != 1) return false;
        char c;
        if (::read(fd[0], &c, 1) != 1) return false;
        if (out) *out = c;
        return true;
    }
};

// Runs `body` in a forked child; returns its pid.
pid_t spawn(const std::function<int()>& body) {
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::alarm(kChildAlarmSeconds);
        int code = 99;
        try {
            code = body();
        } catch (...) {
            code = 98;
        }
        ::_exit(code);
    }
    return pid;
}

// The child's exit status, or a description of how it died.
std::string wait_child(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return "waitpid failed";
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "unknown status";
}

class MultiProcess : public EngineTest {};

TEST_F(MultiProcess, ChildWritesParentSeesEachChangeWithoutReopening) {
    SKIP_ON_RADOS("several processes open one data directory");
    const std::string uid = make_user("parent@example.com");
    ASSERT_FALSE(uid.empty());
    const std::string body = random_bytes(300001, 4242);
    // Read everything first, so that nothing the parent holds is fresher than
    // what the child is about to change.
    EXPECT_TRUE(FailsWith(engine().get_user_by_email("child@example.com"), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().get_bucket("child-bucket"), Errc::NoSuchBucket));
    auto l0 = engine().get_limits(LimitTarget::user(uid));
    ASSERT_TRUE(l0) << l0.error().message();
    EXPECT_EQ(l0->ops_get, 0);

    Channel to_parent, to_child;
    const std::filesystem::path dir = dir_.path();
    pid_t pid = spawn([&]() -> int {
        auto e = open_engine(dir);
        if (!e) return 2;
        Engine& en = **e;
        if (!en.create_user("child@example.com", false, false)) return 10;
        if (!to_parent.send() || !to_child.receive()) return 3;
        if (!en.create_bucket("child-bucket", uid)) return 11;
        if (!to_parent.send() || !to_child.receive()) return 3;
        if (!put(en, "child-bucket", "obj", body)) return 12;
        if (!to_parent.send() || !to_child.receive()) return 3;
        if (!en.set_limit(LimitTarget::user(uid), LimitSetting::ops(OpClass::Get, 3600))) return 13;
        if (!to_parent.send() || !to_child.receive()) return 3;
        if (!en.set_quota(QuotaTarget::user(uid), 7)) return 14;
        if (!en.delete_object("child-bucket", "obj")) return 15;
        if (!to_parent.send() || !to_child.receive()) return 3;
        e->reset();
        return 0;
    });
    ASSERT_GT(pid, 0);

    ASSERT_TRUE(to_parent.receive()) << "child did not create the user";
    auto u = engine().get_user_by_email("child@example.com");
    EXPECT_TRUE(u) << u.error().message();
    auto users = engine().list_users();
    ASSERT_TRUE(users) << users.error().message();
    EXPECT_EQ(users->size(), 2u);
    to_child.send();

    ASSERT_TRUE(to_parent.receive()) << "child did not create the bucket";
    auto b = engine().get_bucket("child-bucket");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->owner_id, uid);
    to_child.send();

    ASSERT_TRUE(to_parent.receive()) << "child did not put the object";
    EXPECT_TRUE(SameBytes(body_of(engine(), "child-bucket", "obj"), body));
    auto usage = engine().get_user_usage(uid);
    ASSERT_TRUE(usage) << usage.error().message();
    EXPECT_EQ(usage->bytes, body.size());
    to_child.send();

    ASSERT_TRUE(to_parent.receive()) << "child did not set the limit";
    auto l1 = engine().get_limits(LimitTarget::user(uid));
    ASSERT_TRUE(l1) << l1.error().message();
    EXPECT_EQ(l1->ops_get, 3600);
    to_child.send();

    ASSERT_TRUE(to_parent.receive()) << "child did not set the quota";
    auto q = engine().get_quota(QuotaTarget::user(uid));
    ASSERT_TRUE(q) << q.error().message();
    EXPECT_EQ(q->value_or(0), 7u);
    EXPECT_TRUE(FailsWith(engine().head_object("child-bucket", "obj"), Errc::NoSuchKey));
    to_child.send();

    EXPECT_EQ(wait_child(pid), "exit 0");
}

TEST_F(MultiProcess, ParentWritesChildSeesWithoutReopening) {
    SKIP_ON_RADOS("several processes open one data directory");
    Channel ready, go;
    const std::filesystem::path dir = dir_.path();
    const std::string body = random_bytes(200003, 777);
    pid_t pid = spawn([&]() -> int {
        auto e = open_engine(dir);
        if (!e) return 2;
        Engine& en = **e;
        if (en.get_user_by_email("made-by-parent@example.com")) return 10;  // not yet
        if (en.get_bucket("parent-bucket")) return 11;
        if (!ready.send() || !go.receive()) return 3;
        auto u = en.get_user_by_email("made-by-parent@example.com");
        if (!u) return 20;
        auto b = en.get_bucket("parent-bucket");
        if (!b || b->owner_id != u->id) return 21;
        auto got = read_object(en, "parent-bucket", "obj");
        if (!got) return 22;
        if (*got != body) return 23;
        auto l = en.get_limits(LimitTarget::user(u->id));
        if (!l || l->ops_get != 3600 || l->bandwidth_out_kbps != 100) return 24;
        // The quota the parent set is enforced here.
        PutOptions opts;
        opts.size_hint = kGiB + 1;
        auto w = en.begin_put("parent-bucket", "too-big", opts);
        if (w || w.error().code() != Errc::QuotaExceeded) return 25;
        // And a change made here goes back the other way.
        if (!put(en, "parent-bucket", "from-child", "hello parent")) return 26;
        e->reset();
        return 0;
    });
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(ready.receive()) << "child did not start";

    const std::string uid = make_user("made-by-parent@example.com");
    make_bucket("parent-bucket", uid);
    ASSERT_TRUE(IsOk(put(engine(), "parent-bucket", "obj", body)));
    ASSERT_TRUE(IsOk(engine().set_limit(LimitTarget::user(uid), LimitSetting::ops(OpClass::Get, 3600))));
    ASSERT_TRUE(IsOk(engine().set_limit(LimitTarget::user(uid), LimitSetting::bandwidth_out(100))));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid), 1)));
    go.send();

    EXPECT_EQ(wait_child(pid), "exit 0");
    EXPECT_EQ(body_of(engine(), "parent-bucket", "from-child"), "hello parent");
}

TEST_F(MultiProcess, TwoProcessesWritingAtOnceLoseNothing) {
    SKIP_ON_RADOS("several processes open one data directory");
    const std::string uid = user_with_bucket("shared");
    ASSERT_FALSE(uid.empty());
    constexpr int kEach = 30;
    auto body_for = [](const std::string& who, int i) {
        return random_bytes(10000 + i * 997, std::hash<std::string>{}(who) + i);
    };
    Channel ready, go;
    const std::filesystem::path dir = dir_.path();
    pid_t pid = spawn([&]() -> int {
        auto e = open_engine(dir);
        if (!e) return 2;
        if (!ready.send() || !go.receive()) return 3;
        for (int i = 0; i < kEach; ++i)
            if (!put(**e, "shared", "child-" + std::to_string(i), body_for("child", i))) return 10;
        e->reset();
        return 0;
    });
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(ready.receive()) << "child did not start";
    go.send();
    for (int i = 0; i < kEach; ++i)
        EXPECT_TRUE(IsOk(put(engine(), "shared", "parent-" + std::to_string(i), body_for("parent", i))));
    EXPECT_EQ(wait_child(pid), "exit 0");

    auto check_all = [&] {
        for (const char* who : {"child", "parent"})
            for (int i = 0; i < kEach; ++i)
                EXPECT_TRUE(SameBytes(body_of(engine(), "shared", std::string(who) + "-" + std::to_string(i)),
                                      body_for(who, i)))
                    << who << " " << i;
        auto b = engine().get_bucket("shared");
        ASSERT_TRUE(b) << b.error().message();
        EXPECT_EQ(b->objects, 2u * kEach);
    };
    check_all();
    // Reopening runs recovery over the child's segments, which no process
    // holds any more: it must keep every committed byte.
    ASSERT_NO_FATAL_FAILURE(reopen());
    check_all();
}

TEST_F(MultiProcess, ChildWriterThatDiesLeavesNothingVisible) {
    SKIP_ON_RADOS("several processes open one data directory");
    user_with_bucket("bkt");
    Channel ready;
    const std::filesystem::path dir = dir_.path();
    pid_t pid = spawn([&]() -> int {
        auto e = open_engine(dir);
        if (!e) return 2;
        auto w = (*e)->begin_put("bkt", "never-committed");
        if (!w) return 10;
        if (!(*w)->write(as_bytes(random_bytes(500000, 1)))) return 11;
        if (!ready.send()) return 3;
        ::pause();  // until killed
        return 0;
    });
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(ready.receive()) << "child did not write";
    ::kill(pid, SIGKILL);
    EXPECT_EQ(wait_child(pid), "killed by signal 9");
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "never-committed"), Errc::NoSuchKey));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "after", "still works")));
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "never-committed"), Errc::NoSuchKey));
    EXPECT_EQ(body_of(engine(), "bkt", "after"), "still works");
}

}  // namespace
}  // namespace ostor::test
