// Engine benchmarks (Google Benchmark):
//
//   DurablePut4KiB/threads:1, /threads:16
//       put_object of a 4 KiB body under a new key, acknowledged only once it
//       is on stable storage. items_per_second is PUT ops/s over all threads.
//       With 16 threads group commit shares one LMDB transaction and one sync
//       among many PUTs; compare with the disk's own 4 KiB write+fdatasync
//       rate (disk_reference "fsync-pairs"). Bodies this small are stored
//       inline in their metadata record (README, data layout), so this is the
//       metadata commit path.
//   Put64MiB, Put1GiB, Put1GiBNewKeys
//       one 64 MiB (1 GiB) object streamed through begin_put in 1 MiB writes (what an
//       HTTP server hands over), with its size known up front, then commit():
//       data, checksums, MD5 and the durable commit. Each iteration replaces
//       the previous object, so its space is freed as it goes (NewKeys: each
//       under a key of its own, nothing freed meanwhile). Compare with
//       one core's MD5 rate (`openssl speed -evp md5 -bytes 1048576`): MD5
//       cannot be split, so it bounds a large PUT's rate.
//   Get64MiB
//       the same object read back in 1 MiB chunks, CRC32C verified. Before
//       each iteration the segment files' page cache is dropped with
//       posix_fadvise(DONTNEED) (no root needed), so the data comes from the
//       device, as far as the kernel knows. On a VM the host may still cache
//       it; disk_reference's "seq-read" is measured the same way, so the
//       ratio between the two stays meaningful.
//
// Data directory: $OSTOR_BENCH_DIR, else a new one under /var/tmp (on the
// real disk: /tmp may be tmpfs), removed afterwards. Each benchmark runs for
// at least $OSTOR_BENCH_MIN_TIME seconds (default 3). bench/run_engine_bench.sh
// runs this and disk_reference on one directory and prints the ratios.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ostor/ostor.hpp>

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kSmallBytes = 4096;
constexpr std::size_t kLargeBytes = std::size_t{64} << 20;
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
constexpr double kDefaultMinTimeSeconds = 3.0;

std::unique_ptr<ostor::Engine> g_engine;
std::string g_bucket;
std::atomic<std::uint64_t> g_key_seq{0};

[[noreturn]] void die(const char* what, const ostor::Error& e) {
    std::fprintf(stderr, "engine_put_bench: %s: %.*s\n", what, static_cast<int>(e.message().size()),
                 e.message().data());
    std::exit(1);
}

// Drops the page cache of every segment file, so a GET reads from the device.
void drop_cache(const fs::path& blobs) {
    for (auto& entry : fs::directory_iterator(blobs)) {
        int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
    }
}

void DurablePut4KiB(benchmark::State& state) {
    std::vector<std::byte> body(kSmallBytes, std::byte{0x5a});
    for (auto _ : state) {
        auto key = "small/" + std::to_string(g_key_seq++);
        auto r = g_engine->put_object(g_bucket, key, body);
        if (!r) die("put_object", r.error());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kSmallBytes));
}

void PutLarge(benchmark::State& state, std::size_t bytes, bool new_keys) {
    std::vector<std::byte> chunk(kChunkBytes);
    for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<std::byte>(i * 131 + 7);
    for (auto _ : state) {
        ostor::PutOptions options;
        options.size_hint = bytes;
        const std::string key = new_keys ? "large/put-" + std::to_string(g_key_seq++) : "large/put";
        auto w = g_engine->begin_put(g_bucket, key, options);
        if (!w) die("begin_put", w.error());
        for (std::size_t done = 0; done < bytes; done += kChunkBytes)
            if (auto r = (*w)->write(chunk); !r) die("write", r.error());
        if (auto r = (*w)->commit(); !r) die("commit", r.error());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

void Get64MiB(benchmark::State& state) {
    {
        std::vector<std::byte> body(kLargeBytes);
        for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<std::byte>(i * 193 + 11);
        auto r = g_engine->put_object(g_bucket, "large/get", body);
        if (!r) die("put_object", r.error());
    }
    std::vector<std::byte> buf(kChunkBytes);
    for (auto _ : state) {
        state.PauseTiming();
        drop_cache(g_engine->directory() / "blobs");
        state.ResumeTiming();
        auto reader = g_engine->open_object(g_bucket, "large/get");
        if (!reader) die("open_object", reader.error());
        std::uint64_t total = 0;
        for (;;) {
            auto n = (*reader)->read(buf);
            if (!n) die("read", n.error());
            if (*n == 0) break;
            total += *n;
        }
        if (total != kLargeBytes) die("read", ostor::Error(ostor::Errc::Internal, "short read"));
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kLargeBytes));
}

}  // namespace

int main(int argc, char** argv) {
    double min_time = kDefaultMinTimeSeconds;
    if (const char* env = std::getenv("OSTOR_BENCH_MIN_TIME")) min_time = std::atof(env);
    benchmark::RegisterBenchmark("DurablePut4KiB", DurablePut4KiB)
        ->Threads(1)
        ->Threads(16)
        ->UseRealTime()
        ->MinTime(min_time);
    benchmark::RegisterBenchmark("Put64MiB", PutLarge, kLargeBytes, false)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond)
        ->MinTime(min_time);
    benchmark::RegisterBenchmark("Put1GiB", PutLarge, std::size_t{1} << 30, false)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond)
        ->MinTime(min_time);
    // Two bodies, whatever the minimum time: each stays on the disk.
    benchmark::RegisterBenchmark("Put1GiBNewKeys", PutLarge, std::size_t{1} << 30, true)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(2);
    benchmark::RegisterBenchmark("Get64MiB", Get64MiB)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(min_time);
    benchmark::Initialize(&argc, argv);

    fs::path dir;
    bool remove_after = false;
    if (const char* env = std::getenv("OSTOR_BENCH_DIR")) {
        dir = env;
    } else {
        char tmpl[] = "/var/tmp/ostor-bench-XXXXXX";
        if (!::mkdtemp(tmpl)) {
            std::perror("engine_put_bench: mkdtemp");
            return 1;
        }
        dir = tmpl;
        remove_after = true;
    }
    {
        auto engine = ostor::Engine::open(dir / "engine");
        if (!engine) die("open", engine.error());
        g_engine = std::move(*engine);
        // A fresh user and bucket each run, so runs on one directory do not mix.
        auto user = g_engine->create_user("bench-" + std::to_string(::getpid()) + "@localhost");
        if (!user) die("create_user", user.error());
        g_bucket = "bench-" + user->user.id;
        if (auto b = g_engine->create_bucket(g_bucket, user->user.id); !b) die("create_bucket", b.error());
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    g_engine.reset();
    if (remove_after) fs::remove_all(dir);
    return 0;
}
