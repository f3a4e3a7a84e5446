// ostor engine: validation of names, shared by every face so that all refuse
// the same inputs with the same error.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ostor/error.hpp"

namespace ostor {

// S3 bucket naming rules: 3-63 characters of [a-z0-9.-], starting and ending
// with a letter or digit, no "..", ".-" or "-.", not an IPv4 address, not
// starting with "xn--" or "sthree-", not ending with "-s3alias" or
// "--ol-s3". Fails: InvalidBucketName.
Result<void> validate_bucket_name(std::string_view name);

// Object keys: 1-1024 bytes of valid UTF-8. Fails: InvalidObjectName.
Result<void> validate_object_key(std::string_view key);

// A plain e-mail address: local@domain, at most 254 bytes, printable ASCII
// or UTF-8, no spaces, no '/'. Fails: InvalidEmail.
Result<void> validate_email(std::string_view email);

// Account names: 1-64 characters of [A-Za-z0-9._-]. Fails: InvalidAccountName.
Result<void> validate_account_name(std::string_view name);

// Usage statistics object names ("s3-usage-..."): 1-255 bytes of printable
// ASCII without '/'. Fails: InvalidArgument.
Result<void> validate_usage_object_name(std::string_view name);

// Object tags, as S3 limits them: at most 10 per object; keys of 1 to 128
// and values of 0 to 256 Unicode characters (valid UTF-8, no control
// characters), keys unique and not starting with "aws:" (reserved).
inline constexpr std::size_t kMaxObjectTags = 10;
inline constexpr std::size_t kMaxTagKeyChars = 128;
inline constexpr std::size_t kMaxTagValueChars = 256;
enum class TagProblem { None, BadKey, BadValue, DuplicateKey, ReservedKey, TooMany };
// The first problem of `tags`, each tag checked in order before their count
// (against `max_tags`), as S3 reports them: the gateway turns it into S3's
// error, bucket tags pass their own count.
TagProblem find_tag_problem(const std::vector<std::pair<std::string, std::string>>& tags,
                            std::size_t max_tags = kMaxObjectTags);
// Fails: InvalidArgument (find_tag_problem found one).
Result<void> validate_object_tags(const std::vector<std::pair<std::string, std::string>>& tags);

}  // namespace ostor
