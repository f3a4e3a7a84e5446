// The request body reader and the response writer of http.hpp over a
// Stream and Beast's parser and serializer. A header for server.cpp alone
// (Beast compiles slowly: one translation unit pays for it), and for the
// test comparing the two ways of writing a head (test_response_head.cpp).
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http_head.hpp"  // Beast's parser (and the warning it needs off)
#include "s3/xml_writer.hpp"
#include "s3_error.hpp"
#include "server_stream.hpp"

#include <boost/beast/core/flat_buffer.hpp>

namespace ostor::gw::server_io {

namespace http = boost::beast::http;

class Body final : public BodyReader {
public:
    Body(Stream& stream, boost::beast::flat_buffer& buffer, http::request_parser<http::buffer_body>& parser,
         bool expect_header)
        : stream_(stream),
          buffer_(buffer),
          parser_(parser),
          expect_header_(expect_header),
          expect_continue_(expect_header && !parser.is_done()) {
        if (!parser.is_done() && !parser.chunked() && parser.content_length()) unread_ = *parser.content_length();
    }

    std::ptrdiff_t read(std::span<std::byte> out) override {
        if (failed_) return -1;
        if (done() || out.empty()) return 0;
        if (expect_continue_) {
            expect_continue_ = false;
            if (!send_continue()) return fail();
        }
        if (unread_) return read_sized(out);
        for (;;) {
            auto& body = parser_.get().body();
            body.data = out.data();
            body.size = out.size();
            error_code ec;
            http::read(stream_, buffer_, parser_, ec);
            if (ec == http::error::need_buffer) ec = {};
            if (ec) return fail();
            std::size_t n = out.size() - parser_.get().body().size;
            if (n > 0 || parser_.is_done()) return static_cast<std::ptrdiff_t>(n);
        }
    }
    bool done() const override { return unread_ ? *unread_ == 0 : parser_.is_done(); }
    bool failed() const { return failed_; }
    // botocore sends `Expect: 100-continue` even with an empty body and
    // misreads a final answer that comes without the interim one: such a
    // request gets its "100 Continue" before the final response.
    bool owe_continue_before_answer() const { return expect_header_ && !continue_sent_ && done(); }
    bool send_continue() {
        continue_sent_ = true;
        static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        return stream_.write_all(kContinue, sizeof kContinue - 1);
    }

private:
    // A body of known length goes past the parser: what the header's read
    // brought along is taken from the buffer, the rest received straight
    // into `out`. Through the parser every byte was copied once more, and
    // received in reads no larger than the buffer's capacity (4 KiB: a
    // quarter of a million receives for 1 GiB).
    std::ptrdiff_t read_sized(std::span<std::byte> out) {
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), *unread_));
        std::size_t n = 0;
        if (buffer_.size() > 0) {
            n = boost::asio::buffer_copy(boost::asio::buffer(out.data(), want), buffer_.data());
            buffer_.consume(n);
        } else {
            error_code ec;
            n = stream_.read_some(boost::asio::buffer(out.data(), want), ec);
            if (ec) return fail();
        }
        *unread_ -= n;
        return static_cast<std::ptrdiff_t>(n);
    }
    std::ptrdiff_t fail() {
        failed_ = true;
        return -1;
    }
    Stream& stream_;
    boost::beast::flat_buffer& buffer_;
    http::request_parser<http::buffer_body>& parser_;
    bool expect_header_;
    bool expect_continue_;  // the 100 is still to be sent at the first read
    bool continue_sent_ = false;
    bool failed_ = false;
    std::optional<std::uint64_t> unread_;  // of a body of known length; nullopt: through the parser
};

// The text of a response head, written one of two ways: straight as text
// (almost every answer) or through Beast's fields. Both add the same framing
// fields after the handler's, decided once (framing_of).
namespace response_head {

constexpr std::size_t kLoggedNameBytes = 64;
constexpr std::size_t kHeadReserve = 512;

// The fields that frame the body, after the handler's fields, in this order.
struct Framing {
    std::optional<std::uint64_t> content_length;  // Content-Length: N
    bool chunked = false;                         // Transfer-Encoding: chunked
    bool keep_alive = true;                       // false: Connection: close
};

// Whether nothing follows the head, whatever its length says: the answer to
// a HEAD, a 204, a 304 or a 1xx (RFC 9112, 6.3).
inline bool has_no_body(const HttpResponseHead& head, bool head_request) {
    return head_request || head.status == 204 || head.status == 304 || (head.status >= 100 && head.status < 200);
}

// `no_body`: has_no_body(); `keep_alive`: the connection serves another
// request after it.
inline Framing framing_of(const HttpResponseHead& head, bool no_body, bool keep_alive) {
    Framing framing;
    framing.keep_alive = keep_alive;
    if (head.content_length) {
        if (head.status != 204 && head.status != 304) framing.content_length = head.content_length;
    } else if (!no_body) {
        framing.chunked = true;
    }
    return framing;
}

// (find_first_of would call memchr once for every character.)
inline bool header_safe(std::string_view text) {
    for (char c : text)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

inline bool is_space_or_tab(char c) { return c == ' ' || c == '\t'; }

// Content-Length, Transfer-Encoding or Connection, in any case (their
// lengths tell them apart from almost every other name at once).
inline bool framing_field(std::string_view name) {
    switch (name.size()) {
        case 10:
            return boost::beast::iequals(name, "connection");
        case 14:
            return boost::beast::iequals(name, "content-length");
        case 17:
            return boost::beast::iequals(name, "transfer-encoding");
        default:
            return false;
    }
}

// A head whose text is known without Beast's fields (almost every answer):
// each name once, none of the framing fields, values safe and without the
// spaces Beast would trim, sizes within its limits. Such a head is written
// straight into the text Beast's fields would print; any other goes through
// them.
inline bool plain(const HttpResponseHead& head) {
    static constexpr std::size_t kMaxFieldBytes = 60000;  // Beast refuses above 65533
    if (head.status < 0 || head.status > 999) return false;
    const auto& headers = head.headers;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        std::string_view name = headers[i].first, value = headers[i].second;
        if (name.empty() || name.size() > kMaxFieldBytes || value.size() > kMaxFieldBytes) return false;
        if (!header_safe(name) || !header_safe(value)) return false;
        if (!value.empty() && (is_space_or_tab(value.front()) || is_space_or_tab(value.back()))) return false;
        if (framing_field(name)) return false;
        // Beast keeps a name's fields together: repeated names go its way.
        for (std::size_t j = 0; j < i; ++j)
            if (headers[j].first.size() == name.size() && boost::beast::iequals(name, headers[j].first)) return false;
    }
    return true;
}

inline void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out += ": ";
    out.append(value);
    out += "\r\n";
}

// Writes a plain() head into `out`.
inline void write_plain(std::string& out, const HttpResponseHead& head, const Framing& framing) {
    out.clear();
    out.reserve(kHeadReserve);
    out += "HTTP/1.1 ";
    char number[24];
    auto [end, ec] = std::to_chars(number, number + sizeof number, head.status);
    out.append(number, end);
    out += ' ';
    auto reason = http::obsolete_reason(static_cast<http::status>(head.status));
    out.append(reason.data(), reason.size());
    out += "\r\n";
    for (const auto& [name, value] : head.headers) append_field(out, name, value);
    if (framing.content_length) {
        auto [length_end, length_ec] = std::to_chars(number, number + sizeof number, *framing.content_length);
        append_field(out, "Content-Length", std::string_view(number, length_end));
    }
    if (framing.chunked) append_field(out, "Transfer-Encoding", "chunked");
    // What Beast's keep_alive() makes of an HTTP/1.1 head without a
    // Connection field.
    if (!framing.keep_alive) append_field(out, "Connection", "close");
    out += "\r\n";
}

// Any head through Beast's fields: repeated names kept together, values
// trimmed, unsafe fields dropped (and logged); the framing fields replace
// the handler's of their names (Connection: its tokens merged by Beast's
// keep_alive()).
inline std::string write_through_beast(const HttpResponseHead& head, const Framing& framing) {
    http::response<http::empty_body> res;
    res.version(11);
    res.result(static_cast<unsigned>(head.status));
    for (const auto& [name, value] : head.headers) {
        if (header_safe(name) && header_safe(value)) {
            res.insert(name, value);
        } else {
            // Never sent as is: a CR or LF would end the header line and
            // start another of the sender's choosing. Handlers refuse such
            // values when they come in; this catches one they missed.
            std::fprintf(stderr, "ostor-gateway: dropped response header %.*s holding CR, LF or NUL\n",
                         static_cast<int>(std::min<std::size_t>(name.size(), kLoggedNameBytes)), name.data());
        }
    }
    if (framing.content_length) res.set(http::field::content_length, std::to_string(*framing.content_length));
    if (framing.chunked) res.set(http::field::transfer_encoding, "chunked");
    res.keep_alive(framing.keep_alive);
    std::string out = "HTTP/1.1 " + std::to_string(res.result_int()) + " ";
    auto reason = res.reason();
    out.append(reason.data(), reason.size());
    out += "\r\n";
    for (const auto& field : res) {
        auto field_name = field.name_string();
        auto field_value = field.value();
        out.append(field_name.data(), field_name.size());
        out += ": ";
        out.append(field_value.data(), field_value.size());
        out += "\r\n";
    }
    out += "\r\n";
    return out;
}

}  // namespace response_head

class Response final : public ResponseWriter {
public:
    Response(Stream& stream, Body& body, bool head_request, bool keep_alive)
        : stream_(stream), body_(body), head_request_(head_request), keep_alive_(keep_alive) {}

    bool write_head(const HttpResponseHead& head) override {
        if (head_written_) return false;
        head_written_ = true;
        if (body_.owe_continue_before_answer() && !body_.send_continue()) return ok_ = false;
        no_body_ = response_head::has_no_body(head, head_request_);
        if (head.content_length) remaining_ = no_body_ ? 0 : *head.content_length;
        // A body left unread, or a failed one, ends the connection: whatever
        // the client still sends cannot be told from its next request.
        if (!body_.done()) keep_alive_ = false;
        const auto framing = response_head::framing_of(head, no_body_, keep_alive_);
        chunked_ = framing.chunked;
        // Held back to go out with the first body bytes (or at finish()):
        // a small answer then leaves in one send.
        if (response_head::plain(head))
            response_head::write_plain(pending_head_, head, framing);
        else
            pending_head_ = response_head::write_through_beast(head, framing);
        return ok_;
    }

    bool write_body(std::span<const std::byte> data) override {
        if (!ok_ || !head_written_) return false;
        if (data.empty()) return true;
        if (no_body_) {
            // HEAD (or 204/304): the handler wrote what a GET would send;
            // only the head goes out.
            flush_head();
            return ok_;
        }
        if (chunked_) {
            char size_line[32];
            int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
            pending_head_.append(size_line, static_cast<std::size_t>(n));
            ok_ = stream_.write_all(pending_head_, data.data(), data.size()) && stream_.write_all("\r\n", 2);
            pending_head_.clear();
            return ok_;
        }
        if (data.size() > remaining_) {
            ok_ = false;  // a handler bug: more than announced
            return false;
        }
        remaining_ -= data.size();
        ok_ = stream_.write_all(pending_head_, data.data(), data.size());
        pending_head_.clear();
        return ok_;
    }

    bool head_written() const override { return head_written_; }

    // Sends a head still held back (an answer without body bytes).
    void flush_head() {
        if (ok_ && !pending_head_.empty()) ok_ = stream_.write_all(pending_head_.data(), pending_head_.size());
        pending_head_.clear();
    }

    // Ends the exchange; true when the connection may serve another request.
    bool finish() {
        if (!head_written_) return false;
        flush_head();
        if (chunked_ && ok_) ok_ = stream_.write_all("0\r\n\r\n", 5);
        return ok_ && keep_alive_ && remaining_ == 0;
    }

private:
    Stream& stream_;
    Body& body_;
    bool head_request_;
    bool keep_alive_;
    bool head_written_ = false;
    bool chunked_ = false;
    bool no_body_ = false;
    bool ok_ = true;
    std::uint64_t remaining_ = 0;
    std::string pending_head_;
};

// An error answered outside the request pipeline (a request that could not
// be read, a handler that failed), on a connection that then closes.
inline void send_plain_error(Stream& stream, const S3Error& error) {
    std::string body = s3::error_document(error);
    http::response<http::string_body> res{static_cast<http::status>(error.status), 11};
    res.set(http::field::content_type, "application/xml");
    res.set(http::field::server, "ostor");
    res.keep_alive(false);
    res.body() = std::move(body);
    res.prepare_payload();
    error_code ec;
    http::write(stream, res, ec);
}

}  // namespace ostor::gw::server_io
