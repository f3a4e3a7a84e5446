#include "s3/signing.hpp"

#include <algorithm>
#include <utility>

namespace ostor::gw::s3 {

namespace {

// Enough for most requests' canonical text, a presigned one's included.
constexpr std::size_t kCanonicalRequestReserve = 1024;

// A header value as V4 signs it, appended: trimmed, runs of spaces as one.
void append_collapsed(std::string& out, std::string_view v) {
    v = trim(v);
    bool space = false, any = false;
    for (char c : v) {
        if (c == ' ' || c == '\t') {
            space = true;
            continue;
        }
        if (space && any) out += ' ';
        space = false;
        any = true;
        out += c;
    }
}

// The query's parameters encoded into one buffer and sorted as (name, value)
// pairs, without a string per part: every signed request builds this.
void append_canonical_query(std::string& out, const QueryList& query, std::string_view skip) {
    struct Encoded {
        std::size_t start, name_size, value_size;
    };
    thread_local std::string text;
    thread_local std::vector<Encoded> parts;
    text.clear();
    parts.clear();
    for (const auto& [name, value] : query) {
        if (!skip.empty() && name == skip) continue;
        std::size_t start = text.size();
        append_aws_uri_encoded(text, name, false);
        std::size_t name_size = text.size() - start;
        append_aws_uri_encoded(text, value, false);
        parts.push_back({start, name_size, text.size() - start - name_size});
    }
    std::string_view all = text;
    auto name_of = [&](const Encoded& e) { return all.substr(e.start, e.name_size); };
    auto value_of = [&](const Encoded& e) { return all.substr(e.start + e.name_size, e.value_size); };
    std::sort(parts.begin(), parts.end(), [&](const Encoded& a, const Encoded& b) {
        int by_name = name_of(a).compare(name_of(b));
        return by_name != 0 ? by_name < 0 : value_of(a) < value_of(b);
    });
    bool first = true;
    for (const auto& e : parts) {
        if (!first) out += '&';
        first = false;
        out.append(name_of(e));
        out += '=';
        out.append(value_of(e));
    }
}

// The sub-resources that are part of a V2 signed resource.
bool v2_subresource(std::string_view name) {
    static constexpr std::string_view kNames[] = {"acl",
                                                  "cors",
                                                  "delete",
                                                  "lifecycle",
                                                  "location",
                                                  "logging",
                                                  "notification",
                                                  "partNumber",
                                                  "policy",
                                                  "requestPayment",
                                                  "restore",
                                                  "tagging",
                                                  "torrent",
                                                  "uploadId",
                                                  "uploads",
                                                  "versionId",
                                                  "versioning",
                                                  "versions",
                                                  "website",
                                                  "response-cache-control",
                                                  "response-content-disposition",
                                                  "response-content-encoding",
                                                  "response-content-language",
                                                  "response-content-type",
                                                  "response-expires"};
    if (name.starts_with("ostor-")) return true;
    return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

}  // namespace

std::string sigv4_canonical_request(const SigV4CanonicalParts& parts) {
    std::string canonical;
    canonical.reserve(kCanonicalRequestReserve);
    canonical.append(parts.method);
    canonical += '\n';
    append_aws_uri_encoded(canonical, parts.decoded_path, true);
    canonical += '\n';
    append_canonical_query(canonical, parts.query, parts.skip_query);
    canonical += '\n';
    for (const auto& name : parts.signed_headers) {
        canonical.append(name);
        canonical += ':';
        bool any = false;
        for (const auto& [n, v] : parts.headers) {
            if (n != name) continue;
            if (any) canonical += ',';
            append_collapsed(canonical, v);
            any = true;
        }
        canonical += '\n';
    }
    canonical += '\n';
    for (std::size_t i = 0; i < parts.signed_headers.size(); ++i) {
        if (i) canonical += ';';
        canonical.append(parts.signed_headers[i]);
    }
    canonical += '\n';
    canonical.append(parts.payload_hash);
    return canonical;
}

std::string sigv4_scope(std::string_view date, std::string_view region, std::string_view service) {
    static constexpr std::string_view kTerminator = "/aws4_request";
    std::string scope;
    scope.reserve(date.size() + region.size() + service.size() + 2 + kTerminator.size());
    scope.append(date);
    scope += '/';
    scope.append(region);
    scope += '/';
    scope.append(service);
    scope.append(kTerminator);
    return scope;
}

std::string sigv4_string_to_sign(std::string_view amz_date, std::string_view scope,
                                 std::string_view canonical_request) {
    static constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256\n";
    std::string out;
    out.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 2 + 64);
    out.append(kAlgorithm);
    out.append(amz_date);
    out += '\n';
    out.append(scope);
    out += '\n';
    append_hex(out, sha256_digest(canonical_request));
    return out;
}

std::string sigv4_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                              std::string_view service) {
    auto k = hmac_sha256("AWS4" + std::string(secret), date);
    k = hmac_sha256(k, region);
    k = hmac_sha256(k, service);
    return hmac_sha256(k, "aws4_request");
}

std::string sigv4_signature(std::string_view signing_key, std::string_view string_to_sign) {
    std::string out;
    append_hex(out, hmac_sha256_digest(signing_key, string_to_sign));
    return out;
}

std::string sigv4_chunk_string_to_sign(std::string_view amz_date, std::string_view scope,
                                       std::string_view previous_signature, std::string_view chunk_sha256_hex) {
    return "AWS4-HMAC-SHA256-PAYLOAD\n" + std::string(amz_date) + "\n" + std::string(scope) + "\n" +
           std::string(previous_signature) + "\n" + std::string(kEmptySha256Hex) + "\n" + std::string(chunk_sha256_hex);
}

std::string sigv4_trailer_string_to_sign(std::string_view amz_date, std::string_view scope,
                                         std::string_view previous_signature, std::string_view trailer_text) {
    return "AWS4-HMAC-SHA256-TRAILER\n" + std::string(amz_date) + "\n" + std::string(scope) + "\n" +
           std::string(previous_signature) + "\n" + hex_encode(sha256(trailer_text));
}

std::string sigv2_amz_headers(const HeaderList& headers) {
    std::vector<std::pair<std::string, std::string>> amz;
    for (const auto& [n, v] : headers)
        if (n.starts_with("x-amz-")) amz.emplace_back(n, std::string(trim(v)));
    std::stable_sort(amz.begin(), amz.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out;
    for (std::size_t i = 0; i < amz.size(); ++i) {
        if (i > 0 && amz[i].first == amz[i - 1].first) {
            out.back() = ',';
            out += amz[i].second + "\n";
            continue;
        }
        out += amz[i].first + ":" + amz[i].second + "\n";
    }
    return out;
}

std::string sigv2_subresources(const QueryList& query) {
    std::vector<std::pair<std::string, std::string>> sub;
    for (const auto& [n, v] : query)
        if (v2_subresource(n)) sub.emplace_back(n, v);
    std::stable_sort(sub.begin(), sub.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out;
    for (const auto& [n, v] : sub) {
        out += out.empty() ? "?" : "&";
        out += n;
        if (!v.empty()) out += "=" + v;
    }
    return out;
}

std::string sigv2_string_to_sign(std::string_view method, std::string_view content_md5, std::string_view content_type,
                                 std::string_view date_line, std::string_view amz_headers, std::string_view resource) {
    return std::string(method) + "\n" + std::string(content_md5) + "\n" + std::string(content_type) + "\n" +
           std::string(date_line) + "\n" + std::string(amz_headers) + std::string(resource);
}

std::string sigv2_signature(std::string_view secret, std::string_view string_to_sign) {
    return base64_encode(hmac_sha1(secret, string_to_sign));
}

}  // namespace ostor::gw::s3
