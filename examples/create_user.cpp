// Creates a user and prints its first key pair in ostor-s3-admin's format.
//
//   create_user DATA_DIR EMAIL [-S]
//
// -S makes it a system user (one that may call the admin API).
#include <ostor/ostor.hpp>

#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: create_user DATA_DIR EMAIL [-S]\n");
        return 2;
    }
    bool system = argc > 3 && std::strcmp(argv[3], "-S") == 0;

    auto engine = ostor::Engine::open(argv[1]);
    if (!engine) {
        auto m = engine.error().message();
        std::fprintf(stderr, "create_user: %.*s\n", static_cast<int>(m.size()), m.data());
        return 1;
    }
    auto created = (*engine)->create_user(argv[2], system);
    if (!created) {
        auto m = created.error().message();
        std::fprintf(stderr, "create_user: %.*s\n", static_cast<int>(m.size()), m.data());
        return created.error().info().exit_status;
    }
    std::printf("UserEmail:%s\n", created->user.email.c_str());
    std::printf("UserId:%s\n", created->user.id.c_str());
    std::printf("KeyPair[0]:S3AccessKeyId:%s\n", created->key->access_key_id.c_str());
    std::printf("KeyPair[0]:S3SecretAccessKey:%s\n", created->key->secret.c_str());
    std::printf("Flags:%s\n", system ? "system" : "none");
    return 0;
}
