// ostor engine: the provider-facing formats of admin records, shared by every
// face so that the CLI, the REST API and the FUSE tree print the same thing.
//
// The shapes are those of the vendor guide: the
// CLI's limit and quota lines, and the REST API's JSON documents with their
// field names, order and value formats (limits as "3600.00" strings, quota
// sizes as strings, 2-space indented JSON).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ostor/engine.hpp"
#include "ostor/error.hpp"
#include "ostor/types.hpp"

namespace boost::json {
class value;
}

namespace ostor::admin {

// A JSON document built member by member: a Boost.JSON value underneath
// (objects keep their members in insertion order, the seed's order), printed
// as the seed prints it. The header needs no Boost: embedders that want the
// value itself include <boost/json/value.hpp> and call value().
class Json {
public:
    Json();
    Json(std::nullptr_t);
    Json(bool b);
    Json(int i);
    Json(std::int64_t i);
    Json(std::uint64_t u);
    Json(const char* s);
    Json(std::string_view s);
    Json(const std::string& s);
    Json(const Json& other);
    Json(Json&& other) noexcept;
    Json& operator=(const Json& other);
    Json& operator=(Json&& other) noexcept;
    ~Json();

    static Json array();
    static Json object();
    // Sets a member of an object (a new key goes last; a key set again keeps
    // its place and takes the new value) / appends an element to an array.
    // A null becomes an object / an array first.
    Json& set(std::string_view key, Json value);
    Json& push(Json value);

    // Two-space indented, "key": value, a newline at the end.
    std::string pretty() const;
    const boost::json::value& value() const { return *v_; }

private:
    std::unique_ptr<boost::json::value> v_;
};

// Text as XML character data or attribute value (the CLI's XML output and
// the gateway's answers). TAB, LF and CR are written as character references
// (&#9; &#10; &#13;): a parser normalises them when raw.
std::string xml_escape(std::string_view s);

// ---- Limits ----------------------------------------------------------------

// The CLI's six lines, each ending in '\n':
//   ops:default=0.00ops/s ... ops:delete=0.00ops/s, bandwidth:out=0kbs/s
std::string limits_text(const Limits& limits);
// {"ops:default": "0.00", ..., "bandwidth:out": "100"}
Json limits_json(const Limits& limits);

// Validates a (type, resource, value text) triple as the CLI's -t/-L and the
// REST limit-type/limit-resource/limit-value give it: ops values are
// non-negative decimals, 0 or at least 0.01, rounded to the two decimals
// they print with; bandwidth values are non-negative integers. Fails:
// InvalidLimit.
Result<LimitSetting> parse_limit(std::string_view type, std::string_view resource, std::string_view value);
// One "type:resource=value" line as the FUSE tree takes it
// ("ops:get=3600", "bandwidth:out=100"). Fails: InvalidLimit.
Result<LimitSetting> parse_limit_line(std::string_view line);

// ---- Quotas ----------------------------------------------------------------

// "user" or "bucket": what the seed prints as the quota's type.
std::string_view quota_type_name(QuotaTarget::Kind kind);
// version: '1' / size: '1024' / type: 'user' (three lines).
std::string quota_text(QuotaTarget::Kind kind, std::uint64_t size_gib);
// {"version": "1", "type": "user", "size": "1024"}
Json quota_json(QuotaTarget::Kind kind, std::uint64_t size_gib);
// A quota size in GiB: a non-negative integer. Fails: InvalidArgument.
Result<std::uint64_t> parse_quota_size(std::string_view text);

// ---- Users, accounts, buckets -----------------------------------------------

std::string_view user_state_name(UserState state);  // "enabled" / "disabled"
// [{"AWSAccessKeyId": ..., "AWSSecretAccessKey": ...}, ...]
Json key_pairs_json(const std::vector<KeyPair>& keys);
// {"UserEmail", "UserId", "AWSAccessKeys"}: what creating a user and
// generating a key answer.
Json user_keys_json(const User& user, const std::vector<KeyPair>& keys);
// {"UserEmail", "UserId", "State", "OwnerId"}: one row of the user list.
Json user_row_json(const User& user);
// The full query of one user: state, flags, keys and every account with its
// keys. Fails: NoSuchUser (deleted meanwhile).
Result<Json> user_info_json(Engine& engine, const User& user);
// {"Name", "AWSAccessKeys"}.
Json account_json(const Account& account, const std::vector<KeyPair>& keys);
// {"size": {...}, "epoch", "owner_id", "name", "creation_date"}, then
// "versioning" of a versioned bucket and "object_lock" of a lock bucket:
// an unversioned bucket keeps exactly the seed's shape.
Json bucket_json(const Bucket& bucket);
// "Off", "Enabled", "Suspended".
std::string_view versioning_name(VersioningState state);
// {"mode", "days"|"years" (with a default retention), "locked_until" (once a
// version was retained), "legal_holds"}; {} for a bucket without lock.
Json object_lock_json(const Bucket& bucket);
// {"current", "h_integral", "hmax", "last_ts"}.
Json size_history_json(const SizeHistory& size);

// ---- Usage statistics -------------------------------------------------------

// {"nr_items", "truncated", "items": [names]}.
Json usage_list_json(const UsageObjectList& list);

// ISO 8601 UTC with milliseconds: 2018-05-25T17:12:00.000Z.
std::string iso8601_ms(TimestampMs ms);

}  // namespace ostor::admin
