// What the RADOS layout's multi-object calls leave after a crash between
// their steps, written here directly, and how the catalogs treat it
// (docs/rados.md, "Catalog layout"). RADOS only: the local catalog makes each
// call in one transaction.
#include <gtest/gtest.h>

#include <string>

#include "rados/records_layout.hpp"

#include "catalog_stores.hpp"

namespace ostor::detail::facets_test {
namespace {

using rados::Pool;
using rados::WriteOp;

class RadosLeftovers : public CatalogFacets {};

TEST_P(RadosLeftovers, OrphanEmailClaimIsTakenOverByCreateUser) {
    auto mail = email("orphan");
    auto orphan_id = random_hex16();
    // A create_user that crashed after its claim, before its user object.
    ASSERT_OK(cluster().apply(Pool::Meta, rados::email_oid(lowercase(mail)),
                              WriteOp().create_exclusive().omap_set(std::string(rados::kEmailUserKey), orphan_id)));
    EXPECT_ERRC(ids().get_user_by_email(mail), Errc::NoSuchUser);

    auto created = ids().create_user(mail, false, false);
    ASSERT_OK(created);
    EXPECT_EQ(ids().get_user_by_email(mail)->id, created->user.id);
    // The old id is burned: a create still in progress could not make it.
    auto late = cluster().apply(Pool::Meta, rados::user_oid(orphan_id), WriteOp().create_exclusive());
    EXPECT_ERRC(late, rados::kAlreadyExists);
    EXPECT_ERRC(ids().get_user(orphan_id), Errc::NoSuchUser);
}

TEST_P(RadosLeftovers, ClaimOfADeletedUserIsTakenOver) {
    auto created = ids().create_user(email("half-deleted"), false, false);
    ASSERT_OK(created);
    // A delete_user that crashed after removing the user object.
    ASSERT_OK(cluster().remove(Pool::Meta, rados::user_oid(created->user.id)));
    EXPECT_ERRC(ids().get_user_by_email(created->user.email), Errc::NoSuchUser);
    auto all = ids().list_users();
    ASSERT_OK(all);
    for (auto& u : *all) EXPECT_NE(u.id, created->user.id);

    auto again = ids().create_user(created->user.email, false, false);
    ASSERT_OK(again);
    EXPECT_EQ(ids().get_user_by_email(created->user.email)->id, again->user.id);
}

TEST_P(RadosLeftovers, IndexEntriesWithoutTheirUserAreSkippedAndOldOnesRemoved) {
    auto fresh_id = random_hex16();
    auto old_id = random_hex16();
    ASSERT_OK(cluster().apply(Pool::Meta, rados::user_index_oid(rados::user_index_shard(fresh_id)),
                              WriteOp().omap_set(fresh_id, rados::encode_count(now_ms()))));
    ASSERT_OK(cluster().apply(Pool::Meta, rados::user_index_oid(rados::user_index_shard(old_id)),
                              WriteOp().omap_set(old_id, rados::encode_count(1))));
    auto all = ids().list_users();
    ASSERT_OK(all);
    for (auto& u : *all) {
        EXPECT_NE(u.id, fresh_id);
        EXPECT_NE(u.id, old_id);
    }
    auto fresh = cluster().omap_get(Pool::Meta, rados::user_index_oid(rados::user_index_shard(fresh_id)), {fresh_id});
    ASSERT_OK(fresh);
    EXPECT_EQ(fresh->size(), 1u) << "a create may be in progress: its entry stays";
    auto old = cluster().omap_get(Pool::Meta, rados::user_index_oid(rados::user_index_shard(old_id)), {old_id});
    ASSERT_OK(old);
    EXPECT_EQ(old->size(), 0u);
}

TEST_P(RadosLeftovers, AStaleIndexEntryIsBurnedBeforeItIsRemoved) {
    auto mail = email("slow-create");
    auto slow_id = random_hex16();
    // A create_user stalled between its index entry (long ago) and its user
    // object: claim and entry written, user object not yet.
    ASSERT_OK(cluster().apply(Pool::Meta, rados::email_oid(lowercase(mail)),
                              WriteOp().create_exclusive().omap_set(std::string(rados::kEmailUserKey), slow_id)));
    ASSERT_OK(cluster().apply(Pool::Meta, rados::user_index_oid(rados::user_index_shard(slow_id)),
                              WriteOp().omap_set(slow_id, rados::encode_count(1))));
    ASSERT_OK(ids().list_users());
    auto entry = cluster().omap_get(Pool::Meta, rados::user_index_oid(rados::user_index_shard(slow_id)), {slow_id});
    ASSERT_OK(entry);
    EXPECT_EQ(entry->size(), 0u);
    // Its step 3 now fails: no user that nothing lists.
    auto late = cluster().apply(Pool::Meta, rados::user_oid(slow_id), WriteOp().create_exclusive());
    EXPECT_ERRC(late, rados::kAlreadyExists);
    EXPECT_ERRC(ids().get_user(slow_id), Errc::NoSuchUser);
    // The email is not lost: the next create takes the claim over.
    auto created = ids().create_user(mail, false, false);
    ASSERT_OK(created);
    auto all = ids().list_users();
    ASSERT_OK(all);
    int listed = 0;
    for (auto& u : *all) listed += u.id == created->user.id;
    EXPECT_EQ(listed, 1);
}

TEST_P(RadosLeftovers, UsageObjectWithoutItsIndexEntryIsNotThere) {
    auto name = unique("usage-leftover");
    // A put that crashed after writing the object.
    ASSERT_OK(cluster().write_full(Pool::Meta, rados::usage_oid(name), "{}"));
    EXPECT_ERRC(settings().get_usage_object(name), Errc::NoSuchUsageObject);
    EXPECT_ERRC(settings().delete_usage_object(name), Errc::NoSuchUsageObject);
    auto listed = settings().list_usage_objects(name.substr(0, name.size() - 1), 1000);
    ASSERT_OK(listed);
    EXPECT_TRUE(named(*listed, name).empty());
    // An entry whose object is gone (a put racing a delete) is skipped.
    auto gone = unique("usage-gone");
    ASSERT_OK(settings().put_usage_object(gone, "{}"));
    ASSERT_OK(cluster().remove(Pool::Meta, rados::usage_oid(gone)));
    listed = settings().list_usage_objects(gone.substr(0, gone.size() - 1), 1000);
    ASSERT_OK(listed);
    EXPECT_TRUE(named(*listed, gone).empty());
    EXPECT_ERRC(settings().get_usage_object(gone), Errc::NoSuchUsageObject);
}

INSTANTIATE_TEST_SUITE_P(Backends, RadosLeftovers, ::testing::Values(Backend::Rados), backend_name);

}  // namespace
}  // namespace ostor::detail::facets_test
