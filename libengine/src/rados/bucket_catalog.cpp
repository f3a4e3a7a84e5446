// The RADOS ObjectCatalog's buckets: creation, lookup, listing, deletion,
// ACL (object_layout.hpp has the objects, object_catalog.hpp the class).
//
// A bucket exists when bucket.<name> exists with its info: that record is
// its commit point. Around it, in crash-safe orders (each a comment below):
// the epoch in bucket-epochs (taken first), the owner's counts and the
// bucket's claim on user.<owner> (too high after a crash, never too low; a
// recount drops claims no record backs: user_buckets.hpp), the index shard
// and uploads index objects (made before the record, removed after it), the
// list entry in buckets.<shard> (written before the record; list_buckets
// skips entries without one).
#include <algorithm>
#include <condition_variable>
#include <limits>

#include "engine_impl.hpp"
#include "hashing.hpp"
#include "rados/catalog_support.hpp"
#include "rados/object_catalog.hpp"
#include "rados/user_buckets.hpp"
#include "rados/user_object.hpp"
#include "size_history.hpp"
#include "storage/read_cache.hpp"
#include "versions/object_lock.hpp"

namespace ostor::detail::rados {

namespace {

Error no_such_bucket(std::string_view name) {
    if (name.empty()) return Error(Errc::NoSuchBucket, "no bucket name given");
    return Error(Errc::NoSuchBucket, "bucket " + std::string(name) + " does not exist");
}

Error no_such_account(std::string_view name) {
    if (name.empty()) return Error(Errc::NoSuchAccount, "no account name given");
    return Error(Errc::NoSuchAccount, "account " + std::string(name) + " does not exist");
}

Error name_taken(const Bucket& existing, std::string_view owner_id) {
    if (existing.owner_id == owner_id)
        return Error(Errc::BucketAlreadyOwnedByYou, "you already own bucket " + existing.name);
    return Error(Errc::BucketAlreadyExists, "bucket name " + existing.name + " is taken");
}

// Runs `n` writes at once (aio) and waits for them all; the first failure.
Result<void> apply_all(Client& client, Pool pool, const std::vector<std::string>& oids, const WriteOp& op) {
    auto applied = results_at_once<Result<void>>(oids.size(), oids.size(), [&](std::size_t i, auto done) {
        client.aio_apply(pool, oids[i], op, std::move(done));
    });
    for (auto& r : applied)
        if (!r) return std::move(r).error();
    return {};
}

// A bucket record from the info and shards entries of bucket.<name>.
Result<RadosObjectCatalog::StoredBucket> stored_bucket_of(std::string_view name,
                                                          const std::map<std::string, std::string>& omap) {
    std::string info = value_of(omap, kBucketInfoKey);
    if (info.empty()) return no_such_bucket(name);
    auto b = decode_bucket(info);
    auto shards = decode_count(value_of(omap, kBucketShardsKey));
    if (!b || !shards || *shards == 0 || *shards > 1024)
        return Error(Errc::Internal, "damaged bucket record " + std::string(name));
    return RadosObjectCatalog::StoredBucket{std::move(*b), static_cast<std::uint32_t>(*shards), std::move(info)};
}

// Appends to `out` the buckets of `names` that `filter` lists, their records
// read all at once (aio), in the names' order. A name without a record (a
// leftover list entry or claim) or with a damaged one (as locally) is passed
// over.
Result<void> append_listed_buckets(Client& client, const std::vector<std::string>& names, const BucketFilter& filter,
                                   std::vector<Bucket>& out) {
    std::vector<std::string> oids;
    oids.reserve(names.size());
    for (auto& name : names) oids.push_back(bucket_oid(name));
    auto records =
        omap_get_at_once(client, Pool::Meta, oids, {std::string(kBucketInfoKey), std::string(kBucketShardsKey)});
    for (std::size_t i = 0; i < records.size(); ++i) {
        auto& r = records[i];
        if (!r) {
            if (r.error().code() == kNotFound) continue;  // a leftover entry or claim
            return std::move(r).error();
        }
        auto b = stored_bucket_of(names[i], *r);
        if (!b) {
            if (b.error().code() == Errc::NoSuchBucket) continue;  // no record: as above
            if (b.error().code() == Errc::Internal) continue;      // as locally: not listed
            return std::move(b).error();
        }
        if (filter.owner_id && b->bucket.owner_id != *filter.owner_id) continue;
        if (filter.owner_id && filter.account && b->bucket.account != *filter.account) continue;
        out.push_back(std::move(b->bucket));
    }
    return {};
}

}  // namespace

struct RadosObjectCatalog::BucketCache {
    explicit BucketCache(const Notifier& n) : records(n) {}
    ReadCache<StoredBucket> records;  // by bucket name

    void erase(ChangeKind kind, std::string_view subject) {
        constexpr std::string_view kBucketPrefix = "b/";
        if (kind == ChangeKind::All)
            records.clear();
        else if (kind == ChangeKind::Bucket && subject.starts_with(kBucketPrefix))
            records.erase(subject.substr(kBucketPrefix.size()));
    }
};

RadosObjectCatalog::RadosObjectCatalog(Client& client, SpaceLedger& ledger, RadosBlobStore& blobs,
                                       SettingsCatalog& settings, RadosLeases* lease, Notifier* notifier)
    : client_(client), ledger_(ledger), blobs_(blobs), settings_(settings), lease_(lease) {
    // Without a notifier nothing may be cached: this one never serves.
    static SharedStoreNotifier never_serves;
    bucket_cache_ = std::make_shared<BucketCache>(notifier ? *notifier : static_cast<Notifier&>(never_serves));
    if (notifier)
        notifier->subscribe(
            [weak = std::weak_ptr<BucketCache>(bucket_cache_)](ChangeKind kind, std::string_view subject) {
                if (auto cache = weak.lock()) cache->erase(kind, subject);
            });
}

Result<RadosObjectCatalog::StoredBucket> RadosObjectCatalog::load_bucket_cached(std::string_view name) {
    return bucket_cache_->records.get_or_read(std::string(name), [&] { return load_bucket(name); });
}

Result<RadosObjectCatalog::StoredBucket> RadosObjectCatalog::load_bucket_afresh(std::string_view name) {
    return bucket_cache_->records.refresh(std::string(name), [&] { return load_bucket(name); });
}

void RadosObjectCatalog::forget_cached_bucket(std::string_view name) { bucket_cache_->records.erase(name); }

Result<RadosObjectCatalog::StoredBucket> RadosObjectCatalog::load_bucket(std::string_view name) {
    if (name.empty()) return no_such_bucket(name);
    auto got =
        client_.omap_get(Pool::Meta, bucket_oid(name), {std::string(kBucketInfoKey), std::string(kBucketShardsKey)});
    if (!got) {
        if (got.error().code() == kNotFound) return no_such_bucket(name);
        return std::move(got).error();
    }
    return stored_bucket_of(name, *got);
}

Result<Bucket> RadosObjectCatalog::with_counts(Bucket bucket) {
    OSTOR_TRY(ledger_.fill_bucket_counts(bucket));
    return bucket;
}

// Adds `delta` (+1, -1) to the owner's `buckets` and, for an account's
// bucket, to `buckets.<account>`, with the bucket's claim (set with +1 at
// `claimed_ms`, removed with -1: user_buckets.hpp), guarded on the user being
// live and the account being there (as read): so a bucket cannot be counted
// for a user or account that a concurrent delete is removing (those deletes
// are guarded on the counts in turn). -1 lowers nothing when the claim is
// gone (a recount dropped it already). Fails: NoSuchUser, NoSuchAccount.
Result<void> RadosObjectCatalog::change_bucket_count(const Bucket& bucket, int delta, std::int64_t claimed_ms) {
    const std::string acct_key = account_omap_key(bucket.account);
    const std::string acct_count_key = account_buckets_key(bucket.account);
    const std::string claim_key = bucket_claim_key(bucket.name, bucket.epoch);
    std::set<std::string> keys{std::string(kBucketsKey), claim_key};
    if (!bucket.account.empty()) keys.insert({acct_key, acct_count_key});
    return retry_on_conflict<void>(user_oid(bucket.owner_id), [&]() -> std::optional<Result<void>> {
        auto got = read_user_entries(client_, bucket.owner_id, keys);
        if (!got) return Result<void>(std::move(got).error());
        auto bump = [&](std::string_view key) -> std::string {
            std::uint64_t n = decode_count(value_of(*got, key)).value_or(0);
            return encode_count(delta >= 0 ? n + 1 : (n > 0 ? n - 1 : 0));
        };
        WriteOp op;
        guard_live_user(op);
        const std::string claim = value_of(*got, claim_key);
        if (delta < 0 && claim.empty()) return Result<void>();
        op.compare_omap(claim_key, Compare::Eq, claim);
        if (delta >= 0)
            op.omap_set(claim_key, std::to_string(claimed_ms) + " " + bucket.account);
        else
            op.omap_remove(claim_key);
        op.compare_omap(std::string(kBucketsKey), Compare::Eq, value_of(*got, kBucketsKey));
        op.omap_set(std::string(kBucketsKey), bump(kBucketsKey));
        if (!bucket.account.empty()) {
            std::string acct = value_of(*got, acct_key);
            if (acct.empty() && delta >= 0) return Result<void>(no_such_account(bucket.account));
            if (!acct.empty()) op.compare_omap(acct_key, Compare::Eq, acct);
            op.compare_omap(acct_count_key, Compare::Eq, value_of(*got, acct_count_key));
            op.omap_set(acct_count_key, bump(acct_count_key));
        }
        auto written = client_.apply(Pool::Meta, user_oid(bucket.owner_id), op);
        if (!written && changed_meanwhile(written.error())) return std::nullopt;
        return written;
    });
}

// The name's next epoch, taken by compare-and-set on bucket-epochs: two
// creators never get the same one, so a bucket's index objects are never an
// earlier incarnation's.
Result<std::uint64_t> RadosObjectCatalog::next_epoch(std::string_view name) {
    const std::string oid(kBucketEpochsOid);
    return retry_on_conflict<std::uint64_t>(oid, [&]() -> std::optional<Result<std::uint64_t>> {
        auto got = client_.omap_get(Pool::Meta, oid, {std::string(name)});
        bool exists = true;
        if (!got) {
            if (got.error().code() != kNotFound) return Result<std::uint64_t>(std::move(got).error());
            exists = false;
        }
        std::string last = exists ? value_of(*got, name) : std::string();
        std::uint64_t epoch = 0;
        if (!last.empty()) {
            auto n = decode_count(last);
            if (!n) return Result<std::uint64_t>(Error(Errc::Internal, "damaged epoch of bucket " + std::string(name)));
            epoch = *n + 1;
        }
        WriteOp op;
        // A compare on a missing object fails: the first write creates it.
        if (exists)
            op.compare_omap(std::string(name), Compare::Eq, last);
        else
            op.create_exclusive();
        op.omap_set(std::string(name), encode_count(epoch));
        auto written = client_.apply(Pool::Meta, oid, op);
        if (!written && (changed_meanwhile(written.error()) || written.error().code() == kAlreadyExists))
            return std::nullopt;
        if (!written) return Result<std::uint64_t>(std::move(written).error());
        return Result<std::uint64_t>(epoch);
    });
}

// The index shards and the uploads index: made with the bucket (before its
// record), so that writes of entries need not create them, and a write into
// a deleted bucket's index fails (ENOENT) instead of recreating it.
Result<void> RadosObjectCatalog::create_index_shards(const Bucket& bucket, std::uint32_t shards) {
    std::vector<std::string> oids{uploads_oid(bucket.name, bucket.epoch)};
    for (std::uint32_t i = 0; i < shards; ++i) oids.push_back(index_oid(bucket.name, bucket.epoch, i));
    return apply_all(client_, Pool::Index, oids, WriteOp().create());
}

void RadosObjectCatalog::remove_index_shards(const Bucket& bucket, std::uint32_t shards) {
    std::vector<std::string> oids{uploads_oid(bucket.name, bucket.epoch)};
    for (std::uint32_t i = 0; i < shards; ++i) oids.push_back(index_oid(bucket.name, bucket.epoch, i));
    // Best effort: a shard left behind is a leak under an epoch never used again.
    (void)apply_all(client_, Pool::Index, oids, WriteOp().remove());
}

Result<Bucket> RadosObjectCatalog::create_bucket(std::string_view name, std::string_view owner_id,
                                                 std::string_view account, const BucketCreateOptions& options) {
    // The local backend's order of refusals: owner, account, then the name.
    std::set<std::string> keys;
    if (!account.empty()) keys.insert(account_omap_key(account));
    auto owner = read_user_entries(client_, owner_id, keys);
    if (!owner) return std::move(owner).error();
    if (!account.empty() && value_of(*owner, account_omap_key(account)).empty()) return no_such_account(account);
    if (auto existing = load_bucket(name))
        return name_taken(existing->bucket, owner_id);
    else if (existing.error().code() != Errc::NoSuchBucket)
        return std::move(existing).error();

    Bucket b;
    b.name = name;
    b.owner_id = owner_id;
    b.account = account;
    b.acl = options.acl;
    // Object lock only at creation, versioned for good in the same record.
    if (options.object_lock) {
        b.object_lock.enabled = true;
        b.versioning = VersioningState::Enabled;
    }
    // Its first configurations go in the record itself (step 5): the
    // bucket never exists without them.
    b.configs = options.configs;
    // 1. The epoch (a crash after it leaves an unused one). 2. The owner's
    //    counts with the bucket's claim: a crash after this leaves them too
    //    high (delete_user refused until a recount drops the claim), never a
    //    bucket they miss. Also the check that owner and account still exist.
    auto epoch = next_epoch(name);
    if (!epoch) return std::move(epoch).error();
    b.epoch = *epoch;
    const std::int64_t claimed_ms = now_ms();
    OSTOR_TRY(change_bucket_count(b, +1, claimed_ms));
    auto undo_count = [&] { (void)change_bucket_count(b, -1, 0); };
    // 3. The index shards, 4. the list entry: invisible until the record
    //    exists (a crash leaves empty shard objects and a list entry without
    //    a record: leaks list_buckets skips).
    const std::uint32_t shards = kDefaultIndexShards;
    if (auto made = create_index_shards(b, shards); !made) {
        remove_index_shards(b, shards);
        undo_count();
        return std::move(made).error();
    }
    // The list entry is never overwritten blindly (a live bucket's entry
    // replaced by a loser that then crashed would hide it for good): set
    // when absent; else replaced, guarded on the value read, only while no
    // record of the name exists (the entry is a crashed create's leftover,
    // or a concurrent create's, whose winner puts its own back after its
    // record, below).
    const std::string list_value = bucket_list_value(owner_id, b.epoch);
    const std::string list_oid = bucket_list_oid(name);
    auto listed = retry_on_conflict<void>(list_oid, [&]() -> std::optional<Result<void>> {
        auto cur = client_.omap_get(Pool::Meta, list_oid, {std::string(name)});
        if (!cur && cur.error().code() != kNotFound) return Result<void>(std::move(cur).error());
        const std::string old = cur ? value_of(*cur, name) : std::string();
        if (!old.empty()) {
            auto existing = load_bucket(name);
            if (existing) return Result<void>(name_taken(existing->bucket, owner_id));
            if (existing.error().code() != Errc::NoSuchBucket) return Result<void>(std::move(existing).error());
        }
        WriteOp op;
        if (cur)
            op.compare_omap(std::string(name), Compare::Eq, old);
        else
            op.create_exclusive();  // a compare on a missing object fails: the first entry creates it
        op.omap_set(std::string(name), list_value);
        auto w = client_.apply(Pool::Meta, list_oid, op);
        if (!w && (changed_meanwhile(w.error()) || w.error().code() == kAlreadyExists)) return std::nullopt;
        return Result<void>(std::move(w));
    });
    if (!listed) {
        remove_index_shards(b, shards);
        undo_count();
        return std::move(listed).error();
    }
    // 5. The record, exclusively: the bucket exists from here on. Not after
    //    kBucketCreateMaxAge: a recount may then take the claim for stale.
    b.created_ms = now_ms();
    if (b.created_ms - claimed_ms >= kBucketCreateMaxAge.count()) {
        remove_index_shards(b, shards);
        undo_count();
        return Error(Errc::IoError, "creating bucket " + std::string(name) + " took too long; try again");
    }
    b.size.last_ts = size_history_hour(b.created_ms);
    WriteOp op;
    op.create_exclusive();
    op.omap_set(std::string(kBucketInfoKey), encode(b));
    op.omap_set(std::string(kBucketShardsKey), encode_count(shards));
    auto created = client_.apply(Pool::Meta, bucket_oid(name), op);
    if (!created) {
        remove_index_shards(b, shards);
        undo_count();
        if (created.error().code() != kAlreadyExists) return std::move(created).error();
        // Another creator won the name: its list entry is the one to keep.
        auto winner = load_bucket(name);
        if (!winner) return name_taken(b, "");  // and already gone again
        (void)client_.apply(
            Pool::Meta, list_oid,
            WriteOp()
                .compare_omap(std::string(name), Compare::Eq, list_value)
                .omap_set(std::string(name), bucket_list_value(winner->bucket.owner_id, winner->bucket.epoch)));
        return name_taken(winner->bucket, owner_id);
    }
    // A losing create may have replaced the entry before this record
    // existed: put this bucket's back (best effort, guarded on the value
    // read; a loser's own repair does the same).
    if (auto cur = client_.omap_get(Pool::Meta, list_oid, {std::string(name)}); cur) {
        const std::string now_listed = value_of(*cur, name);
        if (now_listed != list_value)
            (void)client_.apply(Pool::Meta, list_oid,
                                WriteOp()
                                    .compare_omap(std::string(name), Compare::Eq, now_listed)
                                    .omap_set(std::string(name), list_value));
    }
    return b;
}

Result<Bucket> RadosObjectCatalog::get_bucket(std::string_view name) {
    auto b = load_bucket_afresh(name);  // what is read afresh is what the cache holds next
    if (!b) return std::move(b).error();
    return with_counts(std::move(b->bucket));
}

Result<Bucket> RadosObjectCatalog::get_bucket_record(std::string_view name) {
    auto b = load_bucket_cached(name);
    if (!b) return std::move(b).error();
    return std::move(b->bucket);
}

Result<Bucket> RadosObjectCatalog::get_bucket_record_afresh(std::string_view name) {
    auto b = load_bucket_afresh(name);
    if (!b) return std::move(b).error();
    return std::move(b->bucket);
}

// The names a listing reads the records of, from the marker on: an owner's
// claims (a superset of its buckets), else the bucket list's names; the
// records decide, a batch of names at a time, as many batches as the page
// takes; then the page's ledgers.
Result<std::vector<Bucket>> RadosObjectCatalog::list_buckets(const BucketFilter& filter) {
    const std::string after = filter.start_after.value_or("");
    const std::string prefix = filter.prefix.value_or("");
    auto names = filter.owner_id ? claimed_bucket_names(client_, *filter.owner_id, after, prefix)
                                 : listed_bucket_names(client_, after, prefix);
    const std::size_t wanted = filter.max_count ? *filter.max_count : std::numeric_limits<std::size_t>::max();
    std::vector<Bucket> out;
    while (out.size() < wanted) {
        auto batch = names->next(wanted - out.size());
        if (!batch) return std::move(batch).error();
        if (batch->empty()) break;
        OSTOR_TRY(append_listed_buckets(client_, *batch, filter, out));
    }
    OSTOR_TRY(ledger_.fill_bucket_counts(out));
    return out;  // in name order, as the names
}

Result<void> RadosObjectCatalog::delete_bucket(std::string_view name, FreedExtents& freed) {
    freed.clear();
    auto stored = load_bucket(name);
    if (!stored) return std::move(stored).error();
    const Bucket& b = stored->bucket;
    const std::uint32_t shards = stored->shards;
    // Naming the lock that keeps its versions, as locally (its summary is
    // the ledger's: without it, read or not, the plain refusal).
    auto not_empty = [&] {
        Bucket summary = b;
        const std::string locked = ledger_.fill_bucket_counts(summary) ? lock_summary_reason(summary, now_ms()) : "";
        return Error(Errc::BucketNotEmpty,
                     locked.empty() ? "bucket " + std::string(name) + " is not empty" : locked + ": it is not empty");
    };
    std::vector<std::string> oids;
    for (std::uint32_t i = 0; i < shards; ++i) oids.push_back(index_oid(name, b.epoch, i));
    // Closed with the shards (step 1), so that no upload is made, nor a
    // part written, after the walk over the uploads (step 2) began.
    const std::string uploads_index = uploads_oid(name, b.epoch);
    // Any entry in a shard but `closed`: an object (o, b), or a key's head
    // and versions (h, v, w: a bucket holding only delete markers is not
    // empty, as in S3).
    auto first_entry_in = [&](const std::string& oid) -> Result<bool> {
        auto page = client_.omap_list(Pool::Index, oid, "", "", 2);
        if (!page) {
            if (page.error().code() == kNotFound) return false;
            return std::move(page).error();
        }
        for (const auto& [k, v] : page->entries)
            if (k != kShardClosedKey) return true;
        return false;
    };
    // 0. Refused without closing anything when the index holds an entry
    //    (whatever the ledger says: its counts may be short of the index or
    //    past it, after an unknown outcome or a crash between an index write
    //    and its ledger change). Writes meeting a close wait for its outcome
    //    (wait_while_closed), so a delete that is bound to fail closes
    //    nothing.
    for (auto& oid : oids) {
        auto held = first_entry_in(oid);
        if (!held) return std::move(held).error();
        if (*held) return not_empty();
    }

    // 1. Close every shard (`closed`, which every write of an o entry is
    //    guarded on) and the uploads index (which create_upload's entry is
    //    guarded on, and put_part checks), then look for entries: a write
    //    that landed before the close is seen, one after it fails and finds
    //    the bucket gone.
    //    The mark is this delete's own token: a concurrent delete that
    //    gives up reopens only the shards it closed itself, never ones
    //    another delete still relies on. Never reopened once the record
    //    may be gone (a write could then land in an index being removed).
    const auto closed_at_ms = now_ms();
    // The token names this instance: a committer takes it for a crashed
    // delete's only once the instance is gone (object_layout.hpp).
    const std::string token =
        shard_closed_value(closed_at_ms, random_hex16(), lease_ ? lease_->instance_id() : std::string());
    std::vector<std::string> closing = oids;
    closing.push_back(uploads_index);
    auto reopen = [&] {
        (void)apply_all(client_, Pool::Index, closing,
                        WriteOp()
                            .compare_omap(std::string(kShardClosedKey), Compare::Eq, token)
                            .omap_remove(std::string(kShardClosedKey)));
    };
    auto closed = apply_all(client_, Pool::Index, closing,
                            WriteOp().assert_exists().omap_set(std::string(kShardClosedKey), token));
    if (!closed) {
        // A shard already gone: a concurrent delete got further.
        if (closed.error().code() == kNotFound) return no_such_bucket(name);
        reopen();
        return std::move(closed).error();
    }
    for (auto& oid : oids) {
        auto held = first_entry_in(oid);
        if (!held || *held) {
            reopen();
            if (!held) return std::move(held).error();
            return not_empty();
        }
    }
    // 2. Its uploads in progress go with it (their parts' extents to freed).
    //    Those aborted are gone whatever follows: on a failure below their
    //    extents are released here (the engine releases `freed` only on
    //    success).
    auto fail = [&](Error e) -> Result<void> {
        blobs_.release(freed);
        freed.clear();
        return e;
    };
    if (auto dropped = drop_uploads_of(*stored, freed); !dropped) {
        reopen();
        return fail(std::move(dropped).error());
    }
    // 3. The record (its limits and quota with it): the bucket is gone.
    //    Not later than kBucketDeleteMaxMs after the close: committers take
    //    an older mark for a crashed delete's and remove it.
    if (now_ms() - closed_at_ms > kBucketDeleteMaxMs) {
        reopen();
        return fail(Error(Errc::IoError,
                          "deleting bucket " + std::string(name) + " took too long; its uploads are gone, try again"));
    }
    auto removed =
        client_.apply(Pool::Meta, bucket_oid(name),
                      WriteOp().compare_omap(std::string(kBucketInfoKey), Compare::Eq, stored->stored_info).remove());
    if (!removed) {
        if (removed.error().code() == kNotFound) return fail(no_such_bucket(name));
        if (removed.error().code() == kCompareFailed) {  // its ACL changed meanwhile: the caller may try again
            reopen();
            return fail(Error(Errc::IoError, "bucket " + std::string(name) + " changed while being deleted"));
        }
        // The removal may have been applied: reopen only when the record of
        // this incarnation is still there (a shard reopened after it went
        // would take writes nobody can reach). Gone, or another incarnation:
        // removed, go on. Unreadable: the shards stay closed (a later delete
        // closes them with its own token and finishes).
        auto now = load_bucket(name);
        if (now && now->bucket.epoch == b.epoch) {
            reopen();
            return fail(std::move(removed).error());
        }
        if (!now && now.error().code() != Errc::NoSuchBucket) return fail(std::move(removed).error());
    }
    // 4. Then the owner's counts (too high until now: never too low), the
    //    list entry (only this incarnation's), the index, uploads and ledger
    //    objects. A crash in between leaves leaks under an epoch never used
    //    again (and a count a recount lowers: see docs/rados.md).
    (void)change_bucket_count(b, -1, 0);
    // The owner's ledger keeps what the bucket's still counts: subtracting
    // it would count the owner too low whenever the two disagree (a change
    // that reached only the owner's, an upload aborted after the delete, a
    // part write's give-back racing it), and too low lets a quota overshoot;
    // too high is repaired by a recount (docs/rados.md, "Space ledger").
    (void)client_.apply(Pool::Meta, bucket_list_oid(name),
                        WriteOp()
                            .compare_omap(std::string(name), Compare::Eq, bucket_list_value(b.owner_id, b.epoch))
                            .omap_remove(std::string(name)));
    remove_index_shards(b, shards);
    // What its ledger still counted stays on the owner's: an owner recount
    // (the sum of its buckets' ledgers, once quiet) repairs it if too high.
    // A recount's owner delta still pending there would go with the ledger:
    // it is applied first (once, under the owner's recount marker), and the
    // owner recounted too when it cannot be.
    const LedgerBucket lb = ledger_bucket_of(b);
    bool recount_owner = true;
    const auto finish_by = ledger_change_deadline();
    if (auto left = ledger_.read_recount_state(lb)) {
        recount_owner = left->bytes != 0 || left->objects != 0;
        if (!left->pending_owner.empty() && !ledger_.finish_owner_delta(b.owner_id, lb, left->pending_owner, finish_by))
            recount_owner = true;
    }
    if (recount_owner) (void)ledger_.queue_owner_recount(b.owner_id);
    // The owner's recount marker of this incarnation goes too, once no
    // finisher of a delta read before the ledger went can still apply it.
    // Queued before the ledger goes, so that a crash between the two leaves
    // the entry, not a marker nobody prunes (prune_marker copes with one
    // already gone); queued again after, so that its window starts from the
    // removal however late that landed.
    (void)ledger_.queue_marker_prune(b.owner_id, lb);
    if (ledger_.remove_bucket_ledger(lb)) (void)ledger_.queue_marker_prune(b.owner_id, lb);
    ledger_.forget_touched(lb);
    return {};
}

Result<Bucket> RadosObjectCatalog::set_bucket_acl(std::string_view name, std::string_view acl) {
    return change_bucket_record(name, [&](Bucket& b) -> std::optional<Error> {
        b.acl = acl;
        return std::nullopt;
    });
}

Result<Bucket> RadosObjectCatalog::set_bucket_config(std::string_view name, std::string_view kind,
                                                     const std::optional<std::string>& document) {
    return change_bucket_record(name, [&](Bucket& b) -> std::optional<Error> {
        if (document)
            b.configs[std::string(kind)] = *document;
        else
            b.configs.erase(std::string(kind));
        return std::nullopt;
    });
}

// Rewrites the record of bucket.<name> guarded on what was read (a
// concurrent change, or a delete and recreate, makes it read again, and
// `change` decides again, refusals included): the caller announces the
// change (ChangeKind::Bucket) so that every cache drops its copy.
Result<Bucket> RadosObjectCatalog::change_bucket_record(std::string_view name,
                                                        const std::function<std::optional<Error>(Bucket&)>& change) {
    return retry_on_conflict<Bucket>(bucket_oid(name), [&]() -> std::optional<Result<Bucket>> {
        auto stored = load_bucket(name);
        if (!stored) return Result<Bucket>(std::move(stored).error());
        Bucket b = std::move(stored->bucket);
        if (auto refused = change(b)) return Result<Bucket>(std::move(*refused));
        auto written = client_.apply(Pool::Meta, bucket_oid(name),
                                     WriteOp()
                                         .compare_omap(std::string(kBucketInfoKey), Compare::Eq, stored->stored_info)
                                         .omap_set(std::string(kBucketInfoKey), encode(b)));
        if (!written && changed_meanwhile(written.error())) return std::nullopt;
        if (!written) return Result<Bucket>(std::move(written).error());
        return with_counts(std::move(b));
    });
}

}  // namespace ostor::detail::rados
