// Objects: put/get byte-exact, streaming writers, digests, ranges, metadata,
// copies, ACLs.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

class Objects : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        owner_ = user_with_bucket("bkt");
        ASSERT_FALSE(owner_.empty());
    }
    ObjectMeta sample_meta() {
        ObjectMeta m;
        m.content_type = "application/x-test; charset=utf-8";
        m.user = {{"color", "blue"}, {"Mixed-Case", "Value with spaces"}, {"empty", ""}};
        m.headers = {{"Cache-Control", "max-age=60"},
                     {"Content-Encoding", "gzip"},
                     {"Content-Disposition", "attachment; filename=\"a b.txt\""}};
        m.checksums = {{"CRC32C", "yZRlqg=="}, {"SHA256", "LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="}};
        m.acl = "object-acl-1";
        return m;
    }
    std::string owner_;
};

void expect_same_meta(const ObjectMeta& a, const ObjectMeta& b) {
    EXPECT_EQ(a.content_type, b.content_type);
    EXPECT_EQ(a.user, b.user);
    EXPECT_EQ(a.headers, b.headers);
    EXPECT_EQ(a.checksums, b.checksums);
    EXPECT_EQ(a.acl, b.acl);
}

// ---- Whole objects of many sizes ----------------------------------------

class ObjectsBySize : public Objects, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(ObjectsBySize, PutThenGetIsByteExactWithMd5ETag) {
    const std::size_t size = GetParam();
    const std::string body = random_bytes(size, 1000 + size);
    TimestampMs before = now_ms();
    auto info = put(engine(), "bkt", "obj", body);
    TimestampMs after = now_ms();
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->bucket, "bkt");
    EXPECT_EQ(info->key, "obj");
    EXPECT_EQ(info->size, size);
    EXPECT_EQ(info->etag, md5_hex(body));
    EXPECT_GE(info->last_modified_ms, before);
    EXPECT_LE(info->last_modified_ms, after);
    EXPECT_TRUE(info->part_sizes.empty());

    auto reader = engine().open_object("bkt", "obj");
    ASSERT_TRUE(reader) << reader.error().message();
    EXPECT_EQ((*reader)->info().size, size);
    EXPECT_EQ((*reader)->info().etag, md5_hex(body));
    EXPECT_EQ((*reader)->remaining(), size);
    auto got = drain(**reader, 100003);  // an odd buffer size
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_TRUE(SameBytes(*got, body));
    EXPECT_EQ((*reader)->remaining(), 0u);

    auto head = engine().head_object("bkt", "obj");
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->size, size);
    EXPECT_EQ(head->etag, md5_hex(body));
}

INSTANTIATE_TEST_SUITE_P(Sizes, ObjectsBySize,
                         ::testing::Values(std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096},
                                           std::size_t{kMiB + 3}, std::size_t{5 * kMiB + 7}),
                         [](const ::testing::TestParamInfo<std::size_t>& p) {
                             return "Bytes" + std::to_string(p.param);
                         });

TEST_F(Objects, ETagOfKnownBodies) {
    auto hello = put(engine(), "bkt", "hello", "hello");
    ASSERT_TRUE(hello) << hello.error().message();
    EXPECT_EQ(hello->etag, "5d41402abc4b2a76b9719d911017c592");
    auto empty = put(engine(), "bkt", "empty", "");
    ASSERT_TRUE(empty) << empty.error().message();
    EXPECT_EQ(empty->etag, "d41d8cd98f00b204e9800998ecf8427e");
}

// ---- Streaming writers --------------------------------------------------

Result<ObjectInfo> stream_put(Engine& e, std::string_view key, const std::string& body, PutOptions opts) {
    auto w = e.begin_put("bkt", key, std::move(opts));
    if (!w) return std::move(w).error();
    static constexpr std::size_t kChunks[] = {1, 7, 4093, 65537, 3, 131071, 4097};
    std::size_t off = 0, i = 0;
    while (off < body.size()) {
        std::size_t n = std::min(kChunks[i++ % std::size(kChunks)], body.size() - off);
        auto r = (*w)->write(as_bytes(std::string_view(body).substr(off, n)));
        if (!r) return r.error();
        off += n;
        if ((*w)->size() != off) return Error(Errc::Internal, "writer size() does not count accepted bytes");
    }
    return (*w)->commit();
}

TEST_F(Objects, StreamingPutInOddChunksWithoutSizeHint) {
    const std::string body = random_bytes(700001, 7);
    auto info = stream_put(engine(), "streamed", body, {});
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->size, body.size());
    EXPECT_EQ(info->etag, md5_hex(body));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "streamed"), body));
}

TEST_F(Objects, StreamingPutInOddChunksWithSizeHint) {
    const std::string body = random_bytes(3 * kMiB + 11, 8);
    PutOptions opts;
    opts.size_hint = body.size();
    auto info = stream_put(engine(), "hinted", body, opts);
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->size, body.size());
    EXPECT_EQ(info->etag, md5_hex(body));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "hinted"), body));
}

// The gateway reads bodies straight into the writer's buffers (space(),
// append()): in odd pieces, with and without a declared length, across
// buffers and extents.
TEST_F(Objects, BodiesReadIntoTheWritersBuffersAreStoredWhole) {
    for (bool hinted : {true, false}) {
        const std::string body = random_bytes(5 * kMiB + 4099, hinted ? 21 : 22);
        PutOptions opts;
        if (hinted) opts.size_hint = body.size();
        auto w = engine().begin_put("bkt", "in-place", opts);
        ASSERT_TRUE(w) << w.error().message();
        constexpr std::size_t kPiece = 70'001;
        for (std::size_t at = 0; at < body.size();) {
            auto space = (*w)->space();
            ASSERT_FALSE(space.empty());
            std::size_t n = std::min({space.size(), kPiece, body.size() - at});
            std::memcpy(space.data(), body.data() + at, n);
            ASSERT_TRUE(IsOk((*w)->append(n)));
            at += n;
        }
        auto info = (*w)->commit();
        ASSERT_TRUE(info) << info.error().message();
        EXPECT_EQ(info->etag, md5_hex(body));
        EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "in-place"), body)) << "hinted " << hinted;
    }
}

TEST_F(Objects, AByteAppendedPastTheDeclaredLengthIsRefused) {
    PutOptions opts;
    opts.size_hint = 256 * kKiB;  // exactly one of the writer's buffers
    auto w = engine().begin_put("bkt", "long", opts);
    ASSERT_TRUE(w) << w.error().message();
    ASSERT_TRUE(IsOk((*w)->write(as_bytes(std::string(256 * kKiB, 'x')))));
    auto space = (*w)->space();
    ASSERT_FALSE(space.empty());
    space[0] = std::byte{'y'};
    EXPECT_TRUE(FailsWith((*w)->append(1), Errc::EntityTooLarge));
    EXPECT_FALSE((*w)->commit());
    w->reset();
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "long"), Errc::NoSuchKey));
}

TEST_F(Objects, NothingVisibleBeforeCommit) {
    auto w = engine().begin_put("bkt", "pending");
    ASSERT_TRUE(w) << w.error().message();
    ASSERT_TRUE(IsOk((*w)->write(as_bytes("partial body"))));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "pending"), Errc::NoSuchKey));
    auto l = engine().list_objects("bkt", {});
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_TRUE(l->objects.empty());
    ASSERT_TRUE(IsOk((*w)->commit()));
    EXPECT_EQ(body_of(engine(), "bkt", "pending"), "partial body");
}

TEST_F(Objects, ShorterBodyThanSizeHintRefusedAndNothingVisible) {
    PutOptions opts;
    opts.size_hint = 100;
    auto w = engine().begin_put("bkt", "short", opts);
    ASSERT_TRUE(w) << w.error().message();
    ASSERT_TRUE(IsOk((*w)->write(as_bytes(std::string(99, 'x')))));
    EXPECT_TRUE(FailsWith((*w)->commit(), Errc::InvalidArgument));
    w->reset();
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "short"), Errc::NoSuchKey));
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, 0u);
    EXPECT_EQ(b->bytes, 0u);
}

TEST_F(Objects, LongerBodyThanSizeHintRefusedAndNothingVisible) {
    PutOptions opts;
    opts.size_hint = 100;
    auto w = engine().begin_put("bkt", "long", opts);
    ASSERT_TRUE(w) << w.error().message();
    ASSERT_TRUE(IsOk((*w)->write(as_bytes(std::string(60, 'x')))));
    EXPECT_TRUE(FailsWith((*w)->write(as_bytes(std::string(41, 'x'))), Errc::EntityTooLarge));
    EXPECT_FALSE((*w)->commit());  // whatever it says, it must not store the object
    w->reset();
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "long"), Errc::NoSuchKey));
}

TEST_F(Objects, ExpectedMd5MatchAccepted) {
    PutOptions opts;
    opts.expected_md5 = md5_raw("payload");
    auto info = put(engine(), "bkt", "digest-ok", "payload", opts);
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->etag, md5_hex("payload"));
}

TEST_F(Objects, ExpectedMd5MismatchIsBadDigestAndNothingStored) {
    PutOptions opts;
    opts.expected_md5 = md5_raw("something else");
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "digest-bad", "payload", opts), Errc::BadDigest));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "digest-bad"), Errc::NoSuchKey));
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, 0u);
    EXPECT_EQ(b->bytes, 0u);
}

TEST_F(Objects, IfNoneMatchCreatesOnlyANewKey) {
    PutOptions create_only;
    create_only.conditions.if_none_match = true;
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "once", "first", create_only)));
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "once", "second", create_only), Errc::PreconditionFailed));
    EXPECT_EQ(body_of(engine(), "bkt", "once"), "first");
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->bytes, 5u);
}

TEST_F(Objects, IfMatchReplacesOnlyThatVersion) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "v1")));
    PutOptions replace;
    replace.conditions.if_match_etag = md5_hex("v1");
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "v2", replace)));
    // The ETag matched v1, which is gone now.
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "k", "v3", replace), Errc::PreconditionFailed));
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "v2");
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "missing", "v", replace), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "missing"), Errc::NoSuchKey));
}

TEST_F(Objects, CopiesAndCompletedUploadsTakeTheSameConditions) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", "source")));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "dst", "taken")));
    CopyOptions copy;
    copy.conditions.if_none_match = true;
    EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "src", "bkt", "dst", copy), Errc::PreconditionFailed));
    EXPECT_EQ(body_of(engine(), "bkt", "dst"), "taken");
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "src", "bkt", "fresh", copy)));
    copy.conditions = {.if_none_match = false, .if_match_etag = md5_hex("taken")};
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "src", "bkt", "dst", copy)));
    EXPECT_EQ(body_of(engine(), "bkt", "dst"), "source");

    auto up = engine().create_upload("bkt", "dst");
    ASSERT_TRUE(up) << up.error().message();
    auto part = engine().upload_part(up->id, 1, as_bytes(std::string_view("part")));
    ASSERT_TRUE(part) << part.error().message();
    std::vector<CompletedPart> parts = {{1, part->etag}};
    WriteConditions create_only{.if_none_match = true, .if_match_etag = std::nullopt};
    EXPECT_TRUE(
        FailsWith(engine().complete_upload(up->id, parts, std::nullopt, create_only), Errc::PreconditionFailed));
    EXPECT_EQ(body_of(engine(), "bkt", "dst"), "source");
    // The upload stays, and completes once the condition holds.
    WriteConditions replace{.if_none_match = false, .if_match_etag = md5_hex("source")};
    ASSERT_TRUE(IsOk(engine().complete_upload(up->id, parts, std::nullopt, replace)));
    EXPECT_EQ(body_of(engine(), "bkt", "dst"), "part");
}

// The gateway gives a copy, and a completed upload, the ACL the request
// asks for in their own commit: never the source's or the upload's first.
TEST_F(Objects, CopiesAndCompletedUploadsTakeTheAclGivenInTheirCommit) {
    PutOptions opts;
    opts.meta.acl = "source acl";
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", "source", opts)));
    CopyOptions copy;
    copy.replace_acl = "copy acl";
    auto copied = engine().copy_object("bkt", "src", "bkt", "dst", copy);
    ASSERT_TRUE(copied) << copied.error().message();
    EXPECT_EQ(copied->meta.acl, "copy acl");
    EXPECT_EQ(engine().head_object("bkt", "dst")->meta.acl, "copy acl");
    EXPECT_EQ(engine().head_object("bkt", "src")->meta.acl, "source acl");
    copy.range = ByteRange{0, 2};
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "src", "bkt", "ranged", copy)));
    EXPECT_EQ(engine().head_object("bkt", "ranged")->meta.acl, "copy acl");

    ObjectMeta upload_meta;
    upload_meta.acl = "upload acl";
    auto up = engine().create_upload("bkt", "done", upload_meta);
    ASSERT_TRUE(up) << up.error().message();
    auto part = engine().upload_part(up->id, 1, as_bytes(std::string_view("part")));
    ASSERT_TRUE(part) << part.error().message();
    auto done = engine().complete_upload(up->id, {{1, part->etag}}, std::nullopt, {}, std::string("final acl"));
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_EQ(engine().head_object("bkt", "done")->meta.acl, "final acl");
}

TEST_F(Objects, OfConcurrentCreateOnlyWritersExactlyOneWins) {
    constexpr int kWriters = 8;
    std::vector<std::thread> threads;
    std::atomic<int> won{0}, refused{0};
    for (int i = 0; i < kWriters; ++i)
        threads.emplace_back([&, i] {
            PutOptions create_only;
            create_only.conditions.if_none_match = true;
            auto r = put(engine(), "bkt", "contended", random_bytes(300 * 1024, i), create_only);
            if (r)
                ++won;
            else if (r.error().code() == Errc::PreconditionFailed)
                ++refused;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(refused.load(), kWriters - 1);
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, 1u);
    EXPECT_EQ(b->bytes, 300u * 1024);
}

TEST_F(Objects, BadDigestKeepsThePreviousVersion) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "old body")));
    PutOptions opts;
    opts.expected_md5 = md5_raw("not the body");
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "k", "new body", opts), Errc::BadDigest));
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "old body");
}

TEST_F(Objects, DroppedWriterLeavesNoObject) {
    {
        auto w = engine().begin_put("bkt", "dropped");
        ASSERT_TRUE(w) << w.error().message();
        ASSERT_TRUE(IsOk((*w)->write(as_bytes(random_bytes(200000, 3)))));
    }
    {
        PutOptions opts;
        opts.size_hint = 10;
        auto w = engine().begin_put("bkt", "dropped-hinted", opts);
        ASSERT_TRUE(w) << w.error().message();
        ASSERT_TRUE(IsOk((*w)->write(as_bytes("0123456789"))));
    }
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "dropped"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "dropped-hinted"), Errc::NoSuchKey));
    auto l = engine().list_objects("bkt", {});
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_TRUE(l->objects.empty());
    auto u = engine().get_user_usage(owner_);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->bytes, 0u);
    EXPECT_EQ(u->objects, 0u);
    EXPECT_EQ(u->reserved, 0u);
}

TEST_F(Objects, OverwriteReplaces) {
    const std::string first = random_bytes(50000, 1), second = random_bytes(1234, 2);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", first)));
    auto info = put(engine(), "bkt", "k", second);
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->size, second.size());
    EXPECT_EQ(info->etag, md5_hex(second));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "k"), second));
    auto l = engine().list_objects("bkt", {});
    ASSERT_TRUE(l) << l.error().message();
    ASSERT_EQ(l->objects.size(), 1u);
    EXPECT_EQ(l->objects[0].size, second.size());
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, 1u);
    EXPECT_EQ(b->bytes, second.size());
}

// ---- Ranges ---------------------------------------------------------------

TEST_F(Objects, RangesReturnExactlyTheRequestedBytes) {
    const std::string body = random_bytes(10000, 42);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "r", body)));
    struct Case {
        std::uint64_t first, last;
    };
    for (Case c : {Case{0, 0}, Case{0, 9}, Case{100, 199}, Case{4095, 4096}, Case{9999, 9999}, Case{0, 9999}}) {
        SCOPED_TRACE(std::to_string(c.first) + "-" + std::to_string(c.last));
        auto reader = engine().open_object("bkt", "r", ByteRange{c.first, c.last});
        ASSERT_TRUE(reader) << reader.error().message();
        EXPECT_EQ((*reader)->remaining(), c.last - c.first + 1);
        EXPECT_EQ((*reader)->info().size, body.size());  // the whole object's info
        auto got = drain(**reader, 333);
        ASSERT_TRUE(got) << got.error().message();
        EXPECT_TRUE(SameBytes(*got, body.substr(c.first, c.last - c.first + 1)));
    }
}

TEST_F(Objects, RangeLastPastTheEndIsClamped) {
    const std::string body = random_bytes(10000, 43);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "r", body)));
    auto reader = engine().open_object("bkt", "r", ByteRange{9990, 20000});
    ASSERT_TRUE(reader) << reader.error().message();
    EXPECT_EQ((*reader)->remaining(), 10u);
    auto got = drain(**reader);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_TRUE(SameBytes(*got, body.substr(9990)));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "r", ByteRange{0, UINT64_MAX}), body));
}

TEST_F(Objects, RangeAcrossALargeObject) {
    const std::string body = random_bytes(5 * kMiB + 7, 44);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "big", body)));
    const std::uint64_t first = kMiB - 5, last = 4 * kMiB + 5;
    EXPECT_TRUE(
        SameBytes(body_of(engine(), "bkt", "big", ByteRange{first, last}), body.substr(first, last - first + 1)));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "big", ByteRange{body.size() - 1, body.size() - 1}),
                          body.substr(body.size() - 1)));
}

// Drains a reader through read_view in pieces of at most `piece` bytes.
Result<std::string> drain_views(ObjectReader& reader, std::size_t piece) {
    std::string out;
    for (;;) {
        auto view = reader.read_view(piece);
        if (!view) return view.error();
        if (view->empty()) break;
        if (view->size() > piece) return Error(Errc::Internal, "a view longer than asked for");
        out.append(reinterpret_cast<const char*>(view->data()), view->size());
    }
    if (reader.remaining() != 0) return Error(Errc::Internal, "bytes left after an empty view");
    return out;
}

TEST_F(Objects, ReadViewReturnsTheBodyOrRangeWithoutACopy) {
    const std::string large = random_bytes(3 * kMiB + 11, 45);
    const std::string small = random_bytes(100, 46);  // kept inline in its record
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "large", large)));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "small", small)));
    for (std::size_t piece : {std::size_t{1}, std::size_t{7777}, std::size_t{256 * 1024}, std::size_t{4 * kMiB}}) {
        SCOPED_TRACE(piece);
        if (piece > 1) {
            auto reader = engine().open_object("bkt", "large");
            ASSERT_TRUE(reader);
            auto got = drain_views(**reader, piece);
            ASSERT_TRUE(got) << got.error().message();
            EXPECT_TRUE(SameBytes(*got, large));
            auto ranged = engine().open_object("bkt", "large", ByteRange{kMiB - 3, 2 * kMiB + 3});
            ASSERT_TRUE(ranged);
            got = drain_views(**ranged, piece);
            ASSERT_TRUE(got) << got.error().message();
            EXPECT_TRUE(SameBytes(*got, large.substr(kMiB - 3, kMiB + 7)));
        }
        auto reader = engine().open_object("bkt", "small", ByteRange{10, 89});
        ASSERT_TRUE(reader);
        auto got = drain_views(**reader, piece);
        ASSERT_TRUE(got) << got.error().message();
        EXPECT_EQ(*got, small.substr(10, 80));
    }
}

TEST_F(Objects, ReadingIntoAnEmptyBufferReadsNothing) {
    const std::string large = random_bytes(300 * 1024 + 5, 47);
    const std::string small = random_bytes(100, 48);  // kept inline in its record
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "large", large)));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "small", small)));
    for (const auto& [key, body] : {std::pair{"large", &large}, std::pair{"small", &small}}) {
        SCOPED_TRACE(key);
        auto reader = engine().open_object("bkt", key);
        ASSERT_TRUE(reader);
        auto n = (*reader)->read(std::span<std::byte>());
        ASSERT_TRUE(n);
        EXPECT_EQ(*n, 0u);
        EXPECT_EQ((*reader)->remaining(), body->size());
        std::string got(body->size(), '\0');
        n = (*reader)->read(std::as_writable_bytes(std::span(got)));
        ASSERT_TRUE(n);
        EXPECT_EQ(*n, body->size());
        EXPECT_TRUE(SameBytes(got, *body));
    }
}

TEST_F(Objects, RangeStartingPastTheEndIsInvalidRange) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "r", std::string(100, 'r'))));
    EXPECT_TRUE(FailsWith(engine().open_object("bkt", "r", ByteRange{100, 100}), Errc::InvalidRange));
    EXPECT_TRUE(FailsWith(engine().open_object("bkt", "r", ByteRange{1000, 2000}), Errc::InvalidRange));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "empty", "")));
    EXPECT_TRUE(FailsWith(engine().open_object("bkt", "empty", ByteRange{0, 0}), Errc::InvalidRange));
}

TEST_F(Objects, RangeWithFirstAfterLastIsInvalidRange) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "r", std::string(100, 'r'))));
    EXPECT_TRUE(FailsWith(engine().open_object("bkt", "r", ByteRange{50, 49}), Errc::InvalidRange));
}

// ---- Head, delete -----------------------------------------------------------

TEST_F(Objects, HeadReturnsInfoWithoutBody) {
    PutOptions opts;
    opts.meta = sample_meta();
    const std::string body = random_bytes(777, 5);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "h", body, opts)));
    auto head = engine().head_object("bkt", "h");
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->bucket, "bkt");
    EXPECT_EQ(head->key, "h");
    EXPECT_EQ(head->size, 777u);
    EXPECT_EQ(head->etag, md5_hex(body));
    expect_same_meta(head->meta, opts.meta);
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "nope"), Errc::NoSuchKey));
}

TEST_F(Objects, DeleteThenGetIsNoSuchKey) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "d", "bye")));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "d")));
    EXPECT_TRUE(FailsWith(engine().open_object("bkt", "d"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "d"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().delete_object("bkt", "d"), Errc::NoSuchKey));
}

TEST_F(Objects, DeleteUnknownIsNoSuchKey) {
    EXPECT_TRUE(FailsWith(engine().delete_object("bkt", "never-was"), Errc::NoSuchKey));
}

TEST_F(Objects, DeleteLeavesOtherObjectsIntact) {
    const std::string a = random_bytes(70000, 10), b = random_bytes(70001, 11);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", a)));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "b", b)));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "a")));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "b"), b));
}

// ---- Metadata ----------------------------------------------------------------

TEST_F(Objects, MetadataRoundTrip) {
    PutOptions opts;
    opts.meta = sample_meta();
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "m", "meta body", opts)));
    auto head = engine().head_object("bkt", "m");
    ASSERT_TRUE(head) << head.error().message();
    expect_same_meta(head->meta, opts.meta);
    auto reader = engine().open_object("bkt", "m");
    ASSERT_TRUE(reader) << reader.error().message();
    expect_same_meta((*reader)->info().meta, opts.meta);
    auto l = engine().list_objects("bkt", {});
    ASSERT_TRUE(l) << l.error().message();
    ASSERT_EQ(l->objects.size(), 1u);
    EXPECT_EQ(l->objects[0].etag, md5_hex("meta body"));
}

TEST_F(Objects, OverwriteReplacesMetadataToo) {
    PutOptions opts;
    opts.meta = sample_meta();
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "m", "v1", opts)));
    PutOptions plain;
    plain.meta.content_type = "text/plain";
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "m", "v2", plain)));
    auto head = engine().head_object("bkt", "m");
    ASSERT_TRUE(head) << head.error().message();
    expect_same_meta(head->meta, plain.meta);
}

// ---- Copy ----------------------------------------------------------------------

TEST_F(Objects, CopyToAnotherKeyAndBucketKeepsDataAndMetadata) {
    make_bucket("other", owner_);
    PutOptions opts;
    opts.meta = sample_meta();
    const std::string body = random_bytes(300000, 20);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", body, opts)));

    auto same_bucket = engine().copy_object("bkt", "src", "bkt", "dst");
    ASSERT_TRUE(same_bucket) << same_bucket.error().message();
    EXPECT_EQ(same_bucket->bucket, "bkt");
    EXPECT_EQ(same_bucket->key, "dst");
    EXPECT_EQ(same_bucket->size, body.size());
    EXPECT_EQ(same_bucket->etag, md5_hex(body));
    auto other_bucket = engine().copy_object("bkt", "src", "other", "elsewhere/dst");
    ASSERT_TRUE(other_bucket) << other_bucket.error().message();
    EXPECT_EQ(other_bucket->bucket, "other");
    EXPECT_EQ(other_bucket->etag, md5_hex(body));

    for (auto [b, k] : {std::pair{"bkt", "dst"}, std::pair{"other", "elsewhere/dst"}}) {
        SCOPED_TRACE(std::string(b) + "/" + k);
        EXPECT_TRUE(SameBytes(body_of(engine(), b, k), body));
        auto head = engine().head_object(b, k);
        ASSERT_TRUE(head) << head.error().message();
        expect_same_meta(head->meta, opts.meta);
    }
    auto ob = engine().get_bucket("other");
    ASSERT_TRUE(ob) << ob.error().message();
    EXPECT_EQ(ob->objects, 1u);
    EXPECT_EQ(ob->bytes, body.size());
}

TEST_F(Objects, CopyWithReplaceMetaUsesTheNewMetadata) {
    PutOptions opts;
    opts.meta = sample_meta();
    const std::string body = random_bytes(5000, 21);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", body, opts)));
    CopyOptions copy;
    copy.replace_meta = ObjectMeta{};
    copy.replace_meta->content_type = "image/png";
    copy.replace_meta->user = {{"new", "meta"}};
    auto info = engine().copy_object("bkt", "src", "bkt", "dst", copy);
    ASSERT_TRUE(info) << info.error().message();
    auto head = engine().head_object("bkt", "dst");
    ASSERT_TRUE(head) << head.error().message();
    expect_same_meta(head->meta, *copy.replace_meta);
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "dst"), body));
    auto src = engine().head_object("bkt", "src");
    ASSERT_TRUE(src) << src.error().message();
    expect_same_meta(src->meta, opts.meta);  // the source is untouched
}

TEST_F(Objects, CopyOntoItselfWithReplaceMetaChangesMetadataAndKeepsData) {
    PutOptions opts;
    opts.meta = sample_meta();
    const std::string body = random_bytes(123457, 22);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "self", body, opts)));
    CopyOptions copy;
    copy.replace_meta = ObjectMeta{};
    copy.replace_meta->content_type = "text/x-replaced";
    copy.replace_meta->user = {{"rev", "2"}};
    auto info = engine().copy_object("bkt", "self", "bkt", "self", copy);
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->etag, md5_hex(body));
    auto head = engine().head_object("bkt", "self");
    ASSERT_TRUE(head) << head.error().message();
    expect_same_meta(head->meta, *copy.replace_meta);
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "self"), body));
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, 1u);
    EXPECT_EQ(b->bytes, body.size());
}

TEST_F(Objects, CopyStaysReadableAfterTheSourceIsDeleted) {
    const std::string body = random_bytes(2 * kMiB + 1, 23);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", body)));
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "src", "bkt", "copy")));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "src")));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "copy"), body));
    // And the other way round: the source survives deleting a copy.
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "copy", "bkt", "copy2")));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "copy2")));
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "copy"), body));
}

TEST_F(Objects, CopyOverwritingAnExistingObjectReplacesIt) {
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", "new content")));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "dst", "old content that is longer")));
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "src", "bkt", "dst")));
    EXPECT_EQ(body_of(engine(), "bkt", "dst"), "new content");
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, 2u);
    EXPECT_EQ(b->bytes, 2 * std::string("new content").size());
}

TEST_F(Objects, CopyOfMissingSourceRefused) {
    EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "nope", "bkt", "dst"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().copy_object("nobucket", "k", "bkt", "dst"), Errc::NoSuchBucket));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", "x")));
    EXPECT_TRUE(FailsWith(engine().copy_object("bkt", "src", "nobucket", "dst"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "dst"), Errc::NoSuchKey));
}

// ---- ACL ----------------------------------------------------------------------------

TEST_F(Objects, SetObjectAclKeepsDataAndOtherMetadata) {
    PutOptions opts;
    opts.meta = sample_meta();
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", "acl body", opts)));
    auto info = engine().set_object_acl("bkt", "a", "public-read-acl");
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->meta.acl, "public-read-acl");
    auto head = engine().head_object("bkt", "a");
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->meta.acl, "public-read-acl");
    EXPECT_EQ(head->meta.content_type, opts.meta.content_type);
    EXPECT_EQ(head->meta.user, opts.meta.user);
    EXPECT_EQ(head->etag, md5_hex("acl body"));
    EXPECT_EQ(body_of(engine(), "bkt", "a"), "acl body");
    EXPECT_TRUE(FailsWith(engine().set_object_acl("bkt", "nope", "x"), Errc::NoSuchKey));
    EXPECT_TRUE(FailsWith(engine().set_object_acl("nobucket", "a", "x"), Errc::NoSuchBucket));
}

// ---- Readers racing deletes ------------------------------------------------------

// A reader opened before the object is overwritten reads the version it
// opened, whole: an S3 GET in flight is not cut short by a PUT.
TEST_F(Objects, ReaderOpenedBeforeOverwriteKeepsReadingItsVersion) {
    const std::string old_body = random_bytes(8 * kMiB, 60);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", old_body)));
    auto reader = engine().open_object("bkt", "k");
    ASSERT_TRUE(reader) << reader.error().message();
    std::vector<std::byte> first(64 * kKiB);
    auto n = (*reader)->read(first);
    ASSERT_TRUE(n) << n.error().message();
    ASSERT_GT(*n, 0u);
    std::string got(reinterpret_cast<const char*>(first.data()), *n);
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", random_bytes(8 * kMiB, 61))));
    auto rest = drain(**reader);
    ASSERT_TRUE(rest) << rest.error().info().name << ": " << rest.error().message();
    EXPECT_TRUE(SameBytes(got + *rest, old_body));
}

// Without verification nothing would notice freed blocks: a reader must
// never hand out bytes that are not the object's.
TEST(ObjectsUnverified, ReaderNeverReturnsBytesOfADeletedObject) {
    TestDir dir;
    EngineOptions o;
    o.verify_reads = false;
    auto e = open_engine(dir.path(), o);
    ASSERT_TRUE(e) << e.error().message();
    Engine& engine = **e;
    auto u = engine.create_user("u@example.com", false, false);
    ASSERT_TRUE(u) << u.error().message();
    ASSERT_TRUE(IsOk(engine.create_bucket("bkt", u->user.id)));
    const std::string body = random_bytes(8 * kMiB, 62);
    ASSERT_TRUE(IsOk(put(engine, "bkt", "k", body)));
    auto reader = engine.open_object("bkt", "k");
    ASSERT_TRUE(reader) << reader.error().message();
    std::vector<std::byte> first(64 * kKiB);
    auto n = (*reader)->read(first);
    ASSERT_TRUE(n) << n.error().message();
    std::string got(reinterpret_cast<const char*>(first.data()), *n);
    ASSERT_TRUE(IsOk(engine.delete_object("bkt", "k")));
    auto rest = drain(**reader);
    if (rest) {
        EXPECT_TRUE(SameBytes(got + *rest, body)) << "the reader returned bytes that are not the object's";
    } else {
        SUCCEED() << "refused with " << rest.error().info().name;
    }
}

// ---- Refusals ------------------------------------------------------------------------

TEST_F(Objects, UnknownBucketIsNoSuchBucket) {
    EXPECT_TRUE(FailsWith(put(engine(), "nobucket", "k", "v"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().begin_put("nobucket", "k"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().open_object("nobucket", "k"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().head_object("nobucket", "k"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().delete_object("nobucket", "k"), Errc::NoSuchBucket));
}

TEST_F(Objects, InvalidKeysRefused) {
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "", "v"), Errc::InvalidObjectName));
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", std::string(1025, 'k'), "v"), Errc::InvalidObjectName));
    EXPECT_TRUE(FailsWith(engine().begin_put("bkt", "bad\xff"), Errc::InvalidObjectName));
    EXPECT_TRUE(IsOk(put(engine(), "bkt", std::string(1024, 'k'), "v")));
}

TEST_F(Objects, CommitAfterBucketDeletedIsNoSuchBucket) {
    auto w = engine().begin_put("bkt", "late");
    ASSERT_TRUE(w) << w.error().message();
    ASSERT_TRUE(IsOk((*w)->write(as_bytes("late body"))));
    ASSERT_TRUE(IsOk(engine().delete_bucket("bkt")));
    EXPECT_TRUE(FailsWith((*w)->commit(), Errc::NoSuchBucket));
}

}  // namespace
}  // namespace ostor::test
