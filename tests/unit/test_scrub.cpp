// Scrub reads every extent and reports the objects whose data no longer
// matches its checksum; reads of damaged data fail.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

class Scrub : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }
};

TEST_F(Scrub, HealthyStoreReportsNoDamage) {
    std::uint64_t total = 0;
    for (int i = 0; i < 10; ++i) {
        std::string body = random_bytes(1000 + i * 50000, i);
        total += body.size();
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "o" + std::to_string(i), body)));
    }
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_TRUE(report->damaged.empty()) << report->damaged.front();
    EXPECT_GE(report->extents_checked, 10u);
    EXPECT_EQ(report->bytes_checked, total);
}

TEST_F(Scrub, EmptyStoreScrubsClean) {
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_TRUE(report->damaged.empty());
    EXPECT_EQ(report->extents_checked, 0u);
    EXPECT_EQ(report->bytes_checked, 0u);
}

// The offset of the first run of `len` bytes equal to `c` in `file`.
std::optional<std::uint64_t> find_run(const fs::path& file, char c, std::size_t len) {
    std::ifstream in(file, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t run = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
        run = data[i] == c ? run + 1 : 0;
        if (run == len) return i + 1 - len;
    }
    return std::nullopt;
}

TEST_F(Scrub, FlippedByteIsReportedAndReadFailsWithDataCorrupted) {
    SKIP_ON_RADOS("corrupts a segment file");
    const std::string bad(kMiB, 'A'), good(kMiB, 'B');
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "bad", bad)));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "good", good)));
    engine_.reset();  // damage the disk while nobody has it open

    // Find the object's data in the segment files and flip one byte in the
    // middle of it.
    std::optional<std::uint64_t> at;
    fs::path segment;
    for (const fs::path& f : regular_files(dir_.path() / "blobs")) {
        at = find_run(f, 'A', kMiB);
        if (at) {
            segment = f;
            break;
        }
    }
    ASSERT_TRUE(at.has_value()) << "no segment under blobs/ holds the object's bytes";
    const std::uint64_t offset = *at + kMiB / 2;
    {
        int fd = ::open(segment.c_str(), O_RDWR);
        ASSERT_GE(fd, 0);
        const char flipped = 'A' ^ 0x01;
        ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(offset)), 1);
        ASSERT_EQ(::fsync(fd), 0);
        ::close(fd);
    }

    ASSERT_NO_FATAL_FAILURE(open());
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(report->damaged, (std::vector<std::string>{"bkt/bad"}));
    EXPECT_GE(report->extents_checked, 2u);

    {
        auto reader = engine().open_object("bkt", "bad");
        if (reader) {
            auto got = drain(**reader);
            EXPECT_TRUE(FailsWith(got, Errc::DataCorrupted));
        } else {
            EXPECT_TRUE(FailsWith(reader, Errc::DataCorrupted));
        }
    }  // readers go before their Engine
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "good"), good));

    // Without verification the damage is there to see: exactly one byte.
    EngineOptions no_verify;
    no_verify.verify_reads = false;
    ASSERT_NO_FATAL_FAILURE(reopen(no_verify));
    auto raw = read_object(engine(), "bkt", "bad");
    ASSERT_TRUE(raw) << raw.error().message();
    ASSERT_EQ(raw->size(), kMiB);
    std::size_t differing = 0, where = 0;
    for (std::size_t i = 0; i < raw->size(); ++i)
        if ((*raw)[i] != 'A') {
            ++differing;
            where = i;
        }
    EXPECT_EQ(differing, 1u);
    EXPECT_EQ((*raw)[where], 'A' ^ 0x01);
}

TEST_F(Scrub, DamageToAPartInProgressIsReported) {
    SKIP_ON_RADOS("corrupts a segment file");
    auto up = engine().create_upload("bkt", "mp");
    ASSERT_TRUE(up) << up.error().message();
    ASSERT_TRUE(IsOk(engine().upload_part(up->id, 3, as_bytes(std::string(kMiB, 'P')))));
    engine_.reset();
    std::optional<std::uint64_t> at;
    fs::path segment;
    for (const fs::path& f : regular_files(dir_.path() / "blobs"))
        if ((at = find_run(f, 'P', kMiB))) {
            segment = f;
            break;
        }
    ASSERT_TRUE(at.has_value());
    {
        int fd = ::open(segment.c_str(), O_RDWR);
        ASSERT_GE(fd, 0);
        const char flipped = 'Q';
        ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(*at + 1234)), 1);
        ::close(fd);
    }
    ASSERT_NO_FATAL_FAILURE(open());
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(report->damaged, (std::vector<std::string>{"upload " + up->id + " part 3"}));
}

}  // namespace
}  // namespace ostor::test
