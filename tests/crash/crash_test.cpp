// The crash suite: a writer process is SIGKILLed at random moments, 24
// rounds on one data directory. After each kill the directory reopens and:
// every acknowledged object reads back byte-exact (CRC32C verified on the
// way) with its logged ETag; an operation cut by the kill left either the old
// or the new state, never a mix; nothing else is visible; scrub finds no
// damage; byte accounting is exact; and blocks allocated under blobs/ stay
// within 10% + one segment of the live bytes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <openssl/evp.h>

#include <ostor/ostor.hpp>

#include "crash_content.hpp"

namespace fs = std::filesystem;
using namespace ostor;
using namespace ostor::crash;

namespace {

constexpr int kRounds = 24;
constexpr std::uint64_t kSegmentBytes = std::uint64_t{64} << 20;

struct State {
    bool present = false;
    std::uint64_t gen = 0;
    std::uint64_t size = 0;
    std::string etag;  // empty when not known (an operation cut by the kill)
    bool operator==(const State&) const = default;
};

struct KeyLog {
    State done;                    // after the last acknowledged operation
    std::optional<State> pending;  // what a cut operation would have made
};

std::string md5_hex(const std::string& s) {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(s.data(), s.size(), d, &n, EVP_md5(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; ++i) {
        out.push_back(hex[d[i] >> 4]);
        out.push_back(hex[d[i] & 15]);
    }
    return out;
}

// Replays the whole log into each key's acknowledged and possible states.
std::map<std::string, KeyLog> replay(const fs::path& log) {
    std::map<std::string, KeyLog> keys;
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string phase, op, key;
        ls >> phase >> op >> key;
        KeyLog& k = keys[key];
        State s;
        if (op == "DEL") {
            s.present = false;
        } else {
            s.present = true;
            ls >> s.gen >> s.size >> s.etag;
        }
        if (phase == "BEGIN") {
            // A PUT or MPU does not know its ETag before it is done.
            if (op == "PUT" || op == "MPU") s.etag.clear();
            k.pending = s;
        } else {
            k.done = s;
            k.pending.reset();
        }
    }
    return keys;
}

std::uint64_t allocated_bytes(const fs::path& dir) {
    std::uint64_t total = 0;
    for (auto& e : fs::recursive_directory_iterator(dir)) {
        struct stat st {};
        if (::lstat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += std::uint64_t(st.st_blocks) * 512;
    }
    return total;
}

std::string read_all(Engine& e, const std::string& key, Error* err) {
    auto r = e.open_object(kBucket, key);
    if (!r) {
        *err = r.error();
        return {};
    }
    std::string out;
    std::vector<std::byte> buf(1 << 20);
    for (;;) {
        auto n = (*r)->read(buf);
        if (!n) {
            *err = n.error();
            return {};
        }
        if (*n == 0) return out;
        out.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
}

bool matches(const State& want, const State& got) {
    if (want.present != got.present) return false;
    if (!want.present) return true;
    return want.gen == got.gen && want.size == got.size && (want.etag.empty() || want.etag == got.etag);
}

std::string describe(const State& s) {
    if (!s.present) return "absent";
    return "gen " + std::to_string(s.gen) + ", " + std::to_string(s.size) + " bytes, etag " + s.etag;
}

pid_t start_writer(const char* writer, const fs::path& dir, const fs::path& log, std::uint64_t seed) {
    pid_t pid = ::fork();
    if (pid == 0) {
        std::string seed_s = std::to_string(seed);
        ::execl(writer, writer, dir.c_str(), log.c_str(), seed_s.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

// Checks the directory against the log; returns the live bytes.
std::uint64_t check_round(int round, const fs::path& dir, const fs::path& log) {
    auto opened = Engine::open(dir);
    EXPECT_TRUE(opened) << "round " << round << ": reopen failed: " << opened.error().message();
    if (!opened) return 0;
    Engine& e = **opened;
    auto keys = replay(log);

    std::set<std::string> visible;
    std::uint64_t object_bytes = 0;
    for (unsigned i = 0; i < kKeys; ++i) {
        std::string key = key_name(i);
        KeyLog k = keys.count(key) ? keys[key] : KeyLog{};
        State got;
        auto head = e.head_object(kBucket, key);
        if (head) {
            got.present = true;
            got.size = head->size;
            got.etag = head->etag;
            for (auto& [name, value] : head->meta.user)
                if (name == "gen") got.gen = std::stoull(value);
        } else {
            EXPECT_EQ(head.error().code(), Errc::NoSuchKey) << key << ": " << head.error().message();
        }
        bool ok = matches(k.done, got) || (k.pending && matches(*k.pending, got));
        EXPECT_TRUE(ok) << "round " << round << ", " << key << ": found " << describe(got) << "; acknowledged "
                        << describe(k.done) << (k.pending ? "; or, cut, " + describe(*k.pending) : std::string());
        if (!got.present) continue;
        visible.insert(key);
        object_bytes += got.size;
        Error err(Errc::Internal);
        std::string body = read_all(e, key, &err);
        std::string want = content(got.gen, got.size);
        EXPECT_TRUE(body == want) << "round " << round << ", " << key << ": body differs (" << body.size() << " of "
                                  << want.size() << " bytes read): " << err.message();
        if (got.etag.find('-') == std::string::npos) {
            EXPECT_EQ(got.etag, md5_hex(want)) << "round " << round << ", " << key;
        }
    }

    // Nothing else is visible, and the listing agrees.
    std::set<std::string> listed;
    ListObjectsParams p;
    for (;;) {
        auto page = e.list_objects(kBucket, p);
        EXPECT_TRUE(page) << page.error().message();
        if (!page) break;
        for (auto& o : page->objects) listed.insert(o.key);
        if (!page->truncated) break;
        p.marker = page->next_marker;
    }
    EXPECT_EQ(listed, visible) << "round " << round;

    // Byte accounting: objects plus parts of uploads a kill cut short.
    std::uint64_t part_bytes = 0;
    if (auto ups = e.list_uploads(kBucket)) {
        for (auto& u : ups->uploads)
            if (auto parts = e.list_parts(u.id))
                for (auto& part : parts->parts) part_bytes += part.size;
    }
    auto bucket = e.get_bucket(kBucket);
    if (bucket) {
        EXPECT_EQ(bucket->bytes, object_bytes + part_bytes) << "round " << round;
        EXPECT_EQ(bucket->objects, visible.size()) << "round " << round;
        if (auto usage = e.get_user_usage(bucket->owner_id)) {
            EXPECT_EQ(usage->bytes, object_bytes + part_bytes) << "round " << round;
            EXPECT_EQ(usage->reserved, 0u) << "round " << round << ": reservations of the killed writer remain";
        }
    }

    auto scrub = e.scrub();
    EXPECT_TRUE(scrub) << scrub.error().message();
    if (scrub) {
        EXPECT_TRUE(scrub->damaged.empty()) << "round " << round << ": scrub found " << scrub->damaged.size()
                                            << " damaged, first " << scrub->damaged.front();
    }

    std::uint64_t live = object_bytes + part_bytes;
    std::uint64_t allocated = allocated_bytes(dir / "blobs");
    EXPECT_LE(allocated, live + live / 10 + kSegmentBytes)
        << "round " << round << ": " << allocated << " bytes allocated under blobs/ for " << live << " live bytes";
    std::printf("round %2d: %3zu objects, %9llu live bytes, %9llu allocated under blobs/\n", round, visible.size(),
                static_cast<unsigned long long>(live), static_cast<unsigned long long>(allocated));
    std::fflush(stdout);
    return live;
}

TEST(Crash, KilledWriterLosesNothingAcknowledgedShowsNothingElseAndLeaksNoSpace) {
    const char* writer = std::getenv("CRASH_WRITER");
    ASSERT_NE(writer, nullptr) << "set CRASH_WRITER to the crash-writer program";
    char tmpl[] = "/var/tmp/ostor-crash-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    fs::path root = tmpl;
    fs::path dir = root / "data";
    fs::path log = root / "ops.log";

    std::mt19937_64 rng(std::random_device{}());
    std::uint64_t base_seed = rng() % 1'000'000;
    std::printf("seed base %llu, directory %s\n", static_cast<unsigned long long>(base_seed), dir.c_str());
    for (int round = 1; round <= kRounds; ++round) {
        pid_t pid = start_writer(writer, dir, log, base_seed * 100 + round);
        ASSERT_GT(pid, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 750));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round << ": the writer exited by itself with status "
                                         << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
                                         << " (3: an engine call failed)";
        check_round(round, dir, log);
        if (HasFailure()) break;
    }
    if (!HasFailure()) fs::remove_all(root);
    else std::printf("kept %s for inspection\n", root.c_str());
}

}  // namespace
