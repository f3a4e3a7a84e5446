// Engine benchmarks: durable small PUTs (group commit at work with 1 and 16
// writers) and large PUT/GET throughput.
//
// The data directory is $OSTOR_BENCH_DIR, else a new one under /var/tmp (on
// the real disk: /tmp may be tmpfs). Compare the figures with
// bench/disk_reference on the same directory (bench/run_engine_bench.sh).
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
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;  // what an HTTP server would hand over

std::unique_ptr<ostor::Engine> g_engine;
std::string g_bucket = "bench";
std::atomic<std::uint64_t> g_key_seq{0};

void die(const char* what, const ostor::Error& e) {
    std::fprintf(stderr, "engine_bench: %s: %.*s\n", what, static_cast<int>(e.message().size()), e.message().data());
    std::exit(1);
}

// Drops the page cache of every segment file, so GETs read from the disk.
void drop_cache(const fs::path& blobs) {
    for (auto& entry : fs::directory_iterator(blobs)) {
        int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ::fdatasync(fd);
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
    }
}

void BM_DurablePut4KiB(benchmark::State& state) {
    std::vector<std::byte> body(kSmallBytes, std::byte{0x5a});
    for (auto _ : state) {
        auto key = "small/" + std::to_string(g_key_seq++);
        auto r = g_engine->put_object(g_bucket, key, body);
        if (!r) die("put", r.error());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kSmallBytes));
}
BENCHMARK(BM_DurablePut4KiB)->Threads(1)->Threads(16)->UseRealTime()->MinTime(3.0);

void BM_Put64MiB(benchmark::State& state) {
    std::vector<std::byte> chunk(kChunkBytes);
    for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<std::byte>(i * 131 + 7);
    for (auto _ : state) {
        ostor::PutOptions options;
        options.size_hint = kLargeBytes;
        auto w = g_engine->begin_put(g_bucket, "large/put", options);
        if (!w) die("begin_put", w.error());
        for (std::size_t done = 0; done < kLargeBytes; done += kChunkBytes)
            if (auto r = (*w)->write(chunk); !r) die("write", r.error());
        if (auto r = (*w)->commit(); !r) die("commit", r.error());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kLargeBytes));
}
BENCHMARK(BM_Put64MiB)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3.0);

void BM_Get64MiB(benchmark::State& state) {
    {
        std::vector<std::byte> body(kLargeBytes, std::byte{0x33});
        auto r = g_engine->put_object(g_bucket, "large/get", body);
        if (!r) die("put", r.error());
    }
    std::vector<std::byte> buf(kChunkBytes);
    for (auto _ : state) {
        state.PauseTiming();
        drop_cache(g_engine->directory() / "blobs");
        state.ResumeTiming();
        auto reader = g_engine->open_object(g_bucket, "large/get");
        if (!reader) die("open", reader.error());
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
BENCHMARK(BM_Get64MiB)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    fs::path dir;
    bool remove_after = false;
    if (const char* env = std::getenv("OSTOR_BENCH_DIR")) {
        dir = env;
    } else {
        char tmpl[] = "/var/tmp/ostor-bench-XXXXXX";
        if (!::mkdtemp(tmpl)) return 1;
        dir = tmpl;
        remove_after = true;
    }
    {
        auto engine = ostor::Engine::open(dir / "engine");
        if (!engine) die("open", engine.error());
        g_engine = std::move(*engine);
        auto user = g_engine->create_user("bench-" + std::to_string(::getpid()) + "@localhost");
        if (!user) die("create user", user.error());
        g_bucket = "bench-" + user->user.id;
        if (auto b = g_engine->create_bucket(g_bucket, user->user.id); !b) die("create bucket", b.error());
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    g_engine.reset();
    if (remove_after) fs::remove_all(dir);
    return 0;
}
