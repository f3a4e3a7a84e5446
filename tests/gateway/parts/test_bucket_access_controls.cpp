// The documents of the object ownership controls and the public access
// block (gateway-lite/bucket_access_controls.hpp): what S3 accepts, what it
// refuses as MalformedXML, and the canonical form stored and answered.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "bucket_access_controls.hpp"

namespace ostor::gw {
namespace {

std::string error_code(const auto& parsed) {
    const auto* e = std::get_if<S3Error>(&parsed);
    return e ? e->code : "";
}

TEST(OwnershipControls, EachValueRoundTrips) {
    for (auto o :
         {ObjectOwnership::ObjectWriter, ObjectOwnership::BucketOwnerPreferred, ObjectOwnership::BucketOwnerEnforced}) {
        auto parsed = parse_ownership_controls(ownership_controls_xml(o));
        ASSERT_TRUE(std::holds_alternative<ObjectOwnership>(parsed)) << error_code(parsed);
        EXPECT_EQ(std::get<ObjectOwnership>(parsed), o);
    }
    auto spaced = parse_ownership_controls(
        "<OwnershipControls xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n  <Rule>\n"
        "    <ObjectOwnership> BucketOwnerPreferred </ObjectOwnership>\n  </Rule>\n</OwnershipControls>");
    ASSERT_TRUE(std::holds_alternative<ObjectOwnership>(spaced));
    EXPECT_EQ(std::get<ObjectOwnership>(spaced), ObjectOwnership::BucketOwnerPreferred);
}

TEST(OwnershipControls, AnythingElseIsMalformed) {
    for (const char* bad :
         {"", "not xml", "<OwnershipControls/>", "<OwnershipControls><Rule/></OwnershipControls>",
          "<OwnershipControls><Rule><ObjectOwnership>Anyone</ObjectOwnership></Rule></OwnershipControls>",
          "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>"
          "<Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
          "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership>"
          "<ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
          "<Rules><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></Rules>"})
        EXPECT_EQ(error_code(parse_ownership_controls(bad)), "MalformedXML") << bad;
}

TEST(PublicAccessBlock, MissingSettingsAreOff) {
    auto parsed = parse_public_access_block(
        "<PublicAccessBlockConfiguration><IgnorePublicAcls>TRUE</IgnorePublicAcls>"
        "<BlockPublicPolicy>false</BlockPublicPolicy></PublicAccessBlockConfiguration>");
    ASSERT_TRUE(std::holds_alternative<PublicAccessBlock>(parsed)) << error_code(parsed);
    EXPECT_EQ(std::get<PublicAccessBlock>(parsed), (PublicAccessBlock{false, true, false, false}));
    auto empty = parse_public_access_block("<PublicAccessBlockConfiguration/>");
    ASSERT_TRUE(std::holds_alternative<PublicAccessBlock>(empty));
    EXPECT_EQ(std::get<PublicAccessBlock>(empty), PublicAccessBlock{});
}

TEST(PublicAccessBlock, RoundTripsWithAllFourElements) {
    PublicAccessBlock block{true, false, true, false};
    auto xml = public_access_block_xml(block);
    for (const char* e : {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"})
        EXPECT_NE(xml.find(std::string("<") + e + ">"), std::string::npos) << e;
    auto parsed = parse_public_access_block(xml);
    ASSERT_TRUE(std::holds_alternative<PublicAccessBlock>(parsed));
    EXPECT_EQ(std::get<PublicAccessBlock>(parsed), block);
}

TEST(PublicAccessBlock, AnythingElseIsMalformed) {
    for (const char* bad : {"", "<OwnershipControls/>",
                            "<PublicAccessBlockConfiguration><BlockPublicAcls>1</BlockPublicAcls>"
                            "</PublicAccessBlockConfiguration>",
                            "<PublicAccessBlockConfiguration><BlockAll>true</BlockAll>"
                            "</PublicAccessBlockConfiguration>",
                            "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
                            "<BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>"})
        EXPECT_EQ(error_code(parse_public_access_block(bad)), "MalformedXML") << bad;
}

}  // namespace
}  // namespace ostor::gw
