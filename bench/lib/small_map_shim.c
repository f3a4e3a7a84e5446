// Loaded into the gateway by bench/gateway_instructions.sh only: LMDB's map
// is made 1 GiB (the gateway asks 64 GiB of address space), which valgrind
// cannot map. Measurement aid; never linked into ostor.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

typedef struct MDB_env MDB_env;

int mdb_env_set_mapsize(MDB_env* env, size_t size) {
    static int (*real)(MDB_env*, size_t);
    if (!real) real = (int (*)(MDB_env*, size_t))dlsym(RTLD_NEXT, "mdb_env_set_mapsize");
    (void)size;
    return real(env, (size_t)1 << 30);
}
