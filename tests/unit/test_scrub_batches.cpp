// Scrub walks the metadata in bounded batches, each in a snapshot of its own,
// instead of holding every record of the volume in memory before checking
// any: the walk (TableBatches) is checked white-box on a bare metadata store,
// and scrub itself on a volume of several batches with damage deep inside.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "codec.hpp"
#include "local/lmdb_env.hpp"
#include "local/object_index.hpp"
#include "records.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

using detail::Env;
using detail::Table;
using detail::TableBatches;
using detail::Txn;

constexpr std::uint64_t kTestMapBytes = std::uint64_t{1} << 30;

std::string key_of(int i) {
    char k[16];
    std::snprintf(k, sizeof k, "k%05d", i);
    return k;
}

std::unique_ptr<Env> bare_store(const fs::path& dir) {
    fs::create_directories(dir);
    auto env = Env::open(dir, kTestMapBytes);
    EXPECT_TRUE(env) << env.error().message();
    return env ? std::move(*env) : nullptr;
}

TEST(TableBatches, EveryEntryOnceInKeyOrderInBatchesOfAtMostTheBound) {
    SKIP_ON_RADOS("white-box LMDB walks");
    TestDir tmp;
    auto env = bare_store(tmp.sub("meta"));
    ASSERT_TRUE(env);
    {
        Txn txn = Txn::write(*env);
        for (int i = 0; i < 1000; i += 2) txn.put(Table::Objects, key_of(i), "v");
        txn.commit();
    }
    TableBatches batches(Table::Objects, 64, std::size_t{1} << 20);
    std::vector<std::string> seen;
    std::size_t batch_count = 0;
    for (;;) {
        std::vector<std::string> batch;
        bool more;
        {
            Txn snapshot = Txn::read(*env);
            more = batches.next(snapshot, [&](std::string_view k, std::string_view) { batch.emplace_back(k); });
        }  // the snapshot ends with the batch
        if (!more) break;
        ++batch_count;
        ASSERT_LE(batch.size(), 64u);
        ASSERT_FALSE(batch.empty());
        seen.insert(seen.end(), batch.begin(), batch.end());
        if (batch_count == 2) {
            // Between batches: a key added ahead is seen, one removed ahead
            // is not, and one added behind is not visited again.
            Txn txn = Txn::write(*env);
            txn.put(Table::Objects, key_of(901), "new ahead");
            txn.del(Table::Objects, key_of(900));
            txn.put(Table::Objects, key_of(1), "new behind");
            txn.commit();
        }
    }
    std::vector<std::string> want;
    for (int i = 0; i < 1000; i += 2)
        if (i != 900) want.push_back(key_of(i));
    want.insert(std::find(want.begin(), want.end(), key_of(902)), key_of(901));
    EXPECT_EQ(seen, want);
    EXPECT_GE(batch_count, 500u / 64);
}

TEST(TableBatches, LargeValuesEndABatchEarly) {
    SKIP_ON_RADOS("white-box LMDB walks");
    TestDir tmp;
    auto env = bare_store(tmp.sub("meta"));
    ASSERT_TRUE(env);
    {
        Txn txn = Txn::write(*env);
        for (int i = 0; i < 20; ++i) txn.put(Table::Objects, key_of(i), std::string(4096, 'x'));
        txn.commit();
    }
    TableBatches batches(Table::Objects, 1000, 10 * 1024);
    std::vector<std::size_t> sizes;
    for (;;) {
        std::size_t n = 0;
        Txn snapshot = Txn::read(*env);
        if (!batches.next(snapshot, [&](std::string_view, std::string_view) { ++n; })) break;
        sizes.push_back(n);
    }
    // 4 KiB values against a 10 KiB bound: three a batch (the third crosses it).
    EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 3, 3, 3, 3, 2}));
}

// Scrub splits the key ranges it reads as it goes, at keys interpolated
// between two others.
TEST(KeyBetween, LiesStrictlyBetweenAndSplitsEvenlyWhereKeysAreSpread) {
    EXPECT_EQ(detail::key_between("a", "c"), std::optional<std::string>("b"));
    for (auto [low, high] :
         std::vector<std::pair<std::string, std::string>>{{"", "bkt/zz"},
                                                          {"bkt/k00000", "bkt/k00999"},
                                                          {"a", "a\x01"},
                                                          {"a\xff\xff", "b"},
                                                          {"x", std::string("x\0\0\0\0\0\0\0\0\x01", 10)},
                                                          {std::string(200, 'k'), std::string(200, 'k') + "z"}}) {
        auto mid = detail::key_between(low, high);
        ASSERT_TRUE(mid.has_value()) << low << " .. " << high;
        EXPECT_GT(*mid, low);
        EXPECT_LT(*mid, high);
    }
    // Spans compare across pairs, by how far apart the keys are.
    EXPECT_LT(detail::key_span("a", "b"), detail::key_span("a", "c"));
    EXPECT_LT(detail::key_span("bkt/k00000", "bkt/k00500"), detail::key_span("bkt/k00000", "bkt/k00999"));
    EXPECT_LT(detail::key_span("bkt/k00000", "bkt/k00999"), detail::key_span("bkt/", "bkt0"));
    EXPECT_GT(detail::key_span(std::string(200, 'k'), std::string(200, 'k') + "z"), 0);
    // Nothing lies between a key and itself, or itself + "\0".
    EXPECT_FALSE(detail::key_between("a", "a"));
    EXPECT_FALSE(detail::key_between("b", "a"));
    EXPECT_FALSE(detail::key_between("a", std::string("a\0", 2)));
    EXPECT_EQ(detail::key_span("b", "a"), 0);
    // Halving k00000..k00999 three times makes 8 ranges of 125 keys, give or
    // take a factor of 2 (the digits use 10 of the 256 values of a byte).
    std::vector<std::string> cuts = {key_of(0), key_of(999) + "~"};
    for (int round = 0; round < 3; ++round) {
        std::vector<std::string> finer;
        for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
            finer.push_back(cuts[i]);
            auto mid = detail::key_between(cuts[i], cuts[i + 1]);
            ASSERT_TRUE(mid.has_value());
            finer.push_back(*mid);
        }
        finer.push_back(cuts.back());
        cuts = finer;
    }
    ASSERT_EQ(cuts.size(), 9u);
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
        int keys = 0;
        for (int k = 0; k < 1000; ++k) keys += key_of(k) >= cuts[i] && key_of(k) < cuts[i + 1];
        EXPECT_GE(keys, 50) << "range " << i << ": " << cuts[i] << " .. " << cuts[i + 1];
        EXPECT_LE(keys, 250) << "range " << i << ": " << cuts[i] << " .. " << cuts[i + 1];
    }
}

// Read with bounds, ranges [start, end) that follow each other hand over
// every key once, and an end moved down between batches stops the range there.
TEST(TableBatches, BoundedRangesReadEveryKeyOnce) {
    SKIP_ON_RADOS("white-box LMDB walks");
    TestDir tmp;
    auto env = bare_store(tmp.sub("meta"));
    ASSERT_TRUE(env);
    std::vector<std::string> want;
    {
        Txn txn = Txn::write(*env);
        for (int i = 0; i < 1000; ++i) {
            txn.put(Table::Objects, key_of(i), "v");
            want.push_back(key_of(i));
        }
        txn.commit();
    }
    auto read_all = [&](TableBatches& batches, std::vector<std::string>& seen, auto between) {
        for (;;) {
            Txn snapshot = Txn::read(*env);
            if (!batches.next(snapshot, [&](std::string_view k, std::string_view) { seen.emplace_back(k); })) break;
            between();
        }
    };
    std::vector<std::string> seen;
    TableBatches first(Table::Objects, 50, std::size_t{1} << 20, std::string(), key_of(300));
    read_all(first, seen, [] {});
    TableBatches second(Table::Objects, 50, std::size_t{1} << 20, key_of(300), std::nullopt);
    // After its first batch, the second range ends at k00700 instead.
    bool moved = false;
    read_all(second, seen, [&] {
        if (!std::exchange(moved, true)) second.set_end(key_of(700));
    });
    TableBatches third(Table::Objects, 50, std::size_t{1} << 20, key_of(700));
    read_all(third, seen, [] {});
    EXPECT_EQ(seen, want);
}

class ScrubBatches : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }

    // Flips one byte of a small object's body (kept in the Bodies table),
    // leaving its CRC. The engine must be closed.
    void damage_small_body(const std::string& bucket, const std::string& key) {
        auto env = Env::open(dir_.path() / "meta", EngineOptions{}.meta_map_size_bytes);
        ASSERT_TRUE(env) << env.error().message();
        Txn txn = Txn::write(**env);
        auto v = txn.get(Table::Objects, detail::object_index_key(bucket, key));
        ASSERT_TRUE(v.has_value());
        auto rec = detail::decode_object(*v);
        ASSERT_TRUE(rec.has_value());
        ASSERT_NE(rec->body_id, 0u);
        std::string body_key;
        detail::append_be64(body_key, rec->body_id);
        auto body = txn.get(Table::Bodies, body_key);
        ASSERT_TRUE(body.has_value());
        std::string damaged(*body);
        damaged[0] ^= 0x01;
        txn.put(Table::Bodies, body_key, damaged);
        txn.commit();
    }
};

// More objects than several of scrub's batches hold; the damage sits in a
// late batch, and an object with extents comes after all of them.
TEST_F(ScrubBatches, DamageDeepInAVolumeOfManyBatchesIsFound) {
    SKIP_ON_RADOS("white-box LMDB walks");
    constexpr int kObjects = 700;
    constexpr int kThreads = 8;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = t; i < kObjects; i += kThreads)
                if (!put(engine(), "bkt", key_of(i), "small body " + std::to_string(i))) ++failures;
        });
    for (auto& th : threads) th.join();
    ASSERT_EQ(failures.load(), 0);
    const std::string big(kMiB, 'Z');
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "zz-big", big)));
    engine_.reset();

    // Flip one byte of a small object's body deep in the table (kept in the
    // Bodies table), leaving its CRC.
    ASSERT_NO_FATAL_FAILURE(damage_small_body("bkt", key_of(650)));
    ASSERT_NO_FATAL_FAILURE(open());
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(report->damaged, (std::vector<std::string>{"bkt/" + key_of(650)}));
    EXPECT_EQ(report->extents_checked, static_cast<std::uint64_t>(kObjects) + 1);
}

// Keys spread over the whole key space are read by several threads at once
// (scrub's key ranges): every object is checked once and each damaged one
// is reported once, whichever range holds it.
TEST_F(ScrubBatches, DamageInSeveralKeyRangesIsEachReportedOnce) {
    SKIP_ON_RADOS("white-box LMDB walks");
    std::vector<std::string> keys;
    for (char c = 'a'; c <= 'z'; ++c)
        for (int i = 0; i < 30; ++i) keys.push_back(std::string(1, c) + "-" + key_of(i));
    for (const auto& k : keys) ASSERT_TRUE(IsOk(put(engine(), "bkt", k, "small body " + k)));
    engine_.reset();
    const std::vector<std::string> damaged = {"b-" + key_of(3), "m-" + key_of(29), "y-" + key_of(0)};
    for (const auto& k : damaged) ASSERT_NO_FATAL_FAILURE(damage_small_body("bkt", k));

    ASSERT_NO_FATAL_FAILURE(open());
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    std::vector<std::string> want;  // in order, as the report names them
    for (const auto& k : damaged) want.push_back("bkt/" + k);
    EXPECT_EQ(report->damaged, want);
    EXPECT_EQ(report->extents_checked, keys.size());
}

}  // namespace
}  // namespace ostor::test
