// The seed's admin formats (see ostor/admin_format.hpp).
#include "ostor/admin_format.hpp"

#include "versions/object_lock.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <utility>

namespace ostor::admin {

// ---- Json --------------------------------------------------------------------

Json::Json() : v_(std::make_unique<boost::json::value>()) {}
Json::Json(std::nullptr_t) : Json() {}
Json::Json(bool b) : v_(std::make_unique<boost::json::value>(b)) {}
Json::Json(int i) : v_(std::make_unique<boost::json::value>(static_cast<std::int64_t>(i))) {}
Json::Json(std::int64_t i) : v_(std::make_unique<boost::json::value>(i)) {}
Json::Json(std::uint64_t u) : v_(std::make_unique<boost::json::value>(u)) {}
Json::Json(const char* s) : Json(std::string_view(s)) {}
Json::Json(std::string_view s) : v_(std::make_unique<boost::json::value>(boost::json::string(s))) {}
Json::Json(const std::string& s) : Json(std::string_view(s)) {}
Json::Json(const Json& other) : v_(std::make_unique<boost::json::value>(*other.v_)) {}
// A moved-from Json is null, as a fresh one: it stays usable.
Json::Json(Json&& other) noexcept : v_(std::exchange(other.v_, std::make_unique<boost::json::value>())) {}
Json& Json::operator=(const Json& other) {
    if (this != &other) v_ = std::make_unique<boost::json::value>(*other.v_);
    return *this;
}
Json& Json::operator=(Json&& other) noexcept {
    if (this != &other) v_ = std::exchange(other.v_, std::make_unique<boost::json::value>());
    return *this;
}
Json::~Json() = default;

Json Json::array() {
    Json j;
    j.v_->emplace_array();
    return j;
}

Json Json::object() {
    Json j;
    j.v_->emplace_object();
    return j;
}

Json& Json::set(std::string_view key, Json value) {
    if (!v_->is_object()) v_->emplace_object();
    v_->get_object().insert_or_assign(key, std::move(*value.v_));
    return *this;
}

Json& Json::push(Json value) {
    if (!v_->is_array()) v_->emplace_array();
    v_->get_array().push_back(std::move(*value.v_));
    return *this;
}

namespace {

void indent(std::string& out, int depth) { out.append(static_cast<std::size_t>(depth) * 2, ' '); }

// Boost.JSON prints compactly; the seed's documents are indented by two
// spaces with "key": value, and "[]" / "{}" when empty. Scalars and keys are
// Boost's own serialization (escapes included).
void write_pretty(std::string& out, const boost::json::value& v, int depth) {
    if (const auto* array = v.if_array(); array && !array->empty()) {
        out += "[\n";
        for (std::size_t k = 0; k < array->size(); ++k) {
            indent(out, depth + 1);
            write_pretty(out, (*array)[k], depth + 1);
            out += k + 1 < array->size() ? ",\n" : "\n";
        }
        indent(out, depth);
        out += ']';
    } else if (const auto* object = v.if_object(); object && !object->empty()) {
        out += "{\n";
        std::size_t k = 0;
        for (const auto& member : *object) {
            indent(out, depth + 1);
            out += boost::json::serialize(boost::json::string_view(member.key()));
            out += ": ";
            write_pretty(out, member.value(), depth + 1);
            out += ++k < object->size() ? ",\n" : "\n";
        }
        indent(out, depth);
        out += '}';
    } else {
        out += boost::json::serialize(v);
    }
}

}  // namespace

std::string Json::pretty() const {
    std::string out;
    write_pretty(out, *v_, 0);
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
    // Only the states S3 names: a byte this version does not know shows nothing.
    if (bucket.versioning == VersioningState::Enabled || bucket.versioning == VersioningState::Suspended)
        j.set("versioning", versioning_name(bucket.versioning));
    if (bucket.object_lock.enabled) j.set("object_lock", object_lock_json(bucket));
    return j;
}

std::string_view versioning_name(VersioningState state) {
    switch (state) {
        case VersioningState::Enabled:
            return "Enabled";
        case VersioningState::Suspended:
            return "Suspended";
        case VersioningState::Off:
            break;
    }
    return "Off";
}

Json object_lock_json(const Bucket& bucket) {
    Json j = Json::object();
    if (!bucket.object_lock.enabled) return j;
    const auto& lock = bucket.object_lock;
    // S3's spelling of the default retention (DefaultRetention: Mode, Days|Years).
    if (lock.default_mode != RetentionMode::None) {
        j.set("mode", std::string(retention_mode_name(lock.default_mode)));
        if (lock.default_years != 0)
            j.set("years", static_cast<std::uint64_t>(lock.default_years));
        else
            j.set("days", static_cast<std::uint64_t>(lock.default_days));
    }
    // 0: no version was ever retained, there is no date to show.
    if (bucket.locked_until_ms != 0) j.set("locked_until", iso8601_ms(bucket.locked_until_ms));
    j.set("legal_holds", bucket.legal_holds);
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
