// What the admin listener (--admin-listen) serves, by the request's target:
//   /console, /console/...  the web console's pages (console.hpp), to anyone:
//                           they hold no secret;
//   /?ostor-*               the admin REST API (admin_api.hpp), through the S3
//                           handler as on the S3 listener: the same signature
//                           checks, a system user's signature always required
//                           (loopback peers included), the same handlers;
//   anything else           the billing API and /metrics (billing.hpp; who may
//                           call them: admin_access.hpp).
// The console's pages and the API they call share one origin.
#pragma once

#include "billing.hpp"
#include "http.hpp"
#include "s3_handler.hpp"

namespace ostor::gw {

void serve_admin_listener(const HttpRequest& request, BodyReader& body, ResponseWriter& out, S3Handler& s3,
                          BillingEndpoint& billing);

}  // namespace ostor::gw
