// Large bodies are written to segments of their own with O_DIRECT (past the
// page cache, whose writeback of large bodies is far slower than the disk),
// their last bytes padded to a block; small bodies go through the page cache
// to other segments, so that no page is written both ways. Either way what
// was written reads back, now and after a reopen; and where the file system
// refuses O_DIRECT, at open or at the first write, everything goes through
// the page cache, as correct.
//
// White-box: which path a write took shows in the page cache (mincore of the
// segment files: a direct write leaves no page of its file resident, a
// buffered one leaves them all), and a file system refusing O_DIRECT is
// stood in for by test hooks of the engine (local/direct_io.hpp,
// local/uring.hpp).
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "local/direct_io.hpp"
#include "local/segment_store.hpp"
#include "local/uring.hpp"
#include "storage/extent.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

// Several of the writer's buffers and an unaligned tail.
constexpr std::size_t kLargeBody = 12 * kMiB + 1234;

bool on_tmpfs(const fs::path& dir) {
    struct statfs st {};
    return ::statfs(dir.c_str(), &st) == 0 && st.f_type == TMPFS_MAGIC;
}

std::size_t resident_pages(int fd, std::size_t size) {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return 0;
    std::vector<unsigned char> vec((size + page - 1) / page);
    std::size_t out = 0;
    if (::mincore(map, size, vec.data()) == 0)
        for (unsigned char v : vec) out += v & 1;
    ::munmap(map, size);
    return out;
}

// Whether an O_DIRECT write to a file in `dir` leaves the page cache empty:
// not on file systems that take O_DIRECT and buffer it anyway (tmpfs since
// Linux 6.6, ZFS before 2.3, ext4 with data=journal).
bool direct_writes_bypass_cache(const fs::path& dir) {
    constexpr std::size_t kProbeBytes = 64 * 1024;
    const auto file = dir / "direct-probe";
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
    bool bypass = false;
    if (fd >= 0) {
        void* buf = std::aligned_alloc(4096, kProbeBytes);
        std::memset(buf, 1, kProbeBytes);
        bypass = ::pwrite(fd, buf, kProbeBytes, 0) == static_cast<ssize_t>(kProbeBytes) &&
                 resident_pages(fd, kProbeBytes) == 0;
        std::free(buf);
        ::close(fd);
    }
    ::unlink(file.c_str());
    return bypass;
}

// Page cache residency of each segment file under `data`.
struct Residency {
    std::size_t resident = 0;
    std::size_t pages = 0;
};

std::vector<Residency> segment_residency(const fs::path& data) {
    std::vector<Residency> out;
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    for (const auto& file : regular_files(data / "blobs")) {
        int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st {};
        if (::fstat(fd, &st) == 0 && st.st_size > 0) {
            auto size = static_cast<std::size_t>(st.st_size);
            out.push_back(Residency{resident_pages(fd, size), (size + page - 1) / page});
        }
        ::close(fd);
    }
    return out;
}

Residency total(const std::vector<Residency>& files) {
    Residency sum;
    for (auto& r : files) {
        sum.resident += r.resident;
        sum.pages += r.pages;
    }
    return sum;
}

class DirectWrites : public EngineTest {
protected:
    void SetUp() override {
        SKIP_ON_RADOS("segment files of the local backend");
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }
    void TearDown() override {
        detail::testing::refuse_direct_io(false);
        detail::testing::fault_direct_writes(0, 0);
    }
    // Whether the page cache tells direct writes from buffered ones here.
    bool cache_shows_path() { return direct_writes_bypass_cache(dir_.path()); }

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
    if (cache_shows_path()) {
        // Its unaligned tail too went directly (padded to a block).
        auto r = total(segment_residency(dir_.path()));
        EXPECT_GT(r.pages, kLargeBody / 4096);
        EXPECT_EQ(r.resident, 0u) << r.resident << " of " << r.pages << " pages cached";
    }
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large"), body));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large", ByteRange{kLargeBody - 5000, kLargeBody - 1}),
                          std::string_view(body).substr(kLargeBody - 5000)));
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large"), body));
}

TEST_F(DirectWrites, SmallAndLargeBodiesGoToSegmentsOfTheirOwn) {
    // Interleaved small (under the writer's buffer: buffered) and large
    // bodies, of known and unknown length.
    std::vector<std::string> bodies;
    for (int i = 0; i < 6; ++i) {
        std::size_t size = i % 2 ? 100 * kKiB + 17 * static_cast<std::size_t>(i) : kMiB + 4096 * i + 5;
        bodies.push_back(random_bytes(size, 10 + static_cast<std::uint64_t>(i)));
        ASSERT_NO_FATAL_FAILURE(put_streamed("k" + std::to_string(i), bodies.back(), i % 3 != 0));
    }
    if (cache_shows_path()) {
        // No segment file holds both: the large bodies' has no cached page,
        // the small bodies' has theirs cached.
        std::size_t uncached = 0, cached = 0;
        for (auto& r : segment_residency(dir_.path())) (r.resident == 0 ? uncached : cached) += 1;
        EXPECT_EQ(uncached, 1u);
        EXPECT_EQ(cached, 1u);
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
    ASSERT_NO_FATAL_FAILURE(reopen());  // probed again at open
    const std::string body = random_bytes(kLargeBody, 2);
    ASSERT_NO_FATAL_FAILURE(put_streamed("large", body, false));
    if (cache_shows_path()) {
        auto r = total(segment_residency(dir_.path()));
        EXPECT_GE(r.resident, kLargeBody / 4096) << r.resident << " of " << r.pages << " pages cached";
    }
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large"), body));
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large"), body));
}

// A file system that takes the open with O_DIRECT but refuses the writes
// (EINVAL: some FUSE, 9p and virtiofs setups): the refused write goes
// through the page cache, and so does every later one, without trying.
TEST_F(DirectWrites, AWriteRefusedAfterTheOpenFallsBackForGood) {
    detail::testing::fault_direct_writes(1, 0);
    const std::string first = random_bytes(kLargeBody, 4);
    ASSERT_NO_FATAL_FAILURE(put_streamed("first", first, true));
    const std::string second = random_bytes(kLargeBody, 5);
    ASSERT_NO_FATAL_FAILURE(put_streamed("second", second, false));
    if (cache_shows_path()) {
        // The refused buffer and everything after it but the writes already
        // in flight when the refusal came back (up to fifteen of the writer's
        // buffers of an extent each, object_writer.cpp): most of the second.
        auto r = total(segment_residency(dir_.path()));
        EXPECT_GE(r.resident, (2 * kLargeBody - 15 * detail::kExtentMaxBytes) / 4096)
            << r.resident << " of " << r.pages;
    }
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "first"), first));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "second"), second));
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "first"), first));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "second"), second));
}

// A direct write that stops halfway (on a block) is finished directly.
TEST_F(DirectWrites, ShortDirectWritesAreFinished) {
    detail::testing::fault_direct_writes(0, 3);
    const std::string body = random_bytes(kLargeBody, 6);
    ASSERT_NO_FATAL_FAILURE(put_streamed("large", body, true));
    if (cache_shows_path()) {
        auto r = total(segment_residency(dir_.path()));
        EXPECT_EQ(r.resident, 0u) << r.resident << " of " << r.pages << " pages cached";
    }
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large"), body));
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "large"), body));
}

// Disk space held by the segment files under `data` (their allocated blocks).
std::uint64_t allocated_bytes(const fs::path& data) {
    std::uint64_t out = 0;
    for (const auto& file : regular_files(data / "blobs")) {
        struct stat st {};
        if (::stat(file.c_str(), &st) == 0) out += static_cast<std::uint64_t>(st.st_blocks) * 512;
    }
    return out;
}

// What a body of unknown length left unused of its last region holds no
// disk space, and a write never committed gives back all it wrote.
TEST_F(DirectWrites, SegmentsHoldOnlyTheBlocksOfCommittedBodies) {
    const std::string body = random_bytes(2 * kMiB + 300 * kKiB, 7);
    ASSERT_NO_FATAL_FAILURE(put_streamed("unknown-length", body, false));
    {
        PutOptions options;
        options.size_hint = 8 * kMiB;
        auto w = engine().begin_put("bkt", "abandoned", std::move(options));
        ASSERT_TRUE(IsOk(w));
        const std::string part = random_bytes(256 * kKiB, 8);
        for (int i = 0; i < 12; ++i) ASSERT_TRUE(IsOk((*w)->write(as_bytes(std::string_view(part)))));
    }  // dropped without a commit
    const std::uint64_t held = allocated_bytes(dir_.path());
    // A file system may round an allocation up to a few blocks more.
    EXPECT_LE(held, detail::round_up_block(body.size()) + 64 * kKiB) << held << " bytes on disk";
    EXPECT_GE(held, body.size());
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "unknown-length"), body));
    EXPECT_EQ(engine().head_object("bkt", "abandoned").error().code(), Errc::NoSuchKey);
}

// A tmpfs (in RAM: the tests can use /dev/shm) refuses O_DIRECT before Linux
// 6.6 and reports no alignment for it since: bodies go through the page
// cache, stored right.
TEST_F(DirectWrites, LargeBodiesOnTmpfsReadBack) {
    const fs::path shm = "/dev/shm";
    if (!on_tmpfs(shm)) GTEST_SKIP() << "no tmpfs at /dev/shm";
    TestDir dir(shm);
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
