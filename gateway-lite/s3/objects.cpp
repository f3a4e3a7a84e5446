// Objects: write, read, and what can be asked of one (attributes); deletes
// are versions.cpp's.
#include <set>

#include "s3/conditions.hpp"
#include "s3/handlers.hpp"
#include "s3/metadata_words.hpp"
#include "s3/tag_sets.hpp"
#include "s3/xml_bodies.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::size_t kMaxUserMetadata = 2048;
constexpr std::string_view kUserMetaPrefix = "x-amz-meta-";
constexpr std::uint32_t kMaxPartsPerPage = 1000;

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

HeaderList object_headers(const ObjectInfo& info) {
    HeaderList h;
    h.emplace_back("ETag", etag_quoted(info.etag));
    h.emplace_back("Last-Modified", http_date(info.last_modified_ms));
    h.emplace_back("Accept-Ranges", "bytes");
    for (const auto& [name, value] : info.meta.user)
        h.emplace_back(std::string(kUserMetaPrefix) + name, metadata_header_value(value));
    for (const auto& [name, value] : info.meta.headers) h.emplace_back(display_header(name), value);
    if (!info.meta.tags.empty()) h.emplace_back("x-amz-tagging-count", std::to_string(info.meta.tags.size()));
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

}  // namespace

Outcome<ObjectMeta> meta_from_headers(const RequestContext& ctx, const Bucket& bucket) {
    const auto& req = ctx.request;
    const auto& principal = ctx.principal;
    ObjectMeta meta;
    meta.content_type = req.header_or("content-type");
    // S3 counts the UTF-8 bytes of each name and value as stored: decoded.
    std::size_t user_bytes = 0;
    for (const auto& [n, v] : req.headers) {
        if (n.starts_with(kUserMetaPrefix)) {
            auto& [name, value] = meta.user.emplace_back(n.substr(kUserMetaPrefix.size()), stored_metadata_value(v));
            user_bytes += name.size() + value.size();
        }
    }
    if (user_bytes > kMaxUserMetadata) return metadata_too_large();
    if (const auto* tagging = req.header("x-amz-tagging")) {
        auto tags = parse_tagging_header(*tagging);
        if (auto* e = std::get_if<S3Error>(&tags)) return *e;
        meta.tags = std::move(std::get<TagSet>(tags));
    }
    for (auto name : kStoredHeaders) {
        const auto* v = req.header(name);
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
    // Another user writing into the bucket owns what it writes, unless the
    // bucket's ownership controls give it to the bucket's owner: always
    // (BucketOwnerEnforced), or when it is given bucket-owner-full-control
    // (BucketOwnerPreferred).
    const auto& bucket_owner = bucket.owner_id;
    bool writer_owns = !principal.anonymous && !bucket_owner.empty() && principal.user_id != bucket_owner;
    switch (ctx.settings(bucket).ownership) {
        case ObjectOwnership::ObjectWriter:
            break;
        case ObjectOwnership::BucketOwnerPreferred:
            if (trim(req.header_or("x-amz-acl")) == "bucket-owner-full-control") writer_owns = false;
            break;
        case ObjectOwnership::BucketOwnerEnforced:
            writer_owns = false;
            break;
    }
    const auto& owner = writer_owns ? principal.user_id : bucket_owner;
    auto acl = acl_from_headers(ctx.engine, req, {bucket_owner, owner});
    if (auto* e = std::get_if<S3Error>(&acl)) return *e;
    if (auto& stored = std::get<std::optional<std::string>>(acl)) {
        if (auto refused = ctx.check_new_acl(bucket, req.header("x-amz-acl"), *stored, owner)) return *refused;
        meta.acl = *stored;
    }
    if (writer_owns) meta.acl = acl_with_object_owner(meta.acl, principal.user_id);
    return meta;
}

std::optional<S3Error> write_conditions(const RequestContext& ctx, const Bucket& bucket, WriteConditions& conditions) {
    const auto* if_none_match = ctx.request.header("if-none-match");
    const auto* if_match = ctx.request.header("if-match");
    if (!if_none_match && !if_match) return std::nullopt;
    if (if_none_match) {
        if (trim(*if_none_match) != "*") return not_implemented();  // S3 takes only '*' here
        conditions.if_none_match = true;
    }
    if (if_match) {
        auto etag = unquote_etag(trim(*if_match));
        if (etag.empty() || etag == "*") return not_implemented();
        conditions.if_match_etag = std::string(etag);
    }
    auto current = ctx.engine.head_object(ctx.bucket, ctx.key);
    if (!current && current.error().code() != Errc::NoSuchKey) return S3Error(current.error());
    if (conditions.if_none_match && current) return precondition_failed();
    if (conditions.if_match_etag && !current) return ctx.object_error(current.error(), bucket);
    if (conditions.if_match_etag && current->etag != *conditions.if_match_etag) return precondition_failed();
    return std::nullopt;
}

std::optional<S3Error> read_preconditions(const RequestContext& ctx, const ObjectInfo& info) {
    const auto& req = ctx.request;
    ConditionalHeaders conditions{.if_match = req.header("if-match"),
                                  .if_none_match = req.header("if-none-match"),
                                  .if_modified_since = req.header("if-modified-since"),
                                  .if_unmodified_since = req.header("if-unmodified-since")};
    switch (evaluate_preconditions(conditions, info.etag, info.last_modified_ms, /*read=*/true, now_ms())) {
        case Precondition::Met:
            return std::nullopt;
        case Precondition::NotModified:
            return not_modified();
        case Precondition::Failed:
            break;
    }
    return precondition_failed();
}

Reply put_object(const RequestContext& ctx, RequestBody& body) {
    const auto& b = ctx.bucket_record;
    if (auto refused = ctx.check_new_key()) return *refused;
    auto meta = meta_from_headers(ctx, *b);
    if (!meta) return meta.error();
    PutOptions options;
    options.meta = std::move(*meta);
    auto lock = requested_lock(ctx, *b, /*with_body=*/true);
    if (!lock) return lock.error();
    options.lock = std::move(*lock);
    if (auto refused = write_conditions(ctx, *b, options.conditions)) return *refused;
    auto info = body.receive([&](PutOptions o) { return ctx.engine.begin_put(ctx.bucket, ctx.key, std::move(o)); },
                             std::move(options));
    if (!info) return info.error();
    HeaderList h = {{"ETag", etag_quoted(info->etag)}};
    add_written_version_header(h, *info);
    add_expiration_header(h, ctx, *b, *info);
    for (auto& c : checksum_headers(info->meta.checksums)) h.push_back(std::move(c));
    if (!info->meta.checksums.empty())
        h.emplace_back("x-amz-checksum-type", std::string(checksum_type(info->meta.checksums.front().second)));
    return empty_answer(200, std::move(h));
}

// GetObject and HeadObject (the pipeline sends no body for HEAD).
Reply get_object(const RequestContext& ctx) {
    const auto& b = ctx.bucket_record;
    auto v = validate_object_key(ctx.key);
    if (!v) return v.error();
    const auto version_id = requested_version(ctx);

    std::optional<ByteRange> range;
    std::optional<std::uint32_t> part_number;
    if (const auto* pn = ctx.param("partNumber")) {
        auto n = parse_u64(*pn);
        if (!n || *n < 1 || *n > kMaxPartNumber)
            return invalid_argument("Part number must be an integer between 1 and 10000, inclusive");
        part_number = static_cast<std::uint32_t>(*n);
    }
    auto range_request = part_number ? RangeRequest{} : parse_range(ctx.request.header_or("range"));
    if (range_request.kind == RangeRequest::Kind::Suffix || part_number) {
        auto info = ctx.engine.head_object(ctx.bucket, ctx.key, version_id);
        if (!info) return read_error(ctx, info.error(), *b, version_id);
        if (!ctx.object_allows(*b, *info, Permission::Read)) return access_denied();
        if (part_number) {
            auto sizes = info->part_sizes.empty() ? std::vector<std::uint64_t>{info->size} : info->part_sizes;
            // AWS answers 416 InvalidPartNumber; issue 14 asks for Ceph
            // RGW's answer (which its s3-tests check), 400 InvalidPart.
            if (*part_number > sizes.size())
                return invalid_part("The requested part number is past the object's " + std::to_string(sizes.size()) +
                                    " part(s).");
            std::uint64_t first = 0;
            for (std::uint32_t i = 1; i < *part_number; ++i) first += sizes[i - 1];
            if (sizes[*part_number - 1] > 0) range = ByteRange{first, first + sizes[*part_number - 1] - 1};
        } else {
            if (range_request.suffix == 0 || info->size == 0) return invalid_range(info->size);
            std::uint64_t n = std::min(range_request.suffix, info->size);
            range = ByteRange{info->size - n, info->size - 1};
        }
    } else if (range_request.kind == RangeRequest::Kind::Absolute) {
        range = ByteRange{range_request.first, range_request.last.value_or(UINT64_MAX)};
    }
    auto reader = ctx.engine.open_object(ctx.bucket, ctx.key, range, version_id);
    if (!reader) {
        if (reader.error().code() == Errc::InvalidRange) {
            auto info = ctx.engine.head_object(ctx.bucket, ctx.key, version_id);
            if (info && !ctx.object_allows(*b, *info, Permission::Read)) return access_denied();
            return invalid_range(info ? info->size : 0);
        }
        // Without permission to list, a missing key must not be told
        // from a forbidden one.
        return read_error(ctx, reader.error(), *b, version_id);
    }
    const auto& info = (*reader)->info();
    if (!ctx.object_allows(*b, info, Permission::Read)) return access_denied();
    if (auto failed = read_preconditions(ctx, info)) {
        if (failed->status == 304)
            return empty_answer(
                304, {{"ETag", etag_quoted(info.etag)}, {"Last-Modified", http_date(info.last_modified_ms)}});
        return *failed;
    }

    Answer a;
    HeaderList& h = a.headers;
    h = object_headers(info);
    add_version_header(h, *b, info);
    add_expiration_header(h, ctx, *b, info);
    add_lock_headers(h, ctx, *b, info);
    std::uint64_t length = (*reader)->remaining();
    if (range) {
        a.status = part_number && info.part_sizes.empty() ? 200 : 206;
        std::uint64_t first = range->first;
        std::uint64_t last = first + length - 1;
        if (a.status == 206)
            h.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                                std::to_string(info.size));
    }
    if (part_number && !info.part_sizes.empty())
        h.emplace_back("x-amz-mp-parts-count", std::to_string(info.part_sizes.size()));
    std::string content_type = info.meta.content_type.empty() ? "binary/octet-stream" : info.meta.content_type;
    h.emplace_back("Content-Type", content_type);
    // Checksums only when asked for, and only of the whole object.
    const auto* mode = ctx.request.header("x-amz-checksum-mode");
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
        if (const auto* value = ctx.param(param)) set_header(h, header, *value);
    a.stream = std::move(*reader);
    return a;
}

// GetObjectAttributes: the attributes x-amz-object-attributes names, in
// the order of the S3 reference; parts of a multipart object paged by
// x-amz-max-parts / x-amz-part-number-marker.
Reply get_object_attributes(const RequestContext& ctx) {
    const auto& b = ctx.bucket_record;
    const auto* names = ctx.request.header("x-amz-object-attributes");
    if (!names || trim(*names).empty())
        return invalid_request(
            "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or "
            "empty");
    std::set<std::string, std::less<>> wanted;
    for (std::string_view rest = *names; !rest.empty();) {
        auto comma = rest.find(',');
        auto n = std::string(trim(rest.substr(0, comma)));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (n != "ETag" && n != "Checksum" && n != "ObjectParts" && n != "StorageClass" && n != "ObjectSize")
            return invalid_argument("Invalid attribute name specified: " + n);
        wanted.insert(std::move(n));
    }
    std::uint32_t max_parts = kMaxPartsPerPage, marker = 0;
    for (auto [header, into] :
         {std::pair{"x-amz-max-parts", &max_parts}, std::pair{"x-amz-part-number-marker", &marker}})
        if (const auto* v = ctx.request.header(header)) {
            auto n = parse_u64(trim(*v));
            if (!n || *n > kMaxPartNumber || (*n == 0 && into == &max_parts))
                return invalid_argument(std::string("Invalid ") + header);
            *into = static_cast<std::uint32_t>(*n);
        }
    const auto version_id = requested_version(ctx);
    auto info = ctx.engine.head_object(ctx.bucket, ctx.key, version_id);
    if (!info) return read_error(ctx, info.error(), *b, version_id);
    if (!ctx.object_allows(*b, *info, Permission::Read)) return access_denied();
    if (auto failed = read_preconditions(ctx, *info)) return failed->status == 304 ? not_modified("") : *failed;

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
    HeaderList h = {{"Last-Modified", http_date(info->last_modified_ms)}};
    add_version_header(h, *b, *info);
    return xml_answer(x.finish(), std::move(h));
}

}  // namespace ostor::gw::s3
