// Object tags: set in place, given at PUT, copy and multipart creation,
// refused beyond S3's limits, kept across reopen, and read from records
// written before tags existed.
#include <string>
#include <thread>
#include <vector>

#include "codec.hpp"
#include "records.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

using Tags = std::vector<std::pair<std::string, std::string>>;

class ObjectTagging : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }
    Tags tags_of(std::string_view key) {
        auto info = engine().head_object("bkt", key);
        EXPECT_TRUE(info) << info.error().message();
        return info ? info->meta.tags : Tags{};
    }
    static PutOptions tagged(Tags tags) {
        PutOptions o;
        o.meta.content_type = "text/plain";
        o.meta.user = {{"color", "blue"}};
        o.meta.acl = "acl-1";
        o.meta.tags = std::move(tags);
        return o;
    }
};

TEST_F(ObjectTagging, SetReplacesTagsAndKeepsDataAndOtherMetadata) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", "tagged body", tagged({{"k0", "v0"}}))));
    EXPECT_EQ(tags_of("a"), (Tags{{"k0", "v0"}}));
    const Tags wanted = {{"project", "blue"}, {"empty", ""}, {"a b", "c=d&e"}};
    auto info = engine().set_object_tags("bkt", "a", wanted);
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->meta.tags, wanted);
    auto head = engine().head_object("bkt", "a");
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->meta.tags, wanted);  // as given, in order
    EXPECT_EQ(head->meta.content_type, "text/plain");
    EXPECT_EQ(head->meta.user, (Tags{{"color", "blue"}}));
    EXPECT_EQ(head->meta.acl, "acl-1");
    EXPECT_EQ(head->etag, md5_hex("tagged body"));
    EXPECT_EQ(head->last_modified_ms, info->last_modified_ms);
    EXPECT_EQ(body_of(engine(), "bkt", "a"), "tagged body");
    // The ACL changed later keeps the tags.
    ASSERT_TRUE(IsOk(engine().set_object_acl("bkt", "a", "acl-2")));
    EXPECT_EQ(tags_of("a"), wanted);

    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_EQ(tags_of("a"), wanted);
    ASSERT_TRUE(IsOk(engine().set_object_tags("bkt", "a", {})));  // DeleteObjectTagging
    EXPECT_TRUE(tags_of("a").empty());
    EXPECT_EQ(body_of(engine(), "bkt", "a"), "tagged body");
}

TEST_F(ObjectTagging, MissingObjectOrBucketIsRefused) {
    EXPECT_TRUE(FailsWith(engine().set_object_tags("bkt", "nope", {{"k", "v"}}), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().set_object_tags("nobucket", "a", {{"k", "v"}}), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "nope"), Errc::NoSuchKey));
}

TEST_F(ObjectTagging, OverwriteTakesTheNewObjectsTags) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", "one", tagged({{"k", "1"}}))));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", "two")));
    EXPECT_TRUE(tags_of("a").empty());
}

TEST_F(ObjectTagging, CopyKeepsOrReplacesTags) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", "copied", tagged({{"from", "src"}}))));
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "src", "bkt", "same")));
    EXPECT_EQ(tags_of("same"), (Tags{{"from", "src"}}));
    CopyOptions replace;
    replace.replace_meta = ObjectMeta{};
    replace.replace_meta->tags = {{"new", "tags"}};
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "src", "bkt", "replaced", replace)));
    EXPECT_EQ(tags_of("replaced"), (Tags{{"new", "tags"}}));
    EXPECT_EQ(body_of(engine(), "bkt", "replaced"), "copied");
    EXPECT_EQ(tags_of("src"), (Tags{{"from", "src"}}));
    // A range copy (streamed) takes them too.
    replace.range = ByteRange{0, 2};
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "src", "bkt", "ranged", replace)));
    EXPECT_EQ(tags_of("ranged"), (Tags{{"new", "tags"}}));
}

// x-amz-tagging-directive REPLACE with the metadata kept: the copy takes the
// metadata the source has when the copy reads it, with the new tags.
TEST_F(ObjectTagging, ReplacingOnlyTheTagsKeepsTheSourcesMetadata) {
    PutOptions first = tagged({{"from", "src"}});
    first.meta.user = {{"color", "blue"}};
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", "copied", first)));
    CopyOptions copy;
    copy.replace_tags = Tags{{"new", "tags"}};
    auto done = engine().copy_object("bkt", "src", "bkt", "dst", copy);
    ASSERT_TRUE(IsOk(done));
    EXPECT_EQ(done->meta.tags, (Tags{{"new", "tags"}}));
    EXPECT_EQ(done->meta.content_type, "text/plain");
    EXPECT_EQ(done->meta.user, (Tags{{"color", "blue"}}));
    EXPECT_EQ(tags_of("dst"), (Tags{{"new", "tags"}}));
    EXPECT_EQ(tags_of("src"), (Tags{{"from", "src"}}));
    copy.replace_tags = Tags{{"aws:reserved", "x"}};
    EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "src", "bkt", "refused", copy), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "refused"), Errc::NoSuchKey));
}

TEST_F(ObjectTagging, MultipartUploadTagsGoToTheCompletedObject) {
    ObjectMeta meta;
    meta.tags = {{"stage", "upload"}, {"n", "2"}};
    auto u = engine().create_upload("bkt", "mp", meta);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->meta.tags, meta.tags);
    ASSERT_NO_FATAL_FAILURE(reopen());  // the upload record keeps them
    auto again = engine().get_upload(u->id);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(again->meta.tags, meta.tags);
    auto p = engine().upload_part(u->id, 1, as_bytes("only part"));
    ASSERT_TRUE(p) << p.error().message();
    auto done = engine().complete_upload(u->id, {{1, p->etag}});
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_EQ(tags_of("mp"), meta.tags);
}

// Each limit of S3's: refused with InvalidArgument, nothing written.
TEST_F(ObjectTagging, TagsBeyondTheLimitsAreRefusedAndChangeNothing) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", "x", tagged({{"keep", "me"}}))));
    Tags eleven;
    for (int i = 0; i < 11; ++i) eleven.emplace_back("k" + std::to_string(i), "v");
    Tags ten(eleven.begin(), eleven.end() - 1);
    std::string e_acute = "\xC3\xA9";  // one character, two bytes
    std::string key128, key129, value256, value257;
    for (int i = 0; i < 128; ++i) key128 += e_acute;
    key129 = key128 + "x";
    for (int i = 0; i < 256; ++i) value256 += e_acute;
    value257 = value256 + "x";
    const std::vector<Tags> bad = {
        eleven,
        {{"", "empty key"}},
        {{key129, "v"}},
        {{"k", value257}},
        {{"dup", "1"}, {"dup", "2"}},
        {{"aws:reserved", "v"}},
        {{"bad\xFFutf8", "v"}},
        {{"k", "control\x01"}},
    };
    for (const auto& tags : bad) {
        EXPECT_TRUE(FailsWith(engine().set_object_tags("bkt", "a", tags), Errc::InvalidArgument));
        EXPECT_TRUE(FailsWith(put(engine(), "bkt", "new", "x", tagged(tags)), Errc::InvalidArgument));
        ObjectMeta meta;
        meta.tags = tags;
        EXPECT_TRUE(FailsWith(engine().create_upload("bkt", "new", meta), Errc::InvalidArgument));
        CopyOptions copy;
        copy.replace_meta = meta;
        EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "a", "bkt", "new", copy), Errc::InvalidArgument));
    }
    EXPECT_EQ(tags_of("a"), (Tags{{"keep", "me"}}));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "new"), Errc::NoSuchKey));
    auto uploads = engine().list_uploads("bkt", {});
    ASSERT_TRUE(uploads) << uploads.error().message();
    EXPECT_TRUE(uploads->uploads.empty());
    // The limits themselves pass: lengths count characters, not bytes.
    for (const Tags& good : {ten, Tags{{key128, value256}}, Tags{{"k", ""}}, Tags{{"AWS:upper", "v"}}}) {
        ASSERT_TRUE(IsOk(engine().set_object_tags("bkt", "a", good)));
        EXPECT_EQ(tags_of("a"), good);
    }
}

// Tags and the ACL set at once, from two threads: neither change is lost
// (one commit each on LMDB; a guarded write retried on RADOS).
TEST_F(ObjectTagging, ConcurrentTagAndAclChangesAreBothKept) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", "body")));
    constexpr int kRounds = 40;
    std::thread tagger([&] {
        for (int i = 0; i < kRounds; ++i)
            EXPECT_TRUE(IsOk(engine().set_object_tags("bkt", "a", {{"round", std::to_string(i)}})));
    });
    for (int i = 0; i < kRounds; ++i)
        EXPECT_TRUE(IsOk(engine().set_object_acl("bkt", "a", "acl-" + std::to_string(i))));
    tagger.join();
    auto head = engine().head_object("bkt", "a");
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->meta.tags, (Tags{{"round", std::to_string(kRounds - 1)}}));
    EXPECT_EQ(head->meta.acl, "acl-" + std::to_string(kRounds - 1));
}

// Records as written before tags existed still read, as untagged; a record
// without tags is written as before, byte for byte.
TEST(ObjectTagRecords, RecordsWithoutTagsKeepTheirEncoding) {
    using namespace detail;
    ObjectRecord rec;
    rec.info.key = "k";
    rec.info.size = 3;
    rec.info.etag = "e";
    rec.info.meta.acl = "acl";
    rec.body_id = 9;
    // The layout of version 2 before tags: no flags byte without a charge
    // or an upload id.
    Encoder old;
    old.u8(2).str("k").u64(3).str("e").i64(0);
    old.str("").pairs({}).pairs({}).pairs({}).str("acl");
    old.u32(0).u32(0).u32(0).u64(9);
    EXPECT_EQ(encode(rec), old.bytes());
    auto decoded = decode_object(old.bytes());
    ASSERT_TRUE(decoded);
    EXPECT_TRUE(decoded->info.meta.tags.empty());
    EXPECT_EQ(decoded->info.meta.acl, "acl");

    rec.info.meta.tags = {{"a", "1"}, {"b", ""}};
    rec.info.upload_id = "up";
    decoded = decode_object(encode(rec));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->info.meta.tags, rec.info.meta.tags);
    EXPECT_EQ(decoded->info.upload_id, "up");
    EXPECT_EQ(decoded->body_id, 9u);

    Upload up;
    up.id = "u";
    up.key = "k";
    Encoder old_upload;
    old_upload.u8(1).str("u").str("").str("k").str("").str("").i64(0);
    old_upload.str("").pairs({}).pairs({}).pairs({}).str("");
    EXPECT_EQ(encode(up), old_upload.bytes());
    auto old_decoded = decode_upload(old_upload.bytes());
    ASSERT_TRUE(old_decoded);
    EXPECT_TRUE(old_decoded->meta.tags.empty());
    up.meta.tags = {{"t", "v"}};
    auto tagged_upload = decode_upload(encode(up));
    ASSERT_TRUE(tagged_upload);
    EXPECT_EQ(tagged_upload->meta.tags, up.meta.tags);
}

}  // namespace
}  // namespace ostor::test
