// Two bucket configurations that change who may do what, as documents: the
// object ownership controls (PutBucketOwnershipControls' OwnershipControls)
// and the public access block (PutPublicAccessBlock's
// PublicAccessBlockConfiguration). Pure functions of their text (the
// gateway stores the canonical form these write, and caches what they
// parse: s3/access_controls.cpp; fuzzed: tests/fuzz/); how they are enforced is in
// docs/architecture.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "s3_error.hpp"

namespace ostor::gw {

// Who owns an object another user writes into a bucket.
enum class ObjectOwnership : std::uint8_t {
    // The writer (ACLs on). A bucket without ownership controls is one.
    ObjectWriter,
    // The bucket's owner when the writer gives it bucket-owner-full-control.
    BucketOwnerPreferred,
    // The bucket's owner, always: ACLs are off (they neither grant nor can be
    // set to anything but the owner's full control).
    BucketOwnerEnforced,
};

// AWS's names ("ObjectWriter", ...); nullopt for another one.
std::optional<ObjectOwnership> parse_object_ownership(std::string_view name);
std::string_view object_ownership_name(ObjectOwnership ownership);

// An <OwnershipControls> with exactly one <Rule> naming a known
// <ObjectOwnership>; 400 MalformedXML otherwise, as S3 answers.
std::variant<ObjectOwnership, S3Error> parse_ownership_controls(std::string_view xml);
std::string ownership_controls_xml(ObjectOwnership ownership);

// The four settings, each off unless the document says "true".
struct PublicAccessBlock {
    bool block_public_acls = false;        // new public ACLs are refused (403)
    bool ignore_public_acls = false;       // grants to AllUsers / AuthenticatedUsers give nothing
    bool block_public_policy = false;      // a public bucket policy is refused (403)
    bool restrict_public_buckets = false;  // a public policy's Allow reaches the owner's user alone
    bool operator==(const PublicAccessBlock&) const = default;
};

// A <PublicAccessBlockConfiguration> whose elements are among the four, each
// at most once, "true" or "false" (any case); 400 MalformedXML otherwise.
std::variant<PublicAccessBlock, S3Error> parse_public_access_block(std::string_view xml);
// All four elements, as GetPublicAccessBlock answers.
std::string public_access_block_xml(const PublicAccessBlock& block);

}  // namespace ostor::gw
