// The stored records of versioning and object lock (docs/versioning.md,
// "Records"): records written before these fields existed still decode, as
// unversioned and unlocked, and are written byte for byte as before; the new
// fields round-trip. Both backends store these encodings (local rows, RADOS
// omap values). The fixtures are bytes the encoders wrote before versioning,
// kept as they were.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "records.hpp"

namespace ostor::detail {
namespace {

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
}

// A bucket record with configuration documents, as written before versioning.
const std::string kBucketBefore = from_hex(
    "010600000070686f746f731000000030313233343536373839616263646566040000007465616d00"
    "98a8e69a010000020000000000000007000000707269766174650500000000000000001000000000"
    "00000010000000000000002000000000000040e2010000000000f07a070000000000010200000004"
    "000000636f7273070000003c434f52532f3e090000006c6966656379636c65010000004c");

// An object record with every tail field of before (both charges, upload id,
// tags), extents and parts.
const std::string kObjectBefore = from_hex(
    "02090000006469722f612e7478740b00000000000000200000003565623633626262653031656565"
    "6430393363623232626238663561636463337b98a8e69a0100000a000000746578742f706c61696e"
    "010000000300000077686f020000006d65010000000d00000043616368652d436f6e74726f6c0800"
    "00006e6f2d6361636865010000000500000043524333320800000044556f5268513d3d0400000061"
    "636c3102000000060000000000000005000000000000000100000007000000000000000010000000"
    "0000000b000000efbeadde0000000000000000000000000f2a000000000000000b00000000000000"
    "01000000000000002900000000000000fdffffffffffffff00000000000000000300000075703101"
    "00000001000000740100000031");

// An upload record with tags.
const std::string kUploadBefore = from_hex(
    "01030000007570310600000070686f746f73090000006469722f612e747874100000003031323334"
    "3536373839616263646566040000007465616d0098a8e69a0100000a000000746578742f706c6169"
    "6e0000000000000000000000000400000061636c31010100000001000000740100000031");

constexpr TimestampMs kRetainUntilMs = 1893456000000;  // 2030-01-01

TEST(VersionRecords, BucketsOfBeforeDecodeUnversionedAndKeepTheirBytes) {
    auto b = decode_bucket(kBucketBefore);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->name, "photos");
    EXPECT_EQ(b->configs.at("lifecycle"), "L");
    EXPECT_EQ(b->versioning, VersioningState::Off);
    EXPECT_EQ(b->object_lock, ObjectLockConfig{});
    EXPECT_EQ(b->locked_until_ms, 0);
    EXPECT_EQ(b->legal_holds, 0u);
    EXPECT_EQ(encode(*b), kBucketBefore);
}

TEST(VersionRecords, BucketVersioningAndLockRoundTrip) {
    auto b = decode_bucket(kBucketBefore);
    ASSERT_TRUE(b);
    b->versioning = VersioningState::Suspended;
    EXPECT_EQ(decode_bucket(encode(*b))->versioning, VersioningState::Suspended);
    b->versioning = VersioningState::Enabled;
    b->object_lock = {true, RetentionMode::Compliance, 0, 2};
    b->locked_until_ms = kRetainUntilMs;
    b->legal_holds = 3;
    auto again = decode_bucket(encode(*b));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->versioning, VersioningState::Enabled);
    EXPECT_EQ(again->object_lock, b->object_lock);
    EXPECT_EQ(again->locked_until_ms, kRetainUntilMs);
    EXPECT_EQ(again->legal_holds, 3u);
    EXPECT_EQ(again->configs, b->configs);  // the documents' bit comes first
    // Without documents: the settings alone behind the tail flags byte.
    b->configs.clear();
    again = decode_bucket(encode(*b));
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->configs.empty());
    EXPECT_EQ(again->object_lock, b->object_lock);
    EXPECT_EQ(again->legal_holds, 3u);
}

TEST(VersionRecords, ObjectsOfBeforeDecodeAsTheNullVersionAndKeepTheirBytes) {
    auto o = decode_object(kObjectBefore);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->info.key, "dir/a.txt");
    EXPECT_EQ(o->info.upload_id, "up1");
    ASSERT_TRUE(o->replaced_charge);
    EXPECT_EQ(o->replaced_charge->delta_bytes, -3);
    EXPECT_EQ(o->info.meta.tags, (ObjectTags{{"t", "1"}}));
    EXPECT_TRUE(o->instance.empty());
    EXPECT_FALSE(o->null_version);
    EXPECT_TRUE(o->info.version_id.empty());
    EXPECT_FALSE(o->info.delete_marker);
    EXPECT_EQ(o->info.lock, ObjectLock{});
    EXPECT_EQ(encode(*o), kObjectBefore);
}

TEST(VersionRecords, ObjectVersionAndLockRoundTrip) {
    auto o = decode_object(kObjectBefore);
    ASSERT_TRUE(o);
    const std::string instance = "ffe6b1d2a3c4b5a601234567";
    o->instance = instance;
    o->info.lock = {{RetentionMode::Governance, kRetainUntilMs}, true};
    auto again = decode_object(encode(*o));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->instance, instance);
    EXPECT_EQ(again->info.version_id, instance);
    EXPECT_FALSE(again->null_version);
    EXPECT_EQ(again->info.lock, o->info.lock);
    EXPECT_EQ(again->info.meta.tags, o->info.meta.tags);  // the fields of before still read
    EXPECT_EQ(again->charge, o->charge);
    EXPECT_EQ(again->extents.size(), 1u);

    // A legal hold released (OFF given) keeps saying so, in a last flags
    // byte: the lock block's hold byte stays 0, as older readers know it
    // (they skip that byte, and dropping it on a rewrite makes the version
    // read as never given one, never as held). Alone, it still writes the
    // lock block.
    // With the charges' lock moves (flag 64) too: the second flags byte
    // comes after them, so an older reader reads exactly the record without
    // it (the last byte dropped and flag 128 cleared).
    o->replaced_charge->lock_until_ms = kRetainUntilMs;
    o->replaced_charge->lock_holds_delta = 1;
    o->info.lock = {{RetentionMode::Governance, kRetainUntilMs}, false, false};
    const std::string without = encode(*o);
    o->info.lock.legal_hold_off = true;
    const std::string with_off = encode(*o);
    ASSERT_EQ(with_off.size(), without.size() + 1);
    EXPECT_EQ(with_off.back(), '\x01');
    std::string as_older_read = with_off.substr(0, with_off.size() - 1);
    std::size_t flags_at = 0;
    for (std::size_t i = 0; i < without.size(); ++i)
        if (as_older_read[i] != without[i]) {
            flags_at = i;
            break;
        }
    ASSERT_EQ(static_cast<std::uint8_t>(as_older_read[flags_at]) ^ static_cast<std::uint8_t>(without[flags_at]), 128u);
    as_older_read[flags_at] = without[flags_at];
    EXPECT_EQ(as_older_read, without);
    again = decode_object(with_off);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->info.lock, o->info.lock);
    EXPECT_EQ(again->replaced_charge, o->replaced_charge);
    auto older = decode_object(without);
    ASSERT_TRUE(older);
    EXPECT_FALSE(older->info.lock.legal_hold_off);
    o->replaced_charge->lock_until_ms = 0;
    o->replaced_charge->lock_holds_delta = 0;
    o->info.lock = {{}, false, true};
    again = decode_object(encode(*o));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->info.lock, o->info.lock);
    EXPECT_TRUE(again->info.lock.legal_hold_off);
    EXPECT_FALSE(again->info.lock.legal_hold);
    EXPECT_NE(again->info.lock, ObjectLock{});

    // The null version with its instance: clients see "null".
    o->null_version = true;
    again = decode_object(encode(*o));
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->null_version);
    EXPECT_EQ(again->instance, instance);
    EXPECT_EQ(again->info.version_id, "null");
}

// A commit's charge carries its move of the bucket's lock summary, so that a
// later commit settling it as `replaced` makes that move (RADOS); the
// replaced charge, copied from the record replaced, keeps it. Charges that
// move nothing are written as before (above: kObjectBefore's bytes).
TEST(VersionRecords, TheChargesLockMovesRoundTrip) {
    auto o = decode_object(kObjectBefore);
    ASSERT_TRUE(o && o->charge && o->replaced_charge);
    o->instance = "ffe6b1d2a3c4b5a601234567";
    o->info.lock = {{RetentionMode::Compliance, kRetainUntilMs}, true};
    o->replaced_charge->lock_until_ms = kRetainUntilMs;
    o->replaced_charge->lock_holds_delta = 1;
    auto again = decode_object(encode(*o));
    ASSERT_TRUE(again && again->charge && again->replaced_charge);
    EXPECT_EQ(again->replaced_charge, o->replaced_charge);
    EXPECT_EQ(again->charge, o->charge);  // its own moves nothing
    EXPECT_EQ(again->charge->lock_holds_delta, 0);
    EXPECT_EQ(again->info.lock, o->info.lock);
    EXPECT_EQ(again->info.meta.tags, o->info.meta.tags);

    o->charge->lock_holds_delta = 1;
    o->replaced_charge->lock_until_ms = 0;
    o->replaced_charge->lock_holds_delta = -1;
    again = decode_object(encode(*o));
    ASSERT_TRUE(again && again->charge && again->replaced_charge);
    EXPECT_EQ(again->charge, o->charge);
    EXPECT_EQ(again->replaced_charge, o->replaced_charge);
    // Without a replaced charge: its own still reads.
    o->replaced_charge.reset();
    again = decode_object(encode(*o));
    ASSERT_TRUE(again && again->charge);
    EXPECT_FALSE(again->replaced_charge);
    EXPECT_EQ(again->charge, o->charge);
    // Cut short (a damaged record): refused, not read with half a move.
    const std::string whole = encode(*o);
    EXPECT_FALSE(decode_object(whole.substr(0, whole.size() - 4)));
}

TEST(VersionRecords, DeleteMarkersCarryOnlyTheirVersion) {
    ObjectRecord marker;
    marker.info.key = "gone";
    marker.info.last_modified_ms = 1764806400123;
    marker.instance = "ffe6b1d2a3c4b5a6aabbccdd";
    marker.info.delete_marker = true;
    auto decoded = decode_object(encode(marker));
    ASSERT_TRUE(decoded);
    EXPECT_TRUE(decoded->info.delete_marker);
    EXPECT_EQ(decoded->info.version_id, marker.instance);
    EXPECT_EQ(decoded->info.lock, ObjectLock{});
    EXPECT_TRUE(decoded->extents.empty());
    EXPECT_EQ(decoded->info.last_modified_ms, marker.info.last_modified_ms);
}

TEST(VersionRecords, UploadsOfBeforeDecodeWithoutLockAndKeepTheirBytes) {
    auto u = decode_upload(kUploadBefore);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->key, "dir/a.txt");
    EXPECT_EQ(u->meta.tags, (ObjectTags{{"t", "1"}}));
    EXPECT_FALSE(u->lock);
    EXPECT_EQ(encode(*u), kUploadBefore);

    u->lock = ObjectLock{{RetentionMode::Compliance, kRetainUntilMs}, false};
    auto again = decode_upload(encode(*u));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->lock, u->lock);
    const std::string without_off = encode(*u);
    u->lock->legal_hold_off = true;  // a flag only: the lock block as before
    EXPECT_EQ(encode(*u).size(), without_off.size());
    EXPECT_NE(encode(*u), without_off);
    auto older_upload = decode_upload(without_off);
    ASSERT_TRUE(older_upload && older_upload->lock);
    EXPECT_FALSE(older_upload->lock->legal_hold_off);
    again = decode_upload(encode(*u));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->lock, u->lock);
    EXPECT_EQ(again->meta.tags, u->meta.tags);
    u->meta.tags.clear();  // the lock alone behind the flags byte
    again = decode_upload(encode(*u));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->lock, u->lock);
    EXPECT_TRUE(again->meta.tags.empty());
}

TEST(VersionRecords, VersionHeadsRoundTripAndRefuseDamage) {
    VersionHead head{"ffe6b1d2a3c4b5a6aabbccdd", true, "ffe6b1d2a3c4b5a700000001"};
    const std::string stored = encode(head);
    EXPECT_EQ(decode_version_head(stored), head);
    VersionHead plain{"ffe6b1d2a3c4b5a6aabbccdd", false, ""};
    EXPECT_EQ(decode_version_head(encode(plain)), plain);
    EXPECT_FALSE(decode_version_head(""));
    EXPECT_FALSE(decode_version_head(stored.substr(0, stored.size() - 1)));
    EXPECT_FALSE(decode_version_head(stored + "x"));
}

}  // namespace
}  // namespace ostor::detail
