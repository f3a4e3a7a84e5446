// The lifecycle rules' evaluation (libengine/src/lifecycle/lifecycle_rules.hpp):
// which action is due for an object, a noncurrent version, a lone delete
// marker or an upload, by which rule, at which instant; and the stored form.
#include <gtest/gtest.h>
#include <limits>

#include "lifecycle/lifecycle_rules.hpp"

namespace ostor::detail {
namespace {

constexpr TimestampMs kDay = kLifecycleDayMs;
constexpr TimestampMs kHour = 3'600'000;
// 2014-01-15T00:00:00Z, the day of the S3 user guide's example.
constexpr TimestampMs kJan15 = 1'389'744'000'000;

LifecycleRule expire_days(std::string id, std::uint32_t days, std::string prefix = "") {
    LifecycleRule r;
    r.id = std::move(id);
    r.filter.prefix = std::move(prefix);
    r.expiration = LifecycleExpiration{.days = days};
    return r;
}

LifecycleClock at(TimestampMs now) { return {.now_ms = now}; }

LifecycleVerdict current(const LifecycleConfig& c, TimestampMs now, TimestampMs modified, std::string_view key = "k",
                         std::uint64_t size = 10, const ObjectTags* tags = nullptr) {
    return evaluate_current(c, {.key = key, .size = size, .tags = tags, .last_modified_ms = modified}, at(now));
}

TEST(LifecycleDue, RoundsTheCreationUpToTheNextMidnightUtc) {
    // The S3 user guide: created 2014-01-15 10:30 UTC, 3 days: due 2014-01-19 00:00 UTC.
    EXPECT_EQ(lifecycle_due_ms(kJan15 + 10 * kHour + 30 * 60'000, 3, kDay), kJan15 + 4 * kDay);
    // A creation exactly at midnight counts from the next one (MinIO, RGW).
    EXPECT_EQ(lifecycle_due_ms(kJan15, 1, kDay), kJan15 + 2 * kDay);
    EXPECT_EQ(lifecycle_due_ms(kJan15 - 1, 1, kDay), kJan15 + kDay);
}

TEST(LifecycleDue, AShortenedDayRoundsToItsOwnMultiplesFromTheEpoch) {
    EXPECT_EQ(lifecycle_due_ms(2'500, 2, 1'000), 5'000);
    EXPECT_EQ(lifecycle_due_ms(3'000, 2, 1'000), 6'000);
    // Past the end of time (a year-long configured day, the most Days): never.
    EXPECT_EQ(lifecycle_due_ms(kJan15, 4'294'967'295u, 365 * kDay), std::numeric_limits<TimestampMs>::max());
    EXPECT_EQ(lifecycle_due_ms(-500, 1, 1'000), 1'000);  // floor, not truncation, before the epoch
}

TEST(LifecycleCurrent, ExpiresFromTheDueInstantOnNotBefore) {
    LifecycleConfig c{{expire_days("r", 3)}};
    auto created = kJan15 + 10 * kHour;
    EXPECT_EQ(current(c, kJan15 + 4 * kDay - 1, created).action, LifecycleAction::None);
    auto v = current(c, kJan15 + 4 * kDay, created);
    EXPECT_EQ(v.action, LifecycleAction::ExpireCurrent);
    EXPECT_EQ(v.rule_id, "r");
}

TEST(LifecycleCurrent, ADateExpiresEveryMatchingObjectFromThatMidnight) {
    LifecycleRule r;
    r.id = "d";
    r.expiration = LifecycleExpiration{.date_ms = kJan15};
    LifecycleConfig c{{r}};
    EXPECT_EQ(current(c, kJan15 - 1, kJan15 - kDay).action, LifecycleAction::None);
    EXPECT_EQ(current(c, kJan15, kJan15 - kDay).action, LifecycleAction::ExpireCurrent);
    // Written after the date: expires as soon as it is seen.
    EXPECT_EQ(current(c, kJan15 + 3 * kDay, kJan15 + 2 * kDay).action, LifecycleAction::ExpireCurrent);
}

TEST(LifecycleCurrent, AShortenedDayExpiresInSeconds) {
    LifecycleConfig c{{expire_days("r", 1)}};
    LifecycleClock clock{.now_ms = 2'999, .day_ms = 1'000};
    EXPECT_EQ(evaluate_current(c, {.key = "k", .last_modified_ms = 1'500}, clock).action, LifecycleAction::None);
    clock.now_ms = 3'000;
    EXPECT_EQ(evaluate_current(c, {.key = "k", .last_modified_ms = 1'500}, clock).action,
              LifecycleAction::ExpireCurrent);
}

TEST(LifecycleFilters, PrefixTagsAndStrictSizeBounds) {
    LifecycleRule r = expire_days("r", 1, "logs/");
    r.filter.tags = {{"class", "tmp"}, {"team", "a"}};
    r.filter.size_greater_than = 100;
    r.filter.size_less_than = 200;
    LifecycleConfig c{{r}};
    ObjectTags all{{"team", "a"}, {"other", "x"}, {"class", "tmp"}};
    ObjectTags one{{"class", "tmp"}};
    ObjectTags wrong{{"class", "tmp"}, {"team", "b"}};
    auto now = kJan15 + 10 * kDay;
    struct Case {
        std::string_view key;
        std::uint64_t size;
        const ObjectTags* tags;
        LifecycleAction want;
    } cases[] = {
        {"logs/a", 150, &all, LifecycleAction::ExpireCurrent},  // extra object tags do not matter
        {"data/a", 150, &all, LifecycleAction::None},           // prefix
        {"logs/a", 150, &one, LifecycleAction::None},           // every tag must be there
        {"logs/a", 150, &wrong, LifecycleAction::None},         // with its value
        {"logs/a", 150, nullptr, LifecycleAction::None},        // an object without tags
        {"logs/a", 100, &all, LifecycleAction::None},           // greater than: strict
        {"logs/a", 101, &all, LifecycleAction::ExpireCurrent},
        {"logs/a", 200, &all, LifecycleAction::None},  // less than: strict
        {"logs/a", 199, &all, LifecycleAction::ExpireCurrent},
    };
    for (const auto& k : cases)
        EXPECT_EQ(current(c, now, kJan15, k.key, k.size, k.tags).action, k.want) << k.key << " " << k.size;
}

TEST(LifecycleRules, ADisabledRuleNeverApplies) {
    auto r = expire_days("off", 1);
    r.enabled = false;
    r.abort_upload_days = 1;
    r.noncurrent_expiration = LifecycleNoncurrentExpiration{.noncurrent_days = 1};
    LifecycleConfig c{{r}};
    auto now = kJan15 + 100 * kDay;
    EXPECT_EQ(current(c, now, kJan15).action, LifecycleAction::None);
    EXPECT_EQ(evaluate_noncurrent(c, {.key = "k", .noncurrent_since_ms = kJan15}, at(now)).action,
              LifecycleAction::None);
    EXPECT_EQ(evaluate_upload(c, {.key = "k", .initiated_ms = kJan15}, at(now)).action, LifecycleAction::None);
    r.expiration = LifecycleExpiration{.expired_object_delete_marker = true};
    EXPECT_EQ(evaluate_lone_marker({{r}}, {.key = "k", .created_ms = kJan15}, at(now)).action, LifecycleAction::None);
}

TEST(LifecycleRules, OfSeveralDueRulesTheOneDueFirstDecidesWhateverTheirOrder) {
    auto late = expire_days("late", 30);
    auto early = expire_days("early", 5);
    auto notyet = expire_days("notyet", 1, "other/");
    auto now = kJan15 + 40 * kDay;
    EXPECT_EQ(current({{late, early, notyet}}, now, kJan15).rule_id, "early");
    EXPECT_EQ(current({{notyet, early, late}}, now, kJan15).rule_id, "early");
    // Only the rule already due counts.
    EXPECT_EQ(current({{late, early}}, kJan15 + 10 * kDay, kJan15).rule_id, "early");
    LifecycleRule dated;
    dated.id = "dated";
    dated.expiration = LifecycleExpiration{.date_ms = kJan15 + 2 * kDay};
    EXPECT_EQ(current({{early, dated}}, now, kJan15).rule_id, "dated");
    // A tie goes to the first in the document.
    EXPECT_EQ(current({{expire_days("a", 5), expire_days("b", 5)}}, now, kJan15).rule_id, "a");
}

TEST(LifecycleRules, EachActionConcernsItsOwnKindOfEntry) {
    LifecycleRule nve;
    nve.id = "nve";
    nve.noncurrent_expiration = LifecycleNoncurrentExpiration{.noncurrent_days = 1};
    nve.abort_upload_days = 1;
    auto now = kJan15 + 100 * kDay;
    EXPECT_EQ(current({{nve}}, now, kJan15).action, LifecycleAction::None);
    LifecycleConfig days{{expire_days("days", 1)}};
    EXPECT_EQ(evaluate_noncurrent(days, {.key = "k", .noncurrent_since_ms = kJan15}, at(now)).action,
              LifecycleAction::None);
    EXPECT_EQ(evaluate_upload(days, {.key = "k", .initiated_ms = kJan15}, at(now)).action, LifecycleAction::None);
}

TEST(LifecycleNoncurrent, CountsFromWhenTheVersionBecameNoncurrent) {
    LifecycleRule r;
    r.id = "nc";
    r.noncurrent_expiration = LifecycleNoncurrentExpiration{.noncurrent_days = 2};
    LifecycleConfig c{{r}};
    LifecycleNoncurrentVersion v{.key = "k", .noncurrent_since_ms = kJan15 + 11 * kHour};
    EXPECT_EQ(evaluate_noncurrent(c, v, at(kJan15 + 3 * kDay - 1)).action, LifecycleAction::None);
    auto verdict = evaluate_noncurrent(c, v, at(kJan15 + 3 * kDay));
    EXPECT_EQ(verdict.action, LifecycleAction::DeleteNoncurrent);
    EXPECT_EQ(verdict.rule_id, "nc");
}

TEST(LifecycleNoncurrent, KeepsTheNewestNoncurrentVersionsWhateverTheirAge) {
    LifecycleRule r;
    r.id = "keep3";
    r.noncurrent_expiration = LifecycleNoncurrentExpiration{.noncurrent_days = 1, .newer_noncurrent_versions = 3};
    LifecycleConfig c{{r}};
    auto now = kJan15 + 100 * kDay;
    for (std::uint32_t newer = 0; newer < 3; ++newer)
        EXPECT_EQ(evaluate_noncurrent(c, {.key = "k", .noncurrent_since_ms = kJan15, .newer_noncurrent_count = newer},
                                      at(now))
                      .action,
                  LifecycleAction::None)
            << newer;
    EXPECT_EQ(evaluate_noncurrent(c, {.key = "k", .noncurrent_since_ms = kJan15, .newer_noncurrent_count = 3}, at(now))
                  .action,
              LifecycleAction::DeleteNoncurrent);
    // Enough newer ones but not old enough: kept.
    EXPECT_EQ(
        evaluate_noncurrent(c, {.key = "k", .noncurrent_since_ms = now, .newer_noncurrent_count = 5}, at(now)).action,
        LifecycleAction::None);
}

TEST(LifecycleMarker, ExpiredObjectDeleteMarkerRemovesALoneMarkerAtOnce) {
    LifecycleRule r;
    r.id = "eodm";
    r.expiration = LifecycleExpiration{.expired_object_delete_marker = true};
    auto v = evaluate_lone_marker({{r}}, {.key = "k", .created_ms = kJan15}, at(kJan15));
    EXPECT_EQ(v.action, LifecycleAction::RemoveMarker);
    EXPECT_EQ(v.rule_id, "eodm");
    // false keeps it.
    r.expiration->expired_object_delete_marker = false;
    EXPECT_EQ(evaluate_lone_marker({{r}}, {.key = "k", .created_ms = kJan15}, at(kJan15 + kDay)).action,
              LifecycleAction::None);
}

TEST(LifecycleMarker, ExpirationDaysRemovesALoneMarkerOnceOldEnough) {
    LifecycleConfig c{{expire_days("days", 2)}};
    EXPECT_EQ(evaluate_lone_marker(c, {.key = "k", .created_ms = kJan15 + kHour}, at(kJan15 + 3 * kDay - 1)).action,
              LifecycleAction::None);
    EXPECT_EQ(evaluate_lone_marker(c, {.key = "k", .created_ms = kJan15 + kHour}, at(kJan15 + 3 * kDay)).action,
              LifecycleAction::RemoveMarker);
}

TEST(LifecycleMarker, RulesWithTagOrSizeConditionsNeverMatchAMarker) {
    auto tagged = expire_days("tagged", 1);
    tagged.filter.tags = {{"a", "b"}};
    auto sized = expire_days("sized", 1);
    sized.filter.size_less_than = 1'000;
    auto now = kJan15 + 100 * kDay;
    EXPECT_EQ(evaluate_lone_marker({{tagged, sized}}, {.key = "k", .created_ms = kJan15}, at(now)).action,
              LifecycleAction::None);
}

TEST(LifecycleUpload, AbortsAnUploadDaysAfterItsInitiation) {
    LifecycleRule r;
    r.id = "abort";
    r.filter.prefix = "up/";
    r.abort_upload_days = 7;
    LifecycleConfig c{{r}};
    auto initiated = kJan15 + 5 * kHour;
    EXPECT_EQ(evaluate_upload(c, {.key = "up/x", .initiated_ms = initiated}, at(kJan15 + 8 * kDay - 1)).action,
              LifecycleAction::None);
    auto v = evaluate_upload(c, {.key = "up/x", .initiated_ms = initiated}, at(kJan15 + 8 * kDay));
    EXPECT_EQ(v.action, LifecycleAction::AbortUpload);
    EXPECT_EQ(v.rule_id, "abort");
    EXPECT_EQ(evaluate_upload(c, {.key = "down/x", .initiated_ms = initiated}, at(kJan15 + 80 * kDay)).action,
              LifecycleAction::None);
}

// Clocks (docs/lifecycle.md, "Clocks"): a version is stamped by the
// gateway that wrote it, and the worker on RADOS may run up to the margin
// (5 minutes) ahead of it. S3's instant, by the writer's clock: created
// 2014-01-15 10:30 with Days 3, due 2014-01-19 00:00. With the margin, no
// action of any kind is taken before that instant plus the margin on the
// worker's clock, so a writer's clock the margin behind has reached it.
TEST(LifecycleClocks, NothingIsDueBeforeItsInstantOnEveryClockWithinTheMargin) {
    constexpr TimestampMs kMargin = 5 * 60 * 1000;
    const TimestampMs created = kJan15 + 10 * kHour + 30 * 60 * 1000;
    const TimestampMs due = kJan15 + 4 * kDay;  // 2014-01-19T00:00:00Z
    ASSERT_EQ(lifecycle_due_ms(created, 3, kDay), due);
    auto clock = [&](TimestampMs now) { return LifecycleClock{.now_ms = now, .day_ms = kDay, .margin_ms = kMargin}; };
    LifecycleConfig days{{expire_days("r", 3)}};
    LifecycleRule date;
    date.id = "date";
    date.expiration = LifecycleExpiration{.date_ms = due};
    LifecycleRule noncurrent;
    noncurrent.id = "nc";
    noncurrent.noncurrent_expiration = LifecycleNoncurrentExpiration{.noncurrent_days = 3};
    LifecycleRule abort;
    abort.id = "abort";
    abort.abort_upload_days = 3;
    LifecycleRule eodm;
    eodm.id = "eodm";
    eodm.expiration = LifecycleExpiration{.expired_object_delete_marker = true};
    // Each action at its instant + margin - 1 (None) and + margin (due).
    for (const TimestampMs late : {TimestampMs{0}, TimestampMs{1}}) {
        const TimestampMs now = due + kMargin - 1 + late;
        const auto want = [&](LifecycleAction a) { return late ? a : LifecycleAction::None; };
        SCOPED_TRACE(late ? "at the instant plus the margin" : "a millisecond before");
        EXPECT_EQ(evaluate_current(days, {.key = "k", .last_modified_ms = created}, clock(now)).action,
                  want(LifecycleAction::ExpireCurrent));
        EXPECT_EQ(evaluate_current({{date}}, {.key = "k", .last_modified_ms = kJan15}, clock(now)).action,
                  want(LifecycleAction::ExpireCurrent));
        EXPECT_EQ(evaluate_noncurrent({{noncurrent}}, {.key = "k", .noncurrent_since_ms = created}, clock(now)).action,
                  want(LifecycleAction::DeleteNoncurrent));
        EXPECT_EQ(evaluate_lone_marker(days, {.key = "k", .created_ms = created}, clock(now)).action,
                  want(LifecycleAction::RemoveMarker));
        EXPECT_EQ(evaluate_upload({{abort}}, {.key = "k", .initiated_ms = created}, clock(now)).action,
                  want(LifecycleAction::AbortUpload));
        // ExpiredObjectDeleteMarker, "at once": once the marker's creation
        // is past on every clock.
        EXPECT_EQ(evaluate_lone_marker({{eodm}}, {.key = "k", .created_ms = due}, clock(now)).action,
                  want(LifecycleAction::RemoveMarker));
    }
    // A time stamped ahead of the worker's clock (the writer's runs ahead)
    // only makes its entry look younger: later, never earlier.
    EXPECT_EQ(evaluate_current(days, {.key = "k", .last_modified_ms = due + kHour}, clock(due + kMargin)).action,
              LifecycleAction::None);
    // Without a margin (a local volume, one host's clock): at the instant.
    EXPECT_EQ(evaluate_current(days, {.key = "k", .last_modified_ms = created}, at(due)).action,
              LifecycleAction::ExpireCurrent);
}

TEST(LifecycleClocks, TheSharedVolumesMarginIsFiveMinutesOfADayAndAsMuchOfAShortenedOne) {
    EXPECT_EQ(lifecycle_shared_clock_margin_ms(kDay), 300'000);
    EXPECT_EQ(lifecycle_shared_clock_margin_ms(365 * kDay), 300'000);  // never more
    EXPECT_EQ(lifecycle_shared_clock_margin_ms(kHour), 12'500);
    EXPECT_EQ(lifecycle_shared_clock_margin_ms(2'000), 6);    // the gateway tests' day of 2 s
    EXPECT_EQ(lifecycle_shared_clock_margin_ms(0), 300'000);  // a misconfigured day: the whole margin
}

LifecycleConfig every_field() {
    LifecycleRule a = expire_days("a", 30, "logs/");
    a.filter.tags = {{"k", "v"}, {"k2", ""}};
    a.filter.size_greater_than = 0;
    a.filter.size_less_than = 1ull << 40;
    a.filter.use_and = true;
    a.noncurrent_expiration = LifecycleNoncurrentExpiration{.noncurrent_days = 9, .newer_noncurrent_versions = 4};
    a.abort_upload_days = 2;
    LifecycleRule b;
    b.id = "b";
    b.enabled = false;
    b.filter.legacy_prefix = true;
    b.expiration = LifecycleExpiration{.date_ms = -kDay, .delete_marker_written = false};
    LifecycleRule m;
    m.id = std::string(255, 'm');
    m.expiration = LifecycleExpiration{.expired_object_delete_marker = true, .delete_marker_written = true};
    return {{a, b, m}};
}

TEST(LifecycleStoredForm, RoundTripsEveryField) {
    auto c = every_field();
    auto back = decode_lifecycle_config(encode_lifecycle_config(c));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, c);
    EXPECT_EQ(decode_lifecycle_config(encode_lifecycle_config({})), LifecycleConfig{});
}

TEST(LifecycleStoredForm, RefusesBytesItDidNotWrite) {
    auto bytes = encode_lifecycle_config(every_field());
    for (std::size_t n = 0; n < bytes.size(); ++n)
        EXPECT_FALSE(decode_lifecycle_config(bytes.substr(0, n))) << "truncated to " << n;
    EXPECT_FALSE(decode_lifecycle_config(bytes + "x"));
    auto other_version = bytes;
    other_version[0] = 2;
    EXPECT_FALSE(decode_lifecycle_config(other_version));
    auto unknown_flag = bytes;
    unknown_flag[1 + 4 + 3] = static_cast<char>(0x80);  // the first rule's flags, top byte
    EXPECT_FALSE(decode_lifecycle_config(unknown_flag));
}

}  // namespace
}  // namespace ostor::detail
