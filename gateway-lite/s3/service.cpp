// The service: what names no bucket.
#include "admin_api.hpp"
#include "s3/handlers.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

namespace {

constexpr std::uint64_t kMaxBucketsPerPage = 10000;

}  // namespace

// The provider's ostor-* services (admin_api.hpp): JSON in and out.
Reply admin(const RequestContext& ctx) {
    auto answer =
        handle_admin(ctx.engine, ctx.principal, ctx.request.method, ctx.query, ctx.request_id, ctx.usage_stats);
    Answer a = empty_answer(answer.status);
    a.body = std::move(answer.body);
    a.content_type = "application/json";
    return a;
}

// Paged by max-buckets and continuation-token (the name of the last
// bucket of the page before, base64), filtered by prefix, as the API
// has since 2024; without max-buckets all come in one page.
Reply list_buckets(const RequestContext& ctx) {
    const auto& principal = ctx.principal;
    if (principal.anonymous) return access_denied();
    std::optional<std::uint32_t> max_buckets;
    if (const auto* v = ctx.param("max-buckets")) {
        auto n = parse_u64(*v);
        if (!n || *n < 1 || *n > kMaxBucketsPerPage)
            return invalid_argument("max-buckets must be an integer between 1 and 10000");
        max_buckets = static_cast<std::uint32_t>(*n);
    }
    std::string after;
    if (const auto* t = ctx.param("continuation-token"); t && !t->empty()) {
        auto decoded = base64_decode(*t);
        if (!decoded || decoded->empty() || (*decoded)[0] != 'b')
            return invalid_argument("The continuation token provided is incorrect");
        after = decoded->substr(1);
    }
    const auto* prefix = ctx.param("prefix");
    BucketFilter filter;
    filter.owner_id = principal.user_id;
    if (!principal.account.empty()) filter.account = principal.account;
    if (!after.empty()) filter.start_after = after;
    if (prefix) filter.prefix = *prefix;
    auto page = list_bucket_page(ctx.engine, std::move(filter), max_buckets);
    if (!page) return page.error();
    DisplayNames names(ctx.engine);
    XmlWriter x("ListAllMyBucketsResult");
    x.person("Owner", principal.user_id, names(principal.user_id)).open("Buckets");
    for (const auto& b : page->buckets)
        x.open("Bucket").el("Name", b.name).el("CreationDate", iso8601_ms(b.created_ms)).close("Bucket");
    // The token names the last bucket of the page.
    std::string next;
    if (page->truncated) next = base64_encode("b" + page->buckets.back().name);
    x.close("Buckets");
    if (!next.empty()) x.el("ContinuationToken", next);
    if (prefix) x.text_el("Prefix", *prefix);
    return xml_answer(x.finish());
}

}  // namespace ostor::gw::s3
