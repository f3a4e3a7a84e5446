#include "s3/signing.hpp"

#include <algorithm>
#include <utility>

namespace ostor::gw::s3 {

namespace {

// A header value as V4 signs it: trimmed, runs of spaces as one.
std::string collapse_spaces(std::string_view v) {
    v = trim(v);
    std::string out;
    out.reserve(v.size());
    bool space = false;
    for (char c : v) {
        if (c == ' ' || c == '\t') {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

std::string canonical_query(const QueryList& query, std::string_view skip) {
    std::vector<std::pair<std::string, std::string>> encoded;
    for (const auto& [name, value] : query) {
        if (!skip.empty() && name == skip) continue;
        encoded.emplace_back(aws_uri_encode(name, false), aws_uri_encode(value, false));
    }
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
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
    std::string canonical = std::string(parts.method) + "\n" + aws_uri_encode(parts.decoded_path, true) + "\n" +
                            canonical_query(parts.query, parts.skip_query) + "\n";
    for (const auto& name : parts.signed_headers) {
        std::string joined;
        bool any = false;
        for (const auto& [n, v] : parts.headers) {
            if (n != name) continue;
            if (any) joined += ',';
            joined += collapse_spaces(v);
            any = true;
        }
        canonical += name + ":" + joined + "\n";
    }
    canonical += "\n";
    for (std::size_t i = 0; i < parts.signed_headers.size(); ++i) {
        if (i) canonical += ';';
        canonical += parts.signed_headers[i];
    }
    canonical += "\n";
    canonical += parts.payload_hash;
    return canonical;
}

std::string sigv4_scope(std::string_view date, std::string_view region, std::string_view service) {
    return std::string(date) + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
}

std::string sigv4_string_to_sign(std::string_view amz_date, std::string_view scope,
                                 std::string_view canonical_request) {
    return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + std::string(scope) + "\n" +
           hex_encode(sha256(canonical_request));
}

std::string sigv4_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                              std::string_view service) {
    auto k = hmac_sha256("AWS4" + std::string(secret), date);
    k = hmac_sha256(k, region);
    k = hmac_sha256(k, service);
    return hmac_sha256(k, "aws4_request");
}

std::string sigv4_signature(std::string_view signing_key, std::string_view string_to_sign) {
    return hex_encode(hmac_sha256(signing_key, string_to_sign));
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
