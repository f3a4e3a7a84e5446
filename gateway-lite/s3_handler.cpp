#include "s3_handler.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>

#include <openssl/evp.h>
#include "xml_input.hpp"

#include "acl.hpp"
#include "admin_api.hpp"
#include "checksums.hpp"
#include "ostor/names.hpp"
#include "rate_limits.hpp"
#include "s3/conditions.hpp"
#include "s3/routes.hpp"
#include "s3/target.hpp"
#include "s3/xml_bodies.hpp"
#include "s3_auth.hpp"
#include "space_reserve.hpp"
#include "util.hpp"

namespace ostor::gw {

namespace {

constexpr std::size_t kIoChunk = 256 * 1024;
// A paced download is sent in pieces this small, so that it flows evenly.
constexpr std::size_t kPacedPieceBytes = 16 * 1024;
// bandwidth:out is in KB/s.
constexpr std::uint64_t kBytesPerKB = 1024;
constexpr std::size_t kMaxXmlBody = 8 * 1024 * 1024;
constexpr std::uint64_t kMaxSinglePut = std::uint64_t{5} << 30;  // S3's limit for PutObject / UploadPart
constexpr std::size_t kMaxUserMetadata = 2048;
constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr std::string_view kXmlHeader = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

// Headers stored with an object and returned on GET/HEAD.
constexpr std::string_view kStoredHeaders[] = {"content-encoding", "content-disposition",
                                               "content-language", "cache-control",
                                               "expires",          "x-amz-website-redirect-location"};

// The canonical case of a stored header name when answering.
std::string display_header(std::string_view lower) {
    if (lower == "content-encoding") return "Content-Encoding";
    if (lower == "content-disposition") return "Content-Disposition";
    if (lower == "content-language") return "Content-Language";
    if (lower == "cache-control") return "Cache-Control";
    if (lower == "expires") return "Expires";
    return std::string(lower);
}

std::string random_request_id() {
    // splitmix64 over a counter seeded from the clock: unique per process
    // run, cheap, and spread over all 16 digits.
    static std::atomic<std::uint64_t> counter{static_cast<std::uint64_t>(now_ms()) << 20};
    std::uint64_t z = counter.fetch_add(0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out(16, '0');
    for (auto& c : out) {
        c = kHex[z & 15];
        z >>= 4;
    }
    return out;
}

std::string etag_quoted(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

const std::string* find(const QueryList& q, std::string_view name) {
    for (const auto& [n, v] : q)
        if (n == name) return &v;
    return nullptr;
}

class XmlWriter {
public:
    explicit XmlWriter(std::string_view root) : root_(root) {
        out_ = std::string(kXmlHeader) + "<" + std::string(root) + " xmlns=\"" + std::string(kXmlns) + "\">";
    }
    XmlWriter& open(std::string_view tag) {
        out_ += "<" + std::string(tag) + ">";
        return *this;
    }
    XmlWriter& close(std::string_view tag) {
        out_ += "</" + std::string(tag) + ">";
        return *this;
    }
    XmlWriter& el(std::string_view tag, std::string_view value) {
        out_ += "<" + std::string(tag) + ">" + xml_escape(value) + "</" + std::string(tag) + ">";
        return *this;
    }
    // A string literal is text (without this it would convert to bool).
    XmlWriter& el(std::string_view tag, const char* value) { return el(tag, std::string_view(value)); }
    XmlWriter& el(std::string_view tag, std::uint64_t value) { return el(tag, std::to_string(value)); }
    XmlWriter& el(std::string_view tag, bool value) { return el(tag, std::string_view(value ? "true" : "false")); }
    // <Key>: escaped, or percent-encoded when XML cannot carry it (xml_key).
    XmlWriter& key(std::string_view value) {
        out_ += "<Key>" + xml_key(value) + "</Key>";
        return *this;
    }
    std::string finish() { return out_ + "</" + root_ + ">"; }

private:
    std::string root_;
    std::string out_;
};

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
            error_ = S3Error{400, "MalformedTrailerError",
                             "The request's chunked body has a trailer field that is too large."};
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

// One request being served.
class Exchange {
public:
    Exchange(Engine& engine, const S3Options& options, RateLimiter& limiter, const HttpRequest& request,
             ClientBody& body, ResponseWriter& out)
        : engine_(engine),
          options_(options),
          limiter_(limiter),
          req_(request),
          raw_body_(body),
          out_(out),
          request_id_(random_request_id()) {}

    void run() {
        auto target = s3::parse_target(req_.target, req_.header_or("host"), options_.domain);
        if (auto* e = std::get_if<S3Error>(&target)) return error(*e);
        auto& t = std::get<s3::RequestTarget>(target);
        path_ = std::move(t.path);
        query_ = std::move(t.query);
        bucket_ = std::move(t.bucket);
        key_ = std::move(t.key);
        vhost_bucket_ = std::move(t.vhost_bucket);
        key_given_ = t.key_given;
        route_ = &s3::route_for(req_.method,
                                bucket_.empty() ? s3::Scope::Service
                                : key_given_    ? s3::Scope::Object
                                                : s3::Scope::Bucket,
                                query_, req_);

        auto auth = authenticate(engine_, req_, path_, query_, vhost_bucket_);
        if (auto* e = std::get_if<S3Error>(&auth)) return error(*e);
        auth_ = std::get<AuthResult>(std::move(auth));
        principal_ = auth_.principal;

        if (!admit()) return;
        dispatch();
    }

private:
    // ---- answers ---------------------------------------------------------

    HeaderList base_headers() const {
        return {{"x-amz-request-id", request_id_},
                {"x-amz-id-2", request_id_},
                {"Date", http_date(now_ms())},
                {"Server", "ostor"}};
    }

    void send(int status, HeaderList headers, std::string_view body,
              std::string_view content_type = "application/xml") {
        HttpResponseHead head;
        head.status = status;
        head.headers = base_headers();
        for (auto& h : headers) head.headers.push_back(std::move(h));
        if (!body.empty()) head.headers.emplace_back("Content-Type", std::string(content_type));
        head.content_length = body.size();
        if (out_.write_head(head) && req_.method != "HEAD")
            out_.write_body(std::as_bytes(std::span(body.data(), body.size())));
    }

    void xml(std::string body, int status = 200, HeaderList headers = {}) { send(status, std::move(headers), body); }

    void error(const S3Error& e, HeaderList extra = {}) {
        if (out_.head_written()) return;
        error_code_ = e.code;
        std::string resource = path_.empty() ? req_.target : path_;
        std::string body = std::string(kXmlHeader) + "<Error><Code>" + xml_escape(e.code) + "</Code><Message>" +
                           xml_text(e.message) + "</Message>";
        if (!bucket_.empty()) body += "<BucketName>" + xml_text(bucket_) + "</BucketName>";
        if (key_given_) body += "<Key>" + xml_key(key_) + "</Key>";
        body += "<Resource>" + xml_text(resource) + "</Resource><RequestId>" + request_id_ + "</RequestId></Error>";
        send(e.status, std::move(extra), req_.method == "HEAD" ? std::string_view{} : std::string_view(body));
    }

    // ---- identity and permissions ----------------------------------------

    bool is_owner(const Bucket& b) const {
        return !principal_.anonymous && principal_.user_id == b.owner_id &&
               (principal_.account.empty() || principal_.account == b.account);
    }
    const std::string* who() const { return principal_.anonymous ? nullptr : &principal_.user_id; }

    // Without permission to list the bucket, a missing key must not be told
    // from a forbidden one (S3 answers 403 then).
    S3Error object_error(const Error& e, const Bucket& b) const {
        if (e.code() == Errc::NoSuchKey && !bucket_allows(b, Permission::Read)) return access_denied();
        return e;
    }

    bool bucket_allows(const Bucket& b, Permission p) const {
        if (is_owner(b)) return acl_owner_allows(b.acl, b.owner_id, p);
        return acl_allows(decode_acl(b.acl), who(), p);
    }
    bool object_allows(const Bucket& b, const ObjectInfo& o, Permission p) const {
        auto writer = acl_object_owner(o.meta.acl);
        bool owns = writer.empty() ? is_owner(b) : !principal_.anonymous && writer == principal_.user_id;
        if (owns) return acl_owner_allows(o.meta.acl, principal_.user_id, p);
        // The bucket's owner too has only what the ACL gives it (as S3 and
        // Ceph RGW): it deletes, overwrites and lists through the bucket's.
        return acl_allows(decode_acl(o.meta.acl), who(), p);
    }
    // Who owns an object: its writer when another user than the bucket's owner.
    static std::string object_owner(const Bucket& b, const ObjectInfo& o) {
        auto writer = acl_object_owner(o.meta.acl);
        return writer.empty() ? b.owner_id : writer;
    }

    std::string display_name(const std::string& user_id) {
        if (auto it = names_.find(user_id); it != names_.end()) return it->second;
        auto user = engine_.get_user(user_id);
        std::string name = user ? user->email : user_id;
        names_.emplace(user_id, name);
        return name;
    }

    // "<ID>..</ID><DisplayName>..</DisplayName>" of an owner or initiator.
    std::string owner_fields(const std::string& user_id) {
        return "<ID>" + xml_escape(user_id) + "</ID><DisplayName>" + xml_escape(display_name(user_id)) +
               "</DisplayName>";
    }
    std::string owner_xml(const std::string& user_id) { return "<Owner>" + owner_fields(user_id) + "</Owner>"; }

    // The bucket, or an answer already sent. `fresh`: read afresh, not from
    // the engine's cache (RADOS), for a change of the bucket itself that is
    // authorized on its owner or ACL.
    enum class Freshness { Cached, Fresh };
    std::optional<Bucket> load_bucket(std::optional<Permission> needed, Freshness freshness = Freshness::Cached) {
        auto s = validate_bucket_name(bucket_);
        if (!s) {
            error(s.error());
            return std::nullopt;
        }
        auto b = freshness == Freshness::Fresh ? engine_.get_bucket(bucket_) : engine_.get_bucket_record(bucket_);
        if (!b) {
            error(b.error());
            return std::nullopt;
        }
        bucket_epoch_ = b->epoch;
        bucket_owner_ = b->owner_id;
        if (!expected_owner(*b, "x-amz-expected-bucket-owner")) return std::nullopt;
        if (needed && !bucket_allows(*b, *needed)) {
            error(access_denied());
            return std::nullopt;
        }
        return std::move(*b);
    }

    // x-amz-expected-bucket-owner (or, for a copy's source, x-amz-source-
    // expected-bucket-owner): a request meant for another owner's bucket is
    // refused, whoever may otherwise access it. False once answered.
    bool expected_owner(const Bucket& b, std::string_view header) {
        const auto* expected = req_.header(header);
        if (!expected || trim(*expected) == b.owner_id) return true;
        error(access_denied());
        return false;
    }

    bool require_signed() {
        if (principal_.anonymous) {
            error(access_denied());
            return false;
        }
        return true;
    }

    // ---- request bodies --------------------------------------------------

    bool aws_chunked() const {
        return auth_.payload == PayloadMode::StreamingSigned || auth_.payload == PayloadMode::StreamingSignedTrailer ||
               auth_.payload == PayloadMode::StreamingUnsignedTrailer;
    }

    bool trailer_mode() const {
        return auth_.payload == PayloadMode::StreamingSignedTrailer ||
               auth_.payload == PayloadMode::StreamingUnsignedTrailer;
    }

    // The body with any aws-chunked framing removed.
    BodyReader& body() {
        if (aws_chunked()) {
            if (!chunked_) chunked_.emplace(raw_body_, auth_.payload, auth_.chain);
            return *chunked_;
        }
        return raw_body_;
    }

    // The error to answer when body().read() returned -1.
    S3Error body_error() const {
        if (raw_body_.error()) return *raw_body_.error();
        if (chunked_ && chunked_->error()) return *chunked_->error();
        return {400, "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length HTTP header."};
    }

    // Checksums the client asked for: the algorithms to compute and the
    // values to check them against.
    struct ChecksumPlan {
        std::vector<Checksum> running;
        std::vector<std::optional<std::string>> expected;  // per running entry
        std::vector<bool> lenient;                         // presigned empty-body value: not enforced
        std::optional<ChecksumAlgorithm> trailer;
    };

    // `headers_are_the_bodys`: false where x-amz-checksum-* name something
    // else (on CompleteMultipartUpload, the whole object).
    std::variant<ChecksumPlan, S3Error> checksum_plan(bool headers_are_the_bodys = true) {
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
            if (!decoded || decoded->size() != want)
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
    std::variant<std::vector<std::pair<std::string, std::string>>, S3Error> finish_checksums(ChecksumPlan& plan) {
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
                    return S3Error{400, "MalformedTrailerError",
                                   "The trailing header named in x-amz-trailer is missing."};
            }
            if (expected && *expected != actual && !plan.lenient[i])
                return S3Error{400, "BadDigest",
                               "The " + std::string(checksum_name(c.algorithm())) +
                                   " you specified did not match the calculated checksum."};
            stored.emplace_back(std::string(checksum_name(c.algorithm())), actual);
        }
        return stored;
    }

    std::variant<std::optional<std::string>, S3Error> content_md5() {
        const auto* v = req_.header("content-md5");
        if (!v) return std::optional<std::string>();
        auto raw = base64_decode(trim(*v));
        if (!raw || raw->size() != 16)
            return S3Error{400, "InvalidDigest", "The Content-MD5 you specified was not valid."};
        return std::optional<std::string>(*raw);
    }

    // A small body (XML), whole, with Content-MD5, x-amz-content-sha256 and
    // (unless they name something else) checksum headers verified.
    std::variant<std::string, S3Error> small_body(bool checksum_headers_are_the_bodys = true) {
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
    std::optional<pugi::xml_node> xml_body(pugi::xml_document& doc, const char* root, bool allow_empty = false,
                                           bool checksum_headers_are_the_bodys = true) {
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

    // Metadata of a new object from the request's headers.
    std::variant<ObjectMeta, S3Error> meta_from_headers() {
        ObjectMeta meta;
        meta.content_type = req_.header_or("content-type");
        std::size_t user_bytes = 0;
        for (const auto& [n, v] : req_.headers) {
            if (n.starts_with("x-amz-meta-")) {
                meta.user.emplace_back(n.substr(11), v);
                user_bytes += n.size() - 11 + v.size();
            }
        }
        if (user_bytes > kMaxUserMetadata)
            return S3Error{400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size."};
        for (auto name : kStoredHeaders) {
            const auto* v = req_.header(name);
            if (!v) continue;
            std::string value = *v;
            if (name == "content-encoding") {
                // aws-chunked is transport framing, not the object's encoding:
                // it goes, with its comma; the rest is kept byte for byte
                // (less empty items, which would leave a stray comma).
                std::string kept;
                bool dropped = false;
                for (std::string_view rest = value;;) {
                    auto comma = rest.find(',');
                    auto item = rest.substr(0, comma);
                    if (iequals(trim(item), "aws-chunked"))
                        dropped = true;
                    else if (!trim(item).empty())
                        kept += (kept.empty() ? "" : ",") + std::string(item);
                    if (comma == std::string_view::npos) break;
                    rest.remove_prefix(comma + 1);
                }
                if (dropped) value = std::string(trim(kept));
                if (value.empty()) continue;
            }
            meta.headers.emplace_back(std::string(name), value);
        }
        // Another user writing into the bucket owns what it writes.
        bool writer_owns = !principal_.anonymous && !bucket_owner_.empty() && principal_.user_id != bucket_owner_;
        auto acl = acl_from_headers(engine_, req_, {bucket_owner_, writer_owns ? principal_.user_id : bucket_owner_});
        if (auto* e = std::get_if<S3Error>(&acl)) return *e;
        if (auto& stored = std::get<std::optional<std::string>>(acl)) meta.acl = *stored;
        if (writer_owns) meta.acl = acl_with_object_owner(meta.acl, principal_.user_id);
        return meta;
    }

    // Streams the body into a writer from `begin`, verifying every digest
    // the client sent, and commits. Sends the error itself on failure.
    template <class Begin>
    std::optional<ObjectInfo> receive(Begin begin, PutOptions options) {
        std::optional<std::uint64_t> length;
        if (aws_chunked()) {
            const auto* decoded = req_.header("x-amz-decoded-content-length");
            if (decoded) length = parse_u64(trim(*decoded));
            if (!length && !req_.chunked) {
                error({411, "MissingContentLength", "You must provide the Content-Length HTTP header."});
                return std::nullopt;
            }
        } else if (req_.content_length) {
            length = *req_.content_length;
        } else if (!req_.chunked) {
            error({411, "MissingContentLength", "You must provide the Content-Length HTTP header."});
            return std::nullopt;
        }
        if (length && *length > kMaxSinglePut) {
            error({400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."});
            return std::nullopt;
        }
        if (!space_for(length.value_or(0))) return std::nullopt;
        auto plan_or = checksum_plan();
        if (auto* e = std::get_if<S3Error>(&plan_or)) {
            error(*e);
            return std::nullopt;
        }
        auto& plan = std::get<ChecksumPlan>(plan_or);
        auto md5 = content_md5();
        if (auto* e = std::get_if<S3Error>(&md5)) {
            error(*e);
            return std::nullopt;
        }
        options.expected_md5 = std::get<std::optional<std::string>>(md5);
        options.size_hint = length;
        auto writer = begin(std::move(options));
        if (!writer) {
            error(writer.error());
            return std::nullopt;
        }
        std::optional<Sha256Stream> sha;
        if (auth_.payload == PayloadMode::Sha256) sha.emplace();
        std::vector<std::byte> buffer(kIoChunk);
        for (;;) {
            auto n = body().read(buffer);
            if (n < 0) {
                error(body_error());
                return std::nullopt;
            }
            if (n == 0) break;
            std::span<const std::byte> data(buffer.data(), static_cast<std::size_t>(n));
            for (auto& c : plan.running) c.update(data);
            if (sha) sha->update(data);
            if (auto w = (*writer)->write(data); !w) {
                error(w.error());
                return std::nullopt;
            }
        }
        if (length && (*writer)->size() != *length) {
            error({400, "IncompleteBody", "The request body is not as long as its declared length."});
            return std::nullopt;
        }
        if (sha && hex_encode(sha->finish()) != auth_.payload_sha256_hex) {
            error({400, "XAmzContentSHA256Mismatch",
                   "The provided 'x-amz-content-sha256' header does not match what was computed."});
            return std::nullopt;
        }
        auto checksums = finish_checksums(plan);
        if (auto* e = std::get_if<S3Error>(&checksums)) {
            error(*e);
            return std::nullopt;
        }
        (*writer)->set_checksums(std::get<std::vector<std::pair<std::string, std::string>>>(std::move(checksums)));
        auto info = (*writer)->commit();
        if (!info) {
            error(info.error());
            return std::nullopt;
        }
        return std::move(*info);
    }

    HeaderList checksum_headers(const std::vector<std::pair<std::string, std::string>>& checksums) {
        HeaderList h;
        for (const auto& [name, value] : checksums)
            if (auto a = parse_checksum_algorithm(name)) h.emplace_back(checksum_header(*a), value);
        return h;
    }

    // ---- rate limits ---------------------------------------------------------

    // The class limits and usage counters file this request under
    // (docs/architecture.md): its route's. Default for a request whose target
    // could not be parsed.
public:
    OpClass op_class() const { return route_ ? route_->op_class : OpClass::Default; }
    // The operation's name (access log); "" before the target was parsed.
    std::string_view operation_name() const { return route_ ? route_->name : std::string_view(); }

private:
    // Applies the user's and the bucket's ops limits (both must admit the
    // request); keeps their bandwidth limits for the response body.
    bool admit() {
        if (!principal_.anonymous)
            if (auto l = engine_.get_limits(LimitTarget::user(principal_.user_id))) user_limits_ = *l;
        if (!bucket_.empty() && validate_bucket_name(bucket_))
            if (auto l = engine_.get_limits(LimitTarget::bucket(bucket_))) bucket_limits_ = *l;
        OpClass c = op_class();
        std::string suffix = "/" + std::string(op_class_name(c));
        bool admitted = limiter_.try_admit({
            {"u/" + principal_.user_id + suffix, principal_.anonymous ? 0.0 : user_limits_.ops_rate(c)},
            {"b/" + bucket_ + suffix, bucket_.empty() ? 0.0 : bucket_limits_.ops_rate(c)},
        });
        if (!admitted) error({503, "SlowDown", "Please reduce your request rate."});
        admitted_ = admitted;
        return admitted;
    }

public:
    // The S3 error code answered, if any.
    const std::string& error_code() const { return error_code_; }

    // What the access log shows of the request.
    AccessLogEntry access_entry() const {
        AccessLogEntry entry;
        entry.client = req_.remote;
        if (!principal_.anonymous) entry.user_id = principal_.user_id;
        entry.method = req_.method;
        entry.bucket = bucket_;
        entry.key = key_;
        entry.request_id = request_id_;
        return entry;
    }

    // What usage statistics count this request under: admitted requests on
    // an existing bucket; those naming no bucket (ListBuckets, ostor-*
    // admin calls) under bucket "" and epoch 0, as the vendor guide shows.
    std::optional<UsageKey> usage_key() {
        if (!admitted_) return std::nullopt;
        if (bucket_.empty()) {
            // Requests naming no bucket are the signer's; an anonymous one
            // (a scanner's GET /) is nobody's to bill.
            if (principal_.anonymous) return std::nullopt;
            return UsageKey{"", 0, principal_.user_id, principal_.account};
        }
        if (!bucket_epoch_) {
            auto b = engine_.get_bucket_record(bucket_);
            if (!b) return std::nullopt;
            bucket_epoch_ = b->epoch;
        }
        return UsageKey{bucket_, *bucket_epoch_, principal_.user_id, principal_.account};
    }

private:
    // Sends response body bytes at the bandwidth:out limits in force (the
    // user's and the bucket's; the stricter one governs).
    bool send_body(std::span<const std::byte> data) {
        std::uint64_t user_rate = principal_.anonymous ? 0 : user_limits_.bandwidth_out_kbps * kBytesPerKB;
        std::uint64_t bucket_rate = bucket_limits_.bandwidth_out_kbps * kBytesPerKB;
        if (user_rate == 0 && bucket_rate == 0) return out_.write_body(data);
        // Pieces of a tenth of a second at the stricter rate (1 KiB to
        // 16 KiB), each booked against the rates and sent once its time has
        // come: the head leaves with the first piece, at most a tenth of a
        // second in (a second at the slowest rate, 1 KB/s), and even a
        // one-piece body is paced.
        std::uint64_t governing = std::min(user_rate ? user_rate : bucket_rate, bucket_rate ? bucket_rate : user_rate);
        auto piece_bytes = static_cast<std::size_t>(std::clamp<std::uint64_t>(governing / 10, 1024, kPacedPieceBytes));
        while (!data.empty()) {
            auto piece = data.first(std::min(data.size(), piece_bytes));
            auto wait = std::max(limiter_.reserve_bytes("u/" + principal_.user_id + "/out", user_rate, piece.size()),
                                 limiter_.reserve_bytes("b/" + bucket_ + "/out", bucket_rate, piece.size()));
            if (wait > RateLimiter::Clock::duration::zero() && !limiter_.pause(wait)) return false;  // stopping
            if (!out_.write_body(piece)) return false;
            data = data.subspan(piece.size());
        }
        return true;
    }

    // ---- routing -----------------------------------------------------------

    // Runs the handler of the request's route (s3/routes.hpp).
    void dispatch() {
        using enum s3::Operation;
        switch (route_->operation) {
            case AdminApi:
                return admin();
            case ListBuckets:
                return list_buckets();
            case CreateBucket:
                return create_bucket();
            case HeadBucket:
                return head_bucket();
            case DeleteBucket:
                return delete_bucket();
            case GetBucketAcl:
                return get_bucket_acl();
            case PutBucketAcl:
                return put_bucket_acl();
            case GetBucketLocation:
                return get_bucket_location();
            case GetBucketVersioning:
                return get_bucket_versioning();
            case PutBucketVersioning:
                return put_bucket_versioning();
            case ListObjects:
                return list_objects(ListKind::V1);
            case ListObjectsV2:
                return list_objects(ListKind::V2);
            case ListObjectVersions:
                return list_objects(ListKind::Versions);
            case ListMultipartUploads:
                return list_uploads();
            case DeleteObjects:
                return delete_objects();
            case GetBucketConfig:
                return bucket_config_missing(route_->query);
            case PutBucketConfig:
                return not_implemented();
            case DeleteBucketConfig:
                if (load_bucket(std::nullopt)) send(204, {}, {});
                return;
            case GetObject:
                return get_object(false);
            case HeadObject:
                return get_object(true);
            case PutObject:
                return put_object();
            case CopyObject:
                return copy_object();
            case DeleteObject:
                return delete_object();
            case GetObjectAcl:
                return get_object_acl();
            case PutObjectAcl:
                return put_object_acl();
            case GetObjectTagging:
                return get_object_tagging();
            case PutObjectTagging:
                return not_implemented();
            case DeleteObjectTagging:
                return not_implemented();
            case GetObjectAttributes:
                return get_object_attributes();
            case CreateMultipartUpload:
                return create_upload();
            case UploadPart:
                return upload_part();
            case UploadPartCopy:
                return upload_part_copy();
            case CompleteMultipartUpload:
                return complete_upload();
            case AbortMultipartUpload:
                return abort_upload();
            case ListParts:
                return list_parts();
            case MethodNotAllowed:
                break;
        }
        error({405, "MethodNotAllowed", "The specified method is not allowed against this resource."});
    }

    // The provider's ostor-* services (admin_api.hpp): JSON in and out.
    void admin() {
        auto answer = handle_admin(engine_, principal_, req_.method, query_, request_id_);
        send(answer.status, {}, answer.body, "application/json");
    }

    void not_implemented() {
        error({501, "NotImplemented", "A header or query you provided implies functionality that is not implemented."});
    }

    // A bucket configuration ostor does not offer (`name`, the route's
    // query): none is set.
    void bucket_config_missing(std::string_view name) {
        static const std::map<std::string_view, std::pair<std::string_view, std::string_view>> kMissing = {
            {"policy", {"NoSuchBucketPolicy", "The bucket policy does not exist"}},
            {"cors", {"NoSuchCORSConfiguration", "The CORS configuration does not exist"}},
            {"lifecycle", {"NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"}},
            {"tagging", {"NoSuchTagSet", "The TagSet does not exist"}},
            {"website", {"NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"}},
            {"encryption",
             {"ServerSideEncryptionConfigurationNotFoundError",
              "The server side encryption configuration was not found"}},
            {"ownershipControls", {"OwnershipControlsNotFoundError", "The bucket ownership controls were not found"}},
            {"publicAccessBlock",
             {"NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"}},
            {"object-lock",
             {"ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"}},
            {"replication", {"ReplicationConfigurationNotFoundError", "The replication configuration was not found"}},
        };
        auto b = load_bucket(std::nullopt);
        if (!b) return;
        if (!is_owner(*b)) return error(access_denied());
        if (auto it = kMissing.find(name); it != kMissing.end())
            return error({404, std::string(it->second.first), std::string(it->second.second)});
        // Empty documents for configurations that always exist.
        if (name == "notification") return xml(XmlWriter("NotificationConfiguration").finish());
        if (name == "logging") return xml(XmlWriter("BucketLoggingStatus").finish());
        if (name == "accelerate") return xml(XmlWriter("AccelerateConfiguration").finish());
        return xml(XmlWriter("RequestPaymentConfiguration").el("Payer", std::string_view("BucketOwner")).finish());
    }

    // ---- service and buckets ---------------------------------------------

    // Paged by max-buckets and continuation-token (the name of the last
    // bucket of the page before, base64), filtered by prefix, as the API
    // has since 2024; without max-buckets all come in one page.
    void list_buckets() {
        if (!require_signed()) return;
        std::optional<std::uint64_t> max_buckets;
        if (const auto* v = find(query_, "max-buckets")) {
            max_buckets = parse_u64(*v);
            if (!max_buckets || *max_buckets < 1 || *max_buckets > 10000)
                return error(invalid_argument("max-buckets must be an integer between 1 and 10000"));
        }
        std::string after;
        if (const auto* t = find(query_, "continuation-token"); t && !t->empty()) {
            auto decoded = base64_decode(*t);
            if (!decoded || decoded->empty() || (*decoded)[0] != 'b')
                return error(invalid_argument("The continuation token provided is incorrect"));
            after = decoded->substr(1);
        }
        const auto* prefix = find(query_, "prefix");
        BucketFilter filter;
        filter.owner_id = principal_.user_id;
        if (!principal_.account.empty()) filter.account = principal_.account;
        auto buckets = engine_.list_buckets(filter);
        if (!buckets) return error(buckets.error());
        std::string body = std::string(kXmlHeader) + "<ListAllMyBucketsResult xmlns=\"" + std::string(kXmlns) + "\">" +
                           owner_xml(principal_.user_id) + "<Buckets>";
        std::uint64_t listed = 0;
        std::string next;  // the last name of a page that has more after it
        for (const auto& b : *buckets) {
            if (b.name <= after || (prefix && !b.name.starts_with(*prefix))) continue;
            if (max_buckets && listed == *max_buckets) {
                next = base64_encode("b" + after);
                break;
            }
            body += "<Bucket><Name>" + xml_escape(b.name) + "</Name><CreationDate>" + iso8601_ms(b.created_ms) +
                    "</CreationDate></Bucket>";
            after = b.name;
            ++listed;
        }
        body += "</Buckets>";
        if (!next.empty()) body += "<ContinuationToken>" + xml_escape(next) + "</ContinuationToken>";
        if (prefix) body += "<Prefix>" + xml_text(*prefix) + "</Prefix>";
        body += "</ListAllMyBucketsResult>";
        xml(std::move(body));
    }

    void create_bucket() {
        if (!require_signed()) return;
        pugi::xml_document doc;
        auto config = xml_body(doc, "CreateBucketConfiguration", /*allow_empty=*/true);
        if (!config) return;
        auto acl = acl_from_headers(engine_, req_, {{}, principal_.user_id});
        if (auto* e = std::get_if<S3Error>(&acl)) return error(*e);
        std::string stored_acl;
        if (auto& stored = std::get<std::optional<std::string>>(acl)) stored_acl = *stored;
        auto b = engine_.create_bucket(bucket_, principal_.user_id, principal_.account, stored_acl);
        if (!b && b.error().code() == Errc::BucketAlreadyOwnedByYou && options_.region == "us-east-1" &&
            trim(config->child_value("LocationConstraint")).empty()) {
            // In us-east-1 AWS answers 200 to its owner and changes nothing
            // (`aws s3 mb` relies on it); one asking for another ACL than
            // the bucket's is refused, as Ceph RGW does.
            // (Only the owner the request is made as: another of the
            // user's accounts is told as before.)
            // Read fresh: a cached record may predate the last PutBucketAcl.
            auto existing = engine_.get_bucket(bucket_);
            if (!existing) return error(existing.error());
            if (!is_owner(*existing)) return error(b.error());
            // Grants compared, not stored text: an ACL read and put back
            // stores the owner's FULL_CONTROL, which every bucket has anyway.
            auto effective = [&](const std::string& stored) {
                std::set<std::tuple<int, std::string, int>> set;
                if (acl_grants_owner(stored))
                    set.emplace(static_cast<int>(Grant::Kind::User), existing->owner_id,
                                static_cast<int>(Permission::FullControl));
                for (const auto& g : decode_acl(stored))
                    set.emplace(static_cast<int>(g.kind), g.kind == Grant::Kind::User ? g.user_id : std::string(),
                                static_cast<int>(g.permission));
                return set;
            };
            if (effective(existing->acl) != effective(stored_acl))
                return error({409, "BucketAlreadyExists",
                              "The requested bucket name is not available. The bucket namespace is shared by all users "
                              "of the system. Please select a different name and try again."});
            return send(200, {{"Location", "/" + bucket_}}, {});
        }
        if (!b) return error(b.error());
        send(200, {{"Location", "/" + bucket_}}, {});
    }

    void head_bucket() {
        auto b = load_bucket(Permission::Read);
        if (!b) return;
        send(200, {{"x-amz-bucket-region", options_.region}}, {});
    }

    void delete_bucket() {
        auto b = load_bucket(std::nullopt, Freshness::Fresh);
        if (!b) return;
        // The provider's system users may delete any bucket: the vendor
        // guide removes a user that way (its buckets first, by name).
        if (!is_owner(*b) && !principal_.system) return error(access_denied());
        auto r = engine_.delete_bucket(bucket_);
        if (!r) return error(r.error());
        send(204, {}, {});
    }

    void get_bucket_location() {
        auto b = load_bucket(std::nullopt);
        if (!b) return;
        if (!is_owner(*b)) return error(access_denied());
        std::string region = options_.region == "us-east-1" ? "" : options_.region;
        xml(std::string(kXmlHeader) + "<LocationConstraint xmlns=\"" + std::string(kXmlns) + "\">" +
            xml_escape(region) + "</LocationConstraint>");
    }

    void get_bucket_versioning() {
        auto b = load_bucket(std::nullopt);
        if (!b) return;
        if (!is_owner(*b)) return error(access_denied());
        // Versioning is not offered: every bucket is (and stays) unversioned.
        xml(std::string(kXmlHeader) + "<VersioningConfiguration xmlns=\"" + std::string(kXmlns) + "\"/>");
    }

    void put_bucket_versioning() {
        auto b = load_bucket(std::nullopt);
        if (!b) return;
        if (!is_owner(*b)) return error(access_denied());
        pugi::xml_document doc;
        auto root = xml_body(doc, "VersioningConfiguration");
        if (!root) return;
        std::string status = root->child_value("Status");
        if (status == "Enabled")
            return error({501, "NotImplemented", "Bucket versioning is not offered by this service."});
        if (!status.empty() && status != "Suspended") return error(malformed_xml());
        send(200, {}, {});
    }

    void get_bucket_acl() {
        auto b = load_bucket(std::nullopt);
        if (!b) return;
        if (!bucket_allows(*b, Permission::ReadAcp)) return error(access_denied());
        xml(acl_to_xml(b->owner_id, display_name(b->owner_id), b->acl));
    }

    // The ACL of a PutBucketAcl / PutObjectAcl: headers or an XML body.
    // `owners`: the bucket's owner ("" for a bucket) and the ACL's owner.
    std::optional<std::string> requested_acl(const CannedAclOwners& owners) {
        auto from_headers = acl_from_headers(engine_, req_, owners);
        if (auto* e = std::get_if<S3Error>(&from_headers)) {
            error(*e);
            return std::nullopt;
        }
        auto body = small_body();
        if (auto* e = std::get_if<S3Error>(&body)) {
            error(*e);
            return std::nullopt;
        }
        const auto& text = std::get<std::string>(body);
        auto& header_grants = std::get<std::optional<std::string>>(from_headers);
        if (!trim(text).empty()) {
            if (header_grants) {
                error({400, "UnexpectedContent", "This request does not support content"});
                return std::nullopt;
            }
            auto stored = acl_from_xml(engine_, text, owners.owner);
            if (auto* e = std::get_if<S3Error>(&stored)) {
                error(*e);
                return std::nullopt;
            }
            return std::get<std::string>(stored);
        }
        if (!header_grants) {
            error({400, "MissingSecurityHeader", "Your request was missing a required header: x-amz-acl"});
            return std::nullopt;
        }
        return *header_grants;
    }

    void put_bucket_acl() {
        auto b = load_bucket(std::nullopt, Freshness::Fresh);
        if (!b) return;
        if (!bucket_allows(*b, Permission::WriteAcp)) return error(access_denied());
        auto acl = requested_acl({{}, b->owner_id});
        if (!acl) return;
        auto r = engine_.set_bucket_acl(bucket_, *acl);
        if (!r) return error(r.error());
        send(200, {}, {});
    }

    // ---- listing -------------------------------------------------------------

    enum class ListKind { V1, V2, Versions };

    // A listing answered without encoding-type=url must still parse. Keys
    // XML cannot carry are refused at write (new_key_allowed), but a volume
    // may hold some from before, and a prefix or marker in the query may be
    // anything. Such a page is answered as encoding-type=url would be, and
    // says so (<EncodingType>url</EncodingType>): a client that checks the
    // element decodes it, and no object is hidden from the listing (skipping
    // it would leave its owner no way to find and delete it).
    static bool all_xml_carriable(const std::vector<std::string_view>& texts) {
        return std::all_of(texts.begin(), texts.end(), [](std::string_view t) { return xml_can_carry(t); });
    }

    void list_objects(ListKind kind) {
        auto b = load_bucket(Permission::Read);
        if (!b) return;
        ListObjectsParams params;
        if (const auto* p = find(query_, "prefix")) params.prefix = *p;
        if (const auto* d = find(query_, "delimiter")) params.delimiter = *d;
        std::uint32_t max_keys = 1000;
        if (const auto* mk = find(query_, "max-keys")) {
            auto v = parse_u64(*mk);
            if (!v) return error(invalid_argument("Provided max-keys not an integer or within integer range"));
            max_keys = static_cast<std::uint32_t>(std::min<std::uint64_t>(*v, 1000));
        }
        params.max_keys = max_keys;
        bool url = false;
        if (const auto* enc = find(query_, "encoding-type")) {
            if (*enc != "url") return error(invalid_argument("Invalid Encoding Method specified in Request"));
            url = true;
        }
        auto encode = [&url](std::string_view s) { return url ? aws_uri_encode(s, true) : std::string(s); };
        std::string start_after, token;
        if (kind == ListKind::V1) {
            if (const auto* m = find(query_, "marker")) params.marker = *m;
        } else if (kind == ListKind::V2) {
            if (const auto* sa = find(query_, "start-after")) start_after = *sa;
            // An empty continuation-token (what some clients send for the
            // first page) is none.
            if (const auto* ct = find(query_, "continuation-token"); ct && !ct->empty()) {
                token = *ct;
                auto decoded = base64_decode(token);
                if (!decoded || decoded->empty() || (*decoded)[0] != 'k')
                    return error(invalid_argument("The continuation token provided is incorrect"));
                params.marker = decoded->substr(1);
            } else {
                params.marker = start_after;
            }
        } else {
            if (const auto* km = find(query_, "key-marker")) params.marker = *km;
        }
        auto listed = engine_.list_objects(bucket_, params);
        if (!listed) return error(listed.error());
        if (!url) {
            std::vector<std::string_view> texts = {params.prefix, params.marker, start_after, params.delimiter,
                                                   listed->next_marker};
            for (const auto& o : listed->objects) texts.push_back(o.key);
            for (const auto& p : listed->common_prefixes) texts.push_back(p);
            url = !all_xml_carriable(texts);
        }

        std::string root = kind == ListKind::Versions ? "ListVersionsResult" : "ListBucketResult";
        std::string body = std::string(kXmlHeader) + "<" + root + " xmlns=\"" + std::string(kXmlns) + "\">";
        auto el = [&](std::string_view tag, std::string_view value) {
            body += "<" + std::string(tag) + ">" + xml_escape(value) + "</" + std::string(tag) + ">";
        };
        el("Name", bucket_);
        // ListObjects (v1) returns Prefix as sent even with encoding-type=url
        // (SDKs do not decode it there), unless XML cannot carry it.
        bool raw_prefix = kind == ListKind::V1 && xml_can_carry(params.prefix);
        el("Prefix", raw_prefix ? params.prefix : encode(params.prefix));
        if (kind == ListKind::V1) {
            el("Marker", encode(params.marker));
        } else if (kind == ListKind::V2) {
            if (find(query_, "start-after")) el("StartAfter", encode(start_after));
            if (!token.empty()) el("ContinuationToken", token);
            el("KeyCount", std::to_string(listed->objects.size() + listed->common_prefixes.size()));
        } else {
            el("KeyMarker", encode(params.marker));
            el("VersionIdMarker", find(query_, "version-id-marker") ? *find(query_, "version-id-marker") : "");
        }
        el("MaxKeys", std::to_string(max_keys));
        if (!params.delimiter.empty()) el("Delimiter", encode(params.delimiter));
        if (url) el("EncodingType", "url");
        el("IsTruncated", listed->truncated ? "true" : "false");
        if (listed->truncated) {
            if (kind == ListKind::V1 && !params.delimiter.empty()) el("NextMarker", encode(listed->next_marker));
            if (kind == ListKind::V2) el("NextContinuationToken", base64_encode("k" + listed->next_marker));
            if (kind == ListKind::Versions) {
                el("NextKeyMarker", encode(listed->next_marker));
                el("NextVersionIdMarker", "null");
            }
        }
        bool fetch_owner =
            kind != ListKind::V2 || (find(query_, "fetch-owner") && *find(query_, "fetch-owner") == "true");
        for (const auto& o : listed->objects) {
            body += kind == ListKind::Versions ? "<Version>" : "<Contents>";
            el("Key", encode(o.key));
            if (kind == ListKind::Versions) {
                el("VersionId", "null");
                el("IsLatest", "true");
            }
            el("LastModified", iso8601_ms(o.last_modified_ms));
            el("ETag", etag_quoted(o.etag));
            el("Size", std::to_string(o.size));
            if (fetch_owner) body += owner_xml(object_owner(*b, o));
            el("StorageClass", "STANDARD");
            body += kind == ListKind::Versions ? "</Version>" : "</Contents>";
        }
        for (const auto& p : listed->common_prefixes) {
            body += "<CommonPrefixes>";
            el("Prefix", encode(p));
            body += "</CommonPrefixes>";
        }
        body += "</" + root + ">";
        xml(std::move(body));
    }

    // ---- objects -------------------------------------------------------------

    // False (answered 503) when writing `bytes` would eat into the space kept
    // for deletes (space_reserve.hpp).
    bool space_for(std::uint64_t bytes) {
        if (space_for_write(engine_.directory(), bytes)) return true;
        error(Error(Errc::NoSpace, "The storage is (nearly) full: delete objects to free space."));
        return false;
    }

    // Keys written from now on are ones every XML answer can carry: as AWS
    // asks of keys, valid UTF-8, and none of the characters XML 1.0 cannot
    // hold even as a reference (TAB, LF and CR are fine: they are written
    // as &#9; &#10; &#13;). False once answered.
    bool new_key_allowed() {
        if (xml_can_carry(key_)) return true;
        error(
            invalid_argument("Object key contains characters not allowed: it must be valid UTF-8 without control "
                             "characters other than TAB, LF and CR."));
        return false;
    }

    void put_object() {
        auto b = load_bucket(Permission::Write);
        if (!b) return;
        if (!new_key_allowed()) return;
        auto meta = meta_from_headers();
        if (auto* e = std::get_if<S3Error>(&meta)) return error(*e);
        PutOptions options;
        options.meta = std::get<ObjectMeta>(std::move(meta));
        if (!write_conditions(options.conditions, *b)) return;
        auto info =
            receive([&](PutOptions o) { return engine_.begin_put(bucket_, key_, std::move(o)); }, std::move(options));
        if (!info) return;
        HeaderList h = {{"ETag", etag_quoted(info->etag)}};
        for (auto& c : checksum_headers(info->meta.checksums)) h.push_back(std::move(c));
        if (!info->meta.checksums.empty())
            h.emplace_back("x-amz-checksum-type", std::string(checksum_type(info->meta.checksums.front().second)));
        send(200, std::move(h), {});
    }

    // A conditional write (PutObject, CopyObject, CompleteMultipartUpload):
    // If-None-Match: * (create only) or If-Match: <etag> (replace only that
    // version). Checked now, so that a refused upload is not read first, and
    // again by the engine in the commit, so that of concurrent writers only
    // one passes. False once answered.
    bool write_conditions(WriteConditions& conditions, const Bucket& bucket) {
        const auto* if_none_match = req_.header("if-none-match");
        const auto* if_match = req_.header("if-match");
        if (!if_none_match && !if_match) return true;
        if (if_none_match) {
            if (trim(*if_none_match) != "*") {
                not_implemented();  // S3 takes only '*' here
                return false;
            }
            conditions.if_none_match = true;
        }
        if (if_match) {
            auto etag = s3::unquote_etag(trim(*if_match));
            if (etag.empty() || etag == "*") {
                not_implemented();
                return false;
            }
            conditions.if_match_etag = std::string(etag);
        }
        auto current = engine_.head_object(bucket_, key_);
        if (!current && current.error().code() != Errc::NoSuchKey) {
            error(current.error());
            return false;
        }
        S3Error failed = precondition_failed();
        if (conditions.if_none_match && current) {
            error(failed);
            return false;
        }
        if (conditions.if_match_etag && !current) {
            error(object_error(current.error(), bucket));
            return false;
        }
        if (conditions.if_match_etag && current->etag != *conditions.if_match_etag) {
            error(failed);
            return false;
        }
        return true;
    }

    // 304/412 for a failed precondition, else nullopt.
    std::optional<S3Error> preconditions(const ObjectInfo& info, bool read) {
        s3::ConditionalHeaders conditions{.if_match = req_.header("if-match"),
                                          .if_none_match = req_.header("if-none-match"),
                                          .if_modified_since = req_.header("if-modified-since"),
                                          .if_unmodified_since = req_.header("if-unmodified-since")};
        switch (s3::evaluate_preconditions(conditions, info.etag, info.last_modified_ms, read, now_ms())) {
            case s3::Precondition::Met:
                return std::nullopt;
            case s3::Precondition::NotModified:
                return S3Error{304, "NotModified", "Not Modified"};
            case s3::Precondition::Failed:
                break;
        }
        return precondition_failed();
    }

    HeaderList object_headers(const ObjectInfo& info) {
        HeaderList h;
        h.emplace_back("ETag", etag_quoted(info.etag));
        h.emplace_back("Last-Modified", http_date(info.last_modified_ms));
        h.emplace_back("Accept-Ranges", "bytes");
        for (const auto& [name, value] : info.meta.user) h.emplace_back("x-amz-meta-" + name, value);
        for (const auto& [name, value] : info.meta.headers) h.emplace_back(display_header(name), value);
        return h;
    }

    void set_header(HeaderList& h, std::string_view name, std::string value) {
        for (auto& [n, v] : h)
            if (iequals(n, name)) {
                v = std::move(value);
                return;
            }
        h.emplace_back(std::string(name), std::move(value));
    }

    void get_object(bool head_only) {
        auto b = load_bucket(std::nullopt);
        if (!b) return;
        auto v = validate_object_key(key_);
        if (!v) return error(v.error());

        std::optional<ByteRange> range;
        std::optional<std::uint32_t> part_number;
        if (const auto* pn = find(query_, "partNumber")) {
            auto n = parse_u64(*pn);
            if (!n || *n < 1 || *n > 10000)
                return error(invalid_argument("Part number must be an integer between 1 and 10000, inclusive"));
            part_number = static_cast<std::uint32_t>(*n);
        }
        auto range_request = part_number ? s3::RangeRequest{} : s3::parse_range(req_.header_or("range"));
        if (range_request.kind == s3::RangeRequest::Kind::Suffix || part_number) {
            auto info = engine_.head_object(bucket_, key_);
            if (!info) return error(object_error(info.error(), *b));
            if (!object_allows(*b, *info, Permission::Read)) return error(access_denied());
            if (part_number) {
                auto sizes = info->part_sizes.empty() ? std::vector<std::uint64_t>{info->size} : info->part_sizes;
                // AWS answers 416 InvalidPartNumber; issue 14 asks for Ceph
                // RGW's answer (which its s3-tests check), 400 InvalidPart.
                if (*part_number > sizes.size())
                    return error({400, "InvalidPart",
                                  "The requested part number is past the object's " + std::to_string(sizes.size()) +
                                      " part(s)."});
                std::uint64_t first = 0;
                for (std::uint32_t i = 1; i < *part_number; ++i) first += sizes[i - 1];
                if (sizes[*part_number - 1] > 0) range = ByteRange{first, first + sizes[*part_number - 1] - 1};
            } else {
                if (range_request.suffix == 0 || info->size == 0)
                    return error({416, "InvalidRange", "The requested range is not satisfiable"},
                                 {{"Content-Range", "bytes */" + std::to_string(info->size)}});
                std::uint64_t n = std::min(range_request.suffix, info->size);
                range = ByteRange{info->size - n, info->size - 1};
            }
        } else if (range_request.kind == s3::RangeRequest::Kind::Absolute) {
            range = ByteRange{range_request.first, range_request.last.value_or(UINT64_MAX)};
        }
        auto reader = engine_.open_object(bucket_, key_, range);
        if (!reader) {
            if (reader.error().code() == Errc::InvalidRange) {
                auto info = engine_.head_object(bucket_, key_);
                if (info && !object_allows(*b, *info, Permission::Read)) return error(access_denied());
                return error({416, "InvalidRange", "The requested range is not satisfiable"},
                             {{"Content-Range", "bytes */" + std::to_string(info ? info->size : 0)}});
            }
            // Without permission to list, a missing key must not be told
            // from a forbidden one.
            return error(object_error(reader.error(), *b));
        }
        const auto& info = (*reader)->info();
        if (!object_allows(*b, info, Permission::Read)) return error(access_denied());
        if (auto failed = preconditions(info, true)) {
            if (failed->status == 304) {
                HeaderList h = {{"ETag", etag_quoted(info.etag)}, {"Last-Modified", http_date(info.last_modified_ms)}};
                return send(304, std::move(h), {});
            }
            return error(*failed);
        }

        HeaderList h = object_headers(info);
        std::uint64_t length = (*reader)->remaining();
        int status = 200;
        if (range) {
            status = part_number && info.part_sizes.empty() ? 200 : 206;
            std::uint64_t first = range->first;
            std::uint64_t last = first + length - 1;
            if (status == 206)
                h.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                                    std::to_string(info.size));
        }
        if (part_number && !info.part_sizes.empty())
            h.emplace_back("x-amz-mp-parts-count", std::to_string(info.part_sizes.size()));
        std::string content_type = info.meta.content_type.empty() ? "binary/octet-stream" : info.meta.content_type;
        h.emplace_back("Content-Type", content_type);
        // Checksums only when asked for, and only of the whole object.
        const auto* mode = req_.header("x-amz-checksum-mode");
        if (mode && iequals(trim(*mode), "ENABLED") && !range) {
            for (auto& c : checksum_headers(info.meta.checksums)) h.push_back(std::move(c));
            if (!info.meta.checksums.empty())
                h.emplace_back("x-amz-checksum-type", std::string(checksum_type(info.meta.checksums.front().second)));
        }
        // response-* overrides (presigned downloads use them).
        static constexpr std::pair<std::string_view, std::string_view> kOverrides[] = {
            {"response-content-type", "Content-Type"},
            {"response-content-language", "Content-Language"},
            {"response-expires", "Expires"},
            {"response-cache-control", "Cache-Control"},
            {"response-content-disposition", "Content-Disposition"},
            {"response-content-encoding", "Content-Encoding"}};
        for (const auto& [param, header] : kOverrides)
            if (const auto* v = find(query_, param)) set_header(h, header, *v);

        HttpResponseHead head;
        head.status = status;
        head.headers = base_headers();
        for (auto& x : h) head.headers.push_back(std::move(x));
        head.content_length = length;
        if (!out_.write_head(head) || head_only) return;
        // Straight from the reader's buffers to the socket: no copy here.
        std::uint64_t sent = 0;
        while (sent < length) {
            auto piece = (*reader)->read_view(kIoChunk);
            if (!piece || piece->empty()) {
                // Headers are gone; all that is left is to cut the connection
                // so the client sees a short body rather than bad data.
                std::fprintf(stderr, "ostor-gateway: read of %s/%s failed after %llu bytes: %.*s\n", bucket_.c_str(),
                             key_.c_str(), static_cast<unsigned long long>(sent),
                             piece ? 0 : static_cast<int>(piece.error().message().size()),
                             piece ? "" : piece.error().message().data());
                return;
            }
            if (!send_body(*piece)) return;
            sent += piece->size();
        }
    }

    void delete_object() {
        auto b = load_bucket(Permission::Write);
        if (!b) return;
        auto v = validate_object_key(key_);
        if (!v) return error(v.error());
        auto r = engine_.delete_object(bucket_, key_);
        if (!r && r.error().code() != Errc::NoSuchKey) return error(r.error());
        send(204, {}, {});
    }

    void delete_objects() {
        auto b = load_bucket(Permission::Write);
        if (!b) return;
        auto body = small_body();
        if (auto* e = std::get_if<S3Error>(&body)) return error(*e);
        auto parsed = s3::parse_delete_objects(std::get<std::string>(body));
        if (auto* e = std::get_if<S3Error>(&parsed)) return error(*e);
        const auto& [quiet, keys] = std::get<s3::DeleteObjectsRequest>(parsed);
        std::string out = std::string(kXmlHeader) + "<DeleteResult xmlns=\"" + std::string(kXmlns) + "\">";
        for (const auto& k : keys) {
            auto r = engine_.delete_object(bucket_, k);
            if (r || r.error().code() == Errc::NoSuchKey) {
                if (!quiet) out += "<Deleted><Key>" + xml_key(k) + "</Key></Deleted>";
            } else {
                S3Error e(r.error());
                out += "<Error><Key>" + xml_key(k) + "</Key><Code>" + xml_escape(e.code) + "</Code><Message>" +
                       xml_text(e.message) + "</Message></Error>";
            }
        }
        out += "</DeleteResult>";
        xml(std::move(out));
    }

    // x-amz-copy-source: "[/]bucket/key[?versionId=...]", percent-encoded.
    std::optional<std::pair<std::string, std::string>> copy_source() {
        std::string_view raw = trim(req_.header_or("x-amz-copy-source"));
        if (auto q = raw.find('?'); q != std::string_view::npos) {
            auto params = raw.substr(q + 1);
            raw = raw.substr(0, q);
            if (params.starts_with("versionId=") && params != "versionId=null") {
                error({404, "NoSuchVersion", "The specified version does not exist."});
                return std::nullopt;
            }
        }
        auto decoded = url_decode(raw);
        if (!decoded) {
            error(invalid_argument("Invalid copy source encoding"));
            return std::nullopt;
        }
        std::string_view s = *decoded;
        if (s.starts_with("/")) s.remove_prefix(1);
        auto slash = s.find('/');
        if (slash == std::string_view::npos || slash == 0 || slash + 1 >= s.size()) {
            error(invalid_argument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey"));
            return std::nullopt;
        }
        return std::pair<std::string, std::string>{std::string(s.substr(0, slash)), std::string(s.substr(slash + 1))};
    }

    // The readable source object of a copy; answers itself on failure.
    std::optional<ObjectInfo> copy_source_info(const std::string& src_bucket, const std::string& src_key) {
        auto sb = engine_.get_bucket_record(src_bucket);
        if (!sb) {
            error(sb.error());
            return std::nullopt;
        }
        if (!expected_owner(*sb, "x-amz-source-expected-bucket-owner")) return std::nullopt;
        auto info = engine_.head_object(src_bucket, src_key);
        if (!info) {
            error(info.error());
            return std::nullopt;
        }
        if (!object_allows(*sb, *info, Permission::Read)) {
            error(access_denied());
            return std::nullopt;
        }
        // x-amz-copy-source-if-* preconditions (all answer 412).
        const auto* m = req_.header("x-amz-copy-source-if-match");
        const auto* nm = req_.header("x-amz-copy-source-if-none-match");
        const auto* ums = req_.header("x-amz-copy-source-if-unmodified-since");
        const auto* ms = req_.header("x-amz-copy-source-if-modified-since");
        std::int64_t modified_s = info->last_modified_ms / 1000;
        bool ok = true;
        if (m && !s3::etag_matches(*m, info->etag)) ok = false;
        if (nm && s3::etag_matches(*nm, info->etag)) ok = false;
        if (ums && !m) {
            auto t = parse_http_date(*ums);
            if (t && modified_s > *t / 1000) ok = false;
        }
        if (ms && !nm) {
            auto t = parse_http_date(*ms);
            if (t && modified_s <= *t / 1000) ok = false;
        }
        if (!ok) {
            error(precondition_failed());
            return std::nullopt;
        }
        return std::move(*info);
    }

    void copy_object() {
        auto b = load_bucket(Permission::Write);
        if (!b) return;
        if (!space_for(0)) return;
        if (!new_key_allowed()) return;
        auto v = validate_object_key(key_);
        if (!v) return error(v.error());
        auto src = copy_source();
        if (!src) return;
        auto info = copy_source_info(src->first, src->second);
        if (!info) return;
        std::string directive(trim(req_.header_or("x-amz-metadata-directive", "COPY")));
        if (directive != "COPY" && directive != "REPLACE")
            return error(invalid_argument("Unknown metadata directive."));
        auto meta = meta_from_headers();
        if (auto* e = std::get_if<S3Error>(&meta)) return error(*e);
        auto& new_meta = std::get<ObjectMeta>(meta);
        bool same = src->first == bucket_ && src->second == key_;
        if (same && directive != "REPLACE")
            return error(invalid_request(
                "This copy request is illegal because it is trying to copy an object to itself without "
                "changing the object's metadata, storage class, website redirect location or encryption attributes."));
        CopyOptions options;
        if (!write_conditions(options.conditions, *b)) return;
        if (directive == "REPLACE") {
            new_meta.checksums = info->meta.checksums;
            options.replace_meta = new_meta;
        }
        auto copied = engine_.copy_object(src->first, src->second, bucket_, key_, options);
        if (!copied) return error(copied.error());
        // The copy gets the ACL the request asks for (private by default),
        // not the source's.
        if (copied->meta.acl != new_meta.acl) {
            auto r = engine_.set_object_acl(bucket_, key_, new_meta.acl);
            if (!r) return error(r.error());
        }
        xml(XmlWriter("CopyObjectResult")
                .el("LastModified", iso8601_ms(copied->last_modified_ms))
                .el("ETag", etag_quoted(copied->etag))
                .finish());
    }

    void get_object_acl() {
        auto b = load_bucket(std::nullopt);
        if (!b) return;
        auto info = engine_.head_object(bucket_, key_);
        if (!info) return error(object_error(info.error(), *b));
        if (!object_allows(*b, *info, Permission::ReadAcp)) return error(access_denied());
        if (req_.method == "HEAD") return send(200, {}, {});
        auto owner = object_owner(*b, *info);
        xml(acl_to_xml(owner, display_name(owner), info->meta.acl));
    }

    void put_object_acl() {
        auto b = load_bucket(std::nullopt);
        if (!b) return;
        auto info = engine_.head_object(bucket_, key_);
        if (!info) return error(object_error(info.error(), *b));
        if (!object_allows(*b, *info, Permission::WriteAcp)) return error(access_denied());
        auto acl = requested_acl({b->owner_id, object_owner(*b, *info)});
        if (!acl) return;
        auto r = engine_.set_object_acl(bucket_, key_, acl_with_object_owner(*acl, acl_object_owner(info->meta.acl)));
        if (!r) return error(r.error());
        send(200, {}, {});
    }

    // GetObjectAttributes: the attributes x-amz-object-attributes names, in
    // the order of the S3 reference; parts of a multipart object paged by
    // x-amz-max-parts / x-amz-part-number-marker.
    void get_object_attributes() {
        auto b = load_bucket(std::nullopt);
        if (!b) return;
        const auto* names = req_.header("x-amz-object-attributes");
        if (!names || trim(*names).empty())
            return error(
                invalid_request("The x-amz-object-attributes header specifying the attributes to be retrieved is "
                                "either missing or empty"));
        std::set<std::string, std::less<>> wanted;
        for (std::string_view rest = *names; !rest.empty();) {
            auto comma = rest.find(',');
            auto n = std::string(trim(rest.substr(0, comma)));
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            if (n != "ETag" && n != "Checksum" && n != "ObjectParts" && n != "StorageClass" && n != "ObjectSize")
                return error(invalid_argument("Invalid attribute name specified: " + n));
            wanted.insert(std::move(n));
        }
        std::uint32_t max_parts = 1000, marker = 0;
        for (auto [header, into] :
             {std::pair{"x-amz-max-parts", &max_parts}, std::pair{"x-amz-part-number-marker", &marker}})
            if (const auto* v = req_.header(header)) {
                auto n = parse_u64(trim(*v));
                if (!n || *n > 10000 || (*n == 0 && into == &max_parts))
                    return error(invalid_argument(std::string("Invalid ") + header));
                *into = static_cast<std::uint32_t>(*n);
            }
        auto info = engine_.head_object(bucket_, key_);
        if (!info) return error(object_error(info.error(), *b));
        if (!object_allows(*b, *info, Permission::Read)) return error(access_denied());
        if (auto failed = preconditions(*info, true))
            return error(failed->status == 304 ? S3Error{304, "NotModified", ""} : *failed);

        XmlWriter x("GetObjectAttributesResponse");
        if (wanted.contains("ETag")) x.el("ETag", info->etag);
        if (wanted.contains("Checksum") && !info->meta.checksums.empty()) {
            x.open("Checksum");
            for (const auto& [name, value] : info->meta.checksums) x.el("Checksum" + name, checksum_base64(value));
            x.el("ChecksumType", std::string(checksum_type(info->meta.checksums.front().second)));
            x.close("Checksum");
        }
        if (wanted.contains("ObjectParts") && !info->part_sizes.empty()) {
            auto count = static_cast<std::uint32_t>(info->part_sizes.size());
            x.open("ObjectParts").el("PartsCount", std::to_string(count));
            x.el("PartNumberMarker", std::to_string(marker)).el("MaxParts", std::to_string(max_parts));
            std::uint32_t last = marker;
            for (std::uint32_t n = marker + 1; n <= count && n - marker <= max_parts; ++n) {
                x.open("Part").el("PartNumber", std::to_string(n)).el("Size", std::to_string(info->part_sizes[n - 1]));
                x.close("Part");
                last = n;
            }
            x.el("NextPartNumberMarker", std::to_string(last)).el("IsTruncated", last < count);
            x.close("ObjectParts");
        }
        if (wanted.contains("StorageClass")) x.el("StorageClass", "STANDARD");
        if (wanted.contains("ObjectSize")) x.el("ObjectSize", std::to_string(info->size));
        xml(x.finish(), 200, {{"Last-Modified", http_date(info->last_modified_ms)}});
    }

    void get_object_tagging() {
        auto b = load_bucket(std::nullopt);
        if (!b) return;
        auto info = engine_.head_object(bucket_, key_);
        if (!info) return error(object_error(info.error(), *b));
        if (!object_allows(*b, *info, Permission::Read)) return error(access_denied());
        xml(XmlWriter("Tagging").open("TagSet").close("TagSet").finish());
    }

    // ---- multipart ---------------------------------------------------------

    Result<Upload> find_upload() {
        const auto* id = find(query_, "uploadId");
        return id ? engine_.get_upload(*id) : Result<Upload>(Errc::NoSuchUpload);
    }

    // The upload named by ?uploadId, checked to belong to this bucket and key.
    std::optional<Upload> load_upload() { return load_upload(find_upload()); }
    std::optional<Upload> load_upload(Result<Upload> upload) {
        if (!upload || upload->bucket != bucket_ || upload->key != key_) {
            error(upload ? S3Error(Error(Errc::NoSuchUpload)) : S3Error(upload.error()));
            return std::nullopt;
        }
        return std::move(*upload);
    }

    // Who started an upload (its Initiator and Owner): the writer recorded
    // in its ACL (meta_from_headers) when another user than the bucket's owner.
    static std::string initiator(const Upload& upload) {
        auto writer = acl_object_owner(upload.meta.acl);
        return writer.empty() ? upload.owner_id : writer;
    }

    std::optional<std::uint32_t> part_number() {
        const auto* pn = find(query_, "partNumber");
        auto n = pn ? parse_u64(*pn) : std::nullopt;
        if (!n || *n < 1 || *n > 10000) {
            error(invalid_argument("Part number must be an integer between 1 and 10000, inclusive"));
            return std::nullopt;
        }
        return static_cast<std::uint32_t>(*n);
    }

    void create_upload() {
        auto b = load_bucket(Permission::Write);
        if (!b) return;
        if (!space_for(0)) return;
        if (!new_key_allowed()) return;
        auto v = validate_object_key(key_);
        if (!v) return error(v.error());
        auto meta = meta_from_headers();
        if (auto* e = std::get_if<S3Error>(&meta)) return error(*e);
        auto& m = std::get<ObjectMeta>(meta);
        HeaderList h;
        const auto* type = req_.header("x-amz-checksum-type");
        if (const auto* alg = req_.header("x-amz-checksum-algorithm")) {
            auto a = parse_checksum_algorithm(trim(*alg));
            if (!a) return error(invalid_request(std::string(kUnsupportedUploadChecksum)));
            // CRC64NVME is always a full-object checksum; the others are
            // composite unless the client asks for FULL_OBJECT (CRCs only).
            bool crc = *a != ChecksumAlgorithm::SHA1 && *a != ChecksumAlgorithm::SHA256;
            bool full = *a == ChecksumAlgorithm::CRC64NVME;
            if (type) {
                auto t = trim(*type);
                if (t == "FULL_OBJECT" && crc)
                    full = true;
                else if (t == "COMPOSITE" && *a != ChecksumAlgorithm::CRC64NVME)
                    full = false;
                else
                    return error(invalid_request("The " + std::string(t) + " checksum type is not supported for " +
                                                 std::string(checksum_name(*a)) + "."));
            }
            h.emplace_back("x-amz-checksum-algorithm", std::string(checksum_name(*a)));
            h.emplace_back("x-amz-checksum-type", full ? "FULL_OBJECT" : "COMPOSITE");
            // Kept with the upload (replaced by the object's own checksum at completion).
            m.checksums = {{std::string(checksum_name(*a)), full ? "FULL_OBJECT" : "COMPOSITE"}};
        } else if (type) {
            return error(invalid_request("x-amz-checksum-type needs x-amz-checksum-algorithm."));
        }
        auto upload = engine_.create_upload(bucket_, key_, std::move(m));
        if (!upload) return error(upload.error());
        xml(XmlWriter("InitiateMultipartUploadResult")
                .el("Bucket", bucket_)
                .key(key_)
                .el("UploadId", upload->id)
                .finish(),
            200, std::move(h));
    }

    void upload_part() {
        auto b = load_bucket(Permission::Write);
        if (!b) return;
        auto n = part_number();
        if (!n) return;
        auto upload = load_upload();
        if (!upload) return;
        upload_checksum_ = upload_checksum(*upload);
        auto info = receive([&](PutOptions o) { return engine_.begin_upload_part(upload->id, *n, std::move(o)); },
                            PutOptions{});
        if (!info) return;
        HeaderList h = {{"ETag", etag_quoted(info->etag)}};
        for (auto& c : checksum_headers(info->meta.checksums)) h.push_back(std::move(c));
        send(200, std::move(h), {});
    }

    void upload_part_copy() {
        auto b = load_bucket(Permission::Write);
        if (!b) return;
        if (!space_for(0)) return;
        auto n = part_number();
        if (!n) return;
        auto upload = load_upload();
        if (!upload) return;
        auto src = copy_source();
        if (!src) return;
        auto info = copy_source_info(src->first, src->second);
        if (!info) return;
        std::optional<ByteRange> range;
        if (const auto* r = req_.header("x-amz-copy-source-range")) {
            auto rr = s3::parse_range(*r);
            if (rr.kind != s3::RangeRequest::Kind::Absolute || !rr.last)
                return error(
                    invalid_argument("The x-amz-copy-source-range value must be of the form bytes=first-last where "
                                     "first and last are the zero-based offsets of the first and last bytes to copy"));
            // AWS answers 400 InvalidArgument ("Range specified is not
            // valid for source object of size: N"); we answer 416
            // InvalidRange as the issue asks, GetObject does for a range
            // past the end, and Ceph's s3-tests accept either.
            if (*rr.last >= info->size)
                return error({416, "InvalidRange",
                              "The requested range is not satisfiable: the source object's size is " +
                                  std::to_string(info->size) + "."});
            range = ByteRange{rr.first, *rr.last};
        }
        auto part = engine_.upload_part_copy(upload->id, *n, src->first, src->second, range);
        if (!part) return error(part.error());
        xml(XmlWriter("CopyPartResult")
                .el("LastModified", iso8601_ms(part->last_modified_ms))
                .el("ETag", etag_quoted(part->etag))
                .finish());
    }

    void complete_upload() {
        auto b = load_bucket(Permission::Write);
        if (!b) return;
        auto found = find_upload();
        if (!found && found.error().code() == Errc::NoSuchUpload)
            if (auto done = completed_before(*b, /*wait=*/false)) {
                // The body is read and checked as a first complete's is.
                pugi::xml_document doc;
                auto root = xml_body(doc, "CompleteMultipartUpload", /*allow_empty=*/false,
                                     /*checksum_headers_are_the_bodys=*/false);
                if (!root || !listed_parts(*root)) return;
                return completed_upload(*done);
            }
        if (!space_for(0)) return;
        auto upload = load_upload(std::move(found));
        if (!upload) return;
        pugi::xml_document doc;
        // Here x-amz-checksum-* are the whole object's checksum.
        auto root =
            xml_body(doc, "CompleteMultipartUpload", /*allow_empty=*/false, /*checksum_headers_are_the_bodys=*/false);
        if (!root) return;
        auto listed = listed_parts(*root);
        if (!listed) return;
        auto& parts = *listed;
        std::map<std::uint32_t, std::string> claimed;  // part checksums the client lists
        auto wanted = upload_checksum(*upload);
        if (wanted) {
            std::size_t i = 0;  // parts[i] is the i-th <Part>
            for (auto p : root->children("Part")) {
                if (auto c = p.child(("Checksum" + std::string(checksum_name(wanted->algorithm))).c_str()))
                    claimed[parts[i].number] = trim(c.child_value());
                ++i;
            }
        }
        if (auto refused = check_complete_checksum_headers(wanted)) return error(*refused);
        std::vector<std::pair<std::string, std::string>> object_checksums;
        if (wanted) {
            auto computed = multipart_object_checksum(*upload, *wanted, parts, claimed);
            if (auto* e = std::get_if<S3Error>(&computed)) return error(*e);
            if (auto& value = std::get<std::optional<std::string>>(computed))
                object_checksums.emplace_back(std::string(checksum_name(wanted->algorithm)), *value);
        }
        WriteConditions conditions;
        if (!write_conditions(conditions, *b)) return;
        auto info = engine_.complete_upload(upload->id, parts, object_checksums, conditions);
        // Another complete of the same upload (a retry overlapping this
        // one) may have closed it since it was read: get_upload waits for
        // its outcome while it holds the upload sealed (RADOS).
        if (!info && info.error().code() == Errc::NoSuchUpload) {
            (void)find_upload();
            if (auto done = completed_before(*b, /*wait=*/true)) return completed_upload(*done);
        }
        if (!info) return error(object_error(info.error(), *b));
        completed_upload(*info);
    }

    // The parts a CompleteMultipartUpload body lists; MalformedXML answered
    // when one is malformed or none is listed.
    std::optional<std::vector<CompletedPart>> listed_parts(pugi::xml_node root) {
        std::vector<CompletedPart> parts;
        for (auto p : root.children("Part")) {
            auto number = parse_u64(trim(p.child_value("PartNumber")));
            if (!number || *number < 1 || *number > 10000 || !p.child("ETag")) {
                error(malformed_xml());
                return std::nullopt;
            }
            parts.push_back(
                {static_cast<std::uint32_t>(*number), std::string(s3::unquote_etag(p.child_value("ETag")))});
        }
        if (parts.empty()) {
            error(malformed_xml());
            return std::nullopt;
        }
        return parts;
    }

    // The object ?uploadId made, while the key still holds it: a client
    // retrying after a lost answer gets that answer again. Only for a caller
    // who may read the object; others are told NoSuchUpload, as without it.
    // With `wait`, a complete that still holds the upload sealed (RADOS)
    // is given a short while to write its object.
    std::optional<ObjectInfo> completed_before(const Bucket& b, bool wait) {
        const auto* id = find(query_, "uploadId");
        if (!id || id->empty()) return std::nullopt;
        for (int attempt = 0;; ++attempt) {
            if (auto done = engine_.head_object(bucket_, key_); done && done->upload_id == *id) {
                if (!object_allows(b, *done, Permission::Read)) return std::nullopt;
                return std::move(*done);
            }
            if (!wait || attempt == 20) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    // The answer to CompleteMultipartUpload for the object it made (whose
    // checksums are the ones computed at completion).
    void completed_upload(const ObjectInfo& info) {
        std::string location = "/" + bucket_ + "/" + aws_uri_encode(key_, true);
        if (const auto* host = req_.header("host")) location = "http://" + *host + location;
        XmlWriter result("CompleteMultipartUploadResult");
        result.el("Location", location).el("Bucket", bucket_).key(key_).el("ETag", etag_quoted(info.etag));
        for (const auto& [name, value] : info.meta.checksums)
            result.el("Checksum" + name, value).el("ChecksumType", std::string(checksum_type(value)));
        xml(result.finish());
    }

    // The checksum algorithm an upload was created with, and whether its
    // object's checksum covers the whole object (else: composite).
    struct UploadChecksum {
        ChecksumAlgorithm algorithm;
        bool full_object;
    };
    static std::optional<UploadChecksum> upload_checksum(const Upload& upload) {
        for (const auto& [name, type] : upload.meta.checksums)
            if (auto a = parse_checksum_algorithm(name)) return UploadChecksum{*a, type == "FULL_OBJECT"};
        return std::nullopt;
    }

    // A whole-object checksum sent on CompleteMultipartUpload can only be
    // checked against the algorithm and mode the upload was created with
    // (an x-amz-checksum-type left out means the upload's).
    std::optional<S3Error> check_complete_checksum_headers(const std::optional<UploadChecksum>& wanted) {
        std::string created = wanted ? "the " + std::string(checksum_name(wanted->algorithm)) : std::string("no");
        for (auto a : kChecksumAlgorithms)
            if (req_.header(checksum_header(a)) && (!wanted || wanted->algorithm != a))
                return invalid_request("The upload was created using " + created +
                                       " checksum algorithm. The complete request must use the same algorithm.");
        if (const auto* type = req_.header("x-amz-checksum-type")) {
            std::string mode = wanted ? (wanted->full_object ? "FULL_OBJECT" : "COMPOSITE") : "null";
            if (trim(*type) != mode)
                return invalid_request("The upload was created using the " + mode +
                                       " checksum mode. The complete request must use the same checksum mode.");
        }
        return std::nullopt;
    }

    // The object's checksum from its parts' stored ones; a part checksum the
    // client lists must match the stored one (InvalidPart), and a whole-object
    // value it sends (x-amz-checksum-*) must match the result (BadDigest).
    // nullopt when a part has none (e.g. made by UploadPartCopy).
    std::variant<std::optional<std::string>, S3Error> multipart_object_checksum(
        const Upload& upload, const UploadChecksum& wanted, const std::vector<CompletedPart>& parts,
        const std::map<std::uint32_t, std::string>& claimed) {
        std::map<std::uint32_t, PartInfo> stored;
        for (std::uint32_t marker = 0;;) {
            auto page = engine_.list_parts(upload.id, marker, 1000);
            if (!page) return S3Error(page.error());
            for (auto& p : page->parts) stored[p.number] = std::move(p);
            if (!page->truncated) break;
            marker = page->next_marker;
        }
        std::string name(checksum_name(wanted.algorithm));
        std::vector<PartChecksum> inputs;
        bool complete = true;
        for (const auto& part : parts) {
            auto it = stored.find(part.number);
            if (it == stored.end()) continue;  // the engine refuses it (InvalidPart)
            const std::string* value = nullptr;
            for (const auto& [n, v] : it->second.checksums)
                if (n == name) value = &v;
            if (auto c = claimed.find(part.number); c != claimed.end() && (!value || c->second != *value))
                return S3Error{
                    400, "InvalidPart",
                    "The checksum of part " + std::to_string(part.number) + " does not match the one uploaded."};
            if (!value)
                complete = false;
            else
                inputs.push_back({*value, it->second.size});
        }
        const std::string* sent = req_.header(checksum_header(wanted.algorithm));
        if (!complete) {
            if (sent)
                return invalid_request("The " + name +
                                       " you specified cannot be checked: a part of the upload has none.");
            return std::optional<std::string>();
        }
        auto value = ostor::gw::multipart_checksum(wanted.algorithm, wanted.full_object, inputs);
        if (!value) return std::optional<std::string>();
        if (sent) {
            auto expected = std::string(trim(*sent));
            auto bare = value->substr(0, value->find('-'));
            if (expected != *value && expected != bare)
                return S3Error{400, "BadDigest",
                               "The " + name + " you specified did not match the calculated checksum."};
        }
        return value;
    }

    void abort_upload() {
        auto b = load_bucket(Permission::Write);
        if (!b) return;
        auto upload = load_upload();
        if (!upload) return;
        auto r = engine_.abort_upload(upload->id);
        if (!r) return error(r.error());
        send(204, {}, {});
    }

    void list_parts() {
        auto b = load_bucket(Permission::Read);
        if (!b) return;
        auto upload = load_upload();
        if (!upload) return;
        std::uint32_t marker = 0, max_parts = 1000;
        if (const auto* m = find(query_, "part-number-marker")) {
            auto v = parse_u64(*m);
            if (!v || *v > 10000) return error(invalid_argument("Invalid part-number-marker"));
            marker = static_cast<std::uint32_t>(*v);
        }
        if (const auto* m = find(query_, "max-parts")) {
            auto v = parse_u64(*m);
            if (!v) return error(invalid_argument("Invalid max-parts"));
            max_parts = static_cast<std::uint32_t>(std::min<std::uint64_t>(*v, 1000));
        }
        auto listed = engine_.list_parts(upload->id, marker, max_parts);
        if (!listed) return error(listed.error());
        std::string owner = owner_fields(initiator(*upload));
        std::string body = std::string(kXmlHeader) + "<ListPartsResult xmlns=\"" + std::string(kXmlns) + "\"><Bucket>" +
                           xml_escape(bucket_) + "</Bucket><Key>" + xml_key(key_) + "</Key><UploadId>" +
                           xml_escape(upload->id) + "</UploadId><Initiator>" + owner + "</Initiator><Owner>" + owner +
                           "</Owner><StorageClass>STANDARD</StorageClass><PartNumberMarker>" + std::to_string(marker) +
                           "</PartNumberMarker><NextPartNumberMarker>" +
                           std::to_string(listed->parts.empty() ? marker : listed->parts.back().number) +
                           "</NextPartNumberMarker><MaxParts>" + std::to_string(max_parts) +
                           "</MaxParts><IsTruncated>" + (listed->truncated ? "true" : "false") + "</IsTruncated>";
        for (const auto& p : listed->parts) {
            body += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><LastModified>" +
                    iso8601_ms(p.last_modified_ms) + "</LastModified><ETag>" + xml_escape(etag_quoted(p.etag)) +
                    "</ETag><Size>" + std::to_string(p.size) + "</Size>";
            for (const auto& [name, value] : p.checksums)
                body += "<Checksum" + name + ">" + xml_escape(value) + "</Checksum" + name + ">";
            body += "</Part>";
        }
        body += "</ListPartsResult>";
        xml(std::move(body));
    }

    void list_uploads() {
        auto b = load_bucket(Permission::Read);
        if (!b) return;
        ListUploadsParams params;
        if (const auto* v = find(query_, "prefix")) params.prefix = *v;
        if (const auto* v = find(query_, "delimiter")) params.delimiter = *v;
        if (const auto* v = find(query_, "key-marker")) params.key_marker = *v;
        if (const auto* v = find(query_, "upload-id-marker")) params.upload_id_marker = *v;
        if (const auto* v = find(query_, "max-uploads")) {
            auto n = parse_u64(*v);
            if (!n) return error(invalid_argument("Invalid max-uploads"));
            params.max_uploads = static_cast<std::uint32_t>(std::min<std::uint64_t>(*n, 1000));
        }
        bool url = find(query_, "encoding-type") && *find(query_, "encoding-type") == "url";
        auto encode = [&url](std::string_view s) { return url ? aws_uri_encode(s, true) : std::string(s); };
        auto listed = engine_.list_uploads(bucket_, params);
        if (!listed) return error(listed.error());
        if (!url) {
            std::vector<std::string_view> texts = {params.prefix, params.key_marker, params.delimiter,
                                                   listed->next_key_marker};
            for (const auto& u : listed->uploads) texts.push_back(u.key);
            for (const auto& p : listed->common_prefixes) texts.push_back(p);
            url = !all_xml_carriable(texts);
        }
        std::string body = std::string(kXmlHeader) + "<ListMultipartUploadsResult xmlns=\"" + std::string(kXmlns) +
                           "\"><Bucket>" + xml_escape(bucket_) + "</Bucket><KeyMarker>" +
                           xml_escape(encode(params.key_marker)) + "</KeyMarker><UploadIdMarker>" +
                           xml_escape(params.upload_id_marker) + "</UploadIdMarker>";
        if (listed->truncated)
            body += "<NextKeyMarker>" + xml_escape(encode(listed->next_key_marker)) +
                    "</NextKeyMarker><NextUploadIdMarker>" + xml_escape(listed->next_upload_id_marker) +
                    "</NextUploadIdMarker>";
        if (!params.delimiter.empty()) body += "<Delimiter>" + xml_escape(encode(params.delimiter)) + "</Delimiter>";
        body += "<Prefix>" + xml_escape(encode(params.prefix)) + "</Prefix><MaxUploads>" +
                std::to_string(params.max_uploads) + "</MaxUploads><IsTruncated>" +
                (listed->truncated ? "true" : "false") + "</IsTruncated>";
        if (url) body += "<EncodingType>url</EncodingType>";
        for (const auto& u : listed->uploads) {
            std::string owner = owner_fields(initiator(u));
            body += "<Upload><Key>" + xml_escape(encode(u.key)) + "</Key><UploadId>" + xml_escape(u.id) +
                    "</UploadId><Initiator>" + owner + "</Initiator><Owner>" + owner +
                    "</Owner><StorageClass>STANDARD</StorageClass><Initiated>" + iso8601_ms(u.initiated_ms) +
                    "</Initiated></Upload>";
        }
        for (const auto& p : listed->common_prefixes)
            body += "<CommonPrefixes><Prefix>" + xml_escape(encode(p)) + "</Prefix></CommonPrefixes>";
        body += "</ListMultipartUploadsResult>";
        xml(std::move(body));
    }

    Engine& engine_;
    const S3Options& options_;
    RateLimiter& limiter_;
    const HttpRequest& req_;
    ClientBody& raw_body_;
    ResponseWriter& out_;
    std::string request_id_;
    std::string path_;
    QueryList query_;
    std::string bucket_, key_, vhost_bucket_;
    bool key_given_ = false;
    const s3::Route* route_ = nullptr;  // set once the target is parsed
    AuthResult auth_;
    Principal principal_;
    Limits user_limits_;
    Limits bucket_limits_;
    bool admitted_ = false;
    std::optional<UploadChecksum> upload_checksum_;  // the algorithm of the upload a part belongs to
    std::string error_code_;
    std::optional<std::uint64_t> bucket_epoch_;
    std::string bucket_owner_;
    std::optional<AwsChunkedReader> chunked_;
    std::map<std::string, std::string> names_;
};

}  // namespace

namespace {

class CountingWriter final : public ResponseWriter {
public:
    explicit CountingWriter(ResponseWriter& inner) : inner_(inner) {}
    bool write_head(const HttpResponseHead& head) override {
        status = head.status;
        return inner_.write_head(head);
    }
    bool write_body(std::span<const std::byte> data) override {
        bool ok = inner_.write_body(data);
        if (ok) bytes += data.size();
        return ok;
    }
    bool head_written() const override { return inner_.head_written(); }
    std::uint64_t bytes = 0;
    int status = 0;

private:
    ResponseWriter& inner_;
};

}  // namespace

void S3Handler::handle(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
    auto arrived = std::chrono::system_clock::now();
    auto started = std::chrono::steady_clock::now();
    ClientBody counted_body(body);
    CountingWriter counted_response(response);
    Exchange exchange(engine_, options_, limiter_, request, counted_body, counted_response);
    exchange.run();
    auto op = exchange.op_class();
    if (stats_)
        if (auto key = exchange.usage_key()) stats_->record(*key, op, counted_body.bytes, counted_response.bytes);
    if (metrics_)
        metrics_->record({.op = op,
                          .status = counted_response.status,
                          .bytes_in = counted_body.bytes,
                          .bytes_out = counted_response.bytes,
                          .latency = std::chrono::steady_clock::now() - started,
                          .limit_refusal = exchange.error_code() == "SlowDown",
                          .quota_refusal = exchange.error_code() == "QuotaExceeded"});
    if (access_log_) {
        auto entry = exchange.access_entry();
        entry.time = arrived;
        entry.status = counted_response.status;
        entry.bytes_in = counted_body.bytes;
        entry.bytes_out = counted_response.bytes;
        entry.duration = std::chrono::steady_clock::now() - started;
        access_log_->write(entry);
    }
}

}  // namespace ostor::gw
