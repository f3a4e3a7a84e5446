// Sets a bucket's versioning through the engine, beside a running gateway
// (several processes share a local data directory, as create_user does): the
// gateway tests of versioned buckets use it where PutBucketVersioning does
// not answer yet.
//
//   set-versioning-for-tests DATA_DIR BUCKET Enabled|Suspended
#include <ostor/ostor.hpp>

#include <cstdio>
#include <string_view>

namespace {

int fail(const ostor::Error& e) {
    std::fprintf(stderr, "set-versioning-for-tests: %.*s\n", static_cast<int>(e.message().size()), e.message().data());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: set-versioning-for-tests DATA_DIR BUCKET Enabled|Suspended\n");
        return 2;
    }
    const std::string_view state = argv[3];
    if (state != "Enabled" && state != "Suspended") {
        std::fprintf(stderr, "set-versioning-for-tests: the state is Enabled or Suspended, not %s\n", argv[3]);
        return 2;
    }
    auto engine = ostor::Engine::open(argv[1]);
    if (!engine) return fail(engine.error());
    auto set = (*engine)->set_bucket_versioning(
        argv[2], state == "Enabled" ? ostor::VersioningState::Enabled : ostor::VersioningState::Suspended);
    if (!set) return fail(set.error());
    return 0;
}
