// libFuzzer target: PutBucketLifecycleConfiguration's body
// (gateway-lite/lifecycle_config.cpp) and the rules' evaluation
// (libengine/src/lifecycle/). Any text is either a configuration of 1 to
// 1000 rules with unique ids of at most 255 bytes, which
// GetBucketLifecycleConfiguration's XML and the stored form both give back
// unchanged, or one of the 400 errors the header lists. A parsed
// configuration is then evaluated for each kind of entry, which must not
// crash, and with every rule disabled decides nothing.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "lifecycle_config.hpp"

namespace {

using namespace ostor;
using namespace ostor::detail;

void check_refusal(const gw::S3Error& e) {
    static const std::set<std::string_view> kCodes = {"MalformedXML", "InvalidArgument",     "InvalidRequest",
                                                      "InvalidTag",   "InvalidStorageClass", "BadRequest"};
    if (e.status != 400 || !kCodes.contains(e.code)) std::abort();
}

bool decides_nothing(const LifecycleConfig& c, const LifecycleClock& clock) {
    ObjectTags tags{{"k", "v"}};
    return evaluate_current(c, {.key = "logs/a", .size = 100, .tags = &tags, .last_modified_ms = 0}, clock).action ==
               LifecycleAction::None &&
           evaluate_noncurrent(c, {.key = "logs/a", .size = 100, .tags = &tags, .noncurrent_since_ms = 0}, clock)
                   .action == LifecycleAction::None &&
           evaluate_lone_marker(c, {.key = "logs/a", .created_ms = 0}, clock).action == LifecycleAction::None &&
           evaluate_upload(c, {.key = "logs/a", .initiated_ms = 0}, clock).action == LifecycleAction::None;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    int drawn = 0;
    auto parsed = gw::parse_lifecycle_config(body, [&] { return "generated-" + std::to_string(drawn++); });
    auto* config = std::get_if<LifecycleConfig>(&parsed);
    if (!config) {
        check_refusal(std::get<gw::S3Error>(parsed));
        return 0;
    }
    if (config->rules.empty() || config->rules.size() > kMaxLifecycleRules) std::abort();
    std::set<std::string_view> ids;
    for (const auto& r : config->rules)
        if (r.id.empty() || r.id.size() > kMaxLifecycleRuleIdBytes || !ids.insert(r.id).second) std::abort();
    auto again = gw::parse_lifecycle_config(gw::lifecycle_config_xml(*config), [] { return std::string("never"); });
    auto* back = std::get_if<LifecycleConfig>(&again);
    if (!back || !(*back == *config)) std::abort();
    auto stored = decode_lifecycle_config(encode_lifecycle_config(*config));
    if (!stored || !(*stored == *config)) std::abort();
    auto disabled = *config;
    for (auto& r : disabled.rules) r.enabled = false;
    for (TimestampMs now : {TimestampMs{0}, kLifecycleDayMs * 400, TimestampMs{1} << 52}) {
        LifecycleClock clock{.now_ms = now};
        (void)decides_nothing(*config, clock);
        if (!decides_nothing(disabled, clock)) std::abort();
    }
    return 0;
}
