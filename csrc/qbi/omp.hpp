// OpenMP shims: the kernels compile and run single-threaded when no OpenMP runtime is present.
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "common.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace qbi {

// GNU libgomp's thread pool does not survive fork(): a child that enters a parallel region after
// its parent ran one waits for ever for pool threads that were not copied. Whether the parent
// (or any other library in it) used OpenMP cannot be known, so every forked child runs its teams
// on threads of its own instead. The flag is set by a fork handler that the module registers
// when it is imported (bindings/module.cpp).
inline std::atomic<bool> forked_child{false};

inline void mark_forked_child() { forked_child.store(true, std::memory_order_relaxed); }

// omp_get_max_threads() of the calling thread: sees OMP_NUM_THREADS and threadpoolctl limits.
inline int omp_max_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

inline bool openmp_enabled() {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

// Holds the first exception thrown inside a parallel region (none may cross its boundary) so it
// can be rethrown on the calling thread afterwards.
class ErrorSlot {
public:
    void capture() noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!first_) first_ = std::current_exception();
    }
    void rethrow_if_any() const {
        if (first_) std::rethrow_exception(first_);
    }

private:
    std::mutex mutex_;
    std::exception_ptr first_;
};

// Threads worth starting for `work` units when one thread should get at least `min_per_thread`:
// small inputs stay serial because waking a team costs more than it saves.
inline int useful_threads(int requested, index_t work, index_t min_per_thread) {
    const index_t by_work = std::max<index_t>(1, work / std::max<index_t>(1, min_per_thread));
    return static_cast<int>(std::max<index_t>(1, std::min<index_t>(requested, by_work)));
}

// Range t of a static split of [0, n_tasks) into nt contiguous ranges, the first ones longer.
template <class Body>
void run_range(Body& body, index_t n_tasks, index_t t, index_t nt, ErrorSlot& errors) noexcept {
    const index_t base = n_tasks / nt, extra = n_tasks % nt;
    const index_t begin = t * base + std::min(t, extra);
    const index_t end = begin + base + (t < extra ? 1 : 0);
    try {
        body(begin, end);
    } catch (...) {
        errors.capture();
    }
}

// The team of a forked child: threads started for this call (see forked_child). A thread that
// cannot be started leaves its range to the calling thread.
template <class Body>
void ranges_on_own_threads(index_t n_tasks, int team, Body& body, ErrorSlot& errors) {
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(team - 1));
    for (int t = 1; t < team; ++t) {
        try {
            threads.emplace_back([&, t] { run_range(body, n_tasks, t, team, errors); });
        } catch (...) {
            run_range(body, n_tasks, t, team, errors);
        }
    }
    run_range(body, n_tasks, 0, team, errors);
    for (auto& thread : threads) thread.join();
}

// Runs body(begin, end) over a static split of [0, n_tasks) into one contiguous range per thread.
// Each task must be independent of the others, so the result never depends on the split.
template <class Body>
void parallel_ranges(index_t n_tasks, int n_threads, Body&& body) {
    if (n_tasks <= 0) return;
#ifdef _OPENMP
    const int team = static_cast<int>(std::max<index_t>(1, std::min<index_t>(n_threads, n_tasks)));
    if (team > 1) {
        ErrorSlot errors;
        if (forked_child.load(std::memory_order_relaxed)) {
            ranges_on_own_threads(n_tasks, team, body, errors);
        } else {
#pragma omp parallel num_threads(team)
            run_range(body, n_tasks, omp_get_thread_num(), omp_get_num_threads(), errors);
        }
        errors.rethrow_if_any();
        return;
    }
#else
    (void)n_threads;
#endif
    body(index_t{0}, n_tasks);
}

}  // namespace qbi
