// Multipart uploads: parts, completion, refusals, abort, listing, part copy.
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

class Multipart : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        owner_ = user_with_bucket("bkt");
        ASSERT_FALSE(owner_.empty());
    }
    std::string new_upload(std::string_view key = "big", ObjectMeta meta = {}) {
        auto u = engine().create_upload("bkt", key, std::move(meta));
        EXPECT_TRUE(u) << u.error().message();
        return u ? u->id : std::string();
    }
    PartInfo part(const std::string& upload, std::uint32_t n, const std::string& body) {
        auto p = engine().upload_part(upload, n, as_bytes(body));
        EXPECT_TRUE(p) << "part " << n << ": " << p.error().message();
        return p ? *p : PartInfo{};
    }
    static std::string multipart_etag(const std::vector<std::string>& bodies) {
        std::string md5s;
        for (const auto& b : bodies) md5s += md5_raw(b);
        return md5_hex(md5s) + "-" + std::to_string(bodies.size());
    }
    std::string owner_;
};

TEST_F(Multipart, CreateReturnsUploadWithMeta) {
    ObjectMeta meta;
    meta.content_type = "video/mp4";
    meta.user = {{"k", "v"}};
    TimestampMs before = now_ms();
    auto u = engine().create_upload("bkt", "movie.mp4", meta);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_FALSE(u->id.empty());
    EXPECT_EQ(u->bucket, "bkt");
    EXPECT_EQ(u->key, "movie.mp4");
    EXPECT_EQ(u->owner_id, owner_);
    EXPECT_GE(u->initiated_ms, before);
    EXPECT_EQ(u->meta.content_type, "video/mp4");
    auto g = engine().get_upload(u->id);
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(g->key, "movie.mp4");
    EXPECT_EQ(g->meta.user, meta.user);
    auto other = engine().create_upload("bkt", "movie.mp4");
    ASSERT_TRUE(other) << other.error().message();
    EXPECT_NE(other->id, u->id);
}

TEST_F(Multipart, CompleteThreePartsGivesConcatenationAndMultipartETag) {
    ObjectMeta meta;
    meta.content_type = "application/octet-stream";
    meta.user = {{"origin", "multipart"}};
    const std::string id = new_upload("big", meta);
    const std::vector<std::string> bodies = {random_bytes(5 * kMiB, 1), random_bytes(5 * kMiB, 2),
                                             random_bytes(kKiB, 3)};
    std::vector<CompletedPart> done;
    for (std::uint32_t n = 1; n <= 3; ++n) {
        PartInfo p = part(id, n, bodies[n - 1]);
        EXPECT_EQ(p.number, n);
        EXPECT_EQ(p.size, bodies[n - 1].size());
        EXPECT_EQ(p.etag, md5_hex(bodies[n - 1]));
        done.push_back({n, p.etag});
    }
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "big"), Errc::NoSuchKey));  // not yet

    auto parts = engine().list_parts(id);
    ASSERT_TRUE(parts) << parts.error().message();
    ASSERT_EQ(parts->parts.size(), 3u);
    EXPECT_FALSE(parts->truncated);
    for (std::uint32_t n = 1; n <= 3; ++n) {
        EXPECT_EQ(parts->parts[n - 1].number, n);
        EXPECT_EQ(parts->parts[n - 1].size, bodies[n - 1].size());
        EXPECT_EQ(parts->parts[n - 1].etag, md5_hex(bodies[n - 1]));
    }

    auto info = engine().complete_upload(id, done);
    ASSERT_TRUE(info) << info.error().message();
    const std::string whole = bodies[0] + bodies[1] + bodies[2];
    EXPECT_EQ(info->size, whole.size());
    EXPECT_EQ(info->etag, multipart_etag(bodies));
    EXPECT_EQ(info->part_sizes, (std::vector<std::uint64_t>{5 * kMiB, 5 * kMiB, kKiB}));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "big"), whole));
    auto head = engine().head_object("bkt", "big");
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->etag, info->etag);
    EXPECT_EQ(head->part_sizes, info->part_sizes);
    EXPECT_EQ(head->meta.content_type, meta.content_type);
    EXPECT_EQ(head->meta.user, meta.user);
    // A range across the part boundary.
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "big", ByteRange{5 * kMiB - 10, 10 * kMiB + 10}),
                          whole.substr(5 * kMiB - 10, 5 * kMiB + 21)));

    EXPECT_TRUE(FailsWith(engine().get_upload(id), Errc::NoSuchUpload));
    auto ups = engine().list_uploads("bkt");
    ASSERT_TRUE(ups) << ups.error().message();
    EXPECT_TRUE(ups->uploads.empty());
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, 1u);
    EXPECT_EQ(b->bytes, whole.size());
}

TEST_F(Multipart, QuotedETagsAccepted) {
    const std::string id = new_upload();
    PartInfo p = part(id, 1, "only part");
    auto info = engine().complete_upload(id, {{1, "\"" + p.etag + "\""}});
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->etag, multipart_etag({"only part"}));
    EXPECT_EQ(body_of(engine(), "bkt", "big"), "only part");
}

TEST_F(Multipart, ReuploadingAPartNumberReplacesIt) {
    const std::string id = new_upload();
    PartInfo first = part(id, 1, "first version");
    PartInfo second = part(id, 1, "second version");
    auto parts = engine().list_parts(id);
    ASSERT_TRUE(parts) << parts.error().message();
    ASSERT_EQ(parts->parts.size(), 1u);
    EXPECT_EQ(parts->parts[0].etag, second.etag);
    EXPECT_EQ(parts->parts[0].size, std::string("second version").size());
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->bytes, std::string("second version").size());  // the first is freed

    EXPECT_TRUE(FailsWith(engine().complete_upload(id, {{1, first.etag}}), Errc::InvalidPart));
    ASSERT_TRUE(IsOk(engine().complete_upload(id, {{1, second.etag}})));
    EXPECT_EQ(body_of(engine(), "bkt", "big"), "second version");
}

TEST_F(Multipart, CompleteWithWrongETagIsInvalidPart) {
    const std::string id = new_upload();
    part(id, 1, "x");
    EXPECT_TRUE(FailsWith(engine().complete_upload(id, {{1, md5_hex("y")}}), Errc::InvalidPart));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "big"), Errc::NoSuchKey));
    EXPECT_TRUE(IsOk(engine().get_upload(id)));  // still there to retry
}

TEST_F(Multipart, CompleteWithMissingPartIsInvalidPart) {
    const std::string id = new_upload();
    PartInfo p1 = part(id, 1, random_bytes(5 * kMiB, 4));
    EXPECT_TRUE(
        FailsWith(engine().complete_upload(id, {{1, p1.etag}, {2, md5_hex("never uploaded")}}), Errc::InvalidPart));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "big"), Errc::NoSuchKey));
}

TEST_F(Multipart, CompleteOutOfOrderIsInvalidPartOrder) {
    const std::string id = new_upload();
    PartInfo p1 = part(id, 1, random_bytes(5 * kMiB, 5));
    PartInfo p2 = part(id, 2, "tail");
    EXPECT_TRUE(FailsWith(engine().complete_upload(id, {{2, p2.etag}, {1, p1.etag}}), Errc::InvalidPartOrder));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "big"), Errc::NoSuchKey));
    auto info = engine().complete_upload(id, {{1, p1.etag}, {2, p2.etag}});
    ASSERT_TRUE(info) << info.error().message();
}

TEST_F(Multipart, SmallPartOtherThanTheLastIsEntityTooSmall) {
    const std::string id = new_upload();
    PartInfo p1 = part(id, 1, random_bytes(kKiB, 6));
    PartInfo p2 = part(id, 2, random_bytes(kKiB, 7));
    EXPECT_TRUE(FailsWith(engine().complete_upload(id, {{1, p1.etag}, {2, p2.etag}}), Errc::EntityTooSmall));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "big"), Errc::NoSuchKey));
    // One byte short of 5 MiB is still too small.
    PartInfo p1b = part(id, 1, random_bytes(5 * kMiB - 1, 8));
    EXPECT_TRUE(FailsWith(engine().complete_upload(id, {{1, p1b.etag}, {2, p2.etag}}), Errc::EntityTooSmall));
}

TEST_F(Multipart, EmptyPartListIsInvalidArgument) {
    const std::string id = new_upload();
    part(id, 1, "x");
    EXPECT_TRUE(FailsWith(engine().complete_upload(id, {}), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "big"), Errc::NoSuchKey));
}

TEST_F(Multipart, UnlistedPartsAreFreedOnCompletion) {
    const std::string id = new_upload();
    PartInfo p1 = part(id, 1, "kept");
    part(id, 2, "dropped part");
    auto info = engine().complete_upload(id, {{1, p1.etag}});
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(body_of(engine(), "bkt", "big"), "kept");
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->bytes, 4u);
}

// A retried CompleteMultipartUpload finds the object by its upload id.
TEST_F(Multipart, CompletedObjectKeepsItsUploadIdButACopyDoesNot) {
    const std::string id = new_upload();
    PartInfo p1 = part(id, 1, "made");
    auto info = engine().complete_upload(id, {{1, p1.etag}});
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->upload_id, id);
    auto head = engine().head_object("bkt", "big");
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->upload_id, id);
    auto copy = engine().copy_object("bkt", "big", "bkt", "copy");
    ASSERT_TRUE(copy) << copy.error().message();
    EXPECT_EQ(copy->upload_id, "");
    auto copied = engine().head_object("bkt", "copy");
    ASSERT_TRUE(copied) << copied.error().message();
    EXPECT_EQ(copied->upload_id, "");
    auto put = engine().put_object("bkt", "big", as_bytes(std::string("plain")));
    ASSERT_TRUE(put) << put.error().message();
    EXPECT_EQ(engine().head_object("bkt", "big")->upload_id, "");
}

TEST_F(Multipart, AbortThenEveryOperationIsNoSuchUpload) {
    const std::string id = new_upload();
    PartInfo p1 = part(id, 1, "data");
    ASSERT_TRUE(IsOk(engine().abort_upload(id)));
    EXPECT_TRUE(FailsWith(engine().get_upload(id), Errc::NoSuchUpload));
    EXPECT_TRUE(FailsWith(engine().upload_part(id, 2, as_bytes("more")), Errc::NoSuchUpload));
    EXPECT_TRUE(FailsWith(engine().begin_upload_part(id, 2), Errc::NoSuchUpload));
    EXPECT_TRUE(FailsWith(engine().list_parts(id), Errc::NoSuchUpload));
    EXPECT_TRUE(FailsWith(engine().complete_upload(id, {{1, p1.etag}}), Errc::NoSuchUpload));
    EXPECT_TRUE(FailsWith(engine().abort_upload(id), Errc::NoSuchUpload));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "big"), Errc::NoSuchKey));
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->bytes, 0u);
}

TEST_F(Multipart, UnknownUploadIdIsNoSuchUpload) {
    EXPECT_TRUE(FailsWith(engine().get_upload("no-such-upload"), Errc::NoSuchUpload));
    EXPECT_TRUE(FailsWith(engine().abort_upload("no-such-upload"), Errc::NoSuchUpload));
    EXPECT_TRUE(FailsWith(engine().upload_part("no-such-upload", 1, as_bytes("x")), Errc::NoSuchUpload));
}

TEST_F(Multipart, PartWriterCommitAfterAbortIsNoSuchUpload) {
    const std::string id = new_upload();
    auto w = engine().begin_upload_part(id, 1);
    ASSERT_TRUE(w) << w.error().message();
    ASSERT_TRUE(IsOk((*w)->write(as_bytes("late part"))));
    ASSERT_TRUE(IsOk(engine().abort_upload(id)));
    EXPECT_TRUE(FailsWith((*w)->commit(), Errc::NoSuchUpload));
}

TEST_F(Multipart, StreamedPartWriterReturnsPartInfo) {
    const std::string id = new_upload();
    const std::string body = random_bytes(100001, 9);
    PutOptions opts;
    opts.size_hint = body.size();
    auto w = engine().begin_upload_part(id, 7, opts);
    ASSERT_TRUE(w) << w.error().message();
    for (std::size_t off = 0; off < body.size(); off += 9999)
        ASSERT_TRUE(IsOk((*w)->write(as_bytes(std::string_view(body).substr(off, 9999)))));
    auto c = (*w)->commit();
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->size, body.size());
    EXPECT_EQ(c->etag, md5_hex(body));
    auto info = engine().complete_upload(id, {{7, c->etag}});
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "big"), body));
}

TEST_F(Multipart, PartBadDigestRefused) {
    const std::string id = new_upload();
    PutOptions opts;
    opts.expected_md5 = md5_raw("other");
    EXPECT_TRUE(FailsWith(engine().upload_part(id, 1, as_bytes("body"), opts), Errc::BadDigest));
    auto parts = engine().list_parts(id);
    ASSERT_TRUE(parts) << parts.error().message();
    EXPECT_TRUE(parts->parts.empty());
}

TEST_F(Multipart, ListPartsPages) {
    const std::string id = new_upload();
    for (std::uint32_t n : {3u, 1u, 2u}) part(id, n, "p" + std::to_string(n));
    auto page = engine().list_parts(id, 0, 2);
    ASSERT_TRUE(page) << page.error().message();
    ASSERT_EQ(page->parts.size(), 2u);
    EXPECT_EQ(page->parts[0].number, 1u);
    EXPECT_EQ(page->parts[1].number, 2u);
    EXPECT_TRUE(page->truncated);
    EXPECT_EQ(page->next_marker, 2u);
    page = engine().list_parts(id, 2, 2);
    ASSERT_TRUE(page) << page.error().message();
    ASSERT_EQ(page->parts.size(), 1u);
    EXPECT_EQ(page->parts[0].number, 3u);
    EXPECT_FALSE(page->truncated);
}

TEST_F(Multipart, ListUploadsWithPrefix) {
    const std::string a1 = new_upload("docs/a");
    const std::string b = new_upload("docs/b");
    const std::string a2 = new_upload("docs/a");
    const std::string c = new_upload("img/c");
    ListUploadsParams p;
    p.prefix = "docs/";
    auto r = engine().list_uploads("bkt", p);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->uploads.size(), 3u);
    EXPECT_EQ(r->uploads[0].key, "docs/a");
    EXPECT_EQ(r->uploads[0].id, a1);  // by key, then by initiation
    EXPECT_EQ(r->uploads[1].key, "docs/a");
    EXPECT_EQ(r->uploads[1].id, a2);
    EXPECT_EQ(r->uploads[2].key, "docs/b");
    EXPECT_EQ(r->uploads[2].id, b);
    EXPECT_FALSE(r->truncated);

    auto all = engine().list_uploads("bkt");
    ASSERT_TRUE(all) << all.error().message();
    ASSERT_EQ(all->uploads.size(), 4u);
    EXPECT_EQ(all->uploads[3].id, c);

    ListUploadsParams d;
    d.delimiter = "/";
    auto grouped = engine().list_uploads("bkt", d);
    ASSERT_TRUE(grouped) << grouped.error().message();
    EXPECT_TRUE(grouped->uploads.empty());
    EXPECT_EQ(grouped->common_prefixes, (std::vector<std::string>{"docs/", "img/"}));
}

TEST_F(Multipart, UploadPartCopyWithRanges) {
    const std::string src = random_bytes(6 * kMiB + 5, 11);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "source", src)));
    const std::string id = new_upload("assembled");
    auto p1 = engine().upload_part_copy(id, 1, "bkt", "source", ByteRange{0, 5 * kMiB - 1});
    ASSERT_TRUE(p1) << p1.error().message();
    EXPECT_EQ(p1->size, 5 * kMiB);
    EXPECT_EQ(p1->etag, md5_hex(std::string_view(src).substr(0, 5 * kMiB)));
    auto p2 = engine().upload_part_copy(id, 2, "bkt", "source", ByteRange{5 * kMiB, src.size() - 1});
    ASSERT_TRUE(p2) << p2.error().message();
    EXPECT_EQ(p2->size, kMiB + 5);
    auto p3 = engine().upload_part_copy(id, 3, "bkt", "source");  // the whole object
    ASSERT_TRUE(p3) << p3.error().message();
    EXPECT_EQ(p3->size, src.size());
    EXPECT_EQ(p3->etag, md5_hex(src));

    auto info = engine().complete_upload(id, {{1, p1->etag}, {2, p2->etag}});
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->size, src.size());
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "assembled"), src));
    // The source stays intact and independent.
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "source")));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "assembled"), src));
}

TEST_F(Multipart, UploadPartCopyOfASmallObjectKeepsItsBytes) {
    // Small objects keep their bytes in their metadata record; a part made
    // from one must still carry them.
    const std::string big = random_bytes(5 * kMiB, 21);
    const std::string small = random_bytes(700, 22);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "big", big)));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "small", small)));
    const std::string id = new_upload("joined");
    auto p1 = engine().upload_part_copy(id, 1, "bkt", "big");
    ASSERT_TRUE(p1) << p1.error().message();
    auto p2 = engine().upload_part_copy(id, 2, "bkt", "small");
    ASSERT_TRUE(p2) << p2.error().message();
    EXPECT_EQ(p2->size, small.size());
    EXPECT_EQ(p2->etag, md5_hex(small));
    auto info = engine().complete_upload(id, {{1, p1->etag}, {2, p2->etag}});
    ASSERT_TRUE(info) << info.error().message();
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "small")));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "joined"), big + small));
}

TEST_F(Multipart, UploadPartCopyRefusals) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "source", std::string(100, 's'))));
    const std::string id = new_upload();
    EXPECT_TRUE(FailsWith(engine().upload_part_copy(id, 1, "bkt", "source", ByteRange{100, 200}), Errc::InvalidRange));
    EXPECT_TRUE(FailsWith(engine().upload_part_copy(id, 1, "bkt", "missing"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().upload_part_copy(id, 1, "nobucket", "source"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().upload_part_copy("no-such-upload", 1, "bkt", "source"), Errc::NoSuchUpload));
}

TEST_F(Multipart, PartNumbersOutside1To10000Refused) {
    const std::string id = new_upload();
    EXPECT_TRUE(FailsWith(engine().upload_part(id, 0, as_bytes("x")), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().upload_part(id, 10001, as_bytes("x")), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().begin_upload_part(id, 0), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().begin_upload_part(id, 10001), Errc::InvalidArgument));
    EXPECT_TRUE(IsOk(engine().upload_part(id, 1, as_bytes("x"))));
    EXPECT_TRUE(IsOk(engine().upload_part(id, 10000, as_bytes("y"))));
    auto parts = engine().list_parts(id);
    ASSERT_TRUE(parts) << parts.error().message();
    ASSERT_EQ(parts->parts.size(), 2u);
    EXPECT_EQ(parts->parts[1].number, 10000u);
}

TEST_F(Multipart, BucketBytesIncludePartsInProgress) {
    const std::string id = new_upload();
    part(id, 1, std::string(1000, 'a'));
    part(id, 2, std::string(24, 'b'));
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->bytes, 1024u);
    EXPECT_EQ(b->objects, 0u);
    ASSERT_TRUE(IsOk(engine().abort_upload(id)));
    b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->bytes, 0u);
}

TEST_F(Multipart, DeletingTheBucketAbortsItsUploads) {
    const std::string id = new_upload();
    part(id, 1, "orphan part");
    ASSERT_TRUE(IsOk(engine().delete_bucket("bkt")));
    EXPECT_TRUE(FailsWith(engine().get_upload(id), Errc::NoSuchUpload));
    EXPECT_TRUE(FailsWith(engine().list_parts(id), Errc::NoSuchUpload));
    // A new bucket of the same name does not inherit them.
    make_bucket("bkt", owner_);
    auto ups = engine().list_uploads("bkt");
    ASSERT_TRUE(ups) << ups.error().message();
    EXPECT_TRUE(ups->uploads.empty());
}

TEST_F(Multipart, CreateRefusals) {
    EXPECT_TRUE(FailsWith(engine().create_upload("nobucket", "k"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().create_upload("bkt", ""), Errc::InvalidObjectName));
    EXPECT_TRUE(FailsWith(engine().create_upload("bkt", std::string(1025, 'k')), Errc::InvalidObjectName));
}

TEST_F(Multipart, CompletingReplacesAnExistingObject) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "big", "old simple object")));
    const std::string id = new_upload();
    PartInfo p = part(id, 1, "new multipart body");
    ASSERT_TRUE(IsOk(engine().complete_upload(id, {{1, p.etag}})));
    EXPECT_EQ(body_of(engine(), "bkt", "big"), "new multipart body");
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, 1u);
    EXPECT_EQ(b->bytes, std::string("new multipart body").size());
}

}  // namespace
}  // namespace ostor::test
