#include "s3/conditions.hpp"

#include <string>

#include "util.hpp"

namespace ostor::gw::s3 {

RangeRequest parse_range(std::string_view header) {
    RangeRequest r;
    header = trim(header);
    if (!header.starts_with("bytes=")) return r;
    auto spec = trim(header.substr(6));
    if (spec.find(',') != std::string_view::npos) return r;
    auto dash = spec.find('-');
    if (dash == std::string_view::npos) return r;
    auto a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
    if (a.empty()) {
        auto n = parse_u64(b);
        if (!n) return r;
        r.kind = RangeRequest::Kind::Suffix;
        r.suffix = *n;
        return r;
    }
    auto first = parse_u64(a);
    if (!first) return r;
    if (!b.empty()) {
        auto last = parse_u64(b);
        if (!last || *last < *first) return r;
        r.last = *last;
    }
    r.kind = RangeRequest::Kind::Absolute;
    r.first = *first;
    return r;
}

std::string_view unquote_etag(std::string_view s) {
    s = trim(s);
    if (s.starts_with("W/")) s.remove_prefix(2);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
}

bool etag_matches(std::string_view list, std::string_view etag) {
    while (!list.empty()) {
        auto comma = list.find(',');
        auto item = trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (item == "*" || unquote_etag(item) == etag) return true;
    }
    return false;
}

Precondition evaluate_preconditions(const ConditionalHeaders& h, std::string_view etag, std::int64_t last_modified_ms,
                                    bool read, std::int64_t now_ms) {
    // HTTP dates have whole seconds.
    const std::int64_t modified_s = last_modified_ms / 1000;
    if (h.if_match) {
        if (!etag_matches(*h.if_match, etag)) return Precondition::Failed;
    } else if (h.if_unmodified_since) {
        auto t = parse_http_date(*h.if_unmodified_since);
        if (t && modified_s > *t / 1000) return Precondition::Failed;
    }
    if (h.if_none_match) {
        if (etag_matches(*h.if_none_match, etag)) return read ? Precondition::NotModified : Precondition::Failed;
    } else if (h.if_modified_since && read) {
        auto t = parse_http_date(*h.if_modified_since);
        if (t && *t <= now_ms && modified_s <= *t / 1000) return Precondition::NotModified;
    }
    return Precondition::Met;
}

}  // namespace ostor::gw::s3
