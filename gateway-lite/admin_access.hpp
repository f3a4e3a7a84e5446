// Who may use the admin listener (billing, /metrics).
//
// "Loopback" is decided by the peer's address, not the bound one: a
// connection from 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104 comes from this
// machine and is served without credentials, also when the listener is bound
// wide (0.0.0.0, [::]), as anyone who can connect through loopback can read
// the data directory's files anyway — when its Host is an IP literal or
// localhost (any port; or no Host at all): a page of another site in a
// browser on this machine reaches loopback by DNS rebinding, under its own
// name. Any other request must present either
//   Authorization: Bearer <token>   the token of --admin-token-file, or
//   an S3 signature (SigV4 or SigV2, as s3_auth.hpp checks it) made with a
//   key of a user with the `system` flag (curl --aws-sigv4 works);
// else it gets 403 with a JSON error.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"
#include "ostor/engine.hpp"
#include "util.hpp"

namespace ostor::gw {

struct AdminAccess {
    std::string token;  // empty: no bearer token accepted
};

// The token in `file` (its first line, surrounding blanks ignored). Fails:
// IoError (unreadable), InvalidArgument (empty, or shorter than
// kMinAdminTokenChars: a guessable token protects nothing).
constexpr std::size_t kMinAdminTokenChars = 16;
Result<std::string> read_admin_token_file(const std::filesystem::path& file);

// True when the listen address "HOST:PORT" / "[V6]:PORT" binds loopback only.
bool listen_is_loopback(std::string_view listen);

// Why the request may not be served (a message for the 403), or nullopt
// when it may. `path` is the target's path as sent, `query` its parameters.
std::optional<std::string> admin_refusal(Engine& engine, const AdminAccess& access, const HttpRequest& request,
                                         std::string_view path, const QueryList& query);

}  // namespace ostor::gw
