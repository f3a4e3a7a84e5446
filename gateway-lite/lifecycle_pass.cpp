#include "lifecycle_pass.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "lifecycle_config.hpp"
#include "lifecycle_rules.hpp"

namespace ostor::gw::lifecycle {

namespace {

// A bucket whose page fails this many times in a row (at one attempt per
// interval) is skipped for the rest of the pass, so that one bucket that
// cannot be read never stops the others' lifecycle.
constexpr std::int64_t kMaxBucketFailures = 3;

bool has_tag_rule(const detail::LifecycleConfig& config) {
    return std::ranges::any_of(config.rules, [](const auto& r) {
        return r.enabled && !r.filter.tags.empty() && (r.expiration || r.noncurrent_expiration);
    });
}

// Where a versions page is inside a key: the last-modified of the version
// just before (-1: none yet, the next is the key's current), the key's
// noncurrent versions before it, and the key's current; `current_gone`
// (not recorded): that current was found gone, no noncurrent action on it.
struct KeyPosition {
    std::int64_t newer_ms = -1;
    std::int64_t noncurrent_seen = 0;
    std::string current_id;
    bool current_gone = false;

    // `v`, the key's next version written before the pass's `now`, seen.
    void count(const ObjectInfo& v) {
        if (newer_ms < 0)
            current_id = v.version_id;
        else
            ++noncurrent_seen;
        newer_ms = v.last_modified_ms;
    }
};

// What a removal did: the version (or the current: a delete marker added)
// went; the key's current was no longer the one the options named
// (PreconditionFailed, nothing done); the version or its bucket was gone.
enum class Removal { Removed, CurrentChanged, Gone };

// One pass (or the rest of one), holding the role.
class Pass {
public:
    Pass(Engine& engine, RoleLease& lease, const LifecycleWorkerOptions& options, std::function<bool()> stopping,
         std::function<bool(std::chrono::milliseconds)> pause, std::optional<std::string> record, PassState state)
        : engine_(engine),
          lease_(lease),
          options_(options),
          stopping_(std::move(stopping)),
          pause_(std::move(pause)),
          record_(std::move(record)),
          state_(std::move(state)) {}

    Stop run() {
        auto buckets = engine_.list_buckets();
        if (!buckets) return failed("listing the buckets", buckets.error());
        for (const auto& b : *buckets) {
            if (!b.configs.contains(std::string(kLifecycleConfigKind))) continue;
            if (!state_.bucket.empty() && b.name < state_.bucket) continue;  // done before a restart
            if (b.name != state_.bucket) state_ = start_of(b.name, Phase::Objects);
            if (state_.phase == Phase::Done) continue;
            auto s = bucket(b.name);
            if (s == Stop::Failed) s = bucket_failed(b.name);
            if (s != Stop::No) return s;
        }
        // The pass ends: its start is recorded, and no pass runs again that day.
        PassState done;
        done.last_pass_ms = state_.pass_ms;
        if (auto s = save(done); s != Stop::No) return s;
        std::fprintf(stderr,
                     "ostor-gateway: lifecycle: pass of day %lld done: %llu expired, %llu aborted, %llu noncurrent "
                     "deleted, %llu markers removed, %llu kept by object lock\n",
                     static_cast<long long>(state_.pass_ms / options_.day.count()),
                     static_cast<unsigned long long>(expired_), static_cast<unsigned long long>(aborted_),
                     static_cast<unsigned long long>(noncurrent_deleted_),
                     static_cast<unsigned long long>(markers_removed_), static_cast<unsigned long long>(locked_));
        return Stop::No;
    }

private:
    // The pass's position at the start of `phase` of `bucket`.
    PassState start_of(const std::string& bucket, Phase phase) const {
        PassState s;
        s.pass_ms = state_.pass_ms;
        s.last_pass_ms = state_.last_pass_ms;
        s.bucket = bucket;
        s.phase = phase;
        return s;
    }

    // A page of `name` failed (and was not recorded: it is done again). The
    // failure is counted in the record; at kMaxBucketFailures in a row the
    // bucket is skipped for this pass and the pass goes on.
    Stop bucket_failed(const std::string& name) {
        ++state_.failures;
        if (state_.failures < kMaxBucketFailures) {
            if (auto s = save(state_); s != Stop::No) return s;
            return Stop::Failed;
        }
        std::fprintf(stderr,
                     "ostor-gateway: lifecycle: bucket %s: failed %lld times in a row, skipped until the next pass\n",
                     name.c_str(), static_cast<long long>(state_.failures));
        state_.failures = 0;
        return finish_phase(Phase::Done);
    }

    detail::LifecycleClock clock() const {
        return {state_.pass_ms, options_.day.count(), options_.clock_margin.count()};
    }

    // The bucket's rules are read again before each page, as they are now
    // (from the engine's bucket cache, kept true across processes): a
    // configuration removed or changed while a pass is under way applies
    // from the next page on, not at the pass's end.
    Stop bucket(const std::string& name) {
        while (state_.phase != Phase::Done) {
            auto b = engine_.get_bucket_record(name);
            if (auto s = read_or_done(b, "reading bucket " + name)) return *s;
            auto document = b->configs.find(std::string(kLifecycleConfigKind));
            if (document == b->configs.end()) return finish_phase(Phase::Done);  // its rules are gone
            auto config = detail::decode_lifecycle_config(document->second);
            if (!config) {
                std::fprintf(stderr, "ostor-gateway: lifecycle: bucket %s: an unreadable configuration, skipped\n",
                             name.c_str());
                return finish_phase(Phase::Done);
            }
            const bool versioned = b->versioning != VersioningState::Off;  // Enabled or Suspended
            const Stop stop = state_.phase == Phase::Uploads ? uploads_page(name, *config)
                              : versioned                    ? versions_page(name, *config)
                                                             : objects_page(name, *config);
            if (stop != Stop::No) return stop;
        }
        return Stop::No;
    }

    // Before each action: the role must still be ours.
    Stop may_act() {
        if (stopping_()) return Stop::Asked;
        if (lease_.lost()) return Stop::RoleLost;
        return Stop::No;
    }

    Stop objects_page(const std::string& bucket, const detail::LifecycleConfig& config) {
        ListObjectsParams params;
        params.marker = state_.key_marker;
        params.max_keys = options_.page_size;
        auto page = engine_.list_objects(bucket, params);
        if (auto s = read_or_done(page, "listing " + bucket)) return *s;
        const bool tags = has_tag_rule(config);
        for (const auto& listed : page->objects) {
            if (auto s = may_act(); s != Stop::No) return s;
            // The listing carries no tags: the record is read when a rule
            // asks for them, and that read is what is evaluated.
            ObjectInfo info = listed;
            if (tags) {
                auto head = engine_.head_object(bucket, info.key);
                if (!head && gone(head.error())) continue;  // deleted meanwhile
                // Any other failure: the page is done again (the actions
                // are conditional), rather than the object passed over.
                if (!head) return failed("reading " + bucket + "/" + info.key, head.error());
                info = std::move(*head);
            }
            // Written after the pass's `now`: the next pass's.
            if (info.last_modified_ms > state_.pass_ms) continue;
            if (auto s = expire_if_due(bucket, config, info, bucket + "/" + info.key); s != Stop::No) return s;
        }
        if (!page->truncated || page->objects.empty()) return finish_phase(Phase::Uploads);
        state_.key_marker = page->objects.back().key;
        return page_done();
    }

    // A page of a versioned (Enabled or Suspended) bucket's versions, each
    // key's newest first. The pass sees the bucket as it was at its `now`:
    // a version written since (a client's, or a marker the pass added before
    // a page was done again) is passed over, and the first version of a key
    // written before is its current. A version's "noncurrent since" is the
    // last-modified of the one seen before it (its next newer), and its rank
    // the noncurrent versions of its key seen before it; when a key runs
    // over a page's end, the record carries both to the next page, with the
    // key's current as seen (checked again before a noncurrent removal).
    Stop versions_page(const std::string& bucket, const detail::LifecycleConfig& config) {
        ListVersionsParams params;
        params.key_marker = state_.key_marker;
        params.version_id_marker = state_.version_id_marker;
        params.max_keys = options_.page_size;
        auto page = engine_.list_object_versions(bucket, params);
        if (auto s = read_or_done(page, "listing the versions of " + bucket)) return *s;
        const bool tags = has_tag_rule(config);
        marker_rules_for_ = nullptr;  // the rules are read again before each page
        // The key the page resumes in (after a version of it): its versions
        // newer than the marker were evaluated on an earlier page.
        const std::string resumed = state_.version_id_marker.empty() ? std::string() : state_.key_marker;
        // Resumed after a "null" version that is gone since (the pass removed
        // it at the last page's end, or a client did): the listing starts
        // the key again at its newest, and where the null was is lost (told
        // by the first version's id, relisted_after_null). The
        // key's remaining versions are left to the next pass (passed over,
        // and the position recorded past the key): evaluated with the
        // null's rank and "noncurrent since", they would look older than
        // they are, and be removed where S3 keeps them.
        const bool in_resumed = !resumed.empty() && !page->versions.empty() && page->versions.front().key == resumed;
        bool restarted = in_resumed && state_.version_id_marker == "null" &&
                         relisted_after_null(page->versions.front().version_id, state_.before_null_id);
        std::string key = resumed;
        KeyPosition at = recorded_position();
        if (in_resumed && !restarted) {
            std::optional<KeyPosition> now;
            if (auto s = position_in_key(bucket, resumed, page->versions.front().version_id, now); s != Stop::No)
                return s;
            if (now)
                at = std::move(*now);
            else
                restarted = true;
        }
        // The key's last two versions listed (a "null" marker needs the one
        // before it).
        std::string last_id = resumed.empty() ? std::string() : state_.version_id_marker;
        std::string before_last_id;
        for (auto& v : page->versions) {
            if (auto s = may_act(); s != Stop::No) return s;
            if (restarted && v.key == resumed) continue;
            if (v.key != key) {
                key = v.key;
                at = {};
                last_id.clear();
            }
            before_last_id = std::exchange(last_id, v.version_id);
            if (v.last_modified_ms > state_.pass_ms) continue;  // the next pass's
            if (auto s = version(bucket, config, tags, v, at); s != Stop::No) return s;
            at.count(v);
        }
        if (!page->truncated || page->versions.empty()) return finish_phase(Phase::Uploads);
        if (restarted && page->next_key_marker == resumed) {
            // Still in the restarted key: past it (a key marker alone).
            state_ = start_of(bucket, state_.phase);
            state_.key_marker = resumed;
            return page_done();
        }
        const bool in_key = page->next_key_marker == key;
        if (!in_key) at = {};
        state_.key_marker = page->next_key_marker;
        state_.version_id_marker = page->next_version_id_marker;
        state_.newer_ms = at.newer_ms;
        state_.noncurrent_seen = at.noncurrent_seen;
        state_.current_id = std::move(at.current_id);
        state_.before_null_id = in_key && state_.version_id_marker == "null" ? before_last_id : std::string();
        return page_done();
    }

    KeyPosition recorded_position() const { return {state_.newer_ms, state_.noncurrent_seen, state_.current_id}; }

    // A page resuming inside `key`: the key's current and its noncurrent
    // versions before `first_id` (the page's first) as they are now, from
    // one listing of the key from its newest. The record's rank was true
    // when the last page ended; a client deleting one of the key's versions
    // since lowers it (NewerNoncurrentVersions 1, v3 current and v2 seen,
    // v2 deleted: v1 is the newest noncurrent now, which S3 keeps). Not so
    // "noncurrent since": when v1 became noncurrent does not change with
    // v2's deletion, so the record's stays. `out` is the record's position
    // when `first_id` is further down than one listing (a key of more
    // versions than a page: the rank only decides up to
    // NewerNoncurrentVersions, at most 100, which a page's worth is past
    // unless many were written after `now`), and empty when `first_id` is no
    // longer among the key's versions (removed since): the key is then left
    // to the next pass.
    Stop position_in_key(const std::string& bucket, const std::string& key, const std::string& first_id,
                         std::optional<KeyPosition>& out) {
        out.reset();
        ListVersionsParams params;
        params.prefix = key;
        params.max_keys = options_.page_size;
        auto listed = engine_.list_object_versions(bucket, params);
        if (!listed && listed.error().code() == Errc::NoSuchBucket) return Stop::No;
        if (!listed) return failed("listing the versions of " + bucket + "/" + key, listed.error());
        KeyPosition at;
        for (const auto& v : listed->versions) {
            if (v.key != key) return Stop::No;  // past the key: first_id is gone
            if (v.version_id == first_id) {
                // Versions counted before it: when it became noncurrent is
                // the record's (a deletion since does not change that).
                // None: it is the key's current now (a rollback promoted
                // it), whatever the record says.
                if (at.newer_ms >= 0 && state_.newer_ms >= 0) at.newer_ms = state_.newer_ms;
                out = std::move(at);
                return Stop::No;
            }
            if (v.last_modified_ms > state_.pass_ms) continue;  // as the page does
            at.count(v);
        }
        if (listed->truncated) out = recorded_position();
        return Stop::No;
    }

    // One version: the current (none counted yet at `at`; a delete marker
    // too), or a noncurrent version (delete markers too) with the
    // last-modified of its next newer version and its noncurrent rank, and
    // the key's current as the pass saw it (`at.current_gone` is set when
    // that is found gone).
    Stop version(const std::string& bucket, const detail::LifecycleConfig& config, bool tags, const ObjectInfo& listed,
                 KeyPosition& at) {
        const bool current = at.newer_ms < 0;
        const std::string where = bucket + "/" + listed.key + " version " + listed.version_id;
        if (current && listed.delete_marker) return latest_marker(bucket, config, listed, where);
        // The listing carries no tags: read them when a rule asks for them
        // (a marker has none).
        ObjectInfo info = listed;
        if (tags && !listed.delete_marker) {
            auto head = engine_.head_object(bucket, listed.key, listed.version_id);
            if (!head && gone(head.error())) {
                if (current) at.current_gone = true;  // the key's versions as seen are not the key's
                return Stop::No;
            }
            if (!head) return failed("reading " + where, head.error());
            info = std::move(*head);
        }
        if (current) return expire_if_due(bucket, config, info, where);
        const auto* object_tags = info.meta.tags.empty() ? nullptr : &info.meta.tags;
        const auto rank = static_cast<std::uint32_t>(
            std::min<std::int64_t>(at.noncurrent_seen, std::numeric_limits<std::uint32_t>::max()));
        // A marker has no size or tags: only the rules without such a
        // condition apply to it (the evaluation's contract).
        auto verdict = detail::evaluate_noncurrent(listed.delete_marker ? marker_rules(config) : config,
                                                   {info.key, info.size, object_tags, at.newer_ms, rank}, clock());
        if (verdict.action != detail::LifecycleAction::DeleteNoncurrent) return Stop::No;
        std::optional<ObjectInfo> under;
        if (auto s = still_noncurrent(bucket, listed, at, where, under); s != Stop::No) return s;
        if (!under) return Stop::No;
        // Only while that current stays (checked in the engine's commit): a
        // rollback since the look refuses it, and the key waits for the next pass.
        auto removed = remove(bucket, listed.key, DeleteOptions::noncurrent_if_still(listed.version_id, *under));
        if (!removed) return refused("deleting " + where, removed.error());
        if (*removed == Removal::Removed) ++noncurrent_deleted_;
        if (*removed == Removal::CurrentChanged) at.current_gone = true;
        return Stop::No;
    }

    // A current that a rule expires goes (versioned: a delete marker is
    // added) only while `info` is still the key's current: a newer write, or
    // the marker added before a page was done again, is left alone.
    Stop expire_if_due(const std::string& bucket, const detail::LifecycleConfig& config, const ObjectInfo& info,
                       const std::string& where) {
        const auto* object_tags = info.meta.tags.empty() ? nullptr : &info.meta.tags;
        auto verdict =
            detail::evaluate_current(config, {info.key, info.size, object_tags, info.last_modified_ms}, clock());
        if (verdict.action != detail::LifecycleAction::ExpireCurrent) return Stop::No;
        auto removed = remove(bucket, info.key, DeleteOptions::current_if_still(info));
        if (!removed) return refused("expiring " + where, removed.error());
        if (*removed == Removal::Removed) ++expired_;
        return Stop::No;
    }

    // `config`'s rules that can match a delete marker: those without a tag
    // or size condition (made once per page).
    const detail::LifecycleConfig& marker_rules(const detail::LifecycleConfig& config) {
        if (marker_rules_for_ != &config) {
            marker_rules_ = config;
            std::erase_if(marker_rules_.rules, [](const auto& r) {
                return !r.filter.tags.empty() || r.filter.size_greater_than || r.filter.size_less_than;
            });
            marker_rules_for_ = &config;
        }
        return marker_rules_;
    }

    // Before a noncurrent version is removed by its id: the key's current
    // now must not be that version, and the current the pass saw must still
    // be there. A client that deleted that current by id (a rollback) made
    // the next version the current, and the ranks and "noncurrent since" the
    // pass holds are no longer the key's: its noncurrent actions are left to
    // the next pass (`at.current_gone`). A newer write over the pass's current
    // changes neither. `under`: the key's current now, which the removal
    // names (DeleteOptions::if_noncurrent_under), so that a rollback landing
    // between this look and the removal refuses it; none: the version stays.
    Stop still_noncurrent(const std::string& bucket, const ObjectInfo& v, KeyPosition& at, const std::string& where,
                          std::optional<ObjectInfo>& under) {
        under.reset();
        if (at.current_gone || at.current_id.empty()) return Stop::No;
        auto now = engine_.stat_version(bucket, v.key, "");
        if (!now && gone(now.error())) return Stop::No;  // no version left
        if (!now) return failed("reading the current of " + where, now.error());
        const std::string now_id = now->version_id.empty() ? "null" : now->version_id;
        if (now_id == v.version_id) return Stop::No;  // the current now
        if (now_id != at.current_id) {
            auto seen = engine_.stat_version(bucket, v.key, at.current_id);
            if (!seen && gone(seen.error())) {
                at.current_gone = true;
                return Stop::No;
            }
            if (!seen) return failed("reading " + bucket + "/" + v.key + " version " + at.current_id, seen.error());
        }
        under = std::move(*now);
        return Stop::No;
    }

    // A delete marker that is its key's current: removed only while it is
    // the key's only version, which a listing of the key checks just before
    // (a version the page showed under it, or one written since, keeps it).
    // A write landing between that check and the removal finds the marker
    // noncurrent by then: only that marker goes, no data.
    Stop latest_marker(const std::string& bucket, const detail::LifecycleConfig& config, const ObjectInfo& marker,
                       const std::string& where) {
        auto verdict = detail::evaluate_lone_marker(config, {marker.key, marker.last_modified_ms}, clock());
        if (verdict.action != detail::LifecycleAction::RemoveMarker) return Stop::No;
        ListVersionsParams params;
        params.prefix = marker.key;
        params.max_keys = 2;
        auto now = engine_.list_object_versions(bucket, params);
        if (!now && now.error().code() == Errc::NoSuchBucket) return Stop::No;
        if (!now) return failed("listing the versions of " + where, now.error());
        const auto& vs = now->versions;
        const bool lone = !vs.empty() && vs[0].key == marker.key && vs[0].version_id == marker.version_id &&
                          vs[0].delete_marker && (vs.size() < 2 || vs[1].key != marker.key);
        if (!lone) return Stop::No;
        DeleteOptions by_id;
        by_id.version_id = marker.version_id;
        auto removed = remove(bucket, marker.key, by_id);
        if (!removed) return refused("deleting " + where, removed.error());
        if (*removed == Removal::Removed) ++markers_removed_;
        return Stop::No;
    }

    // delete_object with `options`; its error is the caller's to report
    // (refused). PreconditionFailed is the key's current changed only for
    // options that name a current to hold to: without one it is an error.
    Result<Removal> remove(const std::string& bucket, const std::string& key, const DeleteOptions& options) {
        auto deleted = engine_.delete_object(bucket, key, options);
        if (deleted) return Removal::Removed;
        const bool names_current = options.if_current || options.if_noncurrent_under;
        if (names_current && deleted.error().code() == Errc::PreconditionFailed) return Removal::CurrentChanged;
        if (gone(deleted.error())) return Removal::Gone;  // a page done again, or a client's deletion
        return std::move(deleted).error();
    }

    // A failed action: one object lock forbids is kept (counted and logged:
    // the next pass tries again, this one goes on); any other failure stops
    // the page.
    Stop refused(const std::string& doing, const Error& e) {
        if (e.code() != Errc::ObjectLocked) return failed(doing, e);
        ++locked_;
        log_error(doing + " (kept: object lock)", e);
        return Stop::No;
    }

    Stop uploads_page(const std::string& bucket, const detail::LifecycleConfig& config) {
        ListUploadsParams params;
        params.key_marker = state_.key_marker;
        params.upload_id_marker = state_.upload_id_marker;
        params.max_uploads = options_.page_size;
        auto page = engine_.list_uploads(bucket, params);
        if (auto s = read_or_done(page, "listing the uploads of " + bucket)) return *s;
        for (const auto& u : page->uploads) {
            if (auto s = may_act(); s != Stop::No) return s;
            if (u.initiated_ms > state_.pass_ms) continue;
            auto verdict = detail::evaluate_upload(config, {u.key, u.initiated_ms}, clock());
            if (verdict.action != detail::LifecycleAction::AbortUpload) continue;
            auto aborted = engine_.abort_upload(u.id);
            if (aborted)
                ++aborted_;
            else if (aborted.error().code() != Errc::NoSuchUpload)
                return failed("aborting upload " + u.id + " of " + bucket + "/" + u.key, aborted.error());
        }
        if (!page->truncated || page->uploads.empty()) return finish_phase(Phase::Done);
        state_.key_marker = page->next_key_marker;
        state_.upload_id_marker = page->next_upload_id_marker;
        return page_done();
    }

    // A read a page starts with (the bucket's record, a listing page) went
    // through, or what the page returns: the bucket is done when it is gone,
    // and any other failure stops the page.
    template <class T>
    std::optional<Stop> read_or_done(const Result<T>& read, const std::string& doing) {
        if (read) return std::nullopt;
        if (read.error().code() == Errc::NoSuchBucket) return finish_phase(Phase::Done);
        return failed(doing, read.error());
    }

    Stop finish_phase(Phase next) {
        state_ = start_of(state_.bucket, next);
        return page_done();
    }

    // The position is recorded, then the pass pauses before the next page.
    Stop page_done() {
        state_.failures = 0;  // a page went through: the failures were not in a row
        if (auto s = save(state_); s != Stop::No) return s;
        if (!pause_(options_.page_pause)) return Stop::Asked;
        return Stop::No;
    }

    Stop save(const PassState& s) {
        if (lease_.lost()) return Stop::RoleLost;
        auto text = encode_state(s);
        auto swapped = engine_.swap_role_state(kRole, record_, text);
        if (!swapped && swapped.error().code() == Errc::PreconditionFailed) {
            // Another holder wrote since: this one lost the role meanwhile.
            log_error("recording the pass's progress (the role went to another gateway)", swapped.error());
            return Stop::RoleLost;
        }
        if (!swapped) return failed("recording the pass's progress", swapped.error());
        record_ = std::move(text);
        return Stop::No;
    }

    // The object (or its bucket) is no longer there: nothing to do for it.
    static bool gone(const Error& e) {
        return e.code() == Errc::NoSuchKey || e.code() == Errc::NoSuchVersion || e.code() == Errc::NoSuchBucket;
    }

    Stop failed(const std::string& doing, const Error& e) {
        log_error(doing, e);
        return Stop::Failed;
    }

    Engine& engine_;
    RoleLease& lease_;
    const LifecycleWorkerOptions& options_;
    std::function<bool()> stopping_;
    std::function<bool(std::chrono::milliseconds)> pause_;
    std::optional<std::string> record_;  // the record as stored (the compare's)
    PassState state_;
    detail::LifecycleConfig marker_rules_{};
    const detail::LifecycleConfig* marker_rules_for_ = nullptr;
    std::uint64_t expired_ = 0;
    std::uint64_t aborted_ = 0;
    std::uint64_t noncurrent_deleted_ = 0;
    std::uint64_t markers_removed_ = 0;
    std::uint64_t locked_ = 0;
};

}  // namespace

void log_error(std::string_view doing, const Error& e) {
    std::fprintf(stderr, "ostor-gateway: lifecycle: %.*s: %.*s\n", static_cast<int>(doing.size()), doing.data(),
                 static_cast<int>(e.message().size()), e.message().data());
}

Stop run_pass(Engine& engine, RoleLease& lease, const LifecycleWorkerOptions& options, std::function<bool()> stopping,
              std::function<bool(std::chrono::milliseconds)> pause, std::optional<std::string> record,
              PassState state) {
    return Pass(engine, lease, options, std::move(stopping), std::move(pause), std::move(record), std::move(state))
        .run();
}

}  // namespace ostor::gw::lifecycle
