// The stored form of ACLs (gateway-lite/acl.hpp): values stored before the
// "listed-only" line read as they did (the owner's FULL_CONTROL implied), a
// policy without the owner's FULL_CONTROL keeps the owner out, the
// bucket-owner-* canned ACLs, and the order grants are listed in (Ceph RGW's).
#include <gtest/gtest.h>

#include <string>

#include "acl.hpp"

namespace ostor::gw {
namespace {

constexpr const char* kAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";

// The grantees and permissions of an AccessControlPolicy document, in order.
std::string listed(const std::string& xml) {
    std::string out;
    for (std::size_t at = 0; (at = xml.find("<Grant>", at)) != std::string::npos; ++at) {
        auto end = xml.find("</Grant>", at);
        auto grant = xml.substr(at, end - at);
        auto field = [&](const std::string& tag) {
            auto b = grant.find("<" + tag + ">");
            if (b == std::string::npos) return std::string();
            b += tag.size() + 2;
            return grant.substr(b, grant.find("</" + tag + ">", b) - b);
        };
        auto who = field("ID");
        if (who.empty()) who = field("URI") == kAllUsers ? "AllUsers" : "AuthenticatedUsers";
        out += who + " " + field("Permission") + "\n";
    }
    return out;
}

TEST(Acl, OldValuesImplyTheOwnersFullControl) {
    for (const char* stored : {"", "group:AllUsers READ\n", "owner:w OWNER\nid:b READ\n"}) {
        EXPECT_TRUE(acl_grants_owner(stored)) << stored;
        EXPECT_TRUE(acl_owner_allows(stored, "o", Permission::Write)) << stored;
    }
    EXPECT_EQ(listed(acl_to_xml("o", "owner", "")), "o FULL_CONTROL\n");
    // The owner's own FULL_CONTROL, stored by a read-and-put-back, listed once.
    EXPECT_EQ(listed(acl_to_xml("o", "owner", "id:o FULL_CONTROL\nid:u READ\n")), "o FULL_CONTROL\nu READ\n");
}

TEST(Acl, APolicyWithoutTheOwnersFullControlIsListedOnly) {
    EXPECT_EQ(encode_policy_acl({}, "o"), "listed-only\n");
    EXPECT_EQ(listed(acl_to_xml("o", "owner", encode_policy_acl({}, "o"))), "");
    std::vector<Grant> with_owner{{Grant::Kind::User, "o", Permission::FullControl}};
    EXPECT_EQ(encode_policy_acl(with_owner, "o"), encode_acl(with_owner));
    auto read_only = encode_policy_acl({{Grant::Kind::User, "o", Permission::Read}}, "o");
    EXPECT_FALSE(acl_grants_owner(read_only));
    EXPECT_EQ(listed(acl_to_xml("o", "owner", read_only)), "o READ\n");
    // The owner keeps READ_ACP and WRITE_ACP, and has what is listed.
    EXPECT_TRUE(acl_owner_allows(read_only, "o", Permission::ReadAcp));
    EXPECT_TRUE(acl_owner_allows(read_only, "o", Permission::WriteAcp));
    EXPECT_TRUE(acl_owner_allows(read_only, "o", Permission::Read));
    EXPECT_FALSE(acl_owner_allows(read_only, "o", Permission::Write));
    EXPECT_FALSE(acl_owner_allows("listed-only\n", "o", Permission::Read));
    // Kept when the object's writer is recorded.
    EXPECT_FALSE(acl_grants_owner(acl_with_object_owner("listed-only\n", "w")));
    EXPECT_EQ(acl_object_owner(acl_with_object_owner("listed-only\n", "w")), "w");
}

TEST(Acl, BucketOwnerCannedAcls) {
    auto read = canned_acl("bucket-owner-read", {"b", "w"});
    ASSERT_TRUE(read);
    ASSERT_EQ(read->size(), 1u);
    EXPECT_EQ((*read)[0].user_id, "b");
    EXPECT_EQ((*read)[0].permission, Permission::Read);
    auto full = canned_acl("bucket-owner-full-control", {"b", "w"});
    ASSERT_TRUE(full && full->size() == 1u);
    EXPECT_EQ((*full)[0].permission, Permission::FullControl);
    // The bucket owner's own object, and a bucket: private.
    EXPECT_EQ(canned_acl("bucket-owner-read", {"b", "b"})->size(), 0u);
    EXPECT_EQ(canned_acl("bucket-owner-full-control", {"", "b"})->size(), 0u);
}

// What the public access block and ACLs off (BucketOwnerEnforced) look at.
TEST(Acl, PublicAndOwnerOnlyAcls) {
    EXPECT_FALSE(acl_is_public(""));
    EXPECT_FALSE(acl_is_public("owner:w OWNER\nid:b FULL_CONTROL\n"));
    EXPECT_TRUE(acl_is_public("group:AllUsers READ\n"));
    EXPECT_TRUE(acl_is_public("id:u READ\ngroup:AuthenticatedUsers READ\n"));
    auto kept = without_public_grants(decode_acl("group:AllUsers READ\nid:u WRITE\n"));
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(kept[0].user_id, "u");
    // private, bucket-owner-full-control on the owner's object, or the
    // owner's FULL_CONTROL spelled out; nothing else.
    EXPECT_TRUE(acl_owner_only("", "o"));
    EXPECT_TRUE(acl_owner_only("id:o FULL_CONTROL\n", "o"));
    EXPECT_FALSE(acl_owner_only("id:u READ\n", "o"));
    EXPECT_FALSE(acl_owner_only("group:AllUsers READ\n", "o"));
    EXPECT_FALSE(acl_owner_only("listed-only\nid:o READ\n", "o"));
}

TEST(Acl, GroupsAreListedFirstThenUsersById) {
    // As Ceph RGW's grant map, keyed by the grantee's id (a group's empty),
    // lists them: each key's grants in the order stored, the owner's implied
    // FULL_CONTROL first of the owner's.
    auto stored = "id:v READ\ngroup:AllUsers READ\nid:u WRITE\ngroup:AuthenticatedUsers WRITE\nid:a READ\nid:u READ\n";
    EXPECT_EQ(listed(acl_to_xml("o", "owner", stored)),
              "AllUsers READ\nAuthenticatedUsers WRITE\na READ\no FULL_CONTROL\nu WRITE\nu READ\nv READ\n");
    EXPECT_EQ(listed(acl_to_xml("w", "owner", "id:w READ\nid:v WRITE\n")), "v WRITE\nw FULL_CONTROL\nw READ\n");
    auto listed_only = encode_policy_acl(
        {{Grant::Kind::User, "w", Permission::Read}, {Grant::Kind::User, "b", Permission::WriteAcp}}, "w");
    EXPECT_EQ(listed(acl_to_xml("w", "owner", listed_only)), "b WRITE_ACP\nw READ\n");
}

}  // namespace
}  // namespace ostor::gw
