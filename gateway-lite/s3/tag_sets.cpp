#include "s3/tag_sets.hpp"

#include <algorithm>
#include <set>

#include "s3/xml_writer.hpp"
#include "util.hpp"
#include "xml_input.hpp"

namespace ostor::gw::s3 {

namespace {

// Keys with this prefix are AWS's own (case-insensitively).
constexpr std::string_view kReservedKeyPrefix = "aws:";

std::size_t utf8_chars(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::variant<TagSet, S3Error> parse_bucket_tagging(std::string_view body, std::size_t max_tags) {
    pugi::xml_document doc;
    // Keys and values are taken as given, spaces included.
    if (!load_xml(doc, body, /*keep_whitespace_text=*/true)) return malformed_xml();
    auto set = doc.child("Tagging").child("TagSet");
    if (!set) return malformed_xml();
    TagSet tags;
    std::set<std::string> seen;
    for (auto tag : set.children()) {
        if (tag.type() != pugi::node_element) continue;
        if (std::string_view(tag.name()) != "Tag" || !tag.child("Key") || !tag.child("Value")) return malformed_xml();
        std::string key = tag.child_value("Key");
        std::string value = tag.child_value("Value");
        auto key_chars = utf8_chars(key);
        if (key_chars == 0 || key_chars > kMaxTagKeyChars || !xml_can_carry(key))
            return invalid_bucket_tag("The TagKey you have provided is invalid");
        if (utf8_chars(value) > kMaxTagValueChars || !xml_can_carry(value))
            return invalid_bucket_tag("The TagValue you have provided is invalid");
        if (key.size() >= kReservedKeyPrefix.size() &&
            iequals(key.substr(0, kReservedKeyPrefix.size()), kReservedKeyPrefix))
            return invalid_bucket_tag("Your TagKey cannot be prefixed with aws:");
        if (!seen.insert(key).second) return invalid_bucket_tag("Cannot provide multiple Tags with the same key");
        tags.emplace_back(std::move(key), std::move(value));
    }
    if (tags.size() > max_tags) return too_many_bucket_tags(max_tags);
    return tags;
}

std::string tagging_xml(const TagSet& tags) {
    XmlWriter x("Tagging");
    x.open("TagSet");
    for (const auto& [k, v] : tags) x.open("Tag").el("Key", k).el("Value", v).close("Tag");
    x.close("TagSet");
    return x.finish();
}

}  // namespace ostor::gw::s3
