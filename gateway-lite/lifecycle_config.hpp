// PutBucketLifecycleConfiguration's body into the lifecycle model
// (libengine/src/lifecycle/lifecycle_rules.hpp), and the model back into
// GetBucketLifecycleConfiguration's XML. Pure functions of their input but
// for the ids of rules that have none (fuzzed: tests/fuzz/).
//
// The refusals, by code, with where each code and
// message comes from (AWS: observed answers quoted in public issues;
// MinIO: internal/bucket/lifecycle; Arsenal: Scality's S3 model, which
// copies AWS's; ours: no public source gives the text):
//   MalformedXML (AWS's one message): not XML; a root other than
//     <LifecycleConfiguration>; no <Rule>; an element the schema does not
//     have where AWS validates (in the configuration, a rule, a filter,
//     <And>, <Tag> and each action), or one it has once given twice; a rule
//     with neither <Filter> nor <Prefix>, or with both; a filter with more
//     than one condition outside <And>, an empty <And>; a <Tag> without
//     <Key> or <Value>; a <Status> other than Enabled or Disabled; a number
//     that is not one (or past a 32-bit Days, a 64-bit size); an
//     <Expiration> with none of Days, Date, ExpiredObjectDeleteMarker; an
//     ExpiredObjectDeleteMarker other than true/false; an
//     AbortIncompleteMultipartUpload without DaysAfterInitiation (Arsenal);
//     ExpiredObjectDeleteMarker with an object size filter (AWS,
//     aws/aws-cli#8239).
//   InvalidArgument: "Lifecycle configuration allows a maximum of 1000 rules"
//     (MinIO); "ID length should not exceed allowed limit of 255" (AWS);
//     "'Days' for Expiration action must be a positive integer",
//     "'NoncurrentDays' for NoncurrentVersionExpiration action must be a
//     positive integer" (NoncurrentDays missing too),
//     "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must
//     be a positive integer" (AWS, scality/Arsenal#2648,
//     hashicorp/terraform-provider-aws#35328); "Exactly one of Days
//     (positive integer) or Date (positive ISO 8601 format) should be
//     present inside Expiration.", "Delete marker cannot be specified with
//     Days or Date in a Lifecycle Expiration Policy", "Date must be provided
//     in ISO 8601 format", "'Date' must be at midnight GMT" (MinIO; the last
//     AWS's too); "'NewerNoncurrentVersions' for NoncurrentVersionExpiration
//     action must be a positive integer" and "... must not exceed 100"
//     (ours, in AWS's pattern); "Rule ID must be unique. Found same ID for
//     more than one rule" (AWS).
//   InvalidRequest: "At least one action needs to be specified in a rule"
//     (AWS); "Tag-based filter cannot be used with ExpiredObjectDeleteMarker
//     action", "... with AbortIncompleteMultipartUpload action", "The
//     maximum size of a prefix is 1024" (Arsenal); "ObjectSizeGreaterThan
//     must be less than ObjectSizeLessThan" (ours).
//   InvalidTag: a filter's tag S3 refuses on objects (s3/tag_sets.hpp).
//   InvalidStorageClass: any <Transition> or <NoncurrentVersionTransition>:
//     ostor has one storage class, so there is nowhere to move an object to;
//     MinIO answers the same for a tier it does not have.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "lifecycle_rules.hpp"
#include "s3_error.hpp"

namespace ostor::gw {

// The bucket configuration document the configuration is kept as
// (Bucket::configs), in the model's stored form (encode_lifecycle_config).
inline constexpr std::string_view kLifecycleConfigKind = "lifecycle";

// Prefixes are keys: S3's limit on a key.
inline constexpr std::size_t kMaxLifecyclePrefixBytes = 1024;

// An id for a rule that has none, as AWS makes them: a random UUID's text in
// base64 (48 characters).
std::string random_lifecycle_rule_id();

using LifecycleIdSource = std::function<std::string()>;

// The body's rules, each with an id (from `new_id` when it has none; an id
// that would repeat one is drawn again), or the error S3 answers (above).
std::variant<detail::LifecycleConfig, S3Error> parse_lifecycle_config(
    std::string_view body, const LifecycleIdSource& new_id = random_lifecycle_rule_id);

// GetBucketLifecycleConfiguration's answer: parsing it gives `config` back.
std::string lifecycle_config_xml(const detail::LifecycleConfig& config);

}  // namespace ostor::gw
