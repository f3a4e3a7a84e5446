// The provider's admin REST API of the vendor guide:
// the `?ostor-users`, `?ostor-accounts`, `?ostor-buckets`, `?ostor-limits`,
// `?ostor-quotas` and `?ostor-usage` services on the service root ("/"),
// signed like any S3 request and open to users with the `system` flag only.
//
// Answers are the guide's JSON documents. Refusals are JSON too:
//   {"Code": "NoSuchUser", "Message": "...", "RequestId": "..."}
// with the HTTP status of the engine's error table.
//
// PUT ?ostor-users&emailAddress=E&system creates a system user (the CLI's
// create-user -S): one that may call this API.
//
// Paging the usage list and the bucket list (the guide lists everything at
// once): `&marker=NAME` lists the names after NAME and `&max-items=N`
// (1..1000, default 1000) bounds one page; "truncated": true says there is
// more, and the last item (bucket name) is the next page's marker. The
// bucket list pages only when either is given (else the guide's document,
// every bucket, no "truncated").
#pragma once

#include <string>

#include "ostor/engine.hpp"
#include "s3_auth.hpp"
#include "usage_stats.hpp"
#include "util.hpp"

namespace ostor::gw {

struct AdminAnswer {
    int status = 200;
    std::string body;  // JSON, or empty
};

// True when the query names one of the ostor-* services.
bool is_admin_request(const QueryList& query);

// Runs one admin call for `caller` (already authenticated); `stats`, this
// gateway's usage counting (?ostor-usage&current), when it counts.
AdminAnswer handle_admin(Engine& engine, const Principal& caller, std::string_view method, const QueryList& query,
                         std::string_view request_id, const UsageStats* stats = nullptr);

// A page of the bucket listing (?ostor-buckets, S3 ListBuckets): the
// buckets of `filter`, at most `page_size` of them (nullopt: all), and
// whether more follow.
struct BucketPage {
    std::vector<Bucket> buckets;
    bool truncated = false;
};
Result<BucketPage> list_bucket_page(Engine& engine, BucketFilter filter, std::optional<std::uint32_t> page_size);

}  // namespace ostor::gw
