// A small fixed pool of threads that runs the engine's asynchronous calls.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ostor::detail {

class AsyncPool {
public:
    explicit AsyncPool(unsigned threads);
    // Runs what was submitted, then joins.
    ~AsyncPool();
    void submit(std::function<void()> fn);

private:
    void run();
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace ostor::detail
