#include "storage/volume_spec.hpp"

#include <algorithm>
#include <cctype>

namespace ostor::detail {

namespace {

constexpr std::string_view kRadosScheme = "rados:";

bool valid_pool_prefix(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
}

}  // namespace

Result<VolumeSpec> VolumeSpec::parse(std::string_view text) {
    VolumeSpec spec;
    if (text.substr(0, kRadosScheme.size()) != kRadosScheme) {
        if (text.empty()) return Error(Errc::InvalidArgument, "no data directory or volume given");
        spec.directory = std::filesystem::path(text);
        return spec;
    }
    spec.kind = Kind::Rados;
    std::string_view rest = text.substr(kRadosScheme.size());
    auto q = rest.find('?');
    spec.pool_prefix = std::string(rest.substr(0, q));
    if (!valid_pool_prefix(spec.pool_prefix))
        return Error(Errc::InvalidArgument,
                     "'" + std::string(text) +
                         "': a RADOS volume is rados:<pool prefix>[?conf=FILE&id=NAME&keyring=FILE], "
                         "the prefix made of letters, digits, '_', '-' and '.'");
    if (q == std::string_view::npos) return spec;
    bool seen_conf = false, seen_id = false, seen_keyring = false, seen_ns = false;
    std::string_view params = rest.substr(q + 1);
    while (!params.empty()) {
        auto amp = params.find('&');
        std::string_view param = params.substr(0, amp);
        params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
        auto eq = param.find('=');
        std::string_view name = param.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
        auto take = [&](bool& seen, std::string& into) -> Result<void> {
            if (seen)
                return Error(Errc::InvalidArgument,
                             "'" + std::string(name) + "' is given twice in " + std::string(text));
            if (value.empty())
                return Error(Errc::InvalidArgument, "'" + std::string(name) + "' has no value in " + std::string(text));
            seen = true;
            into = std::string(value);
            return {};
        };
        if (name == "conf")
            OSTOR_TRY(take(seen_conf, spec.conf_file));
        else if (name == "id")
            OSTOR_TRY(take(seen_id, spec.client_id));
        else if (name == "keyring")
            OSTOR_TRY(take(seen_keyring, spec.keyring));
        else if (name == "ns")
            OSTOR_TRY(take(seen_ns, spec.rados_namespace));
        else
            return Error(Errc::InvalidArgument, "unknown parameter '" + std::string(name) + "' in " +
                                                    std::string(text) + " (known: conf, id, keyring, ns)");
    }
    if (seen_ns && !valid_pool_prefix(spec.rados_namespace))
        return Error(
            Errc::InvalidArgument,
            "'" + std::string(text) + "': a RADOS namespace (ns=) is made of letters, digits, '_', '-' and '.'");
    return spec;
}

std::string VolumeSpec::to_string() const {
    if (kind == Kind::Local) return directory.string();
    std::string out = std::string(kRadosScheme) + pool_prefix;
    char sep = '?';
    auto add = [&](std::string_view name, const std::string& value) {
        out += sep;
        out += name;
        out += '=';
        out += value;
        sep = '&';
    };
    if (!conf_file.empty()) add("conf", conf_file);
    if (client_id != "admin") add("id", client_id);
    if (!keyring.empty()) add("keyring", keyring);
    if (!rados_namespace.empty()) add("ns", rados_namespace);
    return out;
}

}  // namespace ostor::detail
