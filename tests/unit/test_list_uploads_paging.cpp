// ListMultipartUploads paged through many uploads: every page continues
// exactly where the last one stopped (S3's key-marker / upload-id-marker),
// in S3's order (key, then the order the uploads were begun), with common
// prefixes under a delimiter listed once each; the pages together are the
// whole listing.
#include <algorithm>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

constexpr int kCreatorThreads = 16;
// More pages than any client would fetch for this listing: a guard against
// markers that never advance.
constexpr int kMaxPages = 5000;

// One entry of a listing: an upload ("U" + id) or a common prefix ("P" + it).
using Entry = std::string;

class ListUploadsPaging : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }

    // Begins `count` uploads of each key, from several threads at once (so
    // that uploads of one key are begun in the same millisecond too).
    void create(const std::vector<std::string>& keys, int count) {
        std::vector<std::vector<Upload>> made(kCreatorThreads);
        std::vector<std::thread> threads;
        for (int t = 0; t < kCreatorThreads; ++t)
            threads.emplace_back([&, t] {
                for (std::size_t i = t; i < keys.size() * count; i += kCreatorThreads) {
                    auto u = engine().create_upload("bkt", keys[i % keys.size()]);
                    if (u) made[t].push_back(std::move(*u));
                }
            });
        for (auto& th : threads) th.join();
        for (auto& m : made) uploads_.insert(uploads_.end(), m.begin(), m.end());
        ASSERT_EQ(uploads_.size(), keys.size() * count) << "some create_upload calls failed";
        std::sort(uploads_.begin(), uploads_.end(), [](const Upload& a, const Upload& b) {
            return std::tie(a.key, a.initiated_ms, a.id) < std::tie(b.key, b.initiated_ms, b.id);
        });
    }

    // What one listing of everything must hold: S3's order, uploads under a
    // common prefix folded into it once.
    std::vector<Entry> expected(const std::string& prefix, const std::string& delimiter) const {
        std::vector<Entry> out;
        std::string last_common;
        for (const Upload& u : uploads_) {
            if (u.key.compare(0, prefix.size(), prefix) != 0) continue;
            std::string common;
            if (!delimiter.empty()) {
                auto pos = u.key.find(delimiter, prefix.size());
                if (pos != std::string::npos) common = u.key.substr(0, pos + delimiter.size());
            }
            if (common.empty())
                out.push_back("U" + u.id);
            else if (common != last_common)
                out.push_back("P" + (last_common = common));
        }
        return out;
    }

    // Every page of a listing, each following the markers the last returned.
    std::vector<Entry> page_through(ListUploadsParams params) {
        std::vector<Entry> out;
        for (int page = 0; page < kMaxPages; ++page) {
            auto r = engine().list_uploads("bkt", params);
            EXPECT_TRUE(r) << r.error().message();
            if (!r) return out;
            EXPECT_LE(r->uploads.size() + r->common_prefixes.size(), params.max_uploads);
            // Uploads and prefixes interleave in key order.
            std::vector<std::pair<std::string, Entry>> page_entries;
            for (auto& u : r->uploads) page_entries.emplace_back(u.key, "U" + u.id);
            for (auto& p : r->common_prefixes) page_entries.emplace_back(p, "P" + p);
            std::stable_sort(page_entries.begin(), page_entries.end(),
                             [](auto& a, auto& b) { return a.first < b.first; });
            for (auto& [key, e] : page_entries) out.push_back(e);
            if (!r->truncated) return out;
            EXPECT_FALSE(r->next_key_marker.empty()) << "a truncated page must say where to go on";
            params.key_marker = r->next_key_marker;
            params.upload_id_marker = r->next_upload_id_marker;
        }
        ADD_FAILURE() << "still truncated after " << kMaxPages << " pages: the markers do not advance";
        return out;
    }

    std::vector<Upload> uploads_;  // in S3's order
};

std::vector<std::string> mixed_keys() {
    std::vector<std::string> keys;
    for (int i = 0; i < 30; ++i) {
        std::string dir = i % 3 == 0 ? "" : "dir" + std::to_string(i % 4) + "/";
        keys.push_back(dir + "k" + std::to_string(i));
    }
    // Keys too long to be held whole in the index share its 400-byte head.
    const std::string head(420, 'L');
    for (const char* tail : {"c", "a", "b"}) keys.push_back(head + tail);
    keys.push_back("dir1/" + head + "z");
    keys.push_back("dir1/" + head + "y");
    return keys;
}

TEST_F(ListUploadsPaging, PagesTogetherAreTheWholeSortedListing) {
    ASSERT_NO_FATAL_FAILURE(create(mixed_keys(), 12));
    for (std::uint32_t max : {1u, 7u, 100u, 1000u}) {
        SCOPED_TRACE("max_uploads " + std::to_string(max));
        ListUploadsParams p;
        p.max_uploads = max;
        EXPECT_EQ(page_through(p), expected("", ""));
        p.prefix = "dir1/";
        EXPECT_EQ(page_through(p), expected("dir1/", ""));
        p.prefix = std::string(420, 'L');
        EXPECT_EQ(page_through(p), expected(p.prefix, ""));
    }
}

TEST_F(ListUploadsPaging, CommonPrefixesAreListedOnceAcrossPages) {
    ASSERT_NO_FATAL_FAILURE(create(mixed_keys(), 5));
    for (std::uint32_t max : {1u, 2u, 5u, 1000u}) {
        SCOPED_TRACE("max_uploads " + std::to_string(max));
        ListUploadsParams p;
        p.max_uploads = max;
        p.delimiter = "/";
        EXPECT_EQ(page_through(p), expected("", "/"));
        p.prefix = "dir";
        EXPECT_EQ(page_through(p), expected("dir", "/"));
        p.prefix = "dir1/";
        EXPECT_EQ(page_through(p), expected("dir1/", "/"));
    }
}

TEST_F(ListUploadsPaging, KeyMarkerAloneStartsAfterEveryUploadOfThatKey) {
    ASSERT_NO_FATAL_FAILURE(create({"a", "b", "b/c", "c"}, 3));
    ListUploadsParams p;
    p.key_marker = "b";
    auto r = engine().list_uploads("bkt", p);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->uploads.size(), 6u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(r->uploads[i].key, "b/c");
    for (int i = 3; i < 6; ++i) EXPECT_EQ(r->uploads[i].key, "c");
    // An upload-id marker without a key marker means nothing (S3).
    ListUploadsParams only_id;
    only_id.upload_id_marker = uploads_[4].id;
    auto all = engine().list_uploads("bkt", only_id);
    ASSERT_TRUE(all) << all.error().message();
    EXPECT_EQ(all->uploads.size(), 12u);
}

TEST_F(ListUploadsPaging, MarkerUploadCompletedOrAbortedMeanwhileLosesNothing) {
    ASSERT_NO_FATAL_FAILURE(create({"a", "b", "c"}, 4));
    ListUploadsParams p;
    p.max_uploads = 6;  // ends on the second upload of "b"
    auto first = engine().list_uploads("bkt", p);
    ASSERT_TRUE(first) << first.error().message();
    ASSERT_TRUE(first->truncated);
    EXPECT_EQ(first->next_key_marker, "b");
    EXPECT_EQ(first->next_upload_id_marker, uploads_[5].id);
    ASSERT_TRUE(IsOk(engine().abort_upload(uploads_[5].id)));

    p.key_marker = first->next_key_marker;
    p.upload_id_marker = first->next_upload_id_marker;
    p.max_uploads = 1000;
    auto rest = engine().list_uploads("bkt", p);
    ASSERT_TRUE(rest) << rest.error().message();
    std::vector<std::string> got, want;
    for (auto& u : rest->uploads) got.push_back(u.id);
    for (std::size_t i = 6; i < uploads_.size(); ++i) want.push_back(uploads_[i].id);
    EXPECT_EQ(got, want) << "the rest of \"b\" and all of \"c\"";
}

// S3 keys may hold NUL, which also ends a key in the upload index ("K\0" +
// time + id): the uploads of K\0... keys interleave with K's there by the
// bytes of their times. Listings still give S3's order, and a key marker K
// skips only K's own uploads.
std::vector<std::string> keys_with_nul() {
    using namespace std::string_literals;
    const std::string long_head(420, 'N');
    return {"J"s,      "K"s,     "K\0"s, "K\0\0"s,           "K\0\0\x01"s,     "K\0b"s,
            "K\0b\0"s, "K\x01"s, "L"s,   long_head + "\0a"s, long_head + "b"s, "K\0"s + long_head};
}

TEST_F(ListUploadsPaging, KeysHoldingNulAreListedInOrderAndNoneIsSkipped) {
    ASSERT_NO_FATAL_FAILURE(create(keys_with_nul(), 3));
    for (std::uint32_t max : {1u, 2u, 4u, 1000u}) {
        SCOPED_TRACE("max_uploads " + std::to_string(max));
        ListUploadsParams p;
        p.max_uploads = max;
        EXPECT_EQ(page_through(p), expected("", ""));
        p.prefix = std::string("K\0", 2);
        EXPECT_EQ(page_through(p), expected(p.prefix, ""));
    }
}

TEST_F(ListUploadsPaging, KeyMarkerSkipsOnlyUploadsOfThatKeyWhenOthersExtendItWithNul) {
    ASSERT_NO_FATAL_FAILURE(create(keys_with_nul(), 2));
    for (std::string marker : {std::string("K"), std::string("K\0", 2), std::string("K\0\0", 3)}) {
        SCOPED_TRACE("key marker of " + std::to_string(marker.size()) + " bytes");
        ListUploadsParams p;
        p.key_marker = marker;
        auto r = engine().list_uploads("bkt", p);
        ASSERT_TRUE(r) << r.error().message();
        std::vector<std::string> got, want;
        for (auto& u : r->uploads) got.push_back(u.id);
        for (auto& u : uploads_)
            if (u.key > marker) want.push_back(u.id);
        EXPECT_EQ(got, want);
    }
}

}  // namespace
}  // namespace ostor::test
