// The crash suite: the crash writer is SIGKILLed at a random moment, 24 rounds
// on one data directory, each round's writer continuing on what the previous
// rounds left; then 24 rounds of the versioned writer on a directory of its
// own (check_version_round says what is checked there). After each kill of
// the first the directory is opened in this process and:
//   - every key whose last logged operation was acknowledged holds exactly
//     what that operation made (body byte-exact, its MD5 and ETag as logged),
//     or is absent (NoSuchKey) after a delete;
//   - the one operation the kill may have cut left the old or the new state,
//     never a mix; the state found is then the truth for the later rounds (a
//     cut operation must not come back or go away at the next open);
//   - nothing outside the writer's key set is visible, and list_objects
//     agrees with head_object key by key;
//   - bucket and user byte accounting is exact and the killed writer's space
//     reservations are gone;
//   - each object carries its own tags (the gen tag the writer gave it),
//     rewritten in place or not;
//   - scrub finds no damage;
//   - blocks allocated under blobs/ stay within 10% + one segment of the
//     live bytes (a body shared by copies counted once).
//
// Environment: CRASH_WRITER (required) the crash-writer program; CRASH_SEED to
// replay a seed; CRASH_ROUNDS to change the number of rounds.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <ostor/ostor.hpp>

#include "crash_content.hpp"

namespace fs = std::filesystem;
using namespace ostor;
using namespace ostor::crash;

namespace {

constexpr int kDefaultRounds = 24;
constexpr int kMinSleepMs = 50;
constexpr int kMaxSleepMs = 800;
constexpr std::uint64_t kSegmentBytes = std::uint64_t{64} << 20;  // README: a segment holds at most 64 MiB
constexpr std::uint32_t kListPageKeys = 37;                       // small, so listing pages several times
// A body up to this size lives in its record, not under blobs/ (kInlineMaxBytes, libengine/src/storage/extent.hpp).
constexpr std::uint64_t kInlineBodyBytes = 8 * 1024;
// The versioned writer's slack under blobs/: its largest body (under 1.2 MiB) in flight, rounded up.
constexpr std::uint64_t kVersionSlackBytes = std::uint64_t{2} << 20;

using Clock = std::chrono::steady_clock;

// What one key holds.
struct State {
    bool present = false;
    std::uint64_t gen = 0;
    std::uint64_t size = 0;
    std::string md5;   // hex MD5 of the body
    std::string etag;  // what head_object must report
    bool operator==(const State&) const = default;
};

std::string describe(const State& s) {
    if (!s.present) return "absent";
    return "gen " + std::to_string(s.gen) + ", " + std::to_string(s.size) + " bytes" +
           (s.md5.empty() ? std::string() : ", md5 " + s.md5) + ", etag " + s.etag;
}

// An operation logged as begun and not (yet) as acknowledged.
struct Pending {
    std::string op;
    std::string key;  // the key it changes
    State candidate;  // what the key holds if the operation took effect
};

// A writer's log line: "BEGIN OP fields..." (an operation begins, none may
// be pending then) or "OP fields..." (it was acknowledged). `where` names
// the line in failures.
struct LogLine {
    bool begin = false;
    std::string op;
    std::istringstream fields;
    std::string where;
};

template <class P>
LogLine read_log_line(int round, const std::string& line, const std::optional<P>& pending) {
    LogLine l;
    l.fields.str(line);
    std::string first;
    l.fields >> first;
    l.begin = first == "BEGIN";
    l.op = first;
    if (l.begin) l.fields >> l.op;
    l.where = "round " + std::to_string(round) + ", log line \"" + line + "\"";
    if (l.begin) {
        EXPECT_FALSE(pending) << l.where << ": begins while " << pending->op << " " << pending->key
                              << " is still pending";
    }
    return l;
}

// The complete lines a writer appended to `log` past `offset` (moved past
// them). A line the kill cut in the middle is dropped from the file, so the
// next writer starts a new line; it counts as not logged (for an
// acknowledgement: the operation stays pending, and either state is
// accepted).
std::vector<std::string> new_log_lines(const fs::path& log, std::uint64_t& offset, int round) {
    std::ifstream in(log, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t end = text.rfind('\n');
    std::size_t complete = end == std::string::npos ? 0 : end + 1;
    if (complete != text.size()) {
        std::printf("round %2d: dropping a log line cut by the kill: \"%s\"\n", round, text.substr(complete).c_str());
        EXPECT_EQ(::truncate(log.c_str(), static_cast<off_t>(offset + complete)), 0);
    }
    std::istringstream lines(text.substr(0, complete));
    offset += complete;
    std::vector<std::string> out;
    for (std::string line; std::getline(lines, line);)
        if (line != kReadyLine) out.push_back(line);
    return out;
}

// Waits until the writer started after the log's `offset` logged READY, up to
// 30 s (a writer that dies first fails its round at the kill).
void wait_ready(const fs::path& log, std::uint64_t offset) {
    auto until = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < until) {
        std::ifstream in(log, std::ios::binary);
        in.seekg(static_cast<std::streamoff>(offset));
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.starts_with(std::string(kReadyLine) + "\n")) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ADD_FAILURE() << "the writer logged no READY in 30 s";
}

// The writer's log, replayed into the state every key must have. Survives
// across rounds: after each check the cut operation is resolved to what was
// found, so a later round may not see it differently.
class Model {
public:
    explicit Model(fs::path log) : log_(std::move(log)) {}

    // Applies the lines the last writer appended.
    void replay(int round) {
        for (auto& line : new_log_lines(log_, offset_, round)) apply(round, line);
    }

    const State& state(const std::string& key) const {
        static const State absent;
        auto it = keys_.find(key);
        return it == keys_.end() ? absent : it->second;
    }
    const std::optional<Pending>& pending() const { return pending_; }
    // The cut operation's key was found in `found` (one of the two states).
    void resolve(const State& found) {
        if (pending_) keys_[pending_->key] = found;
        pending_.reset();
    }
    std::uint64_t acknowledged_ops() const { return acknowledged_; }

private:
    void apply(int round, const std::string& line) {
        auto [begin, op, ls, where] = read_log_line(round, line, pending_);
        if (begin) {
            Pending p{op, {}, {}};
            if (op == "PUT" || op == "MPU") {
                p.candidate.present = true;
                ls >> p.key >> p.candidate.gen >> p.candidate.size >> p.candidate.md5;
                p.candidate.etag = p.candidate.md5;
                if (op == "MPU") ls >> p.candidate.etag;
            } else if (op == "DEL") {
                ls >> p.key;
            } else if (op == "COPY") {
                std::string src;
                ls >> src >> p.key;
                // A copy from an absent key changes nothing.
                p.candidate = state(src).present ? state(src) : state(p.key);
            } else {
                ADD_FAILURE() << where << ": unknown operation";
                return;
            }
            EXPECT_FALSE(ls.fail()) << where << ": malformed";
            pending_ = p;
            return;
        }

        if (!pending_ || pending_->op != op) {
            ADD_FAILURE() << where << ": acknowledges an operation that did not begin";
            return;
        }
        Pending p = *pending_;
        pending_.reset();
        ++acknowledged_;
        if (op == "PUT" || op == "MPU") {
            std::string key, md5, etag;
            std::uint64_t gen = 0, size = 0;
            ls >> key >> gen >> size >> md5 >> etag;
            EXPECT_TRUE(key == p.key && gen == p.candidate.gen && md5 == p.candidate.md5)
                << where << ": not what began";
            EXPECT_EQ(etag, p.candidate.etag) << where << ": the engine acknowledged the wrong ETag";
            keys_[p.key] = p.candidate;
        } else if (op == "DEL") {
            std::string key, nosuch;
            ls >> key >> nosuch;
            EXPECT_EQ(key, p.key) << where << ": not what began";
            EXPECT_TRUE(nosuch.empty() || !state(key).present)
                << where << ": NoSuchKey for an acknowledged object: " << describe(state(key));
            keys_[p.key] = State{};
        } else if (op == "COPY") {
            std::string src, dst, etag;
            ls >> src >> dst >> etag;
            EXPECT_EQ(dst, p.key) << where << ": not what began";
            if (etag == "nosuch") {
                EXPECT_FALSE(state(src).present)
                    << where << ": NoSuchKey for an acknowledged object: " << describe(state(src));
            } else {
                EXPECT_EQ(etag, state(src).etag) << where << ": the copy's ETag is not its source's";
                keys_[dst] = state(src);
            }
        }
    }

    fs::path log_;
    std::uint64_t offset_ = 0;
    std::map<std::string, State> keys_;
    std::optional<Pending> pending_;
    std::uint64_t acknowledged_ = 0;
};

std::uint64_t allocated_bytes(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (auto& entry : fs::recursive_directory_iterator(dir, ec)) {
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
            total += static_cast<std::uint64_t>(st.st_blocks) * 512;
    }
    return total;
}

std::uint64_t gen_of(const ObjectInfo& info) {
    for (auto& [name, value] : info.meta.user)
        if (name == kGenMetaName) return std::stoull(value);
    return 0;
}

// The whole body of the current or of `version_id`, or the error that
// stopped reading it.
Result<std::string> read_all(Engine& e, const std::string& key, const ObjectInfo& head,
                             const std::string& version_id = {}) {
    auto r = e.open_object(kBucket, key, std::nullopt, version_id);
    if (!r) return r.error();
    if ((*r)->info().size != head.size || (*r)->info().etag != head.etag)
        return Error(Errc::Internal, "open_object's info differs from head_object's");
    std::string out;
    std::vector<std::byte> buf(std::size_t{1} << 20);
    for (;;) {
        auto n = (*r)->read(buf);
        if (!n) return n.error();
        if (*n == 0) return out;
        out.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
}

std::string first_difference(const std::string& got, const std::string& want) {
    std::size_t n = std::min(got.size(), want.size());
    std::size_t i = 0;
    while (i < n && got[i] == want[i]) ++i;
    return "first difference at byte " + std::to_string(i) + " of " + std::to_string(want.size()) + " (read " +
           std::to_string(got.size()) + " bytes)";
}

// `mode`: null, or the writer's mode argument ("versions").
pid_t start_writer(const char* writer, const fs::path& dir, const fs::path& log, std::uint64_t seed, const char* mode) {
    pid_t pid = ::fork();
    if (pid == 0) {
        std::string seed_s = std::to_string(seed);
        ::execl(writer, writer, dir.c_str(), log.c_str(), seed_s.c_str(), mode, static_cast<char*>(nullptr));
        std::perror("exec crash-writer");
        ::_exit(127);
    }
    return pid;
}

// Checks the directory against the model and resolves the cut operation.
void check_round(int round, const fs::path& dir, Model& model) {
    std::string at = "round " + std::to_string(round);
    auto opened = Engine::open(dir);
    ASSERT_TRUE(opened) << at << ": reopening after the kill failed: " << opened.error().message();
    Engine& e = **opened;

    auto bucket = e.get_bucket(kBucket);
    // The writer made it before READY, and the kill comes after.
    ASSERT_TRUE(bucket) << at << ": the bucket is gone: " << bucket.error().message();

    // Key by key: what head_object shows must be an allowed state, and the body
    // must be that state's, byte for byte.
    std::map<std::string, ObjectInfo> visible;
    std::optional<State> pending_found;
    for (unsigned i = 0; i < kKeys; ++i) {
        std::string key = key_name(i);
        const State& acked = model.state(key);
        const auto& pending = model.pending();
        bool is_pending = pending && pending->key == key;

        State got;
        auto head = e.head_object(kBucket, key);
        if (head) {
            got.present = true;
            got.size = head->size;
            got.etag = head->etag;
            got.gen = gen_of(*head);
            visible.emplace(key, *head);
        } else {
            EXPECT_EQ(head.error().code(), Errc::NoSuchKey) << at << ", " << key << ": " << head.error().message();
        }

        auto same_version = [&](const State& want) {
            return want.present == got.present &&
                   (!want.present || (want.gen == got.gen && want.size == got.size && want.etag == got.etag));
        };
        const State* match = nullptr;
        if (same_version(acked))
            match = &acked;
        else if (is_pending && same_version(pending->candidate))
            match = &pending->candidate;
        if (!match) {
            ADD_FAILURE() << at << ", " << key << ": found " << describe(got) << "; acknowledged " << describe(acked)
                          << (is_pending ? "; cut " + pending->op + " would make " + describe(pending->candidate)
                                         : std::string());
            continue;
        }
        if (is_pending) pending_found = *match;
        if (!got.present) continue;
        // Its tags came with its record: the gen tag first (crash_writer.cpp).
        EXPECT_TRUE(!head->meta.tags.empty() && head->meta.tags.front().first == kGenMetaName &&
                    head->meta.tags.front().second == std::to_string(got.gen))
            << at << ", " << key << ": tags lost or not its own (" << head->meta.tags.size() << " tags)";

        auto body = read_all(e, key, *head);
        if (!body) {
            ADD_FAILURE() << at << ", " << key << " (" << describe(*match)
                          << "): reading failed: " << body.error().info().name << ": " << body.error().message();
            continue;
        }
        std::string want = content(match->gen, match->size);
        EXPECT_TRUE(*body == want) << at << ", " << key << " (" << describe(*match) << "): body differs, "
                                   << first_difference(*body, want);
        EXPECT_EQ(md5_hex(*body), match->md5) << at << ", " << key;
    }
    if (model.pending()) {
        std::printf(
            "%s: cut %s of %s left it %s\n", at.c_str(), model.pending()->op.c_str(), model.pending()->key.c_str(),
            pending_found ? (*pending_found == model.state(model.pending()->key) ? "as before" : "done") : "broken");
        if (pending_found) model.resolve(*pending_found);
    }

    // The listing: exactly the visible keys, in order, each as head_object says.
    std::vector<std::string> listed;
    ListObjectsParams params;
    params.max_keys = kListPageKeys;
    for (;;) {
        auto page = e.list_objects(kBucket, params);
        ASSERT_TRUE(page) << at << ": list_objects: " << page.error().message();
        for (auto& o : page->objects) {
            EXPECT_TRUE(listed.empty() || listed.back() < o.key) << at << ": listing out of order at " << o.key;
            listed.push_back(o.key);
            auto it = visible.find(o.key);
            if (it == visible.end()) {
                ADD_FAILURE() << at << ": listed " << o.key << " (" << o.size
                              << " bytes): not a key of the writer, or head_object does not show it";
                continue;
            }
            EXPECT_EQ(o.size, it->second.size) << at << ": listing of " << o.key;
            EXPECT_EQ(o.etag, it->second.etag) << at << ": listing of " << o.key;
        }
        if (!page->truncated) break;
        params.marker = page->next_marker;
    }
    EXPECT_EQ(listed.size(), visible.size()) << at << ": listing and head_object disagree";
    auto buckets = e.list_buckets();
    ASSERT_TRUE(buckets) << buckets.error().message();
    EXPECT_EQ(buckets->size(), 1u) << at << ": buckets other than \"crash\" appeared";

    // Accounting: objects plus parts of uploads a kill left behind.
    std::uint64_t object_bytes = 0, unique_bytes = 0, part_bytes = 0;
    std::set<std::uint64_t> gens;
    for (auto& [key, info] : visible) {
        object_bytes += info.size;
        if (gens.insert(gen_of(info)).second) unique_bytes += info.size;  // copies share the extents
    }
    auto uploads = e.list_uploads(kBucket);
    ASSERT_TRUE(uploads) << uploads.error().message();
    for (auto& u : uploads->uploads) {
        auto parts = e.list_parts(u.id);
        ASSERT_TRUE(parts) << parts.error().message();
        for (auto& part : parts->parts) part_bytes += part.size;
    }
    bucket = e.get_bucket(kBucket);
    ASSERT_TRUE(bucket) << bucket.error().message();
    EXPECT_EQ(bucket->objects, visible.size()) << at << ": bucket object count";
    EXPECT_EQ(bucket->bytes, object_bytes + part_bytes) << at << ": bucket bytes (" << part_bytes << " in parts)";
    EXPECT_EQ(bucket->size.current, bucket->bytes) << at << ": size history";
    auto usage = e.get_user_usage(bucket->owner_id);
    ASSERT_TRUE(usage) << usage.error().message();
    EXPECT_EQ(usage->bytes, object_bytes + part_bytes) << at << ": user bytes";
    EXPECT_EQ(usage->objects, visible.size()) << at << ": user objects";
    EXPECT_EQ(usage->reserved, 0u) << at << ": space reservations of the killed writer remain";

    auto scrub = e.scrub();
    ASSERT_TRUE(scrub) << at << ": scrub: " << scrub.error().message();
    EXPECT_TRUE(scrub->damaged.empty()) << at << ": scrub found " << scrub->damaged.size() << " damaged, first "
                                        << (scrub->damaged.empty() ? "" : scrub->damaged.front());

    std::uint64_t live = unique_bytes + part_bytes;
    std::uint64_t allocated = allocated_bytes(dir / "blobs");
    EXPECT_LE(allocated, live + live / 10 + kSegmentBytes)
        << at << ": " << allocated << " bytes allocated under blobs/ for " << live << " live bytes";
    std::printf("%s: %3zu objects, %10llu bytes (%10llu distinct, %8llu in parts), %10llu allocated under blobs/\n",
                at.c_str(), visible.size(), static_cast<unsigned long long>(object_bytes),
                static_cast<unsigned long long>(unique_bytes), static_cast<unsigned long long>(part_bytes),
                static_cast<unsigned long long>(allocated));
}

// ---- The versioned writer ----------------------------------------------

// One entry of a key's versions: an object version or a delete marker.
struct Version {
    std::string id;  // "null" or 24 hex digits
    bool marker = false;
    std::uint64_t gen = 0;  // an object's
    std::uint64_t size = 0;
    std::string etag;  // the MD5 of its body (no multipart here)
    bool operator==(const Version&) const = default;
};
using History = std::vector<Version>;  // newest first, as listed

std::string describe(const Version& v) {
    if (v.marker) return "marker " + v.id;
    return v.id + " (gen " + std::to_string(v.gen) + ", " + std::to_string(v.size) + " bytes)";
}

std::string describe(const History& h) {
    if (h.empty()) return "[]";
    std::string out = "[";
    for (auto& v : h) out += (out.size() > 1 ? ", " : "") + describe(v);
    return out + "]";
}

// `h` without the version `id`.
History without(History h, const std::string& id) {
    std::erase_if(h, [&](const Version& v) { return v.id == id; });
    return h;
}

// A write that adds `added` as the key's newest version: in a Suspended
// bucket it is the null version, which replaces the null version wherever
// it was in the key's history.
History with_newest(const History& h, const Version& added) {
    History out = added.id == "null" ? without(h, "null") : h;
    out.insert(out.begin(), added);
    return out;
}

// An operation begun on a key and not (yet) acknowledged.
struct VersionPending {
    std::string op;  // VPUT, VCOPY, MARK, VDEL, STATE
    std::string key;
    Version added;      // VPUT, VCOPY, MARK: what it adds (its id unknown until acknowledged)
    std::string id;     // VDEL: the version it removes
    std::string state;  // STATE: the bucket's versioning it sets
};

std::string state_name(VersioningState s) {
    switch (s) {
        case VersioningState::Enabled:
            return "Enabled";
        case VersioningState::Suspended:
            return "Suspended";
        default:
            return "Off";
    }
}

// The versioned writer's log replayed into every key's versions. As Model:
// after each check the cut operation is resolved to what was found.
class VersionModel {
public:
    explicit VersionModel(fs::path log) : log_(std::move(log)) {}

    void replay(int round) {
        for (auto& line : new_log_lines(log_, offset_, round)) apply(round, line);
    }

    const History& history(const std::string& key) const {
        static const History none;
        auto it = keys_.find(key);
        return it == keys_.end() ? none : it->second;
    }
    const std::optional<VersionPending>& pending() const { return pending_; }
    // The bucket's versioning as acknowledged: Off until the first STATE.
    const std::string& state() const { return state_; }

    // Whether `found` is what the key may hold: its acknowledged history, or,
    // for the key of the cut operation, that history with the operation done
    // whole.
    bool allowed(const std::string& key, const History& found) const {
        const History& acked = history(key);
        if (found == acked) return true;
        if (!pending_ || pending_->key != key) return false;
        if (pending_->op == "VDEL") return found == without(acked, pending_->id);
        if (found.empty()) return false;
        Version added = pending_->added;
        added.id = found.front().id;
        return id_allowed(added.id, acked) && found == with_newest(acked, added);
    }
    // The cut operation's key was found holding `found` (allowed()).
    void resolve(const History& found) {
        if (pending_) keys_[pending_->key] = found;
        pending_.reset();
    }
    // The cut STATE left the bucket's versioning `found` (the old or the new).
    void resolve_state(const std::string& found) {
        state_ = found;
        pending_.reset();
    }
    std::uint64_t acknowledged_ops() const { return acknowledged_; }

private:
    void apply(int round, const std::string& line) {
        auto [begin, op, ls, where] = read_log_line(round, line, pending_);
        if (begin) {
            VersionPending p{op, {}, {}, {}, {}};
            if (op == "VPUT") {
                std::string md5;
                ls >> p.key >> p.added.gen >> p.added.size >> md5;
                p.added.etag = md5;
            } else if (op == "VCOPY") {
                std::string src, src_id;
                ls >> src >> src_id >> p.key >> p.added.gen >> p.added.size >> p.added.etag;
                const History& sh = history(src);
                auto it = std::find_if(sh.begin(), sh.end(), [&](const Version& v) { return v.id == src_id; });
                EXPECT_TRUE(it != sh.end() && (*it == Version{src_id, false, p.added.gen, p.added.size, p.added.etag}))
                    << where << ": the source listed is not an acknowledged version of " << src << ", " << describe(sh);
            } else if (op == "MARK") {
                ls >> p.key;
                p.added.marker = true;
            } else if (op == "VDEL") {
                ls >> p.key >> p.id;
            } else if (op == "STATE") {
                ls >> p.state;
            } else {
                ADD_FAILURE() << where << ": unknown operation";
                return;
            }
            EXPECT_FALSE(ls.fail()) << where << ": malformed";
            pending_ = p;
            return;
        }

        if (!pending_ || pending_->op != op) {
            ADD_FAILURE() << where << ": acknowledges an operation that did not begin";
            return;
        }
        VersionPending p = *pending_;
        pending_.reset();
        ++acknowledged_;
        if (op == "STATE") {
            std::string state;
            ls >> state;
            EXPECT_EQ(state, p.state) << where << ": not what began";
            state_ = state;
            return;
        }
        History& h = keys_[p.key];
        std::string src, src_id, key;
        if (op == "VCOPY") ls >> src >> src_id;
        ls >> key;
        EXPECT_EQ(key, p.key) << where << ": not what began";
        if (op != "VDEL") {
            Version added = p.added;
            std::string gen, size, md5, etag, nomarker;
            if (op == "VPUT") ls >> gen >> size >> md5;
            if (op != "MARK") ls >> etag;
            ls >> added.id;
            EXPECT_FALSE(ls.fail()) << where << ": malformed";
            ls >> nomarker;
            if (op != "MARK") {
                EXPECT_EQ(etag, added.etag) << where << ": the engine acknowledged the wrong ETag";
            }
            EXPECT_TRUE(nomarker.empty()) << where << ": a delete without an id in a versioned bucket added no marker";
            EXPECT_TRUE(id_allowed(added.id, h))
                << where << ": under " << state_ << " a write must make "
                << (state_ == "Suspended" ? "the null version"
                                          : "a new version id (24 hex digits, none the key holds)");
            h = with_newest(h, added);
        } else {
            std::string id, what;
            ls >> id >> what;
            EXPECT_EQ(id, p.id) << where << ": not what began";
            auto it = std::find_if(h.begin(), h.end(), [&](const Version& v) { return v.id == id; });
            if (it == h.end()) {
                // The writer deletes only what it just listed, alone on the bucket.
                ADD_FAILURE() << where << ": deleted a version the key does not hold";
            } else {
                EXPECT_EQ(what, it->marker ? "marker" : "object") << where << ": removed " << describe(*it);
                h.erase(it);
            }
        }
    }

    static bool is_instance(const std::string& id) {
        return id.size() == 24 && std::all_of(id.begin(), id.end(),
                                              [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    }

    // The id a write adding a version to `h` may get: under Suspended the
    // null version (replacing the old one), under Enabled a new instance.
    bool id_allowed(const std::string& id, const History& h) const {
        if (state_ == "Suspended") return id == "null";
        return state_ == "Enabled" && is_instance(id) &&
               std::none_of(h.begin(), h.end(), [&](const Version& v) { return v.id == id; });
    }

    fs::path log_;
    std::uint64_t offset_ = 0;
    std::map<std::string, History> keys_;
    std::optional<VersionPending> pending_;
    std::string state_ = "Off";
    std::uint64_t acknowledged_ = 0;
};

// Checks the versioned writer's directory against the model and resolves the
// cut operation: the bucket's versioning is the acknowledged state (a write
// under Suspended made the null version, under Enabled a new id); each key's
// versions as listed (paged small, so that the version-id markers resume
// within keys) are what was acknowledged, with the cut operation done whole
// or not at all; every version reads back by its id byte-exact, every marker
// answers as one; the current (head_object, the listing of objects) is the
// newest version unless that is a marker; the ledgers count exactly the
// object versions listed.
void check_version_round(int round, const fs::path& dir, VersionModel& model) {
    std::string at = "round " + std::to_string(round);
    auto opened = Engine::open(dir);
    ASSERT_TRUE(opened) << at << ": reopening after the kill failed: " << opened.error().message();
    Engine& e = **opened;

    auto bucket = e.get_bucket(kBucket);
    // The writer made it before READY, and the kill comes after.
    ASSERT_TRUE(bucket) << at << ": the bucket is gone: " << bucket.error().message();

    // The bucket's versioning: as acknowledged, or as the cut STATE set it.
    std::string state = state_name(bucket->versioning);
    const auto& cut = model.pending();
    bool state_cut = cut && cut->op == "STATE";
    if (state == model.state() || (state_cut && state == cut->state)) {
        if (state_cut) {
            std::printf("%s: cut STATE %s left it %s\n", at.c_str(), cut->state.c_str(),
                        state == model.state() ? "as before" : "done");
            model.resolve_state(state);
        }
    } else {
        ADD_FAILURE() << at << ": the bucket's versioning is " << state << "; acknowledged " << model.state()
                      << (state_cut ? "; the cut STATE " + cut->state : std::string());
    }

    std::map<std::string, History> found;
    std::map<std::string, ObjectInfo> listed_info;  // by key and id
    ListVersionsParams params;
    params.max_keys = kListPageKeys;
    std::string last_key;
    for (;;) {
        auto page = e.list_object_versions(kBucket, params);
        ASSERT_TRUE(page) << at << ": list_object_versions: " << page.error().message();
        for (auto& v : page->versions) {
            EXPECT_LE(last_key, v.key) << at << ": listing out of key order at " << v.key;
            bool first_of_key = !found.contains(v.key);
            History& h = found[v.key];
            EXPECT_EQ(v.is_latest, first_of_key) << at << ", " << v.key << " " << v.version_id << ": IsLatest";
            EXPECT_TRUE(std::none_of(h.begin(), h.end(), [&](const Version& o) { return o.id == v.version_id; }))
                << at << ", " << v.key << ": " << v.version_id << " listed twice";
            h.push_back({v.version_id, v.delete_marker, v.delete_marker ? 0 : gen_of(v), v.size,
                         v.delete_marker ? std::string() : v.etag});
            listed_info[v.key + " " + v.version_id] = v;
            last_key = v.key;
        }
        if (!page->truncated) break;
        params.key_marker = page->next_key_marker;
        params.version_id_marker = page->next_version_id_marker;
    }

    std::set<std::string> keys;
    for (unsigned i = 0; i < kVersionKeys; ++i) keys.insert(version_key_name(i));
    for (auto& [key, h] : found)
        EXPECT_TRUE(keys.contains(key)) << at << ": listed " << key << ", not a key of the writer";

    std::uint64_t objects = 0, bytes = 0, markers = 0, distinct_bytes = 0;
    std::set<std::uint64_t> gens;
    std::set<std::string> current;  // the keys whose newest is an object
    for (auto& key : keys) {
        const History& h = found[key];
        bool is_pending = model.pending() && model.pending()->key == key;
        if (!model.allowed(key, h)) {
            const auto& p = model.pending();
            ADD_FAILURE() << at << ", " << key << ": lists " << describe(h) << "; acknowledged "
                          << describe(model.history(key))
                          << (is_pending ? "; the cut " + p->op + " " + (p->op == "VDEL" ? p->id : describe(p->added))
                                         : std::string());
            continue;
        }
        if (is_pending) {
            std::printf("%s: cut %s of %s left it %s\n", at.c_str(), model.pending()->op.c_str(), key.c_str(),
                        h == model.history(key) ? "as before" : "done");
            model.resolve(h);
        }

        // Each version by its id: an object reads back whole, a marker is one.
        for (auto& v : h) {
            std::string what = at + ", " + key + " " + describe(v);
            auto stat = e.stat_version(kBucket, key, v.id);
            if (!stat) {
                ADD_FAILURE() << what << ": stat_version: " << stat.error().message();
                continue;
            }
            EXPECT_EQ(stat->delete_marker, v.marker) << what << ": stat_version";
            auto head = e.head_object(kBucket, key, v.id);
            if (v.marker) {
                ++markers;
                EXPECT_TRUE(!head && head.error().code() == Errc::MethodNotAllowed) << what << ": head_object by id";
                continue;
            }
            ++objects;
            bytes += v.size;
            // Copies share the extents; a small body lives in its record.
            if (gens.insert(v.gen).second && v.size > kInlineBodyBytes) distinct_bytes += v.size;
            if (!head) {
                ADD_FAILURE() << what << ": head_object by id: " << head.error().message();
                continue;
            }
            EXPECT_TRUE(head->version_id == v.id && head->size == v.size && head->etag == v.etag &&
                        gen_of(*head) == v.gen)
                << what << ": head_object by id shows " << head->version_id << ", gen " << gen_of(*head);
            EXPECT_TRUE(!head->meta.tags.empty() && head->meta.tags.front().first == kGenMetaName &&
                        head->meta.tags.front().second == std::to_string(v.gen))
                << what << ": tags lost or not its own";
            auto body = read_all(e, key, *head, v.id);
            if (!body) {
                ADD_FAILURE() << what << ": reading failed: " << body.error().info().name << ": "
                              << body.error().message();
                continue;
            }
            std::string want = content(v.gen, v.size);
            EXPECT_TRUE(*body == want) << what << ": body differs, " << first_difference(*body, want);
            EXPECT_EQ(md5_hex(*body), v.etag) << what;
        }

        // The current: the newest version, unless that is a marker.
        auto head = e.head_object(kBucket, key);
        auto newest = e.stat_version(kBucket, key, "");
        if (h.empty()) {
            EXPECT_TRUE(!head && head.error().code() == Errc::NoSuchKey) << at << ", " << key << ": head_object";
            EXPECT_TRUE(!newest && newest.error().code() == Errc::NoSuchKey) << at << ", " << key << ": stat_version";
            continue;
        }
        EXPECT_TRUE(newest && newest->version_id == h.front().id && newest->delete_marker == h.front().marker)
            << at << ", " << key << ": stat_version of the newest is not " << describe(h.front());
        if (h.front().marker) {
            EXPECT_TRUE(!head && head.error().code() == Errc::NoSuchKey)
                << at << ", " << key << ": head_object under a current marker";
        } else {
            current.insert(key);
            EXPECT_TRUE(head && head->version_id == h.front().id && head->etag == h.front().etag &&
                        gen_of(*head) == h.front().gen)
                << at << ", " << key << ": head_object is not the newest, " << describe(h.front());
        }
    }
    // The listing of objects: the keys with a current object, each as its
    // newest version, nothing else.
    std::set<std::string> listed;
    auto page = e.list_objects(kBucket, {});
    ASSERT_TRUE(page) << at << ": list_objects: " << page.error().message();
    for (auto& o : page->objects) {
        listed.insert(o.key);
        if (!current.contains(o.key)) continue;
        const Version& newest = found[o.key].front();
        EXPECT_TRUE(o.size == newest.size && o.etag == newest.etag && gen_of(o) == newest.gen)
            << at << ": list_objects shows " << o.key << " with " << o.size << " bytes, etag " << o.etag << ", gen "
            << gen_of(o) << "; its newest is " << describe(newest);
    }
    EXPECT_EQ(listed, current) << at << ": list_objects and the versions' newest disagree";

    // Accounting: every object version counts, markers none.
    auto uploads = e.list_uploads(kBucket);
    ASSERT_TRUE(uploads) << uploads.error().message();
    EXPECT_TRUE(uploads->uploads.empty()) << at << ": uploads appeared";
    bucket = e.get_bucket(kBucket);
    ASSERT_TRUE(bucket) << bucket.error().message();
    EXPECT_EQ(bucket->objects, objects) << at << ": bucket object count (" << markers << " markers)";
    EXPECT_EQ(bucket->bytes, bytes) << at << ": bucket bytes";
    EXPECT_EQ(bucket->size.current, bucket->bytes) << at << ": size history";
    auto usage = e.get_user_usage(bucket->owner_id);
    ASSERT_TRUE(usage) << usage.error().message();
    EXPECT_EQ(usage->bytes, bytes) << at << ": user bytes";
    EXPECT_EQ(usage->objects, objects) << at << ": user objects";
    EXPECT_EQ(usage->reserved, 0u) << at << ": space reservations of the killed writer remain";

    auto scrub = e.scrub();
    ASSERT_TRUE(scrub) << at << ": scrub: " << scrub.error().message();
    EXPECT_TRUE(scrub->damaged.empty()) << at << ": scrub found " << scrub->damaged.size() << " damaged, first "
                                        << (scrub->damaged.empty() ? "" : scrub->damaged.front());

    std::uint64_t allocated = allocated_bytes(dir / "blobs");
    EXPECT_LE(allocated, distinct_bytes + distinct_bytes / 10 + kVersionSlackBytes)
        << at << ": " << allocated << " bytes allocated under blobs/ for " << distinct_bytes
        << " live bytes (bodies over " << kInlineBodyBytes << " bytes)";
    std::printf(
        "%s: %3llu versions, %3llu markers, %3zu current, %10llu bytes (%10llu distinct in blobs/), %10llu allocated "
        "under blobs/\n",
        at.c_str(), static_cast<unsigned long long>(objects), static_cast<unsigned long long>(markers), current.size(),
        static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(distinct_bytes),
        static_cast<unsigned long long>(allocated));
}

// ---- The rounds ----------------------------------------------------------

// Starts the writer (in `mode`), SIGKILLs it after a random while, replays
// its log into `model` and checks the directory, `rounds` times (CRASH_ROUNDS
// overrides) on one directory. CRASH_SEED replays a run.
template <class M, class CheckRound>
void run_rounds(const char* mode, int rounds, CheckRound check) {
    const char* writer = std::getenv("CRASH_WRITER");
    ASSERT_NE(writer, nullptr) << "set CRASH_WRITER to the crash-writer program";
    if (std::getenv("CRASH_ROUNDS")) rounds = std::atoi(std::getenv("CRASH_ROUNDS"));
    std::uint64_t seed = std::getenv("CRASH_SEED") ? std::strtoull(std::getenv("CRASH_SEED"), nullptr, 10)
                                                   : std::random_device{}() % 1'000'000;
    // /var/tmp: the real disk, where fdatasync and hole punching do their work.
    char tmpl[] = "/var/tmp/ostor-crash-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    fs::path root = tmpl;
    fs::path dir = root / "data";
    fs::path log = root / "ops.log";
    std::printf("CRASH_SEED=%llu, directory %s\n", static_cast<unsigned long long>(seed), dir.c_str());

    std::mt19937_64 rng(seed);
    M model(log);
    auto started = Clock::now();
    for (int round = 1; round <= rounds && !::testing::Test::HasFailure(); ++round) {
        std::uint64_t before = model.acknowledged_ops();
        // The log holds whole lines only (new_log_lines), all replayed.
        std::error_code ec;
        std::uint64_t offset = fs::exists(log) ? fs::file_size(log, ec) : 0;
        pid_t pid = start_writer(writer, dir, log, seed * 100 + static_cast<std::uint64_t>(round), mode);
        ASSERT_GT(pid, 0);
        // The kill's clock starts once the engine is open and the bucket made:
        // a kill before that would test nothing of the writes.
        wait_ready(log, offset);
        auto sleep_ms = kMinSleepMs + static_cast<int>(rng() % (kMaxSleepMs - kMinSleepMs + 1));
        std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
        ::kill(pid, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            << "round " << round << ": the writer ended by itself with status "
            << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << " (3: an engine call failed, see its stderr)";
        model.replay(round);
        std::printf("round %2d: killed %d ms after READY, %llu operations acknowledged\n", round, sleep_ms,
                    static_cast<unsigned long long>(model.acknowledged_ops() - before));
        auto check_started = Clock::now();
        check(round, dir, model);
        std::printf("round %2d: checked in %lld ms\n", round,
                    static_cast<long long>(
                        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - check_started).count()));
        std::fflush(stdout);
    }
    // A writer that never gets going proves nothing.
    EXPECT_GE(model.acknowledged_ops(), static_cast<std::uint64_t>(rounds))
        << "the writers acknowledged too few operations to test anything";
    std::printf(
        "%llu operations acknowledged in %lld s\n", static_cast<unsigned long long>(model.acknowledged_ops()),
        static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count()));
    if (!::testing::Test::HasFailure())
        fs::remove_all(root);
    else
        std::printf("kept %s (data/ and ops.log) for inspection; replay with CRASH_SEED=%llu\n", root.c_str(),
                    static_cast<unsigned long long>(seed));
}

TEST(Crash, KilledWriterLosesNothingAcknowledgedShowsNothingElseAndLeaksNoSpace) {
    run_rounds<Model>(nullptr, kDefaultRounds, check_round);
}

TEST(Crash, KilledVersionedWriterKeepsEveryAcknowledgedVersionAndCountsThemExactly) {
    run_rounds<VersionModel>("versions", kDefaultRounds, check_version_round);
}

}  // namespace
