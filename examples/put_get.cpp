// Stores a value as an object and reads it back, through the embedded engine.
//
//   put_get [DATA_DIR] [KEY] [VALUE]
//
// Opens (or creates) DATA_DIR (default ./ostor-data), makes an owner and the
// bucket "examples" when missing, puts VALUE under KEY and prints what was
// stored and read back.
#include <ostor/ostor.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* kOwnerEmail = "examples@localhost";
constexpr const char* kBucket = "examples";

int fail(const char* what, const ostor::Error& e) {
    std::fprintf(stderr, "put_get: %s: %.*s\n", what, static_cast<int>(e.message().size()), e.message().data());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = argc > 1 ? argv[1] : "ostor-data";
    std::string key = argc > 2 ? argv[2] : "hello.txt";
    std::string value = argc > 3 ? argv[3] : "Hello from ostor";

    auto engine = ostor::Engine::open(dir);
    if (!engine) return fail("open", engine.error());
    auto& e = **engine;

    auto owner = e.get_user_by_email(kOwnerEmail);
    if (!owner) {
        auto created = e.create_user(kOwnerEmail);
        if (!created) return fail("create user", created.error());
        owner = created->user;
    }
    if (auto b = e.create_bucket(kBucket, owner->id); !b && b.error().code() != ostor::Errc::BucketAlreadyOwnedByYou)
        return fail("create bucket", b.error());

    ostor::PutOptions options;
    options.meta.content_type = "text/plain";
    auto put = e.put_object(kBucket, key, std::as_bytes(std::span(value)), options);
    if (!put) return fail("put", put.error());

    auto reader = e.open_object(kBucket, key);
    if (!reader) return fail("open object", reader.error());
    std::string back;
    std::vector<std::byte> buf(64 * 1024);
    for (;;) {
        auto n = (*reader)->read(buf);
        if (!n) return fail("read", n.error());
        if (*n == 0) break;
        back.append(reinterpret_cast<const char*>(buf.data()), *n);
    }

    std::printf("volume %s: stored %s/%s, %llu bytes, ETag \"%s\"\n", e.volume_id().c_str(), kBucket, key.c_str(),
                static_cast<unsigned long long>(put->size), put->etag.c_str());
    std::printf("read back: %s\n", back.c_str());
    return back == value ? 0 : 2;
}
