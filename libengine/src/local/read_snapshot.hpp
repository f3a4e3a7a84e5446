// Runs a function on a read snapshot of the local metadata store, turning
// the store's unexpected failures (DbFailure) into an Error, as the commit
// queue does for changes.
#pragma once

#include <utility>

#include "local/lmdb_env.hpp"
#include "ostor/error.hpp"

namespace ostor::detail {

// `fn(const Txn&)` returns a Result; the snapshot ends when it returns, so
// what `fn` returns must not hold views into it. Any thread may call it.
template <class F>
auto read_snapshot(const Env& env, F&& fn) -> decltype(fn(std::declval<const Txn&>())) {
    try {
        Txn txn = Txn::read(env);
        return fn(static_cast<const Txn&>(txn));
    } catch (const DbFailure& e) {
        return Error(e.code, e.what());
    }
}

}  // namespace ostor::detail
