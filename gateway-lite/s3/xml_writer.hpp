// The one XML writer of the S3 answers: a document built element by element,
// its text escaped. Every answer's XML (errors included) is written by it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "s3_error.hpp"
#include "util.hpp"

namespace ostor::gw::s3 {

inline constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
inline constexpr std::string_view kXmlHeader = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

class XmlWriter {
public:
    // S3's answers are in its namespace; its <Error> documents are not.
    enum class Namespace { S3, None };

    explicit XmlWriter(std::string_view root, Namespace ns = Namespace::S3) : root_(root) {
        out_ = std::string(kXmlHeader) + "<" + std::string(root);
        if (ns == Namespace::S3) out_ += " xmlns=\"" + std::string(kXmlns) + "\"";
        out_ += ">";
    }
    XmlWriter& open(std::string_view tag) {
        out_ += "<" + std::string(tag) + ">";
        return *this;
    }
    // <tag name="value" ...>, the values escaped.
    XmlWriter& open(std::string_view tag,
                    std::initializer_list<std::pair<std::string_view, std::string_view>> attributes) {
        out_ += "<" + std::string(tag);
        for (const auto& [name, value] : attributes) out_ += " " + std::string(name) + "=\"" + xml_escape(value) + "\"";
        out_ += ">";
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
    // Free text that may quote anything (a message, a name as sent):
    // percent-encoded where XML cannot carry it (xml_text).
    XmlWriter& text_el(std::string_view tag, std::string_view value) {
        out_ += "<" + std::string(tag) + ">" + xml_text(value) + "</" + std::string(tag) + ">";
        return *this;
    }
    // Text straight in the root element (<LocationConstraint>).
    XmlWriter& text(std::string_view value) {
        out_ += xml_escape(value);
        return *this;
    }
    // <tag><ID>..</ID><DisplayName>..</DisplayName></tag>: an owner or initiator.
    XmlWriter& person(std::string_view tag, std::string_view id, std::string_view display_name) {
        return open(tag).el("ID", id).el("DisplayName", display_name).close(tag);
    }
    std::string finish() { return out_ + "</" + root_ + ">"; }

private:
    std::string root_;
    std::string out_;
};

// The <Error> document of an answer given outside the request pipeline (the
// server's refusals): its code and message only.
inline std::string error_document(const S3Error& error) {
    XmlWriter x("Error", XmlWriter::Namespace::None);
    x.el("Code", error.code).text_el("Message", error.message);
    if (!error.condition.empty()) x.text_el("Condition", error.condition);
    return x.finish();
}

}  // namespace ostor::gw::s3
