#include "label_blocks.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

#include "omp.hpp"

namespace qbi {
namespace {

// Bit of sample (dz, dy, dx) in a block's pattern. C order inside the block, so the lowest set
// bit is the block's first foreground sample in C order.
constexpr unsigned sample_bit(int dz, int dy, int dx) { return 1u << (dz * 4 + dy * 2 + dx); }

// The samples of a block on its side facing the neighbour at offset (oz, oy, ox).
constexpr std::uint8_t facing(int oz, int oy, int ox) {
    unsigned mask = 0;
    for (int dz = 0; dz < 2; ++dz)
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx)
                if ((oz == 0 || dz == (oz > 0)) && (oy == 0 || dy == (oy > 0)) &&
                    (ox == 0 || dx == (ox > 0)))
                    mask |= sample_bit(dz, dy, dx);
    return static_cast<std::uint8_t>(mask);
}

struct Offset {
    int z, y, x;
};
// The 13 neighbours scanned before a block. The 4 of its own plane come first: they are all a
// slab's first plane may look at. The row's previous block leads, as the likeliest to share a
// label.
constexpr int kSamePlane = 4, kEarlier = 13;
constexpr Offset kEarlierOffsets[kEarlier] = {
    {0, 0, -1},  {0, -1, 0},  {0, -1, -1}, {0, -1, 1},  {-1, 0, 0},  {-1, -1, 0}, {-1, 1, 0},
    {-1, 0, -1}, {-1, 0, 1},  {-1, -1, -1}, {-1, -1, 1}, {-1, 1, -1}, {-1, 1, 1}};

// Blocks of a (Z, Y, X) volume with a border of empty blocks before the first plane and around
// every row and column, so neighbour lookups need no bounds checks.
struct BlockGrid {
    index_t Z, Y, X;     // samples
    index_t BZ, BY, BX;  // blocks
    index_t PY, PX;      // padded blocks per column and row
    index_t index(index_t bz, index_t by, index_t bx) const {
        return ((bz + 1) * PY + by + 1) * PX + bx + 1;
    }
    index_t padded_size() const { return (BZ + 1) * PY * PX; }
    index_t delta(const Offset& o) const { return (o.z * PY + o.y) * PX + o.x; }
};

BlockGrid grid_of(index_t Z, index_t Y, index_t X) {
    BlockGrid g{Z, Y, X, (Z + 1) / 2, (Y + 1) / 2, (X + 1) / 2, 0, 0};
    g.PY = g.BY + 2;
    g.PX = g.BX + 2;
    return g;
}

// ORs each pair of samples (2 bx, 2 bx + 1) of one row into bits `shift` and `shift + 1` of
// pattern[bx].
template <class T>
void add_row_pairs(const char* src, index_t width, index_t step, unsigned shift,
                   std::uint8_t* pattern) {
    for (index_t x = 0; x < width; ++x) {
        T v;
        std::memcpy(&v, src + x * step, sizeof(T));
        pattern[x >> 1] |= static_cast<std::uint8_t>(unsigned{v != T(0)} << (shift + (x & 1)));
    }
}

// The same for a contiguous row of bytes, 32 samples at a time.
void add_byte_pairs(const std::uint8_t* row, index_t width, unsigned shift,
                    std::uint8_t* pattern) {
    index_t x = 0;
#if defined(__SSSE3__)
    const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi8(1);
    const __m128i weights = _mm_set1_epi16(0x0201);  // even sample 1, odd sample 2
    const __m128i count = _mm_cvtsi32_si128(static_cast<int>(shift));
    for (; x + 32 <= width; x += 32) {
        const auto pairs_of = [&](const std::uint8_t* at) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
            const __m128i set = _mm_andnot_si128(_mm_cmpeq_epi8(v, zero), one);
            return _mm_sll_epi16(_mm_maddubs_epi16(set, weights), count);
        };
        const __m128i pairs = _mm_packus_epi16(pairs_of(row + x), pairs_of(row + x + 16));
        auto* dst = reinterpret_cast<__m128i*>(pattern + x / 2);
        _mm_storeu_si128(dst, _mm_or_si128(_mm_loadu_si128(dst), pairs));
    }
#endif
    for (; x < width; ++x)
        pattern[x >> 1] |= static_cast<std::uint8_t>(unsigned{row[x] != 0} << (shift + (x & 1)));
}

void fill_patterns(const ArrayView& in, const BlockGrid& g, index_t bz_begin, index_t bz_end,
                   std::uint8_t* pattern) {
    const index_t step = in.strides[2];
    for (index_t bz = bz_begin; bz < bz_end; ++bz)
        for (index_t by = 0; by < g.BY; ++by) {
            std::uint8_t* row_pattern = pattern + g.index(bz, by, 0);
            for (int dz = 0; dz < 2 && 2 * bz + dz < g.Z; ++dz)
                for (int dy = 0; dy < 2 && 2 * by + dy < g.Y; ++dy) {
                    const char* src = in.data + (2 * bz + dz) * in.strides[0] +
                                      (2 * by + dy) * in.strides[1];
                    const auto shift = static_cast<unsigned>(dz * 4 + dy * 2);
                    if (step == 1 && (in.dtype == DType::U8 || in.dtype == DType::I8))
                        add_byte_pairs(reinterpret_cast<const std::uint8_t*>(src), g.X, shift,
                                       row_pattern);
                    else
                        visit_dtype(in.dtype, [&](auto tag) {
                            add_row_pairs<decltype(tag)>(src, g.X, step, shift, row_pattern);
                        });
                }
        }
}

template <class Id>
Id find_root(Id* parent, Id x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];  // path halving
        x = parent[x];
    }
    return x;
}

// Joins the sets of a and b under the smaller root and returns it.
template <class Id>
Id unite(Id* parent, Id a, Id b) {
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a > b) std::swap(a, b);
    parent[b] = a;
    return a;
}

// Block planes bz_begin .. bz_end - 1, labelled on their own with local labels 1..n.
struct BlockSlab {
    index_t bz_begin = 0, bz_end = 0;
    std::vector<std::uint32_t> parent{0};  // parent[0] unused
    std::vector<index_t> first{0};  // per label: least C-order index of a sample of its blocks
    index_t first_label = 0;        // global id of local label 1, less one
};

// The label of block b from its earlier neighbours (the first n_offsets of them), joining the
// sets of all it connects to; 0 when it connects to none. Branch-free tests: on random data
// whether a corner or edge neighbour connects is a coin toss.
template <int n_offsets>
QBI_ALWAYS_INLINE std::uint32_t join_earlier(unsigned p, index_t b, const std::uint8_t* pattern,
                                             const std::uint32_t* labels, const index_t* delta,
                                             const std::uint8_t* mine,
                                             const std::uint8_t* theirs,
                                             std::vector<std::uint32_t>& parent) {
    std::uint32_t label = 0;
#pragma GCC unroll 13
    for (int o = 0; o < n_offsets; ++o) {
        const index_t nb = b + delta[o];
        const bool joined = ((p & mine[o]) != 0) & ((pattern[nb] & theirs[o]) != 0);
        const std::uint32_t met = labels[nb] & (0u - std::uint32_t{joined});
        if ((met != 0) & (met != label))
            label = label == 0 ? met : unite(parent.data(), label, met);
    }
    return label;
}

// Labels are 0 on entry, so a block that was not labelled (empty, or outside the slab) reads 0.
void label_slab_blocks(const BlockGrid& g, const std::uint8_t* pattern, std::uint32_t* labels,
                       BlockSlab& slab) {
    index_t delta[kEarlier];
    std::uint8_t mine[kEarlier], theirs[kEarlier];
    for (int o = 0; o < kEarlier; ++o) {
        const Offset& d = kEarlierOffsets[o];
        delta[o] = g.delta(d);
        mine[o] = facing(d.z, d.y, d.x);
        theirs[o] = facing(-d.z, -d.y, -d.x);
    }
    for (index_t bz = slab.bz_begin; bz < slab.bz_end; ++bz) {
        const bool first_plane = bz == slab.bz_begin;
        for (index_t by = 0; by < g.BY; ++by) {
            index_t row_first[4];  // C-order index of sample (2 bz + dz, 2 by + dy, 0)
            for (int k = 0; k < 4; ++k)
                row_first[k] = ((2 * bz + (k >> 1)) * g.Y + 2 * by + (k & 1)) * g.X;
            const index_t row = g.index(bz, by, 0);
            for (index_t bx = 0; bx < g.BX; ++bx) {
                const index_t b = row + bx;
                const unsigned p = pattern[b];
                if (p == 0) continue;
                std::uint32_t label =
                    first_plane
                        ? join_earlier<kSamePlane>(p, b, pattern, labels, delta, mine, theirs,
                                                   slab.parent)
                        : join_earlier<kEarlier>(p, b, pattern, labels, delta, mine, theirs,
                                                 slab.parent);
                const int s = __builtin_ctz(p);
                const index_t at = row_first[s >> 1] + 2 * bx + (s & 1);
                if (label == 0) {
                    if (slab.parent.size() > std::numeric_limits<std::uint32_t>::max() - 1)
                        throw std::length_error(
                            "more than 2^32 - 2 provisional labels in one slab");
                    label = static_cast<std::uint32_t>(slab.parent.size());
                    slab.parent.push_back(label);
                    slab.first.push_back(at);
                } else if (at < slab.first[label]) {
                    slab.first[label] = at;
                }
                labels[b] = label;
            }
        }
    }
}

// Writes each sample's component number: its block's, or 0 for background.
template <class O>
void write_samples(const ArrayView& out, const BlockGrid& g, const std::uint8_t* pattern,
                   const std::uint32_t* labels, const BlockSlab& slab,
                   const std::vector<index_t>& number) {
    std::vector<O> value(static_cast<std::size_t>(g.BX));
    const index_t step = out.strides[2];
    for (index_t bz = slab.bz_begin; bz < slab.bz_end; ++bz)
        for (index_t by = 0; by < g.BY; ++by) {
            const index_t row = g.index(bz, by, 0);
            for (index_t bx = 0; bx < g.BX; ++bx)
                value[bx] = pattern[row + bx]
                                ? static_cast<O>(number[slab.first_label + labels[row + bx]])
                                : O(0);
            for (int dz = 0; dz < 2 && 2 * bz + dz < g.Z; ++dz)
                for (int dy = 0; dy < 2 && 2 * by + dy < g.Y; ++dy) {
                    char* dst = out.data + (2 * bz + dz) * out.strides[0] +
                                (2 * by + dy) * out.strides[1];
                    const auto shift = static_cast<unsigned>(dz * 4 + dy * 2);
                    // without branches: on random data a sample's bit is a coin toss
                    const auto sample = [&](index_t x) {
                        const unsigned bit = (pattern[row + (x >> 1)] >> (shift + (x & 1))) & 1u;
                        if constexpr (std::is_integral_v<O>)
                            return static_cast<O>(value[x >> 1] & static_cast<O>(0u - bit));
                        else
                            return value[x >> 1] * static_cast<O>(bit);
                    };
                    // an O* only where the output is aligned (numpy arrays need not be)
                    if (step == static_cast<index_t>(sizeof(O)) && is_aligned<O>(dst)) {
                        O* out_row = reinterpret_cast<O*>(dst);
                        const std::uint8_t* row_pattern = pattern + row;
                        index_t x = 0;
                        // 8 blocks at a time: sparse data is mostly stretches of background
                        for (; x + 16 <= g.X; x += 16) {
                            std::uint64_t eight;
                            std::memcpy(&eight, row_pattern + x / 2, sizeof(eight));
                            if (((eight >> shift) & 0x0303030303030303ull) == 0)
                                std::fill_n(out_row + x, 16, O(0));
                            else
                                for (index_t k = x; k < x + 16; ++k) out_row[k] = sample(k);
                        }
                        for (; x < g.X; ++x) out_row[x] = sample(x);
                    } else {
                        for (index_t x = 0; x < g.X; ++x) {
                            const O v = sample(x);
                            std::memcpy(dst + x * step, &v, sizeof(O));
                        }
                    }
                }
        }
}

// A view of 1 to 3 dimensions as 3. Axes of length 1 hold no neighbours and are dropped first;
// then 2 axes (Y, X) become (Y, 1, X), so that rows, not a single plane, are split between
// threads (full connectivity in that one plane is the 2-D one), and 1 axis becomes (1, 1, X).
// A (1, Y, X) volume is thus split like (Y, X).
ArrayView as_3d(const ArrayView& a) {
    ArrayView v = a;
    v.shape.clear();
    v.strides.clear();
    for (std::size_t d = 0; d < a.shape.size(); ++d)
        if (a.shape[d] != 1) {
            v.shape.push_back(a.shape[d]);
            v.strides.push_back(a.strides[d]);
        }
    if (v.shape.empty()) {
        v.shape = {1, 1, 1};
        v.strides = {0, 0, 0};
    } else if (v.shape.size() == 1) {
        v.shape = {1, 1, v.shape[0]};
        v.strides = {0, 0, v.strides[0]};
    } else if (v.shape.size() == 2) {
        v.shape = {v.shape[0], 1, v.shape[1]};
        v.strides = {v.strides[0], 0, v.strides[1]};
    }
    return v;
}

}  // namespace

index_t label_full_blocks(const ArrayView& input, const ArrayView& output, int n_threads,
                          std::vector<index_t>* first_sample) {
    if (first_sample) first_sample->clear();
    if (input.size() == 0) return 0;
    const ArrayView in = as_3d(input), out = as_3d(output);
    const BlockGrid g = grid_of(in.shape[0], in.shape[1], in.shape[2]);
    const int threads = useful_threads(n_threads, in.size(), index_t{1} << 16);
    const index_t n_slabs = std::min<index_t>(threads, g.BZ);
    std::vector<BlockSlab> slabs(static_cast<std::size_t>(n_slabs));
    for (index_t s = 0; s < n_slabs; ++s) {
        slabs[s].bz_begin = g.BZ * s / n_slabs;
        slabs[s].bz_end = g.BZ * (s + 1) / n_slabs;
    }
    // Both start zeroed: border blocks stay empty and unlabelled.
    std::vector<std::uint8_t> pattern(static_cast<std::size_t>(g.padded_size()), 0);
    std::vector<std::uint32_t> labels(static_cast<std::size_t>(g.padded_size()), 0);
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s)
            fill_patterns(in, g, slabs[s].bz_begin, slabs[s].bz_end, pattern.data());
    });
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s)
            label_slab_blocks(g, pattern.data(), labels.data(), slabs[s]);
    });

    // The slabs' labels as global ids 1..total, joined across the faces between slabs.
    index_t total = 0;
    for (BlockSlab& slab : slabs) {
        slab.first_label = total;
        total += static_cast<index_t>(slab.parent.size()) - 1;
    }
    std::vector<index_t> parent(static_cast<std::size_t>(total) + 1),
        first(static_cast<std::size_t>(total) + 1);
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s) {
            const BlockSlab& slab = slabs[s];
            for (std::size_t l = 1; l < slab.parent.size(); ++l) {
                parent[slab.first_label + l] = slab.first_label + slab.parent[l];
                first[slab.first_label + l] = slab.first[l];
            }
        }
    });
    for (index_t s = 1; s < n_slabs; ++s) {
        const index_t bz = slabs[s].bz_begin;
        for (index_t by = 0; by < g.BY; ++by)
            for (index_t bx = 0; bx < g.BX; ++bx) {
                const index_t b = g.index(bz, by, bx);
                const unsigned p = pattern[b];
                if (p == 0) continue;
                for (int o = kSamePlane; o < kEarlier; ++o) {
                    const Offset& d = kEarlierOffsets[o];
                    const index_t nb = b + g.delta(d);
                    if ((p & facing(d.z, d.y, d.x)) && (pattern[nb] & facing(-d.z, -d.y, -d.x)))
                        unite(parent.data(), slabs[s].first_label + index_t{labels[b]},
                              slabs[s - 1].first_label + index_t{labels[nb]});
                }
            }
    }

    // Roots, and each component's first sample: the least over its labels. A root is the least
    // id of its set, as unite keeps the smaller root.
    std::vector<index_t> root(static_cast<std::size_t>(total) + 1);
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s) {
            const index_t lo = slabs[s].first_label + 1,
                          hi = lo + static_cast<index_t>(slabs[s].parent.size()) - 1;
            for (index_t l = lo; l < hi; ++l) {
                index_t r = parent[l];
                while (parent[r] != r) r = parent[r];
                root[l] = r;
            }
        }
    });
    for (index_t l = 1; l <= total; ++l) first[root[l]] = std::min(first[root[l]], first[l]);
    std::vector<std::pair<index_t, index_t>> components;  // (first sample, root)
    for (index_t l = 1; l <= total; ++l)
        if (root[l] == l) components.emplace_back(first[l], l);
    // scipy numbers components in the order of their first samples.
    std::sort(components.begin(), components.end());
    std::vector<index_t> number(static_cast<std::size_t>(total) + 1, 0);
    for (std::size_t k = 0; k < components.size(); ++k)
        number[components[k].second] = static_cast<index_t>(k) + 1;
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s) {
            const index_t lo = slabs[s].first_label + 1,
                          hi = lo + static_cast<index_t>(slabs[s].parent.size()) - 1;
            for (index_t l = lo; l < hi; ++l)
                if (root[l] != l) number[l] = number[root[l]];
        }
    });
    if (first_sample) {
        first_sample->reserve(components.size());
        for (const auto& c : components) first_sample->push_back(c.first);
    }
    parallel_ranges(n_slabs, threads, [&](index_t begin, index_t end) {
        for (index_t s = begin; s < end; ++s)
            visit_dtype(out.dtype, [&](auto tag) {
                write_samples<decltype(tag)>(out, g, pattern.data(), labels.data(), slabs[s],
                                             number);
            });
    });
    return static_cast<index_t>(components.size());
}

}  // namespace qbi
