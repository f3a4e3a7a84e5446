// Large bodies are written to their segments with O_DIRECT (past the page
// cache, whose writeback of large bodies is far slower than the disk) and
// small bodies and unaligned tails through the page cache, into the same
// file. Either way what was written reads back, now and after a reopen; and
// where the file system refuses O_DIRECT everything goes through the page
// cache, as correct.
//
// White-box: which path a write took shows in the page cache (mincore of the
// segment files: a direct write leaves no page of its range resident, a
// buffered one leaves them all), and a file system refusing O_DIRECT is
// stood in for by a test hook of the segment store (segment_store.hpp).
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "local/segment_store.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

// Several of the writer's 256 KiB buffers and an unaligned tail.
constexpr std::size_t kLargeBody = 6 * kMiB + 1234;

bool on_tmpfs(const fs::path& dir) {
    struct statfs st {};
    return ::statfs(dir.c_str(), &st) == 0 && st.f_type == TMPFS_MAGIC;
}

// Pages of the segment files under `data` that are in the page cache, and
// all their pages.
struct Residency {
    std::size_t resident = 0;
    std::size_t pages = 0;
};

Residency page_cache_residency(const fs::path& data) {
    Residency out;
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    for (const auto& file : regular_files(data / "blobs")) {
        int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st {};
        if (::fstat(fd, &st) == 0 && st.st_size > 0) {
            auto size = static_cast<std::size_t>(st.st_size);
            void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
            if (map != MAP_FAILED) {
                std::vector<unsigned char> vec((size + page - 1) / page);
                if (::mincore(map, size, vec.data()) == 0) {
                    for (unsigned char v : vec) out.resident += v & 1;
                    out.pages += vec.size();
                }
                ::munmap(map, size);
            }
        }
        ::close(fd);
    }
    return out;
}

class DirectWrites : public EngineTest {
protected:
    void SetUp() override {
        SKIP_ON_RADOS("segment files of the local backend");
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }
    void TearDown() override { detail::testing::refuse_direct_io(false); }

    // Writes `body` in pieces of an odd size (as a socket hands them over),
    // with or without its length declared.
    void put_streamed(std::string_view key, const std::string& body, bool declare_size) {
        PutOptions options;
        if (declare_size) options.size_hint = body.size();
        auto w = engine().begin_put("bkt", key, std::move(options));
        ASSERT_TRUE(IsOk(w));
        constexpr std::size_t kPiece = 100'000;
        for (std::size_t at = 0; at < body.size(); at += kPiece)
            ASSERT_TRUE(IsOk((*w)->write(as_bytes(std::string_view(body).substr(at, kPiece)))));
        auto info = (*w)->commit();
        ASSERT_TRUE(IsOk(info));
        EXPECT_EQ(info->etag, md5_hex(body));
    }
};

TEST_F(DirectWrites, ALargeBodyBypassesThePageCacheAndReadsBack) {
    const std::string body = random_bytes(kLargeBody, 1);
    ASSERT_NO_FATAL_FAILURE(put_streamed("large", body, true));
    if (!on_tmpfs(dir_.path())) {
        // Only the unaligned tail (under a buffer) went through the cache.
        auto r = page_cache_residency(dir_.path());
        EXPECT_GT(r.pages, kLargeBody / 4096);
        EXPECT_LE(r.resident, 256 * kKiB / 4096) << r.resident << " of " << r.pages << " pages cached";
    }
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large"), body));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large", ByteRange{kLargeBody - 5000, kLargeBody - 1}),
                          std::string_view(body).substr(kLargeBody - 5000)));
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large"), body));
}

TEST_F(DirectWrites, SmallAndLargeBodiesInOneSegmentReadBackAlike) {
    // Interleaved, so that buffered and direct writes share segment files.
    std::vector<std::string> bodies;
    for (int i = 0; i < 6; ++i) {
        std::size_t size = i % 2 ? 300 * kKiB + 17 * static_cast<std::size_t>(i) : kMiB + 4096 * i;
        bodies.push_back(random_bytes(size, 10 + static_cast<std::uint64_t>(i)));
        ASSERT_NO_FATAL_FAILURE(put_streamed("k" + std::to_string(i), bodies.back(), i % 3 != 0));
    }
    for (int i = 0; i < 6; ++i)
        EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "k" + std::to_string(i)), bodies[static_cast<std::size_t>(i)]))
            << "k" << i;
    ASSERT_NO_FATAL_FAILURE(reopen());
    for (int i = 0; i < 6; ++i)
        EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "k" + std::to_string(i)), bodies[static_cast<std::size_t>(i)]))
            << "k" << i;
}

TEST_F(DirectWrites, WithoutODirectEverythingGoesThroughThePageCache) {
    detail::testing::refuse_direct_io(true);
    ASSERT_NO_FATAL_FAILURE(reopen());  // segments made from now on
    const std::string body = random_bytes(kLargeBody, 2);
    ASSERT_NO_FATAL_FAILURE(put_streamed("large", body, false));
    if (!on_tmpfs(dir_.path())) {
        auto r = page_cache_residency(dir_.path());
        EXPECT_GE(r.resident, kLargeBody / 4096) << r.resident << " of " << r.pages << " pages cached";
    }
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large"), body));
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large"), body));
}

// A tmpfs (in RAM: the tests can use /dev/shm) refuses O_DIRECT before Linux
// 6.6 and takes it as buffered since: bodies are stored right either way.
TEST_F(DirectWrites, LargeBodiesOnTmpfsReadBack) {
    const fs::path shm = "/dev/shm";
    if (!on_tmpfs(shm)) GTEST_SKIP() << "no tmpfs at /dev/shm";
    const char* was = std::getenv("TMPDIR");
    const std::string tmpdir = was ? was : "";
    ::setenv("TMPDIR", shm.c_str(), 1);
    TestDir dir;
    if (was)
        ::setenv("TMPDIR", tmpdir.c_str(), 1);
    else
        ::unsetenv("TMPDIR");
    auto e = open_engine(dir.path());
    ASSERT_TRUE(IsOk(e));
    Engine& engine = **e;
    auto user = engine.create_user("shm@example.com", false, false);
    ASSERT_TRUE(IsOk(user));
    ASSERT_TRUE(IsOk(engine.create_bucket("bkt", user->user.id)));
    const std::string body = random_bytes(kLargeBody, 3);
    PutOptions options;
    options.size_hint = body.size();
    ASSERT_TRUE(IsOk(put(engine, "bkt", "large", body, std::move(options))));
    EXPECT_TRUE(SameBytes(body_of(engine, "bkt", "large"), body));
}

}  // namespace
}  // namespace ostor::test
