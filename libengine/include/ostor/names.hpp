// ostor engine: validation of names, shared by every face so that all refuse
// the same inputs with the same error.
#pragma once

#include <string_view>

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

}  // namespace ostor
