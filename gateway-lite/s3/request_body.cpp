#include "s3/exchange.hpp"

#include <array>
#include <cstring>

#include <openssl/evp.h>

#include "xml_input.hpp"

namespace ostor::gw::s3 {

bool Exchange::aws_chunked() const {
    return auth_.payload == PayloadMode::StreamingSigned || auth_.payload == PayloadMode::StreamingSignedTrailer ||
           auth_.payload == PayloadMode::StreamingUnsignedTrailer;
}

bool Exchange::trailer_mode() const {
    return auth_.payload == PayloadMode::StreamingSignedTrailer ||
           auth_.payload == PayloadMode::StreamingUnsignedTrailer;
}

// The body with any aws-chunked framing removed.
BodyReader& Exchange::body() {
    if (aws_chunked()) {
        if (!chunked_) chunked_.emplace(raw_body_, auth_.payload, auth_.chain);
        return *chunked_;
    }
    return raw_body_;
}

// The error to answer when body().read() returned -1.
S3Error Exchange::body_error() const {
    if (raw_body_.error()) return *raw_body_.error();
    if (chunked_ && chunked_->error()) return *chunked_->error();
    return {400, "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header."};
}

// `headers_are_the_bodys`: false where x-amz-checksum-* name something
// else (on CompleteMultipartUpload, the whole object).
std::variant<Exchange::ChecksumPlan, S3Error> Exchange::checksum_plan(bool headers_are_the_bodys) {
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
    if (headers_are_the_bodys) sent_in_headers = kChecksumAlgorithms;
    for (auto a : sent_in_headers) {
        auto name = checksum_header(a);
        const std::string* value = req_.header(name);
        bool from_query = false;
        if (!value) {
            value = find(query_, name);
            from_query = value != nullptr;
        }
        if (!value) continue;
        auto decoded = base64_decode(trim(*value));
        std::size_t want = a == ChecksumAlgorithm::CRC64NVME ? 8
                           : a == ChecksumAlgorithm::SHA1    ? 20
                           : a == ChecksumAlgorithm::SHA256  ? 32
                                                             : 4;
        if (!decoded || decoded->size() != want) return invalid_request("Value for " + name + " header is invalid.");
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
    if (upload_checksum_) add(upload_checksum_->algorithm);
    for (std::string_view h : {"x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"}) {
        if (const auto* v = req_.header(h)) {
            auto a = parse_checksum_algorithm(trim(*v));
            if (!a) return invalid_request("Checksum algorithm " + *v + " is not supported.");
            add(*a);
        }
    }
    if (const auto* t = req_.header("x-amz-trailer")) {
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
std::variant<std::vector<std::pair<std::string, std::string>>, S3Error> Exchange::finish_checksums(ChecksumPlan& plan) {
    std::vector<std::pair<std::string, std::string>> stored;
    // Only the trailer the client announced (and signed for) is taken.
    if (chunked_)
        for (const auto& [n, v] : chunked_->trailers())
            if (!plan.trailer || n != checksum_header(*plan.trailer))
                return S3Error{400, "MalformedTrailerError",
                               "The trailing header " + n + " was not named in x-amz-trailer."};
    for (std::size_t i = 0; i < plan.running.size(); ++i) {
        auto& c = plan.running[i];
        std::string actual = c.finish();
        std::optional<std::string> expected = plan.expected[i];
        if (plan.trailer && *plan.trailer == c.algorithm() && chunked_) {
            bool found = false;
            for (const auto& [n, v] : chunked_->trailers())
                if (n == checksum_header(c.algorithm())) expected = v, found = true;
            if (!found && trailer_mode())
                return S3Error{400, "MalformedTrailerError", "The trailing header named in x-amz-trailer is missing."};
        }
        if (expected && *expected != actual && !plan.lenient[i])
            return S3Error{400, "BadDigest",
                           "The " + std::string(checksum_name(c.algorithm())) +
                               " you specified did not match the calculated checksum."};
        stored.emplace_back(std::string(checksum_name(c.algorithm())), actual);
    }
    return stored;
}

std::variant<std::optional<std::string>, S3Error> Exchange::content_md5() {
    const auto* v = req_.header("content-md5");
    if (!v) return std::optional<std::string>();
    auto raw = base64_decode(trim(*v));
    if (!raw || raw->size() != 16) return S3Error{400, "InvalidDigest", "The Content-MD5 you specified was not valid."};
    return std::optional<std::string>(*raw);
}

// A small body (XML), whole, with Content-MD5, x-amz-content-sha256 and
// (unless they name something else) checksum headers verified.
std::variant<std::string, S3Error> Exchange::small_body(bool checksum_headers_are_the_bodys) {
    if (req_.content_length && *req_.content_length > kMaxXmlBody)
        return S3Error{400, "MaxMessageLengthExceeded", "Your request was too big."};
    auto plan = checksum_plan(checksum_headers_are_the_bodys);
    if (auto* e = std::get_if<S3Error>(&plan)) return *e;
    auto& checksums = std::get<ChecksumPlan>(plan);
    std::string data;
    std::array<std::byte, 16384> chunk;
    for (;;) {
        auto n = body().read(chunk);
        if (n < 0) return body_error();
        if (n == 0) break;
        if (data.size() + static_cast<std::size_t>(n) > kMaxXmlBody)
            return S3Error{400, "MaxMessageLengthExceeded", "Your request was too big."};
        data.append(reinterpret_cast<const char*>(chunk.data()), static_cast<std::size_t>(n));
    }
    auto span = std::as_bytes(std::span(data.data(), data.size()));
    for (auto& c : checksums.running) c.update(span);
    if (auto r = finish_checksums(checksums); std::holds_alternative<S3Error>(r)) return std::get<S3Error>(r);
    auto md5 = content_md5();
    if (auto* e = std::get_if<S3Error>(&md5)) return *e;
    if (auto& want = std::get<std::optional<std::string>>(md5)) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
        if (std::string(reinterpret_cast<char*>(digest), len) != *want)
            return S3Error{400, "BadDigest", "The Content-MD5 you specified did not match what we received."};
    }
    if (auth_.payload == PayloadMode::Sha256 && hex_encode(sha256(data)) != auth_.payload_sha256_hex)
        return S3Error{400, "XAmzContentSHA256Mismatch",
                       "The provided 'x-amz-content-sha256' header does not match what was computed."};
    return data;
}

// The body as an XML document whose root is `root` (answers MalformedXML
// or the body's error itself when it is not). An empty body gives an
// empty node when `allow_empty`.
std::optional<pugi::xml_node> Exchange::xml_body(pugi::xml_document& doc, const char* root, bool allow_empty,
                                                 bool checksum_headers_are_the_bodys) {
    auto body = small_body(checksum_headers_are_the_bodys);
    if (auto* e = std::get_if<S3Error>(&body)) {
        error(*e);
        return std::nullopt;
    }
    const auto& text = std::get<std::string>(body);
    if (allow_empty && trim(text).empty()) return pugi::xml_node();
    if (!load_xml(doc, text) || !doc.child(root)) {
        error(malformed_xml());
        return std::nullopt;
    }
    return doc.child(root);
}

HeaderList Exchange::checksum_headers(const std::vector<std::pair<std::string, std::string>>& checksums) {
    HeaderList h;
    for (const auto& [name, value] : checksums)
        if (auto a = parse_checksum_algorithm(name)) h.emplace_back(checksum_header(*a), value);
    return h;
}

}  // namespace ostor::gw::s3
