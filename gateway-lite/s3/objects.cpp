#include "s3/exchange.hpp"

#include <cstdio>
#include <set>

#include "ostor/names.hpp"
#include "s3/conditions.hpp"
#include "s3/xml_bodies.hpp"
#include "s3/xml_writer.hpp"
#include "space_reserve.hpp"

namespace ostor::gw::s3 {

namespace {

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

}  // namespace

// Metadata of a new object from the request's headers.
std::variant<ObjectMeta, S3Error> Exchange::meta_from_headers() {
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
    if (auto& grants = std::get<std::optional<std::vector<Grant>>>(acl)) meta.acl = encode_acl(*grants);
    if (writer_owns) meta.acl = acl_with_object_owner(meta.acl, principal_.user_id);
    return meta;
}

// False (answered 503) when writing `bytes` would eat into the space kept
// for deletes (space_reserve.hpp).
bool Exchange::space_for(std::uint64_t bytes) {
    if (space_for_write(engine_.directory(), bytes)) return true;
    error(Error(Errc::NoSpace, "The storage is (nearly) full: delete objects to free space."));
    return false;
}

// Keys written from now on are ones every XML answer can carry: as AWS
// asks of keys, valid UTF-8, and none of the characters XML 1.0 cannot
// hold even as a reference (TAB, LF and CR are fine: they are written
// as &#9; &#10; &#13;). False once answered.
bool Exchange::new_key_allowed() {
    if (xml_can_carry(key_)) return true;
    error(
        invalid_argument("Object key contains characters not allowed: it must be valid UTF-8 without control "
                         "characters other than TAB, LF and CR."));
    return false;
}

void Exchange::put_object() {
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
bool Exchange::write_conditions(WriteConditions& conditions, const Bucket& bucket) {
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
std::optional<S3Error> Exchange::preconditions(const ObjectInfo& info, bool read) {
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

HeaderList Exchange::object_headers(const ObjectInfo& info) {
    HeaderList h;
    h.emplace_back("ETag", etag_quoted(info.etag));
    h.emplace_back("Last-Modified", http_date(info.last_modified_ms));
    h.emplace_back("Accept-Ranges", "bytes");
    for (const auto& [name, value] : info.meta.user) h.emplace_back("x-amz-meta-" + name, value);
    for (const auto& [name, value] : info.meta.headers) h.emplace_back(display_header(name), value);
    return h;
}

void Exchange::set_header(HeaderList& h, std::string_view name, std::string value) {
    for (auto& [n, v] : h)
        if (iequals(n, name)) {
            v = std::move(value);
            return;
        }
    h.emplace_back(std::string(name), std::move(value));
}

void Exchange::get_object(bool head_only) {
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
                return error(
                    {400, "InvalidPart",
                     "The requested part number is past the object's " + std::to_string(sizes.size()) + " part(s)."});
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

void Exchange::delete_object() {
    auto b = load_bucket(Permission::Write);
    if (!b) return;
    auto v = validate_object_key(key_);
    if (!v) return error(v.error());
    auto r = engine_.delete_object(bucket_, key_);
    if (!r && r.error().code() != Errc::NoSuchKey) return error(r.error());
    send(204, {}, {});
}

void Exchange::delete_objects() {
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

// GetObjectAttributes: the attributes x-amz-object-attributes names, in
// the order of the S3 reference; parts of a multipart object paged by
// x-amz-max-parts / x-amz-part-number-marker.
void Exchange::get_object_attributes() {
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
        for (const auto& [name, value] : info->meta.checksums) x.el("Checksum" + name, value);
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

void Exchange::get_object_tagging() {
    auto b = load_bucket(std::nullopt);
    if (!b) return;
    auto info = engine_.head_object(bucket_, key_);
    if (!info) return error(object_error(info.error(), *b));
    if (!object_allows(*b, *info, Permission::Read)) return error(access_denied());
    xml(XmlWriter("Tagging").open("TagSet").close("TagSet").finish());
}

}  // namespace ostor::gw::s3
