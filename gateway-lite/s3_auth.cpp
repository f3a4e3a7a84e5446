#include "s3_auth.hpp"

#include "s3/signing.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace ostor::gw {

namespace {

constexpr std::int64_t kMaxSkewMs = 15 * 60 * 1000;

// The key's owner, refused when the key is unknown or the user disabled.
std::variant<Principal, S3Error> principal_for(Engine& engine, std::string_view access_key_id, KeyPair& key) {
    auto found = engine.lookup_key_owner(access_key_id);
    if (!found) {
        auto code = found.error().code();
        if (code == Errc::NoSuchAccessKey || code == Errc::NoSuchUser) return invalid_access_key_id();
        return S3Error(found.error());
    }
    if (found->user.state != UserState::Enabled) return access_denied("The user is disabled.");
    key = std::move(found->key);
    Principal p;
    p.anonymous = false;
    p.user_id = key.user_id;
    p.account = key.account;
    p.access_key_id = key.access_key_id;
    p.system = found->user.system;
    return p;
}

// A key signs a day's requests: deriving it is four HMACs, more than the
// request's own signature, so derived keys are kept (bounded; the whole
// cache is dropped when full, which happens at most once a day per key).
constexpr std::size_t kMaxCachedSigningKeys = 4096;

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
    static std::mutex mu;
    static std::unordered_map<std::string, std::string> cache;
    // The cache's key, built in a buffer the thread keeps.
    thread_local std::string id;
    id.clear();
    for (auto part : {secret, date, region, service}) id.append(part).push_back('\n');
    {
        std::lock_guard lock(mu);
        if (auto it = cache.find(id); it != cache.end()) return it->second;
    }
    std::string key = s3::sigv4_signing_key(secret, date, region, service);
    std::lock_guard lock(mu);
    if (cache.size() >= kMaxCachedSigningKeys) cache.clear();
    cache.emplace(id, key);
    return key;
}

const std::string* query_value(const QueryList& query, std::string_view name) {
    for (const auto& [n, v] : query)
        if (n == name) return &v;
    return nullptr;
}

struct V4Parts {
    std::string access_key_id, date, region, service;
    std::vector<std::string> signed_headers;
    std::string signature;
};

// "AKID/20130524/us-east-1/s3/aws4_request"
bool parse_credential(std::string_view credential, V4Parts& parts) {
    std::string_view fields[5];
    std::size_t count = 0, start = 0;
    for (;;) {
        auto slash = credential.find('/', start);
        if (count == std::size(fields)) return false;  // a sixth field
        fields[count++] = credential.substr(start, slash - start);
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    if (count != std::size(fields) || fields[4] != "aws4_request") return false;
    parts.access_key_id = fields[0];
    parts.date = fields[1];
    parts.region = fields[2];
    parts.service = fields[3];
    return !parts.access_key_id.empty() && parts.date.size() == 8;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        auto at = s.find(sep, start);
        out.emplace_back(s.substr(start, at - start));
        if (at == std::string_view::npos) break;
        start = at + 1;
    }
    return out;
}

std::variant<AuthResult, S3Error> verify_v4(Engine& engine, const HttpRequest& request, std::string_view path,
                                            const QueryList& query, const V4Parts& parts, std::string_view amz_date,
                                            std::string_view payload_hash, bool presigned) {
    KeyPair key;
    auto principal = principal_for(engine, parts.access_key_id, key);
    if (auto* e = std::get_if<S3Error>(&principal)) return *e;

    auto decoded_path = url_decode(path);
    if (!decoded_path) return invalid_argument("The request path is not valid percent-encoding.");
    std::string canonical = s3::sigv4_canonical_request({.method = request.method,
                                                         .decoded_path = *decoded_path,
                                                         .query = query,
                                                         .skip_query = presigned ? "X-Amz-Signature" : "",
                                                         .headers = request.headers,
                                                         .signed_headers = parts.signed_headers,
                                                         .payload_hash = payload_hash});
    std::string scope = s3::sigv4_scope(parts.date, parts.region, parts.service);
    std::string to_sign = s3::sigv4_string_to_sign(amz_date, scope, canonical);
    std::string key_bytes = signing_key(key.secret, parts.date, parts.region, parts.service);
    std::string expected = s3::sigv4_signature(key_bytes, to_sign);
    if (!constant_time_equal(expected, to_lower(parts.signature))) return signature_mismatch();

    AuthResult result;
    result.principal = std::get<Principal>(std::move(principal));
    result.chain = {key_bytes, std::string(amz_date), scope, expected};
    if (payload_hash == "UNSIGNED-PAYLOAD") {
        result.payload = PayloadMode::Unsigned;
    } else if (payload_hash == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
        result.payload = PayloadMode::StreamingSigned;
    } else if (payload_hash == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
        result.payload = PayloadMode::StreamingSignedTrailer;
    } else if (payload_hash == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
        result.payload = PayloadMode::StreamingUnsignedTrailer;
    } else {
        result.payload = PayloadMode::Sha256;
        result.payload_sha256_hex = to_lower(payload_hash);
    }
    return result;
}

bool valid_payload_hash(std::string_view h) {
    if (h == "UNSIGNED-PAYLOAD" || h == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" ||
        h == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" || h == "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        return true;
    return h.size() == 64 &&
           std::all_of(h.begin(), h.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::variant<AuthResult, S3Error> v4_header(Engine& engine, const HttpRequest& request, std::string_view path,
                                            const QueryList& query, std::string_view authorization) {
    V4Parts parts;
    auto rest = authorization.substr(std::strlen("AWS4-HMAC-SHA256"));
    for (auto& field : split(rest, ',')) {
        auto f = trim(field);
        while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
        auto eq = f.find('=');
        if (eq == std::string_view::npos) continue;
        auto name = trim(f.substr(0, eq));
        auto value = trim(f.substr(eq + 1));
        if (name == "Credential") {
            if (!parse_credential(value, parts))
                return authorization_header_malformed(
                    "The authorization header is malformed; the Credential is mal-formed.");
        } else if (name == "SignedHeaders") {
            parts.signed_headers = split(value, ';');
        } else if (name == "Signature") {
            parts.signature = value;
        }
    }
    if (parts.access_key_id.empty() || parts.signed_headers.empty() || parts.signature.empty())
        return authorization_header_malformed("The authorization header is malformed.");

    std::string amz_date;
    if (const auto* d = request.header("x-amz-date")) {
        amz_date = *d;
    } else if (const auto* d = request.header("date")) {
        auto t = parse_http_date(*d);
        if (!t) return access_denied("AWS authentication requires a valid Date or x-amz-date header");
        amz_date = amz_basic_date(*t);
    } else {
        return access_denied("AWS authentication requires a valid Date or x-amz-date header");
    }
    auto when = parse_amz_date(amz_date);
    if (!when) return access_denied("AWS authentication requires a valid Date or x-amz-date header");
    if (std::llabs(*when - now_ms()) > kMaxSkewMs) return request_time_too_skewed();

    const auto* payload = request.header("x-amz-content-sha256");
    if (!payload) return invalid_request("Missing required header for this request: x-amz-content-sha256");
    if (!valid_payload_hash(*payload))
        return invalid_argument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-*, or a valid sha256 value.");
    return verify_v4(engine, request, path, query, parts, amz_date, *payload, false);
}

std::variant<AuthResult, S3Error> v4_presigned(Engine& engine, const HttpRequest& request, std::string_view path,
                                               const QueryList& query) {
    const auto* algorithm = query_value(query, "X-Amz-Algorithm");
    const auto* credential = query_value(query, "X-Amz-Credential");
    const auto* date = query_value(query, "X-Amz-Date");
    const auto* expires = query_value(query, "X-Amz-Expires");
    const auto* signed_headers = query_value(query, "X-Amz-SignedHeaders");
    const auto* signature = query_value(query, "X-Amz-Signature");
    if (!algorithm || *algorithm != "AWS4-HMAC-SHA256" || !credential || !date || !signed_headers || !signature)
        return access_denied(
            "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
            "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
    V4Parts parts;
    if (!parse_credential(*credential, parts))
        return authorization_header_malformed("The X-Amz-Credential is malformed.");
    parts.signed_headers = split(*signed_headers, ';');
    parts.signature = *signature;
    auto when = parse_amz_date(*date);
    if (!when) return access_denied("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    std::int64_t expires_s = 604800;
    if (expires) {
        char* end = nullptr;
        expires_s = std::strtoll(expires->c_str(), &end, 10);
        if (expires->empty() || *end != '\0' || expires_s < 0 || expires_s > 604800)
            return access_denied("X-Amz-Expires must be between 0 and 604800 seconds");
    }
    auto now = now_ms();
    if (*when - now > kMaxSkewMs) return request_time_too_skewed();
    if (now > *when + expires_s * 1000) return access_denied("Request has expired");
    const auto* payload = query_value(query, "X-Amz-Content-Sha256");
    std::string payload_hash = payload ? *payload : "UNSIGNED-PAYLOAD";
    if (!valid_payload_hash(payload_hash)) return invalid_argument("X-Amz-Content-Sha256 is not valid.");
    return verify_v4(engine, request, path, query, parts, *date, payload_hash, true);
}

std::variant<AuthResult, S3Error> verify_v2(Engine& engine, const HttpRequest& request, std::string_view path,
                                            const QueryList& query, std::string_view vhost_bucket,
                                            std::string_view access_key_id, std::string_view signature,
                                            std::string_view date_line) {
    KeyPair key;
    auto principal = principal_for(engine, access_key_id, key);
    if (auto* e = std::get_if<S3Error>(&principal)) return *e;

    const std::string amz_headers = s3::sigv2_amz_headers(request.headers);
    const std::string subresources = s3::sigv2_subresources(query);
    std::string prefix = vhost_bucket.empty() ? "" : "/" + std::string(vhost_bucket);
    // Clients differ in how they encode the path they sign: as sent, or
    // decoded and re-encoded the AWS way.
    std::vector<std::string> resources = {prefix + std::string(path) + subresources};
    if (auto decoded = url_decode(path)) {
        resources.push_back(prefix + aws_uri_encode(*decoded, true) + subresources);
        resources.push_back(prefix + *decoded + subresources);
    }
    // The vendor guide's PHP helper (S3_requestCurl) signs the service root
    // as just its sub-resource: "?ostor-users".
    if (vhost_bucket.empty() && path == "/" && !subresources.empty()) resources.push_back(subresources);
    // botocore signs a path-style bucket request as "/bucket/" while it
    // sends "/bucket".
    if (vhost_bucket.empty() && path.size() > 1 && path.find('/', 1) == std::string_view::npos)
        resources.push_back(std::string(path) + "/" + subresources);
    std::string md5(request.header_or("content-md5"));
    std::string type(request.header_or("content-type"));
    std::string provided = std::string(signature);
    auto matches = [&](const std::string& to_sign) {
        return constant_time_equal(s3::sigv2_signature(key.secret, to_sign), provided);
    };
    for (const auto& resource : resources) {
        // The vendor guide's s3_curl helper signs "VERB\n\nDATE\nRESOURCE"
        // (one line fewer); accepted so that it works as printed.
        if (matches(s3::sigv2_string_to_sign(request.method, md5, type, date_line, amz_headers, resource)) ||
            (md5.empty() && type.empty() && amz_headers.empty() &&
             matches(request.method + "\n\n" + std::string(date_line) + "\n" + resource))) {
            AuthResult result;
            result.principal = std::get<Principal>(std::move(principal));
            return result;
        }
    }
    return signature_mismatch();
}

}  // namespace

std::variant<AuthResult, S3Error> authenticate(Engine& engine, const HttpRequest& request, std::string_view path,
                                               const QueryList& query, std::string_view vhost_bucket) {
    const auto* authorization = request.header("authorization");
    if (authorization) {
        std::string_view auth = trim(*authorization);
        if (auth.starts_with("AWS4-HMAC-SHA256 ") || auth.starts_with("AWS4-HMAC-SHA256,"))
            return v4_header(engine, request, path, query, auth);
        if (auth.starts_with("AWS ")) {
            auto creds = trim(auth.substr(4));
            auto colon = creds.rfind(':');
            // S3's answer to a V2 header without its colon (AuthorizationHeaderMalformed is V4's).
            if (colon == std::string_view::npos)
                return invalid_argument("AWS authorization header is invalid.  Expected AwsAccessKeyId:signature");
            std::string date_line;
            if (!request.header("x-amz-date")) {
                const auto* date = request.header("date");
                if (!date) return access_denied("AWS authentication requires a valid Date or x-amz-date header");
                date_line = *date;
            }
            const std::string* date_value = request.header("x-amz-date");
            if (!date_value) date_value = request.header("date");
            auto when = parse_http_date(*date_value);
            if (!when) return access_denied("AWS authentication requires a valid Date or x-amz-date header");
            if (std::llabs(*when - now_ms()) > kMaxSkewMs) return request_time_too_skewed();
            return verify_v2(engine, request, path, query, vhost_bucket, creds.substr(0, colon),
                             creds.substr(colon + 1), date_line);
        }
        return invalid_argument("Unsupported Authorization Type");
    }
    if (query_value(query, "X-Amz-Algorithm") || query_value(query, "X-Amz-Credential"))
        return v4_presigned(engine, request, path, query);
    if (const auto* akid = query_value(query, "AWSAccessKeyId")) {
        const auto* signature = query_value(query, "Signature");
        const auto* expires = query_value(query, "Expires");
        if (!signature || !expires)
            return access_denied(
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters");
        char* end = nullptr;
        long long expires_s = std::strtoll(expires->c_str(), &end, 10);
        if (expires->empty() || *end != '\0') return access_denied("Invalid Expires parameter");
        if (now_ms() > expires_s * 1000) return access_denied("Request has expired");
        return verify_v2(engine, request, path, query, vhost_bucket, *akid, *signature, *expires);
    }
    return AuthResult{};  // anonymous
}

// ---- browser uploads (POST Object) ------------------------------------------

std::variant<AuthResult, S3Error> authenticate_post_form(Engine& engine, const QueryList& fields) {
    auto missing = [](std::string_view name) {
        return invalid_argument("Bucket POST must contain a field named '" + std::string(name) +
                                "'.  If it is specified, please check the order of the fields.");
    };
    const auto* policy = query_value(fields, "policy");
    const auto* v4_signature = query_value(fields, "x-amz-signature");
    const auto* v2_signature = query_value(fields, "signature");
    const auto* v2_key = query_value(fields, "awsaccesskeyid");
    const auto* credential = query_value(fields, "x-amz-credential");
    if (!policy) {
        if (v4_signature || v2_signature || v2_key || credential) return missing("policy");
        return AuthResult{};  // anonymous: the bucket's ACL decides
    }
    KeyPair key;
    std::variant<Principal, S3Error> principal;
    std::string expected, provided;
    if (v4_signature || credential || query_value(fields, "x-amz-algorithm")) {
        const auto* algorithm = query_value(fields, "x-amz-algorithm");
        const auto* date = query_value(fields, "x-amz-date");
        if (!algorithm) return missing("x-amz-algorithm");
        if (!credential) return missing("x-amz-credential");
        if (!date) return missing("x-amz-date");
        if (!v4_signature) return missing("x-amz-signature");
        if (*algorithm != "AWS4-HMAC-SHA256") return invalid_argument("Unsupported algorithm: " + *algorithm);
        V4Parts parts;
        if (!parse_credential(*credential, parts)) return invalid_argument("The x-amz-credential field is malformed.");
        if (!parse_amz_date(*date)) return invalid_argument("The x-amz-date field is malformed.");
        principal = principal_for(engine, parts.access_key_id, key);
        if (auto* e = std::get_if<S3Error>(&principal)) return *e;
        expected = s3::sigv4_signature(signing_key(key.secret, parts.date, parts.region, parts.service), *policy);
        provided = to_lower(*v4_signature);
    } else {
        if (!v2_key) return missing("AWSAccessKeyId");
        if (!v2_signature) return missing("signature");
        principal = principal_for(engine, *v2_key, key);
        if (auto* e = std::get_if<S3Error>(&principal)) return *e;
        expected = s3::sigv2_signature(key.secret, *policy);
        provided = *v2_signature;
    }
    if (!constant_time_equal(expected, provided)) return signature_mismatch();
    AuthResult result;
    result.principal = std::get<Principal>(std::move(principal));
    return result;
}

// ---- aws-chunked ------------------------------------------------------------

}  // namespace ostor::gw
