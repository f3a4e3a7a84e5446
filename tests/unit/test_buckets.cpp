// Buckets: creation, ownership, listing, deletion, incarnations, ACLs,
// configuration documents.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "codec.hpp"
#include "local/lmdb_env.hpp"
#include "records.hpp"
#include "test_dir.hpp"
#include "test_meta.hpp"

namespace ostor::test {
namespace {

class Buckets : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        alice_ = make_user("alice@example.com");
        bob_ = make_user("bob@example.com");
        ASSERT_FALSE(alice_.empty());
        ASSERT_FALSE(bob_.empty());
    }
    std::vector<std::string> names(const BucketFilter& f) {
        auto r = engine().list_buckets(f);
        EXPECT_TRUE(r) << r.error().message();
        std::vector<std::string> out;
        if (r)
            for (const auto& b : *r) out.push_back(b.name);
        return out;
    }
    // The local store's row of `table` at `key` (empty when absent), read
    // beside the open engine.
    std::string stored_row(detail::Table table, const std::string& key) {
        auto env = detail::Env::open(dir_.path() / "meta", EngineOptions{}.meta_map_size_bytes);
        EXPECT_TRUE(env) << env.error().message();
        if (!env) return {};
        auto txn = detail::Txn::read(**env);
        auto v = txn.get(table, key);
        return v ? std::string(*v) : std::string();
    }
    static std::string config_key(const std::string& bucket, const std::string& kind) { return bucket + '\0' + kind; }
    // The keys of the local store's owner index, read beside the open engine.
    static std::vector<std::string> owner_index_rows_in(const detail::Txn& txn) {
        std::vector<std::string> out;
        auto cur = txn.cursor(detail::Table::BucketsByOwner);
        for (auto e = cur.first(); e; e = cur.next()) out.emplace_back(e->first);
        return out;
    }
    std::vector<std::string> owner_index_rows() {
        auto env = detail::Env::open(dir_.path() / "meta", EngineOptions{}.meta_map_size_bytes);
        EXPECT_TRUE(env) << env.error().message();
        if (!env) return {};
        return owner_index_rows_in(detail::Txn::read(**env));
    }
    // One owner's buckets (with `prefix`) paged `page` at a time after
    // `start_after`, each page asked as the gateway asks it (one more).
    std::vector<std::string> paged(const std::string& owner, std::optional<std::string> prefix,
                                   std::optional<std::string> start_after, std::uint32_t page) {
        std::vector<std::string> seen;
        BucketFilter f;
        f.owner_id = owner;
        f.prefix = std::move(prefix);
        f.start_after = std::move(start_after);
        f.max_count = page + 1;
        for (int guard = 0; guard < 100; ++guard) {
            auto got = names(f);
            const bool truncated = got.size() > page;
            if (truncated) got.resize(page);
            seen.insert(seen.end(), got.begin(), got.end());
            if (!truncated) break;
            f.start_after = got.back();
        }
        return seen;
    }
    std::string alice_, bob_;
};

TEST_F(Buckets, CreateAndGet) {
    TimestampMs before = now_ms();
    auto r = engine().create_bucket("photos", alice_, {}, "acl-v1");
    TimestampMs after = now_ms();
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->name, "photos");
    EXPECT_EQ(r->owner_id, alice_);
    EXPECT_EQ(r->account, "");
    EXPECT_GE(r->created_ms, before);
    EXPECT_LE(r->created_ms, after);
    EXPECT_EQ(r->acl, "acl-v1");
    EXPECT_EQ(r->objects, 0u);
    EXPECT_EQ(r->bytes, 0u);

    auto g = engine().get_bucket("photos");
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(g->name, "photos");
    EXPECT_EQ(g->owner_id, alice_);
    EXPECT_EQ(g->created_ms, r->created_ms);
    EXPECT_EQ(g->epoch, r->epoch);
    EXPECT_EQ(g->acl, "acl-v1");
}

TEST_F(Buckets, ListAllByName) {
    for (std::string_view n : {"zeta", "alpha", "mid-bucket"}) make_bucket(n, alice_);
    make_bucket("bobs", bob_);
    EXPECT_EQ(names({}), (std::vector<std::string>{"alpha", "bobs", "mid-bucket", "zeta"}));
}

TEST_F(Buckets, ListByOwner) {
    make_bucket("a-one", alice_);
    make_bucket("b-one", bob_);
    make_bucket("a-two", alice_);
    BucketFilter f;
    f.owner_id = alice_;
    EXPECT_EQ(names(f), (std::vector<std::string>{"a-one", "a-two"}));
    f.owner_id = bob_;
    EXPECT_EQ(names(f), (std::vector<std::string>{"b-one"}));
    f.owner_id = "0123456789abcdef";
    EXPECT_TRUE(names(f).empty());
}

TEST_F(Buckets, ListByOwnerAndAccount) {
    ASSERT_TRUE(IsOk(engine().create_account(alice_, "acc1", false)));
    ASSERT_TRUE(IsOk(engine().create_account(alice_, "acc2", false)));
    make_bucket("own", alice_);
    make_bucket("in-acc1", alice_, "acc1");
    make_bucket("also-acc1", alice_, "acc1");
    make_bucket("in-acc2", alice_, "acc2");
    BucketFilter f;
    f.owner_id = alice_;
    f.account = "acc1";
    EXPECT_EQ(names(f), (std::vector<std::string>{"also-acc1", "in-acc1"}));
    f.account = "acc2";
    EXPECT_EQ(names(f), (std::vector<std::string>{"in-acc2"}));
    f.account = "";
    EXPECT_EQ(names(f), (std::vector<std::string>{"own"}));
    f.account.reset();
    EXPECT_EQ(names(f), (std::vector<std::string>{"also-acc1", "in-acc1", "in-acc2", "own"}));
    auto b = engine().get_bucket("in-acc1");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->account, "acc1");
    EXPECT_EQ(b->owner_id, alice_);
}

// Pages after a marker, the engine reading only the page: by name in byte
// order on both backends, where a claim's key on RADOS (bkt.<name>.<epoch>)
// puts "pg-a-b" before "pg-a" and "pg-a.1" after it.
TEST_F(Buckets, ListPagesAfterMarker) {
    for (std::string_view n : {"pg-a.1", "pg-a", "pg-a-b"}) make_bucket(n, alice_);
    for (std::string_view n : {"pg-b", "pg-a0"}) make_bucket(n, bob_);
    struct Page {
        std::vector<std::string> names;
        bool truncated = false;
        bool operator==(const Page&) const = default;
    };
    // A page of two, asked with one more to learn whether more follow.
    auto page = [&](std::optional<std::string> owner, std::optional<std::string> after) {
        BucketFilter f;
        f.owner_id = std::move(owner);
        f.start_after = std::move(after);
        f.max_count = 3;
        Page p{names(f), false};
        if (p.names.size() > 2) {
            p.names.resize(2);
            p.truncated = true;
        }
        return p;
    };
    using V = std::vector<std::string>;
    EXPECT_EQ(page(std::nullopt, std::nullopt), (Page{V{"pg-a", "pg-a-b"}, true}));
    EXPECT_EQ(page(std::nullopt, "pg-a-b"), (Page{V{"pg-a.1", "pg-a0"}, true}));
    EXPECT_EQ(page(std::nullopt, "pg-a0"), (Page{V{"pg-b"}, false}));
    EXPECT_EQ(page(std::nullopt, "pg-a-"), (Page{V{"pg-a-b", "pg-a.1"}, true}));  // between names
    EXPECT_EQ(page(std::nullopt, "pg-b"), (Page{V{}, false}));                    // the last
    EXPECT_EQ(page(std::nullopt, "zz"), (Page{V{}, false}));                      // past the end
    EXPECT_EQ(page(alice_, std::nullopt), (Page{V{"pg-a", "pg-a-b"}, true}));
    EXPECT_EQ(page(alice_, "pg-a"), (Page{V{"pg-a-b", "pg-a.1"}, false}));
    EXPECT_EQ(page(alice_, "pg-a-b"), (Page{V{"pg-a.1"}, false}));
    EXPECT_EQ(page(alice_, "pg-a-a"), (Page{V{"pg-a-b", "pg-a.1"}, false}));  // between names
    EXPECT_EQ(page(alice_, "pg-a.1"), (Page{V{}, false}));
    EXPECT_EQ(page(bob_, "pg-a"), (Page{V{"pg-a0", "pg-b"}, false}));
    EXPECT_EQ(page(bob_, "pg-a0"), (Page{V{"pg-b"}, false}));
    EXPECT_EQ(page(bob_, "pg-c"), (Page{V{}, false}));

    // One at a time (a claim read per round trip on RADOS), by prefix.
    auto walk = [&](std::optional<std::string> owner, std::optional<std::string> prefix) {
        std::vector<std::string> seen;
        BucketFilter f;
        f.owner_id = std::move(owner);
        f.prefix = std::move(prefix);
        f.max_count = 1;
        for (int guard = 0; guard < 10; ++guard) {
            auto got = names(f);
            if (got.empty()) break;
            seen.push_back(got.front());
            f.start_after = got.front();
        }
        return seen;
    };
    EXPECT_EQ(walk(std::nullopt, std::nullopt), (V{"pg-a", "pg-a-b", "pg-a.1", "pg-a0", "pg-b"}));
    EXPECT_EQ(walk(alice_, std::nullopt), (V{"pg-a", "pg-a-b", "pg-a.1"}));
    EXPECT_EQ(walk(alice_, "pg-a."), (V{"pg-a.1"}));
    EXPECT_EQ(walk(bob_, "pg-a"), (V{"pg-a0"}));
    EXPECT_EQ(walk(std::nullopt, "pg-a"), (V{"pg-a", "pg-a-b", "pg-a.1", "pg-a0"}));
    BucketFilter none;
    none.max_count = 0;
    EXPECT_TRUE(names(none).empty());
    // Without a page: every bucket, with its counts.
    BucketFilter all;
    all.owner_id = alice_;
    EXPECT_EQ(names(all), (V{"pg-a", "pg-a-b", "pg-a.1"}));
}

// One user's few buckets among many of other owners, interleaved by name:
// pages of them hold exactly that user's, in order, on both backends (a
// local volume walks the owner index rather than every row between them).
TEST_F(Buckets, ListOneOwnersPagesAmongOtherOwners) {
    const std::string carol = make_user("carol@example.com");
    std::vector<std::string> alices;
    for (int i = 0; i < 60; ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "ix-%03d", i);
        const std::string& owner = i % 10 == 3 ? alice_ : i % 2 ? bob_ : carol;
        make_bucket(name, owner);
        if (owner == alice_) alices.push_back(name);
    }
    make_bucket("iw-first", bob_);
    make_bucket("iy-last", alice_);
    using V = std::vector<std::string>;
    EXPECT_EQ(alices, (V{"ix-003", "ix-013", "ix-023", "ix-033", "ix-043", "ix-053"}));
    for (std::uint32_t page : {1u, 2u, 5u, 6u, 10u}) {
        EXPECT_EQ(paged(alice_, "ix-", std::nullopt, page), alices) << page;
        EXPECT_EQ(paged(alice_, "ix-", "ix-014", page), (V{"ix-023", "ix-033", "ix-043", "ix-053"})) << page;
        EXPECT_EQ(paged(alice_, "ix-", "ix-053", page), V{}) << page;
    }
    EXPECT_EQ(paged(alice_, "ix-02", std::nullopt, 2), V{"ix-023"});
    EXPECT_EQ(paged(alice_, "ix-", "ix-", 4), alices);         // a marker before every name
    EXPECT_EQ(paged(alice_, "ix-04", "ix-", 4), V{"ix-043"});  // the prefix later than the marker
    EXPECT_EQ(paged(alice_, std::nullopt, "ix-050", 1), (V{"ix-053", "iy-last"}));
    EXPECT_EQ(paged(alice_, "iw", std::nullopt, 3), V{});
    EXPECT_EQ(paged(bob_, "iw", std::nullopt, 3), V{"iw-first"});
    EXPECT_EQ(paged(carol, "ix-00", std::nullopt, 1), (V{"ix-000", "ix-002", "ix-004", "ix-006", "ix-008"}));
    // A deleted bucket leaves its owner's pages; its name made again by
    // another owner joins that one's.
    ASSERT_TRUE(IsOk(engine().delete_bucket("ix-023")));
    make_bucket("ix-023", bob_);
    EXPECT_EQ(paged(alice_, "ix-", std::nullopt, 2), (V{"ix-003", "ix-013", "ix-033", "ix-043", "ix-053"}));
    EXPECT_EQ(paged(bob_, "ix-02", std::nullopt, 2), (V{"ix-021", "ix-023", "ix-025", "ix-027", "ix-029"}));
}

// A volume made before the owner index existed (no index rows, no mark that
// it is built) gets it built when it opens; pages by owner read the index.
TEST_F(Buckets, LocalOwnerIndexBuiltAtOpen) {
    SKIP_ON_RADOS("the LMDB tables of a local volume");
    ASSERT_TRUE(IsOk(engine().create_account(alice_, "acc1", false)));
    for (std::string_view n : {"ob-a", "ob-c", "ob-e"}) make_bucket(n, alice_);
    make_bucket("ob-d", alice_, "acc1");
    for (std::string_view n : {"ob-b", "ob-f"}) make_bucket(n, bob_);
    make_bucket("ob-gone", bob_);
    ASSERT_TRUE(IsOk(engine().delete_bucket("ob-gone")));
    using V = std::vector<std::string>;
    const V index = owner_index_rows();
    std::vector<std::string> expected_index{alice_ + "/ob-a", alice_ + "/ob-c", alice_ + "/ob-d",
                                            alice_ + "/ob-e", bob_ + "/ob-b",   bob_ + "/ob-f"};
    std::sort(expected_index.begin(), expected_index.end());
    EXPECT_EQ(index, expected_index);

    auto reopen_after = [&](auto change) {
        engine_.reset();
        edit_meta(dir_.path(), change);
        ASSERT_NO_FATAL_FAILURE(open());
    };
    // As many rows as buckets, one of them wrong: nothing rebuilds them, and
    // an owner's pages, read from the index, miss that bucket.
    ASSERT_NO_FATAL_FAILURE(reopen_after([&](detail::Txn& txn) {
        EXPECT_TRUE(txn.del(detail::Table::BucketsByOwner, alice_ + "/ob-c"));
        txn.put(detail::Table::BucketsByOwner, alice_ + "/ob-zz", "");
    }));
    EXPECT_EQ(paged(alice_, std::nullopt, std::nullopt, 2), (V{"ob-a", "ob-d", "ob-e"}));
    // A row short (a bucket made by a program from before the index): the
    // open builds the index anew.
    ASSERT_NO_FATAL_FAILURE(
        reopen_after([&](detail::Txn& txn) { EXPECT_TRUE(txn.del(detail::Table::BucketsByOwner, alice_ + "/ob-a")); }));
    EXPECT_EQ(owner_index_rows(), expected_index);
    // A volume of before (no rows, no mark): the open builds the index.
    ASSERT_NO_FATAL_FAILURE(reopen_after([&](detail::Txn& txn) {
        for (const auto& key : owner_index_rows_in(txn)) txn.del(detail::Table::BucketsByOwner, key);
        EXPECT_TRUE(txn.del(detail::Table::Meta, "bucket_owner_index"));
    }));
    EXPECT_EQ(owner_index_rows(), expected_index);
    EXPECT_EQ(paged(alice_, std::nullopt, std::nullopt, 2), (V{"ob-a", "ob-c", "ob-d", "ob-e"}));
    EXPECT_EQ(paged(alice_, "ob-", "ob-c", 1), (V{"ob-d", "ob-e"}));
    EXPECT_EQ(paged(bob_, std::nullopt, std::nullopt, 1), (V{"ob-b", "ob-f"}));
    BucketFilter own;
    own.owner_id = alice_;
    own.account = "";
    EXPECT_EQ(names(own), (V{"ob-a", "ob-c", "ob-e"}));
    // And keeps it from then on.
    make_bucket("ob-0", alice_);
    EXPECT_EQ(paged(alice_, std::nullopt, std::nullopt, 3), (V{"ob-0", "ob-a", "ob-c", "ob-d", "ob-e"}));
}

TEST_F(Buckets, BadNamesRefused) {
    for (std::string_view n : {"ab", "UPPER", "a..b", "192.168.1.1", "xn--name", "-lead", "under_score"})
        EXPECT_TRUE(FailsWith(engine().create_bucket(n, alice_), Errc::InvalidBucketName)) << n;
    EXPECT_TRUE(FailsWith(engine().create_bucket(std::string(64, 'b'), alice_), Errc::InvalidBucketName));
    EXPECT_TRUE(names({}).empty());
}

TEST_F(Buckets, CreateTwiceBySameOwnerIsAlreadyOwnedByYou) {
    make_bucket("mine", alice_);
    EXPECT_TRUE(FailsWith(engine().create_bucket("mine", alice_), Errc::BucketAlreadyOwnedByYou));
}

TEST_F(Buckets, CreateByAnotherUserIsAlreadyExists) {
    make_bucket("taken", alice_);
    EXPECT_TRUE(FailsWith(engine().create_bucket("taken", bob_), Errc::BucketAlreadyExists));
    auto b = engine().get_bucket("taken");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->owner_id, alice_);
}

TEST_F(Buckets, DeleteRefusedWhileNotEmpty) {
    make_bucket("full", alice_);
    ASSERT_TRUE(IsOk(put(engine(), "full", "obj", "data")));
    EXPECT_TRUE(FailsWith(engine().delete_bucket("full"), Errc::BucketNotEmpty));
    EXPECT_TRUE(IsOk(engine().get_bucket("full")));
    EXPECT_EQ(body_of(engine(), "full", "obj"), "data");

    ASSERT_TRUE(IsOk(engine().delete_object("full", "obj")));
    ASSERT_TRUE(IsOk(engine().delete_bucket("full")));
    EXPECT_TRUE(FailsWith(engine().get_bucket("full"), Errc::NoSuchBucket));
    EXPECT_TRUE(names({}).empty());
}

TEST_F(Buckets, EpochGrowsWhenNameIsDeletedAndRecreated) {
    auto first = engine().create_bucket("phoenix", alice_);
    ASSERT_TRUE(first) << first.error().message();
    ASSERT_TRUE(IsOk(engine().delete_bucket("phoenix")));
    auto second = engine().create_bucket("phoenix", alice_);
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_GT(second->epoch, first->epoch);
    ASSERT_TRUE(IsOk(engine().delete_bucket("phoenix")));
    auto third = engine().create_bucket("phoenix", bob_);  // another owner this time
    ASSERT_TRUE(third) << third.error().message();
    EXPECT_GT(third->epoch, second->epoch);
    EXPECT_EQ(third->owner_id, bob_);
    auto g = engine().get_bucket("phoenix");
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(g->epoch, third->epoch);
}

TEST_F(Buckets, RecreatedBucketStartsEmpty) {
    make_bucket("again", alice_);
    ASSERT_TRUE(IsOk(put(engine(), "again", "k", "v")));
    ASSERT_TRUE(IsOk(engine().delete_object("again", "k")));
    ASSERT_TRUE(IsOk(engine().delete_bucket("again")));
    make_bucket("again", alice_);
    EXPECT_TRUE(FailsWith(engine().head_object("again", "k"), Errc::NoSuchKey));
    auto l = engine().list_objects("again", {});
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_TRUE(l->objects.empty());
}

TEST_F(Buckets, AclRoundTrip) {
    make_bucket("acl-bucket", alice_);
    auto g = engine().get_bucket("acl-bucket");
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(g->acl, "");
    const std::string acl = "<AccessControlPolicy><Owner>x</Owner>\n\x01 binary-ish</AccessControlPolicy>";
    auto s = engine().set_bucket_acl("acl-bucket", acl);
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_EQ(s->acl, acl);
    g = engine().get_bucket("acl-bucket");
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(g->acl, acl);
    EXPECT_EQ(g->owner_id, alice_);
}

// The documents a gateway keeps per bucket (CORS rules, tags) are kept
// as given, one per kind, through every other change of the record (an
// ACL, the counts each object write updates) and a reopen, and seen in
// the record a request reads (get_bucket_record).
TEST_F(Buckets, ConfigDocumentsAreKeptPerKindThroughOtherChanges) {
    make_bucket("configured", alice_);
    auto g = engine().get_bucket("configured");
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_TRUE(g->configs.empty());
    const std::string cors = "<CORSConfiguration><CORSRule>\n\x01 binary-ish</CORSRule></CORSConfiguration>";
    const std::string tags = "<Tagging><TagSet/></Tagging>";
    auto s = engine().set_bucket_config("configured", "cors", cors);
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_EQ(s->configs, (std::map<std::string, std::string>{{"cors", cors}}));
    ASSERT_TRUE(IsOk(engine().set_bucket_config("configured", "tagging", tags)));
    ASSERT_TRUE(IsOk(engine().set_bucket_config("configured", "cors", cors + "v2")));
    ASSERT_TRUE(IsOk(engine().set_bucket_acl("configured", "acl")));
    ASSERT_TRUE(IsOk(put(engine(), "configured", "k", "body")));
    const std::map<std::string, std::string> both{{"cors", cors + "v2"}, {"tagging", tags}};
    auto record = engine().get_bucket_record("configured");
    ASSERT_TRUE(record) << record.error().message();
    EXPECT_EQ(record->configs, both);
    EXPECT_EQ(record->acl, "acl");

    reopen();
    g = engine().get_bucket("configured");
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(g->configs, both);
    EXPECT_EQ(g->objects, 1u);

    // Removing one leaves the other; removing what is not there is no error.
    auto removed = engine().set_bucket_config("configured", "cors", std::nullopt);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_EQ(removed->configs, (std::map<std::string, std::string>{{"tagging", tags}}));
    ASSERT_TRUE(IsOk(engine().set_bucket_config("configured", "cors", std::nullopt)));
    EXPECT_EQ(engine().get_bucket_record("configured")->configs,
              (std::map<std::string, std::string>{{"tagging", tags}}));
}

// CreateBucket with x-amz-object-ownership: the bucket never exists
// without the controls asked for, not even between two writes.
TEST_F(Buckets, CreatedWithConfigDocumentsHasThemFromTheStart) {
    BucketCreateOptions options{.acl = "acl", .configs = {{"ownership", "controls"}}};
    auto made = engine().create_bucket("born", alice_, "", options);
    ASSERT_TRUE(made) << made.error().message();
    EXPECT_EQ(made->configs, options.configs);
    auto record = engine().get_bucket_record("born");
    ASSERT_TRUE(record) << record.error().message();
    EXPECT_EQ(record->configs, options.configs);
    EXPECT_EQ(record->acl, "acl");
    reopen();
    EXPECT_EQ(engine().get_bucket("born")->configs, options.configs);
    // One too large creates nothing.
    options.configs["ownership"] = std::string(kMaxBucketConfigBytes + 1, 'c');
    EXPECT_TRUE(FailsWith(engine().create_bucket("stillborn", alice_, "", options), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().get_bucket("stillborn"), Errc::NoSuchBucket));
}

TEST_F(Buckets, ConfigDocumentsGoWithTheBucket) {
    make_bucket("reborn", alice_);
    ASSERT_TRUE(IsOk(engine().set_bucket_config("reborn", "cors", "rules")));
    ASSERT_TRUE(IsOk(engine().delete_bucket("reborn")));
    // (On RADOS they live in the record the delete removed.)
    if (!on_rados()) {
        EXPECT_EQ(stored_row(detail::Table::BucketConfigs, config_key("reborn", "cors")), "");
    }
    make_bucket("reborn", bob_);
    EXPECT_TRUE(engine().get_bucket_record("reborn")->configs.empty());
}

// A local volume keeps the documents in their own table: the bucket's row,
// which every object commit rewrites, stays the size of a bucket without
// any, and an object PUT leaves the documents' row as it was.
TEST_F(Buckets, LocalConfigDocumentsStayOutOfTheRowObjectCommitsRewrite) {
    SKIP_ON_RADOS("the LMDB tables of a local volume");
    make_bucket("hot", alice_);
    const std::string large(kMaxBucketConfigBytes, 'c');
    ASSERT_TRUE(IsOk(engine().set_bucket_config("hot", "cors", large)));
    ASSERT_TRUE(IsOk(put(engine(), "hot", "k", "body")));
    const auto row = stored_row(detail::Table::Buckets, "hot");
    auto decoded = detail::decode_bucket(row);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->objects, 1u);
    EXPECT_TRUE(decoded->configs.empty());
    EXPECT_EQ(detail::encode(*decoded), row);  // no tail flags byte: as before configs
    EXPECT_EQ(stored_row(detail::Table::BucketConfigs, config_key("hot", "cors")), large);
    EXPECT_EQ(engine().get_bucket_record("hot")->configs.at("cors"), large);
    auto listed = engine().list_buckets({});
    ASSERT_TRUE(listed) << listed.error().message();
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->front().configs.at("cors"), large);
}

TEST_F(Buckets, ConfigDocumentsRefusedChangeNothing) {
    EXPECT_TRUE(FailsWith(engine().set_bucket_config("nowhere", "cors", "x"), Errc::NoSuchBucket));
    make_bucket("limited", alice_);
    ASSERT_TRUE(IsOk(engine().set_bucket_config("limited", "cors", "old")));
    EXPECT_TRUE(FailsWith(engine().set_bucket_config("limited", "", "x"), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().set_bucket_config("limited", "cors", std::string(kMaxBucketConfigBytes + 1, 'x')),
                          Errc::InvalidArgument));
    EXPECT_EQ(engine().get_bucket("limited")->configs, (std::map<std::string, std::string>{{"cors", "old"}}));
    const std::string largest(kMaxBucketConfigBytes, 'x');
    ASSERT_TRUE(IsOk(engine().set_bucket_config("limited", "cors", largest)));
    EXPECT_EQ(engine().get_bucket("limited")->configs.at("cors"), largest);
}

// Bucket records written before buckets had configuration documents (both
// backends store this encoding) still decode, as having none; a record
// without any is written byte for byte as before; the documents' bytes are
// pinned.
TEST(BucketRecords, RecordsWithoutConfigDocumentsKeepTheirEncoding) {
    using detail::Encoder;
    const std::string before_configs = Encoder()
                                           .u8(1)
                                           .str("old")
                                           .str("0123456789abcdef")
                                           .str("acct")
                                           .i64(1700000000000)
                                           .u64(3)
                                           .str("acl")
                                           .u64(2)
                                           .u64(30)
                                           .u64(30)
                                           .u64(40)
                                           .u64(500)
                                           .u64(472222)
                                           .take();
    auto b = detail::decode_bucket(before_configs);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->name, "old");
    EXPECT_EQ(b->account, "acct");
    EXPECT_EQ(b->epoch, 3u);
    EXPECT_EQ(b->acl, "acl");
    EXPECT_EQ(b->size.last_ts, 472222u);
    EXPECT_TRUE(b->configs.empty());
    EXPECT_EQ(detail::encode(*b), before_configs);

    b->configs = {{"cors", "c"}, {"tagging", "t"}};
    // The documents follow a tail flags byte (1: configs), where versioning
    // adds its settings behind further bits (docs/versioning.md): pinned.
    const std::string with_configs = Encoder().u8(1).u32(2).str("cors").str("c").str("tagging").str("t").take();
    EXPECT_EQ(detail::encode(*b), before_configs + with_configs);
    auto again = detail::decode_bucket(detail::encode(*b));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->configs, b->configs);
    // A record cut inside its documents is damaged, not a bucket without them.
    auto encoded = detail::encode(*b);
    EXPECT_FALSE(detail::decode_bucket(std::string_view(encoded).substr(0, encoded.size() - 1)));
}

TEST_F(Buckets, CountsObjectsAndBytes) {
    make_bucket("counted", alice_);
    ASSERT_TRUE(IsOk(put(engine(), "counted", "a", std::string(10, 'a'))));
    ASSERT_TRUE(IsOk(put(engine(), "counted", "b", std::string(20, 'b'))));
    auto g = engine().get_bucket("counted");
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(g->objects, 2u);
    EXPECT_EQ(g->bytes, 30u);
    ASSERT_TRUE(IsOk(engine().delete_object("counted", "a")));
    g = engine().get_bucket("counted");
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(g->objects, 1u);
    EXPECT_EQ(g->bytes, 20u);
}

TEST_F(Buckets, UnknownBucketIsNoSuchBucket) {
    EXPECT_TRUE(FailsWith(engine().get_bucket("nowhere"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().delete_bucket("nowhere"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().set_bucket_acl("nowhere", "x"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().list_objects("nowhere", {}), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().list_uploads("nowhere"), Errc::NoSuchBucket));
}

TEST_F(Buckets, UnknownOwnerRefused) {
    EXPECT_TRUE(FailsWith(engine().create_bucket("orphan", "0123456789abcdef"), Errc::NoSuchUser));
    EXPECT_TRUE(FailsWith(engine().get_bucket("orphan"), Errc::NoSuchBucket));
}

}  // namespace
}  // namespace ostor::test
