#include "s3/exchange.hpp"

#include "ostor/names.hpp"
#include "s3/conditions.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

// x-amz-copy-source: "[/]bucket/key[?versionId=...]", percent-encoded.
std::optional<std::pair<std::string, std::string>> Exchange::copy_source() {
    std::string_view raw = trim(req_.header_or("x-amz-copy-source"));
    if (auto q = raw.find('?'); q != std::string_view::npos) {
        auto params = raw.substr(q + 1);
        raw = raw.substr(0, q);
        if (params.starts_with("versionId=") && params != "versionId=null") {
            error({404, "NoSuchVersion", "The specified version does not exist."});
            return std::nullopt;
        }
    }
    auto decoded = url_decode(raw);
    if (!decoded) {
        error(invalid_argument("Invalid copy source encoding"));
        return std::nullopt;
    }
    std::string_view s = *decoded;
    if (s.starts_with("/")) s.remove_prefix(1);
    auto slash = s.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= s.size()) {
        error(invalid_argument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey"));
        return std::nullopt;
    }
    return std::pair<std::string, std::string>{std::string(s.substr(0, slash)), std::string(s.substr(slash + 1))};
}

// The readable source object of a copy; answers itself on failure.
std::optional<ObjectInfo> Exchange::copy_source_info(const std::string& src_bucket, const std::string& src_key) {
    auto sb = engine_.get_bucket_record(src_bucket);
    if (!sb) {
        error(sb.error());
        return std::nullopt;
    }
    if (!expected_owner(*sb, "x-amz-source-expected-bucket-owner")) return std::nullopt;
    auto info = engine_.head_object(src_bucket, src_key);
    if (!info) {
        error(info.error());
        return std::nullopt;
    }
    if (!object_allows(*sb, *info, Permission::Read)) {
        error(access_denied());
        return std::nullopt;
    }
    // x-amz-copy-source-if-* preconditions (all answer 412).
    const auto* m = req_.header("x-amz-copy-source-if-match");
    const auto* nm = req_.header("x-amz-copy-source-if-none-match");
    const auto* ums = req_.header("x-amz-copy-source-if-unmodified-since");
    const auto* ms = req_.header("x-amz-copy-source-if-modified-since");
    std::int64_t modified_s = info->last_modified_ms / 1000;
    bool ok = true;
    if (m && !s3::etag_matches(*m, info->etag)) ok = false;
    if (nm && s3::etag_matches(*nm, info->etag)) ok = false;
    if (ums && !m) {
        auto t = parse_http_date(*ums);
        if (t && modified_s > *t / 1000) ok = false;
    }
    if (ms && !nm) {
        auto t = parse_http_date(*ms);
        if (t && modified_s <= *t / 1000) ok = false;
    }
    if (!ok) {
        error(precondition_failed());
        return std::nullopt;
    }
    return std::move(*info);
}

void Exchange::copy_object() {
    auto b = load_bucket(Permission::Write);
    if (!b) return;
    if (!space_for(0)) return;
    if (!new_key_allowed()) return;
    auto v = validate_object_key(key_);
    if (!v) return error(v.error());
    auto src = copy_source();
    if (!src) return;
    auto info = copy_source_info(src->first, src->second);
    if (!info) return;
    std::string directive(trim(req_.header_or("x-amz-metadata-directive", "COPY")));
    if (directive != "COPY" && directive != "REPLACE") return error(invalid_argument("Unknown metadata directive."));
    auto meta = meta_from_headers();
    if (auto* e = std::get_if<S3Error>(&meta)) return error(*e);
    auto& new_meta = std::get<ObjectMeta>(meta);
    bool same = src->first == bucket_ && src->second == key_;
    if (same && directive != "REPLACE")
        return error(invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without "
            "changing the object's metadata, storage class, website redirect location or encryption attributes."));
    CopyOptions options;
    if (!write_conditions(options.conditions, *b)) return;
    if (directive == "REPLACE") {
        new_meta.checksums = info->meta.checksums;
        options.replace_meta = new_meta;
    }
    auto copied = engine_.copy_object(src->first, src->second, bucket_, key_, options);
    if (!copied) return error(copied.error());
    // The copy gets the ACL the request asks for (private by default),
    // not the source's.
    if (copied->meta.acl != new_meta.acl) {
        auto r = engine_.set_object_acl(bucket_, key_, new_meta.acl);
        if (!r) return error(r.error());
    }
    xml(XmlWriter("CopyObjectResult")
            .el("LastModified", iso8601_ms(copied->last_modified_ms))
            .el("ETag", etag_quoted(copied->etag))
            .finish());
}

}  // namespace ostor::gw::s3
