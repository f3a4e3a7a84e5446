// User metadata (x-amz-meta-*) values between HTTP headers and storage, as
// S3 treats non-ASCII text (user guide, "Working with object metadata"): a
// value's RFC 2047 encoded-words are decoded before it is stored, and a
// stored value holding anything a header cannot carry as US-ASCII goes back
// as one RFC 2047 encoded-word. ASCII values pass byte for byte both ways.
// Pure functions of their text.
#pragma once

#include <string>
#include <string_view>

namespace ostor::gw::s3 {

// What is stored for a value sent in a header or a POST form field: its
// encoded-words (=?charset?B|Q?text?=, case-insensitive, any charset iconv
// knows) decoded to UTF-8; whitespace between two adjacent encoded-words
// dropped (RFC 2047 section 6.2); a malformed word, or one whose bytes are
// not text in its charset, kept as sent. Raw bytes that are not valid UTF-8
// are taken as ISO-8859-1, HTTP's historical header charset, so that what
// is stored is always UTF-8.
std::string stored_metadata_value(std::string_view sent);

// The header value for a stored value: itself when it is printable US-ASCII
// (tab allowed), else =?UTF-8?B?<base64 of its UTF-8>?= words of at most
// 75 characters, a space between them.
std::string metadata_header_value(std::string_view stored);

}  // namespace ostor::gw::s3
