#include "rados/blob_store.hpp"

#include <algorithm>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "engine_impl.hpp"
#include "hashing.hpp"
#include "rados/blob_io.hpp"
#include "rados/leases.hpp"

namespace ostor::detail::rados {

namespace {

// Omap entries read per call when walking a pending list or a queue.
constexpr std::uint32_t kPageEntries = 256;
// Compare-and-set attempts on one count before giving up (a count that many
// gateways change at once; each attempt re-reads it).
constexpr int kRefsAttempts = 64;
// Blob objects whose counts one release or add_refs reads or changes at once
// (aio): a 1 GiB body's 256 objects cost a few round trips per step, not 256.
constexpr std::size_t kRefsChangesAtOnce = 64;
// Blob objects one release or add_refs takes through its steps together:
// bounds its memory and queue writes (a 5 TiB body is 1.3 M objects), and
// what one failed queue write leaves behind (a leak until the recount).
constexpr std::size_t kRefsWindow = 1024;

std::string id_hex(std::uint64_t id) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016" PRIx64, id);
    return buf;
}

std::optional<std::int64_t> parse_count(const std::string& text) {
    if (text.empty() || text.size() > 18) return std::nullopt;
    std::int64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

unsigned shard_of(std::uint64_t id) { return static_cast<unsigned>(id % kGcShardCount); }

}  // namespace

std::string blob_oid(std::uint64_t id) { return "blob." + id_hex(id); }
std::string blob_pending_oid(std::string_view instance) { return "blobs.pending." + std::string(instance); }
std::string gc_oid(unsigned shard) { return "gc." + std::to_string(shard); }
std::string due_text(std::int64_t due_ms) {
    char buf[21];
    std::snprintf(buf, sizeof buf, "%020" PRId64, due_ms);
    return buf;
}
std::string gc_key(std::int64_t due_ms, std::uint64_t id) { return due_text(due_ms) + "." + blob_oid(id); }

RadosBlobStore::RadosBlobStore(Client& client, Leases& leases, Options options)
    : client_(client), leases_(leases), options_(options) {}

std::unique_ptr<BlobWriter> RadosBlobStore::begin_write() { return make_blob_writer(*this); }

Result<std::unique_ptr<BlobReads>> RadosBlobStore::pin(const std::vector<Extent>& extents) {
    // No lock to take (objects outlive their last reference by the grace
    // period): only that each object is there, checked all at once by
    // reading its first byte (an object is created with its first bytes).
    std::set<std::uint64_t> ids;
    for (const auto& x : extents) ids.insert(x.segment);
    struct Checks {
        std::mutex mu;
        std::condition_variable cv;
        std::size_t left = 0;
        std::optional<Error> error;
    };
    auto checks = std::make_shared<Checks>();
    checks->left = ids.size();
    for (auto id : ids) {
        client_.aio_read(Pool::Data, blob_oid(id), 0, 1, [checks, id](Result<std::string> r) {
            std::lock_guard lock(checks->mu);
            if (!r && !checks->error) {
                checks->error = r.error().code() == kNotFound
                                    ? Error(Errc::IoError, "object data is missing: " + blob_oid(id) + " is gone")
                                    : r.error();
            }
            if (--checks->left == 0) checks->cv.notify_all();
        });
    }
    std::unique_lock lock(checks->mu);
    checks->cv.wait(lock, [&] { return checks->left == 0; });
    if (checks->error) return *checks->error;
    return make_blob_reads(client_);
}

bool RadosBlobStore::verify(const Extent& x, std::span<std::byte> buf) {
    if (buf.size() < x.length) return false;
    auto r = client_.read(Pool::Data, blob_oid(x.segment), x.offset, x.length);
    if (!r || r->size() != x.length) return false;
    std::memcpy(buf.data(), r->data(), x.length);
    return crc32c(buf.first(x.length)) == x.crc;
}

// One object's part in a change of counts: its steps, in order, are the
// count read, (in a release) the queue entry when that count may reach 0,
// and the guarded change; on a lost race, again from the read.
struct RadosBlobStore::RefsChange {
    std::uint64_t id = 0;
    std::string oid;
    std::int64_t delta = 0;  // its extents in the call: added (> 0) or released (< 0)
    std::string refs_read;   // `refs` as last read ("": unset)
    bool queued = false;     // its gc entry is written

    bool may_reach_zero() const { return parse_count(refs_read).value_or(0) + delta <= 0; }
};

std::vector<RadosBlobStore::RefsChange> RadosBlobStore::refs_changes(const std::vector<Extent>& extents,
                                                                     std::int64_t sign) {
    // Several extents of one object are one change of its count.
    std::map<std::uint64_t, std::int64_t> per_object;
    for (const auto& x : extents) ++per_object[x.segment];
    std::vector<RefsChange> objects;
    objects.reserve(per_object.size());
    for (const auto& [id, n] : per_object) objects.push_back({id, blob_oid(id), sign * n, {}, false});
    return objects;
}

template <typename Window>
void RadosBlobStore::in_windows(std::vector<RefsChange>& objects, Window&& window) {
    for (std::size_t from = 0; from < objects.size(); from += kRefsWindow) {
        std::vector<RefsChange*> changing;
        for (std::size_t i = from; i < std::min(objects.size(), from + kRefsWindow); ++i)
            changing.push_back(&objects[i]);
        if (!window(std::move(changing))) return;
    }
}

std::optional<Error> RadosBlobStore::read_counts(std::vector<RefsChange*>& objects) {
    const std::string name(kRefsXattr);
    auto read = results_at_once<Result<std::string>>(objects.size(), kRefsChangesAtOnce, [&](std::size_t i, auto done) {
        client_.aio_get_xattr(Pool::Data, objects[i]->oid, name, std::move(done));
    });
    std::optional<Error> failed;
    std::vector<RefsChange*> readable;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        if (read[i]) {
            objects[i]->refs_read = std::move(*read[i]);
        } else if (read[i].error().code() != kNotFound) {
            if (!failed) failed = std::move(read[i]).error();
            continue;
        } else if (auto st = client_.stat(Pool::Data, objects[i]->oid); st) {
            objects[i]->refs_read.clear();  // an object whose count was never set (rare)
        } else {
            if (!failed) failed = std::move(st).error();  // no object (or no answer)
            continue;
        }
        readable.push_back(objects[i]);
    }
    objects = std::move(readable);
    return failed;
}

void RadosBlobStore::queue_for_collection(const std::vector<RefsChange*>& objects, std::int64_t due_ms) {
    // One write per queue: a body's objects spread over all of them.
    std::map<unsigned, std::map<std::string, std::string>> per_shard;
    for (const auto* o : objects) per_shard[shard_of(o->id)].emplace(gc_key(due_ms, o->id), "");
    std::vector<unsigned> shards;
    for (const auto& [shard, keys] : per_shard) shards.push_back(shard);
    auto written = results_at_once<Result<void>>(shards.size(), kRefsChangesAtOnce, [&](std::size_t i, auto done) {
        client_.aio_apply(Pool::Meta, gc_oid(shards[i]), WriteOp().omap_set(per_shard[shards[i]]), std::move(done));
    });
    std::set<unsigned> queued_shards;
    for (std::size_t i = 0; i < shards.size(); ++i)
        if (written[i]) queued_shards.insert(shards[i]);
    for (auto* o : objects) o->queued = queued_shards.contains(shard_of(o->id));
}

std::optional<Error> RadosBlobStore::change_counts(std::vector<RefsChange*>& objects, const std::string& due_if_zero) {
    const std::string name(kRefsXattr);
    auto applied = results_at_once<Result<void>>(objects.size(), kRefsChangesAtOnce, [&](std::size_t i, auto done) {
        const auto& o = *objects[i];
        const auto fresh = std::max<std::int64_t>(0, parse_count(o.refs_read).value_or(0) + o.delta);
        WriteOp op;
        op.assert_exists().compare_xattr(name, Compare::Eq, o.refs_read).set_xattr(name, std::to_string(fresh));
        if (fresh == 0) op.set_xattr(std::string(kGcDueXattr), due_if_zero);
        client_.aio_apply(Pool::Data, o.oid, op, std::move(done));
    });
    std::optional<Error> failed;
    std::vector<RefsChange*> raced;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        if (applied[i]) continue;
        // kNotFound here is the object (assert_exists). A failed compare
        // (same code as kAlreadyExists) is someone else's change: again,
        // from a new read. Any other failure is never retried: a timeout
        // may have applied it (a second decrement would be a loss).
        if (applied[i].error().code() == kCompareFailed)
            raced.push_back(objects[i]);
        else if (!failed)
            failed = std::move(applied[i]).error();
    }
    objects = std::move(raced);
    return failed;
}

Result<void> RadosBlobStore::add_refs(const std::vector<Extent>& extents) {
    // All objects at once, each object's steps in order. The first failure
    // ends the call; counts already raised stay so (a leak, never a loss).
    auto objects = refs_changes(extents, +1);
    std::optional<Error> failed;
    in_windows(objects, [&](std::vector<RefsChange*> changing) {
        for (int attempt = 0; attempt < kRefsAttempts && !changing.empty(); ++attempt) {
            if ((failed = read_counts(changing))) break;
            if (before_refs_change_) before_refs_change_(attempt);
            if ((failed = change_counts(changing, ""))) break;
        }
        if (!failed && !changing.empty())
            failed = Error(Errc::IoError, "the reference count of " + changing.front()->oid + " kept changing");
        return !failed;
    });
    if (failed) return *failed;
    return {};
}

void RadosBlobStore::release(const FreedExtents& freed) {
    const auto due_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            (std::chrono::system_clock::now() + options_.grace).time_since_epoch())
                            .count();
    auto objects = refs_changes(freed, -1);
    in_windows(objects, [&](std::vector<RefsChange*> changing) {
        release_window(std::move(changing), due_ms);
        return true;
    });
}

void RadosBlobStore::release_window(std::vector<RefsChange*> changing, std::int64_t due_ms) {
    // The objects go through each step together (at most kRefsChangesAtOnce
    // calls at once), each object's steps in order. A failed step leaves
    // that object's references in place: a leak, which the recount finds.
    const std::string due = due_text(due_ms);
    for (int attempt = 0; attempt < kRefsAttempts && !changing.empty(); ++attempt) {
        (void)read_counts(changing);
        // Queued before the count drops: a crash between leaves a queue
        // entry whose guarded removal fails (count not 0), never a count of
        // 0 that no queue names. A count that does not reach 0 leaves its
        // entry too: collect_due drops it. Each round, as a lost race may
        // bring a count that would not have reached 0 down to it.
        std::vector<RefsChange*> to_queue;
        for (auto* o : changing)
            if (!o->queued && o->may_reach_zero()) to_queue.push_back(o);
        if (!to_queue.empty()) {
            queue_for_collection(to_queue, due_ms);
            std::erase_if(changing, [](const RefsChange* o) { return !o->queued && o->may_reach_zero(); });
        }
        if (before_refs_change_) before_refs_change_(attempt);
        (void)change_counts(changing, due);
    }
}

Result<std::size_t> RadosBlobStore::collect_due(std::chrono::system_clock::time_point now) {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::string horizon = gc_key(now_ms, ~std::uint64_t{0});  // sorts after every key due by now
    std::size_t removed = 0;
    for (unsigned shard = 0; shard < kGcShardCount; ++shard) {
        const std::string queue = gc_oid(shard);
        std::string after;
        for (;;) {
            auto page = client_.omap_list(Pool::Meta, queue, after, "", kPageEntries);
            if (!page) {
                if (page.error().code() == kNotFound) break;  // nothing ever queued here
                return std::move(page).error();
            }
            std::set<std::string> done;
            bool reached_future = false;
            for (const auto& [key, value] : page->entries) {
                if (key > horizon) {
                    reached_future = true;
                    break;
                }
                auto dot = key.find('.');
                if (dot == std::string::npos) {  // not ours: drop it
                    done.insert(key);
                    continue;
                }
                const std::string oid = key.substr(dot + 1);
                // Only the entry of the release that brought the count to 0
                // last: an older entry (whose count went up again, then down
                // by a later release) would cut the later grace short.
                auto r = client_.apply(Pool::Data, oid,
                                       WriteOp()
                                           .compare_xattr(std::string(kRefsXattr), Compare::Eq, "0")
                                           .compare_xattr(std::string(kGcDueXattr), Compare::Eq, key.substr(0, dot))
                                           .remove());
                if (r)
                    ++removed;
                else if (r.error().code() != kNotFound && r.error().code() != kCompareFailed)
                    return std::move(r).error();  // kept queued: tried again next time
                // Gone, or referenced again (revived by add_refs): done either way.
                done.insert(key);
            }
            if (!done.empty())
                if (auto r = client_.apply(Pool::Meta, queue, WriteOp().omap_remove_keys(done)); !r) return r.error();
            if (reached_future || !page->more || page->entries.empty()) break;
            after = page->entries.back().first;
        }
    }
    return removed;
}

Result<std::size_t> RadosBlobStore::clean_instance(const std::string& instance) {
    const std::string list = blob_pending_oid(instance);
    std::size_t removed = 0;
    std::string after;
    for (;;) {
        auto page = client_.omap_list(Pool::Meta, list, after, "", kPageEntries);
        if (!page) {
            if (page.error().code() == kNotFound) return removed;  // it never wrote
            return std::move(page).error();
        }
        for (const auto& [oid, value] : page->entries) {
            // Only an object whose count was never set: finish() did not
            // complete, so no catalog can refer to it. Guarded, so that a
            // count set meanwhile (it cannot be, its writer is dead) wins.
            auto r = client_.apply(Pool::Data, oid,
                                   WriteOp().compare_xattr(std::string(kRefsXattr), Compare::Eq, "").remove());
            if (r)
                ++removed;
            else if (r.error().code() != kNotFound && r.error().code() != kCompareFailed)
                return std::move(r).error();
        }
        if (!page->more || page->entries.empty()) break;
        after = page->entries.back().first;
    }
    // The whole list goes: what it named is removed or referenced.
    if (auto r = client_.remove(Pool::Meta, list); !r && r.error().code() != kNotFound) return std::move(r).error();
    return removed;
}

Result<void> RadosBlobStore::recover() {
    auto all = list_leases(client_);
    if (!all) return std::move(all).error();
    const auto now = now_ms();
    for (const auto& e : *all) {
        // Live by its renewal time: the lock would refuse it anyway.
        if (e.instance == leases_.instance_id() || e.live_at(now)) continue;
        auto adopted = leases_.adopt_if_dead(e.instance);
        if (!adopted) continue;  // alive, or someone else cleans it
        // A failure leaves the list for the next adopter (the adoption ends,
        // and with it the lease and index entry: see the report on sharing
        // one adoption with the ledger's sweep).
        if (auto r = clean_instance(e.instance); !r) return std::move(r).error();
    }
    return {};
}

}  // namespace ostor::detail::rados
