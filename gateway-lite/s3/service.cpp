#include "s3/exchange.hpp"

#include "admin_api.hpp"
#include "s3/xml_writer.hpp"

namespace ostor::gw::s3 {

// The provider's ostor-* services (admin_api.hpp): JSON in and out.
void Exchange::admin() {
    auto answer = handle_admin(engine_, principal_, req_.method, query_, request_id_);
    send(answer.status, {}, answer.body, "application/json");
}

void Exchange::not_implemented() {
    error({501, "NotImplemented", "A header or query you provided implies functionality that is not implemented."});
}

// Paged by max-buckets and continuation-token (the name of the last
// bucket of the page before, base64), filtered by prefix, as the API
// has since 2024; without max-buckets all come in one page.
void Exchange::list_buckets() {
    if (!require_signed()) return;
    std::optional<std::uint64_t> max_buckets;
    if (const auto* v = find(query_, "max-buckets")) {
        max_buckets = parse_u64(*v);
        if (!max_buckets || *max_buckets < 1 || *max_buckets > 10000)
            return error(invalid_argument("max-buckets must be an integer between 1 and 10000"));
    }
    std::string after;
    if (const auto* t = find(query_, "continuation-token"); t && !t->empty()) {
        auto decoded = base64_decode(*t);
        if (!decoded || decoded->empty() || (*decoded)[0] != 'b')
            return error(invalid_argument("The continuation token provided is incorrect"));
        after = decoded->substr(1);
    }
    const auto* prefix = find(query_, "prefix");
    BucketFilter filter;
    filter.owner_id = principal_.user_id;
    if (!principal_.account.empty()) filter.account = principal_.account;
    auto buckets = engine_.list_buckets(filter);
    if (!buckets) return error(buckets.error());
    std::string body = std::string(kXmlHeader) + "<ListAllMyBucketsResult xmlns=\"" + std::string(kXmlns) + "\">" +
                       owner_xml(principal_.user_id) + "<Buckets>";
    std::uint64_t listed = 0;
    std::string next;  // the last name of a page that has more after it
    for (const auto& b : *buckets) {
        if (b.name <= after || (prefix && !b.name.starts_with(*prefix))) continue;
        if (max_buckets && listed == *max_buckets) {
            next = base64_encode("b" + after);
            break;
        }
        body += "<Bucket><Name>" + xml_escape(b.name) + "</Name><CreationDate>" + iso8601_ms(b.created_ms) +
                "</CreationDate></Bucket>";
        after = b.name;
        ++listed;
    }
    body += "</Buckets>";
    if (!next.empty()) body += "<ContinuationToken>" + xml_escape(next) + "</ContinuationToken>";
    if (prefix) body += "<Prefix>" + xml_text(*prefix) + "</Prefix>";
    body += "</ListAllMyBucketsResult>";
    xml(std::move(body));
}

}  // namespace ostor::gw::s3
