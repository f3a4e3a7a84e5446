// Creates a user and prints it with its first key pair in ostor-s3-admin's
// create-user format:
//
//   UserEmail:user@email.com
//   UserId:a49e12a226bd760f
//   KeyPair[0]:S3AccessKeyId:a49e12a226bd760fGHQ7
//   KeyPair[0]:S3SecretAccessKey:HSDu2DA00JNGjnRcAhLKfhrvlymzOVdLPsCK2dcq
//   Flags:none
//
//   create_user DATA_DIR EMAIL [-S]
//
// -S makes it a system user (one that may call the admin API; "Flags:system").
// On an engine error it prints the engine's message and exits with the CLI's
// exit status for that error (never 0).
#include <ostor/ostor.hpp>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

int fail(const char* what, const ostor::Error& e) {
    std::fprintf(stderr, "create_user: %s failed: %.*s (%.*s)\n", what, static_cast<int>(e.message().size()),
                 e.message().data(), static_cast<int>(e.info().name.size()), e.info().name.data());
    return e.info().exit_status != 0 ? e.info().exit_status : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4 || (argc == 4 && std::strcmp(argv[3], "-S") != 0)) {
        std::fprintf(stderr, "usage: create_user DATA_DIR EMAIL [-S]\n");
        return 2;
    }
    bool system = argc == 4;

    auto engine = ostor::Engine::open(argv[1]);
    if (!engine) return fail("opening the data directory", engine.error());
    auto created = (*engine)->create_user(argv[2], system, /*with_key=*/true);
    if (!created) return fail("create_user", created.error());
    if (!created->key) {
        std::fprintf(stderr, "create_user: the engine made no key pair\n");
        return 1;
    }

    std::printf("UserEmail:%s\n", created->user.email.c_str());
    std::printf("UserId:%s\n", created->user.id.c_str());
    std::printf("KeyPair[0]:S3AccessKeyId:%s\n", created->key->access_key_id.c_str());
    std::printf("KeyPair[0]:S3SecretAccessKey:%s\n", created->key->secret.c_str());
    std::printf("Flags:%s\n", created->user.system ? "system" : "none");
    return 0;
}
