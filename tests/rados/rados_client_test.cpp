// The librados client (libengine/src/rados/) against a real single-node Ceph
// cluster: run by run_with_cluster.sh, which starts the cluster and names it
// in OSTOR_TEST_VOLUME.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rados/client.hpp"

namespace ostor::detail::rados {
namespace {

using namespace std::chrono_literals;

VolumeSpec test_volume() {
    const char* text = std::getenv("OSTOR_TEST_VOLUME");
    if (!text) {
        ADD_FAILURE() << "OSTOR_TEST_VOLUME is not set: run this through tests/rados/run_with_cluster.sh";
        std::abort();
    }
    auto spec = VolumeSpec::parse(text);
    if (!spec) {
        ADD_FAILURE() << spec.error().message();
        std::abort();
    }
    return *spec;
}

std::filesystem::path cluster_dir() { return std::getenv("OSTOR_TEST_CEPH_DIR"); }

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void spit(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

std::unique_ptr<Client> connect_or_die(const VolumeSpec& spec) {
    auto client = Client::connect(spec);
    if (!client) {
        ADD_FAILURE() << "connect: " << client.error().message();
        std::abort();
    }
    return std::move(*client);
}

class RadosClient : public ::testing::Test {
protected:
    static void SetUpTestSuite() { client_ = connect_or_die(test_volume()); }
    static void TearDownTestSuite() { client_.reset(); }
    // An object name of this test's own.
    static std::string oid(const std::string& what) {
        return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "." + what;
    }
    static Client& c() { return *client_; }

private:
    static inline std::unique_ptr<Client> client_;
};

TEST_F(RadosClient, Connect_NamesTheThreePools) {
    auto prefix = test_volume().pool_prefix;
    EXPECT_EQ(c().pool_name(Pool::Meta), prefix + ".meta");
    EXPECT_EQ(c().pool_name(Pool::Index), prefix + ".index");
    EXPECT_EQ(c().pool_name(Pool::Data), prefix + ".data");
}

TEST_F(RadosClient, Objects_WriteReadStatRemove) {
    auto o = oid("obj");
    ASSERT_TRUE(c().write_full(Pool::Data, o, "hello rados"));
    auto whole = c().read(Pool::Data, o);
    ASSERT_TRUE(whole) << whole.error().message();
    EXPECT_EQ(*whole, "hello rados");
    auto part = c().read(Pool::Data, o, 6, 3);
    ASSERT_TRUE(part);
    EXPECT_EQ(*part, "rad");
    auto past_end = c().read(Pool::Data, o, 6, 100);
    ASSERT_TRUE(past_end);
    EXPECT_EQ(*past_end, "rados");
    auto st = c().stat(Pool::Data, o);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->size_bytes, 11u);
    EXPECT_GT(st->mtime_s, 0);

    ASSERT_TRUE(c().write_full(Pool::Data, o, "short"));
    EXPECT_EQ(*c().read(Pool::Data, o), "short");  // write_full replaces, does not overlay

    ASSERT_TRUE(c().remove(Pool::Data, o));
    auto gone = c().read(Pool::Data, o);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), kNotFound);
    EXPECT_NE(gone.error().message().find(c().pool_name(Pool::Data) + "/" + o), std::string_view::npos)
        << gone.error().message();
    auto again = c().remove(Pool::Data, o);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), kNotFound);
    EXPECT_EQ(c().stat(Pool::Data, o).error().code(), kNotFound);
}

TEST_F(RadosClient, CreateExclusive_FailsWhenTheObjectExists) {
    auto o = oid("name");
    ASSERT_TRUE(c().create_exclusive(Pool::Meta, o, "owner=alice"));
    auto second = c().create_exclusive(Pool::Meta, o, "owner=bob");
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code(), kAlreadyExists);
    EXPECT_EQ(*c().read(Pool::Meta, o), "owner=alice");
    ASSERT_TRUE(c().remove(Pool::Meta, o));
}

TEST_F(RadosClient, Omap_SetGetListRemove) {
    auto o = oid("index");
    std::map<std::string, std::string> entries;
    for (int i = 0; i < 25; ++i) entries["a/" + std::to_string(100 + i)] = "v" + std::to_string(i);
    entries["b/1"] = "other";
    ASSERT_TRUE(c().apply(Pool::Index, o, WriteOp().omap_set(entries)));

    auto got = c().omap_get(Pool::Index, o, {"a/100", "a/124", "a/999"});
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(got->size(), 2u);  // a missing key is left out
    EXPECT_EQ(got->at("a/124"), "v24");

    // Pages of 10 under the prefix "a/": 10 + 10 + 5.
    std::vector<std::string> keys;
    std::string after;
    int pages = 0;
    for (;;) {
        auto page = c().omap_list(Pool::Index, o, after, "a/", 10);
        ASSERT_TRUE(page) << page.error().message();
        ++pages;
        for (auto& [k, v] : page->entries) keys.push_back(k);
        if (!page->more) break;
        after = page->entries.back().first;
    }
    EXPECT_EQ(pages, 3);
    ASSERT_EQ(keys.size(), 25u);
    EXPECT_EQ(keys.front(), "a/100");
    EXPECT_EQ(keys.back(), "a/124");

    ASSERT_TRUE(c().apply(Pool::Index, o, WriteOp().omap_remove_keys({"a/100", "b/1"}).omap_set("c/1", "new")));
    auto after_change = c().omap_list(Pool::Index, o, "", "", 100);
    ASSERT_TRUE(after_change);
    EXPECT_EQ(after_change->entries.size(), 25u);
    EXPECT_EQ(after_change->entries.front().first, "a/101");
    EXPECT_EQ(after_change->entries.back().first, "c/1");

    EXPECT_EQ(c().omap_get(Pool::Index, oid("missing"), {"x"}).error().code(), kNotFound);
    ASSERT_TRUE(c().remove(Pool::Index, o));
}

// Several listings and a read by key in one read op (the space ledger's
// read: the keys after its markers, the oldest markers, some by key).
TEST_F(RadosClient, Omap_ReadListsAndGetsInOneOp) {
    auto o = oid("combined");
    ASSERT_TRUE(c().apply(Pool::Meta, o,
                          WriteOp().omap_set({{"!s.a", "1"}, {"!s.b", "2"}, {"!t.1", ""}, {"!t.2", ""}, {"x", "3"}})));
    auto got = c().omap_read(Pool::Meta, o, {OmapListing{"!~", "", 10}, OmapListing{"", "!t.", 1}}, {"!s.b", "!s.z"});
    ASSERT_TRUE(got) << got.error().message();
    ASSERT_EQ(got->pages.size(), 2u);
    ASSERT_EQ(got->pages[0].entries.size(), 1u);
    EXPECT_EQ(got->pages[0].entries[0].first, "x");
    EXPECT_FALSE(got->pages[0].more);
    ASSERT_EQ(got->pages[1].entries.size(), 1u);
    EXPECT_EQ(got->pages[1].entries[0].first, "!t.1");
    EXPECT_TRUE(got->pages[1].more);
    EXPECT_EQ(got->values, (std::map<std::string, std::string>{{"!s.b", "2"}}));
    EXPECT_EQ(c().omap_read(Pool::Meta, oid("missing"), {OmapListing{"", "", 1}}, {}).error().code(), kNotFound);
    ASSERT_TRUE(c().remove(Pool::Meta, o));
}

TEST_F(RadosClient, OmapCompare_GuardsTheWholeWrite) {
    auto o = oid("ledger");
    ASSERT_TRUE(c().apply(Pool::Meta, o, WriteOp().omap_set("used", "100").omap_set("version", "1")));

    // Compare-and-set from the value read: holds.
    ASSERT_TRUE(c().apply(
        Pool::Meta, o,
        WriteOp().compare_omap("version", Compare::Eq, "1").omap_set("used", "150").omap_set("version", "2")));
    // Someone else changed it meanwhile: fails, and changes nothing at all
    // (neither the omap nor the data of the same operation).
    auto stale = c().apply(Pool::Meta, o,
                           WriteOp()
                               .omap_set("used", "999")
                               .write_full("must not be written")
                               .compare_omap("version", Compare::Eq, "1")
                               .omap_set("version", "3"));
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code(), kCompareFailed);
    auto now = c().omap_get(Pool::Meta, o, {"used", "version"});
    ASSERT_TRUE(now);
    EXPECT_EQ(now->at("used"), "150");
    EXPECT_EQ(now->at("version"), "2");
    EXPECT_EQ(*c().read(Pool::Meta, o), "");

    // A missing key compares as the empty value: "insert if absent".
    ASSERT_TRUE(c().apply(Pool::Meta, o, WriteOp().compare_omap("lock", Compare::Eq, "").omap_set("lock", "me")));
    auto taken = c().apply(Pool::Meta, o, WriteOp().compare_omap("lock", Compare::Eq, "").omap_set("lock", "you"));
    ASSERT_FALSE(taken);
    EXPECT_EQ(taken.error().code(), kCompareFailed);

    // Ordered compares (bytewise): a counter that may only grow.
    EXPECT_TRUE(c().apply(Pool::Meta, o, WriteOp().compare_omap("version", Compare::Lt, "3").omap_set("version", "3")));
    EXPECT_FALSE(c().apply(Pool::Meta, o, WriteOp().compare_omap("version", Compare::Lt, "3")));
    ASSERT_TRUE(c().remove(Pool::Meta, o));
}

TEST_F(RadosClient, OmapCompare_RefusedWhenTheOsdWouldNotRunItAsWritten) {
    auto o = oid("refused");
    ASSERT_TRUE(c().apply(Pool::Meta, o, WriteOp().omap_set("a", "1")));
    // The OSD knows Eq, Lt and Gt only; the others are refused before sending.
    for (auto op : {Compare::Ne, Compare::Gte, Compare::Lte}) {
        WriteOp w;
        w.compare_omap("a", op, "1").omap_set("a", "2");
        EXPECT_FALSE(w.check());
        auto r = c().apply(Pool::Meta, o, w);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code(), Errc::Internal) << r.error().message();
    }
    // A second compare of the same key would replace the first (here the
    // one that fails): refused, not silently weakened.
    WriteOp twice;
    twice.compare_omap("a", Compare::Eq, "2").compare_omap("a", Compare::Gt, "").omap_set("a", "3");
    EXPECT_FALSE(twice.check());
    auto r = c().apply(Pool::Meta, o, twice);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::Internal);
    std::promise<Result<void>> done;
    c().aio_apply(Pool::Meta, o, twice, [&](Result<void> res) { done.set_value(std::move(res)); });
    auto aio = done.get_future().get();
    ASSERT_FALSE(aio);
    EXPECT_EQ(aio.error().code(), Errc::Internal);
    EXPECT_EQ(c().omap_get(Pool::Meta, o, {"a"})->at("a"), "1");
    EXPECT_TRUE(WriteOp().compare_omap("a", Compare::Eq, "1").compare_omap("b", Compare::Lt, "9").check());
    ASSERT_TRUE(c().remove(Pool::Meta, o));
}

TEST_F(RadosClient, RenewLock_OnlyRenewsAHoldStillHeld) {
    auto o = oid("renew");
    // Nothing to renew: fails and creates nothing.
    EXPECT_EQ(c().renew_lock(Pool::Meta, o, "instance", "gw-1", 2000ms).error().code(), kNotFound);
    EXPECT_FALSE(c().stat(Pool::Meta, o));
    ASSERT_TRUE(c().lock_exclusive(Pool::Meta, o, "instance", "gw-1", 2000ms));
    ASSERT_TRUE(c().renew_lock(Pool::Meta, o, "instance", "gw-1", 2000ms));
    auto other = connect_or_die(test_volume());
    auto holders = other->lockers(Pool::Meta, o, "instance");
    ASSERT_TRUE(holders && holders->size() == 1u);
    ASSERT_TRUE(other->break_lock(Pool::Meta, o, "instance", holders->at(0)));
    EXPECT_EQ(c().renew_lock(Pool::Meta, o, "instance", "gw-1", 2000ms).error().code(), kNotFound);
    EXPECT_TRUE(other->lockers(Pool::Meta, o, "instance")->empty());  // not taken again
    ASSERT_TRUE(other->lock_exclusive(Pool::Meta, o, "instance", "gw-2", 2000ms));
    auto busy = c().renew_lock(Pool::Meta, o, "instance", "gw-1", 2000ms);
    ASSERT_FALSE(busy);
    EXPECT_TRUE(busy.error().code() == kLockHeld || busy.error().code() == kNotFound) << busy.error().message();
    ASSERT_TRUE(c().remove(Pool::Meta, o));
}

TEST_F(RadosClient, XattrCompare_GuardsTheWrite) {
    auto o = oid("blob");
    ASSERT_TRUE(c().apply(Pool::Data, o, WriteOp().create_exclusive().write_full("v1").set_xattr("gen", "1")));
    EXPECT_EQ(*c().get_xattr(Pool::Data, o, "gen"), "1");

    ASSERT_TRUE(c().apply(Pool::Data, o,
                          WriteOp().compare_xattr("gen", Compare::Eq, "1").write_full("v2").set_xattr("gen", "2")));
    auto stale = c().apply(Pool::Data, o,
                           WriteOp().compare_xattr("gen", Compare::Eq, "1").write_full("v3").set_xattr("gen", "3"));
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code(), kCompareFailed);
    EXPECT_EQ(*c().read(Pool::Data, o), "v2");
    EXPECT_EQ(*c().get_xattr(Pool::Data, o, "gen"), "2");
    EXPECT_EQ(c().get_xattr(Pool::Data, o, "nosuch").error().code(), kNotFound);

    // Guards on a missing object.
    auto missing = c().apply(Pool::Data, oid("missing"), WriteOp().assert_exists().write_full("x"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), kNotFound);
    EXPECT_EQ(c().stat(Pool::Data, oid("missing")).error().code(), kNotFound);
    ASSERT_TRUE(c().apply(Pool::Data, o, WriteOp().assert_exists().remove()));
}

TEST_F(RadosClient, WatchNotify_RoundTripBetweenTwoClients) {
    auto o = oid("control");
    ASSERT_TRUE(c().create_exclusive(Pool::Meta, o));
    // Another connection: another gateway process, as far as the cluster knows.
    auto other = connect_or_die(test_volume());

    std::mutex mutex;
    std::vector<std::string> seen;
    int errors = 0;
    {
        auto w = other->watch(
            Pool::Meta, o,
            [&](std::string_view payload) {
                std::lock_guard lock(mutex);
                seen.emplace_back(payload);
                return "seen " + std::string(payload);
            },
            [&](const Error&) {
                std::lock_guard lock(mutex);
                ++errors;
            });
        ASSERT_TRUE(w) << w.error().message();

        auto result = c().notify(Pool::Meta, o, "limits alice", 5000ms);
        ASSERT_TRUE(result) << result.error().message();
        // notify returns after the watcher acknowledged: its handler ran.
        ASSERT_EQ(result->replies.size(), 1u);
        EXPECT_EQ(result->replies[0], "seen limits alice");
        EXPECT_EQ(result->timed_out, 0u);
        std::lock_guard lock(mutex);
        EXPECT_EQ(seen, std::vector<std::string>{"limits alice"});
    }
    // The watch ended with its object: nobody is told any more.
    auto after = c().notify(Pool::Meta, o, "keys bob", 5000ms);
    ASSERT_TRUE(after) << after.error().message();
    EXPECT_TRUE(after->replies.empty());
    EXPECT_EQ(errors, 0);

    EXPECT_EQ(c().watch(
                     Pool::Meta, oid("missing"), [](std::string_view) { return std::string(); }, [](const Error&) {})
                  .error()
                  .code(),
              kNotFound);
    ASSERT_TRUE(c().remove(Pool::Meta, o));
}

TEST_F(RadosClient, Aio_WritesThenReadsCompleteThroughCallbacks) {
    constexpr int kCalls = 32;
    std::mutex mutex;
    std::condition_variable cv;
    int done = 0, failed = 0;
    for (int i = 0; i < kCalls; ++i) {
        c().aio_apply(Pool::Data, oid(std::to_string(i)), WriteOp().write_full("body " + std::to_string(i)),
                      [&](Result<void> r) {
                          std::lock_guard lock(mutex);
                          if (!r) ++failed;
                          ++done;
                          cv.notify_all();
                      });
    }
    {
        std::unique_lock lock(mutex);
        ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return done == kCalls; }));
        EXPECT_EQ(failed, 0);
    }

    std::vector<std::string> bodies(kCalls);
    done = 0;
    for (int i = 0; i < kCalls; ++i) {
        c().aio_read(Pool::Data, oid(std::to_string(i)), 0, Client::kReadWhole, [&, i](Result<std::string> r) {
            std::lock_guard lock(mutex);
            bodies[i] = r ? *r : "error: " + std::string(r.error().message());
            ++done;
            cv.notify_all();
        });
    }
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return done == kCalls; }));
    for (int i = 0; i < kCalls; ++i) EXPECT_EQ(bodies[i], "body " + std::to_string(i));
    lock.unlock();

    std::promise<Result<std::string>> missing;
    c().aio_read(Pool::Data, oid("missing"), 0, Client::kReadWhole,
                 [&](Result<std::string> r) { missing.set_value(std::move(r)); });
    auto r = missing.get_future().get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), kNotFound);
    for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(c().remove(Pool::Data, oid(std::to_string(i))));
}

TEST_F(RadosClient, Aio_ALatchUnwoundByAThrowBetweenSendsWaitsForTheCallsSent) {
    // A batch whose next call could not be built (bad_alloc): the calls
    // already sent write into state the unwinding destroys after the latch.
    // Their callbacks are slow here, so that an unwinding that did not wait
    // would reach the catch first.
    auto o = oid("aio-latch");
    ASSERT_TRUE(c().write_full(Pool::Data, o, "x"));
    std::atomic<int> answered{0};
    bool caught = false;
    try {
        AioLatch latch;
        for (int i = 0; i < 2; ++i)
            latch.send([&] {
                c().aio_read(Pool::Data, o, 0, Client::kReadWhole, [&](Result<std::string> r) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(300));
                    if (r) ++answered;
                    latch.done();
                });
            });
        latch.send([] { throw std::bad_alloc(); });  // not counted: the destructor does not wait for it
        ADD_FAILURE() << "the throw went through";
    } catch (const std::bad_alloc&) {
        caught = true;
        EXPECT_EQ(answered.load(), 2) << "the latch's destructor waited for both calls sent";
    }
    EXPECT_TRUE(caught);
    ASSERT_TRUE(c().remove(Pool::Data, o));
}

TEST_F(RadosClient, Aio_OmapReadsAnswerAsTheirSynchronousForms) {
    auto o = oid("aio-omap");
    ASSERT_TRUE(c().apply(Pool::Meta, o, WriteOp().omap_set("a1", "x").omap_set("a2", "y").omap_set("b1", "z")));
    std::optional<Result<OmapPage>> page, gone;
    std::optional<Result<std::map<std::string, std::string>>> got;
    AioLatch latch;
    latch.send([&] {
        c().aio_omap_list(Pool::Meta, o, "a1", "a", 10, [&](Result<OmapPage> r) {
            page = std::move(r);
            latch.done();
        });
    });
    latch.send([&] {
        c().aio_omap_get(Pool::Meta, o, {"a1", "b1", "c"}, [&](Result<std::map<std::string, std::string>> r) {
            got = std::move(r);
            latch.done();
        });
    });
    latch.send([&] {
        c().aio_omap_list(Pool::Meta, oid("missing"), "", "", 10, [&](Result<OmapPage> r) {
            gone = std::move(r);
            latch.done();
        });
    });
    latch.wait();
    ASSERT_TRUE(*page);
    EXPECT_EQ((*page)->entries, (std::vector<std::pair<std::string, std::string>>{{"a2", "y"}}));
    EXPECT_FALSE((*page)->more);
    ASSERT_TRUE(*got);
    EXPECT_EQ(**got, (std::map<std::string, std::string>{{"a1", "x"}, {"b1", "z"}}));
    ASSERT_FALSE(*gone);
    EXPECT_EQ(gone->error().code(), kNotFound);
    ASSERT_TRUE(c().remove(Pool::Meta, o));
}

TEST_F(RadosClient, Locks_ExclusiveRenewedBrokenExpired) {
    auto o = oid("lease");
    auto other = connect_or_die(test_volume());
    ASSERT_TRUE(c().lock_exclusive(Pool::Meta, o, "instance", "gw-1", 2000ms));  // creates the object
    ASSERT_TRUE(c().lock_exclusive(Pool::Meta, o, "instance", "gw-1", 2000ms));  // renews
    auto busy = other->lock_exclusive(Pool::Meta, o, "instance", "gw-2", 2000ms);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code(), kLockHeld);

    auto holders = other->lockers(Pool::Meta, o, "instance");
    ASSERT_TRUE(holders) << holders.error().message();
    ASSERT_EQ(holders->size(), 1u);
    EXPECT_EQ(holders->at(0).cookie, "gw-1");
    EXPECT_EQ(holders->at(0).client.rfind("client.", 0), 0u) << holders->at(0).client;

    // A holder known to be dead is broken; the lock is then free.
    ASSERT_TRUE(other->break_lock(Pool::Meta, o, "instance", holders->at(0)));
    ASSERT_TRUE(other->lock_exclusive(Pool::Meta, o, "instance", "gw-2", 1000ms));
    EXPECT_EQ(c().unlock(Pool::Meta, o, "instance", "gw-1").error().code(), kNotFound);
    // A hold that was not renewed in time expires.
    std::this_thread::sleep_for(1500ms);
    ASSERT_TRUE(c().lock_exclusive(Pool::Meta, o, "instance", "gw-1", 0ms));
    ASSERT_TRUE(c().unlock(Pool::Meta, o, "instance", "gw-1"));
    ASSERT_TRUE(c().remove(Pool::Meta, o));
}

TEST(RadosConnect, MissingPoolIsNamed) {
    auto spec = test_volume();
    spec.pool_prefix = "nosuch";
    auto client = Client::connect(spec);
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code(), Errc::InvalidArgument);
    EXPECT_NE(client.error().message().find("nosuch.meta"), std::string_view::npos) << client.error().message();
}

TEST(RadosConnect, WrongKeyIsRefused) {
    auto spec = test_volume();
    std::string keyring = slurp(spec.keyring);
    auto at = keyring.find("key = ");
    ASSERT_NE(at, std::string::npos) << keyring;
    // Byte 20 of the key's base64 lies in the secret (after its type, date
    // and length), so the key still parses but no longer matches.
    char& ch = keyring[at + 6 + 20];
    ch = ch == 'A' ? 'B' : 'A';
    spec.keyring = (cluster_dir() / "wrong.keyring").string();
    spit(spec.keyring, keyring);
    auto client = Client::connect(spec);
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code(), Errc::InvalidArgument) << client.error().message();
    EXPECT_NE(client.error().message().find("refused client.ostor"), std::string_view::npos)
        << client.error().message();
}

TEST(RadosConnect, UnreachableClusterFailsInSeconds) {
    auto spec = test_volume();
    // The cluster's conf with the monitor moved to a port nobody listens on.
    std::string conf = slurp(spec.conf_file);
    auto at = conf.find("mon host = ");
    ASSERT_NE(at, std::string::npos);
    conf.replace(at, conf.find('\n', at) - at, "mon host = v2:127.0.0.1:9");
    spec.conf_file = (cluster_dir() / "unreachable.conf").string();
    spit(spec.conf_file, conf);
    Timeouts timeouts;
    timeouts.connect = 2s;
    auto started = std::chrono::steady_clock::now();
    auto client = Client::connect(spec, timeouts);
    auto took = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code(), Errc::IoError) << client.error().message();
    EXPECT_NE(client.error().message().find("answered client.ostor within 2 s"), std::string_view::npos)
        << client.error().message();
    EXPECT_LT(took, 10s);
}

TEST(RadosConnect, LocalSpecIsRefused) {
    auto spec = VolumeSpec::parse("/var/lib/ostor");
    ASSERT_TRUE(spec);
    auto client = Client::connect(*spec);
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code(), Errc::InvalidArgument);
}

}  // namespace
}  // namespace ostor::detail::rados

// Run on a cluster of its own (tests/rados/meson.build): it kills the OSD.
namespace ostor::detail::rados {
namespace {

TEST(RadosDeadCluster, RequestsToADeadOsdFailInSeconds) {
    auto spec = test_volume();
    Timeouts timeouts;
    timeouts.osd_request = 2s;
    auto client = Client::connect(spec, timeouts);
    ASSERT_TRUE(client) << client.error().message();
    ASSERT_TRUE((*client)->write_full(Pool::Data, "before", "alive"));

    // ceph_cluster.sh records the monitor's pid, then the OSD's.
    std::ifstream pids(cluster_dir() / "pids");
    pid_t mon = 0, osd = 0;
    ASSERT_TRUE(pids >> mon >> osd);
    ASSERT_EQ(::kill(osd, SIGKILL), 0);

    for (auto pool : {Pool::Data, Pool::Meta}) {
        auto started = std::chrono::steady_clock::now();
        auto w = (*client)->write_full(pool, "after", "dead");
        auto took = std::chrono::steady_clock::now() - started;
        ASSERT_FALSE(w);
        EXPECT_EQ(w.error().code(), Errc::IoError) << w.error().message();
        EXPECT_NE(w.error().message().find("in time"), std::string_view::npos) << w.error().message();
        EXPECT_LT(took, 10s);
    }
    std::promise<Result<std::string>> read;
    (*client)->aio_read(Pool::Data, "before", 0, Client::kReadWhole,
                        [&](Result<std::string> r) { read.set_value(std::move(r)); });
    auto r = read.get_future().get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::IoError) << r.error().message();
}

}  // namespace
}  // namespace ostor::detail::rados
