// POST Object: a browser uploads a file with an HTML form to its bucket
// ("Browser-Based Uploads Using POST"). The pipeline reads the fields before
// the file and authenticates the form's signature (read_post_form here,
// authenticate_post_form in s3_auth.cpp), then admits it under the caller's
// limits and checks its write permission on the bucket as for PutObject;
// this handler checks the policy, streams the file into the engine and
// answers as success_action_redirect / success_action_status ask.
#include <algorithm>
#include <array>
#include <cctype>

#include "checksums.hpp"
#include "s3/handlers.hpp"
#include "s3/post_form.hpp"
#include "s3/post_policy.hpp"
#include "s3/tag_sets.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

namespace {

// AWS: the fields before the file may be 20 KB at most.
constexpr std::size_t kMaxPreDataBytes = 20 * 1024;
// As for PutObject: one request stores at most 5 GiB.
constexpr std::uint64_t kMaxPostObject = std::uint64_t{5} << 30;
constexpr std::size_t kIoChunk = 256 * 1024;
constexpr std::string_view kFilenameVariable = "${filename}";
constexpr std::size_t kMd5Bytes = 16;
// Parts after the file are read and ignored; this much of them at most.
constexpr std::uint64_t kMaxAfterFileBytes = 1024 * 1024;

// Form fields stored with the object as PutObject stores these headers.
constexpr std::string_view kHeaderFields[] = {"content-type",
                                              "cache-control",
                                              "content-disposition",
                                              "content-encoding",
                                              "content-language",
                                              "expires",
                                              "x-amz-website-redirect-location"};
// Form fields taken as PutObject's headers of the same names, and parsed
// and checked as those (requested_lock).
constexpr std::string_view kLockFields[] = {"x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date",
                                            "x-amz-object-lock-legal-hold"};

// An x-amz-checksum-<algorithm> field: the file's checksum, verified and stored.
struct FileChecksum {
    Checksum running;
    std::string expected;
};

S3Error form_error(const FormReader& reader) {
    return reader.failure() == FormStatus::ReadFailed ? incomplete_body() : malformed_post_request();
}

S3Error missing_field(std::string_view name) {
    return invalid_argument("Bucket POST must contain a field named '" + std::string(name) +
                            "'.  If it is specified, please check the order of the fields.");
}

const std::string* field(const QueryList& fields, std::string_view name) {
    for (const auto& [n, v] : fields)
        if (n == name) return &v;
    return nullptr;
}

// The request as the object's metadata and lock see it: the form's fields
// as the headers PutObject takes (the canned ACL field `acl` as x-amz-acl).
HttpRequest fields_as_request(const HttpRequest& request, const QueryList& fields) {
    HttpRequest r;
    r.method = "PUT";
    r.target = request.target;
    r.remote = request.remote;
    r.tls = request.tls;
    // What a bucket policy's aws:UserAgent and aws:Referer compare.
    for (std::string_view h : {"user-agent", "referer"})
        if (const auto* v = request.header(h)) r.headers.emplace_back(std::string(h), *v);
    for (const auto& [name, value] : fields) {
        bool stored = name.starts_with("x-amz-meta-");
        for (auto h : kHeaderFields) stored = stored || name == h;
        for (auto h : kLockFields) stored = stored || name == h;
        if (stored) r.headers.emplace_back(name, value);
        if (name == "acl") r.headers.emplace_back("x-amz-acl", value);
    }
    return r;
}

// The URL the object is at, for Location: as the client addressed the bucket.
std::string object_location(const RequestContext& ctx, std::string_view key) {
    std::string host(ctx.request.header_or("host"));
    std::string path = ctx.vhost_bucket.empty() ? "/" + ctx.bucket + "/" : "/";
    return (ctx.request.tls ? "https://" : "http://") + host + path + aws_uri_encode(key, true);
}

// success_action_redirect (or the older `redirect`) as a URL to send the
// browser to, with the object's bucket, key and ETag in its query; nullopt
// when it is absent or not an http(s) URL (AWS then answers by status).
std::optional<std::string> redirect_url(const QueryList& fields, std::string_view bucket, std::string_view key,
                                        std::string_view etag) {
    const auto* url = field(fields, "success_action_redirect");
    if (!url) url = field(fields, "redirect");
    if (!url || !(url->starts_with("http://") || url->starts_with("https://"))) return std::nullopt;
    std::string out = *url;
    out += out.find('?') == std::string::npos ? '?' : '&';
    out += "bucket=" + aws_uri_encode(bucket, false) + "&key=" + aws_uri_encode(key, false) +
           "&etag=" + aws_uri_encode(etag_quoted(etag), false);
    return out;
}

// An x-amz-checksum-* field whose value is not its algorithm's digest in
// base64 is refused as PutObject refuses the header.
Outcome<std::vector<FileChecksum>> file_checksums(const QueryList& fields) {
    std::vector<FileChecksum> out;
    for (auto a : kChecksumAlgorithms) {
        const auto name = checksum_header(a);
        const auto* v = field(fields, name);
        if (!v) continue;
        auto decoded = base64_decode(trim(*v));
        if (!decoded || decoded->size() != checksum_digest_bytes(a))
            return invalid_request("Value for " + std::string(name) + " header is invalid.");
        out.push_back({Checksum(a), std::string(trim(*v))});
    }
    return out;
}

// The Content-MD5 field, as PutObject's header: the file's MD5 (16 bytes),
// which the writer checks before it commits (BadDigest).
Outcome<std::optional<std::string>> content_md5(const QueryList& fields) {
    const auto* v = field(fields, "content-md5");
    if (!v) return std::optional<std::string>();
    auto raw = base64_decode(trim(*v));
    if (!raw || raw->size() != kMd5Bytes) return invalid_digest();
    return std::optional<std::string>(std::move(*raw));
}

// A header value may not hold a control character: a part's data can carry
// any byte, and a CR or LF stored here would go out in every GET's head.
bool header_value_ok(std::string_view v) {
    return std::ranges::none_of(v, [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

// HTTP's token characters (RFC 9110 section 5.6.2), which a header name is made of.
bool is_token(std::string_view name) {
    constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
    return !name.empty() && std::ranges::all_of(name, [&](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || kSpecials.find(c) != std::string_view::npos;
    });
}

// Every field stored as a header or sent back in one (Location) must be a
// valid header: refused, before anything is written, when it is not.
std::optional<S3Error> check_header_fields(const QueryList& fields) {
    for (const auto& [name, value] : fields) {
        bool meta = name.starts_with("x-amz-meta-");
        bool echoed = meta || name == "acl" || name == "success_action_redirect" || name == "redirect" ||
                      std::ranges::find(kHeaderFields, name) != std::end(kHeaderFields);
        if (meta && !is_token(name))
            return invalid_argument("Your metadata field name '" + name + "' is not a valid HTTP header name.");
        if (echoed && !header_value_ok(value))
            return invalid_argument("The value of the form field '" + name + "' contains a control character.");
    }
    return std::nullopt;
}

// The file's name as AWS takes it for ${filename}: what follows the last
// slash or backslash of the path a client may send (C:\dir\cat.jpg -> cat.jpg).
std::string base_filename(std::string_view sent) {
    auto last = sent.find_last_of("/\\");
    return std::string(last == std::string_view::npos ? sent : sent.substr(last + 1));
}

void replace_filename(std::string& value, std::string_view filename) {
    for (auto at = value.find(kFilenameVariable); at != std::string::npos;
         at = value.find(kFilenameVariable, at + filename.size()))
        value.replace(at, kFilenameVariable.size(), filename);
}

}  // namespace

Outcome<std::unique_ptr<PostForm>> read_post_form(BodyReader& body, const HttpRequest& request) {
    auto type = request.header_or("content-type");
    auto boundary = form_boundary(type);
    if (!boundary) {
        auto semi = type.find(';');
        if (!iequals(trim(type.substr(0, semi)), "multipart/form-data")) return not_a_form_post();
        return malformed_post_request();
    }
    auto form = std::make_unique<PostForm>();
    form->reader = std::make_unique<FormReader>(body, *boundary);
    auto& reader = *form->reader;
    for (;;) {
        FormPartHead head;
        auto status = reader.next_part(head);
        if (status == FormStatus::End) return invalid_argument("POST requires exactly one file upload per request.");
        if (status != FormStatus::Part) return form_error(reader);
        std::string name = to_lower(head.name);
        if (name == "file") {
            form->filename = base_filename(head.filename.value_or(""));
            for (auto& [n, v] : form->fields) replace_filename(v, form->filename);
            if (const auto* key = field(form->fields, "key")) form->key = *key;
            return form;
        }
        std::string value;
        if (!reader.read_value(value, kMaxPreDataBytes)) {
            if (value.size() > kMaxPreDataBytes) return max_post_pre_data_length_exceeded();
            return form_error(reader);
        }
        if (reader.position() > kMaxPreDataBytes) return max_post_pre_data_length_exceeded();
        // A field sent twice counts once, as AWS takes it: the first.
        if (!field(form->fields, name)) form->fields.emplace_back(std::move(name), std::move(value));
    }
}

Reply post_object(const RequestContext& ctx) {
    auto& form = *ctx.post_form;
    const auto& bucket = *ctx.bucket_record;
    const auto& fields = form.fields;
    if (!field(fields, "key")) return missing_field("key");
    const auto& key = form.key;
    if (auto v = validate_object_key(key); !v) return v.error();
    if (!xml_can_carry(key)) return invalid_argument("Object key contains characters not allowed.");
    if (auto refused = check_header_fields(fields)) return *refused;
    auto md5 = content_md5(fields);
    if (!md5) return md5.error();
    auto checksums = file_checksums(fields);
    if (!checksums) return checksums.error();

    std::uint64_t min_length = 0, max_length = kMaxPostObject;
    if (const auto* policy_b64 = field(fields, "policy")) {
        auto text = base64_decode(trim(*policy_b64));
        if (!text) return invalid_policy_document("Invalid Policy: Invalid Base64 Encoding.");
        auto policy = parse_post_policy(*text);
        if (auto* why = std::get_if<std::string>(&policy)) return invalid_policy_document(*why);
        auto& p = std::get<PostPolicy>(policy);
        if (auto refused = check_post_policy(p, fields, ctx.bucket, now_ms())) return access_denied(*refused);
        min_length = p.min_length;
        max_length = std::min(max_length, p.max_length);
    }

    // The object's metadata and ACL from the fields, as PutObject's from headers.
    auto as_request = fields_as_request(ctx.request, fields);
    RequestContext meta_ctx(ctx.engine, ctx.options, as_request, ctx.request_id);
    meta_ctx.bucket = ctx.bucket;
    meta_ctx.key = key;
    meta_ctx.principal = ctx.principal;
    // The `tagging` field: the object's tags as PutObjectTagging's <Tagging>
    // document (S3's form of them in a POST).
    std::optional<TagSet> form_tags;
    std::optional<S3Error> tags_refused;
    if (const auto* tagging = field(fields, "tagging")) {
        auto tags = parse_tagging(*tagging);
        if (auto* e = std::get_if<S3Error>(&tags))
            tags_refused = std::move(*e);
        else
            form_tags = std::move(std::get<TagSet>(tags));
    }
    // s3:PutObject of the form's key (the pipeline left it here on a bucket
    // with a policy), with the fields as the request's condition values
    // (the `tagging` field's tags as s3:RequestObjectTag); a Deny of
    // s3:PutObjectTagging or s3:PutObjectAcl refuses the `tagging` and
    // `acl` fields, as PutObject's headers. A refusal comes before what the
    // fields' errors would tell.
    auto extras = meta_ctx.header_write_extras();  // `acl` as x-amz-acl
    extras.tags = field(fields, "tagging") && (!form_tags || !form_tags->empty());
    const TagSet* request_tags = form_tags ? &*form_tags : nullptr;
    if (!meta_ctx.may_write_key(bucket, "s3:PutObject", key, request_tags) ||
        !meta_ctx.may_write_extras(bucket, key, extras, request_tags))
        return access_denied();
    if (tags_refused) return *tags_refused;
    auto meta = meta_from_headers(meta_ctx, bucket);
    if (!meta) return meta.error();
    if (form_tags) meta->tags = std::move(*form_tags);
    // The lock fields as PutObject's headers, but no digest asked: a form
    // has no Content-MD5 header, and AWS's POST Object asks none of it.
    auto lock = requested_lock(meta_ctx, bucket, /*with_body=*/false);
    if (!lock) return lock.error();
    // What the request declares is a bound on the file: a large upload to a
    // nearly full disk is refused before it is written.
    const auto& declared = ctx.request.content_length;
    std::uint64_t file_bound =
        declared && *declared > form.reader->position() ? *declared - form.reader->position() : 0;
    if (auto refused = ctx.check_space_for(std::min(file_bound, max_length))) return *refused;
    PutOptions options;
    options.meta = std::move(*meta);
    options.expected_md5 = *md5;
    options.lock = std::move(*lock);
    auto writer = ctx.engine.begin_put(ctx.bucket, key, std::move(options));
    if (!writer) return writer.error();

    // The file, streamed to its closing boundary; a refusal drops the writer
    // uncommitted, so nothing is stored.
    std::vector<std::byte> buffer(kIoChunk);
    for (;;) {
        auto n = form.reader->read(buffer);
        if (n < 0) return form_error(*form.reader);
        if (n == 0) break;
        if ((*writer)->size() + static_cast<std::uint64_t>(n) > max_length) return entity_too_large();
        std::span<const std::byte> data(buffer.data(), static_cast<std::size_t>(n));
        for (auto& c : *checksums) c.running.update(data);
        if (auto w = (*writer)->write(data); !w) return w.error();
    }
    if ((*writer)->size() < min_length) return entity_too_small();
    std::vector<std::pair<std::string, std::string>> stored;
    for (auto& c : *checksums) {
        auto actual = c.running.finish();
        if (actual != c.expected) return bad_digest("The " + std::string(checksum_name(c.running.algorithm())));
        stored.emplace_back(std::string(checksum_name(c.running.algorithm())), std::move(actual));
    }
    (*writer)->set_checksums(stored);
    // Fields after the file are ignored (AWS: the file is the last field);
    // the body must still end with its closing boundary, soon.
    const auto file_end = form.reader->position();
    for (FormPartHead rest;;) {
        auto skipped = form.reader->position() - file_end;
        if (skipped > kMaxAfterFileBytes) return malformed_post_request();
        auto status = form.reader->next_part(rest, kMaxAfterFileBytes - skipped);
        if (status == FormStatus::End) break;
        if (status != FormStatus::Part) return form_error(*form.reader);
    }
    auto info = (*writer)->commit();
    if (!info) return info.error();

    HeaderList headers = {{"ETag", etag_quoted(info->etag)}};
    add_written_version_header(headers, *info);
    for (auto& c : checksum_headers(stored)) headers.push_back(std::move(c));
    if (auto url = redirect_url(fields, ctx.bucket, key, info->etag)) {
        headers.emplace_back("Location", *url);
        return empty_answer(303, std::move(headers));
    }
    headers.emplace_back("Location", object_location(ctx, key));
    const auto* status = field(fields, "success_action_status");
    if (status && *status == "200") return empty_answer(200, std::move(headers));
    if (status && *status == "201") {
        XmlWriter x("PostResponse", XmlWriter::Namespace::None);
        x.text_el("Location", object_location(ctx, key)).text_el("Bucket", ctx.bucket).key(key);
        x.el("ETag", etag_quoted(info->etag));
        auto answer = xml_answer(x.finish(), std::move(headers));
        answer.status = 201;
        return answer;
    }
    return empty_answer(204, std::move(headers));
}

}  // namespace ostor::gw::s3
