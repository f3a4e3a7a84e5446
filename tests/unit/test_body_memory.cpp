// The memory for bodies being written (EngineOptions::body_memory_bytes):
// all writers together stay within it, a writer goes on with fewer buffers
// when it is short (its body stored exactly all the same), a writer that
// finds none free waits for one and then fails with SlowDown, changing
// nothing, and a writer gives its memory back when it commits or goes. A
// writer reserves quota only once it has its memory.
#include <atomic>
#include <thread>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

constexpr std::uint64_t kBuffer = kMiB;  // a large body's buffer (object_writer.cpp)

class BodyMemory : public EngineTest {
protected:
    void SetUp() override {}
    // An engine whose writers share `budget` bytes, waiting `wait_ms` for them.
    void open_with(std::uint64_t budget, std::uint32_t wait_ms) {
        EngineOptions options;
        options.body_memory_bytes = budget;
        options.body_memory_wait_ms = wait_ms;
        ASSERT_NO_FATAL_FAILURE(open(options));
        owner_ = user_with_bucket("bkt");
    }
    std::unique_ptr<ObjectWriter> begin(std::string_view key, std::optional<std::uint64_t> size) {
        PutOptions options;
        options.size_hint = size;
        auto w = engine().begin_put("bkt", key, options);
        EXPECT_TRUE(IsOk(w));
        return w ? std::move(*w) : nullptr;
    }
    std::uint64_t in_use() { return engine().body_memory().in_use_bytes; }
    std::uint64_t reserved() {
        auto usage = engine().get_user_usage(owner_);
        EXPECT_TRUE(IsOk(usage));
        return usage ? usage->reserved : 0;
    }

    std::string owner_;  // of "bkt"
};

// Written in pieces of odd sizes, as a socket hands them over.
void write_in_pieces(ObjectWriter& w, std::string_view body) {
    std::size_t at = 0, piece = 1;
    while (at < body.size()) {
        std::size_t n = std::min(body.size() - at, 77 * 1024 + piece++ * 4099);
        ASSERT_TRUE(IsOk(w.write(as_bytes(body.substr(at, n)))));
        at += n;
    }
}

TEST_F(BodyMemory, ALargeBodyWithOneTwoOrThreeBuffersIsStoredExactly) {
    ASSERT_NO_FATAL_FAILURE(open_with(kBuffer, 10000));
    for (std::uint64_t buffers : {1, 2, 3}) {
        EngineOptions options;
        options.body_memory_bytes = buffers * kBuffer;
        ASSERT_NO_FATAL_FAILURE(reopen(options));
        for (bool size_known : {true, false}) {
            SCOPED_TRACE(std::to_string(buffers) + (size_known ? " buffers, size known" : " buffers, size unknown"));
            std::string body = random_bytes(7 * kMiB + 1234, buffers * 2 + size_known);
            auto w = begin("ring", size_known ? std::optional<std::uint64_t>(body.size()) : std::nullopt);
            ASSERT_TRUE(w);
            ASSERT_NO_FATAL_FAILURE(write_in_pieces(*w, body));
            EXPECT_EQ(in_use(), buffers * kBuffer);  // as many as the budget holds, no more
            auto info = w->commit();
            ASSERT_TRUE(IsOk(info));
            EXPECT_EQ(info->etag, to_hex(md5_raw(body)));
            EXPECT_EQ(in_use(), 0u);
            EXPECT_EQ(body_of(engine(), "bkt", "ring"), body);
        }
    }
}

TEST_F(BodyMemory, WritersShareTheBudgetAndOneFindingNoneFailsWithSlowDown) {
    ASSERT_NO_FATAL_FAILURE(open_with(3 * kBuffer, 200));
    // The bucket's quota (1 GiB) shows that a refused writer keeps no
    // reservation: its 500 MiB and a later 600 MiB would not fit.
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::bucket("bkt"), 1)));
    std::string first = random_bytes(5 * kMiB, 3);
    auto a = begin("a", 400 * kMiB);
    ASSERT_TRUE(a);
    ASSERT_TRUE(IsOk(a->write(as_bytes(first))));
    EXPECT_GE(in_use(), 2 * kBuffer);  // more buffers while there was room
    EXPECT_LE(in_use(), 3 * kBuffer);
    PutOptions options;
    options.size_hint = 500 * kMiB;
    auto refused = engine().begin_put("bkt", "b", options);
    ASSERT_TRUE(FailsWith(refused, Errc::SlowDown));
    EXPECT_EQ(refused.error().info().http_status, 503);
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "b"), Errc::NoSuchKey));
    a.reset();  // abandoned: its memory and reservation given back
    EXPECT_EQ(in_use(), 0u);
    std::string body = random_bytes(3 * kMiB + 5, 4);
    auto c = begin("c", 600 * kMiB);
    ASSERT_TRUE(c);
    c.reset();
    auto d = begin("d", body.size());
    ASSERT_TRUE(d);
    ASSERT_NO_FATAL_FAILURE(write_in_pieces(*d, body));
    ASSERT_TRUE(IsOk(d->commit()));
    EXPECT_EQ(body_of(engine(), "bkt", "d"), body);
    EXPECT_EQ(in_use(), 0u);
}

// Memory and quota (body_memory.hpp): a write the quota refuses is refused
// at once, whether memory is free or not; a writer waiting for memory, which
// may end in SlowDown, holds no reservation against the user's quota; one
// that has its memory and is refused by the quota gives the memory back.
TEST_F(BodyMemory, AWriterWaitingForMemoryReservesNoQuota) {
    ASSERT_NO_FATAL_FAILURE(open_with(2 * kBuffer, 400));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(owner_), 1)));  // 1 GiB
    auto upload = engine().create_upload("bkt", "parts", {});
    ASSERT_TRUE(IsOk(upload));
    auto a = begin("a", 600 * kMiB);
    ASSERT_TRUE(a);
    EXPECT_EQ(in_use(), kBuffer);
    EXPECT_EQ(reserved(), 600 * kMiB);
    PutOptions too_large;  // with the first's 600 MiB, over the quota
    too_large.size_hint = 500 * kMiB;
    EXPECT_TRUE(FailsWith(engine().begin_put("bkt", "b", too_large), Errc::QuotaExceeded));
    EXPECT_TRUE(FailsWith(engine().begin_upload_part(upload->id, 1, too_large), Errc::QuotaExceeded));
    EXPECT_EQ(in_use(), kBuffer);
    // The first writer's second buffer spends the budget.
    ASSERT_TRUE(IsOk(a->write(as_bytes(random_bytes(kBuffer + 1, 9)))));
    ASSERT_EQ(in_use(), 2 * kBuffer);
    for (bool part : {false, true}) {
        SCOPED_TRACE(part ? "a part" : "an object");
        // Over the quota with the first's: QuotaExceeded, not the SlowDown
        // that waiting for the spent memory would end in.
        EXPECT_TRUE(FailsWith(
            part ? engine().begin_upload_part(upload->id, 1, too_large) : engine().begin_put("bkt", "b", too_large),
            Errc::QuotaExceeded));
        // Within it: waits for memory holding no reservation, then SlowDown.
        PutOptions options;
        options.size_hint = 300 * kMiB;
        std::optional<Result<std::unique_ptr<ObjectWriter>>> waited;
        auto started = std::chrono::steady_clock::now();
        std::thread waiting([&] {
            waited =
                part ? engine().begin_upload_part(upload->id, 1, options) : engine().begin_put("bkt", "b", options);
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        EXPECT_EQ(reserved(), 600 * kMiB);  // the first writer's alone
        waiting.join();
        EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(350));
        ASSERT_TRUE(waited.has_value());
        EXPECT_TRUE(FailsWith(*waited, Errc::SlowDown));
    }
    EXPECT_EQ(reserved(), 600 * kMiB);
    EXPECT_EQ(in_use(), 2 * kBuffer);
    a.reset();
    EXPECT_EQ(reserved(), 0u);
    EXPECT_EQ(in_use(), 0u);
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "b"), Errc::NoSuchKey));
    auto parts = engine().list_parts(upload->id);
    ASSERT_TRUE(IsOk(parts));
    EXPECT_TRUE(parts->parts.empty());
}

TEST_F(BodyMemory, AWriterWaitsForMemoryAnotherGivesBack) {
    ASSERT_NO_FATAL_FAILURE(open_with(kBuffer, 10000));
    std::string first = random_bytes(3 * kMiB, 5), second = random_bytes(2 * kMiB + 17, 6);
    auto a = begin("first", first.size());
    ASSERT_TRUE(a);
    ASSERT_TRUE(IsOk(a->write(as_bytes(first).first(kMiB + 1))));
    std::optional<Result<ObjectInfo>> waited;
    std::atomic<bool> other_done{false};
    std::thread other([&] {
        struct Done {
            std::atomic<bool>& flag;
            ~Done() { flag = true; }
        } done{other_done};
        PutOptions options;
        options.size_hint = second.size();
        auto w = engine().begin_put("bkt", "second", options);  // waits for the first's buffer
        if (!w) {
            waited = std::move(w).error();
            return;
        }
        if (auto r = (*w)->write(as_bytes(second)); !r) {
            waited = std::move(r).error();
            return;
        }
        waited = (*w)->commit();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(other_done);  // still waiting
    ASSERT_TRUE(IsOk(a->write(as_bytes(first).subspan(kMiB + 1))));
    ASSERT_TRUE(IsOk(a->commit()));
    other.join();
    ASSERT_TRUE(waited.has_value());
    ASSERT_TRUE(IsOk(*waited));
    EXPECT_EQ(body_of(engine(), "bkt", "first"), first);
    EXPECT_EQ(body_of(engine(), "bkt", "second"), second);
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(BodyMemory, SmallBodiesTakeWhatTheyNeed) {
    ASSERT_NO_FATAL_FAILURE(open_with(kBuffer, 200));
    // A 4 KiB body takes 4 KiB of the budget, so many small PUTs go on beside
    // a large one.
    auto large = begin("large", 8 * kMiB);
    ASSERT_TRUE(large);
    ASSERT_TRUE(IsOk(large->write(as_bytes(random_bytes(512 * kKiB, 7)))));
    EXPECT_TRUE(FailsWith(engine().begin_put("bkt", "none", {}), Errc::SlowDown));  // size unknown: 1 MiB
    large.reset();
    std::vector<std::unique_ptr<ObjectWriter>> small;
    for (int i = 0; i < 200; ++i) {
        small.push_back(begin("s" + std::to_string(i), 4096));
        ASSERT_TRUE(small.back());
    }
    EXPECT_EQ(in_use(), 200u * 4096);
    std::string body = random_bytes(4096, 8);
    for (auto& w : small) {
        ASSERT_TRUE(IsOk(w->write(as_bytes(body))));
        ASSERT_TRUE(IsOk(w->commit()));
    }
    EXPECT_EQ(in_use(), 0u);
    EXPECT_EQ(body_of(engine(), "bkt", "s199"), body);
}

}  // namespace
}  // namespace ostor::test
