#include "minmax.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <type_traits>

#include "convert.hpp"
#include "omp.hpp"

namespace qbi {
namespace {

// Padded elements per tile: a few hundred KB of work values.
constexpr index_t kTileBytes = index_t{1} << 19;

template <bool Minimum>
struct Pick {
    static constexpr bool minimum = Minimum;
    template <class W>
    static W of(W a, W b) {
        if constexpr (Minimum) return b < a ? b : a;
        else return b > a ? b : a;
    }
    template <class W>
    static W identity() {  // picked against anything, gives that thing
        if constexpr (std::is_floating_point_v<W>)
            return Minimum ? std::numeric_limits<W>::infinity()
                           : -std::numeric_limits<W>::infinity();
        else return Minimum ? std::numeric_limits<W>::max() : std::numeric_limits<W>::lowest();
    }
};

// run[i] = pick of row[i .. i + length - 1] for i <= n - length: van Herk / Gil-Werman, three
// picks per sample whatever the length (blocks of `length`: prefix picks forwards, suffix picks
// backwards, and every window is one block's suffix with the next block's prefix).
template <class P, class W>
void running_pick(const W* row, index_t n, index_t length, W* run, W* prefix) {
    if (length <= 3) {
        for (index_t i = 0; i + length <= n; ++i) {
            W v = row[i];
            for (index_t k = 1; k < length; ++k) v = P::of(v, row[i + k]);
            run[i] = v;
        }
        return;
    }
    for (index_t i = 0; i < n; ++i)
        prefix[i] = i % length == 0 ? row[i] : P::of(prefix[i - 1], row[i]);
    W suffix = row[n - 1];
    for (index_t i = n; i-- > 0;) {
        suffix = (i + 1) % length == 0 || i == n - 1 ? row[i] : P::of(suffix, row[i]);
        if (i + length <= n) run[i] = P::of(suffix, prefix[i + length - 1]);
    }
}

// A box footprint, axis by axis inside one padded tile: afterwards tile[i] holds the pick over
// the box whose first corner is at i (for every i whose box lies inside the tile). `spare` is
// scratch of the tile's size, `prefix` of one row's.
template <class P, class W>
void reduce_box(std::vector<W>& tile, const Tile& tl, const std::vector<index_t>& box,
                std::vector<W>& spare, std::vector<W>& prefix) {
    const std::size_t last = box.size() - 1;
    const index_t total = tl.padded_total, pw = tl.padded[last];
    spare.resize(tile.size());
    if (box[last] > 1) {
        prefix.resize(static_cast<std::size_t>(pw));
        for (index_t r = 0; r < total / pw; ++r)
            running_pick<P>(tile.data() + r * pw, pw, box[last], spare.data() + r * pw,
                            prefix.data());
        tile.swap(spare);
    }
    for (std::size_t d = last; d-- > 0;) {
        if (box[d] == 1) continue;
        const index_t step = tl.pstride[d], reach = (box[d] - 1) * step;
        W* dst = spare.data();
        const W* src = tile.data();
        std::copy(src, src + (total - reach), dst);
        for (index_t k = 1; k < box[d]; ++k)  // one sweep per offset: contiguous, vectorised
            for (index_t i = 0; i + reach < total; ++i) dst[i] = P::of(dst[i], src[i + k * step]);
        tile.swap(spare);
    }
}

// v - s (erosion) or v + s (dilation) as scipy computes it for every structure element but the
// first: s converted to the input's type, the sum formed in that type (integers wrap).
template <class P, class T>
T shifted(T v, T s) {
    if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;
        return static_cast<T>(P::minimum ? static_cast<U>(static_cast<U>(v) - static_cast<U>(s))
                                         : static_cast<U>(static_cast<U>(v) + static_cast<U>(s)));
    } else {
        return P::minimum ? v - s : v + s;
    }
}

// Writes one row of picked values to the output, cast as scipy casts its double result. Chosen
// at run time by the output's dtype, so that the filter below is compiled once per input type
// rather than once per pair of input and output types (which took minutes to compile).
template <class R>
using RowWriter = void (*)(const R* values, index_t length, char* dst, index_t step);

template <class R, class O>
void write_row(const R* values, index_t length, char* dst, index_t step) {
    for (index_t x = 0; x < length; ++x) {
        const O v = cast_from_double<O>(static_cast<double>(values[x]));
        std::memcpy(dst + x * step, &v, sizeof(O));
    }
}

template <class R>
RowWriter<R> row_writer(DType out) {
    return visit_dtype(out, [](auto tag) -> RowWriter<R> { return write_row<R, decltype(tag)>; });
}

// The tiles of the output, each from a padded copy of the input in W (the input's type T, or
// double), picked into R values: W for flat footprints, double with structure values.
template <class P, class W, class R, class T>
void filter_tiles(const ArrayView& in, const ArrayView& out, const Footprint& fp,
                  const double* structure, Mode mode, W fill, int n_threads) {
    const std::size_t ndim = in.shape.size();
    std::vector<index_t> reach(ndim);
    for (std::size_t d = 0; d < ndim; ++d) reach[d] = fp.shape[d] / 2 + fp.origin[d];
    const index_t budget = std::max(kTileBytes / static_cast<index_t>(sizeof(W)),
                                    padded_size(std::vector<index_t>(ndim, 1), fp.shape));
    const TileGrid grid = plan_tiles(in.shape, fp.shape, budget, 4 * index_t{n_threads});
    const int threads = useful_threads(n_threads, in.size(), index_t{1} << 15);
    const index_t out_step = out.strides.back();
    const bool box = !structure && std::all_of(fp.mask.begin(), fp.mask.end(),
                                               [](std::uint8_t m) { return m != 0; });
    const RowWriter<R> write = row_writer<R>(out.dtype);
    // writes core row r of a tile from values_of(r)
    const auto store = [&](const Tile& tl, auto&& values_of) {
        std::size_t r = 0;
        for_each_core_row(tl, out, [&](index_t, index_t target, index_t length) {
            write(values_of(r++), length, out.data + target, out_step);
        });
    };
    parallel_ranges(grid.total, threads, [&](index_t begin, index_t end) {
        std::vector<W> tile, run, prefix;
        std::vector<R> result;
        for (index_t t = begin; t < end; ++t) {
            const Tile tl = make_tile(grid, in.shape, fp.shape, t);
            tile.resize(static_cast<std::size_t>(tl.padded_total));
            gather_tile<T>(in, tl, reach, mode, fill, [](T v) { return static_cast<W>(v); },
                           tile.data());
            const index_t width = tl.extent.back();
            // core row r (C order) has its outputs' windows start at padded offset row_start[r]
            std::vector<index_t> row_start;
            for_each_core_row(tl, out, [&](index_t padded, index_t, index_t) {
                row_start.push_back(padded);
            });
            // (R differs from W only with structure values, which never make a box)
            if constexpr (std::is_same_v<W, R>) {
                if (box) {
                    reduce_box<P>(tile, tl, fp.shape, run, prefix);
                    store(tl, [&](std::size_t r) { return tile.data() + row_start[r]; });
                    continue;
                }
            }
            result.assign(row_start.size() * static_cast<std::size_t>(width),
                          P::template identity<R>());
            const auto accumulate = [&](const W* source, index_t offset, double s, bool first) {
                for (std::size_t r = 0; r < row_start.size(); ++r) {
                    const W* src = source + row_start[r] + offset;
                    R* dst = result.data() + static_cast<index_t>(r) * width;
                    if constexpr (std::is_same_v<W, T> && std::is_same_v<R, double>) {
                        if (!structure) {  // float64 data without structure values
                            for (index_t x = 0; x < width; ++x)
                                dst[x] = P::of(dst[x], static_cast<double>(src[x]));
                        } else if (first) {  // scipy: the first element shifted in double,
                            for (index_t x = 0; x < width; ++x)
                                dst[x] = static_cast<double>(src[x]) + (P::minimum ? -s : s);
                        } else {  // the others in T
                            const T s_t = cast_from_double<T>(s);
                            for (index_t x = 0; x < width; ++x)
                                dst[x] = P::of(dst[x], static_cast<double>(
                                                           shifted<P>(src[x], s_t)));
                        }
                    } else {
                        for (index_t x = 0; x < width; ++x) dst[x] = P::of(dst[x], src[x]);
                    }
                }
            };
            if (structure) {  // one pass per element, each with its own structure value
                const std::vector<index_t> offsets = footprint_offsets(fp, tl);
                for (std::size_t k = 0; k < offsets.size(); ++k)
                    accumulate(tile.data(), offsets[k], structure[k], k == 0);
            } else {  // runs along the last axis: one running pick per distinct run length
                std::map<index_t, std::vector<index_t>> by_length;  // length -> run starts
                for (const Run& r : footprint_runs(fp, tl))
                    by_length[r.last - r.first + 1].push_back(r.offset + r.first);
                const index_t pw = tl.padded.back(), rows = tl.padded_total / pw;
                for (const auto& [length, starts] : by_length) {
                    const W* source = tile.data();
                    if (length > 1) {
                        run.resize(tile.size());
                        prefix.resize(static_cast<std::size_t>(pw));
                        for (index_t r = 0; r < rows; ++r)
                            running_pick<P>(tile.data() + r * pw, pw, length,
                                            run.data() + r * pw, prefix.data());
                        source = run.data();
                    }
                    for (index_t start : starts) accumulate(source, start, 0.0, false);
                }
            }
            store(tl, [&](std::size_t r) { return result.data() + r * width; });
        }
    });
}

// Whether cval converts to T and back unchanged, so samples can be compared in their own type.
template <class T>
bool fits(double cval) {
    if constexpr (std::is_floating_point_v<T>) {
        return std::abs(cval) <= static_cast<double>(std::numeric_limits<T>::max()) &&
               static_cast<double>(static_cast<T>(cval)) == cval;
    } else {
        return cval >= static_cast<double>(std::numeric_limits<T>::lowest()) &&
               cval <= static_cast<double>(std::numeric_limits<T>::max()) &&
               static_cast<double>(static_cast<T>(cval)) == cval;
    }
}

}  // namespace

void min_max_filter(const ArrayView& in, const ArrayView& out, const Footprint& footprint,
                    const double* structure, bool minimum, Mode mode, double cval,
                    bool cval_in_input_type, int n_threads) {
    if (in.size() == 0) return;
    visit_dtype(in.dtype, [&](auto in_tag) {
        using T = decltype(in_tag);
        const auto run = [&](auto pick) {
            using P = decltype(pick);
            const double border = cval_in_input_type
                                      ? static_cast<double>(cast_from_double<T>(cval))
                                      : cval;
            // 64-bit integers compare as scipy compares them, rounded to double; other
            // types in their own width where the border value is one of theirs
            constexpr bool wide = std::is_integral_v<T> && sizeof(T) == 8;
            if (structure)
                filter_tiles<P, T, double, T>(in, out, footprint, structure, mode,
                                              cast_from_double<T>(border), n_threads);
            else if (!wide && (mode != Mode::Constant || fits<T>(border)))
                filter_tiles<P, T, T, T>(in, out, footprint, nullptr, mode, static_cast<T>(border),
                                         n_threads);
            else
                filter_tiles<P, double, double, T>(in, out, footprint, nullptr, mode, border,
                                                   n_threads);
        };
        if (minimum) run(Pick<true>{});
        else run(Pick<false>{});
    });
}

}  // namespace qbi
