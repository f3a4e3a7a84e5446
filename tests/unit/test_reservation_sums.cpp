// Space reserved by writes under way is kept as a sum per user and per bucket
// (quota checks read the sums instead of scanning every reservation). The
// sums always equal what the reservation rows add up to: after reserving,
// settling (commit) and releasing (abandon), after a writer's process dies
// and recovery releases its reservations, and on a volume written before the
// sums were kept (they are computed at open).
//
// The sums are read both through the API (get_user_usage's `reserved`, and
// quota refusals for buckets) and white-box from the metadata store while no
// Engine of this process has it open.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

#include "codec.hpp"
#include "engine_impl.hpp"
#include "local/lmdb_env.hpp"
#include "local/space_ledger.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

using detail::Table;
using detail::Txn;

constexpr unsigned kChildAlarmSeconds = 120;  // a hung child dies instead of hanging the suite

// The reservation rows summed by a scan, next to the sums kept beside them.
struct StoredSums {
    std::map<std::string, std::uint64_t> rows_by_user, rows_by_bucket;
    std::map<std::string, std::uint64_t> kept_by_user, kept_by_bucket;
    bool kept = false;  // the marker that the sums are maintained
};

StoredSums read_stored_sums(const fs::path& data_dir) {
    StoredSums out;
    auto env = detail::Env::open(data_dir / "meta", EngineOptions{}.meta_map_size_bytes);
    EXPECT_TRUE(env) << env.error().message();
    if (!env) return out;
    Txn txn = Txn::read(**env);
    auto cur = txn.cursor(Table::Reservations);
    for (auto e = cur.first(); e; e = cur.next()) {
        std::string_view k = e->first;
        if (detail::is_reservation_key(k)) {
            auto r = detail::decode_reservation(e->second);
            EXPECT_TRUE(r.has_value());
            if (!r) continue;
            out.rows_by_user[r->user_id] += r->bytes;
            out.rows_by_bucket[r->bucket] += r->bytes;
        } else if (k == "~sums") {
            out.kept = true;
        } else if (k.substr(0, 3) == "~u/") {
            out.kept_by_user[std::string(k.substr(3))] = detail::Decoder(e->second).u64();
        } else if (k.substr(0, 3) == "~b/") {
            out.kept_by_bucket[std::string(k.substr(3))] = detail::Decoder(e->second).u64();
        } else {
            ADD_FAILURE() << "unexpected key in the reservations table: " << k;
        }
    }
    return out;
}

// Removes the kept sums, as a volume written before they existed has none.
void forget_sums(const fs::path& data_dir) {
    auto env = detail::Env::open(data_dir / "meta", EngineOptions{}.meta_map_size_bytes);
    ASSERT_TRUE(env) << env.error().message();
    Txn txn = Txn::write(**env);
    {
        // Closed before the commit: LMDB frees a write transaction's cursors
        // when it ends, and closing one after that frees it twice.
        auto cur = txn.cursor(Table::Reservations);
        for (auto e = cur.first(); e;) {
            if (!detail::is_reservation_key(e->first)) {
                cur.del();
                e = cur.seek(std::string(1, '~'));
            } else {
                e = cur.next();
            }
        }
    }
    txn.commit();
}

::testing::AssertionResult SumsMatchRows(const StoredSums& s) {
    if (!s.kept) return ::testing::AssertionFailure() << "the sums are not marked as kept";
    if (s.kept_by_user != s.rows_by_user) return ::testing::AssertionFailure() << "user sums differ from the rows";
    if (s.kept_by_bucket != s.rows_by_bucket)
        return ::testing::AssertionFailure() << "bucket sums differ from the rows";
    return ::testing::AssertionSuccess();
}

// A forked process that opens the volume, reserves `bytes` in each of
// `buckets` and waits to be killed.
class ReservingChild {
public:
    ReservingChild(const fs::path& dir, std::vector<std::string> buckets, std::uint64_t bytes) {
        int fds[2];
        if (::pipe(fds) != 0) std::abort();
        std::fflush(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(fds[0]);
            ::alarm(kChildAlarmSeconds);
            auto e = open_engine(dir);
            if (!e) ::_exit(2);
            std::vector<std::unique_ptr<ObjectWriter>> writers;
            for (auto& b : buckets) {
                PutOptions opts;
                opts.size_hint = bytes;
                auto w = (*e)->begin_put(b, "never-committed", opts);
                if (!w) ::_exit(3);
                writers.push_back(std::move(*w));
            }
            char c = 'r';
            if (::write(fds[1], &c, 1) != 1) ::_exit(4);
            ::pause();
            ::_exit(0);
        }
        ::close(fds[1]);
        char c = 0;
        ready_ = ::read(fds[0], &c, 1) == 1 && c == 'r';
        ::close(fds[0]);
    }
    ~ReservingChild() { kill(); }
    bool ready() const { return ready_; }
    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
    bool ready_ = false;
};

class ReservationSums : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        uid_ = user_with_bucket("bkt");
        ASSERT_FALSE(uid_.empty());
        ASSERT_NO_FATAL_FAILURE(make_bucket("other", uid_));
        // Reservations are made only where a quota applies.
        ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid_), 10)));
        ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::bucket("bkt"), 1)));
    }
    std::unique_ptr<ObjectWriter> begin(const std::string& bucket, const std::string& key, std::uint64_t bytes) {
        PutOptions opts;
        opts.size_hint = bytes;
        auto w = engine().begin_put(bucket, key, opts);
        EXPECT_TRUE(w) << w.error().message();
        return w ? std::move(*w) : nullptr;
    }
    std::uint64_t reserved() {
        auto u = engine().get_user_usage(uid_);
        EXPECT_TRUE(u) << u.error().message();
        return u ? u->reserved : ~std::uint64_t{0};
    }
    // True when bucket "bkt" refuses a reservation one byte larger than what
    // its 1 GiB quota has left after `held` bytes.
    ::testing::AssertionResult BucketHasRoomForExactly(std::uint64_t room) {
        PutOptions over;
        over.size_hint = room + 1;
        auto refused = engine().begin_put("bkt", "probe", over);
        if (refused) return ::testing::AssertionFailure() << (room + 1) << " bytes were accepted";
        if (refused.error().code() != Errc::QuotaExceeded)
            return ::testing::AssertionFailure() << refused.error().message();
        if (room == 0) return ::testing::AssertionSuccess();
        PutOptions fits;
        fits.size_hint = room;
        auto accepted = engine().begin_put("bkt", "probe", fits);
        if (!accepted) return ::testing::AssertionFailure() << room << " bytes refused: " << accepted.error().message();
        return ::testing::AssertionSuccess();
    }
    std::string uid_;
};

TEST_F(ReservationSums, FollowReserveSettleAndRelease) {
    SKIP_ON_RADOS("the LMDB reservation sums, white-box, and forked writers");
    auto w1 = begin("bkt", "one", 100 * kKiB);
    auto w2 = begin("bkt", "two", 50 * kKiB);
    auto w3 = begin("other", "three", 30 * kKiB);
    ASSERT_TRUE(w1 && w2 && w3);
    EXPECT_EQ(reserved(), 180 * kKiB);
    EXPECT_TRUE(BucketHasRoomForExactly(kGiB - 150 * kKiB));
    auto elsewhere = begin("other", "four", kMiB);  // the other bucket's reservations are its own
    ASSERT_TRUE(elsewhere);
    elsewhere.reset();
    EXPECT_EQ(reserved(), 180 * kKiB);

    ASSERT_TRUE(IsOk(w3->write(as_bytes(std::string(30 * kKiB, '3')))));
    ASSERT_TRUE(IsOk(w3->commit()));  // settled: stored now, no longer reserved
    EXPECT_EQ(reserved(), 150 * kKiB);
    w2.reset();  // released
    EXPECT_EQ(reserved(), 100 * kKiB);
    EXPECT_TRUE(BucketHasRoomForExactly(kGiB - 100 * kKiB));
    ASSERT_TRUE(IsOk(w1->write(as_bytes(std::string(100 * kKiB, '1')))));
    ASSERT_TRUE(IsOk(w1->commit()));
    EXPECT_EQ(reserved(), 0u);
    EXPECT_TRUE(BucketHasRoomForExactly(kGiB - 100 * kKiB));  // now stored bytes

    engine_.reset();
    auto s = read_stored_sums(dir_.path());
    EXPECT_TRUE(SumsMatchRows(s));
    EXPECT_TRUE(s.rows_by_user.empty());
    EXPECT_TRUE(s.kept_by_bucket.empty()) << "a sum back at zero leaves no row";
}

TEST_F(ReservationSums, ADeadWritersReservationsAndTheirSumsGoAtRecovery) {
    SKIP_ON_RADOS("the LMDB reservation sums, white-box, and forked writers");
    ReservingChild child(dir_.path(), {"bkt", "other"}, 300 * kKiB);
    ASSERT_TRUE(child.ready()) << "the child could not reserve";
    EXPECT_EQ(reserved(), 600 * kKiB);  // counted in this process too, at once
    EXPECT_TRUE(BucketHasRoomForExactly(kGiB - 300 * kKiB));
    engine_.reset();
    auto live = read_stored_sums(dir_.path());
    EXPECT_TRUE(SumsMatchRows(live));
    EXPECT_EQ(live.kept_by_user[uid_], 600 * kKiB);
    EXPECT_EQ(live.kept_by_bucket["bkt"], 300 * kKiB);

    child.kill();
    ASSERT_NO_FATAL_FAILURE(open());  // recovery releases the dead writer's reservations
    EXPECT_EQ(reserved(), 0u);
    EXPECT_TRUE(BucketHasRoomForExactly(kGiB));
    engine_.reset();
    auto after = read_stored_sums(dir_.path());
    EXPECT_TRUE(SumsMatchRows(after));
    EXPECT_TRUE(after.rows_by_user.empty());
}

TEST_F(ReservationSums, AVolumeWithoutSumsGetsThemAtOpen) {
    SKIP_ON_RADOS("the LMDB reservation sums, white-box, and forked writers");
    ReservingChild child(dir_.path(), {"bkt"}, 300 * kKiB);
    ASSERT_TRUE(child.ready()) << "the child could not reserve";
    engine_.reset();
    ASSERT_NO_FATAL_FAILURE(forget_sums(dir_.path()));
    auto before = read_stored_sums(dir_.path());
    EXPECT_FALSE(before.kept);
    EXPECT_TRUE(before.kept_by_user.empty());
    EXPECT_EQ(before.rows_by_user[uid_], 300 * kKiB);  // the live writer's row stays

    ASSERT_NO_FATAL_FAILURE(open());
    EXPECT_EQ(reserved(), 300 * kKiB);
    EXPECT_TRUE(BucketHasRoomForExactly(kGiB - 300 * kKiB));
    engine_.reset();
    EXPECT_TRUE(SumsMatchRows(read_stored_sums(dir_.path())));

    child.kill();
    ASSERT_NO_FATAL_FAILURE(open());
    EXPECT_EQ(reserved(), 0u);
    engine_.reset();
    EXPECT_TRUE(SumsMatchRows(read_stored_sums(dir_.path())));
}

}  // namespace
}  // namespace ostor::test
