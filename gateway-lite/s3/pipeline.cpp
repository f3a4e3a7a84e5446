#include "s3/exchange.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "admin_api.hpp"
#include "s3/target.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

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

void Exchange::run() {
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

HeaderList Exchange::base_headers() const {
    return {{"x-amz-request-id", request_id_},
            {"x-amz-id-2", request_id_},
            {"Date", http_date(now_ms())},
            {"Server", "ostor"}};
}

void Exchange::send(int status, HeaderList headers, std::string_view body, std::string_view content_type) {
    HttpResponseHead head;
    head.status = status;
    head.headers = base_headers();
    for (auto& h : headers) head.headers.push_back(std::move(h));
    if (!body.empty()) head.headers.emplace_back("Content-Type", std::string(content_type));
    head.content_length = body.size();
    if (out_.write_head(head) && req_.method != "HEAD")
        out_.write_body(std::as_bytes(std::span(body.data(), body.size())));
}

void Exchange::error(const S3Error& e, HeaderList extra) {
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

// Applies the user's and the bucket's ops limits (both must admit the
// request); keeps their bandwidth limits for the response body.
bool Exchange::admit() {
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

// What the access log shows of the request.
AccessLogEntry Exchange::access_entry() const {
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
std::optional<UsageKey> Exchange::usage_key() {
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

// Sends response body bytes at the bandwidth:out limits in force (the
// user's and the bucket's; the stricter one governs).
bool Exchange::send_body(std::span<const std::byte> data) {
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

// Runs the handler of the request's route (s3/routes.hpp).
void Exchange::dispatch() {
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

}  // namespace ostor::gw::s3

namespace ostor::gw {

void S3Handler::handle(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
    auto arrived = std::chrono::system_clock::now();
    auto started = std::chrono::steady_clock::now();
    s3::ClientBody counted_body(body);
    s3::CountingWriter counted_response(response);
    s3::Exchange exchange(engine_, options_, limiter_, request, counted_body, counted_response);
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
