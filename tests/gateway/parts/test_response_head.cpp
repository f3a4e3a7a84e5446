// The two ways of writing a response head (gateway-lite/server_exchange.hpp):
// straight as text, and through Beast's fields. A head plain() lets go the
// first way must come out byte for byte as the second would write it; the
// framing fields both add are pinned on a few heads.
#include <gtest/gtest.h>

#include <random>

#include "server_exchange.hpp"

namespace ostor::gw::server_io::response_head {
namespace {

// Writes `head` both ways; the first nullopt when it is not plain().
std::pair<std::optional<std::string>, std::string> both_ways(const HttpResponseHead& head, bool head_request,
                                                             bool keep_alive) {
    const auto framing = framing_of(head, has_no_body(head, head_request), keep_alive);
    std::optional<std::string> text;
    if (plain(head)) write_plain(text.emplace(), head, framing);
    return {text, write_through_beast(head, framing)};
}

std::string plain_text(const HttpResponseHead& head, bool head_request, bool keep_alive) {
    auto [text, through_beast] = both_ways(head, head_request, keep_alive);
    EXPECT_TRUE(text) << through_beast;
    EXPECT_EQ(text.value_or(""), through_beast);
    return through_beast;
}

TEST(ResponseHead, FramingFields) {
    HttpResponseHead head;
    head.headers = {{"Server", "ostor"}, {"ETag", "\"e\""}};
    head.content_length = 5;
    EXPECT_EQ(plain_text(head, false, true),
              "HTTP/1.1 200 OK\r\nServer: ostor\r\nETag: \"e\"\r\nContent-Length: 5\r\n\r\n");
    // HEAD: the length a GET would have.
    EXPECT_EQ(plain_text(head, true, false),
              "HTTP/1.1 200 OK\r\nServer: ostor\r\nETag: \"e\"\r\nContent-Length: 5\r\nConnection: close\r\n\r\n");
    head.headers = {{"Server", "ostor"}};
    head.content_length = std::nullopt;
    EXPECT_EQ(plain_text(head, false, true), "HTTP/1.1 200 OK\r\nServer: ostor\r\nTransfer-Encoding: chunked\r\n\r\n");
    // No body follows: neither length nor chunks.
    EXPECT_EQ(plain_text(head, true, true), "HTTP/1.1 200 OK\r\nServer: ostor\r\n\r\n");
    head.status = 304;
    EXPECT_EQ(plain_text(head, false, true), "HTTP/1.1 304 Not Modified\r\nServer: ostor\r\n\r\n");
    head.content_length = 7;
    EXPECT_EQ(plain_text(head, false, true), "HTTP/1.1 304 Not Modified\r\nServer: ostor\r\n\r\n");
    head.status = 204;
    EXPECT_EQ(plain_text(head, false, false), "HTTP/1.1 204 No Content\r\nServer: ostor\r\nConnection: close\r\n\r\n");
}

// A handler's framing field goes through Beast, which replaces it by the
// head's own (Connection: its tokens merged).
TEST(ResponseHead, HandlersFramingFieldsReplaced) {
    HttpResponseHead head;
    head.headers = {{"content-length", "99"}, {"Server", "ostor"}};
    head.content_length = 3;
    auto [text, through_beast] = both_ways(head, false, true);
    EXPECT_FALSE(text);
    EXPECT_EQ(through_beast, "HTTP/1.1 200 OK\r\nServer: ostor\r\nContent-Length: 3\r\n\r\n");
    head.headers = {{"Connection", "close"}};
    EXPECT_EQ(both_ways(head, false, true).second, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
}

// Random heads: names repeated in other cases, framing names, unsafe,
// padded, empty and oversized values, every kind of status and framing.
TEST(ResponseHead, PlainTextAsBeastWritesIt) {
    static const std::vector<std::string> kNames = {"Server",         "ETag",
                                                    "etag",           "Content-Type",
                                                    "Last-Modified",  "x-amz-request-id",
                                                    "x-amz-meta-a",   "X-Amz-Meta-A",
                                                    "Date",           "Accept-Ranges",
                                                    "X-Custom",       "Content-Length",
                                                    "content-length", "Transfer-Encoding",
                                                    "Connection",     "CONNECTION",
                                                    "Connections",    "bad\r\nname"};
    static const std::vector<std::string> kValues = {"",
                                                     "text/plain",
                                                     "\"abc\"",
                                                     " padded",
                                                     "trailing\t",
                                                     "a \t b",
                                                     "x\r\ny",
                                                     "close",
                                                     "keep-alive",
                                                     "chunked",
                                                     "12",
                                                     "Upgrade",
                                                     std::string("n\0l", 3),
                                                     std::string(60000, 'v'),
                                                     std::string(60001, 'w')};
    static const std::vector<int> kStatuses = {0,   100, 101, 103, 199, 200, 201, 204, 206, 301,
                                               304, 307, 400, 404, 412, 416, 500, 503, 599, 999};
    std::mt19937 random(27);
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
    int plain_heads = 0, framing_kinds = 0;
    for (int i = 0; i < 20000; ++i) {
        HttpResponseHead head;
        head.status = kStatuses[pick(kStatuses.size())];
        const std::size_t fields = pick(6);
        for (std::size_t f = 0; f < fields; ++f) {
            // Mostly short values: most heads come out plain.
            const auto& value = pick(3) ? kValues[pick(4)] : kValues[pick(kValues.size())];
            head.headers.emplace_back(kNames[pick(kNames.size())], value);
        }
        switch (pick(3)) {
            case 0:
                head.content_length = std::nullopt;
                break;
            case 1:
                head.content_length = 0;
                break;
            default:
                head.content_length = random();
        }
        const bool head_request = pick(4) == 0, keep_alive = pick(2) == 0;
        // (Only plain heads through Beast: the others' unsafe fields would be logged.)
        if (!plain(head)) continue;
        auto [text, through_beast] = both_ways(head, head_request, keep_alive);
        ++plain_heads;
        framing_kinds += text->find("\r\nContent-Length: ") != std::string::npos &&
                         text->find("\r\nConnection: close\r\n") != std::string::npos;
        ASSERT_EQ(*text, through_beast) << "head " << i;
    }
    // Not a test that passes by writing nothing the plain way.
    EXPECT_GT(plain_heads, 3000);
    EXPECT_GT(framing_kinds, 500);
}

}  // namespace
}  // namespace ostor::gw::server_io::response_head
