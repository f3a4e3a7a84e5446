// S3's listings of objects and of multipart uploads (prefix, delimiter,
// markers, paging), for every backend, expressed over a walk in key order
// that the backend provides: a page costs its own length plus one seek per
// common prefix, whatever the bucket holds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ostor/types.hpp"

namespace ostor::detail {

// The smallest string greater than every string starting with `prefix`, or
// empty when there is none (all 0xFF).
std::string successor_of_prefix(std::string prefix);

// A bucket's objects in key order.
class ObjectWalk {
public:
    virtual ~ObjectWalk() = default;
    // Repositions at the first key >= `start`.
    virtual void seek(std::string_view start) = 0;
    // The next object (info.bucket need not be set), none at the end.
    virtual std::optional<ObjectInfo> next() = 0;
};

// One page of ListObjects over `walk` (a walk of `bucket`'s objects).
ListObjectsResult list_objects_page(ObjectWalk& walk, std::string_view bucket, const ListObjectsParams& params);

// A bucket's multipart uploads in S3's order: by key, then in the order they
// were begun.
class UploadWalk {
public:
    virtual ~UploadWalk() = default;
    // Repositions at the first upload whose key is >= `key`, or > `key` when
    // `after_key`.
    virtual void seek_key(std::string_view key, bool after_key) = 0;
    // Repositions just after `upload` (an upload of this bucket).
    virtual void seek_after(const Upload& upload) = 0;
    virtual std::optional<Upload> next() = 0;
};

// One page of ListMultipartUploads over `walk` (a walk of `bucket`'s
// uploads). `marker_upload`: the upload params.upload_id_marker names, when
// it still exists.
ListUploadsResult list_uploads_page(UploadWalk& walk, std::string_view bucket, const ListUploadsParams& params,
                                    const std::optional<Upload>& marker_upload);

}  // namespace ostor::detail
