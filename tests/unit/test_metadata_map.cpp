// The local metadata store's size limit (its LMDB map) is by default the
// size of the file system it lives on, so a volume of many small objects
// grows until the disk is full rather than stopping at a fixed size.
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

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

// Ended read transactions are kept and renewed (Env keeps a few): a renewed
// one reads the newest commit, also one made by another Env of the same
// directory in another process; more reads at once
// than it keeps still work; and an Env closes with some kept.
TEST(MetadataMap, RenewedReadsSeeTheNewestCommit) {
    SKIP_ON_RADOS("the local metadata store");
    TestDir tmp;
    const auto dir = tmp.sub("meta");
    fs::create_directories(dir);
    auto env = detail::Env::open(dir, 64u << 20);
    ASSERT_TRUE(env) << env.error().message();
    auto write = [&](const detail::Env& on, std::string_view value) {
        auto txn = detail::Txn::write(on);
        txn.put(detail::Table::Meta, "probe", value);
        txn.commit();
    };
    auto read = [&](const detail::Env& on) {
        auto txn = detail::Txn::read(on);
        auto value = txn.get(detail::Table::Meta, "probe");
        return value ? std::string(*value) : std::string("(none)");
    };
    EXPECT_EQ(read(**env), "(none)");  // ended: kept for the next read
    write(**env, "one");
    EXPECT_EQ(read(**env), "one");
    write(**env, "two");
    EXPECT_EQ(read(**env), "two");

    // Many reads open at once: more than are kept; each sees the same data.
    std::vector<detail::Txn> open;
    for (int i = 0; i < 100; ++i) open.push_back(detail::Txn::read(**env));
    for (auto& txn : open) EXPECT_EQ(txn.get(detail::Table::Meta, "probe").value_or("(none)"), "two");
    open.clear();  // ends them all; the Env keeps some

    // Another process commits; ours sees it on its next (renewed) read.
    pid_t child = ::fork();
    ASSERT_NE(child, -1);
    if (child == 0) {
        auto other = detail::Env::open(dir, 64u << 20);
        if (!other) ::_exit(2);
        write(**other, "three");
        ::_exit(read(**other) == "three" ? 0 : 3);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_EQ(read(**env), "three");
    env->reset();  // closes with kept transactions

    auto again = detail::Env::open(dir, 64u << 20);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(read(**again), "three");
}

}  // namespace
}  // namespace ostor::test
