// Listings of a bucket: its objects (v1, v2), their versions and its
// multipart uploads.
#include <algorithm>

#include "s3/handlers.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::uint64_t kMaxKeysPerPage = 1000;

// A listing answered without encoding-type=url must still parse. Keys
// XML cannot carry are refused at write (check_new_key), but a volume
// may hold some from before, and a prefix or marker in the query may be
// anything. Such a page is answered as encoding-type=url would be, and
// says so (<EncodingType>url</EncodingType>): a client that checks the
// element decodes it, and no object is hidden from the listing (skipping
// it would leave its owner no way to find and delete it).
bool all_xml_carriable(const std::vector<std::string_view>& texts) {
    return std::all_of(texts.begin(), texts.end(), [](std::string_view t) { return xml_can_carry(t); });
}

}  // namespace

Reply list_objects(const RequestContext& ctx, ListKind kind) {
    const auto& b = ctx.bucket_record;
    ListObjectsParams params;
    if (const auto* p = ctx.param("prefix")) params.prefix = *p;
    if (const auto* d = ctx.param("delimiter")) params.delimiter = *d;
    std::uint32_t max_keys = kMaxKeysPerPage;
    if (const auto* mk = ctx.param("max-keys")) {
        auto v = parse_u64(*mk);
        if (!v) return invalid_argument("Provided max-keys not an integer or within integer range");
        max_keys = static_cast<std::uint32_t>(std::min<std::uint64_t>(*v, kMaxKeysPerPage));
    }
    params.max_keys = max_keys;
    bool url = false;
    if (const auto* enc = ctx.param("encoding-type")) {
        if (*enc != "url") return invalid_argument("Invalid Encoding Method specified in Request");
        url = true;
    }
    auto encode = [&url](std::string_view s) { return url ? aws_uri_encode(s, true) : std::string(s); };
    std::string start_after, token;
    if (kind == ListKind::V1) {
        if (const auto* m = ctx.param("marker")) params.marker = *m;
    } else if (kind == ListKind::V2) {
        if (const auto* sa = ctx.param("start-after")) start_after = *sa;
        // An empty continuation-token (what some clients send for the
        // first page) is none.
        if (const auto* ct = ctx.param("continuation-token"); ct && !ct->empty()) {
            token = *ct;
            auto decoded = base64_decode(token);
            if (!decoded || decoded->empty() || (*decoded)[0] != 'k')
                return invalid_argument("The continuation token provided is incorrect");
            params.marker = decoded->substr(1);
        } else {
            params.marker = start_after;
        }
    }
    auto listed = ctx.engine.list_objects(ctx.bucket, params);
    if (!listed) return listed.error();
    if (!url) {
        std::vector<std::string_view> texts = {params.prefix, params.marker, start_after, params.delimiter,
                                               listed->next_marker};
        for (const auto& o : listed->objects) texts.push_back(o.key);
        for (const auto& p : listed->common_prefixes) texts.push_back(p);
        url = !all_xml_carriable(texts);
    }

    XmlWriter x("ListBucketResult");
    x.el("Name", ctx.bucket);
    // ListObjects (v1) returns Prefix as sent even with encoding-type=url
    // (SDKs do not decode it there), unless XML cannot carry it.
    bool raw_prefix = kind == ListKind::V1 && xml_can_carry(params.prefix);
    x.el("Prefix", raw_prefix ? params.prefix : encode(params.prefix));
    if (kind == ListKind::V1) {
        x.el("Marker", encode(params.marker));
    } else {
        if (ctx.param("start-after")) x.el("StartAfter", encode(start_after));
        // Echoed when sent, even empty (the first page), as S3 does.
        if (ctx.param("continuation-token")) x.el("ContinuationToken", token);
        x.el("KeyCount", std::uint64_t{listed->objects.size() + listed->common_prefixes.size()});
    }
    x.el("MaxKeys", std::uint64_t{max_keys});
    if (!params.delimiter.empty()) x.el("Delimiter", encode(params.delimiter));
    if (url) x.el("EncodingType", "url");
    x.el("IsTruncated", listed->truncated);
    if (listed->truncated) {
        if (kind == ListKind::V1 && !params.delimiter.empty()) x.el("NextMarker", encode(listed->next_marker));
        if (kind == ListKind::V2) x.el("NextContinuationToken", base64_encode("k" + listed->next_marker));
    }
    const auto* fetch_owner_param = ctx.param("fetch-owner");
    bool fetch_owner = kind != ListKind::V2 || (fetch_owner_param && *fetch_owner_param == "true");
    DisplayNames names(ctx.engine);
    for (const auto& o : listed->objects) {
        x.open("Contents").el("Key", encode(o.key));
        x.el("LastModified", iso8601_ms(o.last_modified_ms)).el("ETag", etag_quoted(o.etag)).el("Size", o.size);
        if (fetch_owner) {
            auto owner = ctx.object_owner(*b, o);
            x.person("Owner", owner, names(owner));
        }
        x.el("StorageClass", "STANDARD").close("Contents");
    }
    for (const auto& p : listed->common_prefixes)
        x.open("CommonPrefixes").el("Prefix", encode(p)).close("CommonPrefixes");
    return xml_answer(x.finish());
}

Reply list_object_versions(const RequestContext& ctx) {
    const auto& b = ctx.bucket_record;
    ListVersionsParams params;
    if (const auto* v = ctx.param("prefix")) params.prefix = *v;
    if (const auto* v = ctx.param("delimiter")) params.delimiter = *v;
    if (const auto* v = ctx.param("key-marker")) params.key_marker = *v;
    if (const auto* v = ctx.param("version-id-marker")) params.version_id_marker = *v;
    params.max_keys = kMaxKeysPerPage;
    if (const auto* mk = ctx.param("max-keys")) {
        auto v = parse_u64(*mk);
        if (!v) return invalid_argument("Provided max-keys not an integer or within integer range");
        params.max_keys = static_cast<std::uint32_t>(std::min<std::uint64_t>(*v, kMaxKeysPerPage));
    }
    bool url = false;
    if (const auto* enc = ctx.param("encoding-type")) {
        if (*enc != "url") return invalid_argument("Invalid Encoding Method specified in Request");
        url = true;
    }
    auto encode = [&url](std::string_view s) { return url ? aws_uri_encode(s, true) : std::string(s); };
    // Refuses a version-id-marker without a key-marker, or a malformed one
    // (400 InvalidArgument), before any read; a well-formed id naming no
    // version resumes after where it would sort.
    auto listed = ctx.engine.list_object_versions(ctx.bucket, params);
    if (!listed) return listed.error();
    if (!url) {
        std::vector<std::string_view> texts = {params.prefix, params.key_marker, params.delimiter,
                                               listed->next_key_marker};
        for (const auto& o : listed->versions) texts.push_back(o.key);
        for (const auto& p : listed->common_prefixes) texts.push_back(p);
        url = !all_xml_carriable(texts);
    }

    XmlWriter x("ListVersionsResult");
    x.el("Name", ctx.bucket).el("Prefix", encode(params.prefix));
    x.el("KeyMarker", encode(params.key_marker)).text_el("VersionIdMarker", params.version_id_marker);
    if (listed->truncated) {
        x.el("NextKeyMarker", encode(listed->next_key_marker));
        // None after a common prefix: the next page starts after the group.
        if (!listed->next_version_id_marker.empty()) x.el("NextVersionIdMarker", listed->next_version_id_marker);
    }
    x.el("MaxKeys", std::uint64_t{params.max_keys});
    if (!params.delimiter.empty()) x.el("Delimiter", encode(params.delimiter));
    if (url) x.el("EncodingType", "url");
    x.el("IsTruncated", listed->truncated);
    DisplayNames names(ctx.engine);
    // Versions and delete markers interleaved, in the listing's order.
    for (const auto& o : listed->versions) {
        const char* entry = o.delete_marker ? "DeleteMarker" : "Version";
        x.open(entry).el("Key", encode(o.key)).el("VersionId", o.version_id).el("IsLatest", o.is_latest);
        x.el("LastModified", iso8601_ms(o.last_modified_ms));
        if (!o.delete_marker) x.el("ETag", etag_quoted(o.etag)).el("Size", o.size).el("StorageClass", "STANDARD");
        auto owner = ctx.object_owner(*b, o);
        x.person("Owner", owner, names(owner));
        x.close(entry);
    }
    for (const auto& p : listed->common_prefixes)
        x.open("CommonPrefixes").el("Prefix", encode(p)).close("CommonPrefixes");
    return xml_answer(x.finish());
}

Reply list_uploads(const RequestContext& ctx) {
    ListUploadsParams params;
    if (const auto* v = ctx.param("prefix")) params.prefix = *v;
    if (const auto* v = ctx.param("delimiter")) params.delimiter = *v;
    if (const auto* v = ctx.param("key-marker")) params.key_marker = *v;
    if (const auto* v = ctx.param("upload-id-marker")) params.upload_id_marker = *v;
    if (const auto* v = ctx.param("max-uploads")) {
        auto n = parse_u64(*v);
        if (!n) return invalid_argument("Invalid max-uploads");
        params.max_uploads = static_cast<std::uint32_t>(std::min<std::uint64_t>(*n, kMaxKeysPerPage));
    }
    const auto* encoding = ctx.param("encoding-type");
    bool url = encoding && *encoding == "url";
    auto encode = [&url](std::string_view s) { return url ? aws_uri_encode(s, true) : std::string(s); };
    auto listed = ctx.engine.list_uploads(ctx.bucket, params);
    if (!listed) return listed.error();
    if (!url) {
        std::vector<std::string_view> texts = {params.prefix, params.key_marker, params.delimiter,
                                               listed->next_key_marker};
        for (const auto& u : listed->uploads) texts.push_back(u.key);
        for (const auto& p : listed->common_prefixes) texts.push_back(p);
        url = !all_xml_carriable(texts);
    }
    XmlWriter x("ListMultipartUploadsResult");
    x.el("Bucket", ctx.bucket).el("KeyMarker", encode(params.key_marker));
    x.el("UploadIdMarker", params.upload_id_marker);
    if (listed->truncated)
        x.el("NextKeyMarker", encode(listed->next_key_marker)).el("NextUploadIdMarker", listed->next_upload_id_marker);
    if (!params.delimiter.empty()) x.el("Delimiter", encode(params.delimiter));
    x.el("Prefix", encode(params.prefix)).el("MaxUploads", std::uint64_t{params.max_uploads});
    x.el("IsTruncated", listed->truncated);
    if (url) x.el("EncodingType", "url");
    DisplayNames names(ctx.engine);
    for (const auto& u : listed->uploads) {
        auto initiator = upload_initiator(u);
        x.open("Upload").el("Key", encode(u.key)).el("UploadId", u.id);
        x.person("Initiator", initiator, names(initiator)).person("Owner", initiator, names(initiator));
        x.el("StorageClass", "STANDARD").el("Initiated", iso8601_ms(u.initiated_ms)).close("Upload");
    }
    for (const auto& p : listed->common_prefixes)
        x.open("CommonPrefixes").el("Prefix", encode(p)).close("CommonPrefixes");
    return xml_answer(x.finish());
}

}  // namespace ostor::gw::s3
