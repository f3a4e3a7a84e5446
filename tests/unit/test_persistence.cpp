// What an Engine stores survives closing and reopening the directory; the
// directory knows its volume id.
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>

#include "test_dir.hpp"

namespace ostor::test {
namespace {

class Persistence : public EngineTest {};

TEST_F(Persistence, EverythingSurvivesReopen) {
    // Users, keys, accounts.
    auto admin = engine().create_user("admin@example.com", true);
    ASSERT_TRUE(admin) << admin.error().message();
    auto user = engine().create_user("User@Example.com");
    ASSERT_TRUE(user) << user.error().message();
    const std::string uid = user->user.id;
    ASSERT_TRUE(IsOk(engine().set_user_state(uid, UserState::Disabled)));
    auto key2 = engine().generate_key(uid);
    ASSERT_TRUE(key2) << key2.error().message();
    auto acc = engine().create_account(uid, "acc1");
    ASSERT_TRUE(acc) << acc.error().message();
    // Buckets and objects.
    ASSERT_TRUE(IsOk(engine().create_bucket("bkt", uid, {}, "bucket-acl")));
    ASSERT_TRUE(IsOk(engine().create_bucket("acc-bkt", uid, "acc1")));
    const std::string body = random_bytes(2 * kMiB + 9, 77);
    PutOptions opts;
    opts.meta.content_type = "text/x-persist";
    opts.meta.user = {{"a", "1"}};
    auto obj = put(engine(), "bkt", "dir/obj", body, opts);
    ASSERT_TRUE(obj) << obj.error().message();
    ASSERT_TRUE(IsOk(put(engine(), "acc-bkt", "small", "small body")));
    ASSERT_TRUE(IsOk(engine().copy_object("bkt", "dir/obj", "acc-bkt", "copy")));
    // An upload in progress.
    auto up = engine().create_upload("bkt", "mp");
    ASSERT_TRUE(up) << up.error().message();
    const std::string part1 = random_bytes(5 * kMiB, 78);
    auto p1 = engine().upload_part(up->id, 1, as_bytes(part1));
    ASSERT_TRUE(p1) << p1.error().message();
    // Limits, quotas, usage objects.
    ASSERT_TRUE(IsOk(engine().set_limit(LimitTarget::user(uid), LimitSetting::ops(OpClass::Get, 3600))));
    ASSERT_TRUE(IsOk(engine().set_limit(LimitTarget::bucket("bkt"), LimitSetting::bandwidth_out(100))));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::user(uid), 10)));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::bucket("bkt"), 5)));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::default_user(), 100)));
    ASSERT_TRUE(IsOk(engine().set_quota(QuotaTarget::default_bucket(), 50)));
    ASSERT_TRUE(IsOk(engine().put_usage_object("s3-usage-1-2024-01-01T00:00:00.000Z-3600", "{\"ver\":1}")));
    auto bucket_before = engine().get_bucket("bkt");
    ASSERT_TRUE(bucket_before) << bucket_before.error().message();
    const std::string volume = engine().volume_id();

    ASSERT_NO_FATAL_FAILURE(reopen());

    EXPECT_EQ(engine().volume_id(), volume);
    auto u = engine().get_user_by_email("user@example.com");
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->id, uid);
    EXPECT_EQ(u->email, "User@Example.com");
    EXPECT_EQ(u->state, UserState::Disabled);
    EXPECT_EQ(u->created_ms, user->user.created_ms);
    auto a = engine().get_user(admin->user.id);
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_TRUE(a->system);
    auto users = engine().list_users();
    ASSERT_TRUE(users) << users.error().message();
    EXPECT_EQ(users->size(), 2u);

    auto k1 = engine().lookup_key(user->key->access_key_id);
    ASSERT_TRUE(k1) << k1.error().message();
    EXPECT_EQ(k1->secret, user->key->secret);
    auto k2 = engine().lookup_key(key2->access_key_id);
    ASSERT_TRUE(k2) << k2.error().message();
    EXPECT_EQ(k2->secret, key2->secret);
    auto ka = engine().lookup_key(acc->key->access_key_id);
    ASSERT_TRUE(ka) << ka.error().message();
    EXPECT_EQ(ka->account, "acc1");
    EXPECT_TRUE(FailsWith(engine().generate_key(uid), Errc::TooManyAccessKeys));  // still 2
    auto accounts = engine().list_accounts(uid);
    ASSERT_TRUE(accounts) << accounts.error().message();
    ASSERT_EQ(accounts->size(), 1u);
    EXPECT_EQ((*accounts)[0].name, "acc1");

    auto b = engine().get_bucket("bkt");
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->owner_id, uid);
    EXPECT_EQ(b->acl, "bucket-acl");
    EXPECT_EQ(b->epoch, bucket_before->epoch);
    EXPECT_EQ(b->created_ms, bucket_before->created_ms);
    EXPECT_EQ(b->objects, bucket_before->objects);
    EXPECT_EQ(b->bytes, bucket_before->bytes);
    auto ab = engine().get_bucket("acc-bkt");
    ASSERT_TRUE(ab) << ab.error().message();
    EXPECT_EQ(ab->account, "acc1");

    auto head = engine().head_object("bkt", "dir/obj");
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(head->etag, obj->etag);
    EXPECT_EQ(head->last_modified_ms, obj->last_modified_ms);
    EXPECT_EQ(head->meta.content_type, "text/x-persist");
    EXPECT_EQ(head->meta.user, opts.meta.user);
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "dir/obj"), body));
    EXPECT_EQ(body_of(engine(), "acc-bkt", "small"), "small body");
    EXPECT_TRUE(SameBytes(body_of(engine(), "acc-bkt", "copy"), body));

    auto parts = engine().list_parts(up->id);
    ASSERT_TRUE(parts) << parts.error().message();
    ASSERT_EQ(parts->parts.size(), 1u);
    EXPECT_EQ(parts->parts[0].etag, p1->etag);
    auto p2 = engine().upload_part(up->id, 2, as_bytes("tail"));
    ASSERT_TRUE(p2) << p2.error().message();
    auto done = engine().complete_upload(up->id, {{1, p1->etag}, {2, p2->etag}});
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "mp"), part1 + "tail"));

    auto lim = engine().get_limits(LimitTarget::user(uid));
    ASSERT_TRUE(lim) << lim.error().message();
    EXPECT_EQ(lim->ops_get, 3600);
    auto blim = engine().get_limits(LimitTarget::bucket("bkt"));
    ASSERT_TRUE(blim) << blim.error().message();
    EXPECT_EQ(blim->bandwidth_out_kbps, 100u);
    auto q = engine().get_quota(QuotaTarget::user(uid));
    ASSERT_TRUE(q) << q.error().message();
    EXPECT_EQ(q->value_or(0), 10u);
    auto bq = engine().get_quota(QuotaTarget::bucket("bkt"));
    ASSERT_TRUE(bq) << bq.error().message();
    EXPECT_EQ(bq->value_or(0), 5u);
    auto duq = engine().get_quota(QuotaTarget::default_user());
    ASSERT_TRUE(duq) << duq.error().message();
    EXPECT_EQ(duq->value_or(0), 100u);
    auto dbq = engine().get_quota(QuotaTarget::default_bucket());
    ASSERT_TRUE(dbq) << dbq.error().message();
    EXPECT_EQ(dbq->value_or(0), 50u);
    auto uo = engine().get_usage_object("s3-usage-1-2024-01-01T00:00:00.000Z-3600");
    ASSERT_TRUE(uo) << uo.error().message();
    EXPECT_EQ(*uo, "{\"ver\":1}");
}

TEST_F(Persistence, DeletionsSurviveReopen) {
    std::string uid = user_with_bucket("bkt");
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "gone", "x")));
    ASSERT_TRUE(IsOk(put(engine(), "bkt", "kept", "y")));
    ASSERT_TRUE(IsOk(engine().delete_object("bkt", "gone")));
    std::string other = user_with_bucket("other-bkt", "other@example.com");
    ASSERT_TRUE(IsOk(engine().delete_bucket("other-bkt")));
    ASSERT_TRUE(IsOk(engine().delete_user(other)));
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_TRUE(FailsWith(engine().head_object("bkt", "gone"), Errc::NoSuchKey));
    EXPECT_EQ(body_of(engine(), "bkt", "kept"), "y");
    EXPECT_TRUE(FailsWith(engine().get_bucket("other-bkt"), Errc::NoSuchBucket));
    EXPECT_TRUE(FailsWith(engine().get_user(other), Errc::NoSuchUser));
    auto u = engine().get_user_usage(uid);
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->bytes, 1u);
    EXPECT_EQ(u->objects, 1u);
    EXPECT_EQ(u->reserved, 0u);
}

TEST_F(Persistence, WritesAfterReopenDoNotDisturbEarlierData) {
    user_with_bucket("bkt");
    std::vector<std::string> bodies;
    for (int i = 0; i < 5; ++i) {
        bodies.push_back(random_bytes(100000 + i, 200 + i));
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "before-" + std::to_string(i), bodies.back())));
    }
    ASSERT_NO_FATAL_FAILURE(reopen());
    for (int i = 0; i < 5; ++i) {
        bodies.push_back(random_bytes(100000 + i, 300 + i));
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "after-" + std::to_string(i), bodies.back())));
    }
    ASSERT_NO_FATAL_FAILURE(reopen());
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "before-" + std::to_string(i)), bodies[i])) << i;
        EXPECT_TRUE(SameBytes(body_of(engine(), "bkt", "after-" + std::to_string(i)), bodies[5 + i])) << i;
    }
}

TEST_F(Persistence, LayoutAndVolumeIdAreKept) {
    SKIP_ON_RADOS("the data directory's layout and volume.id file");
    const std::string volume = engine().volume_id();
    ASSERT_EQ(volume.size(), 16u);
    for (char c : volume) EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(c))) << volume;
    EXPECT_EQ(engine().directory(), dir_.path());
    EXPECT_TRUE(fs::is_directory(dir_.path() / "meta"));
    EXPECT_TRUE(fs::is_directory(dir_.path() / "blobs"));
    ASSERT_TRUE(fs::is_regular_file(dir_.path() / "volume.id"));
    std::ifstream in(dir_.path() / "volume.id");
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_NE(ss.str().find(volume), std::string::npos) << "volume.id holds '" << ss.str() << "'";
    ASSERT_NO_FATAL_FAILURE(reopen());
    EXPECT_EQ(engine().volume_id(), volume);
}

// A volume whose volume.id was lost is refused before anything is written:
// a new id would not match the one in its metadata, and this open and every
// later one would fail with VolumeMismatch. Putting the id back recovers it.
TEST_F(Persistence, AVolumeWithoutItsVolumeIdIsRefusedAndChangesNothing) {
    SKIP_ON_RADOS("removes the data directory's volume.id file");
    const auto id_file = dir_.path() / "volume.id";
    std::string saved_id;
    {
        std::ifstream in(id_file);
        ASSERT_TRUE(in >> saved_id);
    }
    engine_.reset();
    ASSERT_TRUE(fs::remove(id_file));
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto r = open_engine(dir_.path());
        ASSERT_TRUE(FailsWith(r, Errc::InvalidArgument)) << "attempt " << attempt;
        EXPECT_NE(r.error().message().find("volume.id"), std::string::npos) << r.error().message();
        EXPECT_FALSE(fs::exists(id_file)) << "attempt " << attempt;
        EXPECT_FALSE(fs::exists(dir_.path() / "volume.id.tmp")) << "attempt " << attempt;
    }
    {
        std::ofstream out(id_file);
        out << saved_id << "\n";
    }
    ASSERT_NO_FATAL_FAILURE(open());
    EXPECT_EQ(engine().volume_id(), saved_id);
}

TEST(PersistenceOptions, VolumeIdGivenAtCreationIsUsed) {
    TestDir dir;
    EngineOptions o;
    o.volume_id = "0123456789abcdef";
    auto e = open_engine(dir.path(), o);
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_EQ((*e)->volume_id(), "0123456789abcdef");
    e->reset();
    auto again = open_engine(dir.path());  // no id given: accepted
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ((*again)->volume_id(), "0123456789abcdef");
}

TEST(PersistenceOptions, OpeningWithAnotherVolumeIdIsVolumeMismatch) {
    TestDir dir;
    EngineOptions o;
    o.volume_id = "0123456789abcdef";
    {
        auto e = open_engine(dir.path(), o);
        ASSERT_TRUE(e) << e.error().message();
    }
    EngineOptions other;
    other.volume_id = "fedcba9876543210";
    EXPECT_TRUE(FailsWith(open_engine(dir.path(), other), Errc::VolumeMismatch));
    auto same = open_engine(dir.path(), o);
    EXPECT_TRUE(same) << same.error().message();
}

TEST(PersistenceOptions, CreateIfMissingFalseOnEmptyDirectoryFails) {
    TestDir dir;
    EngineOptions o;
    o.create_if_missing = false;
    EXPECT_TRUE(FailsWith(open_engine(dir.path(), o), Errc::InvalidArgument));
    EXPECT_TRUE(FailsWith(open_engine(dir.sub("does-not-exist"), o), Errc::InvalidArgument));
    EXPECT_FALSE(fs::exists(dir.path() / "meta"));
    EXPECT_FALSE(fs::exists(dir.path() / "volume.id"));
    EXPECT_FALSE(fs::exists(dir.sub("does-not-exist")));
}

TEST(PersistenceOptions, CreateIfMissingFalseOpensAnExistingDirectory) {
    TestDir dir;
    {
        auto e = open_engine(dir.path());
        ASSERT_TRUE(e) << e.error().message();
        ASSERT_TRUE(IsOk((*e)->create_user("kept@example.com")));
    }
    EngineOptions o;
    o.create_if_missing = false;
    auto e = open_engine(dir.path(), o);
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_TRUE(IsOk((*e)->get_user_by_email("kept@example.com")));
}

TEST(PersistenceOptions, CreatesAMissingDirectory) {
    SKIP_ON_RADOS("creates a missing data directory");
    TestDir dir;
    auto e = open_engine(dir.sub("nested") / "data");
    ASSERT_TRUE(e) << e.error().message();
    EXPECT_TRUE(fs::is_directory(dir.sub("nested") / "data" / "meta"));
}

TEST(PersistenceOptions, SecondOpenInTheSameProcessIsRefusedUntilTheFirstCloses) {
    SKIP_ON_RADOS("one Engine per data directory in a process (several Engines may open one RADOS volume)");
    TestDir dir;
    auto first = open_engine(dir.path());
    ASSERT_TRUE(first) << first.error().message();
    // Through another spelling of the same path, too.
    EXPECT_TRUE(FailsWith(open_engine(dir.path() / "." / "meta" / ".."), Errc::InvalidArgument));
    first->reset();
    auto again = open_engine(dir.path());
    EXPECT_TRUE(again) << again.error().message();
}

}  // namespace
}  // namespace ostor::test
