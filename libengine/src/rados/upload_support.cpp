#include "rados/upload_support.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>

#include "hashing.hpp"
#include "rados/errors.hpp"
#include "rados/object_layout.hpp"

namespace ostor::detail::rados {

namespace {

constexpr std::string_view kAbortSeal = "abort";
constexpr std::string_view kCompleteSeal = "complete";
constexpr std::string_view kSealInstanceTag = "i:";  // instance ids are hex: no ':'
// An abort's seal whose parts' bytes are not given back (it took over a
// complete's seal): older seals, and older engines, know no such word.
constexpr std::string_view kNoGiveBackTag = "no-give-back";

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        auto sp = s.find(' ');
        out.push_back(s.substr(0, sp));
        if (sp == std::string_view::npos) break;
        s.remove_prefix(sp + 1);
    }
    return out;
}

}  // namespace

Error no_such_upload(std::string_view upload_id) {
    return Error(Errc::NoSuchUpload, "upload " + std::string(upload_id) + " does not exist");
}

Error lease_may_not_commit() {
    // As object_catalog.cpp words it for objects.
    return Error(Errc::IoError,
                 "this gateway's lease expired (or is about to): it may commit no more writes; reopen the volume");
}

bool well_formed_upload_id(std::string_view upload_id) {
    return upload_id.size() == kUploadIdLength && std::all_of(upload_id.begin(), upload_id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string new_upload_id() {
    // Rising within the process even when the clock steps back or two
    // uploads begin in the same nanosecond; across gateways, ids of uploads
    // begun at once order as their clocks do (S3 promises no more).
    static std::atomic<std::uint64_t> last_ns{0};
    auto now = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    std::uint64_t prev = last_ns.load();
    std::uint64_t t = 0;
    do {
        t = std::max(now, prev + 1);
    } while (!last_ns.compare_exchange_weak(prev, t));
    char head[17];
    std::snprintf(head, sizeof head, "%016llx", static_cast<unsigned long long>(t));
    return std::string(head) + random_hex16();
}

TimestampMs upload_id_time_ms(std::string_view upload_id) {
    std::uint64_t ns = 0;
    auto head = upload_id.substr(0, 16);
    std::from_chars(head.data(), head.data() + head.size(), ns, 16);
    return static_cast<TimestampMs>(ns / 1'000'000);
}

Result<StoredUpload> parse_upload(std::string_view upload_id, const std::map<std::string, std::string>& omap) {
    auto info = omap.find(std::string(kUploadInfoKey));
    if (info == omap.end()) return no_such_upload(upload_id);
    auto u = decode_upload(info->second);
    auto epoch_text = omap.find(std::string(kUploadEpochKey));
    auto epoch = epoch_text == omap.end() ? std::nullopt : parse_u64(epoch_text->second);
    if (!u || !epoch) return Error(Errc::Internal, "damaged upload record " + std::string(upload_id));
    StoredUpload out;
    out.upload = std::move(*u);
    out.epoch = *epoch;
    out.info_raw = info->second;
    if (auto c = omap.find(std::string(kUploadClosingKey)); c != omap.end()) out.closing = c->second;
    return out;
}

Result<StoredUpload> read_upload(Client& client, std::string_view upload_id, const std::set<std::string>& extra_keys,
                                 std::map<std::string, std::string>* extra) {
    if (!well_formed_upload_id(upload_id)) return no_such_upload(upload_id);
    std::set<std::string> keys = extra_keys;
    keys.insert(std::string(kUploadInfoKey));
    keys.insert(std::string(kUploadEpochKey));
    keys.insert(std::string(kUploadClosingKey));
    auto got = client.omap_get(Pool::Meta, upload_oid(upload_id), keys);
    if (!got) {
        if (got.error().code() == kNotFound) return no_such_upload(upload_id);
        return std::move(got).error();
    }
    auto up = parse_upload(upload_id, *got);
    if (!up) return up;
    if (extra) {
        extra->clear();
        for (auto& k : extra_keys)
            if (auto it = got->find(k); it != got->end()) extra->emplace(k, std::move(it->second));
    }
    return up;
}

Result<StoredUpload> read_open_upload(Client& client, std::string_view upload_id,
                                      const std::set<std::string>& extra_keys,
                                      std::map<std::string, std::string>* extra) {
    auto up = read_upload(client, upload_id, extra_keys, extra);
    if (up && !up->closing.empty()) return no_such_upload(upload_id);
    return up;
}

std::vector<StoredPart> parts_in(const std::map<std::string, std::string>& omap, std::size_t* damaged) {
    std::vector<StoredPart> out;
    // p.<5 digits> keys sort as their numbers do.
    for (auto it = omap.lower_bound(std::string(kPartKeyPrefix));
         it != omap.end() && it->first.starts_with(kPartKeyPrefix); ++it) {
        auto p = decode_part(it->second);
        if (!p) {
            if (damaged) ++*damaged;
            continue;
        }
        out.push_back(StoredPart{it->second, std::move(*p)});
    }
    return out;
}

std::string encode_seal(const Seal& seal) {
    std::string s(seal.kind == Seal::Kind::Abort ? kAbortSeal : kCompleteSeal);
    s += ' ' + std::to_string(seal.sealed_ms) + ' ' + random_hex16();
    if (seal.kind == Seal::Kind::Complete && seal.first_extent)
        s += ' ' + std::to_string(seal.first_extent->first) + ' ' + std::to_string(seal.first_extent->second);
    if (seal.kind == Seal::Kind::Complete && !seal.instance.empty())
        s += " " + std::string(kSealInstanceTag) + seal.instance;
    if (seal.kind == Seal::Kind::Abort && !seal.give_back) s += " " + std::string(kNoGiveBackTag);
    return s;
}

std::optional<Seal> decode_seal(std::string_view text) {
    auto w = words(text);
    if (w.size() < 3) return std::nullopt;
    Seal s;
    if (w[0] == kAbortSeal)
        s.kind = Seal::Kind::Abort;
    else if (w[0] == kCompleteSeal)
        s.kind = Seal::Kind::Complete;
    else
        return std::nullopt;
    auto ms = parse_u64(w[1]);
    if (!ms) return std::nullopt;
    s.sealed_ms = static_cast<TimestampMs>(*ms);
    if (s.kind == Seal::Kind::Abort) s.give_back = !(w.size() > 3 && w[3] == kNoGiveBackTag);
    if (s.kind == Seal::Kind::Complete && w.size() > 3 && w.back().starts_with(kSealInstanceTag)) {
        s.instance = std::string(w.back().substr(kSealInstanceTag.size()));
        w.pop_back();
    }
    if (s.kind == Seal::Kind::Complete && w.size() == 5) {
        auto seg = parse_u64(w[3]);
        auto off = parse_u64(w[4]);
        if (!seg || !off) return std::nullopt;
        s.first_extent = std::make_pair(*seg, *off);
    }
    return s;
}

}  // namespace ostor::detail::rados
