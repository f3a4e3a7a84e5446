// Syncs of full segments before any commit asks for them.
//
// A body written with O_DIRECT is in the disk's write cache, not yet on stable
// storage, when its writes complete; the commit's fdatasync then has the disk
// flush it all. For a 1 GiB body that was 0.6 s here at the end of the PUT,
// after the body was received and hashed. A segment filled up (64 MiB) is
// synced on this thread meanwhile, overlapping the hashing of the next
// bytes, so that the commit's sync finds only the last segment's data left.
// The commit still syncs every segment it names: this only starts early.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ostor::detail {

struct Segment;

class EarlySyncs {
public:
    EarlySyncs();
    // Drops the syncs not started: each commit syncs its segments anyway.
    ~EarlySyncs();
    EarlySyncs(const EarlySyncs&) = delete;
    EarlySyncs& operator=(const EarlySyncs&) = delete;

    // Syncs `segment` soon (sync_segment: a failure marks it failed, and
    // the commit naming it fails).
    void sync_soon(std::shared_ptr<Segment> segment);

private:
    void run();

    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::shared_ptr<Segment>> queued_;
    bool stopping_ = false;
    std::thread thread_;  // last: started once the rest is constructed
};

}  // namespace ostor::detail
