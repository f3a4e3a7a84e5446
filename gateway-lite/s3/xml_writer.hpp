// The XML writer of the S3 answers: a document in S3's namespace, built
// element by element, with text escaped (keys as xml_key writes them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util.hpp"

namespace ostor::gw::s3 {

inline constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
inline constexpr std::string_view kXmlHeader = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

class XmlWriter {
public:
    explicit XmlWriter(std::string_view root) : root_(root) {
        out_ = std::string(kXmlHeader) + "<" + std::string(root) + " xmlns=\"" + std::string(kXmlns) + "\">";
    }
    XmlWriter& open(std::string_view tag) {
        out_ += "<" + std::string(tag) + ">";
        return *this;
    }
    XmlWriter& close(std::string_view tag) {
        out_ += "</" + std::string(tag) + ">";
        return *this;
    }
    XmlWriter& el(std::string_view tag, std::string_view value) {
        out_ += "<" + std::string(tag) + ">" + xml_escape(value) + "</" + std::string(tag) + ">";
        return *this;
    }
    // A string literal is text (without this it would convert to bool).
    XmlWriter& el(std::string_view tag, const char* value) { return el(tag, std::string_view(value)); }
    XmlWriter& el(std::string_view tag, std::uint64_t value) { return el(tag, std::to_string(value)); }
    XmlWriter& el(std::string_view tag, bool value) { return el(tag, std::string_view(value ? "true" : "false")); }
    // <Key>: escaped, or percent-encoded when XML cannot carry it (xml_key).
    XmlWriter& key(std::string_view value) {
        out_ += "<Key>" + xml_key(value) + "</Key>";
        return *this;
    }
    std::string finish() { return out_ + "</" + root_ + ">"; }

private:
    std::string root_;
    std::string out_;
};

}  // namespace ostor::gw::s3
