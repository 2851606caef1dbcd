#include "morphology.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <type_traits>

#include "convert.hpp"
#include "omp.hpp"
#include "simd.hpp"

namespace qbi {
namespace {

// Padded elements per tile: a few hundred KB of bytes (and of 16-bit distances for balls).
constexpr index_t kTileBudget = index_t{1} << 19;


// Copies the input around a tile as ones(q) = (in[q] != 0) xor invert, border_value xor invert
// outside the array (scipy's C code reads samples as C truth values: NaN counts as nonzero).
void gather_ones(const ArrayView& in, const Tile& tile, const std::vector<index_t>& reach,
                 bool border_value, bool invert, std::uint8_t* dst) {
    const auto fill = static_cast<std::uint8_t>(border_value != invert);
    visit_dtype(in.dtype, [&](auto tag) {
        using T = decltype(tag);
        gather_tile<T>(in, tile, reach, Mode::Constant, fill,
                       [invert](T v) { return static_cast<std::uint8_t>((v != T(0)) != invert); },
                       dst);
    });
}

// in01[x] = in[x] != 0 for one row of the input (a C truth value: NaN counts as nonzero).
// (Loops over bytes run on local copies of pointers and bounds: a byte store may alias anything,
// so through a lambda's captures the compiler would reload them after every store and not
// vectorise.)
void input_truth_row(const ArrayView& in, index_t offset, index_t length, std::uint8_t* in01) {
    visit_dtype(in.dtype, [&](auto tag) {
        using T = decltype(tag);
        std::uint8_t* const truth = in01;
        const index_t n = length;
        const char* src = in.data + offset;
        const index_t step = in.strides.back();
        // a T* only where the input is aligned (numpy arrays need not be); memcpy elsewhere
        if (step == static_cast<index_t>(sizeof(T)) && is_aligned<T>(src)) {
            const T* row = reinterpret_cast<const T*>(src);
            for (index_t x = 0; x < n; ++x) truth[x] = row[x] != T(0);
        } else {
            for (index_t x = 0; x < n; ++x) {
                T v;
                std::memcpy(&v, src + x * step, sizeof(T));
                truth[x] = v != T(0);
            }
        }
    });
}

// Writes one output row: result xor invert where the mask is set, else the input's own 0/1;
// records whether any output differs from the input.
struct RowWriter {
    const ArrayView& out;
    const ArrayView* mask;
    bool invert;

    void write(std::uint8_t* result, const std::uint8_t* in01, index_t length, index_t out_offset,
               index_t mask_offset, std::uint8_t* mask01, bool& changed) const {
        const std::uint8_t flip = invert;
        if (mask) {
            visit_dtype(mask->dtype, [&](auto tag) {
                using M = decltype(tag);
                std::uint8_t* const mask_truth = mask01;
                const index_t n = length;
                const char* src = mask->data + mask_offset;
                const index_t step = mask->strides.back();
                for (index_t x = 0; x < n; ++x) {
                    M v;
                    std::memcpy(&v, src + x * step, sizeof(M));
                    mask_truth[x] = v != M(0);
                }
            });
            for (index_t x = 0; x < length; ++x)
                result[x] = mask01[x] ? static_cast<std::uint8_t>(result[x] ^ flip) : in01[x];
        } else {
            for (index_t x = 0; x < length; ++x) result[x] ^= flip;
        }
        std::uint8_t differs = 0;
        for (index_t x = 0; x < length; ++x) differs |= result[x] ^ in01[x];
        changed |= differs != 0;
        char* dst = out.data + out_offset;
        const index_t step = out.strides.back();
        visit_dtype(out.dtype, [&](auto tag) {
            using O = decltype(tag);
            if (sizeof(O) == 1 && step == 1) {
                std::memcpy(dst, result, static_cast<std::size_t>(length));
                return;
            }
            for (index_t x = 0; x < length; ++x) {
                const O v = static_cast<O>(result[x]);
                std::memcpy(dst + x * step, &v, sizeof(O));
            }
        });
    }
};

// Byte offset of a tile's core row in an array with `view`'s strides.
index_t core_row_offset(const Tile& tile, const std::vector<index_t>& at, const ArrayView& view) {
    const std::size_t last = tile.extent.size() - 1;
    index_t offset = tile.start[last] * view.strides[last];
    for (std::size_t d = 0; d < last; ++d) offset += (tile.start[d] + at[d]) * view.strides[d];
    return offset;
}

// Calls row(at, padded offset) for every core row of a tile (at: core index, leading axes).
template <class Row>
void for_each_row(const Tile& tile, Row&& row) {
    const std::size_t ndim = tile.extent.size(), last = ndim - 1;
    std::vector<index_t> at(ndim, 0);
    index_t rows = 1;
    for (std::size_t d = 0; d < last; ++d) rows *= tile.extent[d];
    for (index_t r = 0; r < rows; ++r) {
        index_t padded = 0;
        for (std::size_t d = 0; d < last; ++d) padded += at[d] * tile.pstride[d];
        row(at, padded);
        for (std::size_t d = last; d-- > 0;) {
            if (++at[d] < tile.extent[d]) break;
            at[d] = 0;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Any structure: runs along the last axis, tested against run lengths.

// A run of `length` (<= 255) structure elements along the last axis, at `start` in the padded
// copy relative to the output's own padded position.
struct ByteRun {
    index_t start;
    std::uint8_t length;
};

std::vector<ByteRun> byte_runs(const Footprint& structure, const Tile& tile) {
    std::vector<ByteRun> runs;
    for (const Run& run : footprint_runs(structure, tile)) {
        index_t start = run.offset + run.first, left = run.last - run.first + 1;
        for (; left > 0; start += 255, left -= 255)
            runs.push_back({start, static_cast<std::uint8_t>(std::min<index_t>(left, 255))});
    }
    return runs;
}

// ones -> number of consecutive ones from each position rightwards (saturating at 255): a run of
// L structure elements at x is all ones iff the count at x is at least L.
void run_lengths(std::uint8_t* row, index_t n) {
    unsigned count = 0;
    for (index_t x = n; x-- > 0;) {
        count = row[x] ? std::min(count + 1, 255u) : 0;
        row[x] = static_cast<std::uint8_t>(count);
    }
}

// result[x] = AND over runs of (counts[run.start + x] >= run.length), V-width at a time.
template <class V>
QBI_ALWAYS_INLINE void and_runs_row(const std::uint8_t* counts, const ByteRun* runs,
                                    std::size_t n_runs, index_t length, std::uint8_t* result) {
    constexpr index_t lanes = sizeof(V);
    if (length < lanes) {
        for (index_t x = 0; x < length; ++x) {
            std::uint8_t all = 1;
            for (std::size_t r = 0; r < n_runs; ++r)
                all &= counts[runs[r].start + x] >= runs[r].length;
            result[x] = all;
        }
        return;
    }
    for (index_t x = 0;; x += lanes) {
        if (x + lanes > length) x = length - lanes;  // last group overlaps the one before
        V all = V{} + 1;
        for (std::size_t r = 0; r < n_runs; ++r) {
            V c;
            std::memcpy(&c, counts + runs[r].start + x, sizeof(V));
            all &= reinterpret_cast<V>(c >= V{} + runs[r].length);
        }
        std::memcpy(result + x, &all, sizeof(V));
        if (x + lanes >= length) break;
    }
}

using AndRunsRow = void (*)(const std::uint8_t*, const ByteRun*, std::size_t, index_t,
                            std::uint8_t*);

void and_runs_row_baseline(const std::uint8_t* c, const ByteRun* r, std::size_t n, index_t len,
                           std::uint8_t* out) {
    and_runs_row<VecOf<std::uint8_t, 16>::type>(c, r, n, len, out);
}

#ifdef QBI_HAVE_AVX2_PATH
QBI_TARGET_AVX2 void and_runs_row_avx2(const std::uint8_t* c, const ByteRun* r, std::size_t n,
                                       index_t len, std::uint8_t* out) {
    and_runs_row<VecOf<std::uint8_t, 32>::type>(c, r, n, len, out);
}
#endif

AndRunsRow pick_and_runs_row() {
#ifdef QBI_HAVE_AVX2_PATH
    if (use_avx2()) return and_runs_row_avx2;
#endif
    return and_runs_row_baseline;
}

// Per-thread buffers, kept from tile to tile.
struct Scratch {
    std::vector<std::uint8_t> bytes, result, in01, mask01;
};

// Runs tile_pass(tile, scratch, changed) over the tiles of the output in parallel; returns
// whether any tile changed anything.
template <class TilePass>
bool over_tiles(const ArrayView& in, const std::vector<index_t>& window, int n_threads,
                TilePass&& tile_pass) {
    const index_t smallest = padded_size(std::vector<index_t>(window.size(), 1), window);
    const TileGrid grid = plan_tiles(in.shape, window, std::max(kTileBudget, smallest),
                                     4 * static_cast<index_t>(n_threads));
    const int threads = useful_threads(n_threads, in.size(), index_t{1} << 16);
    std::atomic<bool> changed{false};
    parallel_ranges(grid.total, threads, [&](index_t begin, index_t end) {
        Scratch scratch;
        bool mine = false;
        for (index_t t = begin; t < end; ++t)
            tile_pass(make_tile(grid, in.shape, window, t), scratch, mine);
        if (mine) changed = true;
    });
    return changed;
}

// ---------------------------------------------------------------------------------------------
// Separable structures on 3-d arrays: along each axis in turn, value = min over the window's
// offsets k of (value at k) + term[k], capped. With cells = cap on ones and 0 on zeros, terms
// weight * k^2 give the squared distance to the nearest zero (a ball: output = value > radius2),
// terms 0 an AND (a box: output = value > 0). Axis 0 is swept with a ring of per-plane results.

// dst[x] = min(cap, min over k of rows[k][x] + terms[k]) for x < length; a null row stands for
// `outside` everywhere. Sums are formed as min(v, cap - term) + term, so nothing overflows. Row k
// and its mirror n_rows - 1 - k share a term in the balls and boxes built here, so their minimum
// is taken before the term is added: 2 operations per row instead of 3.
template <class V, class Cell>
QBI_ALWAYS_INLINE void min_plus_rows(const Cell* const* rows, const Cell* terms, index_t n_rows,
                                     index_t length, Cell outside, Cell cap, Cell* dst) {
    constexpr index_t lanes = sizeof(V) / sizeof(Cell), batch = 32;
    Cell constant = cap;
    for (index_t k = 0; k < n_rows; ++k)
        if (!rows[k])
            constant = std::min<Cell>(constant, std::min<Cell>(outside, cap - terms[k]) + terms[k]);
    const Cell* first[batch];
    const Cell* second[batch];
    Cell group_term[batch];
    index_t n_groups = 0;
    bool started = false;  // dst holds the minimum over the groups of earlier batches
    const auto add = [&](const Cell* a, const Cell* b, Cell term) {
        first[n_groups] = a;
        second[n_groups] = b;
        group_term[n_groups++] = term;
    };
    const auto flush = [&] {
        index_t x = 0;
        // Whole vectors, the last one overlapping the one before where the length is not a
        // multiple of the lanes: redoing a sample gives the same value (min is idempotent),
        // and a scalar tail of up to lanes - 1 samples cost as much as the rest of a row.
        for (; length >= lanes; x += lanes) {
            if (x + lanes > length) x = length - lanes;
            V best = V{} + constant;
            if (started) std::memcpy(&best, dst + x, sizeof(V));
            for (index_t g = 0; g < n_groups; ++g) {
                V a, b;
                std::memcpy(&a, first[g] + x, sizeof(V));
                std::memcpy(&b, second[g] + x, sizeof(V));
                V v = a < b ? a : b;
                const V room = V{} + static_cast<Cell>(cap - group_term[g]);
                v = (v < room ? v : room) + group_term[g];
                best = v < best ? v : best;
            }
            std::memcpy(dst + x, &best, sizeof(V));
            if (x + lanes >= length) {
                x = length;
                break;
            }
        }
        for (; x < length; ++x) {
            Cell best = started ? dst[x] : constant;
            for (index_t g = 0; g < n_groups; ++g) {
                const Cell v = std::min(first[g][x], second[g][x]);
                best = std::min<Cell>(best, std::min<Cell>(v, cap - group_term[g]) + group_term[g]);
            }
            dst[x] = best;
        }
        started = true;
        n_groups = 0;
    };
    for (index_t k = 0; k < (n_rows + 1) / 2; ++k) {
        const index_t mirror = n_rows - 1 - k;
        const Cell *a = rows[k], *b = rows[mirror];
        if (a && b && terms[k] == terms[mirror]) {
            add(a, b, terms[k]);
        } else {
            if (a) add(a, a, terms[k]);
            if (b && mirror != k) add(b, b, terms[mirror]);
        }
        if (n_groups >= batch - 1) flush();
    }
    if (n_groups > 0 || !started) flush();
}

template <class Cell>
using MinPlusRows = void (*)(const Cell* const*, const Cell*, index_t, index_t, Cell, Cell, Cell*);

template <class Cell>
void min_plus_rows_baseline(const Cell* const* rows, const Cell* terms, index_t n, index_t len,
                            Cell outside, Cell cap, Cell* dst) {
    min_plus_rows<typename VecOf<Cell, 16>::type>(rows, terms, n, len, outside, cap, dst);
}

#ifdef QBI_HAVE_AVX2_PATH
template <class Cell>
QBI_TARGET_AVX2 void min_plus_rows_avx2(const Cell* const* rows, const Cell* terms, index_t n,
                                        index_t len, Cell outside, Cell cap, Cell* dst) {
    min_plus_rows<typename VecOf<Cell, 32>::type>(rows, terms, n, len, outside, cap, dst);
}
#endif

template <class Cell>
MinPlusRows<Cell> pick_min_plus_rows() {
#ifdef QBI_HAVE_AVX2_PATH
    if (use_avx2()) return min_plus_rows_avx2<Cell>;
#endif
    return min_plus_rows_baseline<Cell>;
}

// Cells of one input row, padded with `before` and `after` outside cells: cap where
// (in != 0) xor invert, else 0; also in01 = in != 0 for the row itself.
template <class Cell>
void cell_row(const ArrayView& in, index_t offset, index_t length, bool invert, Cell cap,
              Cell outside, index_t before, index_t after, Cell* cells, std::uint8_t* in01) {
    input_truth_row(in, offset, length, in01);
    const Cell one = invert ? Cell{0} : cap, zero = invert ? cap : Cell{0};
    std::fill(cells, cells + before, outside);
    Cell* inside = cells + before;
    for (index_t x = 0; x < length; ++x) inside[x] = in01[x] ? one : zero;
    std::fill(inside + length, inside + length + after, outside);
}

template <class Cell>
bool separable_erosion(const ArrayView& in, const ArrayView& out, const SeparableStructure& st,
                       bool border_value, bool invert, const ArrayView* mask, int n_threads) {
    const index_t nz = in.shape[0], ny = in.shape[1], nx = in.shape[2], plane = ny * nx;
    const Cell cap = st.ball ? static_cast<Cell>(st.radius2 + 1) : Cell{1};
    const Cell outside = border_value != invert ? cap : Cell{0};
    const Cell threshold = st.ball ? static_cast<Cell>(st.radius2) : Cell{0};
    index_t span[3];
    std::vector<Cell> terms[3];
    for (int d = 0; d < 3; ++d) {
        span[d] = st.hi[d] - st.lo[d] + 1;
        for (index_t k = 0; k < span[d]; ++k) {
            const index_t off = st.lo[d] + k;
            terms[d].push_back(st.ball ? static_cast<Cell>(st.weight[d] * off * off) : Cell{0});
        }
    }
    const MinPlusRows<Cell> min_plus = pick_min_plus_rows<Cell>();
    const RowWriter writer{out, mask, invert};
    const int threads = useful_threads(n_threads, in.size(), index_t{1} << 16);
    std::atomic<bool> any_change{false};

    // Threads share the volume in slabs along z or along y, whichever makes them recompute
    // fewer planes (z) or rows (y) of the other slabs' margins.
    const bool split_z = (span[0] - 1) * ny <= (span[1] - 1) * nz;
    const index_t n_slabs = split_z ? nz : ny;
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        const index_t z_begin = split_z ? begin : 0, z_end = split_z ? end : nz;
        const index_t y_begin = split_z ? 0 : begin, y_end = split_z ? ny : end;
        const index_t rows_out = y_end - y_begin, slab_plane = rows_out * nx;
        // input rows this slab's y pass reads
        const index_t y_first = std::max<index_t>(0, y_begin + st.lo[1]);
        const index_t y_last = std::min<index_t>(ny - 1, y_end - 1 + st.hi[1]);
        const index_t padded_x = nx + span[2] - 1;
        std::vector<Cell> padded_row(static_cast<std::size_t>(padded_x));
        std::vector<Cell> x_pass(static_cast<std::size_t>(plane));  // rows of one plane
        std::vector<Cell> result_plane(static_cast<std::size_t>(slab_plane));
        std::vector<Cell> ring(static_cast<std::size_t>(slab_plane * span[0]));  // after y
        std::vector<std::uint8_t> in01(static_cast<std::size_t>(slab_plane * span[0]));
        std::vector<std::uint8_t> in01_row(static_cast<std::size_t>(nx));
        std::vector<std::uint8_t> result(static_cast<std::size_t>(nx)),
            mask01(static_cast<std::size_t>(nx));
        std::vector<const Cell*> rows(static_cast<std::size_t>(
            std::max({span[0], span[1], span[2]})));
        const auto slot = [&](index_t z) { return (z % span[0]) * slab_plane; };
        const auto row_offset = [](const ArrayView& v, index_t z, index_t y) {
            return z * v.strides[0] + y * v.strides[1];
        };
        // input plane z: x pass of the rows the slab reads, y pass of its own, into a ring slot
        const auto compute_plane = [&](index_t z) {
            for (index_t y = y_first; y <= y_last; ++y) {
                const bool own = y >= y_begin && y < y_end;
                cell_row(in, row_offset(in, z, y), nx, invert, cap, outside, -st.lo[2], st.hi[2],
                         padded_row.data(),
                         own ? in01.data() + slot(z) + (y - y_begin) * nx : in01_row.data());
                for (index_t k = 0; k < span[2]; ++k) rows[k] = padded_row.data() + k;
                min_plus(rows.data(), terms[2].data(), span[2], nx, outside, cap,
                         x_pass.data() + y * nx);
            }
            for (index_t y = y_begin; y < y_end; ++y) {
                for (index_t k = 0; k < span[1]; ++k) {
                    const index_t yy = y + st.lo[1] + k;
                    rows[k] = yy >= 0 && yy < ny ? x_pass.data() + yy * nx : nullptr;
                }
                min_plus(rows.data(), terms[1].data(), span[1], nx, outside, cap,
                         ring.data() + slot(z) + (y - y_begin) * nx);
            }
        };
        bool changed = false;
        index_t next = std::max<index_t>(0, z_begin + st.lo[0]);  // next input plane to compute
        for (index_t z = z_begin; z < z_end; ++z) {
            for (const index_t last = std::min(nz - 1, z + st.hi[0]); next <= last; ++next)
                compute_plane(next);
            for (index_t k = 0; k < span[0]; ++k) {
                const index_t zz = z + st.lo[0] + k;
                rows[k] = zz >= 0 && zz < nz ? ring.data() + slot(zz) : nullptr;
            }
            min_plus(rows.data(), terms[0].data(), span[0], slab_plane, outside, cap,
                     result_plane.data());
            for (index_t y = y_begin; y < y_end; ++y) {
                const Cell* values = result_plane.data() + (y - y_begin) * nx;
                std::uint8_t* const eroded = result.data();
                const index_t n = nx;
                const Cell limit = threshold;
                for (index_t x = 0; x < n; ++x) eroded[x] = values[x] > limit;
                writer.write(result.data(), in01.data() + slot(z) + (y - y_begin) * nx, nx,
                             row_offset(out, z, y), mask ? row_offset(*mask, z, y) : 0,
                             mask01.data(), changed);
            }
        }
        if (changed) any_change = true;
    });
    return any_change;
}

}  // namespace

bool binary_erosion(const ArrayView& in, const ArrayView& out, const Footprint& structure,
                    bool border_value, bool invert, const ArrayView* mask, int n_threads) {
    if (in.size() == 0) return false;
    const std::size_t ndim = in.shape.size();
    std::vector<index_t> reach(ndim);
    for (std::size_t d = 0; d < ndim; ++d) reach[d] = structure.shape[d] / 2 + structure.origin[d];
    const AndRunsRow and_runs = pick_and_runs_row();
    const RowWriter writer{out, mask, invert};
    const auto flip = static_cast<std::uint8_t>(invert);
    return over_tiles(in, structure.shape, n_threads, [&](const Tile& tile, Scratch& s,
                                                            bool& changed) {
        s.bytes.resize(static_cast<std::size_t>(tile.padded_total));
        std::uint8_t* counts = s.bytes.data();
        gather_ones(in, tile, reach, border_value, invert, counts);
        const index_t width = tile.padded.back();
        const index_t rows = tile.padded_total / width;
        for (index_t r = 0; r < rows; ++r) run_lengths(counts + r * width, width);
        const std::vector<ByteRun> runs = byte_runs(structure, tile);
        const index_t length = tile.extent.back();
        s.result.resize(static_cast<std::size_t>(length));
        s.in01.resize(static_cast<std::size_t>(length));
        s.mask01.resize(static_cast<std::size_t>(length));
        index_t centre_offset = 0;  // padded offset of an output's own sample
        for (std::size_t d = 0; d < ndim; ++d) centre_offset += reach[d] * tile.pstride[d];
        for_each_row(tile, [&](const std::vector<index_t>& at, index_t padded) {
            and_runs(counts + padded, runs.data(), runs.size(), length, s.result.data());
            const std::uint8_t* own = counts + padded + centre_offset;
            std::uint8_t* const own01 = s.in01.data();
            const std::uint8_t flip_here = flip;
            for (index_t x = 0; x < length; ++x) own01[x] = (own[x] != 0) ^ flip_here;
            writer.write(s.result.data(), s.in01.data(), length, core_row_offset(tile, at, out),
                         mask ? core_row_offset(tile, at, *mask) : 0, s.mask01.data(), changed);
        });
    });
}

bool binary_erosion_separable(const ArrayView& in, const ArrayView& out,
                              const SeparableStructure& structure, bool border_value, bool invert,
                              const ArrayView* mask, int n_threads) {
    if (in.size() == 0) return false;
    if (!structure.ball || structure.radius2 < 255)  // every value fits a byte: twice the lanes
        return separable_erosion<std::uint8_t>(in, out, structure, border_value, invert, mask,
                                               n_threads);
    return separable_erosion<std::uint16_t>(in, out, structure, border_value, invert, mask,
                                            n_threads);
}

}  // namespace qbi
