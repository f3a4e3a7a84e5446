// ListObjectVersions (docs/versioning.md, "Reads and listings"): keys in byte
// order, each key's versions newest first with the latest marked, delete
// markers in their place, the null version where it is, prefix, delimiter,
// max-keys counting versions and common prefixes, and markers that resume a
// page after a version even when it was removed meanwhile. Versioned buckets
// are local only until RADOS versioning is built; unversioned ones list their
// objects as null versions on both backends.
#include <algorithm>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "local/version_index.hpp"
#include "test_dir.hpp"

namespace ostor::test {
namespace {

// What a listing says of one version, comparable as a whole.
struct Listed {
    std::string key;
    std::string version_id;
    bool delete_marker = false;
    bool is_latest = false;
    bool operator==(const Listed&) const = default;
};

void PrintTo(const Listed& l, std::ostream* os) {
    std::string key;
    for (char c : l.key) key += c == '\0' ? std::string("\\0") : std::string(1, c);
    if (key.size() > 24) key = key.substr(0, 10) + "..." + key.substr(key.size() - 10);
    *os << "{" << key << " " << l.version_id << (l.delete_marker ? " marker" : "") << (l.is_latest ? " latest" : "")
        << "}";
}

// A whole listing, page by page: its versions and common prefixes in order.
struct Paged {
    std::vector<Listed> versions;
    std::vector<std::string> prefixes;
    std::size_t pages = 0;
};

class ListVersions : public VersionedBucketTest {
protected:
    // The model: each key's versions, newest first.
    void put_version(const std::string& key) {
        auto r = put(engine(), "bkt", key, "v" + std::to_string(model_[key].size()));
        ASSERT_TRUE(r) << r.error().message();
        const std::string id = r->version_id.empty() ? "null" : r->version_id;
        auto& versions = model_[key];
        // A write of the null version replaces the old null version.
        std::erase_if(versions, [&](const Listed& l) { return l.version_id == "null" && id == "null"; });
        versions.insert(versions.begin(), Listed{key, id, false, false});
    }
    void mark_deleted(const std::string& key) {
        auto r = engine().delete_object("bkt", key, DeleteOptions{});
        ASSERT_TRUE(r) << r.error().message();
        ASSERT_TRUE(r->delete_marker);
        auto& versions = model_[key];
        std::erase_if(versions, [&](const Listed& l) { return l.version_id == "null" && r->version_id == "null"; });
        versions.insert(versions.begin(), Listed{key, r->version_id, true, false});
    }
    void remove_version(const std::string& key, const std::string& version_id) {
        DeleteOptions by_id;
        by_id.version_id = version_id;
        ASSERT_TRUE(IsOk(engine().delete_object("bkt", key, by_id)));
        std::erase_if(model_[key], [&](const Listed& l) { return l.version_id == version_id; });
    }
    std::vector<Listed> expected(std::string_view prefix = {}) const {
        std::vector<Listed> out;
        for (const auto& [key, versions] : model_) {  // std::map: keys in unsigned byte order
            if (!key.starts_with(prefix)) continue;
            for (std::size_t i = 0; i < versions.size(); ++i) {
                out.push_back(versions[i]);
                out.back().is_latest = i == 0;
            }
        }
        return out;
    }

    ListVersionsResult list(const ListVersionsParams& p) {
        auto r = engine().list_object_versions("bkt", p);
        EXPECT_TRUE(r) << r.error().message();
        return r ? std::move(*r) : ListVersionsResult{};
    }
    static std::vector<Listed> listed(const ListVersionsResult& r) {
        std::vector<Listed> out;
        for (const auto& v : r.versions) out.push_back(Listed{v.key, v.version_id, v.delete_marker, v.is_latest});
        return out;
    }
    // Every page of a listing, each resumed at the markers the page before
    // returned; every page but the last full.
    Paged all_pages(ListVersionsParams p) {
        Paged out;
        for (;;) {
            auto page = list(p);
            ++out.pages;
            const auto got = listed(page);
            out.versions.insert(out.versions.end(), got.begin(), got.end());
            out.prefixes.insert(out.prefixes.end(), page.common_prefixes.begin(), page.common_prefixes.end());
            const std::size_t count = got.size() + page.common_prefixes.size();
            EXPECT_LE(count, p.max_keys);
            if (!page.truncated) {
                EXPECT_TRUE(page.next_key_marker.empty());
                EXPECT_TRUE(page.next_version_id_marker.empty());
                return out;
            }
            EXPECT_EQ(count, p.max_keys);
            if (count == 0 || out.pages > 1000) {
                ADD_FAILURE() << "a truncated page moved nowhere";
                return out;
            }
            p.key_marker = page.next_key_marker;
            p.version_id_marker = page.next_version_id_marker;
        }
    }
    // The same listing at every max-keys from 1 to one above its length.
    void expect_every_page_size(const ListVersionsParams& base, const std::vector<Listed>& versions,
                                const std::vector<std::string>& prefixes = {}) {
        const std::size_t total = versions.size() + prefixes.size();
        for (std::uint32_t max = 1; max <= total + 1; ++max) {
            ListVersionsParams p = base;
            p.max_keys = max;
            auto got = all_pages(p);
            EXPECT_EQ(got.versions, versions) << "max-keys " << max;
            EXPECT_EQ(got.prefixes, prefixes) << "max-keys " << max;
            EXPECT_EQ(got.pages, std::max<std::size_t>(1, (total + max - 1) / max)) << "max-keys " << max;
        }
    }
    // Keys that extend another with a NUL, and long keys sharing the heads
    // the indexes cut (the Objects index at 400 bytes, Versions at 380
    // escaped, also right after the "\0" of an escaped NUL).
    static std::vector<std::string> awkward_keys() {
        const std::string shared_head(900, 'h');
        const std::string cut_at_nul(detail::kVersionKeyHeadBytes - 1, 'p');
        return {"a",
                std::string("a\0", 2),
                std::string("a\0b", 3),
                std::string("a\0\0", 3),
                "a/b",
                "ab",
                shared_head + "2",
                shared_head + "1",
                shared_head,
                cut_at_nul,
                cut_at_nul + std::string("\0x", 2),
                cut_at_nul + "q",
                "z"};
    }

    std::map<std::string, std::vector<Listed>> model_;
};

TEST_F(ListVersions, UnversionedObjectsListAsNullVersions) {
    for (const auto& key : awkward_keys()) put_version(key);
    const auto all = expected();
    auto r = list({});
    EXPECT_EQ(listed(r), all);
    EXPECT_FALSE(r.truncated);
    ASSERT_EQ(r.versions.size(), all.size());
    for (const auto& v : r.versions) {
        EXPECT_EQ(v.bucket, "bkt");
        EXPECT_EQ(v.size, 2u);
        EXPECT_EQ(v.etag, md5_hex("v0"));
        EXPECT_GT(v.last_modified_ms, 0);
    }
    expect_every_page_size({}, all);
    // A null version id marker resumes after the key (its only version).
    ListVersionsParams p;
    p.key_marker = "a/b";
    p.version_id_marker = "null";
    auto after = list(p);
    ASSERT_FALSE(after.versions.empty());
    EXPECT_EQ(after.versions[0].key, "ab");
    p.version_id_marker.clear();
    EXPECT_EQ(listed(list(p)), listed(after));
}

TEST_F(ListVersions, PrefixAndDelimiterOfNullVersions) {
    for (const std::string key : {"photo", "photos/2020/a", "photos/2020/b", "photos/2021/c", "photos/x", "video/y"})
        put_version(key);
    auto only = [&](std::vector<std::string> keys) {
        std::vector<Listed> out;
        for (auto& k : keys) out.push_back(Listed{k, "null", false, true});
        return out;
    };
    ListVersionsParams p;
    p.delimiter = "/";
    expect_every_page_size(p, only({"photo"}), {"photos/", "video/"});
    p.prefix = "photos/";
    expect_every_page_size(p, only({"photos/x"}), {"photos/2020/", "photos/2021/"});
    p.delimiter.clear();
    expect_every_page_size(p, expected("photos/"));
    // A key marker inside a common prefix passes the whole group.
    p.prefix.clear();
    p.delimiter = "/";
    p.key_marker = "photos/2020/a";
    p.max_keys = 1000;
    auto r = list(p);
    EXPECT_EQ(listed(r), std::vector<Listed>{});
    EXPECT_EQ(r.common_prefixes, (std::vector<std::string>{"video/"}));
}

TEST_F(ListVersions, RefusesAVersionIdMarkerWithoutKeyMarkerOrMalformed) {
    put_version("k");
    ListVersionsParams p;
    p.version_id_marker = "null";
    auto r = engine().list_object_versions("bkt", p);
    ASSERT_TRUE(FailsWith(r, Errc::InvalidArgument));
    EXPECT_EQ(r.error().message(), "A version-id marker cannot be specified without a key marker.");
    p.key_marker = "k";
    p.version_id_marker = "not-a-version";
    EXPECT_TRUE(FailsWith(engine().list_object_versions("bkt", p), Errc::InvalidArgument));
    p.version_id_marker = "FFFFFFFFFFFFFFFF00000000";  // ids are lowercase
    EXPECT_TRUE(FailsWith(engine().list_object_versions("bkt", p), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(engine().list_object_versions("nobucket", {}), Errc::NoSuchBucket));
    p.max_keys = 0;
    p.version_id_marker.clear();
    auto none = list(p);
    EXPECT_TRUE(none.versions.empty());
    EXPECT_FALSE(none.truncated);
}

// Versions, markers and null versions of awkward keys, in order at every
// page size.
TEST_F(ListVersions, PagesAtEveryMaxKeysThroughVersionsOfAwkwardKeys) {
    const auto keys = awkward_keys();
    // Some keys start with a null version written unversioned.
    for (std::size_t i = 0; i < keys.size(); i += 2) put_version(keys[i]);
    enable();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        put_version(keys[i]);
        if (i % 3 == 0) put_version(keys[i]);
        if (i % 4 == 1) mark_deleted(keys[i]);  // the latest is a marker
        if (i % 5 == 2) {
            mark_deleted(keys[i]);
            put_version(keys[i]);  // a marker among the versions
        }
    }
    // A null version written while suspended, newer than the key's versions.
    suspend();
    put_version("z");
    const auto all = expected();
    auto r = list({});
    EXPECT_EQ(listed(r), all);
    for (const auto& v : r.versions) {
        if (v.delete_marker) {
            EXPECT_EQ(v.size, 0u);
        } else {
            EXPECT_EQ(v.size, 2u);
        }
    }
    expect_every_page_size({}, all);
    ListVersionsParams p;
    p.prefix = std::string("a\0", 2);
    expect_every_page_size(p, expected(p.prefix));
    p.prefix = std::string(900, 'h');
    expect_every_page_size(p, expected(p.prefix));
    reopen();
    EXPECT_EQ(listed(list({})), all);
}

TEST_F(ListVersions, DelimiterCountsAGroupOnceWhateverItsVersions) {
    enable();
    for (int i = 0; i < 3; ++i) put_version("d/a");
    put_version("d/b");
    mark_deleted("d/b");
    put_version("e");
    put_version("e");
    ListVersionsParams p;
    p.delimiter = "/";
    expect_every_page_size(p, expected("e"), {"d/"});
    p.prefix = "d/";
    expect_every_page_size(p, expected("d/"));
}

// A version-id-marker resumes after the version it names, by its place in
// the key's history, also once that version is gone.
TEST_F(ListVersions, VersionIdMarkerOfARemovedVersionResumesAfterIt) {
    enable();
    for (int i = 0; i < 4; ++i) put_version("k");
    put_version("l");
    const auto before = expected();  // k: v3 v2 v1 v0, l: v0
    ListVersionsParams p;
    p.max_keys = 2;
    auto first = list(p);
    ASSERT_TRUE(first.truncated);
    EXPECT_EQ(listed(first), std::vector<Listed>(before.begin(), before.begin() + 2));
    EXPECT_EQ(first.next_key_marker, "k");
    EXPECT_EQ(first.next_version_id_marker, before[1].version_id);
    remove_version("k", before[1].version_id);
    p.key_marker = first.next_key_marker;
    p.version_id_marker = first.next_version_id_marker;
    p.max_keys = 1000;
    EXPECT_EQ(listed(list(p)), std::vector<Listed>(before.begin() + 2, before.end()));
}

// The newest version removed after a page ended on it: the next newer one is
// now the latest (a current again) and lists so, not skipped.
TEST_F(ListVersions, VersionIdMarkerOfARemovedLatestListsThePromotedOne) {
    enable();
    put_version("k");
    mark_deleted("k");
    put_version("m");
    ListVersionsParams p;
    p.max_keys = 1;
    auto first = list(p);
    ASSERT_EQ(first.versions.size(), 1u);
    EXPECT_TRUE(first.versions[0].delete_marker);
    EXPECT_TRUE(first.versions[0].is_latest);
    remove_version("k", first.next_version_id_marker);
    p.key_marker = first.next_key_marker;
    p.version_id_marker = first.next_version_id_marker;
    p.max_keys = 1000;
    EXPECT_EQ(listed(list(p)), expected());  // k's object, now latest, then m
    // Resuming after a marker still there: the older versions, none latest.
    put_version("m");
    mark_deleted("m");
    const auto now = expected();
    ASSERT_EQ(now.size(), 4u);  // k v0, m marker, m v1, m v0
    p.key_marker = "m";
    p.version_id_marker = now[1].version_id;
    EXPECT_EQ(listed(list(p)), std::vector<Listed>(now.begin() + 2, now.end()));
}

// "null" as a version-id-marker names the null version wherever it is: the
// current, a noncurrent version, or gone.
TEST_F(ListVersions, NullVersionIdMarkerResumesWhereTheNullVersionIs) {
    put_version("k");  // null, then two versions above it
    enable();
    put_version("k");
    put_version("k");
    put_version("n");
    suspend();
    put_version("n");  // the null version is n's current
    put_version("z");
    const auto all = expected();  // k: v2 v1 null, n: null v0, z: null
    ASSERT_EQ(all.size(), 6u);
    ASSERT_EQ(all[2].version_id, "null");
    ASSERT_EQ(all[3].version_id, "null");
    ListVersionsParams p;
    p.key_marker = "k";
    p.version_id_marker = "null";
    EXPECT_EQ(listed(list(p)), std::vector<Listed>(all.begin() + 3, all.end()));
    p.key_marker = "n";
    EXPECT_EQ(listed(list(p)), std::vector<Listed>(all.begin() + 4, all.end()));
    // k's null version gone: where it was is unknown, so k's versions are
    // listed again from its current rather than any skipped.
    remove_version("k", "null");
    p.key_marker = "k";
    EXPECT_EQ(listed(list(p)), expected());
    expect_every_page_size({}, expected());
}

}  // namespace
}  // namespace ostor::test
