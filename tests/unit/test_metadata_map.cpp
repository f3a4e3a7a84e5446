// The local metadata store's size limit (its LMDB map) is by default the
// size of the file system it lives on, so a volume of many small objects
// grows until the disk is full rather than stopping at a fixed size.
#include <sys/statvfs.h>

#include <algorithm>

#include "local/lmdb_env.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

TEST(MetadataMap, ByDefaultAsLargeAsItsFileSystemWithinBounds) {
    SKIP_ON_RADOS("the local metadata store");
    TestDir tmp;
    const auto dir = tmp.sub("meta");
    fs::create_directories(dir);
    ASSERT_EQ(EngineOptions{}.meta_map_size_bytes, 0u) << "the default asks for the file system's size";
    auto env = detail::Env::open(dir, EngineOptions{}.meta_map_size_bytes);
    ASSERT_TRUE(env) << env.error().message();
    MDB_envinfo info;
    ASSERT_EQ(mdb_env_info((*env)->get(), &info), 0);

    struct statvfs st {};
    ASSERT_EQ(::statvfs(dir.c_str(), &st), 0);
    const std::uint64_t fs_bytes = static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize;
    const std::uint64_t floor = std::uint64_t{64} << 30, ceiling = std::uint64_t{4} << 40;
    EXPECT_GE(info.me_mapsize, std::min(std::max(fs_bytes, floor), ceiling));
    EXPECT_GE(info.me_mapsize, floor);
    EXPECT_LE(info.me_mapsize, ceiling);

    // A size given is taken as it is.
    env->reset();
    fs::create_directories(tmp.sub("small"));
    auto small = detail::Env::open(tmp.sub("small"), 8u << 20);
    ASSERT_TRUE(small) << small.error().message();
    ASSERT_EQ(mdb_env_info((*small)->get(), &info), 0);
    EXPECT_EQ(info.me_mapsize, 8u << 20);
}

}  // namespace
}  // namespace ostor::test
