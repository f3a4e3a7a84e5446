#include "async_pool.hpp"

namespace ostor::detail {

AsyncPool::AsyncPool(unsigned threads) {
    if (threads == 0) threads = 1;
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

AsyncPool::~AsyncPool() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void AsyncPool::submit(std::function<void()> fn) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(fn));
    }
    cv_.notify_one();
}

void AsyncPool::run() {
    for (;;) {
        std::function<void()> fn;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping and drained
            fn = std::move(queue_.front());
            queue_.pop_front();
        }
        fn();
    }
}

}  // namespace ostor::detail
