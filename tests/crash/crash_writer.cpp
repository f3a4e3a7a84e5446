// crash-writer DIR LOGFILE SEED: puts, streams, overwrites, copies, deletes,
// uploads multipart objects and rewrites objects' tags at random until it is
// killed. Every object is tagged with its generation ("gen", as its metadata):
// the checker finds that tag on it whatever the kill cut.
//
// crash-writer DIR LOGFILE SEED versions: the same on a versioned bucket, a
// few keys: puts and streams of new versions, copies of any version of a
// key as a new version of another, deletes without an id (delete markers),
// deletes of any version or marker by id, and now and then a switch between
// Enabled and Suspended (writes then make the null version).
//
// Before each operation it logs "BEGIN ..." and after the engine acknowledged
// it the completed operation, each line made durable (write + fdatasync)
// before going on, so the checker knows what was acknowledged and which one
// operation the kill may have cut. The log format is in crash_content.hpp.
// An engine call that fails ends the writer with status 3: the crash test
// then reports it, since nothing here should ever fail.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <ostor/ostor.hpp>

#include "crash_content.hpp"

using namespace ostor;
using namespace ostor::crash;

namespace {

constexpr int kExitEngineError = 3;
constexpr int kExitLogError = 4;

int g_log_fd = -1;

void log_line(const std::string& line) {
    std::string l = line + "\n";
    if (::write(g_log_fd, l.data(), l.size()) != static_cast<ssize_t>(l.size()) || ::fdatasync(g_log_fd) != 0) {
        std::perror("crash-writer: log");
        std::exit(kExitLogError);
    }
}

[[noreturn]] void die(const std::string& what, const Error& e) {
    std::fprintf(stderr, "crash-writer: %s: %s: %.*s\n", what.c_str(), std::string(e.info().name).c_str(),
                 static_cast<int>(e.message().size()), e.message().data());
    std::exit(kExitEngineError);
}

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::size_t crash_chunk(std::mt19937_64& rng) {
    switch (rng() % 4) {
        case 0:
            return 1 + rng() % 4096;  // odd small pieces across block boundaries
        case 1:
            return 1 + rng() % (64 * 1024);
        default:
            return 1 + rng() % (512 * 1024);
    }
}

PutOptions options_for(std::uint64_t gen) {
    PutOptions o;
    o.meta.content_type = "application/octet-stream";
    o.meta.user = {{kGenMetaName, std::to_string(gen)}};
    o.meta.tags = {{kGenMetaName, std::to_string(gen)}};
    return o;
}

// Stores `body` as generation `gen` of `key`: in one call, or streamed in
// random pieces with or without a size hint.
ObjectInfo store(Engine& e, std::mt19937_64& rng, const std::string& key, const std::string& body, std::uint64_t gen) {
    PutOptions o = options_for(gen);
    Result<ObjectInfo> r = Error(Errc::Internal);
    unsigned how = static_cast<unsigned>(rng() % 3);
    if (how == 0) {
        r = e.put_object(kBucket, key, bytes(body), std::move(o));
    } else {
        if (how == 2) o.size_hint = body.size();
        auto w = e.begin_put(kBucket, key, std::move(o));
        if (!w) die("begin_put " + key, w.error());
        std::size_t off = 0;
        while (off < body.size()) {
            std::size_t n = std::min(body.size() - off, crash_chunk(rng));
            if (auto wr = (*w)->write(bytes(std::string_view(body).substr(off, n))); !wr)
                die("write " + key, wr.error());
            off += n;
        }
        r = (*w)->commit();
    }
    if (!r) die("put " + key, r.error());
    return *r;
}

class Writer {
public:
    Writer(Engine& engine, std::uint64_t seed) : e_(engine), rng_(seed), gen_(seed * 1'000'000) {}

    void run() {
        for (;;) {
            std::string key = key_name(static_cast<unsigned>(rng_() % kKeys));
            unsigned dice = static_cast<unsigned>(rng_() % 1000);
            if (dice < 550)
                put(key);
            else if (dice < 700)
                del(key);
            else if (dice < 940)
                copy(key_name(static_cast<unsigned>(rng_() % kKeys)), key);
            else if (dice < 985)
                retag(key);
            else
                multipart(key);  // rare: each moves 10-11 MiB
        }
    }

private:
    std::uint64_t pick_size() {
        unsigned d = static_cast<unsigned>(rng_() % 100);
        if (d < 8) return 0;
        if (d < 38) return 1 + rng_() % 4096;
        if (d < 78) return 4097 + rng_() % (256 * 1024 - 4096);
        if (d < 90) return (256 * 1024) + rng_() % (768 * 1024);
        return (std::uint64_t{1} << 20) + rng_() % (std::uint64_t{2} << 20);  // 1-3 MiB
    }

    std::size_t pick_chunk() { return crash_chunk(rng_); }

    void put(const std::string& key) {
        std::uint64_t gen = ++gen_;
        std::uint64_t size = pick_size();
        std::string body = content(gen, size);
        std::string desc = key + " " + std::to_string(gen) + " " + std::to_string(size) + " " + md5_hex(body);
        log_line("BEGIN PUT " + desc);
        log_line("PUT " + desc + " " + store(e_, rng_, key, body, gen).etag);
    }

    void del(const std::string& key) {
        log_line("BEGIN DEL " + key);
        auto r = e_.delete_object(kBucket, key);
        if (!r && r.error().code() != Errc::NoSuchKey) die("delete " + key, r.error());
        log_line("DEL " + key + (r ? "" : " nosuch"));
    }

    // The tags rewritten in place (the record only, never the data): the gen
    // tag kept, a count of rewrites added. Not logged: it changes nothing the
    // checker's model of a key holds (gen, size, ETag).
    void retag(const std::string& key) {
        auto head = e_.head_object(kBucket, key);
        if (!head && head.error().code() == Errc::NoSuchKey) return;
        if (!head) die("head " + key, head.error());
        if (head->meta.tags.empty()) return;  // not this writer's: the checker reports it
        auto r = e_.set_object_tags(kBucket, key, {head->meta.tags.front(), {"retag", std::to_string(++retags_)}});
        if (!r) die("set_object_tags " + key, r.error());
    }

    void copy(const std::string& src, const std::string& dst) {
        log_line("BEGIN COPY " + src + " " + dst);
        auto r = e_.copy_object(kBucket, src, kBucket, dst);
        if (!r && r.error().code() != Errc::NoSuchKey) die("copy " + src + " " + dst, r.error());
        log_line("COPY " + src + " " + dst + " " + (r ? r->etag : std::string("nosuch")));
    }

    void multipart(const std::string& key) {
        std::uint64_t gen = ++gen_;
        std::vector<std::uint64_t> part_sizes(kMultipartParts - 1, kMinPartBytes);
        part_sizes.push_back(1 + rng_() % (std::uint64_t{1} << 20));
        std::uint64_t size = 0;
        for (auto n : part_sizes) size += n;
        std::string body = content(gen, size);
        std::string desc = key + " " + std::to_string(gen) + " " + std::to_string(size) + " " + md5_hex(body);
        log_line("BEGIN MPU " + desc + " " + multipart_etag(body, part_sizes));

        auto up = e_.create_upload(kBucket, key, options_for(gen).meta);
        if (!up) die("create_upload " + key, up.error());
        std::vector<CompletedPart> parts;
        std::uint64_t off = 0;
        for (std::uint32_t i = 0; i < part_sizes.size(); ++i) {
            std::string_view part = std::string_view(body).substr(off, part_sizes[i]);
            off += part_sizes[i];
            Result<PartInfo> p = Error(Errc::Internal);
            if (rng_() % 2) {
                p = e_.upload_part(up->id, i + 1, bytes(part));
            } else {
                auto w = e_.begin_upload_part(up->id, i + 1);
                if (!w) die("begin_upload_part " + key, w.error());
                for (std::size_t done = 0; done < part.size();) {
                    std::size_t n = std::min(part.size() - done, pick_chunk());
                    if (auto wr = (*w)->write(bytes(part.substr(done, n))); !wr) die("write part " + key, wr.error());
                    done += n;
                }
                auto c = (*w)->commit();
                if (!c) die("commit part " + key, c.error());
                p = PartInfo{i + 1, c->size, c->etag, c->last_modified_ms, {}};
            }
            if (!p) die("upload_part " + key, p.error());
            parts.push_back({i + 1, p->etag});
        }
        auto r = e_.complete_upload(up->id, parts);
        if (!r) die("complete_upload " + key, r.error());
        log_line("MPU " + desc + " " + r->etag);
    }

    Engine& e_;
    std::mt19937_64 rng_;
    std::uint64_t gen_;
    std::uint64_t retags_ = 0;
};

// The versioned writer: every acknowledgement carries the version id the
// engine gave (crash_content.hpp).
class VersionWriter {
public:
    VersionWriter(Engine& engine, std::uint64_t seed) : e_(engine), rng_(seed), gen_(seed * 1'000'000) {}

    void run() {
        // A quarter of the writers start Suspended.
        set_state(rng_() % 4 == 0 ? VersioningState::Suspended : VersioningState::Enabled);
        for (;;) {
            std::string key = version_key_name(static_cast<unsigned>(rng_() % kVersionKeys));
            unsigned dice = static_cast<unsigned>(rng_() % 1000);
            if (dice < 430)
                put(key);
            else if (dice < 530)
                copy(version_key_name(static_cast<unsigned>(rng_() % kVersionKeys)), key);
            else if (dice < 670)
                mark(key);
            else if (dice < 990)
                delete_version(key);
            else
                set_state(rng_() % 2 ? VersioningState::Suspended : VersioningState::Enabled);
        }
    }

private:
    // Mostly small bodies: the versions pile up, and each round reads every one back.
    std::uint64_t pick_size() {
        unsigned d = static_cast<unsigned>(rng_() % 100);
        if (d < 8) return 0;
        if (d < 50) return 1 + rng_() % 4096;
        if (d < 92) return 4097 + rng_() % (128 * 1024 - 4096);
        return (std::uint64_t{128} << 10) + rng_() % (std::uint64_t{1} << 20);
    }

    void set_state(VersioningState state) {
        const char* name = state == VersioningState::Suspended ? "Suspended" : "Enabled";
        log_line(std::string("BEGIN STATE ") + name);
        if (auto r = e_.set_bucket_versioning(kBucket, state); !r) die("set_bucket_versioning", r.error());
        log_line(std::string("STATE ") + name);
    }

    void put(const std::string& key) {
        std::uint64_t gen = ++gen_;
        std::string body = content(gen, pick_size());
        std::string desc = key + " " + std::to_string(gen) + " " + std::to_string(body.size()) + " " + md5_hex(body);
        log_line("BEGIN VPUT " + desc);
        ObjectInfo info = store(e_, rng_, key, body, gen);
        log_line("VPUT " + desc + " " + info.etag + " " + info.version_id);
    }

    // A version of `src` (not necessarily its current) copied as a new
    // version of `dst`: the copy shares its extents.
    void copy(const std::string& src, const std::string& dst) {
        ListVersionsParams p;
        p.prefix = src;
        auto listed = e_.list_object_versions(kBucket, p);
        if (!listed) die("list_object_versions " + src, listed.error());
        std::vector<const ObjectInfo*> objects;
        for (auto& v : listed->versions)
            if (!v.delete_marker) objects.push_back(&v);
        if (objects.empty()) return;
        const ObjectInfo& v = *objects[rng_() % objects.size()];
        std::string gen;
        for (auto& [name, value] : v.meta.user)
            if (name == kGenMetaName) gen = value;
        std::string desc = src + " " + v.version_id + " " + dst;
        log_line("BEGIN VCOPY " + desc + " " + gen + " " + std::to_string(v.size) + " " + v.etag);
        CopyOptions o;
        o.src_version_id = v.version_id;
        auto r = e_.copy_object(kBucket, src, kBucket, dst, o);
        if (!r) die("copy " + desc, r.error());
        log_line("VCOPY " + desc + " " + r->etag + " " + r->version_id);
    }

    void mark(const std::string& key) {
        log_line("BEGIN MARK " + key);
        auto r = e_.delete_object(kBucket, key, DeleteOptions{});
        if (!r) die("delete (a marker) " + key, r.error());
        log_line("MARK " + key + " " + r->version_id + (r->delete_marker ? "" : " nomarker"));
    }

    // Any of the key's versions, the current or a marker too.
    void delete_version(const std::string& key) {
        ListVersionsParams p;
        p.prefix = key;
        auto listed = e_.list_object_versions(kBucket, p);
        if (!listed) die("list_object_versions " + key, listed.error());
        if (listed->versions.empty()) return;
        const ObjectInfo& v = listed->versions[rng_() % listed->versions.size()];
        log_line("BEGIN VDEL " + key + " " + v.version_id);
        DeleteOptions o;
        o.version_id = v.version_id;
        auto r = e_.delete_object(kBucket, key, o);
        if (!r && r.error().code() != Errc::NoSuchVersion) die("delete " + key + " " + v.version_id, r.error());
        log_line("VDEL " + key + " " + v.version_id + " " + (!r ? "nosuch" : r->delete_marker ? "marker" : "object"));
    }

    Engine& e_;
    std::mt19937_64 rng_;
    std::uint64_t gen_;
};

}  // namespace

int main(int argc, char** argv) {
    bool versions = argc == 5 && std::string_view(argv[4]) == "versions";
    if (argc != 4 && !versions) {
        std::fprintf(stderr, "usage: crash-writer DIR LOGFILE SEED [versions]\n");
        return 2;
    }
    std::uint64_t seed = std::strtoull(argv[3], nullptr, 10);
    g_log_fd = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (g_log_fd < 0) {
        std::perror("crash-writer: open log");
        return kExitLogError;
    }

    auto engine = Engine::open(argv[1]);
    if (!engine) die("open", engine.error());
    Engine& e = **engine;

    // The first rounds may be killed anywhere in this set-up; it is redone.
    auto owner = e.get_user_by_email(kOwnerEmail);
    if (!owner) {
        if (owner.error().code() != Errc::NoSuchUser) die("get_user_by_email", owner.error());
        auto created = e.create_user(kOwnerEmail);
        if (!created) die("create_user", created.error());
        owner = created->user;
    }
    if (auto b = e.create_bucket(kBucket, owner->id); !b && b.error().code() != Errc::BucketAlreadyOwnedByYou)
        die("create_bucket", b.error());
    // Multipart uploads a kill cut short: aborting them after a crash must work.
    auto uploads = e.list_uploads(kBucket);
    if (!uploads) die("list_uploads", uploads.error());
    for (auto& u : uploads->uploads)
        if (auto r = e.abort_upload(u.id); !r && r.error().code() != Errc::NoSuchUpload) die("abort_upload", r.error());

    log_line(std::string(kReadyLine));
    if (versions)
        VersionWriter(e, seed).run();
    else
        Writer(e, seed).run();
}
