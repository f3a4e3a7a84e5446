#include "multipart_assembly.hpp"

#include <span>

#include "hashing.hpp"

namespace ostor::detail {

namespace {

std::string strip_quotes(std::string_view etag) {
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
    return std::string(etag);
}

}  // namespace

Result<void> check_part_number(std::uint32_t number) {
    if (number < 1 || number > kMaxPartNumber)
        return Error(Errc::InvalidArgument, "part number must be an integer between 1 and 10000");
    return {};
}

Result<void> check_part_list(const std::vector<CompletedPart>& parts) {
    if (parts.empty()) return Error(Errc::InvalidArgument, "the upload must list at least one part");
    for (std::size_t i = 1; i < parts.size(); ++i)
        if (parts[i].number <= parts[i - 1].number)
            return Error(Errc::InvalidPartOrder, "the list of parts was not in ascending order");
    return {};
}

Result<AssembledObject> assemble_parts(const std::vector<CompletedPart>& parts, const std::vector<PartRecord>& stored) {
    AssembledObject out;
    ObjectRecord& obj = out.record;
    Md5 md5_of_md5s;
    for (auto& p : stored) out.stored_bytes += p.info.size;
    out.used.assign(stored.size(), false);
    std::size_t si = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        while (si < stored.size() && stored[si].info.number < parts[i].number) ++si;
        if (si == stored.size() || stored[si].info.number != parts[i].number)
            return Error(Errc::InvalidPart, "part " + std::to_string(parts[i].number) + " was not uploaded");
        const PartRecord& p = stored[si];
        if (strip_quotes(parts[i].etag) != p.info.etag)
            return Error(Errc::InvalidPart, "the ETag of part " + std::to_string(p.info.number) + " does not match");
        if (i + 1 < parts.size() && p.info.size < kMinPartBytes)
            return Error(Errc::EntityTooSmall, "part " + std::to_string(p.info.number) +
                                                   " is smaller than the 5 MiB minimum of all but the last part");
        std::string raw;
        from_hex(p.info.etag, raw);
        md5_of_md5s.update(std::as_bytes(std::span(raw)));
        obj.info.size += p.info.size;
        obj.info.part_sizes.push_back(p.info.size);
        obj.extents.insert(obj.extents.end(), p.extents.begin(), p.extents.end());
        out.used[si] = true;
    }
    obj.info.etag = to_hex(md5_of_md5s.finish()) + "-" + std::to_string(parts.size());
    return out;
}

}  // namespace ostor::detail
