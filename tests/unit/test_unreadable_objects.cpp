// An object whose record cannot be read is never taken for "no object": a
// write onto its key fails with the load's error instead of replacing it
// (which would leak its extents and body row and count the bucket's objects
// twice), and an object whose body row is missing can still be deleted. A
// damaged Bodies table never makes a write overwrite a stored body.
//
// White-box: the damage is made in the metadata with the Engine closed.
#include <string>

#include "codec.hpp"
#include "local/object_index.hpp"
#include "records.hpp"
#include "test_dir.hpp"
#include "test_meta.hpp"

namespace ostor::test {
namespace {

using detail::Table;
using detail::Txn;

constexpr std::uint8_t kUnknownRecordVersion = 0x7F;
constexpr std::uint32_t kPartNumber = 1;

class UnreadableObjects : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", "the source of copies")));
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "the object under test")));
    }
    std::uint64_t bucket_objects() {
        auto b = engine().get_bucket("bkt");
        EXPECT_TRUE(b) << b.error().message();
        return b ? b->objects : 0;
    }
    // Closes the engine, changes the stored record of "k", opens it again.
    template <class Fn>
    void damage_k(Fn&& fn) {
        engine_.reset();
        edit_meta(dir_.path(), [&](Txn& txn) {
            auto index_key = detail::object_index_key("bkt", "k");
            auto v = txn.get(Table::Objects, index_key);
            ASSERT_TRUE(v.has_value());
            auto rec = detail::decode_object(*v);
            ASSERT_TRUE(rec.has_value());
            fn(txn, index_key, *rec, std::string(*v));
        });
        ASSERT_NO_FATAL_FAILURE(open());
    }
    static std::string body_key(std::uint64_t id) {
        std::string k;
        detail::append_be64(k, id);
        return k;
    }
};

TEST_F(UnreadableObjects, AWriteOntoARecordOfAnUnknownVersionFailsAndReplacesNothing) {
    SKIP_ON_RADOS("writes unreadable LMDB records");
    ASSERT_NO_FATAL_FAILURE(
        damage_k([](Txn& txn, const std::string& index_key, const detail::ObjectRecord&, std::string stored) {
            stored[0] = static_cast<char>(kUnknownRecordVersion);
            txn.put(Table::Objects, index_key, stored);
        }));
    ASSERT_EQ(bucket_objects(), 2u);

    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "k", "a new body"), Errc::Internal));
    PutOptions if_none_match;
    if_none_match.conditions.if_none_match = true;
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "k", "a new body", if_none_match), Errc::Internal));
    EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "src", "bkt", "k"), Errc::Internal));

    auto upload = engine().create_upload("bkt", "k");
    ASSERT_TRUE(upload) << upload.error().message();
    auto part = engine().upload_part(upload->id, kPartNumber, as_bytes("one small last part"));
    ASSERT_TRUE(part) << part.error().message();
    EXPECT_TRUE(FailsWith(engine().complete_upload(upload->id, {{kPartNumber, part->etag}}), Errc::Internal));
    // The upload stays, to be completed once the record is repaired.
    EXPECT_TRUE(IsOk(engine().get_upload(upload->id)));

    EXPECT_EQ(bucket_objects(), 2u);
}

// A scrub reports what it cannot check: a record of an unknown version, and
// an object whose small body is gone from the Bodies table, are damage (they
// cannot be served), not skipped as if they were not there.
TEST_F(UnreadableObjects, ScrubReportsRecordsItCannotRead) {
    SKIP_ON_RADOS("writes unreadable LMDB records");
    ASSERT_NO_FATAL_FAILURE(damage_k([](Txn& txn, const std::string&, const detail::ObjectRecord& rec, std::string) {
        ASSERT_NE(rec.body_id, 0u);
        ASSERT_TRUE(txn.del(Table::Bodies, body_key(rec.body_id)));
    }));
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(report->damaged, (std::vector<std::string>{"bkt/k"}));

    // An object whose body row is missing can be deleted; put it back whole,
    // then make its record unreadable.
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "k")));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "the object under test")));
    ASSERT_NO_FATAL_FAILURE(
        damage_k([](Txn& txn, const std::string& index_key, const detail::ObjectRecord&, std::string stored) {
            stored[0] = static_cast<char>(kUnknownRecordVersion);
            txn.put(Table::Objects, index_key, stored);
        }));
    report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(report->damaged, (std::vector<std::string>{"bkt/k"}));
}

// A record whose body is neither in extents nor in the Bodies table (its body
// id lost) cannot be served: scrub reports it.
TEST_F(UnreadableObjects, ScrubReportsARecordThatLostItsBody) {
    SKIP_ON_RADOS("writes unreadable LMDB records");
    ASSERT_NO_FATAL_FAILURE(
        damage_k([](Txn& txn, const std::string& index_key, const detail::ObjectRecord& rec, std::string) {
            detail::ObjectRecord lost = rec;
            lost.body_id = 0;
            lost.inline_data.clear();
            txn.put(Table::Objects, index_key, detail::encode(lost));
        }));
    auto report = engine().scrub();
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(report->damaged, (std::vector<std::string>{"bkt/k"}));
}

TEST_F(UnreadableObjects, AnObjectWhoseBodyRowIsMissingIsReplacedOnceAndCanBeDeleted) {
    SKIP_ON_RADOS("writes unreadable LMDB records");
    ASSERT_NO_FATAL_FAILURE(damage_k([](Txn& txn, const std::string&, const detail::ObjectRecord& rec, std::string) {
        ASSERT_NE(rec.body_id, 0u);
        txn.del(Table::Bodies, body_key(rec.body_id));
    }));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k"), Errc::Internal));
    // If-None-Match: an object is there, readable or not.
    PutOptions if_none_match;
    if_none_match.conditions.if_none_match = true;
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "k", "a new body", if_none_match), Errc::PreconditionFailed));
    // Replacing it replaces one object: the bucket still counts two.
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "a new body")));
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "a new body");
    EXPECT_EQ(bucket_objects(), 2u);

    ASSERT_NO_FATAL_FAILURE(damage_k([](Txn& txn, const std::string&, const detail::ObjectRecord& rec, std::string) {
        txn.del(Table::Bodies, body_key(rec.body_id));
    }));
    EXPECT_TRUE(IsOk(engine().delete_object("bkt", "k")));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "k"), Errc::NoSuchKey));
    EXPECT_EQ(bucket_objects(), 1u);
}

// A Bodies key that is no 8-byte id must not make the next body id 1, which
// would overwrite the body of the first small object.
TEST_F(UnreadableObjects, ABodiesTableEndingInAForeignKeyFailsTheWriteInsteadOfReusingId1) {
    SKIP_ON_RADOS("writes unreadable LMDB records");
    engine_.reset();
    edit_meta(dir_.path(), [](Txn& txn) { txn.put(Table::Bodies, std::string(9, '\xFF'), "not a body"); });
    ASSERT_NO_FATAL_FAILURE(open());
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "new", "a small body"), Errc::Internal));
    EXPECT_EQ(body_of(engine(), "bkt", "src"), "the source of copies");
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "the object under test");
}

}  // namespace
}  // namespace ostor::test
