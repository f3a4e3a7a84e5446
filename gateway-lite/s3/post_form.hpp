// A browser upload's form (POST Object), as far as the pipeline reads it
// before the caller is known: the fields that precede the file, which sign
// the request (s3_auth.hpp, authenticate_post_form), and the reader left at
// the start of the file's data, which the handler (post_object.cpp) streams
// into the engine.
#pragma once

#include <memory>
#include <string>

#include "s3/form_data.hpp"
#include "s3/reply.hpp"
#include "util.hpp"

namespace ostor::gw::s3 {

struct PostForm {
    std::unique_ptr<FormReader> reader;  // at the file's data
    QueryList fields;                    // names lowercased, in order; the file not among them
    std::string filename;                // the file part's filename after its last / or \ ("" none)
    // The object's key: the `key` field with ${filename} replaced ("" when
    // the form has none). Any bucket policy evaluated for this upload must
    // name this key (the request's path names only the bucket).
    std::string key;
};

// Reads the form up to its file part and replaces ${filename} in every
// field's value, as AWS does. Fails: PreconditionFailed (the body is not
// multipart/form-data, as AWS answers), MalformedPOSTRequest,
// MaxPostPreDataLengthExceeded (the fields before the file are over AWS's
// 20 KB), InvalidArgument (no file), IncompleteBody.
Outcome<std::unique_ptr<PostForm>> read_post_form(BodyReader& body, const HttpRequest& request);

}  // namespace ostor::gw::s3
