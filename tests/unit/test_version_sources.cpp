// Versions named by id as a copy's source (copy_object's src_version_id,
// upload_part_copy) and as the object whose tags change (set_object_tags):
// the version named is the one read or changed, a delete marker is no
// source, a malformed id is refused before any read; in a bucket never
// versioned (every backend), "null" is the object and no other id names
// anything.
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

constexpr std::string_view kUnknownId = "ffffffffffffffff00000000";

class VersionSources : public VersionedBucketTest {
protected:
    CopyOptions from_version(std::string_view version_id) {
        CopyOptions o;
        o.src_version_id = version_id;
        return o;
    }
};

TEST_F(VersionSources, CopyReadsTheVersionNamed) {
    enable();
    // One inline version and one past the inline size (shared extents).
    const std::string big(20000, 'b');
    auto v1 = put(engine(), "bkt", "src", "small one");
    auto v2 = put(engine(), "bkt", "src", big);
    ASSERT_TRUE(v1 && v2 && put(engine(), "bkt", "src", "current"));
    for (const auto& [id, body] :
         {std::pair{v1->version_id, std::string("small one")}, std::pair{v2->version_id, big}}) {
        auto copied = engine().copy_object("bkt", "src", "bkt", "dst", from_version(id));
        ASSERT_TRUE(copied) << copied.error().message();
        EXPECT_EQ(body_of_version("dst", copied->version_id), body);
        CopyOptions ranged = from_version(id);
        ranged.range = ByteRange{1, 4};
        auto part = engine().copy_object("bkt", "src", "bkt", "ranged", ranged);
        ASSERT_TRUE(part) << part.error().message();
        EXPECT_EQ(body_of(engine(), "bkt", "ranged"), body.substr(1, 4));
    }
    EXPECT_EQ(body_of(engine(), "bkt", "src"), "current");
    // The null version of a key that has none, an unknown id, a malformed one.
    EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "src", "bkt", "x", from_version("null")), Errc::NoSuchVersion));
    EXPECT_TRUE(
        FailsWith(engine().copy_object("bkt", "src", "bkt", "x", from_version(kUnknownId)), Errc::NoSuchVersion));
    EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "src", "bkt", "x", from_version("nope")), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "x"), Errc::NoSuchKey));
}

TEST_F(VersionSources, AMarkerIsNoSource) {
    enable();
    auto v1 = put(engine(), "bkt", "src", "under the marker");
    ASSERT_TRUE(v1);
    auto marker = engine().delete_object("bkt", "src", DeleteOptions{});
    ASSERT_TRUE(marker && marker->delete_marker);
    EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "src", "bkt", "x", from_version(marker->version_id)),
                          Errc::MethodNotAllowed));
    EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "src", "bkt", "x"), Errc::NoSuchKey));
    auto up = engine().create_upload("bkt", "mp");
    ASSERT_TRUE(up) << up.error().message();
    EXPECT_TRUE(FailsWith(engine().upload_part_copy(up->id, 1, "bkt", "src", std::nullopt, marker->version_id),
                          Errc::MethodNotAllowed));
    EXPECT_TRUE(FailsWith(engine().upload_part_copy(up->id, 1, "bkt", "src"), Errc::NoSuchKey));
    auto copied = engine().copy_object("bkt", "src", "bkt", "x", from_version(v1->version_id));
    ASSERT_TRUE(copied) << copied.error().message();
    EXPECT_EQ(body_of(engine(), "bkt", "x"), "under the marker");
}

TEST_F(VersionSources, PartCopyReadsTheVersionNamed) {
    enable();
    const std::string big(20000, 'p');
    auto v1 = put(engine(), "bkt", "src", big);
    ASSERT_TRUE(v1 && put(engine(), "bkt", "src", "newer"));
    auto up = engine().create_upload("bkt", "mp");
    ASSERT_TRUE(up) << up.error().message();
    auto whole = engine().upload_part_copy(up->id, 1, "bkt", "src", std::nullopt, v1->version_id);
    ASSERT_TRUE(whole) << whole.error().message();
    EXPECT_TRUE(
        FailsWith(engine().upload_part_copy(up->id, 2, "bkt", "src", std::nullopt, kUnknownId), Errc::NoSuchVersion));
    EXPECT_TRUE(
        FailsWith(engine().upload_part_copy(up->id, 2, "bkt", "src", std::nullopt, "bad id"), Errc::InvalidArgument));
    auto done = engine().complete_upload(up->id, {{1, whole->etag}});
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_EQ(body_of(engine(), "bkt", "mp"), big);
    // A range of it streams (it cannot share whole extents).
    auto up2 = engine().create_upload("bkt", "mp2");
    ASSERT_TRUE(up2) << up2.error().message();
    auto ranged = engine().upload_part_copy(up2->id, 1, "bkt", "src", ByteRange{0, 2}, v1->version_id);
    ASSERT_TRUE(ranged) << ranged.error().message();
    ASSERT_TRUE(IsOk(engine().complete_upload(up2->id, {{1, ranged->etag}})));
    EXPECT_EQ(body_of(engine(), "bkt", "mp2"), "ppp");
}

TEST_F(VersionSources, TagsOfAVersionById) {
    enable();
    auto v1 = put(engine(), "bkt", "k", "one");
    ASSERT_TRUE(v1 && put(engine(), "bkt", "k", "two"));
    auto tagged = engine().set_object_tags("bkt", "k", {{"era", "old"}}, v1->version_id);
    ASSERT_TRUE(tagged) << tagged.error().message();
    EXPECT_EQ(tagged->version_id, v1->version_id);
    EXPECT_EQ(engine().head_object("bkt", "k", v1->version_id)->meta.tags,
              (std::vector<std::pair<std::string, std::string>>{{"era", "old"}}));
    EXPECT_TRUE(engine().head_object("bkt", "k")->meta.tags.empty());
    EXPECT_EQ(body_of_version("k", v1->version_id), "one");
    reopen();
    EXPECT_EQ(engine().head_object("bkt", "k", v1->version_id)->meta.tags.size(), 1u);
    auto marker = engine().delete_object("bkt", "k", DeleteOptions{});
    ASSERT_TRUE(marker);
    EXPECT_TRUE(FailsWith(engine().set_object_tags("bkt", "k", {}, marker->version_id), Errc::MethodNotAllowed));
    EXPECT_TRUE(FailsWith(engine().set_object_tags("bkt", "k", {}, kUnknownId), Errc::NoSuchVersion));
    EXPECT_TRUE(FailsWith(engine().set_object_tags("bkt", "k", {}, "bad"), Errc::InvalidArgument));
    EXPECT_TRUE(
        FailsWith(engine().set_object_tags("bkt", "k", {{"aws:x", "v"}}, v1->version_id), Errc::InvalidArgument));
}

// Every backend: without versioning, "null" is the object.
TEST_F(VersionSources, UnversionedBucketsNameOnlyTheNullVersion) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "plain")));
    auto copied = engine().copy_object("bkt", "k", "bkt", "c", from_version("null"));
    ASSERT_TRUE(copied) << copied.error().message();
    EXPECT_EQ(body_of(engine(), "bkt", "c"), "plain");
    EXPECT_TRUE(
        FailsWith(engine().copy_object("bkt", "k", "bkt", "c2", from_version(kUnknownId)), Errc::NoSuchVersion));
    auto up = engine().create_upload("bkt", "mp");
    ASSERT_TRUE(up) << up.error().message();
    ASSERT_TRUE(IsOk(engine().upload_part_copy(up->id, 1, "bkt", "k", std::nullopt, "null")));
    EXPECT_TRUE(
        FailsWith(engine().upload_part_copy(up->id, 2, "bkt", "k", std::nullopt, kUnknownId), Errc::NoSuchVersion));
    auto tagged = engine().set_object_tags("bkt", "k", {{"t", "v"}}, "null");
    ASSERT_TRUE(tagged) << tagged.error().message();
    EXPECT_EQ(engine().head_object("bkt", "k")->meta.tags.size(), 1u);
    EXPECT_TRUE(FailsWith(engine().set_object_tags("bkt", "k", {}, kUnknownId), Errc::NoSuchVersion));
    EXPECT_TRUE(FailsWith(engine().set_object_tags("bkt", "gone", {}, "null"), Errc::NoSuchVersion));
}

}  // namespace
}  // namespace ostor::test
