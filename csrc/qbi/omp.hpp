// OpenMP shims: the kernels compile and run single-threaded when no OpenMP runtime is present.
#pragma once

#include <algorithm>
#include <exception>
#include <mutex>

#include "common.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace qbi {

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

// Runs body(begin, end) over a static split of [0, n_tasks) into one contiguous range per thread.
// Each task must be independent of the others, so the result never depends on the split.
template <class Body>
void parallel_ranges(index_t n_tasks, int n_threads, Body&& body) {
    if (n_tasks <= 0) return;
#ifdef _OPENMP
    const int team = static_cast<int>(std::max<index_t>(1, std::min<index_t>(n_threads, n_tasks)));
    if (team > 1) {
        ErrorSlot errors;
#pragma omp parallel num_threads(team)
        {
            const index_t t = omp_get_thread_num(), nt = omp_get_num_threads();
            const index_t base = n_tasks / nt, extra = n_tasks % nt;
            const index_t begin = t * base + std::min(t, extra);
            const index_t end = begin + base + (t < extra ? 1 : 0);
            try {
                body(begin, end);
            } catch (...) {
                errors.capture();
            }
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
