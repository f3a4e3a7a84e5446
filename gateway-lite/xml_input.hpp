// Parsing of the XML bodies clients send (pugixml). Document type
// declarations are refused outright: S3 bodies never need one, and entity
// definitions are the classic way to make a parser expand a small body into
// a huge one.
#pragma once

#include <string_view>

#include <pugixml.hpp>

namespace ostor::gw {

// With `keep_whitespace_text`, text that is only whitespace is kept when it
// is an element's whole content (<Key> </Key> names the key " " in
// DeleteObjects); indentation between elements is still dropped. Only bodies
// that take a value byte for byte ask for it: elsewhere <Status>\n</Status>
// stays empty, as it always was.
inline bool load_xml(pugi::xml_document& doc, std::string_view text, bool keep_whitespace_text = false) {
    if (text.find("<!DOCTYPE") != std::string_view::npos || text.find("<!ENTITY") != std::string_view::npos)
        return false;
    auto options = pugi::parse_default | (keep_whitespace_text ? pugi::parse_ws_pcdata_single : 0u);
    return static_cast<bool>(doc.load_buffer(text.data(), text.size(), options, pugi::encoding_utf8));
}

}  // namespace ostor::gw
