#include "records.hpp"

#include "codec.hpp"
#include "versions/version_ids.hpp"

namespace ostor::detail {

namespace {

constexpr std::uint8_t kVersion = 1;
// Object records: version 1 ends with the inline body, version 2 with the id
// of its row in the Bodies table.
constexpr std::uint8_t kObjectVersionInlineBody = 1;
constexpr std::uint8_t kObjectVersion = 2;
// The bucket record's tail flags (encode(const Bucket&)).
constexpr std::uint8_t kBucketConfigsFlag = 1;
constexpr std::uint8_t kBucketVersioningFlag = 2;  // versioning, object lock and its summary
// The object record's tail flags (encode(const ObjectRecord&)).
constexpr std::uint8_t kObjectChargeFlag = 1;
constexpr std::uint8_t kObjectReplacedChargeFlag = 2;
constexpr std::uint8_t kObjectUploadIdFlag = 4;
constexpr std::uint8_t kObjectTagsFlag = 8;
constexpr std::uint8_t kObjectVersionFlag = 16;
constexpr std::uint8_t kObjectLockFlag = 32;
constexpr std::uint8_t kObjectChargeLockFlag = 64;
constexpr std::uint8_t kObjectMoreFlagsFlag = 128;  // a second flags byte, last
// The second flags byte's.
constexpr std::uint8_t kObjectLegalHoldOffFlag = 1;
// The version block's flags.
constexpr std::uint8_t kVersionMarkerFlag = 1;
constexpr std::uint8_t kVersionNullFlag = 2;
// The upload record's tail flags.
constexpr std::uint8_t kUploadTagsFlag = 1;
constexpr std::uint8_t kUploadLockFlag = 2;
constexpr std::uint8_t kUploadLegalHoldOffFlag = 4;
// The version head's flags.
constexpr std::uint8_t kHeadNewestMarkerFlag = 1;

template <class T>
std::optional<T> finish(const Decoder& d, T value) {
    if (!d.ok()) return std::nullopt;
    return value;
}

void encode_meta(Encoder& e, const ObjectMeta& m) {
    e.str(m.content_type).pairs(m.user).pairs(m.headers).pairs(m.checksums).str(m.acl);
}
ObjectMeta decode_meta(Decoder& d) {
    ObjectMeta m;
    m.content_type = d.str();
    m.user = d.pairs();
    m.headers = d.pairs();
    m.checksums = d.pairs();
    m.acl = d.str();
    return m;
}

void encode_extents(Encoder& e, const std::vector<Extent>& extents) {
    e.u32(static_cast<std::uint32_t>(extents.size()));
    for (const Extent& x : extents) e.u64(x.segment).u64(x.offset).u32(x.length).u32(x.crc);
}
std::vector<Extent> decode_extents(Decoder& d) {
    std::vector<Extent> out;
    std::uint32_t n = d.u32();
    for (std::uint32_t i = 0; i < n && d.ok(); ++i) {
        Extent x;
        x.segment = d.u64();
        x.offset = d.u64();
        x.length = d.u32();
        x.crc = d.u32();
        out.push_back(x);
    }
    return out;
}

// The legal hold byte is 0 or 1 (ON); "OFF given" is a flag of the record
// holding the lock, which older readers skip and, rewriting the record, drop
// (the version then reads as never given one: never as held).
void encode_lock(Encoder& e, const ObjectLock& l) {
    e.u8(static_cast<std::uint8_t>(l.retention.mode)).i64(l.retention.until_ms).u8(l.legal_hold ? 1 : 0);
}
ObjectLock decode_lock(Decoder& d) {
    ObjectLock l;
    l.retention.mode = static_cast<RetentionMode>(d.u8());
    l.retention.until_ms = d.i64();
    l.legal_hold = d.u8() != 0;
    return l;
}

bool has_version_block(const ObjectRecord& o) { return !o.instance.empty() || o.null_version || o.info.delete_marker; }

}  // namespace

std::string version_id_of(const ObjectRecord& o) {
    if (o.null_version) return std::string(kNullVersionId);
    return o.instance;
}

std::string encode(const User& u) {
    return Encoder()
        .u8(kVersion)
        .str(u.id)
        .str(u.email)
        .u8(static_cast<std::uint8_t>(u.state))
        .u8(u.system)
        .i64(u.created_ms)
        .take();
}
std::optional<User> decode_user(std::string_view v) {
    Decoder d(v);
    d.u8();
    User u;
    u.id = d.str();
    u.email = d.str();
    u.state = static_cast<UserState>(d.u8());
    u.system = d.u8() != 0;
    u.created_ms = d.i64();
    return finish(d, std::move(u));
}

std::string encode(const KeyPair& k) {
    return Encoder()
        .u8(kVersion)
        .str(k.access_key_id)
        .str(k.secret)
        .str(k.user_id)
        .str(k.account)
        .i64(k.created_ms)
        .take();
}
std::optional<KeyPair> decode_key(std::string_view v) {
    Decoder d(v);
    d.u8();
    KeyPair k;
    k.access_key_id = d.str();
    k.secret = d.str();
    k.user_id = d.str();
    k.account = d.str();
    k.created_ms = d.i64();
    return finish(d, std::move(k));
}

std::string encode(const Account& a) {
    return Encoder().u8(kVersion).str(a.user_id).str(a.name).i64(a.created_ms).take();
}
std::optional<Account> decode_account(std::string_view v) {
    Decoder d(v);
    d.u8();
    Account a;
    a.user_id = d.str();
    a.name = d.str();
    a.created_ms = d.i64();
    return finish(d, std::move(a));
}

std::string encode(const Bucket& b) {
    Encoder e;
    e.u8(kVersion)
        .str(b.name)
        .str(b.owner_id)
        .str(b.account)
        .i64(b.created_ms)
        .u64(b.epoch)
        .str(b.acl)
        .u64(b.objects)
        .u64(b.bytes)
        .u64(b.size.current)
        .u64(b.size.hmax)
        .u64(b.size.h_integral)
        .u64(b.size.last_ts);
    // A tail flags byte (1: configuration documents; docs/versioning.md
    // gives the versioning and lock settings the next bits), then each set
    // one in the order of its bit. Absent when no bit is set: a record
    // without them is byte for byte what earlier versions wrote, and theirs
    // decode as having none.
    const bool versioned = b.versioning != VersioningState::Off || b.object_lock != ObjectLockConfig{} ||
                           b.locked_until_ms != 0 || b.legal_holds != 0;
    const std::uint8_t flags = (b.configs.empty() ? 0 : kBucketConfigsFlag) | (versioned ? kBucketVersioningFlag : 0);
    if (flags == 0) return e.take();
    e.u8(flags);
    if (!b.configs.empty()) {
        e.u32(static_cast<std::uint32_t>(b.configs.size()));
        for (const auto& [kind, document] : b.configs) e.str(kind).str(document);
    }
    if (versioned) {
        e.u8(static_cast<std::uint8_t>(b.versioning))
            .u8(b.object_lock.enabled ? 1 : 0)
            .u8(static_cast<std::uint8_t>(b.object_lock.default_mode))
            .u32(b.object_lock.default_days)
            .u32(b.object_lock.default_years)
            .i64(b.locked_until_ms)
            .u64(b.legal_holds);
    }
    return e.take();
}
std::optional<Bucket> decode_bucket(std::string_view v) {
    Decoder d(v);
    d.u8();
    Bucket b;
    b.name = d.str();
    b.owner_id = d.str();
    b.account = d.str();
    b.created_ms = d.i64();
    b.epoch = d.u64();
    b.acl = d.str();
    b.objects = d.u64();
    b.bytes = d.u64();
    b.size.current = d.u64();
    b.size.hmax = d.u64();
    b.size.h_integral = d.u64();
    b.size.last_ts = d.u64();
    if (d.ok() && !d.at_end()) {
        const std::uint8_t flags = d.u8();
        if (flags & kBucketConfigsFlag) {
            std::uint32_t n = d.u32();
            for (std::uint32_t i = 0; i < n && d.ok(); ++i) {
                auto kind = d.str();
                b.configs[std::move(kind)] = d.str();
            }
        }
        if (flags & kBucketVersioningFlag) {
            b.versioning = static_cast<VersioningState>(d.u8());
            b.object_lock.enabled = d.u8() != 0;
            b.object_lock.default_mode = static_cast<RetentionMode>(d.u8());
            b.object_lock.default_days = d.u32();
            b.object_lock.default_years = d.u32();
            b.locked_until_ms = d.i64();
            b.legal_holds = d.u64();
        }
    }
    return finish(d, std::move(b));
}

std::string encode(const ObjectRecord& o) {
    Encoder e;
    e.u8(kObjectVersion).str(o.info.key).u64(o.info.size).str(o.info.etag).i64(o.info.last_modified_ms);
    encode_meta(e, o.info.meta);
    e.u32(static_cast<std::uint32_t>(o.info.part_sizes.size()));
    for (auto s : o.info.part_sizes) e.u64(s);
    encode_extents(e, o.extents);
    e.u32(o.inline_crc).u64(o.body_id);
    // The commit charges (RADOS), the upload id, the tags, the version and
    // the lock: a flags byte (1: own charge, 2: replaced charge, 4: upload
    // id, 8: tags, 16: version block, 32: lock block, 64: the charges' lock
    // moves, 128: a second flags byte (1: the lock's legal hold was given
    // OFF), after the rest), then each set one. Absent from records written
    // without any, so that records written before a field existed read as
    // without it (and older readers, which stop before the charges' lock
    // moves, read the rest).
    const bool tagged = !o.info.meta.tags.empty();
    const bool versioned = has_version_block(o);
    const bool locked = o.info.lock != ObjectLock{};
    const auto moves_lock = [](const std::optional<CommitCharge>& c) {
        return c && (c->lock_until_ms != 0 || c->lock_holds_delta != 0);
    };
    const bool charges_lock = moves_lock(o.charge) || moves_lock(o.replaced_charge);
    const std::uint8_t more_flags = o.info.lock.legal_hold_off ? kObjectLegalHoldOffFlag : 0;
    const std::uint8_t flags = (more_flags ? kObjectMoreFlagsFlag : 0) | (o.charge ? kObjectChargeFlag : 0) |
                               (o.replaced_charge ? kObjectReplacedChargeFlag : 0) |
                               (o.info.upload_id.empty() ? 0 : kObjectUploadIdFlag) | (tagged ? kObjectTagsFlag : 0) |
                               (versioned ? kObjectVersionFlag : 0) | (locked ? kObjectLockFlag : 0) |
                               (charges_lock ? kObjectChargeLockFlag : 0);
    if (flags == 0) return e.take();
    e.u8(flags);
    for (const auto* c : {&o.charge, &o.replaced_charge})
        if (*c) e.u64((*c)->token).i64((*c)->delta_bytes).i64((*c)->delta_objects);
    if (!o.info.upload_id.empty()) e.str(o.info.upload_id);
    if (tagged) e.pairs(o.info.meta.tags);
    if (versioned)
        e.str(o.instance).u8((o.info.delete_marker ? kVersionMarkerFlag : 0) | (o.null_version ? kVersionNullFlag : 0));
    if (locked) encode_lock(e, o.info.lock);
    if (charges_lock)
        for (const auto* c : {&o.charge, &o.replaced_charge})
            if (*c) e.i64((*c)->lock_until_ms).i64((*c)->lock_holds_delta);
    if (more_flags) e.u8(more_flags);
    return e.take();
}
std::optional<ObjectRecord> decode_object(std::string_view v, bool with_data) {
    Decoder d(v);
    std::uint8_t version = d.u8();
    if (version != kObjectVersionInlineBody && version != kObjectVersion) return std::nullopt;
    ObjectRecord o;
    o.info.key = d.str();
    o.info.size = d.u64();
    o.info.etag = d.str();
    o.info.last_modified_ms = d.i64();
    o.info.meta = decode_meta(d);
    std::uint32_t parts = d.u32();
    for (std::uint32_t i = 0; i < parts && d.ok(); ++i) o.info.part_sizes.push_back(d.u64());
    o.extents = decode_extents(d);
    o.inline_crc = d.u32();
    if (version == kObjectVersion)
        o.body_id = d.u64();
    else if (with_data)
        o.inline_data = d.str();
    if (version == kObjectVersion && d.ok() && !d.at_end()) {
        const std::uint8_t flags = d.u8();
        auto charge = [&] {
            CommitCharge c;
            c.token = d.u64();
            c.delta_bytes = d.i64();
            c.delta_objects = d.i64();
            return c;
        };
        if (flags & kObjectChargeFlag) o.charge = charge();
        if (flags & kObjectReplacedChargeFlag) o.replaced_charge = charge();
        if (flags & kObjectUploadIdFlag) o.info.upload_id = d.str();
        if (flags & kObjectTagsFlag) o.info.meta.tags = d.pairs();
        if (flags & kObjectVersionFlag) {
            o.instance = d.str();
            const std::uint8_t version_flags = d.u8();
            o.info.delete_marker = (version_flags & kVersionMarkerFlag) != 0;
            o.null_version = (version_flags & kVersionNullFlag) != 0;
            o.info.version_id = version_id_of(o);
        }
        if (flags & kObjectLockFlag) o.info.lock = decode_lock(d);
        if (flags & kObjectChargeLockFlag)
            for (auto* c : {&o.charge, &o.replaced_charge})
                if (*c) {
                    (*c)->lock_until_ms = d.i64();
                    (*c)->lock_holds_delta = d.i64();
                }
        if (flags & kObjectMoreFlagsFlag) o.info.lock.legal_hold_off = (d.u8() & kObjectLegalHoldOffFlag) != 0;
    }
    return finish(d, std::move(o));
}

std::string encode(const Upload& u) {
    Encoder e;
    e.u8(kVersion).str(u.id).str(u.bucket).str(u.key).str(u.owner_id).str(u.account).i64(u.initiated_ms);
    encode_meta(e, u.meta);
    // After what records written before tags ended with: a flags byte (1:
    // the object's tags, 2: its lock settings, 4: their legal hold given
    // OFF), then each set one; absent when none is.
    const std::uint8_t flags = (u.meta.tags.empty() ? 0 : kUploadTagsFlag) | (u.lock ? kUploadLockFlag : 0) |
                               (u.lock && u.lock->legal_hold_off ? kUploadLegalHoldOffFlag : 0);
    if (flags == 0) return e.take();
    e.u8(flags);
    if (!u.meta.tags.empty()) e.pairs(u.meta.tags);
    if (u.lock) encode_lock(e, *u.lock);
    return e.take();
}
std::optional<Upload> decode_upload(std::string_view v) {
    Decoder d(v);
    d.u8();
    Upload u;
    u.id = d.str();
    u.bucket = d.str();
    u.key = d.str();
    u.owner_id = d.str();
    u.account = d.str();
    u.initiated_ms = d.i64();
    u.meta = decode_meta(d);
    if (d.ok() && !d.at_end()) {
        const std::uint8_t flags = d.u8();
        if (flags & kUploadTagsFlag) u.meta.tags = d.pairs();
        if (flags & kUploadLockFlag) {
            u.lock = decode_lock(d);
            u.lock->legal_hold_off = (flags & kUploadLegalHoldOffFlag) != 0;
        }
    }
    return finish(d, std::move(u));
}

std::string encode(const VersionHead& h) {
    return Encoder()
        .u8(kVersion)
        .str(h.newest)
        .u8(h.newest_is_marker ? kHeadNewestMarkerFlag : 0)
        .str(h.null_instance)
        .take();
}
std::optional<VersionHead> decode_version_head(std::string_view v) {
    Decoder d(v);
    if (d.u8() != kVersion) return std::nullopt;
    VersionHead h;
    h.newest = d.str();
    h.newest_is_marker = (d.u8() & kHeadNewestMarkerFlag) != 0;
    h.null_instance = d.str();
    if (d.ok() && !d.at_end()) return std::nullopt;
    return finish(d, std::move(h));
}

std::string encode(const PartRecord& p) {
    Encoder e;
    e.u8(kVersion)
        .u32(p.info.number)
        .u64(p.info.size)
        .str(p.info.etag)
        .i64(p.info.last_modified_ms)
        .pairs(p.info.checksums);
    encode_extents(e, p.extents);
    return e.take();
}
std::optional<PartRecord> decode_part(std::string_view v) {
    Decoder d(v);
    d.u8();
    PartRecord p;
    p.info.number = d.u32();
    p.info.size = d.u64();
    p.info.etag = d.str();
    p.info.last_modified_ms = d.i64();
    p.info.checksums = d.pairs();
    p.extents = decode_extents(d);
    return finish(d, std::move(p));
}

std::string encode(const Limits& l) {
    return Encoder()
        .u8(kVersion)
        .f64(l.ops_default)
        .f64(l.ops_get)
        .f64(l.ops_put)
        .f64(l.ops_list)
        .f64(l.ops_delete)
        .u64(l.bandwidth_out_kbps)
        .take();
}
std::optional<Limits> decode_limits(std::string_view v) {
    Decoder d(v);
    d.u8();
    Limits l;
    l.ops_default = d.f64();
    l.ops_get = d.f64();
    l.ops_put = d.f64();
    l.ops_list = d.f64();
    l.ops_delete = d.f64();
    l.bandwidth_out_kbps = d.u64();
    return finish(d, l);
}

std::string encode(const UserUsage& u) {
    return Encoder().u8(kVersion).u64(u.bytes).u64(u.objects).u64(u.reserved).take();
}
std::optional<UserUsage> decode_user_usage(std::string_view v) {
    Decoder d(v);
    d.u8();
    UserUsage u;
    u.bytes = d.u64();
    u.objects = d.u64();
    u.reserved = d.u64();
    return finish(d, u);
}

std::string encode(const ReservationRecord& r) {
    return Encoder().u8(kVersion).str(r.user_id).str(r.bucket).u64(r.bytes).take();
}
std::optional<ReservationRecord> decode_reservation(std::string_view v) {
    Decoder d(v);
    d.u8();
    ReservationRecord r;
    r.user_id = d.str();
    r.bucket = d.str();
    r.bytes = d.u64();
    return finish(d, std::move(r));
}

}  // namespace ostor::detail
