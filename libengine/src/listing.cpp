#include "listing.hpp"

namespace ostor::detail {

std::string successor_of_prefix(std::string prefix) {
    while (!prefix.empty()) {
        auto& c = reinterpret_cast<unsigned char&>(prefix.back());
        if (c != 0xFF) {
            ++c;
            return prefix;
        }
        prefix.pop_back();
    }
    return prefix;
}

ListObjectsResult list_objects_page(ObjectWalk& scan, std::string_view bucket, const ListObjectsParams& params) {
    ListObjectsResult out;
    if (params.max_keys == 0) return out;
    const std::string& prefix = params.prefix;
    const std::string& delimiter = params.delimiter;
    const std::string& marker = params.marker;
    scan.seek(marker > prefix ? marker : prefix);
    std::uint32_t count = 0;
    while (auto info = scan.next()) {
        const std::string& key = info->key;
        if (key.compare(0, prefix.size(), prefix) != 0) break;  // past the prefix range
        if (!marker.empty() && key <= marker) continue;
        std::string common;
        if (!delimiter.empty()) {
            auto pos = key.find(delimiter, prefix.size());
            if (pos != std::string::npos) common = key.substr(0, pos + delimiter.size());
        }
        if (!common.empty() && !marker.empty() && common <= marker) {
            // The marker lies inside this group: it was listed already.
            auto next = successor_of_prefix(common);
            if (next.empty()) break;
            scan.seek(next);
            continue;
        }
        if (count == params.max_keys) {
            out.truncated = true;
            break;
        }
        ++count;
        if (!common.empty()) {
            out.common_prefixes.push_back(common);
            out.next_marker = common;
            auto next = successor_of_prefix(common);
            if (next.empty()) break;
            scan.seek(next);
        } else {
            info->bucket = bucket;
            out.next_marker = key;
            out.objects.push_back(std::move(*info));
        }
    }
    if (!out.truncated) out.next_marker.clear();
    return out;
}

ListUploadsResult list_uploads_page(UploadWalk& scan, std::string_view bucket, const ListUploadsParams& params,
                                    const std::optional<Upload>& marker_upload) {
    ListUploadsResult out;
    const std::string& prefix = params.prefix;
    const std::string& key_marker = params.key_marker;
    // S3's markers: with only a key marker, the keys after it; with an
    // upload-id marker too, also the uploads of the marker's key after
    // that upload (an upload-id marker alone means nothing).
    // `id_after`: the marker upload is gone (completed or aborted since
    // the last page), so of the marker's key the uploads with greater
    // ids follow (as S3 defines it; ids rise in the order begun).
    std::optional<std::string> id_after;
    if (key_marker.empty() || key_marker < prefix) {
        scan.seek_key(prefix, false);
    } else if (params.upload_id_marker.empty()) {
        scan.seek_key(key_marker, true);
    } else if (const auto& m = marker_upload; m && m->bucket == bucket && m->key == key_marker) {
        scan.seek_after(*m);
    } else {
        scan.seek_key(key_marker, false);
        id_after = params.upload_id_marker;
    }
    std::uint32_t count = 0;
    while (auto u = scan.next()) {
        if (u->key.compare(0, prefix.size(), prefix) != 0) {
            if (u->key > prefix) break;  // past the prefix range
            continue;
        }
        if (id_after && u->key == key_marker && u->id <= *id_after) continue;
        std::string common;
        if (!params.delimiter.empty()) {
            auto pos = u->key.find(params.delimiter, prefix.size());
            if (pos != std::string::npos) common = u->key.substr(0, pos + params.delimiter.size());
        }
        if (!common.empty() && !key_marker.empty() && common <= key_marker) {
            // The marker lies inside this group: it was listed already.
            auto next = successor_of_prefix(common);
            if (next.empty()) break;
            scan.seek_key(next, false);
            continue;
        }
        if (count == params.max_uploads) {
            out.truncated = true;
            break;
        }
        ++count;
        if (!common.empty()) {
            out.common_prefixes.push_back(common);
            out.next_key_marker = common;
            out.next_upload_id_marker.clear();
            auto next = successor_of_prefix(common);
            if (next.empty()) break;
            scan.seek_key(next, false);
        } else {
            out.next_key_marker = u->key;
            out.next_upload_id_marker = u->id;
            out.uploads.push_back(std::move(*u));
        }
    }
    if (!out.truncated) {
        out.next_key_marker.clear();
        out.next_upload_id_marker.clear();
    }
    return out;
}

}  // namespace ostor::detail
