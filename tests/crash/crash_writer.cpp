// crash-writer DIR LOGFILE SEED: writes, overwrites, copies and deletes
// objects at random until it is killed. Every operation is logged as
// "BEGIN ..." before it starts and "DONE ..." after the engine acknowledged
// it, each line made durable before going on, so the checker knows what was
// acknowledged and what may have been cut.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <ostor/ostor.hpp>

#include "crash_content.hpp"

using namespace ostor;
using namespace ostor::crash;

namespace {

int g_log = -1;

void log_line(const std::string& line) {
    std::string l = line + "\n";
    if (::write(g_log, l.data(), l.size()) != static_cast<ssize_t>(l.size()) || ::fdatasync(g_log) != 0) {
        std::perror("crash-writer: log");
        std::exit(4);
    }
}

[[noreturn]] void die(const char* what, const Error& e) {
    std::fprintf(stderr, "crash-writer: %s: %.*s\n", what, static_cast<int>(e.message().size()), e.message().data());
    std::exit(3);
}

PutOptions options_for(std::uint64_t gen) {
    PutOptions o;
    o.meta.content_type = "application/octet-stream";
    o.meta.user = {{"gen", std::to_string(gen)}};
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: crash-writer DIR LOGFILE SEED\n");
        return 2;
    }
    std::uint64_t seed = std::strtoull(argv[3], nullptr, 10);
    g_log = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (g_log < 0) return 4;
    std::mt19937_64 rng(seed);

    auto engine = Engine::open(argv[1]);
    if (!engine) die("open", engine.error());
    Engine& e = **engine;
    auto owner = e.get_user_by_email(kOwner);
    if (!owner) {
        auto created = e.create_user(kOwner);
        if (!created) die("create user", created.error());
        owner = created->user;
    }
    if (auto b = e.create_bucket(kBucket, owner->id); !b && b.error().code() != Errc::BucketAlreadyOwnedByYou)
        die("create bucket", b.error());
    // Uploads a killed round left behind: aborting them after a crash must work.
    if (auto ups = e.list_uploads(kBucket); ups) {
        for (auto& u : ups->uploads)
            if (auto r = e.abort_upload(u.id); !r) die("abort", r.error());
    }

    std::uint64_t gen = seed * 1'000'000;
    auto pick_size = [&]() -> std::uint64_t {
        switch (rng() % 10) {
            case 0: return 0;
            case 1: case 2: case 3: return 1 + rng() % 4096;          // inline
            case 4: case 5: case 6: return 1 + rng() % (256 * 1024);
            case 7: case 8: return rng() % (1 << 20);
            default: return (1 << 20) + rng() % (2 << 20);             // 1-3 MiB
        }
    };
    for (;;) {
        std::string key = key_name(static_cast<unsigned>(rng() % kKeys));
        unsigned op = rng() % 100;
        if (op < 60) {  // PUT
            ++gen;
            std::uint64_t size = pick_size();
            std::string body = content(gen, size);
            log_line("BEGIN PUT " + key + " " + std::to_string(gen) + " " + std::to_string(size));
            Result<ObjectInfo> r = Error(Errc::Internal);
            if (rng() % 2) {
                r = e.put_object(kBucket, key, std::as_bytes(std::span(body)), options_for(gen));
            } else {
                auto o = options_for(gen);
                if (rng() % 2) o.size_hint = size;
                auto w = e.begin_put(kBucket, key, o);
                if (!w) die("begin_put", w.error());
                std::size_t off = 0;
                while (off < body.size()) {
                    std::size_t n = std::min<std::size_t>(body.size() - off, 1 + rng() % (300 * 1024));
                    if (auto wr = (*w)->write(std::as_bytes(std::span(body.data() + off, n))); !wr) die("write", wr.error());
                    off += n;
                }
                r = (*w)->commit();
            }
            if (!r) die("put", r.error());
            log_line("DONE PUT " + key + " " + std::to_string(gen) + " " + std::to_string(size) + " " + r->etag);
        } else if (op < 75) {  // DELETE
            log_line("BEGIN DEL " + key);
            auto r = e.delete_object(kBucket, key);
            if (!r && r.error().code() != Errc::NoSuchKey) die("delete", r.error());
            log_line("DONE DEL " + key);
        } else if (op < 95) {  // COPY from another key, sharing its extents
            std::string src = key_name(static_cast<unsigned>(rng() % kKeys));
            auto head = e.head_object(kBucket, src);
            if (!head) continue;
            std::string src_gen = head->meta.user.empty() ? "0" : head->meta.user[0].second;
            log_line("BEGIN COPY " + key + " " + src_gen + " " + std::to_string(head->size) + " " + head->etag);
            auto r = e.copy_object(kBucket, src, kBucket, key);
            if (!r) die("copy", r.error());
            log_line("DONE COPY " + key + " " + r->meta.user[0].second + " " + std::to_string(r->size) + " " + r->etag);
        } else {  // a two-part multipart upload
            ++gen;
            std::uint64_t size = (5 << 20) + rng() % (512 * 1024);
            std::string body = content(gen, size);
            log_line("BEGIN MPU " + key + " " + std::to_string(gen) + " " + std::to_string(size));
            auto up = e.create_upload(kBucket, key, options_for(gen).meta);
            if (!up) die("create upload", up.error());
            auto p1 = e.upload_part(up->id, 1, std::as_bytes(std::span(body.data(), 5 << 20)));
            if (!p1) die("part 1", p1.error());
            auto p2 = e.upload_part(up->id, 2, std::as_bytes(std::span(body.data() + (5 << 20), size - (5 << 20))));
            if (!p2) die("part 2", p2.error());
            auto r = e.complete_upload(up->id, {{1, p1->etag}, {2, p2->etag}});
            if (!r) die("complete", r.error());
            log_line("DONE MPU " + key + " " + std::to_string(gen) + " " + std::to_string(size) + " " + r->etag);
        }
    }
}
