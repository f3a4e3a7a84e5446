// White-box help for tests of damaged metadata: edits the LMDB store of a
// data directory directly, while no Engine has it open, to make rows that a
// working engine never writes (a short row, an unknown version, a missing
// body).
#pragma once

#include <cstdint>
#include <filesystem>

#include "local/lmdb_env.hpp"
#include "test_dir.hpp"

namespace ostor::test {

// Runs `fn(txn)` in one committed write transaction on the metadata of the
// data directory `dir` (its Engine closed).
template <class Fn>
void edit_meta(const fs::path& dir, Fn&& fn) {
    auto env = detail::Env::open(dir / "meta", EngineOptions{}.meta_map_size_bytes);
    ASSERT_TRUE(env) << env.error().message();
    detail::Txn txn = detail::Txn::write(**env);
    fn(txn);
    txn.commit();
}

}  // namespace ostor::test
