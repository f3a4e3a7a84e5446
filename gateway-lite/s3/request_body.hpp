// The request body as the handlers read it: aws-chunked framing removed,
// and every digest the client sent (Content-MD5, x-amz-content-sha256,
// x-amz-checksum-*, trailers) verified before what was read is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <pugixml.hpp>

#include "checksums.hpp"
#include "http.hpp"
#include "ostor/engine.hpp"
#include "s3/aws_chunked.hpp"
#include "s3/context.hpp"
#include "s3/reply.hpp"
#include "s3_error.hpp"

namespace ostor::gw::s3 {

// The request body as the connection delivers it: counts the bytes that
// cross it (usage statistics), and turns a refusal thrown by the HTTP layer
// into a failed read. Beast throws std::length_error for a chunked trailer
// field over 64 KiB instead of reporting a parse error; left alone that
// became a 500 for what is the client's malformed body.
class ClientBody final : public BodyReader {
public:
    explicit ClientBody(BodyReader& inner) : inner_(inner) {}
    std::ptrdiff_t read(std::span<std::byte> out) override {
        if (error_) return -1;
        std::ptrdiff_t n = 0;
        try {
            n = inner_.read(out);
        } catch (const std::length_error&) {
            error_ = malformed_trailer("The request's chunked body has a trailer field that is too large.");
            return -1;
        }
        if (n > 0) bytes += static_cast<std::uint64_t>(n);
        return n;
    }
    bool done() const override { return inner_.done(); }
    // Why read() failed when the client's framing was at fault.
    const std::optional<S3Error>& error() const { return error_; }
    std::uint64_t bytes = 0;

private:
    BodyReader& inner_;
    std::optional<S3Error> error_;
};

// The checksum algorithm an upload was created with, and whether its
// object's checksum covers the whole object (else: composite).
struct UploadChecksum {
    ChecksumAlgorithm algorithm;
    bool full_object;
};
std::optional<UploadChecksum> upload_checksum(const Upload& upload);

// Where x-amz-checksum-* headers apply: to the body, or (on
// CompleteMultipartUpload) to the whole object, not to the body.
enum class ChecksumHeaders { OfBody, OfObject };

class RequestBody {
public:
    RequestBody(ClientBody& raw, const RequestContext& ctx) : raw_(raw), ctx_(ctx) {}

    // A small body (XML), whole, with Content-MD5, x-amz-content-sha256 and
    // (unless they name something else) checksum headers verified.
    Outcome<std::string> small(ChecksumHeaders headers = ChecksumHeaders::OfBody);
    // The body as an XML document whose root is `root` (MalformedXML when
    // it is not). An empty body gives an empty node when `allow_empty`.
    Outcome<pugi::xml_node> xml(pugi::xml_document& doc, const char* root, bool allow_empty = false,
                                ChecksumHeaders headers = ChecksumHeaders::OfBody);

    using Begin = std::function<Result<std::unique_ptr<ObjectWriter>>(PutOptions)>;
    // Streams the body into a writer from `begin`, verifying every digest
    // the client sent, and commits. `upload`: the checksum of the upload a
    // part belongs to, computed even when the client sends none (the
    // object's is made of them).
    Outcome<ObjectInfo> receive(const Begin& begin, PutOptions options,
                                const std::optional<UploadChecksum>& upload = std::nullopt);

private:
    // Checksums the client asked for: the algorithms to compute and the
    // values to check them against.
    struct ChecksumPlan {
        std::vector<Checksum> running;
        std::vector<std::optional<std::string>> expected;  // per running entry
        std::vector<bool> lenient;                         // presigned empty-body value: not enforced
        std::optional<ChecksumAlgorithm> trailer;
    };

    bool aws_chunked() const;
    bool trailer_mode() const;
    BodyReader& stream();
    S3Error read_error() const;
    Outcome<ChecksumPlan> checksum_plan(ChecksumHeaders headers, const std::optional<UploadChecksum>& upload);
    Outcome<std::vector<std::pair<std::string, std::string>>> finish_checksums(ChecksumPlan& plan);
    Outcome<std::optional<std::string>> content_md5();

    ClientBody& raw_;
    const RequestContext& ctx_;
    std::optional<AwsChunkedReader> chunked_;
};

// The x-amz-checksum-* headers of stored checksums.
HeaderList checksum_headers(const std::vector<std::pair<std::string, std::string>>& checksums);

}  // namespace ostor::gw::s3
