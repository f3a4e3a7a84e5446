// The lifecycle worker (gateway-lite/lifecycle_worker.cpp, lifecycle_pass.cpp) on a local volume,
// with an object that cannot be read: a failure other than "gone" makes the
// worker do the page again (in the same pass) rather than pass the object
// over, and a bucket that keeps failing is skipped after a few attempts so
// that the buckets after it still get their pass. And a record of a last pass
// dated after now (a clock that ran ahead) does not hold the next one back,
// a record of an earlier version under way goes on where it was, and the
// decision on a key listed again after its "null" version is by version id.
//
// White-box: the damage is made in the metadata with the Engine closed, as
// in test_unreadable_objects.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <variant>

#include "codec.hpp"
#include "lifecycle/lifecycle_rules.hpp"
#include "lifecycle_config.hpp"
#include "lifecycle_state.hpp"
#include "lifecycle_worker.hpp"
#include "local/object_index.hpp"
#include "records.hpp"
#include "test_dir.hpp"
#include "test_meta.hpp"

namespace ostor::test {
namespace {

using detail::Table;
using detail::Txn;

// A lifecycle day and interval long enough that nothing runs twice unless
// the test asks for it (a new worker).
constexpr auto kHour = std::chrono::milliseconds(std::chrono::hours(1));
constexpr auto kShortInterval = std::chrono::milliseconds(50);
// How long a test waits for what the worker should have done by then.
constexpr auto kWorkerWait = std::chrono::seconds(20);
constexpr auto kPoll = std::chrono::milliseconds(20);
constexpr std::int64_t kTenDaysMs = 10LL * 24 * 3600 * 1000;

// Rules that expire what they cover at once (a date in the past); one with a
// tag filter makes the worker read each object's record (head_object).
constexpr std::string_view kTaggedRule =
    "<LifecycleConfiguration><Rule><ID>tagged</ID><Filter><Tag><Key>class</Key><Value>tmp</Value></Tag></Filter>"
    "<Status>Enabled</Status><Expiration><Date>2020-01-01T00:00:00Z</Date></Expiration></Rule>"
    "</LifecycleConfiguration>";
constexpr std::string_view kAllRule =
    "<LifecycleConfiguration><Rule><ID>all</ID><Filter><Prefix></Prefix></Filter>"
    "<Status>Enabled</Status><Expiration><Date>2020-01-01T00:00:00Z</Date></Expiration></Rule>"
    "</LifecycleConfiguration>";

bool wait_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kWorkerWait;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(kPoll);
    }
    return true;
}

class LifecycleWorkerTest : public EngineTest {
protected:
    void configure(const std::string& bucket, std::string_view xml) {
        auto parsed = gw::parse_lifecycle_config(xml);
        ASSERT_TRUE(std::holds_alternative<detail::LifecycleConfig>(parsed));
        auto set =
            engine().set_bucket_config(bucket, gw::kLifecycleConfigKind,
                                       detail::encode_lifecycle_config(std::get<detail::LifecycleConfig>(parsed)));
        ASSERT_TRUE(set) << set.error().message();
    }
    // Objects "a" and "z" in bkt, every object due (kAllRule), and a pass
    // under way recorded by a gateway of the version before (lifecycle-3,
    // without the key's current), begun `ahead_ms` after now (a now later
    // than the objects' stamps: the pass's), past "m" in bkt.
    void two_objects_and_a_pass_past_m(std::int64_t ahead_ms) {
        ASSERT_FALSE(user_with_bucket("bkt").empty());
        ASSERT_NO_FATAL_FAILURE(configure("bkt", kAllRule));
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "a", "body")));
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "z", "body")));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const std::int64_t pass_ms = now_ms() + ahead_ms;
        auto field = [](const std::string& v) { return std::to_string(v.size()) + ":" + v; };
        const std::string record = field("lifecycle-3") + field(std::to_string(pass_ms)) + field("-1") + field("bkt") +
                                   field("0") + field("m") + field("") + field("0") + field("") + field("-1") +
                                   field("0");
        ASSERT_TRUE(IsOk(engine().swap_role_state("lifecycle", std::nullopt, record)));
    }
    void put_tagged(const std::string& bucket, const std::string& key) {
        PutOptions options;
        options.meta.tags = {{"class", "tmp"}};
        ASSERT_TRUE(IsOk(put(engine(), bucket, key, "a small body", options)));
    }
    static std::string body_key(std::uint64_t id) {
        std::string k;
        detail::append_be64(k, id);
        return k;
    }
    // Closes the engine and removes (or puts back) the body row of
    // bucket/key: head_object then fails with Internal, the listing does not.
    void break_body(const std::string& bucket, const std::string& key) {
        engine_.reset();
        edit_meta(dir_.path(), [&](Txn& txn) {
            auto v = txn.get(Table::Objects, detail::object_index_key(bucket, key));
            ASSERT_TRUE(v.has_value());
            auto rec = detail::decode_object(*v);
            ASSERT_TRUE(rec.has_value());
            ASSERT_NE(rec->body_id, 0u);
            body_key_ = body_key(rec->body_id);
            auto body = txn.get(Table::Bodies, body_key_);
            ASSERT_TRUE(body.has_value());
            body_ = std::string(*body);
            ASSERT_TRUE(txn.del(Table::Bodies, body_key_));
        });
        ASSERT_NO_FATAL_FAILURE(open());
        auto head = engine().head_object(bucket, key);
        ASSERT_FALSE(head);
        ASSERT_NE(head.error().code(), Errc::NoSuchKey);
        ListObjectsParams params;
        ASSERT_TRUE(engine().list_objects(bucket, params));
    }
    void mend_body() {
        engine_.reset();
        edit_meta(dir_.path(), [&](Txn& txn) { txn.put(Table::Bodies, body_key_, body_); });
        ASSERT_NO_FATAL_FAILURE(open());
    }
    std::unique_ptr<gw::LifecycleWorker> start_worker(std::chrono::milliseconds interval,
                                                      std::chrono::milliseconds clock_margin = {}) {
        gw::LifecycleWorkerOptions options;
        options.day = kHour;
        options.interval = interval;
        options.page_pause = std::chrono::milliseconds(0);
        options.clock_margin = clock_margin;
        return std::make_unique<gw::LifecycleWorker>(engine(), options);
    }
    bool gone(const std::string& bucket, const std::string& key) {
        auto head = engine().head_object(bucket, key);
        return !head && head.error().code() == Errc::NoSuchKey;
    }

    std::string body_key_;
    std::string body_;
};

// An object that could not be read once is expired when the page is done
// again, in the same pass (a day later would be too late for a rule).
TEST_F(LifecycleWorkerTest, AnObjectThatFailedOnceIsExpiredInTheSamePass) {
    SKIP_ON_RADOS("writes unreadable LMDB records");
    ASSERT_FALSE(user_with_bucket("bad").empty());
    ASSERT_NO_FATAL_FAILURE(configure("bad", kTaggedRule));
    ASSERT_NO_FATAL_FAILURE(put_tagged("bad", "k"));
    ASSERT_NO_FATAL_FAILURE(break_body("bad", "k"));
    {
        // One attempt (the interval is an hour): it fails on "k".
        auto worker = start_worker(kHour);
        ASSERT_TRUE(wait_until([&] {
            auto r = engine().role_state("lifecycle");
            return r && r->has_value();
        }));
    }
    EXPECT_FALSE(gone("bad", "k"));
    ASSERT_NO_FATAL_FAILURE(mend_body());
    // The pass under way goes on where it was: at the page of "k".
    auto worker = start_worker(kHour);
    EXPECT_TRUE(wait_until([&] { return gone("bad", "k"); })) << "the object was passed over for the day";
}

// A bucket that fails at every attempt is skipped, and the buckets after it
// get their pass.
TEST_F(LifecycleWorkerTest, ABucketThatKeepsFailingDoesNotStopTheOthers) {
    SKIP_ON_RADOS("writes unreadable LMDB records");
    const auto owner = user_with_bucket("bad");
    ASSERT_FALSE(owner.empty());
    ASSERT_NO_FATAL_FAILURE(make_bucket("later", owner));
    ASSERT_NO_FATAL_FAILURE(configure("bad", kTaggedRule));
    ASSERT_NO_FATAL_FAILURE(configure("later", kAllRule));
    ASSERT_NO_FATAL_FAILURE(put_tagged("bad", "k"));
    ASSERT_TRUE(IsOk(put(engine(), "later", "o", "body")));
    ASSERT_NO_FATAL_FAILURE(break_body("bad", "k"));
    auto worker = start_worker(kShortInterval);
    EXPECT_TRUE(wait_until([&] { return gone("later", "o"); })) << "the failing bucket held the pass back";
    worker.reset();
    // The object that could not be read is left, not deleted unread.
    ListObjectsParams params;
    auto listed = engine().list_objects("bad", params);
    ASSERT_TRUE(listed) << listed.error().message();
    ASSERT_EQ(listed->objects.size(), 1u);
}

// A last pass dated after now (a clock that was ahead when it was written)
// is stale: a pass begins at once rather than on that day.
TEST_F(LifecycleWorkerTest, ALastPassDatedInTheFutureDoesNotHoldBackTheNext) {
    ASSERT_FALSE(user_with_bucket("bkt").empty());
    ASSERT_NO_FATAL_FAILURE(configure("bkt", kAllRule));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "o", "body")));
    // The record a finished pass leaves ("<length>:<field>" each: version,
    // no pass under way, the last pass's start, bucket, phase, markers,
    // failures, the versioned listing's marker and what it knows of its
    // key, that key's current, the version before a "null" marker), its
    // start ten days ahead.
    auto field = [](const std::string& v) { return std::to_string(v.size()) + ":" + v; };
    const std::string record = field("lifecycle-5") + field("0") + field(std::to_string(now_ms() + kTenDaysMs)) +
                               field("") + field("0") + field("") + field("") + field("0") + field("") + field("-1") +
                               field("0") + field("") + field("");
    ASSERT_TRUE(IsOk(engine().swap_role_state("lifecycle", std::nullopt, record)));
    auto worker = start_worker(kHour);
    EXPECT_TRUE(wait_until([&] { return gone("bkt", "o"); })) << "the stale record held the pass back";
}

// Clocks (docs/lifecycle.md, "Clocks"): a pass acts only on what was due a
// clock margin before its `now` (by a writer's clock behind the worker's by
// up to the margin, it is due then). Two buckets whose Date rules fell
// 1 s and 60 s before the worker started, with a 10 s margin: in one pass
// the second's object is expired, the first's kept for the next pass.
TEST_F(LifecycleWorkerTest, APassActsOnlyOnWhatWasDueAClockMarginBeforeIt) {
    constexpr auto kMargin = std::chrono::seconds(10);
    const auto owner = user_with_bucket("a-recent");
    ASSERT_FALSE(owner.empty());
    ASSERT_NO_FATAL_FAILURE(make_bucket("b-older", owner));
    auto date_rule = [&](const std::string& bucket, TimestampMs date_ms) {
        detail::LifecycleRule r;
        r.id = "date";
        r.expiration = detail::LifecycleExpiration{.date_ms = date_ms};
        auto set = engine().set_bucket_config(bucket, gw::kLifecycleConfigKind,
                                              detail::encode_lifecycle_config(detail::LifecycleConfig{{r}}));
        ASSERT_TRUE(set) << set.error().message();
    };
    ASSERT_TRUE(IsOk(put(engine(), "a-recent", "o", "body")));
    ASSERT_TRUE(IsOk(put(engine(), "b-older", "o", "body")));
    const auto start = now_ms();
    ASSERT_NO_FATAL_FAILURE(date_rule("a-recent", start - 1'000));
    ASSERT_NO_FATAL_FAILURE(date_rule("b-older", start - 60'000));
    auto worker = start_worker(kHour, kMargin);
    // Buckets go in name order: once b-older's object is gone, a-recent's was judged.
    ASSERT_TRUE(wait_until([&] { return gone("b-older", "o"); })) << "the object due a minute ago was kept";
    auto state = engine().role_state("lifecycle");
    ASSERT_TRUE(state && state->has_value());
    auto pass = gw::lifecycle::decode_state(**state);
    ASSERT_TRUE(pass.has_value());
    const auto pass_start = pass->pass_ms != 0 ? pass->pass_ms : pass->last_pass_ms;
    ASSERT_LT(pass_start - start, std::chrono::milliseconds(kMargin).count() - 1'000)
        << "the pass began too late for the case (a slow machine)";
    EXPECT_FALSE(gone("a-recent", "o")) << "an object due within the clock margin before the pass was expired";
}

// One pass a day, begun a clock margin into the day (what fell due at its
// midnight is due by then, with the margin); a last pass dated after now
// within the margin is a holder's whose clock is a little ahead (its day
// is done), beyond it a clock that ran ahead (stale: a pass starts).
TEST(LifecyclePassDue, OncePerDayAMarginInAndAFutureDateOnlyBeyondTheMargin) {
    gw::LifecycleWorkerOptions options;
    options.day = std::chrono::milliseconds(1'000);
    options.clock_margin = std::chrono::milliseconds(10);
    EXPECT_TRUE(gw::lifecycle_pass_due(-1, 5'500, options));
    EXPECT_FALSE(gw::lifecycle_pass_due(5'010, 5'999, options));
    // A pass begun less than the margin into its day (the first, or one
    // after a stale date) covered the day before: another a margin in.
    EXPECT_FALSE(gw::lifecycle_pass_due(5'002, 5'009, options));
    EXPECT_TRUE(gw::lifecycle_pass_due(5'002, 5'010, options));
    EXPECT_FALSE(gw::lifecycle_pass_due(5'999, 6'009, options));  // the new day, less than the margin in
    EXPECT_TRUE(gw::lifecycle_pass_due(5'999, 6'010, options));
    EXPECT_FALSE(gw::lifecycle_pass_due(6'015, 6'005, options));  // ahead by 10: within the margin
    EXPECT_TRUE(gw::lifecycle_pass_due(6'016, 6'005, options));   // ahead by 11: stale
    options.clock_margin = {};
    EXPECT_TRUE(gw::lifecycle_pass_due(5'999, 6'000, options));  // no margin: at midnight
    EXPECT_TRUE(gw::lifecycle_pass_due(6'015, 6'005, options));  // and any date ahead is stale
}

// The margin a gateway's worker takes: none on a local volume (one host's
// clock), the RADOS margin's share of the day on RADOS.
TEST_F(LifecycleWorkerTest, TheClockMarginIsTheVolumes) {
    const auto margin = gw::lifecycle_clock_margin(engine(), kHour);
    EXPECT_EQ(margin.count(), on_rados() ? 12'500 : 0);
    EXPECT_EQ(gw::lifecycle_clock_margin(engine(), std::chrono::hours(24)).count(), on_rados() ? 300'000 : 0);
}

// A pass under way dated days ahead (begun by a holder whose clock ran
// ahead) starts over, dated now: going on would act on what is due only by
// that date.
TEST_F(LifecycleWorkerTest, APassUnderWayDatedAheadStartsOver) {
    ASSERT_NO_FATAL_FAILURE(two_objects_and_a_pass_past_m(3 * 24 * 3'600'000LL));
    auto worker = start_worker(kHour);
    EXPECT_TRUE(wait_until([&] { return gone("bkt", "a"); })) << "the pass went on from its position";
    EXPECT_TRUE(wait_until([&] { return gone("bkt", "z"); }));
}

// A pass under way recorded by a gateway of the version before goes on from
// its position after an upgrade's handover: it does not start over.
TEST_F(LifecycleWorkerTest, APassUnderWayRecordedByTheVersionBeforeGoesOn) {
    // Begun now (not ahead: a pass dated ahead starts over): "a" was done before.
    ASSERT_NO_FATAL_FAILURE(two_objects_and_a_pass_past_m(0));
    auto worker = start_worker(kHour);
    EXPECT_TRUE(wait_until([&] { return gone("bkt", "z"); })) << "the pass did not go on";
    // Keys are done in order: "a" would have gone first had the pass started over.
    EXPECT_FALSE(gone("bkt", "a")) << "the pass started over";
}

// A page resuming in a key after its "null" version: the key was listed
// again from its newest (the null gone) when the first version is the one
// listed before the null or newer, which only the ids tell (instances sort
// newest first; last-modified is a writer's wall clock).
TEST(LifecycleRelistedAfterNull, DecidedByVersionIdOrder) {
    const std::string newer =
        "fffffe0000000000"
        "00000001";
    const std::string before =
        "fffffe0000000001"
        "00000002";  // listed just before the null
    const std::string older =
        "fffffe0000000002"
        "00000003";  // under the null
    EXPECT_TRUE(gw::relisted_after_null(before, before));
    EXPECT_TRUE(gw::relisted_after_null(newer, before));
    EXPECT_FALSE(gw::relisted_after_null(older, before));
    // The null was the key's first: only a "null" again is a restart.
    EXPECT_TRUE(gw::relisted_after_null("null", ""));
    EXPECT_FALSE(gw::relisted_after_null(older, ""));
    // Not an instance: not ordered, taken for a restart (a delay).
    EXPECT_TRUE(gw::relisted_after_null("null", before));
    EXPECT_TRUE(gw::relisted_after_null("FFFFFE000000000200000003", before));
}

}  // namespace
}  // namespace ostor::test
