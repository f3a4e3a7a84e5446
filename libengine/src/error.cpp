#include "ostor/error.hpp"

#include <array>
#include <cerrno>

namespace ostor {

namespace {

// The one table: each code with its S3 code, HTTP status, errno, CLI exit
// status and default message. Keep it in Errc order.
constexpr std::array kErrorTable = {
    ErrorInfo{Errc::InvalidArgument, "InvalidArgument", "InvalidArgument", 400, EINVAL, 2, "Invalid argument"},
    ErrorInfo{Errc::Internal, "Internal", "InternalError", 500, EIO, 70, "Internal error"},
    ErrorInfo{Errc::IoError, "IoError", "InternalError", 500, EIO, 74, "I/O error"},
    ErrorInfo{Errc::DataCorrupted, "DataCorrupted", "InternalError", 500, EIO, 74,
              "Stored data is damaged (checksum mismatch)"},
    ErrorInfo{Errc::NoSpace, "NoSpace", "ServiceUnavailable", 503, ENOSPC, 74, "No space left on the storage device"},
    ErrorInfo{Errc::VolumeMismatch, "VolumeMismatch", "InvalidArgument", 400, EINVAL, 2,
              "The volume id does not match the data directory"},
    ErrorInfo{Errc::InvalidEmail, "InvalidEmail", "InvalidArgument", 400, EINVAL, 2, "Invalid email address"},
    ErrorInfo{Errc::NoSuchUser, "NoSuchUser", "NoSuchUser", 404, ENOENT, 1, "The user does not exist"},
    ErrorInfo{Errc::UserAlreadyExists, "UserAlreadyExists", "UserAlreadyExists", 409, EEXIST, 1,
              "A user with this email already exists"},
    ErrorInfo{Errc::UserHasBuckets, "UserHasBuckets", "UserHasBuckets", 409, ENOTEMPTY, 1,
              "The user owns buckets; delete them first"},
    ErrorInfo{Errc::UserDisabled, "UserDisabled", "AccessDenied", 403, EACCES, 1, "The user is disabled"},
    ErrorInfo{Errc::TooManyAccessKeys, "TooManyAccessKeys", "TooManyAccessKeys", 409, EDQUOT, 1,
              "At most 2 active access key pairs are allowed"},
    ErrorInfo{Errc::NoSuchAccessKey, "NoSuchAccessKey", "InvalidAccessKeyId", 403, ENOENT, 1,
              "The access key does not exist"},
    ErrorInfo{Errc::InvalidAccountName, "InvalidAccountName", "InvalidArgument", 400, EINVAL, 2,
              "Invalid account name"},
    ErrorInfo{Errc::NoSuchAccount, "NoSuchAccount", "NoSuchAccount", 404, ENOENT, 1, "The account does not exist"},
    ErrorInfo{Errc::AccountAlreadyExists, "AccountAlreadyExists", "AccountAlreadyExists", 409, EEXIST, 1,
              "The account already exists"},
    ErrorInfo{Errc::AccountHasBuckets, "AccountHasBuckets", "AccountHasBuckets", 409, ENOTEMPTY, 1,
              "The account owns buckets; delete them first"},
    ErrorInfo{Errc::InvalidBucketName, "InvalidBucketName", "InvalidBucketName", 400, EINVAL, 2,
              "The specified bucket is not valid"},
    ErrorInfo{Errc::NoSuchBucket, "NoSuchBucket", "NoSuchBucket", 404, ENOENT, 1,
              "The specified bucket does not exist"},
    ErrorInfo{Errc::BucketAlreadyExists, "BucketAlreadyExists", "BucketAlreadyExists", 409, EEXIST, 1,
              "The requested bucket name is not available"},
    ErrorInfo{Errc::BucketAlreadyOwnedByYou, "BucketAlreadyOwnedByYou", "BucketAlreadyOwnedByYou", 409, EEXIST, 1,
              "Your previous request to create the named bucket succeeded and you already own it"},
    ErrorInfo{Errc::BucketNotEmpty, "BucketNotEmpty", "BucketNotEmpty", 409, ENOTEMPTY, 1,
              "The bucket you tried to delete is not empty"},
    ErrorInfo{Errc::InvalidObjectName, "InvalidObjectName", "KeyTooLongError", 400, ENAMETOOLONG, 2,
              "Invalid object key"},
    ErrorInfo{Errc::NoSuchKey, "NoSuchKey", "NoSuchKey", 404, ENOENT, 1, "The specified key does not exist"},
    ErrorInfo{Errc::InvalidRange, "InvalidRange", "InvalidRange", 416, EINVAL, 2,
              "The requested range is not satisfiable"},
    ErrorInfo{Errc::EntityTooLarge, "EntityTooLarge", "EntityTooLarge", 400, EFBIG, 2,
              "Your proposed upload exceeds the maximum allowed object size"},
    ErrorInfo{Errc::EntityTooSmall, "EntityTooSmall", "EntityTooSmall", 400, EINVAL, 2,
              "Your proposed upload is smaller than the minimum allowed object size"},
    ErrorInfo{Errc::BadDigest, "BadDigest", "BadDigest", 400, EINVAL, 2,
              "The Content-MD5 you specified did not match what we received"},
    ErrorInfo{Errc::NoSuchUpload, "NoSuchUpload", "NoSuchUpload", 404, ENOENT, 1,
              "The specified multipart upload does not exist"},
    ErrorInfo{Errc::InvalidPart, "InvalidPart", "InvalidPart", 400, EINVAL, 2,
              "One or more of the specified parts could not be found or its entity tag did not match"},
    ErrorInfo{Errc::InvalidPartOrder, "InvalidPartOrder", "InvalidPartOrder", 400, EINVAL, 2,
              "The list of parts was not in ascending order"},
    ErrorInfo{Errc::InvalidLimit, "InvalidLimit", "InvalidArgument", 400, EINVAL, 2,
              "Invalid limit type, resource or value"},
    ErrorInfo{Errc::QuotaExceeded, "QuotaExceeded", "QuotaExceeded", 403, EDQUOT, 1,
              "The write would exceed the storage quota"},
    ErrorInfo{Errc::NoSuchUsageObject, "NoSuchUsageObject", "NoSuchKey", 404, ENOENT, 1,
              "The usage statistics object does not exist"},
    ErrorInfo{Errc::PreconditionFailed, "PreconditionFailed", "PreconditionFailed", 412, EEXIST, 1,
              "At least one of the pre-conditions you specified did not hold"},
    ErrorInfo{Errc::NoSuchVersion, "NoSuchVersion", "NoSuchVersion", 404, ENOENT, 1,
              "The specified version does not exist"},
    ErrorInfo{Errc::InvalidBucketState, "InvalidBucketState", "InvalidBucketState", 409, EINVAL, 1,
              "The request is not valid with the current state of the bucket"},
    // S3 answers a locked version with a plain AccessDenied.
    ErrorInfo{Errc::ObjectLocked, "ObjectLocked", "AccessDenied", 403, EPERM, 1,
              "Access Denied because object protected by object lock"},
    ErrorInfo{Errc::MethodNotAllowed, "MethodNotAllowed", "MethodNotAllowed", 405, ENOENT, 1,
              "The specified method is not allowed against this resource"},
    // EX_TEMPFAIL: S3 clients retry a 503 SlowDown.
    ErrorInfo{Errc::SlowDown, "SlowDown", "SlowDown", 503, EAGAIN, 75, "Please reduce your request rate"},
};

constexpr bool table_in_errc_order() {
    for (std::size_t i = 0; i < kErrorTable.size(); ++i)
        if (static_cast<std::size_t>(kErrorTable[i].code) != i + 1) return false;
    return true;
}
static_assert(table_in_errc_order(), "kErrorTable rows must follow the Errc order");

}  // namespace

const ErrorInfo& error_info(Errc code) noexcept {
    auto index = static_cast<std::size_t>(code);
    if (index == 0 || index > kErrorTable.size()) return kErrorTable[1];  // Internal
    return kErrorTable[index - 1];
}

}  // namespace ostor
