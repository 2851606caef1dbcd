#include "correlate1d.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "omp.hpp"
#include "simd.hpp"

namespace qbi {
namespace {

// Below this many multiply-adds per thread, waking another thread costs more than it saves.
constexpr index_t kMinWorkPerThread = index_t{1} << 16;
// Budget for one thread's block of padded lines: wide blocks read whole rows of the input.
constexpr index_t kRowsBytes = 2 * 1024 * 1024;
// Input rows of one band of a wide block (see correlate_block); about half a core's L2.
constexpr index_t kBandBytes = 256 * 1024;
constexpr index_t kMinBandRows = 32;
// Lane counts are multiples of this (the widest strip: two AVX-512 vectors); block rows start
// 64-byte aligned.
constexpr index_t kLaneQuantum = 16;
// A dimension of fewer lines than this fills too few vector lanes to be the side-by-side one.
constexpr index_t kMinBatchLanes = 8;
// Lines shorter than this are filtered side by side rather than one at a time, even from far
// apart in memory: the vectorised loop along a line handles 16 outputs at a time.
constexpr index_t kShortLine = 32;
constexpr std::size_t kAlign = 64;

// Explicit vectors of doubles: left to itself the compiler vectorises across the taps instead of
// across independent outputs, which is several times slower. Two SSE2 lanes in the baseline
// build, four in the AVX2 one, eight in the AVX-512 one.
typedef VecOf<double, 16>::type Vec2;
typedef VecOf<double, 32>::type Vec4;
typedef VecOf<double, 64>::type Vec8;

template <class V>
constexpr index_t lanes_of = static_cast<index_t>(sizeof(V) / sizeof(double));

// The vector of half as many lanes, for what is left over after the full-width loops.
template <class V>
using HalfOf = typename VecOf<double, static_cast<int>(sizeof(V) / 2)>::type;

template <class V>
QBI_ALWAYS_INLINE V load(const double* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
}

template <class V>
QBI_ALWAYS_INLINE void store(double* p, V v) {
    std::memcpy(p, &v, sizeof(V));
}

template <bool Odd, class T>
QBI_ALWAYS_INLINE T pair(T lo, T hi) {
    return Odd ? lo - hi : lo + hi;
}

// Every output is summed in scipy's order: w[r] times the centre, then
// + (x[k] +- x[2r - k]) * w[k] for k = 0 .. r - 1 (outermost pair first), where x[j] is the j-th
// tap and "-" is for antisymmetric kernels. The same operations in the same order round the same
// way, which is what makes results bit-identical to scipy's. All loops below write an output
// only after every read of the sample it replaces.

// One padded line, in place: x[p] for p < count becomes the correlation of x[p .. p + 2r].
// Vectorised along the line, four vectors of outputs at a time.
template <class V, bool Odd>
QBI_ALWAYS_INLINE void correlate_line(double* x, index_t count, const double* w, index_t r) {
    constexpr index_t L = lanes_of<V>, B = 4 * L;
    index_t p = 0;
    for (; p + B <= count; p += B) {
        V acc[4];
        for (int b = 0; b < 4; ++b) acc[b] = load<V>(x + p + r + b * L) * w[r];
        for (index_t k = 0; k < r; ++k) {
            for (int b = 0; b < 4; ++b) {
                const V lo = load<V>(x + p + k + b * L), hi = load<V>(x + p + 2 * r - k + b * L);
                acc[b] += pair<Odd>(lo, hi) * w[k];
            }
        }
        for (int b = 0; b < 4; ++b) store<V>(x + p + b * L, acc[b]);
    }
    if constexpr (L > 2) {  // the rest in narrower vectors, down to SSE2's, then one by one
        correlate_line<HalfOf<V>, Odd>(x + p, count - p, w, r);
        return;
    }
    for (; p < count; ++p) {
        double acc = x[p + r] * w[r];
        for (index_t k = 0; k < r; ++k) acc += pair<Odd>(x[p + k], x[p + 2 * r - k]) * w[k];
        x[p] = acc;
    }
}

// `lanes` independent padded lines stored side by side (row j of the block holds tap j of every
// line, `stride` doubles apart), in place: row i < n becomes the outputs centred on row i + r.
// Strips of two vectors of lanes are swept down the rows two outputs at a time, so each loaded
// row serves both outputs (row i+1+k is output i's lo tap at k+1, row i+2r-k output i+1's hi tap
// at k+1) -- half the loads of one output at a time.
template <class V, bool Odd>
QBI_ALWAYS_INLINE void correlate_lanes(double* rows, index_t stride, index_t lanes, index_t n,
                                       const double* w, index_t r) {
    constexpr index_t L = lanes_of<V>, S = 2 * L;
    index_t s = 0;
    for (; s + S <= lanes; s += S) {
        double* x = rows + s;
        auto row = [&](index_t j, int b) { return load<V>(x + j * stride + b * L); };
        index_t i = 0;
        for (; i + 2 <= n; i += 2) {
            V a0[2], a1[2], lo[2], hi_prev[2];
            for (int b = 0; b < 2; ++b) {
                a0[b] = row(i + r, b) * w[r];
                a1[b] = row(i + 1 + r, b) * w[r];
                lo[b] = row(i, b);
                hi_prev[b] = row(i + 1 + 2 * r, b);
            }
            for (index_t k = 0; k < r; ++k) {
                for (int b = 0; b < 2; ++b) {
                    const V lo_next = row(i + 1 + k, b), hi = row(i + 2 * r - k, b);
                    a0[b] += pair<Odd>(lo[b], hi) * w[k];
                    a1[b] += pair<Odd>(lo_next, hi_prev[b]) * w[k];
                    lo[b] = lo_next;
                    hi_prev[b] = hi;
                }
            }
            for (int b = 0; b < 2; ++b) {
                store<V>(x + i * stride + b * L, a0[b]);
                store<V>(x + (i + 1) * stride + b * L, a1[b]);
            }
        }
        for (; i < n; ++i) {
            for (int b = 0; b < 2; ++b) {
                V acc = row(i + r, b) * w[r];
                for (index_t k = 0; k < r; ++k) acc += pair<Odd>(row(i + k, b), row(i + 2 * r - k, b)) * w[k];
                store<V>(x + i * stride + b * L, acc);
            }
        }
    }
    if constexpr (L > 2) {  // lanes left over from the last strip, in narrower vectors
        correlate_lanes<HalfOf<V>, Odd>(rows + s, stride, lanes - s, n, w, r);
        return;
    }
    for (; s < lanes; ++s) {  // lanes left over from the last strip
        double* x = rows + s;
        for (index_t i = 0; i < n; ++i) {
            double acc = x[(i + r) * stride] * w[r];
            for (index_t k = 0; k < r; ++k)
                acc += pair<Odd>(x[(i + k) * stride], x[(i + 2 * r - k) * stride]) * w[k];
            x[i * stride] = acc;
        }
    }
}

// A block of padded lines in place: one contiguous line (stride 1) or `lanes` lines side by side,
// `stride` doubles apart (the last block of a batch may hold a single lane, still strided). Wide
// blocks are swept in bands of output rows whose input rows fit in L2, so every strip of a band
// reads them from L2 rather than from L3 or memory.
template <class V, bool Odd>
QBI_ALWAYS_INLINE void correlate_block(double* rows, index_t stride, index_t lanes, index_t n,
                                       const double* w, index_t r) {
    if (stride == 1) {
        correlate_line<V, Odd>(rows, n, w, r);
        return;
    }
    const index_t band_rows = kBandBytes / (stride * static_cast<index_t>(sizeof(double)));
    const index_t band = std::max<index_t>(2, band_rows - 2 * r);
    for (index_t first = 0; first < n; first += band)
        correlate_lanes<V, Odd>(rows + first * stride, stride, lanes, std::min(band, n - first), w, r);
}

using BlockKernel = void (*)(double*, index_t, index_t, index_t, const double*, index_t);

void correlate_block_even(double* rows, index_t stride, index_t lanes, index_t n, const double* w,
                          index_t r) {
    correlate_block<Vec2, false>(rows, stride, lanes, n, w, r);
}

void correlate_block_odd(double* rows, index_t stride, index_t lanes, index_t n, const double* w,
                         index_t r) {
    correlate_block<Vec2, true>(rows, stride, lanes, n, w, r);
}

#ifdef QBI_HAVE_AVX2_PATH
QBI_TARGET_AVX2 void correlate_block_even_avx2(double* rows, index_t stride,
                                                               index_t lanes, index_t n,
                                                               const double* w, index_t r) {
    correlate_block<Vec4, false>(rows, stride, lanes, n, w, r);
}

QBI_TARGET_AVX2 void correlate_block_odd_avx2(double* rows, index_t stride,
                                                              index_t lanes, index_t n,
                                                              const double* w, index_t r) {
    correlate_block<Vec4, true>(rows, stride, lanes, n, w, r);
}

QBI_TARGET_AVX512 void correlate_block_even_avx512(double* rows, index_t stride, index_t lanes,
                                                   index_t n, const double* w, index_t r) {
    correlate_block<Vec8, false>(rows, stride, lanes, n, w, r);
}

QBI_TARGET_AVX512 void correlate_block_odd_avx512(double* rows, index_t stride, index_t lanes,
                                                  index_t n, const double* w, index_t r) {
    correlate_block<Vec8, true>(rows, stride, lanes, n, w, r);
}
#endif

BlockKernel pick_kernel(Symmetry symmetry) {
    const bool odd = symmetry == Symmetry::Odd;
#ifdef QBI_HAVE_AVX2_PATH
    if (use_avx512()) return odd ? correlate_block_odd_avx512 : correlate_block_even_avx512;
    if (use_avx2()) return odd ? correlate_block_odd_avx2 : correlate_block_even_avx2;
#endif
    return odd ? correlate_block_odd : correlate_block_even;
}

// A dimension other than the axis: its size, and its stride in each input segment and in the
// output.
struct Dim {
    index_t size = 1;
    std::vector<index_t> in_strides;
    index_t out_stride = 0;
};

// How the lines along `axis` are visited: in blocks of lines that neighbour each other along the
// `batch` dimension (each block is one task), the blocks ordered by the `outer` dimensions. A
// line may be made of several input segments laid end to end (see correlate1d_symmetric).
struct LinePlan {
    index_t n = 0;                // samples along the axis, all segments
    std::vector<index_t> starts;  // where each segment starts along the line, then n
    std::vector<index_t> in_steps;
    index_t out_step = 0;
    std::size_t widest = 0;  // the longest segment, whose layout decides how lines are read
    Dim batch;               // size 1: a single line (1-d data)
    std::vector<Dim> outer;  // every other dimension, outermost first

    // The segment holding line position i, searching on from segment `from`.
    std::size_t segment_of(index_t i, std::size_t from = 0) const {
        while (i >= starts[from + 1]) ++from;
        return from;
    }
};

LinePlan plan_lines(const std::vector<ArrayView>& ins, const ArrayView& out, int axis) {
    LinePlan plan;
    const std::size_t segments = ins.size();
    plan.out_step = out.strides[axis];
    for (std::size_t s = 0; s < segments; ++s) {
        plan.starts.push_back(plan.n);
        plan.n += ins[s].shape[axis];
        plan.in_steps.push_back(ins[s].strides[axis]);
        if (ins[s].shape[axis] > ins[plan.widest].shape[axis]) plan.widest = s;
    }
    plan.starts.push_back(plan.n);
    const ArrayView& in = ins[plan.widest];
    // Drop unit dimensions and merge neighbours that address memory like one longer dimension
    // in every segment and in the output.
    for (std::size_t d = 0; d < in.shape.size(); ++d) {
        if (static_cast<int>(d) == axis || in.shape[d] == 1) continue;
        Dim next;
        next.size = in.shape[d];
        next.out_stride = out.strides[d];
        for (const ArrayView& segment : ins) next.in_strides.push_back(segment.strides[d]);
        if (!plan.outer.empty()) {
            Dim& prev = plan.outer.back();
            bool merges = prev.out_stride == next.out_stride * next.size;
            for (std::size_t s = 0; s < segments; ++s)
                merges = merges && prev.in_strides[s] == next.in_strides[s] * next.size;
            if (merges) {
                prev.size *= next.size;
                prev.in_strides = next.in_strides;
                prev.out_stride = next.out_stride;
                continue;
            }
        }
        plan.outer.push_back(next);
    }
    // Lines that neighbour each other along a dimension more contiguous than the axis are
    // filtered side by side (vectorised across them); otherwise one line at a time, read in one
    // sweep and vectorised along itself. A side-by-side dimension of fewer lanes than a strip
    // (the 3 channels of a (Y, X, 3) image) would leave the vectors idle, and lines too short
    // to vectorise along (the channel axis itself) would be filtered one by one: then the
    // lines are taken side by side along the most contiguous dimension that fills strips,
    // gathered from further apart.
    const auto most_contiguous = [&](index_t below, index_t min_size) {
        auto best = plan.outer.end();
        index_t best_stride = below;
        for (auto it = plan.outer.begin(); it != plan.outer.end(); ++it) {
            const index_t in_stride = std::abs(it->in_strides[plan.widest]);
            if (it->size >= min_size && in_stride < best_stride) {
                best_stride = in_stride;
                best = it;
            }
        }
        return best;
    };
    auto best = most_contiguous(std::abs(plan.in_steps[plan.widest]), 1);
    if ((best == plan.outer.end() && plan.n < kShortLine) ||
        (best != plan.outer.end() && best->size < kMinBatchLanes)) {
        const auto wide = most_contiguous(std::numeric_limits<index_t>::max(), kMinBatchLanes);
        if (wide != plan.outer.end()) best = wide;
    }
    if (best != plan.outer.end()) {
        plan.batch = *best;
        plan.outer.erase(best);
    } else {
        plan.batch.in_strides.assign(segments, 0);
    }
    return plan;
}

// Lines side by side in one block: as many as the buffer budget allows while a band of
// kMinBandRows outputs still fits kBandBytes; a multiple of kLaneQuantum.
index_t batch_width(index_t padded_length, index_t radius, index_t batch_size) {
    constexpr auto dbl = static_cast<index_t>(sizeof(double));
    index_t width = std::min(kRowsBytes / (padded_length * dbl),
                             kBandBytes / ((kMinBandRows + 2 * radius) * dbl));
    width = std::max(kLaneQuantum, width / kLaneQuantum * kLaneQuantum);
    return std::min(width, batch_size);
}

// Doubles from one row of a block to the next: the lanes rounded up to whole cache lines, plus
// one line where that count is even. Rows a power of two of lines apart fall in a few cache sets
// only, and the 2r + 2 rows a strip reads at a time evict one another: the pass along axis 1 of
// a (128, 256, 512) float32 array (512 lanes, rows 4 KiB apart) took twice as long.
index_t row_stride(index_t width) {
    constexpr auto line = static_cast<index_t>(kAlign / sizeof(double));
    const index_t lines = (width + line - 1) / line;
    return (lines % 2 == 0 ? lines + 1 : lines) * line;
}

// A thread's block buffer, 64-byte aligned so vector loads of a row never split a cache line.
struct AlignedBuffer {
    explicit AlignedBuffer(index_t n)
        : data(static_cast<double*>(::operator new[](static_cast<std::size_t>(n) * sizeof(double),
                                                     std::align_val_t(kAlign)))) {}
    ~AlignedBuffer() { ::operator delete[](data, std::align_val_t(kAlign)); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    double* data;
};

// Asks for the cache lines of `bytes` bytes from p to be brought in (a hint; never faults).
void prefetch(const char* p, index_t bytes) {
    for (index_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(p + offset);
}

// Where each of the `radius` positions before and after a line of n samples reads from under the
// mode (extend_index for p = -radius .. -1, then n .. n + radius - 1). The same for every line,
// so computed once per call rather than once per line.
std::vector<index_t> boundary_sources(index_t n, index_t radius, Mode mode) {
    std::vector<index_t> sources;
    sources.reserve(static_cast<std::size_t>(2 * radius));
    for (index_t p = -radius; p < 0; ++p) sources.push_back(extend_index(p, n, mode));
    for (index_t p = n; p < n + radius; ++p) sources.push_back(extend_index(p, n, mode));
    return sources;
}

// Fills the `radius` rows before and after the n loaded rows of a block (row p of the line lives
// at rows + (p + radius) * stride) from the rows `sources` names, or with cval where it says -1.
void extend_rows(double* rows, index_t n, index_t radius, index_t stride, index_t used,
                 const std::vector<index_t>& sources, double cval) {
    for (index_t i = 0; i < 2 * radius; ++i) {
        const index_t p = i < radius ? i - radius : n + i - radius;
        double* row = rows + (p + radius) * stride;
        const index_t source = sources[static_cast<std::size_t>(i)];
        if (source < 0) {
            std::fill(row, row + used, cval);
        } else {
            const double* from = rows + (source + radius) * stride;
            std::copy(from, from + used, row);
        }
    }
}

// Visits the lines (or blocks of lines) of a plan in task order, keeping a running multi-index
// over the outer dimensions instead of dividing for every task.
class TaskCursor {
public:
    TaskCursor(const LinePlan& plan, index_t tiles, index_t first_task)
        : plan_(plan), tiles_(tiles), in_offsets_(plan.in_steps.size(), 0),
          index_(plan.outer.size(), 0) {
        tile_ = first_task % tiles;
        index_t rest = first_task / tiles;
        for (std::size_t d = plan.outer.size(); d-- > 0;) {
            index_[d] = rest % plan.outer[d].size;
            rest /= plan.outer[d].size;
            move(plan.outer[d], index_[d]);
        }
    }
    index_t tile() const { return tile_; }
    index_t in_offset(std::size_t segment) const { return in_offsets_[segment]; }
    index_t out_offset() const { return out_offset_; }

    void next() {
        if (++tile_ < tiles_) return;
        tile_ = 0;
        for (std::size_t d = plan_.outer.size(); d-- > 0;) {
            const Dim& dim = plan_.outer[d];
            move(dim, 1);
            if (++index_[d] < dim.size) return;
            move(dim, -dim.size);
            index_[d] = 0;
        }
    }

private:
    void move(const Dim& dim, index_t steps) {
        for (std::size_t s = 0; s < in_offsets_.size(); ++s)
            in_offsets_[s] += steps * dim.in_strides[s];
        out_offset_ += steps * dim.out_stride;
    }

    const LinePlan& plan_;
    index_t tiles_, tile_ = 0, out_offset_ = 0;
    std::vector<index_t> in_offsets_, index_;
};

}  // namespace

bool classify_symmetry(const double* weights, index_t length, Symmetry* symmetry) {
    if (length % 2 == 0) return false;
    const index_t r = length / 2;
    constexpr double eps = std::numeric_limits<double>::epsilon();
    auto all_pairs_within_eps = [&](double sign) {
        for (index_t i = 1; i <= r; ++i)
            if (std::fabs(weights[r + i] - sign * weights[r - i]) > eps) return false;
        return true;
    };
    if (all_pairs_within_eps(1.0)) {
        *symmetry = Symmetry::Even;
        return true;
    }
    if (all_pairs_within_eps(-1.0)) {
        *symmetry = Symmetry::Odd;
        return true;
    }
    return false;
}

void correlate1d_symmetric(const std::vector<ArrayView>& ins, const ArrayView& out, int axis,
                           index_t first, const double* weights, index_t radius,
                           Symmetry symmetry, Mode mode, double cval, int n_threads) {
    if (out.size() == 0) return;
    const LinePlan plan = plan_lines(ins, out, axis);
    const std::size_t segments = ins.size();
    const DType in_dtype = ins.front().dtype;
    const index_t n = plan.n, padded = n + 2 * radius, count = out.shape[axis];
    // Only the input rows the outputs read are loaded, unless the window reaches an end of the
    // line, where the boundary rows may come from anywhere in it (wrap, reflect of short lines).
    const bool reaches_end = first < radius || first + count + radius > n;
    const index_t load_first = reaches_end ? 0 : first - radius;
    const index_t load_end = reaches_end ? n : first + count + radius;
    const bool batched = plan.batch.size > 1;
    const index_t width = batched ? batch_width(padded, radius, plan.batch.size) : 1;
    const index_t tiles = (plan.batch.size + width - 1) / width;
    const index_t stride = batched ? row_stride(width) : 1;
    index_t n_outer = 1;
    for (const Dim& d : plan.outer) n_outer *= d.size;
    const BlockKernel correlate = pick_kernel(symmetry);
    const int threads = useful_threads(n_threads, out.size() * (radius + 1), kMinWorkPerThread);
    const std::vector<index_t> sources = boundary_sources(n, radius, mode);

    const index_t item = visit_dtype(in_dtype, [](auto tag) { return index_t{sizeof(tag)}; });
    // Rows of a block lie a whole stride apart, one short contiguous run each, which the
    // hardware prefetchers pick up too late: each row is asked for two rows ahead of its
    // conversion. A line along a contiguous axis is asked for while the line before it is
    // filtered. (Strided rows and lines are read element by element; left to the hardware.)
    bool prefetch_rows = batched, prefetch_lines = !batched;
    for (std::size_t s = 0; s < segments; ++s) {
        prefetch_rows = prefetch_rows && plan.batch.in_strides[s] == item;
        prefetch_lines = prefetch_lines && plan.in_steps[s] == item;
    }
    // The segments a task reads from, and the part [lo, hi) of the line each holds there.
    const std::size_t first_segment = plan.segment_of(load_first);
    const std::size_t end_segment = plan.segment_of(load_end - 1, first_segment) + 1;
    const auto part = [&](std::size_t s) {
        return std::pair{std::max(load_first, plan.starts[s]), std::min(load_end, plan.starts[s + 1])};
    };

    parallel_ranges(n_outer * tiles, threads, [&](index_t begin, index_t end) {
        AlignedBuffer buffer(padded * stride);
        double* rows = buffer.data;
        double* interior = rows + radius * stride;
        TaskCursor cursor(plan, tiles, begin);
        TaskCursor ahead(plan, tiles, begin + 1 < end ? begin + 1 : begin);  // the next task
        for (index_t task = begin; task < end; ++task, cursor.next(), ahead.next()) {
            const index_t lane = cursor.tile() * width;
            const index_t used = std::min(width, plan.batch.size - lane);
            char* dst = out.data + cursor.out_offset() + lane * plan.batch.out_stride;
            for (std::size_t s = first_segment; s < end_segment; ++s) {
                // The segment's first sample in this task's first lane; line position i is
                // (i - starts[s]) steps on.
                const char* src = ins[s].data + cursor.in_offset(s) + lane * plan.batch.in_strides[s];
                const index_t step = plan.in_steps[s];
                const auto [lo, hi] = part(s);
                if (batched) {
                    for (index_t i = lo; i < hi; ++i) {
                        const char* row = src + (i - plan.starts[s]) * step;
                        if (prefetch_rows && i + 2 < hi) prefetch(row + 2 * step, used * item);
                        load_row(in_dtype, row, used, plan.batch.in_strides[s], interior + i * stride);
                    }
                } else {
                    load_row(in_dtype, src + (lo - plan.starts[s]) * step, hi - lo, step,
                             interior + lo);
                    if (prefetch_lines && task + 1 < end)
                        prefetch(ins[s].data + ahead.in_offset(s) + (lo - plan.starts[s]) * item,
                                 (hi - lo) * item);
                }
            }
            if (reaches_end) extend_rows(rows, n, radius, stride, used, sources, cval);
            // The output at line position p lands in row p (see correlate_lanes).
            correlate(rows + first * stride, stride, used, count, weights, radius);
            if (batched) {
                for (index_t i = 0; i < count; ++i)
                    store_row(out.dtype, rows + (first + i) * stride, used,
                              dst + i * plan.out_step, plan.batch.out_stride);
            } else {
                store_row(out.dtype, rows + first, count, dst, plan.out_step);
            }
        }
    });
}

}  // namespace qbi
