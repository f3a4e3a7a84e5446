#include "admin_access.hpp"

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include <fstream>

#include "s3_auth.hpp"

namespace ostor::gw {

namespace {

constexpr const char* kEmptyBodySha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// A Host naming this machine by address or as localhost, not by a name whose
// DNS answer another site controls. No Host: no browser (they always send one).
bool host_names_no_site(std::string_view host) {
    if (host.empty()) return true;
    std::string h;
    if (host.front() == '[') {
        auto close = host.find(']');
        if (close == std::string_view::npos) return false;
        auto rest = host.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return false;
        h = std::string(host.substr(1, close - 1));
        in6_addr v6{};
        return inet_pton(AF_INET6, h.c_str(), &v6) == 1;
    }
    h = to_lower(host.substr(0, host.find(':')));
    in_addr v4{};
    return h == "localhost" || inet_pton(AF_INET, h.c_str(), &v4) == 1;
}

}  // namespace

Result<std::string> read_admin_token_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) return Error(Errc::IoError, "cannot read the admin token file " + file.string());
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();  // written on Windows
    std::string token(trim(line));
    if (token.size() < kMinAdminTokenChars)
        return Error(Errc::InvalidArgument, "the admin token in " + file.string() + " must be at least " +
                                                std::to_string(kMinAdminTokenChars) + " characters");
    return token;
}

bool listen_is_loopback(std::string_view listen) {
    auto colon = listen.rfind(':');
    std::string_view host = colon == std::string_view::npos ? listen : listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return host == "localhost" || is_loopback_address(host);
}

std::optional<std::string> admin_refusal(Engine& engine, const AdminAccess& access, const HttpRequest& request,
                                         std::string_view path, const QueryList& query) {
    if (is_loopback_address(request.remote) && host_names_no_site(request.header_or("host"))) return std::nullopt;
    std::string_view authorization = request.header_or("authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.starts_with(kBearer)) {
        auto given = trim(authorization.substr(kBearer.size()));
        if (!access.token.empty() && given.size() == access.token.size() &&
            CRYPTO_memcmp(given.data(), access.token.data(), given.size()) == 0)
            return std::nullopt;
        return "the bearer token is not the admin token";
    }
    // curl --aws-sigv4 (before 8.x) signs the empty body's hash without
    // sending x-amz-content-sha256, which S3 requires; the admin API has no
    // bodies, so a bodiless request is checked as if it carried that hash.
    const HttpRequest* checked = &request;
    HttpRequest with_hash;
    bool bodiless = !request.chunked && request.content_length.value_or(0) == 0;
    if (bodiless && !request.header("x-amz-content-sha256") && authorization.starts_with("AWS4-HMAC-SHA256")) {
        with_hash = request;
        with_hash.headers.emplace_back("x-amz-content-sha256", kEmptyBodySha256Hex);
        checked = &with_hash;
    }
    auto auth = authenticate(engine, *checked, path, query, {});
    if (auto* e = std::get_if<S3Error>(&auth)) return "signature refused: " + e->message;
    const auto& principal = std::get<AuthResult>(auth).principal;
    if (principal.anonymous)
        return "the admin listener serves other hosts than this one only with a system user's signature or "
               "the admin bearer token";
    if (!principal.system) return "only system users may use the admin listener";
    return std::nullopt;
}

}  // namespace ostor::gw
