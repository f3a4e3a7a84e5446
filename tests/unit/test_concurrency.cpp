// One Engine used from many threads at once.
#include <atomic>
#include <barrier>
#include <mutex>
#include <string>
#include <thread>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

class Concurrency : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        uid_ = user_with_bucket("bkt");
        ASSERT_FALSE(uid_.empty());
    }
    std::string uid_;
};

std::string body_for(int t, int i) { return random_bytes(1 + (t * 7919 + i * 104729) % (64 * 1024), t * 1000 + i); }

TEST_F(Concurrency, SixteenThreadsPutFiftyObjectsEachAllReadableByteExact) {
    constexpr int kThreads = 16, kEach = 50;
    std::atomic<int> failures{0};
    std::mutex m;
    std::string first_error;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                const std::string body = body_for(t, i);
                auto r = put(engine(), "bkt", "t" + std::to_string(t) + "/o" + std::to_string(i), body);
                if (!r || r->etag != md5_hex(body)) {
                    ++failures;
                    std::lock_guard lock(m);
                    if (first_error.empty()) first_error = r ? "wrong etag" : std::string(r.error().message());
                }
            }
        });
    for (auto& th : threads) th.join();
    ASSERT_EQ(failures.load(), 0) << first_error;

    std::uint64_t total = 0;
    for (int t = 0; t < kThreads; ++t)
        for (int i = 0; i < kEach; ++i) {
            const std::string body = body_for(t, i);
            total += body.size();
            EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "t" + std::to_string(t) + "/o" + std::to_string(i)), body))
                << t << "/" << i;
        }
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, std::uint64_t{kThreads * kEach});
    EXPECT_EQ(b->bytes, total);
    auto u = engine().get_user_usage(uid_);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->bytes, total);
    EXPECT_EQ(u->objects, std::uint64_t{kThreads * kEach});
}

TEST_F(Concurrency, ConcurrentOverwritesOfOneKeyAreNeverTorn) {
    constexpr int kWriters = 8, kRounds = 15, kSize = 20000;
    std::atomic<bool> stop{false};
    std::atomic<int> torn{0}, write_failures{0}, reads{0};
    std::vector<std::thread> threads;
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", std::string(kSize, 'A'))));
    for (int t = 0; t < kWriters; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kRounds; ++i)
                if (!put(engine(), "bkt", "k", std::string(kSize, static_cast<char>('B' + t)))) ++write_failures;
        });
    std::mutex m;
    std::string first_problem;
    auto note = [&](std::string what) {
        ++torn;
        std::lock_guard lock(m);
        if (first_problem.empty()) first_problem = std::move(what);
    };
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r)
        readers.emplace_back([&] {
            while (!stop) {
                auto got = read_object(engine(), "bkt", "k");
                if (!got) {  // the key always exists: any failure counts
                    note("read failed: " + std::string(got.error().info().name) + ": " +
                         std::string(got.error().message()));
                    continue;
                }
                ++reads;
                if (got->size() != kSize)
                    note("read " + std::to_string(got->size()) + " bytes");
                else if (auto at = got->find_first_not_of((*got)[0]); at != std::string::npos)
                    note("mixed body: '" + std::string(1, (*got)[0]) + "' then byte " +
                         std::to_string(static_cast<unsigned char>((*got)[at])) + " at " + std::to_string(at));
            }
        });
    for (auto& th : threads) th.join();
    stop = true;
    for (auto& th : readers) th.join();
    EXPECT_EQ(write_failures.load(), 0);
    EXPECT_EQ(torn.load(), 0) << "first: " << first_problem;
    EXPECT_GT(reads.load(), 0);
    std::string final_body = body_of(engine(), "bkt", "k");
    ASSERT_EQ(final_body.size(), std::size_t{kSize});
    EXPECT_GE(final_body[0], 'B');
    EXPECT_LT(final_body[0], 'B' + kWriters);
    auto u = engine().get_user_usage(uid_);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->bytes, std::uint64_t{kSize});
    EXPECT_EQ(u->objects, 1u);
}

TEST_F(Concurrency, ReservationsAgainstAQuotaNeverOverbook) {
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid_), 1)));  // 1 GiB
    constexpr int kThreads = 16;
    constexpr std::uint64_t kHint = 128 * kMiB;
    std::vector<std::unique_ptr<ObjectWriter>> writers(kThreads);
    std::vector<std::optional<Errc>> errors(kThreads);
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            PutOptions opts;
            opts.size_hint = kHint;
            start.arrive_and_wait();
            auto w = engine().begin_put("bkt", "big-" + std::to_string(t), opts);
            if (w)
                writers[t] = std::move(*w);
            else
                errors[t] = w.error().code();
        });
    for (auto& th : threads) th.join();
    int ok = 0;
    for (int t = 0; t < kThreads; ++t) {
        if (writers[t]) {
            ++ok;
        } else {
            ASSERT_TRUE(errors[t].has_value());
            EXPECT_EQ(*errors[t], Errc::QuotaExceeded) << error_info(*errors[t]).name;
        }
    }
    EXPECT_LE(ok, 8) << "reservations overbooked the quota";
    EXPECT_GE(ok, 1);
    auto u = engine().get_user_usage(uid_);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->reserved, static_cast<std::uint64_t>(ok) * kHint);
    EXPECT_LE(u->reserved, kGiB);

    writers.clear();  // drop them all without committing
    u = engine().get_user_usage(uid_);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->reserved, 0u);
    EXPECT_EQ(u->bytes, 0u);
    auto l = engine().list_objects("bkt", {});
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_TRUE(l->objects.empty());
}

TEST_F(Concurrency, SameBucketNameCreatedOnce) {
    constexpr int kThreads = 8;
    std::vector<std::string> owners;
    for (int t = 0; t < kThreads; ++t) owners.push_back(make_user("racer" + std::to_string(t) + "@example.com"));
    std::vector<std::optional<Errc>> results(kThreads);
    std::vector<bool> won(kThreads, false);
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            auto r = engine().create_bucket("contested", owners[t]);
            if (r)
                won[t] = true;
            else
                results[t] = r.error().code();
        });
    for (auto& th : threads) th.join();
    int winners = 0;
    for (int t = 0; t < kThreads; ++t) {
        if (won[t]) {
            ++winners;
            auto b = engine().get_bucket("contested");
            ASSERT_TRUE(b) << b.error().message();
            EXPECT_EQ(b->owner_id, owners[t]);
        } else {
            EXPECT_EQ(results[t], Errc::BucketAlreadyExists);
        }
    }
    EXPECT_EQ(winners, 1);
}

TEST_F(Concurrency, SameEmailCreatedOnce) {
    constexpr int kThreads = 8;
    std::atomic<int> created{0}, duplicates{0}, other{0};
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            auto r = engine().create_user(t % 2 ? "Same@Example.com" : "same@example.com");
            if (r)
                ++created;
            else if (r.error().code() == Errc::UserAlreadyExists)
                ++duplicates;
            else
                ++other;
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(created.load(), 1);
    EXPECT_EQ(duplicates.load(), kThreads - 1);
    EXPECT_EQ(other.load(), 0);
}

TEST_F(Concurrency, KeyGenerationNeverExceedsTwoPairs) {
    auto r = engine().create_user("keys@example.com", false, false);
    ASSERT_TRUE(r) << r.error().message();
    constexpr int kThreads = 8;
    std::atomic<int> created{0}, refused{0}, other{0};
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            start.arrive_and_wait();
            auto k = engine().generate_key(r->user.id);
            if (k)
                ++created;
            else if (k.error().code() == Errc::TooManyAccessKeys)
                ++refused;
            else
                ++other;
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(created.load(), 2);
    EXPECT_EQ(refused.load(), kThreads - 2);
    EXPECT_EQ(other.load(), 0);
    auto keys = engine().list_keys(r->user.id);
    ASSERT_TRUE(keys) << keys.error().message();
    EXPECT_EQ(keys->size(), 2u);
}

TEST_F(Concurrency, PartsUploadedInParallelCompleteCorrectly) {
    auto up = engine().create_upload("bkt", "parallel");
    ASSERT_TRUE(up) << up.error().message();
    constexpr int kParts = 5;
    std::vector<std::string> bodies;
    for (int n = 1; n <= kParts; ++n) bodies.push_back(random_bytes(n < kParts ? 5 * kMiB : 12345, 900 + n));
    std::vector<std::string> etags(kParts);
    std::vector<std::thread> threads;
    for (int n = 1; n <= kParts; ++n)
        threads.emplace_back([&, n] {
            auto p = engine().upload_part(up->id, n, as_bytes(bodies[n - 1]));
            if (p) etags[n - 1] = p->etag;
        });
    for (auto& th : threads) th.join();
    std::vector<CompletedPart> parts;
    std::string whole;
    for (int n = 1; n <= kParts; ++n) {
        ASSERT_EQ(etags[n - 1], md5_hex(bodies[n - 1])) << "part " << n;
        parts.push_back({static_cast<std::uint32_t>(n), etags[n - 1]});
        whole += bodies[n - 1];
    }
    auto done = engine().complete_upload(up->id, parts);
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "parallel"), whole));
}

TEST_F(Concurrency, ReadersAndDeletersDoNotCrossData) {
    constexpr int kObjects = 60;
    for (int i = 0; i < kObjects; ++i)
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "o" + std::to_string(i), body_for(99, i))));
    std::atomic<int> wrong{0};
    std::thread deleter([&] {
        for (int i = 0; i < kObjects; i += 2)
            if (!engine().delete_object("bkt", "o" + std::to_string(i))) ++wrong;
    });
    std::thread writer([&] {
        for (int i = 0; i < kObjects; ++i)
            if (!put(engine(), "bkt", "new" + std::to_string(i), body_for(98, i))) ++wrong;
    });
    std::thread reader([&] {
        for (int i = 1; i < kObjects; i += 2) {
            auto got = read_object(engine(), "bkt", "o" + std::to_string(i));
            if (!got || *got != body_for(99, i)) ++wrong;
        }
    });
    deleter.join();
    writer.join();
    reader.join();
    EXPECT_EQ(wrong.load(), 0);
    for (int i = 0; i < kObjects; ++i) {
        if (i % 2)
            EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "o" + std::to_string(i)), body_for(99, i)));
        else
            EXPECT_TRUE(FailsWith(engine().head_object("bkt", "o" + std::to_string(i)), Errc::NoSuchKey));
        EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "new" + std::to_string(i)), body_for(98, i)));
    }
}

// When the metadata store is full, writers are refused with NoSpace (a change
// at a time, or a whole group commit when the commit itself finds no room),
// and every write acknowledged before stays. With room again (a larger map),
// writes go on.
TEST_F(Concurrency, FullMetadataRefusesWithNoSpaceAndKeepsEverythingAcknowledged) {
    SKIP_ON_RADOS("fills a small LMDB map (meta_map_size_bytes)");
    EngineOptions small;
    small.meta_map_size_bytes = 4 * kMiB;
    ASSERT_NO_FATAL_FAILURE(reopen(small));
    constexpr int kThreads = 8, kMaxEach = 2000;
    // Inline bodies: they fill the metadata store, not the segment files.
    auto body = [](int t, int i) { return random_bytes(6 * kKiB, static_cast<std::uint64_t>(t) * 100000 + i); };
    auto key = [](int t, int i) { return "full/t" + std::to_string(t) + "/o" + std::to_string(i); };
    std::mutex m;
    std::vector<std::pair<int, int>> acknowledged, refused;
    std::string unexpected;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kMaxEach; ++i) {
                auto r = put(engine(), "bkt", key(t, i), body(t, i));
                std::lock_guard lock(m);
                if (r) {
                    acknowledged.emplace_back(t, i);
                    continue;
                }
                if (r.error().code() == Errc::NoSpace)
                    refused.emplace_back(t, i);
                else if (unexpected.empty())
                    unexpected = std::string(r.error().message());
                return;
            }
        });
    for (auto& th : threads) th.join();
    ASSERT_TRUE(unexpected.empty()) << unexpected;
    ASSERT_EQ(refused.size(), std::size_t{kThreads}) << "every writer should have met the full store";
    ASSERT_FALSE(acknowledged.empty());

    EngineOptions roomy;
    roomy.meta_map_size_bytes = 64 * kMiB;
    ASSERT_NO_FATAL_FAILURE(reopen(roomy));
    for (auto [t, i] : acknowledged)
        EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", key(t, i)), body(t, i))) << key(t, i);
    for (auto [t, i] : refused)
        EXPECT_TRUE(FailsWith(engine().head_object("bkt", key(t, i)), Errc::NoSuchKey)) << key(t, i);
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, acknowledged.size());
    EXPECT_EQ(b->bytes, acknowledged.size() * 6 * kKiB);
    EXPECT_TRUE(IsOk(put(engine(), "bkt", "after", "room again")));
}

}  // namespace
}  // namespace ostor::test
