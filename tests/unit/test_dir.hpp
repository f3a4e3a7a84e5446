// Shared helpers of the unit suite: a temporary data directory that cleans up
// after itself, an Engine opened on it (a local volume there, or a RADOS
// volume standing for it: test_backend.hpp), and small tools to build bodies,
// read objects whole and check Results.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ostor/ostor.hpp"
#include "test_backend.hpp"

namespace ostor {

// Lets gtest print codes by name in failure messages.
inline void PrintTo(Errc code, std::ostream* os) {
    *os << error_info(code).name << " (" << static_cast<int>(code) << ")";
}

}  // namespace ostor

namespace ostor::test {

namespace fs = std::filesystem;

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr std::uint64_t kGiB = 1024 * kMiB;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object goes away.
class TestDir {
public:
    TestDir() : TestDir(default_parent()) {}
    // Under `parent` rather than $TMPDIR (e.g. on another file system).
    explicit TestDir(const fs::path& parent) {
        std::string pattern = parent.string() + "/ostor-unit-XXXXXX";
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        if (::mkdtemp(buf.data()) == nullptr) {
            ADD_FAILURE() << "mkdtemp(" << pattern << ") failed";
            std::abort();
        }
        path_ = buf.data();
    }
    ~TestDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
        remove_rados_namespaces(path_);  // the RADOS volumes that stood for its paths, if any
    }
    TestDir(const TestDir&) = delete;
    TestDir& operator=(const TestDir&) = delete;

    const fs::path& path() const { return path_; }
    // A data directory inside the temporary directory (not created).
    fs::path sub(std::string_view name) const { return path_ / std::string(name); }

private:
    static fs::path default_parent() {
        const char* tmp = std::getenv("TMPDIR");
        return tmp && *tmp ? tmp : "/tmp";
    }
    fs::path path_;
};

// Opens an Engine on `dir`, creating the layout when missing (on RADOS: the
// volume standing for `dir`, see test_backend.hpp).
inline Result<std::unique_ptr<Engine>> open_engine(const fs::path& dir, EngineOptions options = {}) {
    return Engine::open(volume_spec_for(dir), std::move(options));
}

// ---- Checking Results --------------------------------------------------

template <class T>
::testing::AssertionResult IsOk(const Result<T>& r) {
    if (r) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "failed with " << r.error().info().name << ": " << r.error().message();
}

template <class T>
::testing::AssertionResult FailsWith(const Result<T>& r, Errc expected) {
    if (r) return ::testing::AssertionFailure() << "succeeded, expected " << error_info(expected).name;
    if (r.error().code() != expected)
        return ::testing::AssertionFailure() << "failed with " << r.error().info().name << " (" << r.error().message()
                                             << "), expected " << error_info(expected).name;
    return ::testing::AssertionSuccess();
}

// ---- Bodies ------------------------------------------------------------

inline std::span<const std::byte> as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// `size` bytes of pseudo-random content, the same for the same seed.
inline std::string random_bytes(std::size_t size, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::string out(size, '\0');
    std::size_t i = 0;
    while (i < size) {
        std::uint64_t v = gen();
        for (int b = 0; b < 8 && i < size; ++b, ++i) out[i] = static_cast<char>((v >> (8 * b)) & 0xFF);
    }
    return out;
}

inline std::string md5_raw(std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr) != 1) std::abort();
    return std::string(reinterpret_cast<const char*>(out), len);
}

inline std::string to_hex(std::string_view raw) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    return out;
}

inline std::string md5_hex(std::string_view data) { return to_hex(md5_raw(data)); }

inline std::string from_hex(std::string_view hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return 0;
    };
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
    return out;
}

// ---- Engine shortcuts ---------------------------------------------------

// Reads all that an opened reader has left.
inline Result<std::string> drain(ObjectReader& reader, std::size_t chunk = 64 * 1024) {
    std::string out;
    std::vector<std::byte> buf(chunk);
    for (;;) {
        auto n = reader.read(buf);
        if (!n) return std::move(n).error();
        if (*n == 0) break;
        if (*n > buf.size()) return Error(Errc::Internal, "read() returned more than the buffer holds");
        out.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    return out;
}

// The object's body (or the range of it), read whole.
inline Result<std::string> read_object(Engine& engine, std::string_view bucket, std::string_view key,
                                       std::optional<ByteRange> range = std::nullopt, std::size_t chunk = 64 * 1024) {
    auto reader = engine.open_object(bucket, key, range);
    if (!reader) return std::move(reader).error();
    return drain(**reader, chunk);
}

// The body, or "<error NAME: message>" so that comparisons fail readably.
inline std::string body_of(Engine& engine, std::string_view bucket, std::string_view key,
                           std::optional<ByteRange> range = std::nullopt) {
    auto r = read_object(engine, bucket, key, range);
    if (!r) return "<error " + std::string(r.error().info().name) + ": " + std::string(r.error().message()) + ">";
    return std::move(*r);
}

// Byte-exact comparison that reports sizes and the first difference instead
// of dumping megabytes.
inline ::testing::AssertionResult SameBytes(std::string_view actual, std::string_view expected) {
    if (actual == expected) return ::testing::AssertionSuccess();
    auto f = ::testing::AssertionFailure();
    f << "actual " << actual.size() << " bytes, expected " << expected.size() << " bytes";
    std::size_t n = std::min(actual.size(), expected.size());
    for (std::size_t i = 0; i < n; ++i)
        if (actual[i] != expected[i]) {
            f << "; first difference at offset " << i;
            break;
        }
    if (actual.size() < 200) f << "; actual: \"" << actual << "\"";
    return f;
}

inline Result<ObjectInfo> put(Engine& engine, std::string_view bucket, std::string_view key, std::string_view body,
                              PutOptions options = {}) {
    return engine.put_object(bucket, key, as_bytes(body), std::move(options));
}

inline TimestampMs now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

inline std::uint64_t now_hours() { return static_cast<std::uint64_t>(now_ms() / (3600 * 1000)); }

}  // namespace ostor::test
namespace ostor::detail::testing {
void wait_for_reclaims();  // local/segment_store.hpp
}  // namespace ostor::detail::testing
namespace ostor::test {

// Bytes the file system has allocated to regular files under `dir`, once the
// extents freed so far are punched (after their commits, on a thread of
// their own: local/segment_reclaim.cpp).
inline std::uint64_t allocated_bytes(const fs::path& dir) {
    detail::testing::wait_for_reclaims();
    std::uint64_t total = 0;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return 0;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
            total += static_cast<std::uint64_t>(st.st_blocks) * 512;
    }
    return total;
}

// Regular files under `dir`, sorted by path.
inline std::vector<fs::path> regular_files(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
        if (it->is_regular_file(ec)) out.push_back(it->path());
    std::sort(out.begin(), out.end());
    return out;
}

// A fixture with a fresh data directory and an Engine open on it, plus
// shortcuts to make a user and a bucket.
class EngineTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_NO_FATAL_FAILURE(open()); }

    void open(EngineOptions options = {}) {
        auto r = open_engine(dir_.path(), std::move(options));
        ASSERT_TRUE(r) << r.error().message();
        engine_ = std::move(*r);
    }
    // Closes the Engine and opens the directory again.
    void reopen(EngineOptions options = {}) {
        engine_.reset();
        ASSERT_NO_FATAL_FAILURE(open(std::move(options)));
    }

    Engine& engine() { return *engine_; }

    // A user without keys; its id.
    std::string make_user(std::string_view email) {
        auto r = engine_->create_user(email, false, false);
        EXPECT_TRUE(r) << r.error().message();
        return r ? r->user.id : std::string();
    }
    // A bucket owned by `owner`.
    void make_bucket(std::string_view name, std::string_view owner, std::string_view account = {}) {
        auto r = engine_->create_bucket(name, owner, account);
        ASSERT_TRUE(r) << r.error().message();
    }
    // A user "owner@example.com" with a bucket `name`; the user's id.
    std::string user_with_bucket(std::string_view name, std::string_view email = "owner@example.com") {
        std::string id = make_user(email);
        auto r = engine_->create_bucket(name, id);
        EXPECT_TRUE(r) << r.error().message();
        return id;
    }

    TestDir dir_;
    std::unique_ptr<Engine> engine_;
};

// An EngineTest whose user `owner_` owns bucket "bkt", which the versioning
// tests version (or suspend) first.
class VersionedBucketTest : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        owner_ = user_with_bucket("bkt");
        ASSERT_FALSE(owner_.empty());
    }
    void enable() { ASSERT_TRUE(IsOk(engine().set_bucket_versioning("bkt", VersioningState::Enabled))); }
    void suspend() { ASSERT_TRUE(IsOk(engine().set_bucket_versioning("bkt", VersioningState::Suspended))); }
    // The bytes of `key`'s version `version_id`, or "<error NAME>".
    std::string body_of_version(std::string_view key, std::string_view version_id) {
        auto reader = engine().open_object("bkt", key, std::nullopt, version_id);
        if (!reader) return "<error " + std::string(reader.error().info().name) + ">";
        auto got = drain(**reader);
        return got ? *got : "<read error>";
    }

    std::string owner_;
};

}  // namespace ostor::test
