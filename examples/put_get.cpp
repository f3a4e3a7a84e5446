// Stores a string or a file as an object and reads it back, through the
// embedded engine.
//
//   put_get [DATA_DIR] [KEY] [VALUE | @FILE]
//
// Opens (or creates) DATA_DIR (default ./ostor-data), makes the owner
// examples@localhost and the bucket "examples" when missing, then puts VALUE
// (default "Hello from ostor") -- or the contents of FILE, streamed in 1 MiB
// pieces -- under KEY (default hello.txt), reads it back, and prints its
// ETag and size. Exits 1 with the engine's message on any engine error.
#include <ostor/ostor.hpp>

#include <cstdio>
#include <fstream>
#include <span>
#include <string>
#include <vector>

namespace {

constexpr const char* kOwnerEmail = "examples@localhost";
constexpr const char* kBucket = "examples";
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

int fail(const char* what, const ostor::Error& e) {
    std::fprintf(stderr, "put_get: %s failed: %.*s (%.*s)\n", what, static_cast<int>(e.message().size()),
                 e.message().data(), static_cast<int>(e.info().name.size()), e.info().name.data());
    return 1;
}

// Streams the file into a writer; the engine never holds the whole body.
ostor::Result<ostor::ObjectInfo> put_file(ostor::Engine& e, const std::string& key, const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return ostor::Error(ostor::Errc::InvalidArgument, "cannot read " + path);
    ostor::PutOptions options;
    options.size_hint = static_cast<std::uint64_t>(in.tellg());
    in.seekg(0);
    auto writer = e.begin_put(kBucket, key, options);
    if (!writer) return std::move(writer).error();
    std::vector<char> buf(kChunkBytes);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
        auto n = static_cast<std::size_t>(in.gcount());
        if (auto w = (*writer)->write(std::as_bytes(std::span(buf.data(), n))); !w) return w.error();
    }
    return (*writer)->commit();
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = argc > 1 ? argv[1] : "ostor-data";
    std::string key = argc > 2 ? argv[2] : "hello.txt";
    std::string value = argc > 3 ? argv[3] : "Hello from ostor";
    bool from_file = value.size() > 1 && value[0] == '@';

    auto engine = ostor::Engine::open(dir);
    if (!engine) return fail("opening the data directory", engine.error());
    auto& e = **engine;

    auto owner = e.get_user_by_email(kOwnerEmail);
    if (!owner && owner.error().code() == ostor::Errc::NoSuchUser) {
        auto created = e.create_user(kOwnerEmail);
        if (!created) return fail("creating the owner", created.error());
        owner = created->user;
    }
    if (!owner) return fail("looking up the owner", owner.error());
    if (auto b = e.create_bucket(kBucket, owner->id); !b && b.error().code() != ostor::Errc::BucketAlreadyOwnedByYou)
        return fail("creating the bucket", b.error());

    ostor::Result<ostor::ObjectInfo> put = ostor::Errc::Internal;
    if (from_file) {
        put = put_file(e, key, value.substr(1));
    } else {
        ostor::PutOptions options;
        options.meta.content_type = "text/plain";
        put = e.put_object(kBucket, key, std::as_bytes(std::span(value)), options);
    }
    if (!put) return fail("put", put.error());
    std::printf("stored %s/%s in volume %s: %llu bytes, ETag \"%s\"\n", kBucket, key.c_str(), e.volume_id().c_str(),
                static_cast<unsigned long long>(put->size), put->etag.c_str());

    auto reader = e.open_object(kBucket, key);
    if (!reader) return fail("open_object", reader.error());
    std::string back;  // a string's body only; a file's is counted, not kept
    std::uint64_t back_size = 0;
    std::vector<std::byte> buf(kChunkBytes);
    for (;;) {
        auto n = (*reader)->read(buf);
        if (!n) return fail("read", n.error());
        if (*n == 0) break;
        back_size += *n;
        if (!from_file) back.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    std::printf("read back %llu bytes, ETag \"%s\"\n", static_cast<unsigned long long>(back_size),
                (*reader)->info().etag.c_str());
    if (!from_file) std::printf("read back: %s\n", back.c_str());

    if (back_size != put->size || (!from_file && back != value)) {
        std::fprintf(stderr, "put_get: what was read back differs from what was stored\n");
        return 2;
    }
    return 0;
}
