// Listing objects: byte order, prefix, delimiter, markers, paging, long keys.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

class Listing : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
    }
    void put_keys(const std::vector<std::string>& keys) {
        for (const auto& k : keys) ASSERT_TRUE(IsOk(put(engine(), "bkt", k, k.substr(0, 16)))) << k;
    }
    ListObjectsResult list(ListObjectsParams p) {
        auto r = engine().list_objects("bkt", p);
        EXPECT_TRUE(r) << r.error().message();
        return r ? std::move(*r) : ListObjectsResult{};
    }
    static std::vector<std::string> keys_of(const ListObjectsResult& r) {
        std::vector<std::string> out;
        for (const auto& o : r.objects) out.push_back(o.key);
        return out;
    }
    using Keys = std::vector<std::string>;
};

TEST_F(Listing, KeysComeInByteOrder) {
    Keys keys = {"b", "a", "B", "A", "a/b", "a0", "ab", "~", "-", "\xc3\xa9t\xc3\xa9", "\x7f", "a b", "Z", "0", "aa"};
    put_keys(keys);
    Keys expected = keys;
    std::sort(expected.begin(), expected.end());  // std::string orders by unsigned bytes
    auto r = list({});
    EXPECT_EQ(keys_of(r), expected);
    EXPECT_FALSE(r.truncated);
    EXPECT_TRUE(r.common_prefixes.empty());
    for (const auto& o : r.objects) {
        EXPECT_EQ(o.bucket, "bkt");
        EXPECT_EQ(o.size, std::min<std::size_t>(o.key.size(), 16));
        EXPECT_EQ(o.etag, md5_hex(o.key.substr(0, 16)));
    }
}

TEST_F(Listing, PrefixSelectsMatchingKeysOnly) {
    put_keys({"photo", "photos/2020/a", "photos/2021/b", "photos/", "photosynthesis", "video/x", "p"});
    ListObjectsParams p;
    p.prefix = "photos/";
    EXPECT_EQ(keys_of(list(p)), (Keys{"photos/", "photos/2020/a", "photos/2021/b"}));
    p.prefix = "photo";
    EXPECT_EQ(keys_of(list(p)), (Keys{"photo", "photos/", "photos/2020/a", "photos/2021/b", "photosynthesis"}));
    p.prefix = "nothing";
    EXPECT_TRUE(keys_of(list(p)).empty());
}

TEST_F(Listing, DelimiterGroupsCommonPrefixesOnceInOrder) {
    put_keys({"a/1", "a/2", "a/deep/3", "b", "c/x/y", "c/z", "d", "e/"});
    ListObjectsParams p;
    p.delimiter = "/";
    auto r = list(p);
    EXPECT_EQ(keys_of(r), (Keys{"b", "d"}));
    EXPECT_EQ(r.common_prefixes, (Keys{"a/", "c/", "e/"}));
    EXPECT_FALSE(r.truncated);

    p.prefix = "c/";
    r = list(p);
    EXPECT_EQ(keys_of(r), (Keys{"c/z"}));
    EXPECT_EQ(r.common_prefixes, (Keys{"c/x/"}));

    p.prefix = "a/";
    r = list(p);
    EXPECT_EQ(keys_of(r), (Keys{"a/1", "a/2"}));
    EXPECT_EQ(r.common_prefixes, (Keys{"a/deep/"}));
}

TEST_F(Listing, MultiCharacterDelimiter) {
    put_keys({"x--1--a", "x--1--b", "x--2", "y"});
    ListObjectsParams p;
    p.delimiter = "--";
    auto r = list(p);
    EXPECT_EQ(keys_of(r), (Keys{"y"}));
    EXPECT_EQ(r.common_prefixes, (Keys{"x--"}));
    p.prefix = "x--";
    r = list(p);
    EXPECT_EQ(keys_of(r), (Keys{"x--2"}));
    EXPECT_EQ(r.common_prefixes, (Keys{"x--1--"}));
}

TEST_F(Listing, MarkerListsStrictlyAfter) {
    put_keys({"a", "b", "c", "d"});
    ListObjectsParams p;
    p.marker = "b";
    EXPECT_EQ(keys_of(list(p)), (Keys{"c", "d"}));
    p.marker = "b0";  // not a key
    EXPECT_EQ(keys_of(list(p)), (Keys{"c", "d"}));
    p.marker = "";
    EXPECT_EQ(keys_of(list(p)), (Keys{"a", "b", "c", "d"}));
    p.marker = "d";
    auto r = list(p);
    EXPECT_TRUE(r.objects.empty());
    EXPECT_FALSE(r.truncated);
}

TEST_F(Listing, MaxKeysTruncatesWithNextMarker) {
    Keys keys;
    for (int i = 0; i < 10; ++i) keys.push_back("k" + std::to_string(i));
    put_keys(keys);
    ListObjectsParams p;
    p.max_keys = 3;
    auto r = list(p);
    EXPECT_EQ(keys_of(r), (Keys{"k0", "k1", "k2"}));
    EXPECT_TRUE(r.truncated);
    EXPECT_EQ(r.next_marker, "k2");
    p.marker = r.next_marker;
    p.max_keys = 7;
    r = list(p);
    EXPECT_EQ(keys_of(r), (Keys{"k3", "k4", "k5", "k6", "k7", "k8", "k9"}));
    EXPECT_FALSE(r.truncated);
}

TEST_F(Listing, MaxKeysZeroReturnsNothing) {
    put_keys({"a", "b/c"});
    ListObjectsParams p;
    p.max_keys = 0;
    p.delimiter = "/";
    auto r = engine().list_objects("bkt", p);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->objects.empty());
    EXPECT_TRUE(r->common_prefixes.empty());
}

TEST_F(Listing, PagingThrough2500KeysReturnsEachOnceInOrder) {
    Keys keys;
    for (int i = 0; i < 2500; ++i) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "obj/%05d", (i * 7919) % 2500);  // a permutation
        keys.push_back(buf);
    }
    // Put from several threads: the engine batches their commits.
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (std::size_t i = t; i < keys.size(); i += 4)
                if (!put(engine(), "bkt", keys[i], "")) ++failures;
        });
    for (auto& th : threads) th.join();
    ASSERT_EQ(failures.load(), 0);

    Keys expected = keys;
    std::sort(expected.begin(), expected.end());
    Keys seen;
    ListObjectsParams p;
    int pages = 0;
    for (;;) {
        auto r = engine().list_objects("bkt", p);
        ASSERT_TRUE(r) << r.error().message();
        ++pages;
        ASSERT_LE(r->objects.size(), 1000u);
        for (const auto& o : r->objects) seen.push_back(o.key);
        if (!r->truncated) break;
        ASSERT_EQ(r->next_marker, r->objects.back().key);
        p.marker = r->next_marker;
        ASSERT_LT(pages, 10) << "paging does not end";
    }
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(seen.size(), expected.size());
    EXPECT_TRUE(seen == expected);
    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->objects, 2500u);
}

TEST_F(Listing, PagingWithDelimiterReturnsEachPrefixOnce) {
    put_keys({"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/bla", "cquux/thud", "d1", "e/1", "e/2", "f"});
    ListObjectsParams p;
    p.delimiter = "/";
    p.max_keys = 1;
    Keys seen;  // keys and prefixes, in the order returned
    for (int pages = 0;; ++pages) {
        ASSERT_LT(pages, 20) << "paging does not end";
        auto r = engine().list_objects("bkt", p);
        ASSERT_TRUE(r) << r.error().message();
        ASSERT_LE(r->objects.size() + r->common_prefixes.size(), 1u);
        for (const auto& o : r->objects) seen.push_back(o.key);
        for (const auto& c : r->common_prefixes) seen.push_back(c);
        if (!r->truncated) break;
        p.marker = r->next_marker;
    }
    EXPECT_EQ(seen, (Keys{"asdf", "boo/", "cquux/", "d1", "e/", "f"}));
}

TEST_F(Listing, DelimiterWithMarkerInsideACommonPrefix) {
    put_keys({"a/1", "a/2", "a/3", "b/1", "b/2", "c"});
    ListObjectsParams p;
    p.delimiter = "/";
    p.marker = "a/2";
    auto r = list(p);
    // Nothing at or before the marker, "a/3" still rolled up under the
    // delimiter (S3 implementations differ on whether "a/" is repeated).
    EXPECT_EQ(keys_of(r), (Keys{"c"}));
    Keys prefixes = r.common_prefixes;
    if (!prefixes.empty() && prefixes.front() == "a/") prefixes.erase(prefixes.begin());
    EXPECT_EQ(prefixes, (Keys{"b/"}));
    // A marker equal to a common prefix skips the whole prefix.
    p.marker = "a/";
    r = list(p);
    EXPECT_EQ(keys_of(r), (Keys{"c"}));
    EXPECT_EQ(r.common_prefixes, (Keys{"b/"}));
}

TEST_F(Listing, LongKeysStoreListAndSortCorrectly) {
    const std::string common(1000, 'x');
    Keys keys = {
        "x",
        "xa",
        "y",
        std::string(501, 'x'),
        std::string(800, 'x') + "b",
        common + "a",  // differ from the next only after 1000 bytes
        common + "b",
        common + std::string(24, 'z'),    // 1024 bytes
        std::string(1023, 'x') + "a",     // 1024 bytes
        std::string(600, 'w') + "/tail",  // long prefix, delimiter late
    };
    ASSERT_EQ(keys[7].size(), 1024u);
    ASSERT_EQ(keys[8].size(), 1024u);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        ASSERT_TRUE(IsOk(put(engine(), "bkt", keys[i], "body-" + std::to_string(i)))) << i;
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(body_of(engine(), "bkt", keys[i]), "body-" + std::to_string(i));
        auto head = engine().head_object("bkt", keys[i]);
        ASSERT_TRUE(head) << head.error().message();
        EXPECT_EQ(head->key, keys[i]);
    }
    Keys expected = keys;
    std::sort(expected.begin(), expected.end());
    EXPECT_TRUE(keys_of(list({})) == expected);

    // Prefix and marker that are themselves longer than 500 bytes.
    ListObjectsParams p;
    p.prefix = common;
    Keys with_common;
    for (const auto& k : expected)
        if (k.compare(0, common.size(), common) == 0) with_common.push_back(k);
    EXPECT_TRUE(keys_of(list(p)) == with_common);
    p.prefix.clear();
    p.marker = common + "a";
    auto after = keys_of(list(p));
    Keys expected_after(std::upper_bound(expected.begin(), expected.end(), p.marker), expected.end());
    EXPECT_TRUE(after == expected_after);
    // A delimiter found past 500 bytes.
    ListObjectsParams d;
    d.delimiter = "/";
    d.prefix = "w";
    auto r = list(d);
    EXPECT_EQ(r.common_prefixes, (Keys{std::string(600, 'w') + "/"}));

    // Deleting one of two keys that share 1000 bytes leaves the other.
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", common + "a")));
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", common + "a"), Errc::NoSuchKey));
    EXPECT_EQ(body_of(engine(), "bkt", common + "b"), "body-6");
}

}  // namespace
}  // namespace ostor::test
