// Running medians of several rows at once, one row per SIMD lane: each lane keeps its window
// sorted, and a step (one value leaves, one enters) rewrites the sorted window element by
// element without branches, so lanes whose values land at different places never diverge.
// With the window W sorted, removing `a` gives D[k] = W[k] >= a ? W[k + 1] : W[k] (drops the
// first element equal to a), and inserting `b` into D gives R[k] = max(D[k - 1], min(D[k], b))
// (D[-1] = -inf). That is four vector operations per window element and step, for all lanes.
#include "running_median.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "omp.hpp"
#include "simd.hpp"
#include <cstring>

namespace qbi {

namespace {

// Rows filtered together: one vector of `Bytes` bytes (16: SSE, 32: AVX2) holds a sample of each.
template <class T, int Bytes>
struct LaneWindow {
    using V = typename VecOf<T, Bytes>::type;
    static constexpr index_t kLanes = Bytes / sizeof(T);
    index_t size;
    // sorted[k * kLanes + lane]: element k of that lane's window. Plain T storage, read and
    // written through memcpy: vector types never cross into std:: code compiled for another ISA.
    std::vector<T> sorted;

    explicit LaneWindow(index_t n) : size(n), sorted(n * kLanes) {}

    static QBI_ALWAYS_INLINE V load(const T* p) {
        V v;
        std::memcpy(&v, p, sizeof(V));
        return v;
    }
    static QBI_ALWAYS_INLINE void store(T* p, V v) { std::memcpy(p, &v, sizeof(V)); }

    // One step for every lane: remove leaving[lane], insert entering[lane].
    QBI_ALWAYS_INLINE void replace(const T* leaving_lanes, const T* entering_lanes) {
        const V leaving = load(leaving_lanes), entering = load(entering_lanes);
        V previous = leaving;
        for (index_t l = 0; l < kLanes; ++l) previous[l] = -std::numeric_limits<T>::infinity();
        T* w = sorted.data();
        V current = load(w);
        for (index_t k = 0; k + 1 < size; ++k) {
            const V following = load(w + (k + 1) * kLanes);
            const V kept = current >= leaving ? following : current;
            const V low = kept < entering ? kept : entering;
            store(w + k * kLanes, previous > low ? previous : low);
            previous = kept;
            current = following;
        }
        // D has one element less than W: past its end it is +inf, so min(D[k], b) = b.
        store(w + (size - 1) * kLanes, previous > entering ? previous : entering);
    }
};

// Medians of rows [0, min(n_rows, lanes)) of `in`; lanes past the last row repeat it and are
// not written.
template <class T, int Bytes>
QBI_ALWAYS_INLINE void median_of_rows(const T* in, T* out, index_t n_rows, index_t n_columns,
                                      index_t size, Mode mode, T cval) {
    using Window = LaneWindow<T, Bytes>;
    constexpr index_t lanes = Window::kLanes;
    const index_t before = size / 2, length = n_columns + size - 1;
    std::vector<T> extended(length * lanes), first(size);
    Window window(size);
    for (index_t l = 0; l < lanes; ++l) {
        const T* row = in + std::min(l, n_rows - 1) * n_columns;
        for (index_t i = 0; i < length; ++i) {
            const index_t j = extend_index(i - before, n_columns, mode);
            extended[i * lanes + l] = j < 0 ? cval : row[j];
        }
        for (index_t k = 0; k < size; ++k) first[k] = extended[k * lanes + l];
        std::sort(first.begin(), first.end());
        for (index_t k = 0; k < size; ++k) window.sorted[k * lanes + l] = first[k];
    }
    const index_t rank = size / 2, real_lanes = std::min(lanes, n_rows);
    for (index_t c = 0;; ++c) {
        const T* median = window.sorted.data() + rank * lanes;
        for (index_t l = 0; l < real_lanes; ++l) out[l * n_columns + c] = median[l];
        if (c + 1 == n_columns) break;
        window.replace(extended.data() + c * lanes, extended.data() + (c + size) * lanes);
    }
}

template <class T>
using RowsKernel = void (*)(const T*, T*, index_t, index_t, index_t, Mode, T);

template <class T>
void median_of_rows_baseline(const T* in, T* out, index_t n_rows, index_t n_columns,
                             index_t size, Mode mode, T cval) {
    median_of_rows<T, 16>(in, out, n_rows, n_columns, size, mode, cval);
}

#ifdef QBI_HAVE_AVX2_PATH
template <class T>
QBI_TARGET_AVX2 void median_of_rows_avx2(const T* in, T* out, index_t n_rows, index_t n_columns,
                                         index_t size, Mode mode, T cval) {
    median_of_rows<T, 32>(in, out, n_rows, n_columns, size, mode, cval);
}
#endif

}  // namespace

template <class T>
void median_along_rows(const T* in, T* out, index_t n_rows, index_t n_columns, index_t size,
                       Mode mode, T cval, int n_threads) {
    if (n_rows <= 0 || n_columns <= 0) return;
    RowsKernel<T> kernel = median_of_rows_baseline<T>;
    index_t lanes = 16 / sizeof(T);
#ifdef QBI_HAVE_AVX2_PATH
    if (use_avx2()) {
        kernel = median_of_rows_avx2<T>;
        lanes = 32 / sizeof(T);
    }
#endif
    const index_t n_groups = (n_rows + lanes - 1) / lanes;
    const int team = useful_threads(n_threads, n_rows * n_columns * size, index_t{1} << 18);
    parallel_ranges(n_groups, team, [&](index_t first, index_t last) {
        for (index_t g = first; g < last; ++g) {
            const index_t r0 = g * lanes;
            kernel(in + r0 * n_columns, out + r0 * n_columns, n_rows - r0, n_columns, size, mode,
                   cval);
        }
    });
}

template void median_along_rows<float>(const float*, float*, index_t, index_t, index_t, Mode,
                                       float, int);
template void median_along_rows<double>(const double*, double*, index_t, index_t, index_t, Mode,
                                        double, int);

}  // namespace qbi
