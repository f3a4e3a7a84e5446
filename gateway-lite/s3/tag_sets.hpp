// Tag sets (PutBucketTagging's <Tagging><TagSet><Tag><Key/><Value/></Tag>
// ...): parsed and checked against S3's rules, and written back as
// GetBucketTagging answers them (and the bucket stores them). Pure
// functions of their text (tests/gateway/parts/).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "s3_error.hpp"

namespace ostor::gw::s3 {

// S3's limits: tags on a bucket; a key's and a value's length in Unicode
// characters.
inline constexpr std::size_t kMaxBucketTags = 50;
inline constexpr std::size_t kMaxTagKeyChars = 128;
inline constexpr std::size_t kMaxTagValueChars = 256;

using TagSet = std::vector<std::pair<std::string, std::string>>;  // key, value; in the document's order

// Fails: MalformedXML (not XML, another root, no <TagSet>, a <Tag> without
// <Key> or <Value>), BadRequest (more than `max_tags`), InvalidTag (a key
// of 0 or over 128 characters, a value over 256, a key given twice, a key
// starting "aws:", text that is not valid UTF-8 XML can carry).
std::variant<TagSet, S3Error> parse_bucket_tagging(std::string_view body, std::size_t max_tags = kMaxBucketTags);

// The <Tagging> document of `tags`.
std::string tagging_xml(const TagSet& tags);

}  // namespace ostor::gw::s3
