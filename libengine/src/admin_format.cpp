// The seed's admin formats (see ostor/admin_format.hpp).
#include "ostor/admin_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace ostor::admin {

// ---- Json --------------------------------------------------------------------

Json Json::raw_number(std::string digits) {
    Json j;
    j.v_ = RawNumber{std::move(digits)};
    return j;
}

Json& Json::set(std::string key, Json value) {
    if (!std::holds_alternative<Object>(v_)) v_ = Object{};
    std::get<Object>(v_).emplace_back(std::move(key), std::move(value));
    return *this;
}

Json& Json::push(Json value) {
    if (!std::holds_alternative<Array>(v_)) v_ = Array{};
    std::get<Array>(v_).push_back(std::move(value));
    return *this;
}

namespace {

void write_string(std::string& out, std::string_view s) {
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

void indent(std::string& out, int depth) { out.append(static_cast<std::size_t>(depth) * 2, ' '); }

}  // namespace

void Json::write(std::string& out, int depth) const {
    if (std::holds_alternative<std::nullptr_t>(v_)) {
        out += "null";
    } else if (auto* b = std::get_if<bool>(&v_)) {
        out += *b ? "true" : "false";
    } else if (auto* i = std::get_if<std::int64_t>(&v_)) {
        out += std::to_string(*i);
    } else if (auto* u = std::get_if<std::uint64_t>(&v_)) {
        out += std::to_string(*u);
    } else if (auto* s = std::get_if<std::string>(&v_)) {
        write_string(out, *s);
    } else if (auto* r = std::get_if<RawNumber>(&v_)) {
        out += r->digits;
    } else if (auto* a = std::get_if<Array>(&v_)) {
        if (a->empty()) {
            out += "[]";
            return;
        }
        out += "[\n";
        for (std::size_t k = 0; k < a->size(); ++k) {
            indent(out, depth + 1);
            (*a)[k].write(out, depth + 1);
            out += k + 1 < a->size() ? ",\n" : "\n";
        }
        indent(out, depth);
        out += ']';
    } else if (auto* o = std::get_if<Object>(&v_)) {
        if (o->empty()) {
            out += "{}";
            return;
        }
        out += "{\n";
        for (std::size_t k = 0; k < o->size(); ++k) {
            indent(out, depth + 1);
            write_string(out, (*o)[k].first);
            out += ": ";
            (*o)[k].second.write(out, depth + 1);
            out += k + 1 < o->size() ? ",\n" : "\n";
        }
        indent(out, depth);
        out += '}';
    }
}

std::string Json::pretty() const {
    std::string out;
    write(out, 0);
    out += '\n';
    return out;
}

std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            case '\t':
                out += "&#9;";
                break;
            case '\n':
                out += "&#10;";
                break;
            case '\r':
                out += "&#13;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// ---- Limits --------------------------------------------------------------------

namespace {

std::string two_decimals(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

// Largest value accepted: a rate or bandwidth beyond this is a typo, and it
// keeps the value exactly representable.
constexpr double kMaxLimitValue = 1e12;

}  // namespace

std::string limits_text(const Limits& limits) {
    std::string out;
    for (auto c : kOpClasses)
        out += "ops:" + std::string(op_class_name(c)) + "=" + two_decimals(limits.ops(c)) + "ops/s\n";
    out += "bandwidth:out=" + std::to_string(limits.bandwidth_out_kbps) + "kbs/s\n";
    return out;
}

Json limits_json(const Limits& limits) {
    Json j = Json::object();
    for (auto c : kOpClasses) j.set("ops:" + std::string(op_class_name(c)), two_decimals(limits.ops(c)));
    j.set("bandwidth:out", std::to_string(limits.bandwidth_out_kbps));
    return j;
}

Result<LimitSetting> parse_limit(std::string_view type, std::string_view resource, std::string_view value) {
    auto invalid = [&](std::string why) -> Result<LimitSetting> { return Error(Errc::InvalidLimit, std::move(why)); };
    std::optional<OpClass> op;
    if (type == "ops") {
        op = parse_op_class(resource);
        if (!op)
            return invalid("unknown ops limit '" + std::string(resource) +
                           "' (expected default, get, put, list or delete)");
    } else if (type == "bandwidth") {
        if (resource != "out") return invalid("unknown bandwidth limit '" + std::string(resource) + "' (expected out)");
    } else {
        return invalid("unknown limit type '" + std::string(type) + "' (expected ops or bandwidth)");
    }
    // Plain decimal digits only: no sign, exponent, hex, inf or nan.
    bool digits = !value.empty(), dot = false;
    for (char c : value) {
        if (c == '.' && !dot && type == "ops")
            dot = true;
        else if (c < '0' || c > '9')
            digits = false;
    }
    if (!digits || value == ".")
        return invalid("invalid limit value '" + std::string(value) + "' (expected a non-negative " +
                       (type == "ops" ? "number" : "integer") + ")");
    double v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(v) || v > kMaxLimitValue)
        return invalid("limit value '" + std::string(value) + "' is out of range");
    if (type == "ops") {
        // Limits print with two decimals; what is enforced is what prints.
        if (v > 0 && v < 0.01)
            return invalid("ops limit '" + std::string(value) + "' is below the smallest rate, 0.01 ops/s");
        v = std::round(v * 100) / 100;
    }
    return op ? LimitSetting::ops(*op, v) : LimitSetting::bandwidth_out(v);
}

Result<LimitSetting> parse_limit_line(std::string_view line) {
    auto colon = line.find(':');
    auto eq = line.find('=');
    if (colon == std::string_view::npos || eq == std::string_view::npos || eq < colon)
        return Error(Errc::InvalidLimit, "expected type:resource=value, e.g. ops:get=3600 or bandwidth:out=100");
    return parse_limit(line.substr(0, colon), line.substr(colon + 1, eq - colon - 1), line.substr(eq + 1));
}

// ---- Quotas --------------------------------------------------------------------

std::string_view quota_type_name(QuotaTarget::Kind kind) {
    return kind == QuotaTarget::Kind::User || kind == QuotaTarget::Kind::DefaultUser ? "user" : "bucket";
}

std::string quota_text(QuotaTarget::Kind kind, std::uint64_t size_gib) {
    return "version: '1'\nsize: '" + std::to_string(size_gib) + "'\ntype: '" + std::string(quota_type_name(kind)) +
           "'\n";
}

Json quota_json(QuotaTarget::Kind kind, std::uint64_t size_gib) {
    Json j = Json::object();
    j.set("version", "1").set("type", quota_type_name(kind)).set("size", std::to_string(size_gib));
    return j;
}

Result<std::uint64_t> parse_quota_size(std::string_view text) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return Error(Errc::InvalidArgument,
                     "invalid quota size '" + std::string(text) + "' (expected a whole number of GiB)");
    // Past 2^34 GiB the byte count would overflow 64 bits.
    if (v > (std::uint64_t{1} << 33))
        return Error(Errc::InvalidArgument, "quota size '" + std::string(text) + "' GiB is out of range");
    return v;
}

// ---- Users, accounts, buckets ------------------------------------------------------

std::string_view user_state_name(UserState state) { return state == UserState::Enabled ? "enabled" : "disabled"; }

Json key_pairs_json(const std::vector<KeyPair>& keys) {
    Json a = Json::array();
    for (const auto& k : keys) {
        Json pair = Json::object();
        pair.set("AWSAccessKeyId", k.access_key_id).set("AWSSecretAccessKey", k.secret);
        a.push(std::move(pair));
    }
    return a;
}

Json user_keys_json(const User& user, const std::vector<KeyPair>& keys) {
    Json j = Json::object();
    j.set("UserEmail", user.email).set("UserId", user.id).set("AWSAccessKeys", key_pairs_json(keys));
    return j;
}

Json user_row_json(const User& user) {
    Json j = Json::object();
    j.set("UserEmail", user.email)
        .set("UserId", user.id)
        .set("State", user_state_name(user.state))
        .set("OwnerId", "0000000000000000");
    return j;
}

Result<Json> user_info_json(Engine& engine, const User& user) {
    auto keys = engine.list_keys(user.id);
    if (!keys) return std::move(keys).error();
    auto accounts = engine.list_accounts(user.id);
    if (!accounts) return std::move(accounts).error();
    Json flags = Json::array();
    if (user.system) flags.push("system");
    Json account_list = Json::array();
    for (const auto& a : *accounts) {
        auto account_keys = engine.list_keys(user.id, a.name);
        if (!account_keys) return std::move(account_keys).error();
        account_list.push(account_json(a, *account_keys));
    }
    Json j = user_row_json(user);
    j.set("Flags", std::move(flags))
        .set("AWSAccessKeys", key_pairs_json(*keys))
        .set("AccountCount", std::to_string(accounts->size()))
        .set("Accounts", std::move(account_list));
    return j;
}

Json account_json(const Account& account, const std::vector<KeyPair>& keys) {
    Json j = Json::object();
    j.set("Name", account.name).set("AWSAccessKeys", key_pairs_json(keys));
    return j;
}

Json size_history_json(const SizeHistory& size) {
    Json j = Json::object();
    j.set("current", size.current)
        .set("h_integral", size.h_integral)
        .set("hmax", size.hmax)
        .set("last_ts", size.last_ts);
    return j;
}

Json bucket_json(const Bucket& bucket) {
    Json j = Json::object();
    j.set("size", size_history_json(bucket.size))
        .set("epoch", bucket.epoch)
        .set("owner_id", bucket.owner_id)
        .set("name", bucket.name)
        .set("creation_date", iso8601_ms(bucket.created_ms / 1000 * 1000));  // whole seconds, as the guide shows
    return j;
}

// ---- Usage statistics ------------------------------------------------------------

Json usage_list_json(const UsageObjectList& list) {
    Json items = Json::array();
    for (const auto& n : list.names) items.push(n);
    Json j = Json::object();
    j.set("nr_items", static_cast<std::uint64_t>(list.names.size()))
        .set("truncated", list.truncated)
        .set("items", std::move(items));
    return j;
}

std::string iso8601_ms(TimestampMs ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
}

}  // namespace ostor::admin
