// The XML request bodies parsed as text (gateway-lite/s3/xml_bodies.hpp,
// acl_policy.hpp): what a handler gets from a valid body, and the S3 error a
// malformed one gets; and GetBucketAcl's document byte for byte.
#include <gtest/gtest.h>

#include <string>

#include "acl.hpp"
#include "acl_policy.hpp"
#include "s3/xml_bodies.hpp"

namespace ostor::gw {
namespace {

std::string error_code(const std::variant<s3::CompleteMultipartUploadRequest, S3Error>& parsed) {
    auto* e = std::get_if<S3Error>(&parsed);
    return e ? e->code : "";
}
std::string error_code(const std::variant<AccessControlPolicy, S3Error>& parsed) {
    auto* e = std::get_if<S3Error>(&parsed);
    return e ? e->code : "";
}

TEST(CompleteMultipartUpload, PartsInOrderWithUnquotedETagsAndFirstChecksums) {
    auto parsed = s3::parse_complete_multipart_upload(
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Part><PartNumber> 2 </PartNumber><ETag>\"bb\"</ETag><ChecksumCRC32> x== </ChecksumCRC32>"
        "<ChecksumCRC32>second</ChecksumCRC32></Part>"
        "<Part><ETag>aa</ETag><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>");
    ASSERT_EQ(error_code(parsed), "");
    const auto& parts = std::get<s3::CompleteMultipartUploadRequest>(parsed).parts;
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].part.number, 2u);
    EXPECT_EQ(parts[0].part.etag, "bb");
    EXPECT_EQ(parts[0].checksums.at("CRC32"), "x==");
    EXPECT_EQ(parts[1].part.number, 1u);
    EXPECT_EQ(parts[1].part.etag, "aa");
    EXPECT_TRUE(parts[1].checksums.empty());
}

TEST(CompleteMultipartUpload, MalformedBodiesAreMalformedXml) {
    for (const char* body :
         {"", "not xml", "<Other><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></Other>",
          "<CompleteMultipartUpload/>",
          "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
          "<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>a</ETag></Part>"
          "</CompleteMultipartUpload>",
          "<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>a</ETag></Part>"
          "</CompleteMultipartUpload>"})
        EXPECT_EQ(error_code(s3::parse_complete_multipart_upload(body)), "MalformedXML") << body;
}

TEST(DeleteObjects, KeysByteForByteWithTheirVersionIds) {
    auto parsed = s3::parse_delete_objects(
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
        "<Object><Key> spaced </Key><VersionId> 0123456789abcdef01234567 </VersionId></Object>"
        "<Object><Key>plain</Key></Object><Object><Key>nul</Key><VersionId>null</VersionId></Object></Delete>");
    auto* request = std::get_if<s3::DeleteObjectsRequest>(&parsed);
    ASSERT_NE(request, nullptr);
    EXPECT_TRUE(request->quiet);
    ASSERT_EQ(request->objects.size(), 3u);
    EXPECT_EQ(request->objects[0].key, " spaced ");
    EXPECT_EQ(request->objects[0].version_id, "0123456789abcdef01234567");
    EXPECT_EQ(request->objects[1].key, "plain");
    EXPECT_EQ(request->objects[1].version_id, "");
    EXPECT_EQ(request->objects[2].version_id, "null");
}

constexpr const char* kGrantee = "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=";

TEST(AccessControlPolicyBody, OwnerAndGrantsAsWritten) {
    std::string body = std::string("<AccessControlPolicy><Owner><ID> o </ID></Owner><AccessControlList>") + "<Grant>" +
                       kGrantee + "\"CanonicalUser\"><ID>u</ID></Grantee><Permission>READ</Permission></Grant>" +
                       "<Grant>" + kGrantee +
                       "\"AmazonCustomerByEmail\"><EmailAddress> a@b </EmailAddress></Grantee>"
                       "<Permission>WRITE_ACP</Permission></Grant>" +
                       "<Grant>" + kGrantee +
                       "\"Group\"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>"
                       "<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>";
    auto parsed = parse_access_control_policy(body);
    ASSERT_EQ(error_code(parsed), "");
    const auto& policy = std::get<AccessControlPolicy>(parsed);
    EXPECT_EQ(policy.owner_id, "o");
    ASSERT_EQ(policy.grants.size(), 3u);
    EXPECT_EQ(policy.grants[0].field, PolicyGrant::Field::Id);
    EXPECT_EQ(policy.grants[0].value, "u");
    EXPECT_EQ(policy.grants[0].permission, Permission::Read);
    EXPECT_EQ(policy.grants[1].field, PolicyGrant::Field::EmailAddress);
    EXPECT_EQ(policy.grants[1].value, "a@b");
    EXPECT_EQ(policy.grants[1].permission, Permission::WriteAcp);
    EXPECT_EQ(policy.grants[2].field, PolicyGrant::Field::Uri);
    EXPECT_EQ(policy.grants[2].permission, Permission::FullControl);
}

TEST(AccessControlPolicyBody, RgwsRefusals) {
    EXPECT_EQ(error_code(parse_access_control_policy("not xml")), "MalformedXML");
    for (std::string body :
         {std::string("<Other/>"), std::string("<AccessControlPolicy><Owner><ID>o</ID></Owner></AccessControlPolicy>"),
          std::string("<AccessControlPolicy><Owner/><AccessControlList/></AccessControlPolicy>"),
          std::string("<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant>") + kGrantee +
              "\"CanonicalUser\"><ID>u</ID></Grantee><Permission>ALL</Permission></Grant></AccessControlList>"
              "</AccessControlPolicy>",
          std::string("<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant>") + kGrantee +
              "\"Group\"><ID>u</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
              "</AccessControlPolicy>",
          std::string("<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee><ID>u</ID>"
                      "</Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>")})
        EXPECT_EQ(error_code(parse_access_control_policy(body)), "MalformedACLError") << body;
}

TEST(AccessControlPolicyBody, GetAclDocumentByteForByte) {
    std::string xsi = "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=";
    EXPECT_EQ(acl_to_xml("o&1", "Owner <1>", "group:AllUsers READ\nid:b WRITE\n"),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
              "<Owner><ID>o&amp;1</ID><DisplayName>Owner &lt;1&gt;</DisplayName></Owner><AccessControlList>"
              "<Grant>" +
                  xsi +
                  "\"Group\"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>"
                  "<Permission>READ</Permission></Grant>"
                  "<Grant>" +
                  xsi +
                  "\"CanonicalUser\"><ID>b</ID></Grantee><Permission>WRITE</Permission></Grant>"
                  "<Grant>" +
                  xsi +
                  "\"CanonicalUser\"><ID>o&amp;1</ID><DisplayName>Owner &lt;1&gt;</DisplayName></Grantee>"
                  "<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>");
}

template <class T>
std::string code_of(const std::variant<T, S3Error>& parsed) {
    auto* e = std::get_if<S3Error>(&parsed);
    return e ? e->code : "";
}

std::string lock_config(std::string_view rule) {
    return "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>" + std::string(rule) +
           "</ObjectLockConfiguration>";
}

TEST(ObjectLockConfigurationBody, DefaultRetentionOfDaysOrYears) {
    auto days = s3::parse_object_lock_configuration(
        lock_config("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days> 3 </Days></DefaultRetention></Rule>"));
    ASSERT_EQ(code_of(days), "");
    EXPECT_EQ(std::get<ObjectLockConfig>(days), (ObjectLockConfig{true, RetentionMode::Governance, 3, 0}));
    auto years = s3::parse_object_lock_configuration(
        lock_config("<Rule><DefaultRetention><Years>2</Years><Mode>COMPLIANCE</Mode></DefaultRetention></Rule>"));
    ASSERT_EQ(code_of(years), "");
    EXPECT_EQ(std::get<ObjectLockConfig>(years), (ObjectLockConfig{true, RetentionMode::Compliance, 0, 2}));
    auto none = s3::parse_object_lock_configuration(lock_config(""));
    ASSERT_EQ(code_of(none), "");
    EXPECT_EQ(std::get<ObjectLockConfig>(none), (ObjectLockConfig{true, RetentionMode::None, 0, 0}));
}

TEST(ObjectLockConfigurationBody, Refusals) {
    auto rule = [](std::string_view inner) {
        return lock_config("<Rule><DefaultRetention>" + std::string(inner) + "</DefaultRetention></Rule>");
    };
    for (const std::string& body :
         {std::string("nope"), std::string("<ObjectLockConfiguration/>"),
          std::string("<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled>"
                      "</ObjectLockConfiguration>"),
          lock_config("<Rule/>"), rule("<Mode>GOVERNANCE</Mode>"), rule("<Days>1</Days>"),
          rule("<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>"), rule("<Mode>None</Mode><Days>1</Days>"),
          rule("<Mode>GOVERNANCE</Mode><Days>1.5</Days>"), rule("<Mode>GOVERNANCE</Mode><Days></Days>")})
        EXPECT_EQ(code_of(s3::parse_object_lock_configuration(body)), "MalformedXML") << body;
    for (const char* period : {"<Days>0</Days>", "<Days>-1</Days>", "<Years>0</Years>", "<Days>4294967296</Days>"})
        EXPECT_EQ(code_of(s3::parse_object_lock_configuration(rule(std::string("<Mode>GOVERNANCE</Mode>") + period))),
                  "InvalidArgument")
            << period;
}

TEST(RetentionBody, ModeAndDateOrNeither) {
    auto parsed = s3::parse_retention(
        "<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-02T03:04:05.678Z</RetainUntilDate></Retention>");
    ASSERT_EQ(code_of(parsed), "");
    const auto& r = std::get<std::optional<Retention>>(parsed);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->mode, RetentionMode::Compliance);
    EXPECT_EQ(r->until_ms, 1893553445678);
    auto none = s3::parse_retention("<Retention/>");
    ASSERT_EQ(code_of(none), "");
    EXPECT_FALSE(std::get<std::optional<Retention>>(none));
    for (const char* body :
         {"x", "<Other/>", "<Retention><Mode>GOVERNANCE</Mode></Retention>",
          "<Retention><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>",
          "<Retention><Mode>governance</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>",
          "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-13-01T00:00:00Z</RetainUntilDate></Retention>"})
        EXPECT_EQ(code_of(s3::parse_retention(body)), "MalformedXML") << body;
}

TEST(LegalHoldBody, OnOrOff) {
    EXPECT_EQ(std::get<bool>(s3::parse_legal_hold("<LegalHold><Status>ON</Status></LegalHold>")), true);
    EXPECT_EQ(std::get<bool>(s3::parse_legal_hold("<LegalHold><Status> OFF </Status></LegalHold>")), false);
    for (const char* body : {"x", "<LegalHold/>", "<LegalHold><Status>on</Status></LegalHold>", "<Hold/>"})
        EXPECT_EQ(code_of(s3::parse_legal_hold(body)), "MalformedXML") << body;
}

}  // namespace
}  // namespace ostor::gw
