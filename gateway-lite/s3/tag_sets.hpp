// Tag sets as requests carry them: the <Tagging> document of PutObjectTagging
// and PutBucketTagging, the x-amz-tagging header of PutObject, CreateMultipartUpload and
// CopyObject, checked against S3's limits (the engine's rules: names.hpp).
// Pure functions of their text (fuzzed: tests/fuzz/fuzz_xml_bodies.cpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ostor/names.hpp"
#include "s3_error.hpp"

namespace ostor::gw::s3 {

using TagSet = std::vector<std::pair<std::string, std::string>>;

// S3's limit of tags on a bucket (objects: kMaxObjectTags).
inline constexpr std::size_t kMaxBucketTags = 50;

// The error S3 answers for `tags` (400 InvalidTag with its message, or
// BadRequest past `max_tags`, worded for objects at kMaxObjectTags and for
// buckets otherwise); nullopt when they pass.
std::optional<S3Error> tag_set_error(const TagSet& tags, std::size_t max_tags = kMaxObjectTags);

// <Tagging><TagSet><Tag><Key>..</Key><Value>..</Value></Tag>...</TagSet>
// </Tagging>: the tags in order, keys and values byte for byte. Fails:
// MalformedXML (not XML, another root, no <TagSet>, a <Tag> without <Key>
// or <Value>), then tag_set_error's.
std::variant<TagSet, S3Error> parse_tagging(std::string_view body, std::size_t max_tags = kMaxObjectTags);

// x-amz-tagging: "k1=v1&k2=v2", URL-query encoded ('+' a space); empty
// items are skipped and a key without '=' has an empty value. Fails: InvalidArgument (a
// malformed escape, a key twice), then tag_set_error's.
std::variant<TagSet, S3Error> parse_tagging_header(std::string_view header);

// The <Tagging> document of `tags` (GetBucketTagging's answer, and the form
// a bucket stores).
std::string tagging_xml(const TagSet& tags);

}  // namespace ostor::gw::s3
