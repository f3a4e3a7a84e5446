// The engine at scale: fills one bucket with N objects, then prints what a
// large volume must keep fast, each next to its reference from the same run:
//
//   fill             objects/s while filling (64 writers, durable PUTs)
//   open             Engine::open of the filled volume (ms, median of 5)
//   list page        list_objects of 1,000 keys: the first page and one deep
//                    in the bucket (ms, median of 5)
//   4 KiB PUT        durable PUT rate of 16 writers under new keys spread
//                    over the filled bucket, against the same into an empty
//                    bucket of the same volume (rounds alternate: empty,
//                    filled, R times each); the ratio filled / empty, of the
//                    sums and the median of the rounds' ratios. Measured
//                    twice: right after the volume was opened again (the
//                    index pages may not be in the page cache: with
//                    OSTOR_SCALE_DROP_CACHES=1, run as root, the page cache
//                    is dropped before, as after a reboot), then after one
//                    listing of the whole bucket has read its index in
//                    (a gateway that has served the bucket for a while)
//   bytes/commit     bytes the process handed to write calls (/proc/self/io
//                    wchar: the metadata pages LMDB writes, as 4 KiB bodies
//                    are kept in their records) per metadata commit (LMDB
//                    transactions, from mdb_stat -e) and per PUT, in both
//                    phases
//   list_uploads     pages of 1,000 through U multipart uploads (ms: first
//                    page, mean, slowest)
//   scrub            time, and peak memory: VmHWM (reset before the scrub;
//                    it counts the metadata pages mapped, too) and the peak of
//                    RssAnon sampled every few ms (the heap)
//
//   engine_scale_bench N [DIR]
//
// DIR (default: a new directory under /var/tmp, removed afterwards) is kept
// when given, and a DIR filled before with the same N and fill size is used
// as it is (no new fill). Environment: OSTOR_SCALE_FILL_BYTES (body size of
// the fill, default 1024), OSTOR_SCALE_UPLOADS (default 50000),
// OSTOR_SCALE_PUT_SECONDS (per round, default 3), OSTOR_SCALE_PUT_ROUNDS
// (default 3), OSTOR_SCALE_DROP_CACHES (default 0). Each run PUTs under keys no run used before (a random start),
// so a rerun on the same volume inserts as the first did.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <ostor/ostor.hpp>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr unsigned kFillThreads = 64;
constexpr unsigned kPutThreads = 16;
constexpr unsigned kUploadThreads = 16;
constexpr std::size_t kPutBodyBytes = 4096;
constexpr std::size_t kDefaultFillBodyBytes = 1024;
constexpr std::uint64_t kDefaultUploads = 50000;
constexpr double kDefaultPutSeconds = 3.0;
constexpr int kRepeats = 5;
// The machine may be shared: PUT rounds alternate between the two buckets so
// that both see the same background load.
constexpr std::uint64_t kDefaultPutRounds = 3;
constexpr std::uint32_t kPageKeys = 1000;
constexpr auto kRssSampleInterval = std::chrono::milliseconds(2);
constexpr std::string_view kFilledMarker = "scale-filled";  // DIR/<marker>: "N fill_bytes"

[[noreturn]] void die(const char* what, const ostor::Error& e) {
    std::fprintf(stderr, "engine_scale_bench: %s: %.*s\n", what, static_cast<int>(e.message().size()),
                 e.message().data());
    std::exit(1);
}

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Keys spread evenly over the key space, as hashes or UUIDs are.
std::string spread_key(std::uint64_t i) {
    std::uint64_t z = i + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    char buf[32];
    std::snprintf(buf, sizeof buf, "obj/%016" PRIx64, z);
    return buf;
}

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// A field of /proc/self/status or /proc/self/io, in its own unit (kB or bytes).
std::uint64_t proc_field(const char* file, const char* field) {
    std::ifstream in(file);
    std::string line;
    const std::size_t n = std::strlen(field);
    while (std::getline(in, line))
        if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':')
            return std::strtoull(line.c_str() + n + 1, nullptr, 10);
    return 0;
}

std::uint64_t written_bytes() { return proc_field("/proc/self/io", "wchar"); }

// LMDB's last committed transaction id: one per metadata commit.
std::uint64_t last_txn_id(const fs::path& data_dir) {
    std::string cmd = "mdb_stat -e '" + (data_dir / "meta").string() + "' 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
    if (!p) return 0;
    char line[256];
    while (std::fgets(line, sizeof line, p.get()))
        if (const char* at = std::strstr(line, "Last transaction ID:")) return std::strtoull(at + 20, nullptr, 10);
    return 0;
}

// Runs `fn(thread, i)` for i in [0, count) over `threads` threads.
void parallel(unsigned threads, std::uint64_t count, const std::function<void(std::uint64_t)>& fn) {
    std::atomic<std::uint64_t> next{0};
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (std::uint64_t i; (i = next++) < count;) fn(i);
        });
    for (auto& th : pool) th.join();
}

struct PutPhase {
    std::uint64_t puts = 0;
    double seconds = 0;
    std::uint64_t bytes = 0;
    std::uint64_t commits = 0;
    void add(const PutPhase& o) {
        puts += o.puts;
        seconds += o.seconds;
        bytes += o.bytes;
        commits += o.commits;
    }
    double rate() const { return seconds > 0 ? puts / seconds : 0; }
    double per_commit() const { return commits ? static_cast<double>(bytes) / commits : 0; }
    double per_put() const { return puts ? static_cast<double>(bytes) / puts : 0; }
};

// 16 writers PUT 4 KiB bodies under new spread keys into `bucket` for `seconds`.
PutPhase put_round(ostor::Engine& engine, const std::string& bucket, double seconds, std::atomic<std::uint64_t>& seq) {
    std::vector<std::byte> body(kPutBodyBytes, std::byte{0x5a});
    std::atomic<std::uint64_t> done{0};
    std::atomic<bool> stop{false};
    PutPhase out;
    std::uint64_t txn_before = last_txn_id(engine.directory());
    std::uint64_t bytes_before = written_bytes();
    auto start = Clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < kPutThreads; ++t)
        pool.emplace_back([&] {
            while (!stop.load(std::memory_order_relaxed)) {
                auto r = engine.put_object(bucket, spread_key(seq++), body);
                if (!r) die("put_object", r.error());
                ++done;
            }
        });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& th : pool) th.join();
    out.seconds = ms_since(start) / 1000;
    out.puts = done;
    out.bytes = written_bytes() - bytes_before;
    out.commits = last_txn_id(engine.directory()) - txn_before;
    return out;
}

std::unique_ptr<ostor::Engine> open_engine(const fs::path& dir) {
    auto e = ostor::Engine::open(dir);
    if (!e) die("open", e.error());
    return std::move(*e);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: engine_scale_bench N [DIR]\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is measured
    const std::uint64_t n = std::strtoull(argv[1], nullptr, 10);
    const std::size_t fill_bytes = env_u64("OSTOR_SCALE_FILL_BYTES", kDefaultFillBodyBytes);
    const std::uint64_t uploads = env_u64("OSTOR_SCALE_UPLOADS", kDefaultUploads);
    const char* put_env = std::getenv("OSTOR_SCALE_PUT_SECONDS");
    const double put_seconds = put_env && *put_env ? std::atof(put_env) : kDefaultPutSeconds;
    const std::uint64_t put_rounds = env_u64("OSTOR_SCALE_PUT_ROUNDS", kDefaultPutRounds);

    fs::path dir;
    bool remove_after = false;
    if (argc == 3) {
        dir = argv[2];
    } else {
        char tmpl[] = "/var/tmp/ostor-scale-XXXXXX";
        if (!::mkdtemp(tmpl)) {
            std::perror("engine_scale_bench: mkdtemp");
            return 1;
        }
        dir = tmpl;
        remove_after = true;
    }
    const std::string fill_id = std::to_string(n) + " " + std::to_string(fill_bytes);
    bool filled = false;
    {
        std::ifstream in(dir / kFilledMarker);
        std::string line;
        filled = std::getline(in, line) && line == fill_id;
    }
    std::printf("volume %s, %" PRIu64 " objects of %zu bytes%s\n", dir.c_str(), n, fill_bytes,
                filled ? " (filled before)" : "");

    auto engine = open_engine(dir);
    if (!filled) {
        auto user = engine->create_user("scale-bench@localhost");
        if (!user) die("create_user", user.error());
        for (const char* b : {"big", "empty", "uploads"})
            if (auto r = engine->create_bucket(b, user->user.id); !r) die("create_bucket", r.error());
        std::vector<std::byte> body(fill_bytes, std::byte{0x33});
        auto start = Clock::now();
        std::atomic<std::uint64_t> progress{0};
        parallel(kFillThreads, n, [&](std::uint64_t i) {
            auto r = engine->put_object("big", spread_key(i), body);
            if (!r) die("put_object (fill)", r.error());
            if (++progress % 1000000 == 0) std::fprintf(stderr, "  filled %" PRIu64 "\n", progress.load());
        });
        double s = ms_since(start) / 1000;
        std::printf("fill                 %10.0f objects/s   (%" PRIu64 " objects in %.1f s)\n", n / s, n, s);
        std::ofstream(dir / kFilledMarker) << fill_id << "\n";
    }

    // Open time: the volume as a restarted gateway finds it.
    std::vector<double> opens;
    for (int i = 0; i < kRepeats; ++i) {
        engine.reset();
        auto start = Clock::now();
        engine = open_engine(dir);
        opens.push_back(ms_since(start));
    }
    std::printf("open                 %10.2f ms\n", median(opens));

    // List pages: the first and one three quarters into the bucket.
    for (auto [name, marker] : {std::pair<const char*, std::string>{"list page (first)", ""},
                                std::pair<const char*, std::string>{"list page (deep)", "obj/c000000000000000"}}) {
        std::vector<double> times;
        std::size_t got = 0;
        for (int i = 0; i < kRepeats; ++i) {
            ostor::ListObjectsParams p;
            p.marker = marker;
            p.max_keys = kPageKeys;
            auto start = Clock::now();
            auto r = engine->list_objects("big", p);
            times.push_back(ms_since(start));
            if (!r) die("list_objects", r.error());
            got = r->objects.size();
        }
        std::printf("%-20s %10.2f ms   (%zu keys)\n", name, median(times), got);
    }

    // Durable 4 KiB PUTs: the filled bucket against an empty one, alternating,
    // under keys after the fill's and after any earlier run's. First into
    // the volume as a restarted gateway finds it.
    engine.reset();
    if (env_u64("OSTOR_SCALE_DROP_CACHES", 0) != 0) {
        ::sync();
        std::ofstream drop("/proc/sys/vm/drop_caches");
        drop << "1\n" << std::flush;
        if (!drop) {
            std::fprintf(stderr,
                         "engine_scale_bench: cannot drop the page cache (OSTOR_SCALE_DROP_CACHES needs root)\n");
            return 1;
        }
        std::printf("page cache dropped\n");
    }
    engine = open_engine(dir);
    std::atomic<std::uint64_t> seq{n + (std::random_device{}() | std::uint64_t{1} << 32) * 1000000};
    auto put_phase = [&](const char* when) {
        PutPhase empty, big;
        std::vector<double> round_ratios;
        for (std::uint64_t round = 0; round < put_rounds; ++round) {
            PutPhase e = put_round(*engine, "empty", put_seconds, seq);
            PutPhase b = put_round(*engine, "big", put_seconds, seq);
            if (e.rate() > 0) round_ratios.push_back(b.rate() / e.rate());
            empty.add(e);
            big.add(b);
        }
        std::printf("4 KiB PUT, 16 writers, %s:\n", when);
        std::printf("  empty bucket %8.0f ops/s, filled bucket %8.0f ops/s, ratio %.2fx (median of %zu rounds %.2fx)\n",
                    empty.rate(), big.rate(), empty.rate() > 0 ? big.rate() / empty.rate() : 0.0, round_ratios.size(),
                    round_ratios.empty() ? 0.0 : median(round_ratios));
        std::printf("  bytes written: empty bucket %8.0f /commit %6.0f /PUT (%.1f PUTs/commit)\n", empty.per_commit(),
                    empty.per_put(), empty.commits ? double(empty.puts) / empty.commits : 0.0);
        std::printf("                 filled bucket %7.0f /commit %6.0f /PUT (%.1f PUTs/commit), ratio %.2fx /commit\n",
                    big.per_commit(), big.per_put(), big.commits ? double(big.puts) / big.commits : 0.0,
                    empty.per_commit() > 0 ? big.per_commit() / empty.per_commit() : 0.0);
    };
    put_phase("right after opening");
    {
        ostor::ListObjectsParams p;
        p.max_keys = kPageKeys;
        auto start = Clock::now();
        std::uint64_t listed = 0;
        for (;;) {
            auto r = engine->list_objects("big", p);
            if (!r) die("list_objects", r.error());
            listed += r->objects.size();
            if (!r->truncated) break;
            p.marker = r->next_marker;
        }
        std::printf("list whole bucket    %10.1f s       (%" PRIu64 " keys: its index now in the page cache)\n",
                    ms_since(start) / 1000, listed);
    }
    put_phase("index in the page cache");

    // Multipart uploads: begin `uploads`, then page through them all.
    {
        auto existing = engine->list_uploads("uploads", {});
        if (!existing) die("list_uploads", existing.error());
        if (existing->uploads.empty()) {
            auto start = Clock::now();
            parallel(kUploadThreads, uploads, [&](std::uint64_t i) {
                auto r = engine->create_upload("uploads", spread_key(i));
                if (!r) die("create_upload", r.error());
            });
            std::printf("create_upload        %10.0f /s      (%" PRIu64 " uploads)\n",
                        uploads / (ms_since(start) / 1000), uploads);
        }
        ostor::ListUploadsParams p;
        p.max_uploads = kPageKeys;
        std::vector<double> times;
        std::uint64_t listed = 0;
        for (;;) {
            auto start = Clock::now();
            auto r = engine->list_uploads("uploads", p);
            times.push_back(ms_since(start));
            if (!r) die("list_uploads", r.error());
            listed += r->uploads.size();
            if (!r->truncated) break;
            p.key_marker = r->next_key_marker;
            p.upload_id_marker = r->next_upload_id_marker;
        }
        double sum = 0;
        for (double t : times) sum += t;
        std::printf(
            "list_uploads page    %10.2f ms first, %.2f ms mean, %.2f ms slowest (%zu pages, %" PRIu64 " uploads)\n",
            times.front(), sum / times.size(), *std::max_element(times.begin(), times.end()), times.size(), listed);
    }

    // Scrub, with its peak memory.
    {
        std::ofstream("/proc/self/clear_refs") << "5\n";  // resets VmHWM
        std::uint64_t anon_before = proc_field("/proc/self/status", "RssAnon");
        std::atomic<bool> done{false};
        std::atomic<std::uint64_t> anon_peak{anon_before};
        std::thread sampler([&] {
            while (!done) {
                anon_peak = std::max<std::uint64_t>(anon_peak, proc_field("/proc/self/status", "RssAnon"));
                std::this_thread::sleep_for(kRssSampleInterval);
            }
        });
        auto start = Clock::now();
        auto r = engine->scrub();
        double s = ms_since(start) / 1000;
        done = true;
        sampler.join();
        if (!r) die("scrub", r.error());
        std::printf("scrub                %10.1f s       (%" PRIu64 " checked, %zu damaged)\n", s, r->extents_checked,
                    r->damaged.size());
        std::printf("scrub peak memory    VmHWM %" PRIu64 " MiB; RssAnon %" PRIu64 " MiB before, peak %" PRIu64
                    " MiB (+%" PRIu64 " MiB)\n",
                    proc_field("/proc/self/status", "VmHWM") / 1024, anon_before / 1024, anon_peak.load() / 1024,
                    (anon_peak.load() - anon_before) / 1024);
    }

    engine.reset();
    if (remove_after) fs::remove_all(dir);
    return 0;
}
