// The request pipeline: every S3 request runs the same phases (parse the
// target, authenticate, admit under the rate limits, read the bucket it
// names, run its handler, answer), and only here are answers sent, limits
// applied, downloads paced and usage, metrics and the access log recorded.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "s3/context.hpp"
#include "s3/handlers.hpp"
#include "s3/post_form.hpp"
#include "s3/request_body.hpp"
#include "s3/target.hpp"
#include "s3/xml_writer.hpp"
#include "s3_handler.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::size_t kIoChunk = 256 * 1024;
// A paced download is sent in pieces this small, so that it flows evenly.
constexpr std::size_t kPacedPieceBytes = 16 * 1024;
// ... and no smaller.
constexpr std::size_t kMinPacedPieceBytes = 1024;
// A piece is a tenth of a second at the governing rate.
constexpr std::uint64_t kPacedPiecesPerSecond = 10;
// bandwidth:out is in KB/s.
constexpr std::uint64_t kBytesPerKB = 1024;

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

// One request going through the phases.
class Pipeline {
public:
    Pipeline(Engine& engine, const S3Options& options, RateLimiter& limiter, const HttpRequest& request,
             ClientBody& body, ResponseWriter& out, bool admin_only, const UsageStats* stats)
        : ctx_(engine, options, request, random_request_id()),
          limiter_(limiter),
          raw_body_(body),
          out_(out),
          admin_only_(admin_only) {
        ctx_.usage_stats = stats;
    }

    void run() {
        const auto& req = ctx_.request;
        auto target = parse_target(req.target, req.header_or("host"), ctx_.options.domain);
        if (auto* e = std::get_if<S3Error>(&target)) return send_error(*e);
        auto& t = std::get<RequestTarget>(target);
        ctx_.path = std::move(t.path);
        ctx_.query = std::move(t.query);
        ctx_.bucket = std::move(t.bucket);
        ctx_.key = std::move(t.key);
        ctx_.vhost_bucket = std::move(t.vhost_bucket);
        ctx_.key_given = t.key_given;
        ctx_.route = &route_for(req.method,
                                ctx_.bucket.empty() ? Scope::Service
                                : ctx_.key_given    ? Scope::Object
                                                    : Scope::Bucket,
                                ctx_.query, req);
        // Decided on the route, not on the target's looks: a Host naming a
        // bucket (--domain) makes "/?ostor-x" a bucket operation.
        if (admin_only_ && ctx_.route->operation != Operation::AdminApi) {
            declined_ = true;
            return;
        }
        if (ctx_.route->operation == Operation::Preflight) {
            // Browsers send preflights without credentials (and s3-tests
            // send them to presigned URLs): answered before authentication.
            if (!admit()) return refuse_slow_down();
            RequestBody body(raw_body_, ctx_);
            return respond(dispatch(ctx_, body));
        }

        // A browser's form is signed by its fields, which come in the body
        // before the file.
        std::variant<AuthResult, S3Error> auth;
        if (ctx_.route->operation == Operation::PostObject) {
            auto form = read_post_form(raw_body_, req);
            if (!form) return send_error(form.error());
            post_form_ = std::move(*form);
            ctx_.post_form = post_form_.get();
            auth = authenticate_post_form(ctx_.engine, post_form_->fields);
        } else {
            auth = authenticate(ctx_.engine, req, ctx_.path, ctx_.query, ctx_.vhost_bucket);
        }
        if (auto* e = std::get_if<S3Error>(&auth)) return send_error(*e);
        ctx_.auth = std::get<AuthResult>(std::move(auth));
        ctx_.principal = ctx_.auth.principal;

        if (!admit()) return refuse_slow_down();
        if (auto refused = read_bucket()) return send_error(*refused);
        RequestBody body(raw_body_, ctx_);
        respond(dispatch(ctx_, body));
    }

    // The class limits and usage counters file this request under
    // (docs/architecture.md): its route's. Default for a request whose
    // target could not be parsed.
    OpClass op_class() const { return ctx_.route ? ctx_.route->op_class : OpClass::Default; }
    // The S3 error code answered, if any.
    const std::string& error_code() const { return error_code_; }
    // Refused by a rate limit (503 SlowDown before anything was read); a
    // SlowDown for want of memory for the body is not one.
    bool limit_refused() const { return limit_refused_; }
    // Not an admin API call where only those are served: nothing answered.
    bool declined() const { return declined_; }

    // What the access log shows of the request.
    AccessLogEntry access_entry() const {
        AccessLogEntry entry;
        entry.client = ctx_.request.remote;
        if (!ctx_.principal.anonymous) entry.user_id = ctx_.principal.user_id;
        entry.method = ctx_.request.method;
        entry.bucket = ctx_.bucket;
        // A browser upload names its key in the form, not the path.
        entry.key = post_form_ && ctx_.key.empty() ? post_form_->key : ctx_.key;
        entry.request_id = ctx_.request_id;
        return entry;
    }

    // What usage statistics count this request under: admitted requests on
    // an existing bucket; those naming no bucket (ListBuckets, ostor-*
    // admin calls) under bucket "" and epoch 0, as the vendor guide shows.
    std::optional<UsageKey> usage_key() {
        const auto& p = ctx_.principal;
        if (!admitted_) return std::nullopt;
        if (ctx_.bucket.empty()) {
            // Requests naming no bucket are the signer's; an anonymous one
            // (a scanner's GET /) is nobody's to bill.
            if (p.anonymous) return std::nullopt;
            return UsageKey{"", 0, p.user_id, p.account};
        }
        if (!bucket_epoch_) {
            auto b = ctx_.engine.get_bucket_record(ctx_.bucket);
            if (!b) return std::nullopt;
            bucket_epoch_ = b->epoch;
        }
        return UsageKey{ctx_.bucket, *bucket_epoch_, p.user_id, p.account};
    }

private:
    // Applies the user's and the bucket's ops limits (both must admit the
    // request); keeps their bandwidth limits for the response body.
    bool admit() {
        const auto& p = ctx_.principal;
        const auto& bucket = ctx_.bucket;
        auto limits =
            ctx_.engine.request_limits(p.anonymous ? std::string_view{} : std::string_view(p.user_id),
                                       !bucket.empty() && validate_bucket_name(bucket) ? std::string_view(bucket) : "");
        ctx_.user_limits = limits.user;
        ctx_.bucket_limits = limits.bucket;
        OpClass c = op_class();
        std::string suffix = "/" + std::string(op_class_name(c));
        admitted_ = limiter_.try_admit({
            {"u/" + p.user_id + suffix, p.anonymous ? 0.0 : ctx_.user_limits.ops_rate(c)},
            {"b/" + bucket + suffix, bucket.empty() ? 0.0 : ctx_.bucket_limits.ops_rate(c)},
        });
        return admitted_;
    }

    // The bucket the operation works on, read and checked (its expected
    // owner, the permission the operation needs) into the context.
    std::optional<S3Error> read_bucket() {
        auto access = bucket_access(ctx_.route->operation);
        if (!access.read) return std::nullopt;
        auto s = validate_bucket_name(ctx_.bucket);
        if (!s) return S3Error(s.error());
        // Fresh: not from the engine's cache (RADOS), for a change of the
        // bucket itself that is authorized on its owner or ACL.
        auto b = access.fresh ? ctx_.engine.get_bucket(ctx_.bucket) : ctx_.engine.get_bucket_record(ctx_.bucket);
        cors_known_ = true;  // from this read: none when the bucket is missing
        if (!b) return S3Error(b.error());
        if (ctx_.route->operation != Operation::Preflight) cors_ = cors_headers(ctx_, *b);
        bucket_epoch_ = b->epoch;
        ctx_.remember_settings(*b);
        if (auto refused = ctx_.check_expected_owner(*b, "x-amz-expected-bucket-owner")) return refused;
        if (auto refused = decide(*b, access)) return refused;
        // An empty versionId would read as none (the current): S3 refuses it.
        if (const auto* version = ctx_.param("versionId");
            version && version->empty() && ctx_.route->scope == Scope::Object)
            return invalid_argument("Version id cannot be the empty string");
        ctx_.bucket_record = std::move(*b);
        return std::nullopt;
    }

    // Whether the caller may do the request, decided here for every route
    // (docs/architecture.md): the bucket policy's Deny refuses, the owner
    // included (but for its own policy calls); its Allow grants; neither
    // leaves it to the ACLs. The handlers' checks of an object's ACL see the
    // Allow (object_allows). On a bucket with a policy, the writes whose
    // object only the handler knows (DeleteObjects' keys, a form upload's
    // key) are decided there, per key (may_write_key), and PutObjectTagging,
    // whose s3:RequestObjectTag is in its body. A Deny of
    // s3:PutObjectTagging or s3:PutObjectAcl refuses a write setting tags
    // or an ACL (may_write_extras). The ACLs count as the
    // bucket's ownership controls and public access block say (ACLs off,
    // public grants ignored: permissions.cpp), and a public policy's Allow
    // as its RestrictPublicBuckets says (policy_decision).
    std::optional<S3Error> decide(const Bucket& b, const BucketAccess& access) {
        using enum Operation;
        auto op = ctx_.route->operation;
        if ((op == DeleteObjects || op == PostObject || op == PutObjectTagging) && RequestContext::bucket_policy(b))
            return std::nullopt;
        ctx_.policy = ctx_.request_policy_decision(b);
        bool policy_call = op == GetBucketPolicy || op == PutBucketPolicy || op == DeleteBucketPolicy;
        if (ctx_.policy == PolicyDecision::Deny && !(policy_call && ctx_.is_owner(b))) return access_denied();
        if (access.permission && !ctx_.bucket_allows(b, *access.permission)) return access_denied();
        // The tags and ACL a write sets are actions of their own, decided
        // before anything is read or stored (a form's: post_object.cpp).
        if ((op == PutObject || op == CopyObject || op == CreateMultipartUpload) && RequestContext::bucket_policy(b) &&
            !ctx_.may_write_extras(b, ctx_.key, ctx_.header_write_extras()))
            return access_denied();
        return std::nullopt;
    }

    // The CORS step: a request with an Origin on a bucket with CORS rules
    // gets the Access-Control-* headers of the rule that allows it, on
    // whatever it is answered (errors included, as S3 does), taken from the
    // record read_bucket read. Answers given without one (a refused
    // signature, a route that reads no bucket) look it up as they are sent,
    // after the operation (a bucket it created counts). A preflight is
    // answered from the rules instead (cors.cpp), and a SlowDown gets none.
    void settle_cross_origin_headers() {
        if (cors_known_) return;
        cors_known_ = true;
        if (!ctx_.route || ctx_.bucket.empty() || ctx_.route->operation == Operation::Preflight) return;
        cors_ = cors_headers_by_name(ctx_);
    }
    // 503 SlowDown, before anything is read for the request.
    void refuse_slow_down() {
        limit_refused_ = true;
        cors_known_ = true;
        send_error(slow_down());
    }

    // A head's headers: those of every answer, the answer's own (moved
    // from), the cross-origin ones, and room for `extra` more: reserved at
    // once, as a GET's head has a dozen.
    HeaderList head_headers(HeaderList& own, std::size_t extra = 0) {
        settle_cross_origin_headers();
        HeaderList all;
        all.reserve(4 + own.size() + cors_.size() + extra);
        all.emplace_back("x-amz-request-id", ctx_.request_id);
        all.emplace_back("x-amz-id-2", ctx_.request_id);
        all.emplace_back("Date", http_date(now_ms()));
        all.emplace_back("Server", "ostor");
        for (auto& h : own) all.push_back(std::move(h));
        all.insert(all.end(), cors_.begin(), cors_.end());
        return all;
    }

    void send(int status, HeaderList headers, std::string_view body, std::string_view content_type) {
        HttpResponseHead head;
        head.status = status;
        head.headers = head_headers(headers, 1);
        if (!body.empty()) head.headers.emplace_back("Content-Type", std::string(content_type));
        head.content_length = body.size();
        if (out_.write_head(head) && ctx_.request.method != "HEAD")
            out_.write_body(std::as_bytes(std::span(body.data(), body.size())));
    }

    void respond(Reply reply) {
        if (!reply) return send_error(reply.error());
        if (reply->stream) return stream(*reply);
        send(reply->status, std::move(reply->headers), reply->body, reply->content_type);
    }

    void send_error(const S3Error& e) {
        if (out_.head_written()) return;
        error_code_ = e.code;
        const auto& resource = ctx_.path.empty() ? ctx_.request.target : ctx_.path;
        XmlWriter x("Error", XmlWriter::Namespace::None);
        x.el("Code", e.code).text_el("Message", e.message);
        if (!e.condition.empty()) x.text_el("Condition", e.condition);
        if (!ctx_.bucket.empty()) x.text_el("BucketName", ctx_.bucket);
        if (ctx_.key_given) x.key(ctx_.key);
        x.text_el("Resource", resource).el("RequestId", ctx_.request_id);
        std::string body = ctx_.request.method == "HEAD" ? std::string() : x.finish();
        send(e.status, e.headers, body, "application/xml");
    }

    // An answer whose body is read from an object as it is sent.
    void stream(Answer& a) {
        auto& reader = *a.stream;
        HttpResponseHead head;
        head.status = a.status;
        head.headers = head_headers(a.headers);
        std::uint64_t length = reader.remaining();
        head.content_length = length;
        if (!out_.write_head(head) || ctx_.request.method == "HEAD") return;
        // Straight from the reader's buffers to the socket: no copy here.
        std::uint64_t sent = 0;
        while (sent < length) {
            auto piece = reader.read_view(kIoChunk);
            if (!piece || piece->empty()) {
                // Headers are gone; all that is left is to cut the connection
                // so the client sees a short body rather than bad data.
                std::fprintf(stderr, "ostor-gateway: read of %s/%s failed after %llu bytes: %.*s\n",
                             ctx_.bucket.c_str(), ctx_.key.c_str(), static_cast<unsigned long long>(sent),
                             piece ? 0 : static_cast<int>(piece.error().message().size()),
                             piece ? "" : piece.error().message().data());
                return;
            }
            if (!send_paced(*piece)) return;
            sent += piece->size();
        }
    }

    // Sends response body bytes at the bandwidth:out limits in force (the
    // user's and the bucket's; the stricter one governs).
    bool send_paced(std::span<const std::byte> data) {
        const auto& p = ctx_.principal;
        std::uint64_t user_rate = p.anonymous ? 0 : ctx_.user_limits.bandwidth_out_kbps * kBytesPerKB;
        std::uint64_t bucket_rate = ctx_.bucket_limits.bandwidth_out_kbps * kBytesPerKB;
        if (user_rate == 0 && bucket_rate == 0) return out_.write_body(data);
        // Pieces of a tenth of a second at the stricter rate (1 KiB to
        // 16 KiB), each booked against the rates and sent once its time has
        // come: the head leaves with the first piece, at most a tenth of a
        // second in (a second at the slowest rate, 1 KB/s), and even a
        // one-piece body is paced.
        std::uint64_t governing = std::min(user_rate ? user_rate : bucket_rate, bucket_rate ? bucket_rate : user_rate);
        auto piece_bytes = static_cast<std::size_t>(
            std::clamp<std::uint64_t>(governing / kPacedPiecesPerSecond, kMinPacedPieceBytes, kPacedPieceBytes));
        while (!data.empty()) {
            auto piece = data.first(std::min(data.size(), piece_bytes));
            auto wait = std::max(limiter_.reserve_bytes("u/" + p.user_id + "/out", user_rate, piece.size()),
                                 limiter_.reserve_bytes("b/" + ctx_.bucket + "/out", bucket_rate, piece.size()));
            if (wait > RateLimiter::Clock::duration::zero() && !limiter_.pause(wait)) return false;  // stopping
            if (!out_.write_body(piece)) return false;
            data = data.subspan(piece.size());
        }
        return true;
    }

    RequestContext ctx_;
    RateLimiter& limiter_;
    ClientBody& raw_body_;
    ResponseWriter& out_;
    bool admin_only_;
    bool declined_ = false;
    bool admitted_ = false;
    bool limit_refused_ = false;
    std::optional<std::uint64_t> bucket_epoch_;
    std::string error_code_;
    HeaderList cors_;          // added to the answer (settle_cross_origin_headers)
    bool cors_known_ = false;  // cors_ is settled
    std::unique_ptr<PostForm> post_form_;
};

}  // namespace

}  // namespace ostor::gw::s3

namespace ostor::gw {

void S3Handler::handle(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
    serve(request, body, response, false);
}

bool S3Handler::handle_admin(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
    return serve(request, body, response, true);
}

bool S3Handler::serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response, bool admin_only) {
    auto arrived = std::chrono::system_clock::now();
    auto started = std::chrono::steady_clock::now();
    s3::ClientBody counted_body(body);
    s3::CountingWriter counted_response(response);
    s3::Pipeline pipeline(engine_, options_, limiter_, request, counted_body, counted_response, admin_only, stats_);
    pipeline.run();
    if (pipeline.declined()) return false;
    auto op = pipeline.op_class();
    if (stats_)
        if (auto key = pipeline.usage_key()) stats_->record(*key, op, counted_body.bytes, counted_response.bytes);
    if (metrics_)
        metrics_->record({.op = op,
                          .status = counted_response.status,
                          .bytes_in = counted_body.bytes,
                          .bytes_out = counted_response.bytes,
                          .latency = std::chrono::steady_clock::now() - started,
                          .limit_refusal = pipeline.limit_refused(),
                          .quota_refusal = pipeline.error_code() == "QuotaExceeded"});
    if (access_log_) {
        auto entry = pipeline.access_entry();
        entry.time = arrived;
        entry.status = counted_response.status;
        entry.bytes_in = counted_body.bytes;
        entry.bytes_out = counted_response.bytes;
        entry.duration = std::chrono::steady_clock::now() - started;
        access_log_->write(entry);
    }
    return true;
}

}  // namespace ostor::gw
