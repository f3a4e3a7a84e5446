#include "s3/request_body.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <openssl/evp.h>

#include "xml_input.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::size_t kIoChunk = 1024 * 1024;
constexpr std::size_t kXmlReadChunk = 16384;
constexpr std::size_t kMaxXmlBody = 8 * 1024 * 1024;
constexpr std::uint64_t kMaxSinglePut = std::uint64_t{5} << 30;  // S3's limit for PutObject / UploadPart
constexpr std::size_t kMd5Bytes = 16;

}  // namespace

std::optional<UploadChecksum> upload_checksum(const Upload& upload) {
    for (const auto& [name, type] : upload.meta.checksums)
        if (auto a = parse_checksum_algorithm(name)) return UploadChecksum{*a, type == "FULL_OBJECT"};
    return std::nullopt;
}

HeaderList checksum_headers(const std::vector<std::pair<std::string, std::string>>& checksums) {
    HeaderList h;
    for (const auto& [name, value] : checksums)
        if (auto a = parse_checksum_algorithm(name)) h.emplace_back(checksum_header(*a), value);
    return h;
}

bool RequestBody::aws_chunked() const {
    auto payload = ctx_.auth.payload;
    return payload == PayloadMode::StreamingSigned || payload == PayloadMode::StreamingSignedTrailer ||
           payload == PayloadMode::StreamingUnsignedTrailer;
}

bool RequestBody::trailer_mode() const {
    return ctx_.auth.payload == PayloadMode::StreamingSignedTrailer ||
           ctx_.auth.payload == PayloadMode::StreamingUnsignedTrailer;
}

// The body with any aws-chunked framing removed.
BodyReader& RequestBody::stream() {
    if (aws_chunked()) {
        if (!chunked_) chunked_.emplace(raw_, ctx_.auth.payload, ctx_.auth.chain);
        return *chunked_;
    }
    return raw_;
}

// The error to answer when stream().read() returned -1.
S3Error RequestBody::read_error() const {
    if (raw_.error()) return *raw_.error();
    if (chunked_ && chunked_->error()) return *chunked_->error();
    return incomplete_body();
}

Outcome<RequestBody::ChecksumPlan> RequestBody::checksum_plan(ChecksumHeaders headers,
                                                              const std::optional<UploadChecksum>& upload) {
    const auto& req = ctx_.request;
    ChecksumPlan plan;
    auto add = [&](ChecksumAlgorithm a) -> std::size_t {
        for (std::size_t i = 0; i < plan.running.size(); ++i)
            if (plan.running[i].algorithm() == a) return i;
        plan.running.emplace_back(a);
        plan.expected.emplace_back();
        plan.lenient.push_back(false);
        return plan.running.size() - 1;
    };
    // On CompleteMultipartUpload these headers are the object's, not the body's.
    std::span<const ChecksumAlgorithm> sent_in_headers;
    if (headers == ChecksumHeaders::OfBody) sent_in_headers = kChecksumAlgorithms;
    for (auto a : sent_in_headers) {
        auto name = checksum_header(a);
        const std::string* value = req.header(name);
        bool from_query = false;
        if (!value) {
            value = ctx_.param(name);
            from_query = value != nullptr;
        }
        if (!value) continue;
        auto decoded = base64_decode(trim(*value));
        if (!decoded || decoded->size() != checksum_digest_bytes(a))
            return invalid_request("Value for " + name + " header is invalid.");
        auto i = add(a);
        plan.expected[i] = std::string(trim(*value));
        // A presigned URL made without the body carries the checksum of
        // an empty body; the signer could not know the real one.
        if (from_query) {
            Checksum empty(a);
            plan.lenient[i] = empty.finish() == plan.expected[i];
        }
    }
    // A part of an upload created with a checksum algorithm gets that
    // checksum even when the client sends none (the object's is made of them).
    if (upload) add(upload->algorithm);
    for (std::string_view h : {"x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"}) {
        if (const auto* v = req.header(h)) {
            auto a = parse_checksum_algorithm(trim(*v));
            if (!a) return invalid_request("Checksum algorithm " + *v + " is not supported.");
            add(*a);
        }
    }
    if (const auto* t = req.header("x-amz-trailer")) {
        auto name = to_lower(trim(*t));
        if (!name.starts_with("x-amz-checksum-"))
            return invalid_request("The x-amz-trailer header names an unsupported trailer.");
        auto a = parse_checksum_algorithm(name.substr(std::strlen("x-amz-checksum-")));
        if (!a) return invalid_request("Checksum algorithm in x-amz-trailer is not supported.");
        add(*a);
        plan.trailer = *a;
    }
    return plan;
}

// Verifies the checksums after the body; the values to store.
Outcome<std::vector<std::pair<std::string, std::string>>> RequestBody::finish_checksums(ChecksumPlan& plan) {
    std::vector<std::pair<std::string, std::string>> stored;
    // Only the trailer the client announced (and signed for) is taken.
    if (chunked_)
        for (const auto& [n, v] : chunked_->trailers())
            if (!plan.trailer || n != checksum_header(*plan.trailer))
                return malformed_trailer("The trailing header " + n + " was not named in x-amz-trailer.");
    for (std::size_t i = 0; i < plan.running.size(); ++i) {
        auto& c = plan.running[i];
        std::string actual = c.finish();
        std::optional<std::string> expected = plan.expected[i];
        if (plan.trailer && *plan.trailer == c.algorithm() && chunked_) {
            bool found = false;
            for (const auto& [n, v] : chunked_->trailers())
                if (n == checksum_header(c.algorithm())) expected = v, found = true;
            if (!found && trailer_mode())
                return malformed_trailer("The trailing header named in x-amz-trailer is missing.");
        }
        if (expected && *expected != actual && !plan.lenient[i])
            return bad_digest("The " + std::string(checksum_name(c.algorithm())));
        stored.emplace_back(std::string(checksum_name(c.algorithm())), actual);
    }
    return stored;
}

Outcome<std::optional<std::string>> RequestBody::content_md5() {
    const auto* v = ctx_.request.header("content-md5");
    if (!v) return std::optional<std::string>();
    auto raw = base64_decode(trim(*v));
    if (!raw || raw->size() != kMd5Bytes) return invalid_digest();
    return std::optional<std::string>(*raw);
}

Outcome<std::string> RequestBody::small(ChecksumHeaders headers) {
    const auto& req = ctx_.request;
    if (req.content_length && *req.content_length > kMaxXmlBody) return max_message_length_exceeded();
    auto checksums = checksum_plan(headers, std::nullopt);
    if (!checksums) return checksums.error();
    std::string data;
    std::array<std::byte, kXmlReadChunk> chunk;
    for (;;) {
        auto n = stream().read(chunk);
        if (n < 0) return read_error();
        if (n == 0) break;
        if (data.size() + static_cast<std::size_t>(n) > kMaxXmlBody) return max_message_length_exceeded();
        data.append(reinterpret_cast<const char*>(chunk.data()), static_cast<std::size_t>(n));
    }
    auto span = std::as_bytes(std::span(data.data(), data.size()));
    for (auto& c : checksums->running) c.update(span);
    if (auto r = finish_checksums(*checksums); !r) return r.error();
    auto md5 = content_md5();
    if (!md5) return md5.error();
    if (auto& want = *md5) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
        if (std::string(reinterpret_cast<char*>(digest), len) != *want) return content_md5_mismatch();
    }
    if (ctx_.auth.payload == PayloadMode::Sha256 && hex_encode(sha256(data)) != ctx_.auth.payload_sha256_hex)
        return content_sha256_mismatch();
    return data;
}

Outcome<pugi::xml_node> RequestBody::xml(pugi::xml_document& doc, const char* root, bool allow_empty,
                                         ChecksumHeaders headers) {
    auto body = small(headers);
    if (!body) return body.error();
    const auto& text = *body;
    if (allow_empty && trim(text).empty()) return pugi::xml_node();
    if (!load_xml(doc, text) || !doc.child(root)) return malformed_xml();
    return doc.child(root);
}

Outcome<ObjectInfo> RequestBody::receive(const Begin& begin, PutOptions options,
                                         const std::optional<UploadChecksum>& upload) {
    const auto& req = ctx_.request;
    std::optional<std::uint64_t> length;
    if (aws_chunked()) {
        const auto* decoded = req.header("x-amz-decoded-content-length");
        if (decoded) length = parse_u64(trim(*decoded));
        if (!length && !req.chunked) return missing_content_length();
    } else if (req.content_length) {
        length = *req.content_length;
    } else if (!req.chunked) {
        return missing_content_length();
    }
    if (length && *length > kMaxSinglePut) return entity_too_large();
    if (auto refused = ctx_.check_space_for(length.value_or(0))) return *refused;
    auto plan = checksum_plan(ChecksumHeaders::OfBody, upload);
    if (!plan) return plan.error();
    auto md5 = content_md5();
    if (!md5) return md5.error();
    options.expected_md5 = *md5;
    options.size_hint = length;
    auto writer = begin(std::move(options));
    if (!writer) return writer.error();
    std::optional<Sha256Stream> sha;
    if (ctx_.auth.payload == PayloadMode::Sha256) sha.emplace();
    // Read straight into the writer's buffers: a large body is copied once
    // less (MD5 bounds a single stream's rate; what else uses a core competes).
    for (;;) {
        auto space = (*writer)->space();
        auto n = stream().read(space.first(std::min(space.size(), kIoChunk)));
        if (n < 0) return read_error();
        if (n == 0) break;
        std::span<const std::byte> data(space.data(), static_cast<std::size_t>(n));
        for (auto& c : plan->running) c.update(data);
        if (sha) sha->update(data);
        if (auto w = (*writer)->append(data.size()); !w) return w.error();
    }
    if (length && (*writer)->size() != *length)
        return incomplete_body("The request body is not as long as its declared length.");
    if (sha && hex_encode(sha->finish()) != ctx_.auth.payload_sha256_hex) return content_sha256_mismatch();
    auto checksums = finish_checksums(*plan);
    if (!checksums) return checksums.error();
    (*writer)->set_checksums(std::move(*checksums));
    auto info = (*writer)->commit();
    if (!info) return info.error();
    return std::move(*info);
}

}  // namespace ostor::gw::s3
