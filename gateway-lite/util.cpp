#include "util.hpp"

#include <arpa/inet.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <boost/url/pct_string_view.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>

namespace ostor::gw {

namespace {

// The characters a query string's parts may carry unescaped are not checked:
// clients send some outside RFC 3986's query grammar (a raw '|', '[' or
// '"'), which Beast accepts and S3 answers, so only the escapes are.
std::optional<std::string> decode_part(std::string_view part) {
    // Most parts carry no escape: taken as they are, without Boost.URL's
    // per-character walk (every request's path and query come here).
    if (part.find('%') == std::string_view::npos) return std::string(part);
    auto encoded = boost::urls::make_pct_string_view(part);
    if (!encoded) return std::nullopt;
    // '+' stays '+' (encoding_opts' default): S3 reads a query's '+' as itself.
    std::string out;
    out.reserve(encoded->decoded_size());
    encoded->decode({}, boost::urls::string_token::assign_to(out));
    return out;
}

}  // namespace

std::optional<std::string> url_decode(std::string_view in) { return decode_part(in); }

namespace {

// RFC 3986's unreserved characters (A-Za-z0-9-_.~): what AWS's encoding keeps.
constexpr std::array<bool, 256> kUnreserved = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c)
        table[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                   c == '.' || c == '~';
    return table;
}();

}  // namespace

void append_aws_uri_encoded(std::string& out, std::string_view in, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    // Runs of kept characters are appended whole.
    std::size_t run = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        auto c = static_cast<unsigned char>(in[i]);
        if (kUnreserved[c] || (keep_slash && c == '/')) continue;
        out.append(in.data() + run, i - run);
        const char escape[3] = {'%', kHex[c >> 4], kHex[c & 15]};
        out.append(escape, 3);
        run = i + 1;
    }
    out.append(in.data() + run, in.size() - run);
}

std::string aws_uri_encode(std::string_view in, bool keep_slash) {
    std::string out;
    out.reserve(in.size());
    append_aws_uri_encoded(out, in, keep_slash);
    return out;
}

std::optional<QueryList> parse_query(std::string_view query) {
    QueryList out;
    // Reserved for the parameters a request has, at most a few dozen: a
    // target of nothing but '&' must not reserve for thousands.
    out.reserve(std::min<std::size_t>(static_cast<std::size_t>(std::count(query.begin(), query.end(), '&')) + 1, 32));
    while (!query.empty()) {
        auto amp = query.find('&');
        auto part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        auto name = decode_part(part.substr(0, eq));
        auto value = decode_part(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
        if (!name || !value) return std::nullopt;
        out.emplace_back(std::move(*name), std::move(*value));
    }
    return out;
}

std::string base64_encode(std::span<const unsigned char> bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
    if (in.size() % 4 != 0) return std::nullopt;
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
                  (c == '=' && i + 2 >= in.size());
        if (!ok) return std::nullopt;
    }
    std::string out(in.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    if (n < 0) return std::nullopt;
    std::size_t len = static_cast<std::size_t>(n);
    if (!in.empty() && in.back() == '=') --len;
    if (in.size() >= 2 && in[in.size() - 2] == '=') --len;
    out.resize(len);
    return out;
}

void append_hex(std::string& out, std::span<const unsigned char> bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::size_t at = out.size();
    out.resize(at + bytes.size() * 2);
    for (auto b : bytes) {
        out[at++] = kHex[b >> 4];
        out[at++] = kHex[b & 15];
    }
}

std::string hex_encode(std::span<const unsigned char> bytes) {
    std::string out;
    append_hex(out, bytes);
    return out;
}

namespace {

// SHA-256 fetched once: OpenSSL 3 looks an algorithm up by name at every
// one-shot call (SHA256(), HMAC()), which cost more than hashing a request's
// few hundred bytes (a SigV4 check makes a digest and two HMACs).
// An OpenSSL failure (no provider with the algorithm, no memory) throws: a
// digest left unwritten would make every signature check compare against the
// same bytes.
[[noreturn]] void openssl_failed(const char* what) { throw std::runtime_error(std::string(what) + " failed"); }

const EVP_MD* sha256_md() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!md) openssl_failed("fetching SHA-256");
    return md;
}

// A digest context per thread, reused from call to call.
EVP_MD_CTX* thread_md_ctx() {
    thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx) openssl_failed("a SHA-256 context");
    return ctx.get();
}

}  // namespace

// HMAC-SHA256 through a MAC context per thread, its digest set once. A call
// with the previous call's key, when that was a 32-byte derived key (a
// request's SigV4 signing key, again for each aws-chunked chunk), lets the
// context start from its keyed state (EVP_MAC_init with no key): two SHA-256
// compressions and the key setup fewer. Only derived keys are remembered,
// never a secret ("AWS4" + secret is 44 bytes or more).
Sha256Digest hmac_sha256_digest(std::string_view key, std::string_view data) {
    using MacCtx = std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)>;
    static constexpr std::size_t kRememberedKeyBytes = 32;
    struct Keyed {
        MacCtx ctx{nullptr, &EVP_MAC_CTX_free};
        std::array<unsigned char, kRememberedKeyBytes> key{};
        bool remembered = false;  // the context holds `key`'s state
    };
    thread_local Keyed keyed = [] {
        static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (!mac) openssl_failed("fetching HMAC");
        Keyed made;
        made.ctx.reset(EVP_MAC_CTX_new(mac));
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
        if (!made.ctx || !EVP_MAC_CTX_set_params(made.ctx.get(), params)) openssl_failed("an HMAC-SHA256 context");
        return made;
    }();
    const bool same_key = keyed.remembered && key.size() == kRememberedKeyBytes &&
                          CRYPTO_memcmp(key.data(), keyed.key.data(), kRememberedKeyBytes) == 0;
    keyed.remembered = false;  // until this call succeeds
    // A null key makes EVP_MAC_init keep the previous key: an empty key is
    // given as a one-byte array of length 0.
    static constexpr unsigned char kEmpty[1] = {};
    const unsigned char* key_bytes = same_key      ? nullptr
                                     : key.empty() ? kEmpty
                                                   : reinterpret_cast<const unsigned char*>(key.data());
    Sha256Digest out;
    std::size_t len = 0;
    if (!EVP_MAC_init(keyed.ctx.get(), key_bytes, same_key ? 0 : key.size(), nullptr) ||
        !EVP_MAC_update(keyed.ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) ||
        !EVP_MAC_final(keyed.ctx.get(), out.data(), &len, out.size()) || len != out.size())
        openssl_failed("HMAC-SHA256");
    if (key.size() == kRememberedKeyBytes) {
        std::memcpy(keyed.key.data(), key.data(), kRememberedKeyBytes);
        keyed.remembered = true;
    }
    return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    auto digest = hmac_sha256_digest(key, data);
    return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string hmac_sha1(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

Sha256Digest sha256_digest(std::string_view data) {
    EVP_MD_CTX* ctx = thread_md_ctx();
    Sha256Digest out;
    unsigned len = 0;
    if (!EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) || !EVP_DigestUpdate(ctx, data.data(), data.size()) ||
        !EVP_DigestFinal_ex(ctx, out.data(), &len) || len != out.size())
        openssl_failed("SHA-256");
    return out;
}

std::string sha256(std::string_view data) {
    auto digest = sha256_digest(data);
    return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(ctx_), sha256_md(), nullptr);
}
Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256Stream::update(std::span<const std::byte> data) {
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}
std::string Sha256Stream::finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &len);
    EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(ctx_), sha256_md(), nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {

std::tm utc(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return tm;
}

std::optional<std::int64_t> from_tm(std::tm tm) {
    if (tm.tm_year < 70) return std::nullopt;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

std::string http_date(std::int64_t ms) {
    // Formatted here for years 1970-9999 (every answer has a Date, a GET a
    // Last-Modified): gmtime_r takes glibc's time zone lock and strftime
    // reads the locale; both cost more than the rest of the head.
    using namespace std::chrono;
    constexpr std::int64_t kYear10000Ms = 253402300800000;
    if (ms >= 0 && ms < kYear10000Ms) {
        static constexpr char kDays[] = "SunMonTueWedThuFriSat";
        static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
        sys_seconds t{seconds(ms / 1000)};
        auto day = floor<days>(t);
        year_month_day ymd{day};
        hh_mm_ss hms{t - day};
        unsigned wd = weekday(day).c_encoding();
        unsigned mon = static_cast<unsigned>(ymd.month()) - 1;
        auto two = [](char* at, unsigned v) {
            at[0] = static_cast<char>('0' + v / 10);
            at[1] = static_cast<char>('0' + v % 10);
        };
        std::string out = "Ddd, 00 Mmm 0000 00:00:00 GMT";
        out.replace(0, 3, kDays + 3 * wd, 3);
        two(&out[5], static_cast<unsigned>(ymd.day()));
        out.replace(8, 3, kMonths + 3 * mon, 3);
        auto y = static_cast<unsigned>(static_cast<int>(ymd.year()));
        two(&out[12], y / 100);
        two(&out[14], y % 100);
        two(&out[17], static_cast<unsigned>(hms.hours().count()));
        two(&out[20], static_cast<unsigned>(hms.minutes().count()));
        two(&out[23], static_cast<unsigned>(hms.seconds().count()));
        return out;
    }
    auto tm = utc(ms);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

std::string iso8601_ms(std::int64_t ms) {
    auto tm = utc(ms);
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(((ms % 1000) + 1000) % 1000));
    return buf;
}

std::string amz_basic_date(std::int64_t ms) {
    auto tm = utc(ms);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

std::optional<std::int64_t> parse_http_date(std::string_view s) {
    std::string str(trim(s));
    // RFC 1123, RFC 850, asctime; some clients send a numeric zone (date -R).
    static const char* const kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%a, %d %b %Y %H:%M:%S %z",
                                           "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y",
                                           "%d %b %Y %H:%M:%S GMT"};
    for (const char* format : kFormats) {
        std::tm tm{};
        const char* end = strptime(str.c_str(), format, &tm);
        if (!end || *end != '\0') continue;
        long offset = tm.tm_gmtoff;
        auto t = from_tm(tm);
        if (!t) return std::nullopt;
        if (std::strstr(format, "%z")) *t -= offset * 1000;
        return t;
    }
    return parse_amz_date(str);
}

std::optional<std::int64_t> parse_amz_date(std::string_view s) {
    std::string str(trim(s));
    std::tm tm{};
    const char* end = strptime(str.c_str(), "%Y%m%dT%H%M%SZ", &tm);
    if (!end || *end != '\0') return std::nullopt;
    return from_tm(tm);
}

std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end, char32_t* code_point) {
    const unsigned char lead = p[0];
    if (lead < 0x80) {
        if (code_point) *code_point = lead;
        return 1;
    }
    std::size_t n = 0;
    char32_t cp = 0;
    if ((lead & 0xE0) == 0xC0) {
        n = 2, cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        n = 3, cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        n = 4, cp = lead & 0x07;
    } else {
        return 0;
    }
    if (static_cast<std::size_t>(end - p) < n) return 0;
    for (std::size_t i = 1; i < n; ++i) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    constexpr char32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kShortest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    if (code_point) *code_point = cp;
    return n;
}

namespace {

// The length of the UTF-8 sequence at `p` when XML 1.0 can carry it, else 0.
std::size_t xml_char_length(const unsigned char* p, const unsigned char* end) {
    char32_t cp = 0;
    auto n = utf8_sequence_length(p, end, &cp);
    if (n == 0) return 0;
    if (cp < 0x20) return cp == '\t' || cp == '\n' || cp == '\r' ? n : 0;
    return cp == 0xFFFE || cp == 0xFFFF ? 0 : n;
}

}  // namespace

bool xml_can_carry(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        auto n = xml_char_length(p, end);
        if (n == 0) return false;
        p += n;
    }
    return true;
}

std::string xml_text(std::string_view text) {
    if (xml_can_carry(text)) return xml_escape(text);
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string carried;
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        if (auto n = xml_char_length(p, end)) {
            carried.append(reinterpret_cast<const char*>(p), n);
            p += n;
        } else {
            carried += {'%', kHex[*p >> 4], kHex[*p & 15]};
            ++p;
        }
    }
    return xml_escape(carried);
}

std::string xml_key(std::string_view key) { return xml_can_carry(key) ? xml_escape(key) : aws_uri_encode(key, true); }

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string to_lower(std::string_view s) {
    // ASCII only, as std::tolower in the "C" locale the gateway keeps,
    // without a call per character.
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is_loopback_address(std::string_view address) {
    std::string a(address);
    in_addr v4{};
    if (inet_pton(AF_INET, a.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (inet_pton(AF_INET6, a.c_str(), &v6) != 1) return false;
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

namespace {

constexpr std::int64_t kIsoMsPerSecond = 1000;
constexpr std::int64_t kIsoSecondsPerDay = 86400;

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic
// Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::int64_t> parse_iso8601(std::string_view s, bool* whole_second_out) {
    s = trim(s);
    auto num = [&](std::size_t at, std::size_t len) -> std::optional<unsigned> {
        if (at + len > s.size()) return std::nullopt;
        unsigned v = 0;
        for (std::size_t i = at; i < at + len; ++i) {
            if (s[i] < '0' || s[i] > '9') return std::nullopt;
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
        }
        return v;
    };
    constexpr std::size_t kDateTimeChars = 19;  // YYYY-MM-DDThh:mm:ss
    if (s.size() < kDateTimeChars || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return std::nullopt;
    auto year = num(0, 4), month = num(5, 2), day = num(8, 2), hour = num(11, 2), minute = num(14, 2),
         second = num(17, 2);
    if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
    static constexpr std::array<unsigned, 12> kMonthDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
    if (*month < 1 || *month > 12 || *day < 1 || *day > kMonthDays[*month - 1] ||
        (*month == 2 && *day == 29 && !leap) || *hour > 23 || *minute > 59 || *second > 59)
        return std::nullopt;
    std::size_t at = kDateTimeChars;
    bool whole_second = true;
    std::int64_t fraction_ms = 0;
    if (at < s.size() && s[at] == '.') {
        std::size_t digits = 0;
        for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, ++digits) {
            if (s[at] != '0') whole_second = false;
            if (digits < 3) fraction_ms = fraction_ms * 10 + (s[at] - '0');
        }
        if (digits == 0) return std::nullopt;
        for (; digits < 3; ++digits) fraction_ms *= 10;
    }
    std::int64_t offset_s = 0;
    if (at < s.size() && s[at] == 'Z') {
        ++at;
    } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
        auto oh = num(at + 1, 2), om = num(at + 4, 2);
        if (!oh || !om || at + 3 >= s.size() || s[at + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
        offset_s = (s[at] == '+' ? 1 : -1) * static_cast<std::int64_t>(*oh * 3600 + *om * 60);
        at += 6;
    }
    if (at != s.size()) return std::nullopt;
    std::int64_t seconds =
        days_from_civil(*year, *month, *day) * kIsoSecondsPerDay + *hour * 3600 + *minute * 60 + *second - offset_s;
    if (whole_second_out) *whole_second_out = whole_second;
    return seconds * kIsoMsPerSecond + fraction_ms;
}

}  // namespace ostor::gw
