// ostor engine: what one admin call names (a user by email or id, a bucket, or
// a default) resolved the same way for every face: the CLI's options, the
// REST API's query parameters and the FUSE tree's paths.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ostor/engine.hpp"
#include "ostor/error.hpp"
#include "ostor/types.hpp"

namespace ostor::admin {

// The names one call was given; an empty optional is a name not given.
struct TargetNames {
    std::optional<std::string> email{};
    std::optional<std::string> user_id{};
    std::optional<std::string> bucket{};
    std::optional<std::string> defaults{};  // "user" or "bucket": a default quota
};

// How a face spells each name in its messages, e.g. the CLI's
// {"-e EMAIL or -i USER_ID", "-b BUCKET", "-o user|bucket"}.
struct TargetSpelling {
    std::string_view user;
    std::string_view bucket;
    std::string_view defaults;
};

// The user named by email, by id, or by both (which must then name the same
// user). Fails: InvalidArgument (neither given, one given empty, the two
// naming different users), NoSuchUser.
Result<User> resolve_user(Engine& engine, const TargetNames& names, const TargetSpelling& spelling);

// Exactly one of a user or a bucket (which must exist). Fails:
// InvalidArgument, NoSuchUser, NoSuchBucket.
Result<LimitTarget> resolve_limit_target(Engine& engine, const TargetNames& names, const TargetSpelling& spelling);

// Exactly one of a user, a bucket (which must exist) or a default ("user" or
// "bucket"). Fails: InvalidArgument, NoSuchUser, NoSuchBucket.
Result<QuotaTarget> resolve_quota_target(Engine& engine, const TargetNames& names, const TargetSpelling& spelling);

}  // namespace ostor::admin
