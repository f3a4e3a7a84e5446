// Billing totals: running sums of usage counters per (user, account) in the
// engine's own records, independent of statistics objects.
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "test_dir.hpp"
#include "test_meta.hpp"

namespace ostor::test {
namespace {

constexpr int kAddsPerWriter = 200;
constexpr int kWriterProcesses = 3;
constexpr unsigned kChildAlarmSeconds = 120;

BillingCounters bytes(std::uint64_t in, std::uint64_t out) {
    BillingCounters c;
    c.put = 1, c.get = 1, c.uploaded = in, c.downloaded = out;
    return c;
}

class BillingTotals : public EngineTest {
protected:
    BillingCounters totals(std::string_view user, std::optional<std::string_view> account = std::nullopt) {
        auto r = engine().billing_totals(user, account);
        EXPECT_TRUE(r) << r.error().message();
        return r ? *r : BillingCounters{};
    }
};

TEST_F(BillingTotals, UnknownIdsHaveZeros) {
    EXPECT_EQ(totals("0123456789abcdef"), BillingCounters{});
    EXPECT_EQ(totals("0123456789abcdef", "acc"), BillingCounters{});
}

TEST_F(BillingTotals, AddsAccumulatePerUserAndAccount) {
    ASSERT_TRUE(IsOk(engine().add_billing_totals({{"aaaaaaaaaaaaaaaa", "", bytes(10, 20)},
                                                  {"aaaaaaaaaaaaaaaa", "sales", bytes(1, 2)},
                                                  {"bbbbbbbbbbbbbbbb", "", bytes(100, 200)}})));
    ASSERT_TRUE(IsOk(engine().add_billing_totals({{"aaaaaaaaaaaaaaaa", "", bytes(5, 5)}})));
    EXPECT_EQ(totals("aaaaaaaaaaaaaaaa", "").uploaded, 15u);
    EXPECT_EQ(totals("aaaaaaaaaaaaaaaa", "").put, 2u);
    EXPECT_EQ(totals("aaaaaaaaaaaaaaaa", "sales").downloaded, 2u);
    // Without an account: the user's own keys plus all its accounts, and no
    // other user's rows (a user id that is a prefix of none of them).
    auto all = totals("aaaaaaaaaaaaaaaa");
    EXPECT_EQ(all.uploaded, 16u);
    EXPECT_EQ(all.downloaded, 27u);
    EXPECT_EQ(all.get, 3u);
    auto listed = engine().list_billing_totals();
    ASSERT_TRUE(listed) << listed.error().message();
    ASSERT_EQ(listed->size(), 3u);
    EXPECT_EQ((*listed)[1].account, "sales");
}

TEST_F(BillingTotals, SurviveReopenAndIgnoreUsageObjects) {
    ASSERT_TRUE(IsOk(engine().add_billing_totals({{"aaaaaaaaaaaaaaaa", "", bytes(7, 9)}})));
    ASSERT_TRUE(IsOk(engine().put_usage_object("s3-usage-8000000000000001-2024-01-01T00:00:00.000Z-1800", "{}")));
    ASSERT_TRUE(IsOk(engine().delete_usage_object("s3-usage-8000000000000001-2024-01-01T00:00:00.000Z-1800")));
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_EQ(totals("aaaaaaaaaaaaaaaa"), bytes(7, 9));
}

TEST_F(BillingTotals, RefusesAUserIdWithASlashAndAddsNothing) {
    EXPECT_TRUE(
        FailsWith(engine().add_billing_totals({{"aaaaaaaaaaaaaaaa", "", bytes(1, 1)}, {"a/b", "", bytes(1, 1)}}),
                  Errc::InvalidArgument));
    EXPECT_EQ(totals("aaaaaaaaaaaaaaaa"), BillingCounters{});
}

TEST_F(BillingTotals, RefusesAnAccountWithASlashAndAddsNothing) {
    EXPECT_TRUE(FailsWith(engine().add_billing_totals(
                              {{"aaaaaaaaaaaaaaaa", "", bytes(1, 1)}, {"bbbbbbbbbbbbbbbb", "sales/eu", bytes(1, 1)}}),
                          Errc::InvalidArgument));
    EXPECT_EQ(totals("aaaaaaaaaaaaaaaa"), BillingCounters{});
}

// A row this version cannot read (an unknown record version, a short row)
// fails reads and additions: read as zeros, the customer's totals would be
// lost from the bill and then overwritten by the next delta alone.
TEST_F(BillingTotals, AnUnreadableRowFailsInsteadOfCountingAsZeros) {
    SKIP_ON_RADOS("writes an unreadable row into the LMDB store");
    constexpr std::string_view kUnknownVersionUser = "aaaaaaaaaaaaaaaa";
    constexpr std::string_view kShortRowUser = "bbbbbbbbbbbbbbbb";
    ASSERT_TRUE(IsOk(engine().add_billing_totals(
        {{std::string(kUnknownVersionUser), "", bytes(10, 20)}, {std::string(kShortRowUser), "", bytes(10, 20)}})));
    engine_.reset();
    edit_meta(dir_.path(), [&](detail::Txn& txn) {
        auto unknown_version_key = std::string(kUnknownVersionUser) + "/";
        std::string row(txn.get(detail::Table::BillingTotals, unknown_version_key).value());
        row[0] = static_cast<char>(0x7F);
        txn.put(detail::Table::BillingTotals, unknown_version_key, row);
        txn.put(detail::Table::BillingTotals, std::string(kShortRowUser) + "/", std::string(1, '\x01'));
    });
    ASSERT_NO_FATAL_FAILURE(open());
    for (auto user : {kUnknownVersionUser, kShortRowUser}) {
        EXPECT_TRUE(FailsWith(engine().billing_totals(user), Errc::Internal)) << user;
        EXPECT_TRUE(FailsWith(engine().billing_totals(user, ""), Errc::Internal)) << user;
        EXPECT_TRUE(FailsWith(engine().add_billing_totals({{std::string(user), "", bytes(1, 1)}}), Errc::Internal))
            << user;
    }
    EXPECT_TRUE(FailsWith(engine().list_billing_totals(), Errc::Internal));
}

// Several gateways on one data directory add to the same totals: no addition
// is lost to another's (threads of one process, and separate processes).
TEST_F(BillingTotals, ConcurrentAddersLoseNothing) {
    SKIP_ON_RADOS(
        "forks writer processes after librados ran in this one (librados is not fork-safe); tests/rados covers several "
        "gateways");
    std::vector<pid_t> children;
    const auto dir = dir_.path();
    // Forked while this process has no other thread: a child of a threaded
    // process may inherit a lock another thread held (ASan's allocator's,
    // malloc's) and hang on it. The engine is opened again after the forks.
    engine_.reset();
    for (int p = 0; p < kWriterProcesses; ++p) {
        std::fflush(nullptr);
        pid_t pid = ::fork();
        if (pid == 0) {
            ::alarm(kChildAlarmSeconds);  // a hung child dies instead of hanging the suite
            auto e = open_engine(dir);
            if (!e) ::_exit(2);
            for (int i = 0; i < kAddsPerWriter; ++i)
                if (!(*e)->add_billing_totals({{"cccccccccccccccc", "", bytes(1, 3)}})) ::_exit(3);
            e->reset();
            ::_exit(0);
        }
        ASSERT_GT(pid, 0);
        children.push_back(pid);
    }
    ASSERT_NO_FATAL_FAILURE(open());
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kAddsPerWriter; ++i)
                EXPECT_TRUE(IsOk(engine().add_billing_totals({{"cccccccccccccccc", "", bytes(1, 3)}})));
        });
    for (auto& t : threads) t.join();
    for (pid_t pid : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    }
    const std::uint64_t adds = (kWriterProcesses + 2) * kAddsPerWriter;
    auto t = totals("cccccccccccccccc");
    EXPECT_EQ(t.uploaded, adds);
    EXPECT_EQ(t.downloaded, 3 * adds);
    EXPECT_EQ(t.put, adds);
}

}  // namespace
}  // namespace ostor::test
