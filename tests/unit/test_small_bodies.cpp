// Small objects keep their bodies in the metadata store, but not in the
// object index: the index record holds the object's metadata and the id of
// its body's row in the Bodies table, so that an index page holds many keys
// however large the small bodies are (a PUT into a bucket of millions of
// objects then dirties fewer index pages). Records written before, with the
// body inside, still read, list, scrub, overwrite and delete.
//
// White-box: the tables are read with the Engine closed.
#include <algorithm>
#include <string>
#include <vector>

#include "codec.hpp"
#include "local/lmdb_env.hpp"
#include "local/object_index.hpp"
#include "records.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

using detail::Table;
using detail::Txn;

// Index records of small objects: their metadata, not their bodies.
constexpr std::size_t kMaxIndexRecordBytes = 256;

class SmallBodies : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }
    std::unique_ptr<detail::Env> store() {
        auto env = detail::Env::open(dir_.path() / "meta", EngineOptions{}.meta_map_size_bytes);
        EXPECT_TRUE(env) << env.error().message();
        return env ? std::move(*env) : nullptr;
    }
    static std::string body_key(std::uint64_t id) {
        std::string k;
        detail::append_be64(k, id);
        return k;
    }
    // Every row of the Bodies table.
    std::vector<std::string> bodies() {
        std::vector<std::string> out;
        auto env = store();
        if (!env) return out;
        Txn txn = Txn::read(*env);
        auto cur = txn.cursor(Table::Bodies);
        for (auto e = cur.first(); e; e = cur.next()) out.emplace_back(e->second);
        return out;
    }
    // The stored index record of `key` in "bkt" (empty when absent).
    std::string index_record(const std::string& key) {
        auto env = store();
        if (!env) return {};
        Txn txn = Txn::read(*env);
        auto v = txn.get(Table::Objects, detail::object_index_key("bkt", key));
        return v ? std::string(*v) : std::string();
    }
};

TEST_F(SmallBodies, IndexRecordsHoldNoBody) {
    SKIP_ON_RADOS("reads the LMDB index records, white-box");
    const std::string body = random_bytes(8 * kKiB, 1);  // the largest kept in the metadata
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "small", body)));
    EXPECT_EQ(body_of(engine(), "bkt", "small"), body);
    engine_.reset();
    auto record = index_record("small");
    ASSERT_FALSE(record.empty());
    EXPECT_LE(record.size(), kMaxIndexRecordBytes);
    EXPECT_EQ(bodies(), (std::vector<std::string>{body}));
}

TEST_F(SmallBodies, BodiesFollowTheirObjectsThroughEveryWrite) {
    SKIP_ON_RADOS("reads the LMDB index records, white-box");
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", "first a")));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "b", "bee")));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", "second a")));  // overwrite
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "a", "bkt", "c", {})));
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "c", "bkt", "c", {})));  // onto itself
    ASSERT_TRUE(IsOk(engine().set_object_acl("bkt", "b", "public-read")));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "large", random_bytes(64 * kKiB, 2))));  // in a segment
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "b")));
    auto up = engine().create_upload("bkt", "c");
    ASSERT_TRUE(up) << up.error().message();
    auto part = engine().upload_part(up->id, 1, as_bytes("from a part"));
    ASSERT_TRUE(part) << part.error().message();
    auto done = engine().copy_object("bkt", "a", "bkt", "d", {});
    ASSERT_TRUE(done) << done.error().message();
    ASSERT_TRUE(IsOk(engine().complete_upload(up->id, {{1, part->etag}})));  // replaces small "c"

    EXPECT_EQ(body_of(engine(), "bkt", "a"), "second a");
    EXPECT_EQ(body_of(engine(), "bkt", "c"), "from a part");
    EXPECT_EQ(body_of(engine(), "bkt", "d"), "second a");
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "b"), Errc::NoSuchKey));
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_TRUE(report->damaged.empty());
    engine_.reset();
    // One row per small object stored now ("a" and "d"), none left behind.
    auto rows = bodies();
    std::sort(rows.begin(), rows.end());
    EXPECT_EQ(rows, (std::vector<std::string>{"second a", "second a"}));
}

// Encodes `rec` as version 1 wrote it: the body at the end of the record.
std::string encode_version_1(const detail::ObjectRecord& o) {
    detail::Encoder e;
    e.u8(1).str(o.info.key).u64(o.info.size).str(o.info.etag).i64(o.info.last_modified_ms);
    e.str(o.info.meta.content_type).pairs(o.info.meta.user).pairs(o.info.meta.headers).pairs(o.info.meta.checksums);
    e.str(o.info.meta.acl);
    e.u32(static_cast<std::uint32_t>(o.info.part_sizes.size()));
    for (auto s : o.info.part_sizes) e.u64(s);
    e.u32(static_cast<std::uint32_t>(o.extents.size()));
    for (const auto& x : o.extents) e.u64(x.segment).u64(x.offset).u32(x.length).u32(x.crc);
    e.u32(o.inline_crc).str(o.inline_data);
    return e.take();
}

TEST_F(SmallBodies, RecordsWithTheBodyInsideStillWork) {
    SKIP_ON_RADOS("reads the LMDB index records, white-box");
    PutOptions opts;
    opts.meta.content_type = "text/plain";
    opts.meta.user = {{"colour", "blue"}};
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "old", "written by an earlier release", opts)));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "old2", "also old")));
    engine_.reset();
    // Rewrite both as the earlier release stored them.
    {
        auto env = store();
        ASSERT_TRUE(env);
        Txn txn = Txn::write(*env);
        for (const char* key : {"old", "old2"}) {
            auto index_key = detail::object_index_key("bkt", key);
            auto v = txn.get(Table::Objects, index_key);
            ASSERT_TRUE(v.has_value());
            auto rec = detail::decode_object(*v);
            ASSERT_TRUE(rec.has_value());
            ASSERT_NE(rec->body_id, 0u);
            rec->inline_data = std::string(*txn.get(Table::Bodies, body_key(rec->body_id)));
            txn.del(Table::Bodies, body_key(rec->body_id));
            txn.put(Table::Objects, index_key, encode_version_1(*rec));
        }
        txn.commit();
    }
    EXPECT_TRUE(bodies().empty());

    ASSERT_NO_FATAL_FAILURE(open());
    EXPECT_EQ(body_of(engine(), "bkt", "old"), "written by an earlier release");
    auto head = engine().head_object("bkt", "old");
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->meta.content_type, "text/plain");
    EXPECT_EQ(head->meta.user, (std::vector<std::pair<std::string, std::string>>{{"colour", "blue"}}));
    EXPECT_EQ(head->etag, md5_hex("written by an earlier release"));
    auto list = engine().list_objects("bkt", {});
    ASSERT_TRUE(list) << list.error().message();
    ASSERT_EQ(list->objects.size(), 2u);
    EXPECT_EQ(list->objects[0].size, std::string("written by an earlier release").size());
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_TRUE(report->damaged.empty());
    EXPECT_EQ(report->extents_checked, 2u);

    ASSERT_TRUE(IsOk(put(engine(), "bkt", "old", "replaced")));
    EXPECT_EQ(body_of(engine(), "bkt", "old"), "replaced");
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "old2")));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "old2"), Errc::NoSuchKey));
    auto usage = engine().get_user_usage(engine().get_bucket("bkt")->owner_id);
    ASSERT_TRUE(usage) << usage.error().message();
    EXPECT_EQ(usage->objects, 1u);
    EXPECT_EQ(usage->bytes, std::string("replaced").size());
    engine_.reset();
    EXPECT_EQ(bodies(), (std::vector<std::string>{"replaced"}));
}

}  // namespace
}  // namespace ostor::test
