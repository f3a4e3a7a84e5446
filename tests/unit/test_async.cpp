// The asynchronous calls: commit_async, read_async and Engine::submit.
#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

constexpr auto kWait = std::chrono::seconds(60);

class Async : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }
};

TEST_F(Async, CommitAsyncDeliversTheObjectInfo) {
    const std::string body = random_bytes(250000, 1);
    auto w = engine().begin_put("bkt", "async");
    ASSERT_TRUE(w) << w.error().message();
    ASSERT_TRUE(IsOk((*w)->write(as_bytes(body))));
    std::promise<Result<ObjectInfo>> done;
    auto fut = done.get_future();
    (*w)->commit_async([&done](Result<ObjectInfo> r) { done.set_value(std::move(r)); });
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready) << "callback never ran";
    auto info = fut.get();
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->size, body.size());
    EXPECT_EQ(info->etag, md5_hex(body));
    w->reset();
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "async"), body));
}

TEST_F(Async, CommitAsyncDeliversErrors) {
    PutOptions opts;
    opts.expected_md5 = md5_raw("not this");
    auto w = engine().begin_put("bkt", "bad", opts);
    ASSERT_TRUE(w) << w.error().message();
    ASSERT_TRUE(IsOk((*w)->write(as_bytes("body"))));
    std::promise<Result<ObjectInfo>> done;
    auto fut = done.get_future();
    (*w)->commit_async([&done](Result<ObjectInfo> r) { done.set_value(std::move(r)); });
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready) << "callback never ran";
    EXPECT_TRUE(FailsWith(fut.get(), Errc::BadDigest));
    w->reset();
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "bad"), Errc::NoSuchKey));
}

TEST_F(Async, ManyConcurrentCommitsAllComplete) {
    constexpr int kWriters = 32;
    std::vector<std::unique_ptr<ObjectWriter>> writers;
    for (int i = 0; i < kWriters; ++i) {
        auto w = engine().begin_put("bkt", "k" + std::to_string(i));
        ASSERT_TRUE(w) << w.error().message();
        ASSERT_TRUE(IsOk((*w)->write(as_bytes(random_bytes(1000 + i, i)))));
        writers.push_back(std::move(*w));
    }
    std::vector<std::promise<Result<ObjectInfo>>> promises(kWriters);
    std::vector<std::future<Result<ObjectInfo>>> futures;
    for (auto& p : promises) futures.push_back(p.get_future());
    for (int i = 0; i < kWriters; ++i)
        writers[i]->commit_async([&promises, i](Result<ObjectInfo> r) { promises[i].set_value(std::move(r)); });
    for (int i = 0; i < kWriters; ++i) {
        ASSERT_EQ(futures[i].wait_for(kWait), std::future_status::ready) << i;
        auto r = futures[i].get();
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_EQ(r->etag, md5_hex(random_bytes(1000 + i, i)));
    }
    writers.clear();
    for (int i = 0; i < kWriters; ++i)
        EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "k" + std::to_string(i)), random_bytes(1000 + i, i)));
}

TEST_F(Async, ReadAsyncDeliversTheBody) {
    const std::string body = random_bytes(300007, 2);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "r", body)));
    auto reader = engine().open_object("bkt", "r");
    ASSERT_TRUE(reader) << reader.error().message();
    std::string got;
    std::vector<std::byte> buf(65536);
    for (int calls = 0;; ++calls) {
        ASSERT_LT(calls, 1000) << "read_async never reached the end";
        std::promise<Result<std::size_t>> done;
        auto fut = done.get_future();
        (*reader)->read_async(buf, [&done](Result<std::size_t> r) { done.set_value(std::move(r)); });
        ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready) << "callback never ran";
        auto n = fut.get();
        ASSERT_TRUE(n) << n.error().message();
        if (*n == 0) break;
        ASSERT_LE(*n, buf.size());
        got.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    EXPECT_TRUE(SameBytes(got, body));
    EXPECT_EQ((*reader)->remaining(), 0u);
}

TEST_F(Async, ReadAsyncOfARange) {
    const std::string body = random_bytes(100000, 3);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "r", body)));
    auto reader = engine().open_object("bkt", "r", ByteRange{1000, 1999});
    ASSERT_TRUE(reader) << reader.error().message();
    std::vector<std::byte> buf(4096);
    std::promise<Result<std::size_t>> done;
    auto fut = done.get_future();
    (*reader)->read_async(buf, [&done](Result<std::size_t> r) { done.set_value(std::move(r)); });
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
    auto n = fut.get();
    ASSERT_TRUE(n) << n.error().message();
    ASSERT_GT(*n, 0u);
    ASSERT_LE(*n, 1000u);
    EXPECT_TRUE(SameBytes(std::string_view(reinterpret_cast<const char*>(buf.data()), *n), body.substr(1000, *n)));
}

TEST_F(Async, SubmitRunsTheFunctionOnAnotherThread) {
    std::promise<std::thread::id> ran;
    auto fut = ran.get_future();
    engine().submit([&ran] { ran.set_value(std::this_thread::get_id()); });
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready) << "submitted function never ran";
    EXPECT_NE(fut.get(), std::this_thread::get_id());
}

TEST_F(Async, SubmitRunsEveryFunction) {
    constexpr int kJobs = 200;
    std::atomic<int> count{0};
    std::promise<void> all;
    auto fut = all.get_future();
    for (int i = 0; i < kJobs; ++i)
        engine().submit([&] {
            if (++count == kJobs) all.set_value();
        });
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready) << count.load() << " of " << kJobs << " ran";
    EXPECT_EQ(count.load(), kJobs);
}

TEST_F(Async, SubmittedFunctionsMayCallTheBlockingApi) {
    std::promise<bool> done;
    auto fut = done.get_future();
    engine().submit([&] {
        auto r = put(engine(), "bkt", "from-submit", "submitted");
        done.set_value(static_cast<bool>(r));
    });
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
    EXPECT_TRUE(fut.get());
    EXPECT_EQ(body_of(engine(), "bkt", "from-submit"), "submitted");
}

}  // namespace
}  // namespace ostor::test
