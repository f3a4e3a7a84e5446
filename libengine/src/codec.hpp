// Binary encoding of the records stored in LMDB: little-endian fixed-width
// integers and length-prefixed strings, each record starting with a version
// byte. Keys that must sort use big-endian integers (be64) instead.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ostor::detail {

class Encoder {
public:
    Encoder& u8(std::uint8_t v) {
        out_.push_back(static_cast<char>(v));
        return *this;
    }
    Encoder& u32(std::uint32_t v) { return raw(&v, sizeof v); }
    Encoder& u64(std::uint64_t v) { return raw(&v, sizeof v); }
    Encoder& i64(std::int64_t v) { return raw(&v, sizeof v); }
    Encoder& f64(double v) { return raw(&v, sizeof v); }
    Encoder& str(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out_.append(s);
        return *this;
    }
    Encoder& pairs(const std::vector<std::pair<std::string, std::string>>& v) {
        u32(static_cast<std::uint32_t>(v.size()));
        for (auto& [a, b] : v) str(a).str(b);
        return *this;
    }
    const std::string& bytes() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    Encoder& raw(const void* p, std::size_t n) {
        out_.append(static_cast<const char*>(p), n);
        return *this;
    }
    std::string out_;
};

// Reads what Encoder wrote. A short or malformed record sets ok() to false
// and yields zeros / empty strings from then on, so callers check once.
class Decoder {
public:
    explicit Decoder(std::string_view in) : in_(in) {}
    std::uint8_t u8() {
        std::uint8_t v = 0;
        raw(&v, 1);
        return v;
    }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        raw(&v, sizeof v);
        return v;
    }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        raw(&v, sizeof v);
        return v;
    }
    std::int64_t i64() {
        std::int64_t v = 0;
        raw(&v, sizeof v);
        return v;
    }
    double f64() {
        double v = 0;
        raw(&v, sizeof v);
        return v;
    }
    std::string str() {
        auto n = u32();
        if (!ok_ || n > in_.size() - pos_) {
            ok_ = false;
            return {};
        }
        std::string s(in_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    std::vector<std::pair<std::string, std::string>> pairs() {
        std::vector<std::pair<std::string, std::string>> v;
        auto n = u32();
        for (std::uint32_t i = 0; ok_ && i < n; ++i) {
            auto a = str();
            auto b = str();
            v.emplace_back(std::move(a), std::move(b));
        }
        return v;
    }
    bool ok() const { return ok_; }
    bool at_end() const { return pos_ == in_.size(); }

private:
    void raw(void* p, std::size_t n) {
        if (!ok_ || n > in_.size() - pos_) {
            ok_ = false;
            std::memset(p, 0, n);
            return;
        }
        std::memcpy(p, in_.data() + pos_, n);
        pos_ += n;
    }
    std::string_view in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

// Big-endian so that keys sort numerically under LMDB's byte order.
inline void append_be64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}
inline void append_be32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}
inline std::uint64_t read_be64(std::string_view s, std::size_t at = 0) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
}
inline std::uint32_t read_be32(std::string_view s, std::size_t at = 0) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
}

}  // namespace ostor::detail
