// One S3 request being served (Exchange): the request's target, caller,
// limits and answer, and the handlers of every operation. The members are
// defined by family: pipeline.cpp (run, answers, limits, dispatch),
// permissions.cpp, request_body.cpp, service.cpp, buckets.cpp, acls.cpp,
// listing.cpp, objects.cpp, copy.cpp, multipart.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <pugixml.hpp>

#include "access_log.hpp"
#include "acl.hpp"
#include "checksums.hpp"
#include "http.hpp"
#include "ostor/engine.hpp"
#include "ostor/names.hpp"
#include "rate_limits.hpp"
#include "s3/aws_chunked.hpp"
#include "s3/routes.hpp"
#include "s3_auth.hpp"
#include "s3_error.hpp"
#include "s3_handler.hpp"
#include "usage_stats.hpp"
#include "util.hpp"

namespace ostor::gw::s3 {

inline constexpr std::size_t kIoChunk = 256 * 1024;
// A paced download is sent in pieces this small, so that it flows evenly.
inline constexpr std::size_t kPacedPieceBytes = 16 * 1024;
// bandwidth:out is in KB/s.
inline constexpr std::uint64_t kBytesPerKB = 1024;
inline constexpr std::size_t kMaxXmlBody = 8 * 1024 * 1024;
inline constexpr std::uint64_t kMaxSinglePut = std::uint64_t{5} << 30;  // S3's limit for PutObject / UploadPart
inline constexpr std::size_t kMaxUserMetadata = 2048;

std::string random_request_id();

inline std::string etag_quoted(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

inline const std::string* find(const QueryList& q, std::string_view name) {
    for (const auto& [n, v] : q)
        if (n == name) return &v;
    return nullptr;
}

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

    void run();

private:
    // ---- answers ---------------------------------------------------------

    HeaderList base_headers() const;

    void send(int status, HeaderList headers, std::string_view body, std::string_view content_type = "application/xml");

    void xml(std::string body, int status = 200, HeaderList headers = {}) { send(status, std::move(headers), body); }

    void error(const S3Error& e, HeaderList extra = {});

    // ---- identity and permissions ----------------------------------------

    bool is_owner(const Bucket& b) const;
    const std::string* who() const { return principal_.anonymous ? nullptr : &principal_.user_id; }

    S3Error object_error(const Error& e, const Bucket& b) const;

    bool bucket_allows(const Bucket& b, Permission p) const;
    bool object_allows(const Bucket& b, const ObjectInfo& o, Permission p) const;
    static std::string object_owner(const Bucket& b, const ObjectInfo& o);

    std::string display_name(const std::string& user_id);

    std::string owner_fields(const std::string& user_id);
    std::string owner_xml(const std::string& user_id) { return "<Owner>" + owner_fields(user_id) + "</Owner>"; }

    // The bucket, or an answer already sent. `fresh`: read afresh, not from
    // the engine's cache (RADOS), for a change of the bucket itself that is
    // authorized on its owner or ACL.
    enum class Freshness { Cached, Fresh };
    std::optional<Bucket> load_bucket(std::optional<Permission> needed, Freshness freshness = Freshness::Cached);

    bool expected_owner(const Bucket& b, std::string_view header);

    bool require_signed();

    // ---- request bodies --------------------------------------------------

    bool aws_chunked() const;

    bool trailer_mode() const;

    BodyReader& body();

    S3Error body_error() const;

    // Checksums the client asked for: the algorithms to compute and the
    // values to check them against.
    struct ChecksumPlan {
        std::vector<Checksum> running;
        std::vector<std::optional<std::string>> expected;  // per running entry
        std::vector<bool> lenient;                         // presigned empty-body value: not enforced
        std::optional<ChecksumAlgorithm> trailer;
    };

    std::variant<ChecksumPlan, S3Error> checksum_plan(bool headers_are_the_bodys = true);

    std::variant<std::vector<std::pair<std::string, std::string>>, S3Error> finish_checksums(ChecksumPlan& plan);

    std::variant<std::optional<std::string>, S3Error> content_md5();

    std::variant<std::string, S3Error> small_body(bool checksum_headers_are_the_bodys = true);

    std::optional<pugi::xml_node> xml_body(pugi::xml_document& doc, const char* root, bool allow_empty = false,
                                           bool checksum_headers_are_the_bodys = true);

    std::variant<ObjectMeta, S3Error> meta_from_headers();

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

    HeaderList checksum_headers(const std::vector<std::pair<std::string, std::string>>& checksums);

    // ---- rate limits ---------------------------------------------------------

    // The class limits and usage counters file this request under
    // (docs/architecture.md): its route's. Default for a request whose target
    // could not be parsed.
public:
    OpClass op_class() const { return route_ ? route_->op_class : OpClass::Default; }
    // The operation's name (access log); "" before the target was parsed.
    std::string_view operation_name() const { return route_ ? route_->name : std::string_view(); }

private:
    bool admit();

public:
    // The S3 error code answered, if any.
    const std::string& error_code() const { return error_code_; }

    AccessLogEntry access_entry() const;

    std::optional<UsageKey> usage_key();

private:
    bool send_body(std::span<const std::byte> data);

    // ---- routing -----------------------------------------------------------

    void dispatch();

    void admin();

    void not_implemented();

    void bucket_config_missing(std::string_view name);

    // ---- service and buckets ---------------------------------------------

    void list_buckets();

    void create_bucket();

    void head_bucket();

    void delete_bucket();

    void get_bucket_location();

    void get_bucket_versioning();

    void put_bucket_versioning();

    void get_bucket_acl();

    std::optional<std::string> requested_acl(const CannedAclOwners& owners);

    void put_bucket_acl();

    // ---- listing -------------------------------------------------------------

    enum class ListKind { V1, V2, Versions };

    static bool all_xml_carriable(const std::vector<std::string_view>& texts);

    void list_objects(ListKind kind);

    // ---- objects -------------------------------------------------------------

    bool space_for(std::uint64_t bytes);

    bool new_key_allowed();

    void put_object();

    bool write_conditions(WriteConditions& conditions, const Bucket& bucket);

    std::optional<S3Error> preconditions(const ObjectInfo& info, bool read);

    HeaderList object_headers(const ObjectInfo& info);

    void set_header(HeaderList& h, std::string_view name, std::string value);

    void get_object(bool head_only);

    void delete_object();

    void delete_objects();

    std::optional<std::pair<std::string, std::string>> copy_source();

    std::optional<ObjectInfo> copy_source_info(const std::string& src_bucket, const std::string& src_key);

    void copy_object();

    void get_object_acl();

    void put_object_acl();

    void get_object_attributes();

    void get_object_tagging();

    // ---- multipart ---------------------------------------------------------

    Result<Upload> find_upload();

    // The upload named by ?uploadId, checked to belong to this bucket and key.
    std::optional<Upload> load_upload() { return load_upload(find_upload()); }
    std::optional<Upload> load_upload(Result<Upload> upload);

    static std::string initiator(const Upload& upload);

    std::optional<std::uint32_t> part_number();

    void create_upload();

    void upload_part();

    void upload_part_copy();

    void complete_upload();

    std::optional<std::vector<CompletedPart>> listed_parts(pugi::xml_node root);

    std::optional<ObjectInfo> completed_before(const Bucket& b, bool wait);

    void completed_upload(const ObjectInfo& info);

    // The checksum algorithm an upload was created with, and whether its
    // object's checksum covers the whole object (else: composite).
    struct UploadChecksum {
        ChecksumAlgorithm algorithm;
        bool full_object;
    };
    static std::optional<UploadChecksum> upload_checksum(const Upload& upload);

    std::optional<S3Error> check_complete_checksum_headers(const std::optional<UploadChecksum>& wanted);

    std::variant<std::optional<std::string>, S3Error> multipart_object_checksum(
        const Upload& upload, const UploadChecksum& wanted, const std::vector<CompletedPart>& parts,
        const std::map<std::uint32_t, std::string>& claimed);

    void abort_upload();

    void list_parts();

    void list_uploads();

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

}  // namespace ostor::gw::s3
