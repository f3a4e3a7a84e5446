// libFuzzer target: a browser upload's form (gateway-lite/s3/form_data.cpp)
// read in pieces of any size, and each field's value as a policy document
// (s3/post_policy.cpp), checked against the fields read.
// Input: [piece size byte][read size byte][body...], boundary "B".
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "s3/form_data.hpp"
#include "s3/post_policy.hpp"

namespace {

using namespace ostor::gw;

class MemoryBody final : public BodyReader {
public:
    MemoryBody(const std::uint8_t* data, std::size_t size, std::size_t step) : data_(data), size_(size), step_(step) {}
    std::ptrdiff_t read(std::span<std::byte> out) override {
        std::size_t n = std::min({out.size(), step_, size_ - pos_});
        std::memcpy(out.data(), data_ + pos_, n);
        pos_ += n;
        return static_cast<std::ptrdiff_t>(n);
    }
    bool done() const override { return pos_ == size_; }

private:
    const std::uint8_t* data_;
    std::size_t size_, step_, pos_ = 0;
};

constexpr std::size_t kMaxValue = 20 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t step = 1 + data[0] % 128;
    std::vector<std::byte> buf(1 + data[1]);
    MemoryBody raw(data + 2, size - 2, step);
    s3::FormReader reader(raw, "B");
    s3::FormFields fields;
    std::vector<std::string> values;
    std::uint64_t last_position = 0;
    for (;;) {
        s3::FormPartHead head;
        auto status = reader.next_part(head);
        if (status != s3::FormStatus::Part) break;
        if (head.name == "file") {
            // Streamed in pieces: each read makes progress or ends the part.
            for (;;) {
                auto n = reader.read(buf);
                if (n <= 0) break;
                if (static_cast<std::size_t>(n) > buf.size()) std::abort();
            }
            continue;
        }
        std::string value;
        if (!reader.read_value(value, kMaxValue)) break;
        fields.emplace_back(head.name, value);
        values.push_back(value);
        if (reader.position() < last_position || reader.position() > size) std::abort();
        last_position = reader.position();
    }
    for (const auto& v : values) {
        auto policy = s3::parse_post_policy(v);
        if (auto* p = std::get_if<s3::PostPolicy>(&policy)) {
            if (p->min_length > p->max_length) std::abort();
            (void)s3::check_post_policy(*p, fields, "bucket", 0);
        }
    }
    return 0;
}
