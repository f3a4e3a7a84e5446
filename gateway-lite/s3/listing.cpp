#include "s3/exchange.hpp"

#include <algorithm>

#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

// A listing answered without encoding-type=url must still parse. Keys
// XML cannot carry are refused at write (new_key_allowed), but a volume
// may hold some from before, and a prefix or marker in the query may be
// anything. Such a page is answered as encoding-type=url would be, and
// says so (<EncodingType>url</EncodingType>): a client that checks the
// element decodes it, and no object is hidden from the listing (skipping
// it would leave its owner no way to find and delete it).
bool Exchange::all_xml_carriable(const std::vector<std::string_view>& texts) {
    return std::all_of(texts.begin(), texts.end(), [](std::string_view t) { return xml_can_carry(t); });
}

void Exchange::list_objects(ListKind kind) {
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
    bool fetch_owner = kind != ListKind::V2 || (find(query_, "fetch-owner") && *find(query_, "fetch-owner") == "true");
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

void Exchange::list_uploads() {
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
            std::to_string(params.max_uploads) + "</MaxUploads><IsTruncated>" + (listed->truncated ? "true" : "false") +
            "</IsTruncated>";
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

}  // namespace ostor::gw::s3
