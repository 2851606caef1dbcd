#include "label.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "label_blocks.hpp"
#include "omp.hpp"

namespace qbi {
namespace {

// A run of foreground samples first..last of one row, and its provisional label.
struct RowRun {
    std::int32_t first, last;
    std::uint32_t label;
};

// A list that is appended to without capacity checks: room for a whole row is made before the
// row is scanned, and new room is not zero-filled (std::vector does both). It grows by realloc,
// which may remap a large block instead of copying it.
template <class T>
class GrowList {
   public:
    GrowList() = default;
    GrowList(const GrowList&) = delete;
    GrowList& operator=(const GrowList&) = delete;
    ~GrowList() { std::free(data_); }

    void make_room(std::size_t n) {
        if (size_ + n <= capacity_) return;
        const std::size_t capacity = std::max(2 * capacity_, size_ + n);
        void* bigger = std::realloc(data_, capacity * sizeof(T));
        if (!bigger) throw std::bad_alloc();
        data_ = static_cast<T*>(bigger);
        capacity_ = capacity;
    }
    void push(T value) { data_[size_++] = value; }
    void clear() { size_ = 0; }
    std::size_t size() const { return size_; }
    T* data() { return data_; }
    const T* data() const { return data_; }
    T& operator[](std::size_t i) { return data_[i]; }
    const T& operator[](std::size_t i) const { return data_[i]; }

   private:
    T* data_ = nullptr;
    std::size_t size_ = 0, capacity_ = 0;
};

// Union-find whose roots are always the smallest member, so a component's root is its
// provisional label created first -- at its first sample in C order, as every sample's earlier
// neighbours are scanned before it.
template <class Id>
Id find_root(Id* parent, Id x) {
    Id root = x;
    while (parent[root] != root) root = parent[root];
    while (parent[x] != root) {
        const Id next = parent[x];
        parent[x] = root;
        x = next;
    }
    return root;
}

template <class Id>
Id unite(Id* parent, Id a, Id b) {
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a < b) std::swap(a, b);
    parent[a] = b;
    return b;
}

// Calls touch(i, k) for every run i of `row` connected to run k of an earlier row through the
// last-axis offsets in dx_mask (runs of both rows sorted; one sweep).
template <class Touch>
void connect_rows(const RowRun* row, std::size_t n_row, const RowRun* earlier,
                  std::size_t n_earlier, unsigned dx_mask, Touch&& touch) {
    const int lo = dx_mask & 1 ? -1 : dx_mask & 2 ? 0 : 1;
    const int hi = dx_mask & 4 ? 1 : dx_mask & 2 ? 0 : -1;
    const bool hole = dx_mask == 5;  // offsets -1 and +1 but not 0
    std::size_t j = 0;
    for (std::size_t i = 0; i < n_row; ++i) {
        const std::int64_t a = std::int64_t{row[i].first} + lo, b = std::int64_t{row[i].last} + hi;
        while (j < n_earlier && earlier[j].last < a) ++j;
        for (std::size_t k = j; k < n_earlier && earlier[k].first <= b; ++k) {
            if (hole && !((earlier[k].first <= row[i].last - 1 && earlier[k].last >= row[i].first - 1) ||
                          (earlier[k].first <= row[i].last + 1 && earlier[k].last >= row[i].first + 1)))
                continue;
            touch(i, k);
        }
    }
}

// Calls touch(i, k) for every run i of a row that overlaps run k of an earlier row (last-axis
// offset 0 only), from the rows' bitmaps, in order of i then k. The overlaps are the runs of
// (row AND earlier), and a run's index is the number of run starts up to it, less one: no branch
// per pair of runs, which on random data would be a coin toss.
template <class Touch>
void connect_overlapping_runs(const std::uint64_t* row, const std::uint64_t* earlier,
                              index_t words, Touch&& touch) {
    std::size_t runs_row = 0, runs_earlier = 0;  // run starts in the words before
    std::uint64_t carry_row = 0, carry_earlier = 0, carry_both = 0;  // their last bits
    for (index_t w = 0; w < words; ++w) {
        const std::uint64_t a = row[w], b = earlier[w], both = a & b;
        const std::uint64_t starts_a = a & ~((a << 1) | carry_row);
        const std::uint64_t starts_b = b & ~((b << 1) | carry_earlier);
        for (std::uint64_t starts = both & ~((both << 1) | carry_both); starts;
             starts &= starts - 1) {
            const std::uint64_t upto = ~std::uint64_t{0} >> (63 - __builtin_ctzll(starts));
            touch(runs_row + __builtin_popcountll(starts_a & upto) - 1,
                  runs_earlier + __builtin_popcountll(starts_b & upto) - 1);
        }
        runs_row += __builtin_popcountll(starts_a);
        runs_earlier += __builtin_popcountll(starts_b);
        carry_row = a >> 63;
        carry_earlier = b >> 63;
        carry_both = both >> 63;
    }
}

// Bitmaps of the rows of the last two indices of axis 0 a slab scanned (the only ones its rows
// connect to), for connect_overlapping_runs.
class RowBits {
   public:
    RowBits(index_t per_plane, index_t width)
        : words_((width + 63) / 64),
          per_plane_(per_plane),
          bits_(static_cast<std::size_t>(2 * per_plane * words_)) {}
    index_t words() const { return words_; }
    // row r of the slab (its first row is the first of a plane)
    std::uint64_t* row(index_t r) {
        return bits_.data() + ((r / per_plane_) % 2 * per_plane_ + r % per_plane_) * words_;
    }
    void set(index_t r, const RowRun* runs, std::size_t n) {
        std::uint64_t* bits = row(r);
        std::fill(bits, bits + words_, std::uint64_t{0});
        for (std::size_t i = 0; i < n; ++i)
            for (index_t x = runs[i].first; x <= runs[i].last;) {
                const index_t offset = x & 63;
                const index_t span = std::min<index_t>(runs[i].last - x + 1, 64 - offset);
                const std::uint64_t ones =
                    span == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << span) - 1;
                bits[x >> 6] |= ones << offset;
                x += span;
            }
    }

   private:
    index_t words_, per_plane_;
    std::vector<std::uint64_t> bits_;
};

// Appends the runs of one input row (every foreground sample its own run when samples of a row
// do not connect).
template <class T>
void find_runs(const char* src, index_t width, index_t step, bool along_row,
               GrowList<RowRun>& runs) {
    const auto foreground = [&](index_t x) {
        T v;
        std::memcpy(&v, src + x * step, sizeof(T));
        return v != T(0);
    };
    for (index_t x = 0; x < width;) {
        if (!foreground(x)) {
            ++x;
            continue;
        }
        const index_t first = x++;
        if (along_row)
            while (x < width && foreground(x)) ++x;
        runs.push({static_cast<std::int32_t>(first), static_cast<std::int32_t>(x - 1), 0});
    }
}

// The same for contiguous rows of bytes, through a bit per sample: runs are found a word of 64
// samples at a time with count-trailing-zeros instead of a branch per sample (random data
// mispredicts half of those).
void find_byte_runs(const std::uint8_t* row, index_t width, bool along_row,
                    std::vector<std::uint64_t>& bits, GrowList<RowRun>& runs) {
    const index_t words = (width + 63) / 64;
    bits.assign(static_cast<std::size_t>(words) + 1, 0);  // one more: a zero word ends the row
    index_t x = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    for (; x + 16 <= width; x += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x));
        const auto set = static_cast<std::uint64_t>(
            ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero))) & 0xFFFFu);
        bits[x >> 6] |= set << (x & 63);
    }
#endif
    for (; x < width; ++x) bits[x >> 6] |= std::uint64_t{row[x] != 0} << (x & 63);
    std::size_t w = 0;
    std::uint64_t word = bits[0];  // bits[w] without the positions already done
    while (true) {
        while (word == 0) {
            if (++w >= static_cast<std::size_t>(words)) return;
            word = bits[w];
        }
        const index_t first = static_cast<index_t>(w) * 64 + __builtin_ctzll(word);
        index_t end = first + 1;  // the first position after the run
        if (along_row) {
            std::uint64_t clear = ~word & (~std::uint64_t{0} << (first & 63));
            while (clear == 0) clear = ~bits[++w];
            end = static_cast<index_t>(w) * 64 + __builtin_ctzll(clear);
            word = bits[w] & (~std::uint64_t{0} << (end & 63));
        } else {
            word &= word - 1;
        }
        runs.push({static_cast<std::int32_t>(first), static_cast<std::int32_t>(end - 1), 0});
    }
}

// Rows are the lines along the last axis, numbered in C order of their leading indices.
struct Rows {
    std::vector<index_t> shape;   // leading axes
    std::vector<index_t> stride;  // row-number stride of each leading axis
    index_t count = 1, width = 1;
    index_t per_plane = 1;        // rows per index of axis 0
};

Rows rows_of(const ArrayView& a) {
    Rows rows;
    const std::size_t ndim = a.shape.size();
    rows.width = a.shape[ndim - 1];
    rows.shape.assign(a.shape.begin(), a.shape.end() - 1);
    rows.stride.resize(rows.shape.size());
    for (std::size_t d = rows.shape.size(); d-- > 0;) {
        rows.stride[d] = rows.count;
        rows.count *= rows.shape[d];
    }
    rows.per_plane = rows.shape.empty() ? 1 : rows.count / std::max<index_t>(1, rows.shape[0]);
    return rows;
}

// Byte offset of a row in an array, from its leading index.
index_t row_offset(const ArrayView& a, const std::vector<index_t>& at) {
    index_t offset = 0;
    for (std::size_t d = 0; d < at.size(); ++d) offset += at[d] * a.strides[d];
    return offset;
}

// One slab of whole planes (indices z_begin .. z_end - 1 of axis 0), labelled on its own.
struct Slab {
    index_t z_begin = 0, z_end = 0, row_begin = 0, row_end = 0;
    std::vector<std::size_t> run_start;  // per row of the slab, then the end
    GrowList<RowRun> runs;
    GrowList<std::uint32_t> parent;      // provisional labels 1..n; parent[0] unused
    std::vector<index_t> first_sample;   // per provisional label: C-order index where created
    index_t first_label = 0;             // global id of label 1, less one
};

// Row number of row `row` (leading index `at`) moved by `lead`, or -1 outside rows
// [lowest_row, highest row).
index_t neighbour_row(const Rows& rows, const std::vector<index_t>& at,
                      const std::vector<index_t>& lead, index_t z_lowest) {
    index_t r = 0;
    for (std::size_t d = 0; d < at.size(); ++d) {
        const index_t c = at[d] + lead[d];
        if (c < (d == 0 ? z_lowest : 0) || c >= rows.shape[d]) return -1;
        r += c * rows.stride[d];
    }
    return r;
}

void unravel_row(const Rows& rows, index_t r, std::vector<index_t>& at) {
    for (std::size_t d = 0; d < at.size(); ++d) {
        at[d] = r / rows.stride[d];
        r %= rows.stride[d];
    }
}

void label_slab(const ArrayView& in, const Rows& rows, const Connectivity& conn,
                bool first_samples, Slab& slab) {
    const index_t n_rows = slab.row_end - slab.row_begin;
    slab.run_start.assign(static_cast<std::size_t>(n_rows) + 1, 0);
    const std::size_t row_room =
        static_cast<std::size_t>(conn.along_row ? rows.width / 2 + 1 : rows.width);
    std::vector<index_t> at(rows.shape.size());
    std::vector<std::uint64_t> bits;
    const index_t step = in.strides.back();
    const bool bytes = step == 1 && (in.dtype == DType::U8 || in.dtype == DType::I8);  // bool too
    const auto find_row_runs = [&](index_t row) {  // appends the runs of row `row` of the input
        slab.runs.make_room(row_room);
        unravel_row(rows, row, at);
        const char* src = in.data + row_offset(in, at);
        if (bytes)
            find_byte_runs(reinterpret_cast<const std::uint8_t*>(src), rows.width,
                           conn.along_row, bits, slab.runs);
        else
            visit_dtype(in.dtype, [&](auto tag) {
                find_runs<decltype(tag)>(src, rows.width, step, conn.along_row, slab.runs);
            });
    };
    // Room for the runs that a sample of rows predicts, a quarter more, made up front: the list
    // grows if it must, but growing may copy it. Room for the most runs the slab could hold
    // (8 bytes a sample, though untouched unless used) could not be allocated for big slabs
    // where memory is not overcommitted, or beyond the machine's size (25.8 GB for 4.3e9 samples).
    constexpr index_t kProbeRows = 64;
    std::size_t first_room = row_room * static_cast<std::size_t>(n_rows);
    if (n_rows > kProbeRows) {
        slab.runs.clear();
        for (index_t k = 0; k < kProbeRows; ++k)
            find_row_runs(slab.row_begin + k * n_rows / kProbeRows);
        const std::size_t predicted =
            slab.runs.size() * static_cast<std::size_t>(n_rows) / kProbeRows;
        first_room = std::min(first_room, predicted + predicted / 4 + row_room);
    }
    slab.runs.clear();
    slab.runs.make_room(first_room);
    slab.parent.clear();
    slab.parent.make_room(first_room + 1);  // a label per run at most
    slab.parent.push(0);
    // earlier rows met at last-axis offset 0 only (6-connectivity's all) go through bitmaps
    const auto overlap_only = [&](const Connectivity::Neighbour& nb) {
        return conn.along_row && nb.dx_mask == 2;
    };
    const bool use_bits =
        std::any_of(conn.earlier_rows.begin(), conn.earlier_rows.end(), overlap_only);
    RowBits row_bits(use_bits ? rows.per_plane : 0, use_bits ? rows.width : 0);
    for (index_t r = 0; r < n_rows; ++r) {
        const index_t row = slab.row_begin + r;
        const std::size_t begin = slab.runs.size();
        slab.parent.make_room(row_room);  // a new label per run at most
        slab.run_start[r] = begin;
        find_row_runs(row);
        const std::size_t n = slab.runs.size() - begin;
        RowRun* here = slab.runs.data() + begin;
        if (use_bits && bytes)  // find_byte_runs left the row's bitmap in `bits`
            std::copy(bits.begin(), bits.begin() + row_bits.words(), row_bits.row(r));
        else if (use_bits)
            row_bits.set(r, here, n);
        for (const auto& nb : conn.earlier_rows) {
            std::size_t last_run = SIZE_MAX;
            std::uint32_t last_met = 0;
            const index_t other = neighbour_row(rows, at, nb.lead, slab.z_begin);
            if (other < 0) continue;
            const index_t o = other - slab.row_begin;
            const RowRun* there = slab.runs.data() + slab.run_start[o];
            const auto touch = [&](std::size_t i, std::size_t k) {
                // a label this run met just before is in its set already
                if (i != last_run) {
                    last_run = i;
                    last_met = 0;
                }
                if (there[k].label == last_met) return;
                last_met = there[k].label;
                const std::uint32_t root = find_root(slab.parent.data(), there[k].label);
                // the run's own root: other runs of this row, swept in between
                // for other earlier rows, may have linked its set elsewhere
                const std::uint32_t mine =
                    here[i].label == 0 ? 0 : find_root(slab.parent.data(), here[i].label);
                if (mine == 0 || root < mine) {
                    if (mine != 0) slab.parent[mine] = root;
                    here[i].label = root;
                } else {
                    if (root > mine) slab.parent[root] = mine;
                    here[i].label = mine;
                }
            };
            if (overlap_only(nb))
                connect_overlapping_runs(row_bits.row(r), row_bits.row(o), row_bits.words(),
                                         touch);
            else
                connect_rows(here, n, there, slab.run_start[o + 1] - slab.run_start[o],
                             nb.dx_mask, touch);
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (here[i].label != 0) continue;
            if (slab.parent.size() > std::numeric_limits<std::uint32_t>::max() - 1)
                throw std::length_error("more than 2^32 - 2 provisional labels in one slab");
            here[i].label = static_cast<std::uint32_t>(slab.parent.size());
            slab.parent.push(here[i].label);
            if (first_samples) slab.first_sample.push_back(row * rows.width + here[i].first);
        }
        slab.run_start[r + 1] = slab.runs.size();
    }
}

template <class O>
void write_rows(const ArrayView& out, const Rows& rows, const Slab& slab,
                const index_t* final_label) {
    std::vector<index_t> at(rows.shape.size());
    const index_t step = out.strides.back();
    for (index_t r = 0; r < slab.row_end - slab.row_begin; ++r) {
        unravel_row(rows, slab.row_begin + r, at);
        char* dst = out.data + row_offset(out, at);
        // an O* only where the output is aligned (numpy arrays need not be); memcpy elsewhere
        if (step == static_cast<index_t>(sizeof(O)) && is_aligned<O>(dst)) {
            O* row = reinterpret_cast<O*>(dst);
            std::fill(row, row + rows.width, O(0));
            for (std::size_t k = slab.run_start[r]; k < slab.run_start[r + 1]; ++k) {
                const RowRun& run = slab.runs[k];
                const O value = static_cast<O>(final_label[slab.first_label + run.label]);
                std::fill(row + run.first, row + run.last + 1, value);
            }
        } else {
            const O zero = 0;
            for (index_t x = 0; x < rows.width; ++x) std::memcpy(dst + x * step, &zero, sizeof(O));
            for (std::size_t k = slab.run_start[r]; k < slab.run_start[r + 1]; ++k) {
                const RowRun& run = slab.runs[k];
                const O value = static_cast<O>(final_label[slab.first_label + run.label]);
                for (index_t x = run.first; x <= run.last; ++x)
                    std::memcpy(dst + x * step, &value, sizeof(O));
            }
        }
    }
}

}  // namespace

Connectivity connectivity_from_structure(const std::uint8_t* structure, std::size_t ndim) {
    Connectivity conn;
    index_t size = 1;
    for (std::size_t d = 0; d < ndim; ++d) size *= 3;
    const index_t centre = size / 2;
    conn.full = std::all_of(structure, structure + centre, [](std::uint8_t v) { return v != 0; });
    for (index_t k = 0; k < centre; ++k) {  // the elements before the centre, in C order
        if (!structure[k]) continue;
        std::vector<index_t> lead(ndim - 1);
        index_t rest = k / 3;
        for (std::size_t d = ndim - 1; d-- > 0;) {
            lead[d] = rest % 3 - 1;
            rest /= 3;
        }
        const unsigned dx_bit = 1u << (k % 3);
        if (std::all_of(lead.begin(), lead.end(), [](index_t v) { return v == 0; })) {
            conn.along_row = true;  // the element just before the centre
            continue;
        }
        auto same = std::find_if(conn.earlier_rows.begin(), conn.earlier_rows.end(),
                                 [&](const Connectivity::Neighbour& n) { return n.lead == lead; });
        if (same == conn.earlier_rows.end())
            conn.earlier_rows.push_back({lead, dx_bit});
        else
            same->dx_mask |= dx_bit;
    }
    return conn;
}

index_t label(const ArrayView& in, const ArrayView& out, const Connectivity& conn,
              int n_threads, std::vector<index_t>* first_sample) {
    // Short runs of dense data cost less as blocks, in 2-d and 3-d; a 1-d line is one row of runs
    // (as blocks it took 17 bytes of scratch a sample), unless too long for a row.
    const bool one_long_line =
        in.shape.size() == 1 && in.shape[0] > std::numeric_limits<std::int32_t>::max();
    if (conn.full && (in.shape.size() == 2 || in.shape.size() == 3 || one_long_line))
        return label_full_blocks(in, out, n_threads, first_sample);
    if (first_sample) first_sample->clear();
    if (in.size() == 0) return 0;
    const Rows rows = rows_of(in);
    if (rows.width > std::numeric_limits<std::int32_t>::max())
        throw std::length_error("rows of 2^31 samples or more are not supported");
    const index_t planes = in.shape.size() > 1 ? in.shape[0] : 1;
    const int threads = useful_threads(n_threads, in.size(), index_t{1} << 16);
    const index_t n_slabs = std::min<index_t>(threads, planes);
    std::vector<Slab> slabs(static_cast<std::size_t>(n_slabs));
    for (index_t s = 0; s < n_slabs; ++s) {
        Slab& slab = slabs[s];
        slab.z_begin = planes * s / n_slabs;
        slab.z_end = planes * (s + 1) / n_slabs;
        slab.row_begin = slab.z_begin * rows.per_plane;
        slab.row_end = slab.z_end * rows.per_plane;
    }
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s)
            label_slab(in, rows, conn, first_sample != nullptr, slabs[s]);
    });

    // Provisional labels of all slabs, in slab order, as global ids 1..total.
    index_t total = 0;
    for (Slab& slab : slabs) {
        slab.first_label = total;
        total += static_cast<index_t>(slab.parent.size()) - 1;
    }
    // Not zero-filled here but first written by the threads below: on random data these hold
    // millions of labels, and filling them on one thread took a tenth of a 2-thread run.
    std::unique_ptr<index_t[]> parent(new index_t[static_cast<std::size_t>(total) + 1]);
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s) {
            const Slab& slab = slabs[s];
            for (std::size_t l = 1; l < slab.parent.size(); ++l)
                parent[slab.first_label + l] = slab.first_label + slab.parent[l];
        }
    });
    // Faces: the first plane of each slab against the planes before it.
    std::vector<index_t> at(rows.shape.size());
    for (index_t s = 1; s < n_slabs; ++s) {
        const Slab& slab = slabs[s];
        for (index_t row = slab.row_begin; row < slab.row_begin + rows.per_plane; ++row) {
            unravel_row(rows, row, at);
            const index_t r = row - slab.row_begin;
            const RowRun* here = slab.runs.data() + slab.run_start[r];
            const std::size_t n = slab.run_start[r + 1] - slab.run_start[r];
            for (const auto& nb : conn.earlier_rows) {
                if (nb.lead[0] != -1) continue;
                const index_t other = neighbour_row(rows, at, nb.lead, 0);
                if (other < 0) continue;
                const Slab& before = slabs[s - 1];
                const index_t o = other - before.row_begin;
                const RowRun* there = before.runs.data() + before.run_start[o];
                connect_rows(here, n, there, before.run_start[o + 1] - before.run_start[o],
                             nb.dx_mask, [&](std::size_t i, std::size_t k) {
                                 unite(parent.get(), slab.first_label + here[i].label,
                                       before.first_label + there[k].label);
                             });
            }
        }
    }
    // Roots in increasing id order are the components in order of their first sample.
    // Numbered per slab in parallel: roots counted, offsets summed, roots numbered, then every
    // other label takes its root's number (roots found without writing, so threads can share).
    std::unique_ptr<index_t[]> final_label(new index_t[static_cast<std::size_t>(total) + 1]);
    std::vector<index_t> roots_before(static_cast<std::size_t>(n_slabs) + 1, 0);
    const auto ids_of = [&](index_t s) {
        return std::pair<index_t, index_t>{slabs[s].first_label + 1,
                                           slabs[s].first_label + 1 +
                                               static_cast<index_t>(slabs[s].parent.size()) - 1};
    };
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s) {
            const auto [lo, hi] = ids_of(s);
            index_t roots = 0;
            for (index_t g = lo; g < hi; ++g) roots += parent[g] == g;
            roots_before[s + 1] = roots;
        }
    });
    for (index_t s = 0; s < n_slabs; ++s) roots_before[s + 1] += roots_before[s];
    const index_t count = roots_before[n_slabs];
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s) {
            const auto [lo, hi] = ids_of(s);
            index_t number = roots_before[s];
            for (index_t g = lo; g < hi; ++g)
                if (parent[g] == g) final_label[g] = ++number;
        }
    });
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s) {
            const auto [lo, hi] = ids_of(s);
            for (index_t g = lo; g < hi; ++g) {
                if (parent[g] == g) continue;
                index_t root = parent[g];
                while (parent[root] != root) root = parent[root];
                final_label[g] = final_label[root];
            }
        }
    });
    if (first_sample) {  // a component's root is its label created first, at its first sample
        first_sample->reserve(static_cast<std::size_t>(count));
        for (const Slab& slab : slabs)
            for (std::size_t l = 1; l < slab.parent.size(); ++l)
                if (parent[slab.first_label + l] == slab.first_label + static_cast<index_t>(l))
                    first_sample->push_back(slab.first_sample[l - 1]);
    }
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s)
            visit_dtype(out.dtype, [&](auto tag) {
                write_rows<decltype(tag)>(out, rows, slabs[s], final_label.get());
            });
    });
    return count;
}

}  // namespace qbi
