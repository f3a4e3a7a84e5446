#include "s3/exchange.hpp"

#include <chrono>
#include <thread>

#include "ostor/names.hpp"
#include "s3/conditions.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

Result<Upload> Exchange::find_upload() {
    const auto* id = find(query_, "uploadId");
    return id ? engine_.get_upload(*id) : Result<Upload>(Errc::NoSuchUpload);
}

std::optional<Upload> Exchange::load_upload(Result<Upload> upload) {
    if (!upload || upload->bucket != bucket_ || upload->key != key_) {
        error(upload ? S3Error(Error(Errc::NoSuchUpload)) : S3Error(upload.error()));
        return std::nullopt;
    }
    return std::move(*upload);
}

// Who started an upload (its Initiator and Owner): the writer recorded
// in its ACL (meta_from_headers) when another user than the bucket's owner.
std::string Exchange::initiator(const Upload& upload) {
    auto writer = acl_object_owner(upload.meta.acl);
    return writer.empty() ? upload.owner_id : writer;
}

std::optional<std::uint32_t> Exchange::part_number() {
    const auto* pn = find(query_, "partNumber");
    auto n = pn ? parse_u64(*pn) : std::nullopt;
    if (!n || *n < 1 || *n > 10000) {
        error(invalid_argument("Part number must be an integer between 1 and 10000, inclusive"));
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(*n);
}

void Exchange::create_upload() {
    auto b = load_bucket(Permission::Write);
    if (!b) return;
    if (!space_for(0)) return;
    if (!new_key_allowed()) return;
    auto v = validate_object_key(key_);
    if (!v) return error(v.error());
    auto meta = meta_from_headers();
    if (auto* e = std::get_if<S3Error>(&meta)) return error(*e);
    auto& m = std::get<ObjectMeta>(meta);
    HeaderList h;
    const auto* type = req_.header("x-amz-checksum-type");
    if (const auto* alg = req_.header("x-amz-checksum-algorithm")) {
        auto a = parse_checksum_algorithm(trim(*alg));
        if (!a) return error(invalid_request("Checksum algorithm " + *alg + " is not supported."));
        // CRC64NVME is always a full-object checksum; the others are
        // composite unless the client asks for FULL_OBJECT (CRCs only).
        bool crc = *a != ChecksumAlgorithm::SHA1 && *a != ChecksumAlgorithm::SHA256;
        bool full = *a == ChecksumAlgorithm::CRC64NVME;
        if (type) {
            auto t = trim(*type);
            if (t == "FULL_OBJECT" && crc)
                full = true;
            else if (t == "COMPOSITE" && *a != ChecksumAlgorithm::CRC64NVME)
                full = false;
            else
                return error(invalid_request("The " + std::string(t) + " checksum type is not supported for " +
                                             std::string(checksum_name(*a)) + "."));
        }
        h.emplace_back("x-amz-checksum-algorithm", std::string(checksum_name(*a)));
        h.emplace_back("x-amz-checksum-type", full ? "FULL_OBJECT" : "COMPOSITE");
        // Kept with the upload (replaced by the object's own checksum at completion).
        m.checksums = {{std::string(checksum_name(*a)), full ? "FULL_OBJECT" : "COMPOSITE"}};
    } else if (type) {
        return error(invalid_request("x-amz-checksum-type needs x-amz-checksum-algorithm."));
    }
    auto upload = engine_.create_upload(bucket_, key_, std::move(m));
    if (!upload) return error(upload.error());
    xml(XmlWriter("InitiateMultipartUploadResult").el("Bucket", bucket_).key(key_).el("UploadId", upload->id).finish(),
        200, std::move(h));
}

void Exchange::upload_part() {
    auto b = load_bucket(Permission::Write);
    if (!b) return;
    auto n = part_number();
    if (!n) return;
    auto upload = load_upload();
    if (!upload) return;
    upload_checksum_ = upload_checksum(*upload);
    auto info =
        receive([&](PutOptions o) { return engine_.begin_upload_part(upload->id, *n, std::move(o)); }, PutOptions{});
    if (!info) return;
    HeaderList h = {{"ETag", etag_quoted(info->etag)}};
    for (auto& c : checksum_headers(info->meta.checksums)) h.push_back(std::move(c));
    send(200, std::move(h), {});
}

void Exchange::upload_part_copy() {
    auto b = load_bucket(Permission::Write);
    if (!b) return;
    if (!space_for(0)) return;
    auto n = part_number();
    if (!n) return;
    auto upload = load_upload();
    if (!upload) return;
    auto src = copy_source();
    if (!src) return;
    auto info = copy_source_info(src->first, src->second);
    if (!info) return;
    std::optional<ByteRange> range;
    if (const auto* r = req_.header("x-amz-copy-source-range")) {
        auto rr = s3::parse_range(*r);
        if (rr.kind != s3::RangeRequest::Kind::Absolute || !rr.last)
            return error(
                invalid_argument("The x-amz-copy-source-range value must be of the form bytes=first-last where "
                                 "first and last are the zero-based offsets of the first and last bytes to copy"));
        // AWS answers 400 InvalidArgument ("Range specified is not
        // valid for source object of size: N"); we answer 416
        // InvalidRange as the issue asks, GetObject does for a range
        // past the end, and Ceph's s3-tests accept either.
        if (*rr.last >= info->size)
            return error({416, "InvalidRange",
                          "The requested range is not satisfiable: the source object's size is " +
                              std::to_string(info->size) + "."});
        range = ByteRange{rr.first, *rr.last};
    }
    auto part = engine_.upload_part_copy(upload->id, *n, src->first, src->second, range);
    if (!part) return error(part.error());
    xml(XmlWriter("CopyPartResult")
            .el("LastModified", iso8601_ms(part->last_modified_ms))
            .el("ETag", etag_quoted(part->etag))
            .finish());
}

void Exchange::complete_upload() {
    auto b = load_bucket(Permission::Write);
    if (!b) return;
    auto found = find_upload();
    if (!found && found.error().code() == Errc::NoSuchUpload)
        if (auto done = completed_before(*b, /*wait=*/false)) {
            // The body is read and checked as a first complete's is.
            pugi::xml_document doc;
            auto root = xml_body(doc, "CompleteMultipartUpload", /*allow_empty=*/false,
                                 /*checksum_headers_are_the_bodys=*/false);
            if (!root || !listed_parts(*root)) return;
            return completed_upload(*done);
        }
    if (!space_for(0)) return;
    auto upload = load_upload(std::move(found));
    if (!upload) return;
    pugi::xml_document doc;
    // Here x-amz-checksum-* are the whole object's checksum.
    auto root =
        xml_body(doc, "CompleteMultipartUpload", /*allow_empty=*/false, /*checksum_headers_are_the_bodys=*/false);
    if (!root) return;
    auto listed = listed_parts(*root);
    if (!listed) return;
    auto& parts = *listed;
    std::map<std::uint32_t, std::string> claimed;  // part checksums the client lists
    auto wanted = upload_checksum(*upload);
    if (wanted) {
        std::size_t i = 0;  // parts[i] is the i-th <Part>
        for (auto p : root->children("Part")) {
            if (auto c = p.child(("Checksum" + std::string(checksum_name(wanted->algorithm))).c_str()))
                claimed[parts[i].number] = trim(c.child_value());
            ++i;
        }
    }
    if (auto refused = check_complete_checksum_headers(wanted)) return error(*refused);
    std::vector<std::pair<std::string, std::string>> object_checksums;
    if (wanted) {
        auto computed = multipart_object_checksum(*upload, *wanted, parts, claimed);
        if (auto* e = std::get_if<S3Error>(&computed)) return error(*e);
        if (auto& value = std::get<std::optional<std::string>>(computed))
            object_checksums.emplace_back(std::string(checksum_name(wanted->algorithm)), *value);
    }
    WriteConditions conditions;
    if (!write_conditions(conditions, *b)) return;
    auto info = engine_.complete_upload(upload->id, parts, object_checksums, conditions);
    // Another complete of the same upload (a retry overlapping this
    // one) may have closed it since it was read: get_upload waits for
    // its outcome while it holds the upload sealed (RADOS).
    if (!info && info.error().code() == Errc::NoSuchUpload) {
        (void)find_upload();
        if (auto done = completed_before(*b, /*wait=*/true)) return completed_upload(*done);
    }
    if (!info) return error(object_error(info.error(), *b));
    completed_upload(*info);
}

// The parts a CompleteMultipartUpload body lists; MalformedXML answered
// when one is malformed or none is listed.
std::optional<std::vector<CompletedPart>> Exchange::listed_parts(pugi::xml_node root) {
    std::vector<CompletedPart> parts;
    for (auto p : root.children("Part")) {
        auto number = parse_u64(trim(p.child_value("PartNumber")));
        if (!number || *number < 1 || *number > 10000 || !p.child("ETag")) {
            error(malformed_xml());
            return std::nullopt;
        }
        parts.push_back({static_cast<std::uint32_t>(*number), std::string(s3::unquote_etag(p.child_value("ETag")))});
    }
    if (parts.empty()) {
        error(malformed_xml());
        return std::nullopt;
    }
    return parts;
}

// The object ?uploadId made, while the key still holds it: a client
// retrying after a lost answer gets that answer again. Only for a caller
// who may read the object; others are told NoSuchUpload, as without it.
// With `wait`, a complete that still holds the upload sealed (RADOS)
// is given a short while to write its object.
std::optional<ObjectInfo> Exchange::completed_before(const Bucket& b, bool wait) {
    const auto* id = find(query_, "uploadId");
    if (!id || id->empty()) return std::nullopt;
    for (int attempt = 0;; ++attempt) {
        if (auto done = engine_.head_object(bucket_, key_); done && done->upload_id == *id) {
            if (!object_allows(b, *done, Permission::Read)) return std::nullopt;
            return std::move(*done);
        }
        if (!wait || attempt == 20) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

// The answer to CompleteMultipartUpload for the object it made (whose
// checksums are the ones computed at completion).
void Exchange::completed_upload(const ObjectInfo& info) {
    std::string location = "/" + bucket_ + "/" + aws_uri_encode(key_, true);
    if (const auto* host = req_.header("host")) location = "http://" + *host + location;
    XmlWriter result("CompleteMultipartUploadResult");
    result.el("Location", location).el("Bucket", bucket_).key(key_).el("ETag", etag_quoted(info.etag));
    for (const auto& [name, value] : info.meta.checksums)
        result.el("Checksum" + name, value).el("ChecksumType", std::string(checksum_type(value)));
    xml(result.finish());
}

std::optional<Exchange::UploadChecksum> Exchange::upload_checksum(const Upload& upload) {
    for (const auto& [name, type] : upload.meta.checksums)
        if (auto a = parse_checksum_algorithm(name)) return UploadChecksum{*a, type == "FULL_OBJECT"};
    return std::nullopt;
}

// A whole-object checksum sent on CompleteMultipartUpload can only be
// checked against the algorithm and mode the upload was created with
// (an x-amz-checksum-type left out means the upload's).
std::optional<S3Error> Exchange::check_complete_checksum_headers(const std::optional<UploadChecksum>& wanted) {
    std::string created = wanted ? "the " + std::string(checksum_name(wanted->algorithm)) : std::string("no");
    for (auto a : kChecksumAlgorithms)
        if (req_.header(checksum_header(a)) && (!wanted || wanted->algorithm != a))
            return invalid_request("The upload was created using " + created +
                                   " checksum algorithm. The complete request must use the same algorithm.");
    if (const auto* type = req_.header("x-amz-checksum-type")) {
        std::string mode = wanted ? (wanted->full_object ? "FULL_OBJECT" : "COMPOSITE") : "null";
        if (trim(*type) != mode)
            return invalid_request("The upload was created using the " + mode +
                                   " checksum mode. The complete request must use the same checksum mode.");
    }
    return std::nullopt;
}

// The object's checksum from its parts' stored ones; a part checksum the
// client lists must match the stored one (InvalidPart), and a whole-object
// value it sends (x-amz-checksum-*) must match the result (BadDigest).
// nullopt when a part has none (e.g. made by UploadPartCopy).
std::variant<std::optional<std::string>, S3Error> Exchange::multipart_object_checksum(
    const Upload& upload, const UploadChecksum& wanted, const std::vector<CompletedPart>& parts,
    const std::map<std::uint32_t, std::string>& claimed) {
    std::map<std::uint32_t, PartInfo> stored;
    for (std::uint32_t marker = 0;;) {
        auto page = engine_.list_parts(upload.id, marker, 1000);
        if (!page) return S3Error(page.error());
        for (auto& p : page->parts) stored[p.number] = std::move(p);
        if (!page->truncated) break;
        marker = page->next_marker;
    }
    std::string name(checksum_name(wanted.algorithm));
    std::vector<PartChecksum> inputs;
    bool complete = true;
    for (const auto& part : parts) {
        auto it = stored.find(part.number);
        if (it == stored.end()) continue;  // the engine refuses it (InvalidPart)
        const std::string* value = nullptr;
        for (const auto& [n, v] : it->second.checksums)
            if (n == name) value = &v;
        if (auto c = claimed.find(part.number); c != claimed.end() && (!value || c->second != *value))
            return S3Error{400, "InvalidPart",
                           "The checksum of part " + std::to_string(part.number) + " does not match the one uploaded."};
        if (!value)
            complete = false;
        else
            inputs.push_back({*value, it->second.size});
    }
    const std::string* sent = req_.header(checksum_header(wanted.algorithm));
    if (!complete) {
        if (sent)
            return invalid_request("The " + name + " you specified cannot be checked: a part of the upload has none.");
        return std::optional<std::string>();
    }
    auto value = ostor::gw::multipart_checksum(wanted.algorithm, wanted.full_object, inputs);
    if (!value) return std::optional<std::string>();
    if (sent) {
        auto expected = std::string(trim(*sent));
        auto bare = value->substr(0, value->find('-'));
        if (expected != *value && expected != bare)
            return S3Error{400, "BadDigest", "The " + name + " you specified did not match the calculated checksum."};
    }
    return value;
}

void Exchange::abort_upload() {
    auto b = load_bucket(Permission::Write);
    if (!b) return;
    auto upload = load_upload();
    if (!upload) return;
    auto r = engine_.abort_upload(upload->id);
    if (!r) return error(r.error());
    send(204, {}, {});
}

void Exchange::list_parts() {
    auto b = load_bucket(Permission::Read);
    if (!b) return;
    auto upload = load_upload();
    if (!upload) return;
    std::uint32_t marker = 0, max_parts = 1000;
    if (const auto* m = find(query_, "part-number-marker")) {
        auto v = parse_u64(*m);
        if (!v || *v > 10000) return error(invalid_argument("Invalid part-number-marker"));
        marker = static_cast<std::uint32_t>(*v);
    }
    if (const auto* m = find(query_, "max-parts")) {
        auto v = parse_u64(*m);
        if (!v) return error(invalid_argument("Invalid max-parts"));
        max_parts = static_cast<std::uint32_t>(std::min<std::uint64_t>(*v, 1000));
    }
    auto listed = engine_.list_parts(upload->id, marker, max_parts);
    if (!listed) return error(listed.error());
    std::string owner = owner_fields(initiator(*upload));
    std::string body = std::string(kXmlHeader) + "<ListPartsResult xmlns=\"" + std::string(kXmlns) + "\"><Bucket>" +
                       xml_escape(bucket_) + "</Bucket><Key>" + xml_key(key_) + "</Key><UploadId>" +
                       xml_escape(upload->id) + "</UploadId><Initiator>" + owner + "</Initiator><Owner>" + owner +
                       "</Owner><StorageClass>STANDARD</StorageClass><PartNumberMarker>" + std::to_string(marker) +
                       "</PartNumberMarker><NextPartNumberMarker>" +
                       std::to_string(listed->parts.empty() ? marker : listed->parts.back().number) +
                       "</NextPartNumberMarker><MaxParts>" + std::to_string(max_parts) + "</MaxParts><IsTruncated>" +
                       (listed->truncated ? "true" : "false") + "</IsTruncated>";
    for (const auto& p : listed->parts) {
        body += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><LastModified>" +
                iso8601_ms(p.last_modified_ms) + "</LastModified><ETag>" + xml_escape(etag_quoted(p.etag)) +
                "</ETag><Size>" + std::to_string(p.size) + "</Size>";
        for (const auto& [name, value] : p.checksums)
            body += "<Checksum" + name + ">" + xml_escape(value) + "</Checksum" + name + ">";
        body += "</Part>";
    }
    body += "</ListPartsResult>";
    xml(std::move(body));
}

}  // namespace ostor::gw::s3
