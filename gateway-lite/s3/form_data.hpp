// A multipart/form-data body (RFC 7578, RFC 2046 section 5.1), read as a
// stream: the parts' heads one after the other, and each part's data up to
// the boundary that ends it, through a fixed buffer. A browser upload (POST
// Object) sends its file as the last part, which may be gigabytes long: it
// is never held whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"

namespace ostor::gw::s3 {

// The boundary named by a multipart/form-data Content-Type; nullopt when the
// type is another or the boundary is missing or longer than RFC 2046 allows.
std::optional<std::string> form_boundary(std::string_view content_type);

struct FormPartHead {
    std::string name;                     // the Content-Disposition's name, as sent
    std::optional<std::string> filename;  // its filename, when the part is a file
    std::string content_type;             // the part's Content-Type ("" none)
};

enum class FormStatus {
    Part,        // a part's head was read: its data follows
    End,         // the closing boundary was read
    Malformed,   // not multipart/form-data (no boundary, a bad part head, cut short)
    ReadFailed,  // the body could not be read (BodyReader::read gave -1)
};

class FormReader {
public:
    FormReader(BodyReader& body, std::string_view boundary);

    // Skips what is left of the current part (or the preamble) and reads the
    // next part's head into `head`. Malformed when more than `max_skip`
    // bytes are left to skip.
    FormStatus next_part(FormPartHead& head, std::uint64_t max_skip = UINT64_MAX);
    // The current part's data: up to out.size() bytes, 0 at the part's end,
    // -1 when the body fails or ends before the boundary (failure()).
    std::ptrdiff_t read(std::span<std::byte> out);
    // The current part's whole data into `value`; false (with `value`
    // holding max_bytes + 1 bytes or less) when it is longer than
    // `max_bytes`, or when reading failed (failure() then says why).
    bool read_value(std::string& value, std::size_t max_bytes);
    // Why the last call failed.
    FormStatus failure() const { return failure_; }
    // The body's bytes taken so far (consumed from the buffer).
    std::uint64_t position() const;

private:
    enum class State { Preamble, InPart, AfterDelimiter, Done, Failed };

    std::size_t buffered() const { return end_ - begin_; }
    std::string_view window() const { return {buffer_.data() + begin_, buffered()}; }
    void consume(std::size_t n);
    // Reads more of the body; false at its end or on failure (failed_read_).
    bool fill();
    FormStatus fail(FormStatus why);
    FormStatus read_head(FormPartHead& head);
    // read() into `out`, or dropping the data when `out` is null.
    std::ptrdiff_t advance(std::byte* out, std::size_t max);

    BodyReader& body_;
    std::string delimiter_;  // CRLF "--" boundary
    std::vector<char> buffer_;
    std::size_t begin_ = 0, end_ = 0;
    State state_ = State::Preamble;
    FormStatus failure_ = FormStatus::Malformed;
    bool body_ended_ = false;
    bool failed_read_ = false;
    std::uint64_t position_ = 0;
};

}  // namespace ostor::gw::s3
