// Damaged object metadata never makes a write overwrite what is stored.
//
// White-box: the damage is made in the metadata with the Engine closed.
#include <string>

#include "test_dir.hpp"
#include "test_meta.hpp"

namespace ostor::test {
namespace {

using detail::Table;
using detail::Txn;

class UnreadableObjects : public EngineTest {
protected:
    void SetUp() override {
        EngineTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_FALSE(user_with_bucket("bkt").empty());
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "src", "the source of copies")));
        ASSERT_TRUE(IsOk(put(engine(), "bkt", "k", "the object under test")));
    }
};

// A Bodies key that is no 8-byte id must not make the next body id 1, which
// would overwrite the body of the first small object.
TEST_F(UnreadableObjects, ABodiesTableEndingInAForeignKeyFailsTheWriteInsteadOfReusingId1) {
    engine_.reset();
    edit_meta(dir_.path(), [](Txn& txn) { txn.put(Table::Bodies, std::string(9, '\xFF'), "not a body"); });
    ASSERT_NO_FATAL_FAILURE(open());
    EXPECT_TRUE(FailsWith(put(engine(), "bkt", "new", "a small body"), Errc::Internal));
    EXPECT_EQ(body_of(engine(), "bkt", "src"), "the source of copies");
    EXPECT_EQ(body_of(engine(), "bkt", "k"), "the object under test");
}

}  // namespace
}  // namespace ostor::test
