// The web console (gateway-lite/console/): static pages served by the admin
// listener at /console/, built into the binary (console/embed.py writes
// their bytes into console_files.cpp at build time). They hold no secret and
// are served without credentials; the pages sign every admin API call in the
// browser with the key the user typed, and the gateway checks it as any
// other (a system user's signature, admin_api.hpp).
#pragma once

#include <span>
#include <string_view>

#include "http.hpp"

namespace ostor::gw {

struct ConsoleFile {
    std::string_view path;  // its name under /console/
    std::string_view content_type;
    std::string_view body;
};

// Every file of the console (console_files.cpp, generated).
std::span<const ConsoleFile> console_files();

// True for /console and what is under /console/.
bool is_console_path(std::string_view path);

// Answers GET or HEAD of a console path: the file (index.html for
// /console/), a redirect from /console to /console/, 404 JSON for a name
// that is no file, 405 for another method.
void serve_console(const HttpRequest& request, std::string_view path, ResponseWriter& out);

}  // namespace ostor::gw
