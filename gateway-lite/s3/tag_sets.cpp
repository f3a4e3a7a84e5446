#include "s3/tag_sets.hpp"

#include <set>

#include "s3/xml_writer.hpp"
#include "util.hpp"
#include "xml_input.hpp"

namespace ostor::gw::s3 {

std::optional<S3Error> tag_set_error(const TagSet& tags, std::size_t max_tags) {
    switch (find_tag_problem(tags, max_tags)) {
        case TagProblem::None:
            return std::nullopt;
        case TagProblem::BadKey:
            return invalid_tag("The TagKey you have provided is invalid");
        case TagProblem::BadValue:
            return invalid_tag("The TagValue you have provided is invalid");
        case TagProblem::DuplicateKey:
            return invalid_tag("Cannot provide multiple Tags with the same key");
        case TagProblem::ReservedKey:
            return invalid_tag("Your TagKey cannot be prefixed with aws:");
        case TagProblem::TooMany:
            break;
    }
    return max_tags == kMaxObjectTags ? too_many_object_tags() : too_many_bucket_tags(max_tags);
}

std::variant<TagSet, S3Error> parse_tagging(std::string_view body, std::size_t max_tags) {
    pugi::xml_document doc;
    // A key or value of spaces only is taken as given.
    if (!load_xml(doc, body, /*keep_whitespace_text=*/true)) return malformed_xml();
    auto set = doc.child("Tagging").child("TagSet");
    if (!set) return malformed_xml();
    TagSet tags;
    for (auto tag : set.children("Tag")) {
        auto key = tag.child("Key");
        auto value = tag.child("Value");
        if (!key || !value) return malformed_xml();
        tags.emplace_back(key.child_value(), value.child_value());
    }
    if (auto e = tag_set_error(tags, max_tags)) return *e;
    return tags;
}

std::variant<TagSet, S3Error> parse_tagging_header(std::string_view header) {
    // Form encoding, as Go's url.ParseQuery (MinIO) and Ceph RGW read it: '+'
    // is a space ("%2B" a plus).
    std::string spaced;
    for (char c : header) spaced += c == '+' ? std::string_view("%20") : std::string_view(&c, 1);
    auto pairs = parse_query(spaced);
    if (!pairs) return invalid_tagging_header();
    std::set<std::string_view> keys;
    for (const auto& [key, value] : *pairs)
        if (!keys.insert(key).second) return invalid_tagging_header();
    if (auto e = tag_set_error(*pairs)) return *e;
    return std::move(*pairs);
}

std::string tagging_xml(const TagSet& tags) {
    XmlWriter x("Tagging");
    x.open("TagSet");
    for (const auto& [k, v] : tags) x.open("Tag").el("Key", k).el("Value", v).close("Tag");
    x.close("TagSet");
    return x.finish();
}

}  // namespace ostor::gw::s3
