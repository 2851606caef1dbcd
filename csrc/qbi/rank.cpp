#include "rank.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

#include "convert.hpp"
#include "omp.hpp"
#include "simd.hpp"
#include "tiles.hpp"

namespace qbi {
namespace {

// ---------------------------------------------------------------------------------------------
// scipy's selection, for the Select method.

// scipy's NI_Select: Hoare partition around the first element of [lo, hi], continuing into the
// side that holds `rank` (relative to lo). The buffer is permuted exactly as scipy permutes it,
// so ties between values that compare equal (0.0 and -0.0) and NaNs resolve as they do there.
// After a swap the exchanged elements bound both scans, so they stay inside [lo, hi].
double scipy_select(double* buffer, index_t lo, index_t hi, index_t rank) {
    while (lo != hi) {
        const double pivot = buffer[lo];
        index_t i = lo - 1, j = hi + 1;
        for (;;) {
            do --j;
            while (buffer[j] > pivot);
            do ++i;
            while (buffer[i] < pivot);
            if (i >= j) break;
            std::swap(buffer[i], buffer[j]);
        }
        const index_t left = j - lo + 1;
        if (rank < left) {
            hi = j;
        } else {
            lo = j + 1;
            rank -= left;
        }
    }
    return buffer[lo];
}

// ---------------------------------------------------------------------------------------------
// Sliding order statistics, for the Sliding method.

// The counters below keep their tables in the object and the position of the last answer in a
// Cursor that slide_row holds in a local variable: kept apart, the compiler can keep the cursor
// in registers instead of re-reading it after every table write.
struct Cursor {
    unsigned at = 0;    // bin (ByteCounts) or 64-bit word (RankSet) of the last answer
    index_t below = 0;  // keys in the bins / words before `at`
};

// Counts of 8-bit keys, answering "k-th smallest" by walking from the previous answer: windows
// that overlap have nearby answers, so the walk is short.
class ByteCounts {
public:
    void add(Cursor& c, unsigned key) {
        ++count_[key];
        c.below += key < c.at;
    }
    void remove(Cursor& c, unsigned key) {
        --count_[key];
        c.below -= key < c.at;
    }
    // The k-th smallest key (k from 0).
    unsigned select(Cursor& c, index_t k) const {
        while (c.below > k) c.below -= count_[--c.at];
        while (c.below + count_[c.at] <= k) c.below += count_[c.at++];
        return c.at;
    }

private:
    std::array<index_t, 256> count_{};
};

// A set of distinct 16-bit ranks, one bit per rank. The k-th smallest is found by walking 64-bit
// words from the previous answer's word, counting bits; `below` (set bits in the words before
// the cursor's) is kept current by every add and remove.
class RankSet {
public:
    void add(Cursor& c, unsigned r) {
        bits_[r >> 6] |= std::uint64_t{1} << (r & 63);
        c.below += (r >> 6) < c.at;
    }
    void remove(Cursor& c, unsigned r) {
        bits_[r >> 6] &= ~(std::uint64_t{1} << (r & 63));
        c.below -= (r >> 6) < c.at;
    }
    unsigned select(Cursor& c, index_t k) const {
        while (c.below > k) c.below -= popcount(bits_[--c.at]);
        index_t here;
        while (c.below + (here = popcount(bits_[c.at])) <= k) {
            c.below += here;
            ++c.at;
        }
        std::uint64_t word = bits_[c.at];
        for (index_t left = k - c.below; left > 0; --left) word &= word - 1;  // drop lowest
        return c.at * 64 + static_cast<unsigned>(__builtin_ctzll(word));
    }

private:
    static index_t popcount(std::uint64_t x) { return __builtin_popcountll(x); }
    std::array<std::uint64_t, 1024> bits_{};
};

// Unsigned keys whose integer order is the value order of T (for floats: NaN excluded, and
// -0.0 sorts before +0.0, which the Sliding method's callers rule out).
template <class T>
auto order_key(T v) {
    if constexpr (std::is_floating_point_v<T>) {
        using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
        U bits;
        std::memcpy(&bits, &v, sizeof(T));
        constexpr U sign = U{1} << (8 * sizeof(T) - 1);
        return (bits & sign) ? U(~bits) : U(bits | sign);
    } else {
        using U = std::make_unsigned_t<T>;
        constexpr U sign = std::is_signed_v<T> ? U(U{1} << (8 * sizeof(T) - 1)) : U{0};
        return U(U(v) ^ sign);
    }
}

// The 8-bit value whose order_key is `key`.
template <class T>
T from_byte_key(unsigned key) {
    const auto flip = static_cast<std::uint8_t>(order_key(T{0}));  // the sign bit, if any
    return static_cast<T>(static_cast<std::uint8_t>(key ^ flip));
}

// rank[i] = position of values[i] in ascending order (ties by index), sorted[p] = the value at
// position p. LSD radix sort by bytes, skipping bytes that every key shares.
template <class T>
void rank_values(const T* values, index_t n, std::vector<std::uint16_t>& rank,
                 std::vector<T>& sorted, std::vector<std::uint32_t>& order,
                 std::vector<std::uint32_t>& spare) {
    using Key = decltype(order_key(T{}));
    order.resize(static_cast<std::size_t>(n));
    spare.resize(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
    for (unsigned shift = 0; shift < 8 * sizeof(Key); shift += 8) {
        std::array<index_t, 257> start{};
        for (index_t i = 0; i < n; ++i) ++start[((order_key(values[i]) >> shift) & 0xFF) + 1];
        if (std::count(start.begin() + 1, start.end(), n) == 1) continue;  // one shared byte
        for (int b = 0; b < 256; ++b) start[b + 1] += start[b];
        for (index_t p = 0; p < n; ++p) {
            const std::uint32_t i = order[p];
            spare[start[(order_key(values[i]) >> shift) & 0xFF]++] = i;
        }
        order.swap(spare);
    }
    rank.resize(static_cast<std::size_t>(n));
    sorted.resize(static_cast<std::size_t>(n));
    for (index_t p = 0; p < n; ++p) {
        rank[order[p]] = static_cast<std::uint16_t>(p);
        sorted[p] = values[order[p]];
    }
}

// ---------------------------------------------------------------------------------------------
// Selection networks, for small windows: many outputs side by side in SIMD lanes.

// Windows of up to this many elements go through a network (beyond, sliding counts win).
constexpr index_t kMaxNetworkInputs = 32;
constexpr int kMaxNetworkOps = 256;  // Batcher's network for 32 inputs has 191 comparators

// One compare-exchange on two registers: lo receives the smaller value, hi the larger.
struct Comparator {
    std::uint16_t lo = 0, hi = 0;
};

struct SelectionNetwork {
    std::array<Comparator, kMaxNetworkOps> ops{};
    int count = 0;
    int output = 0;  // the register that ends up holding the rank-th smallest input
};

// Batcher's odd-even merge sort for n <= kMaxNetworkInputs inputs, padded to a power of two
// with +infinity, cut down to the comparators the rank-th output depends on. Comparators
// against a padding value are register renamings (min(x, inf) = x), so padding costs nothing.
// constexpr, so that the most common median networks are built at compile time and unrolled.
constexpr SelectionNetwork selection_network(int n, int rank) {
    int size = 1;
    while (size < n) size *= 2;
    int holds[kMaxNetworkInputs] = {};  // register at each position, -1: +infinity
    for (int p = 0; p < size; ++p) holds[p] = p < n ? p : -1;
    Comparator all[kMaxNetworkOps] = {};
    int n_all = 0;
    for (int p = 1; p < size; p *= 2) {
        for (int k = p; k >= 1; k /= 2) {
            for (int j = k % p; j + k < size; j += 2 * k) {
                for (int i = 0; i < k && i < size - j - k; ++i) {
                    if ((i + j) / (2 * p) != (i + j + k) / (2 * p)) continue;
                    const int a = holds[i + j], b = holds[i + j + k];
                    if (b < 0) continue;
                    if (a < 0) {
                        holds[i + j] = b;
                        holds[i + j + k] = a;
                        continue;
                    }
                    all[n_all++] = Comparator{static_cast<std::uint16_t>(a),
                                              static_cast<std::uint16_t>(b)};
                }
            }
        }
    }
    SelectionNetwork net;
    net.output = holds[rank];
    bool needed[kMaxNetworkInputs] = {};
    needed[net.output] = true;
    int kept = 0;  // net.ops is filled from the back: the last comparators are visited first
    for (int o = n_all - 1; o >= 0; --o) {  // backwards, keeping what the output depends on
        if (!needed[all[o].lo] && !needed[all[o].hi]) continue;
        needed[all[o].lo] = needed[all[o].hi] = true;
        net.ops[kMaxNetworkOps - 1 - kept++] = all[o];
    }
    for (int o = 0; o < kept; ++o) net.ops[o] = net.ops[kMaxNetworkOps - kept + o];
    net.count = kept;
    return net;
}

// Two selections on the same condition (b > a is a < b, also with NaN), written apart: then
// compilers emit one min and one max instruction for integer lanes instead of a compare and two
// blends.
template <class R>
QBI_ALWAYS_INLINE void compare_exchange(R& lo, R& hi) {
    const R a = lo, b = hi;
    lo = a < b ? a : b;
    hi = b > a ? b : a;
}

// Any network, read from memory at run time.
struct AnyNetwork {
    static constexpr index_t inputs = 0;
    template <class R>
    static QBI_ALWAYS_INLINE void apply(R* regs, const SelectionNetwork& net) {
        for (int o = 0; o < net.count; ++o)
            compare_exchange(regs[net.ops[o].lo], regs[net.ops[o].hi]);
    }
};

// The median network of N inputs, built at compile time and unrolled with constant register
// numbers, so the compiler keeps values in registers: about 2.5x faster than AnyNetwork.
template <int N>
struct MedianNetwork {
    static constexpr index_t inputs = N;
    static constexpr SelectionNetwork net = selection_network(N, N / 2);
    template <class R, std::size_t... I>
    static QBI_ALWAYS_INLINE void unrolled(R* regs, std::index_sequence<I...>) {
        (compare_exchange(regs[net.ops[I].lo], regs[net.ops[I].hi]), ...);
    }
    template <class R>
    static QBI_ALWAYS_INLINE void apply(R* regs, const SelectionNetwork&) {
        unrolled(regs, std::make_index_sequence<net.count>{});
    }
};

// answers[x] for x < length: the network's output over the window of output x, whose n
// elements are row[offsets[e] + x]; V-width groups of outputs at a time (the last group overlaps
// the one before rather than leaving a remainder). Rows narrower than V go through vectors half
// as wide, down to 16 bytes, then through AnyNetwork one output at a time. Network::inputs, when
// not 0, is n known at compile time: then the loads unroll too and the whole window stays in
// registers.
template <class Network, class V, class T>
QBI_ALWAYS_INLINE void network_row(const T* row, const index_t* offsets, index_t n,
                                   const SelectionNetwork& net, index_t length, T* answers) {
    constexpr index_t lanes = sizeof(V) / sizeof(T);
    if constexpr (sizeof(V) > 16) {  // rows narrower than V: vectors half as wide
        if (length < lanes) {
            network_row<AnyNetwork, typename VecOf<T, sizeof(V) / 2>::type>(row, offsets, n, net,
                                                                             length, answers);
            return;
        }
    }
    if (length < lanes) {
        T regs[kMaxNetworkInputs];
        for (index_t x = 0; x < length; ++x) {
            for (index_t e = 0; e < n; ++e) regs[e] = row[offsets[e] + x];
            AnyNetwork::apply(regs, net);
            answers[x] = regs[net.output];
        }
        return;
    }
    // (No lambda here: a lambda is a function of its own, compiled without the caller's AVX2
    // target unless inlined, and an unrolled network is too big to be inlined.)
    constexpr index_t fixed = Network::inputs;
    constexpr index_t capacity = fixed ? fixed : kMaxNetworkInputs;
    const index_t inputs = fixed ? fixed : n;
    V regs[capacity];
    for (index_t x = 0;; x += lanes) {
        if (x + lanes > length) x = length - lanes;  // last group: overlap the previous one
        for (index_t e = 0; e < inputs; ++e)
            std::memcpy(&regs[e], row + offsets[e] + x, sizeof(V));
        Network::apply(regs, net);
        std::memcpy(answers + x, &regs[net.output], sizeof(V));
        if (x + lanes >= length) break;
    }
}

template <class T>
using NetworkRow = void (*)(const T*, const index_t*, index_t, const SelectionNetwork&, index_t,
                            T*);

template <class Network, class T>
void network_row_baseline(const T* row, const index_t* offsets, index_t n,
                          const SelectionNetwork& net, index_t length, T* answers) {
    network_row<Network, typename VecOf<T, 16>::type>(row, offsets, n, net, length, answers);
}

#ifdef QBI_HAVE_AVX2_PATH
template <class Network, class T>
QBI_TARGET_AVX2 void network_row_avx2(const T* row, const index_t* offsets, index_t n,
                                      const SelectionNetwork& net, index_t length, T* answers) {
    network_row<Network, typename VecOf<T, 32>::type>(row, offsets, n, net, length, answers);
}
#endif

// The row function for a network of n inputs selecting `rank`. The 3x3x3 median (27 inputs,
// the commonest 3-d case) is unrolled for float32 and uint8 on AVX2 -- unrolling costs compile
// time, so only there; everything else reads the network from memory. (An AVX-512 build of
// these loops was slower than the AVX2 one on a Zen 5 machine for every type but float32.)
template <class T>
NetworkRow<T> pick_network_row(index_t n, index_t rank) {
#ifdef QBI_HAVE_AVX2_PATH
    if (use_avx2()) {
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, std::uint8_t>) {
            if (n == 27 && rank == 13) return network_row_avx2<MedianNetwork<27>, T>;
        }
        return network_row_avx2<AnyNetwork, T>;
    }
#endif
    return network_row_baseline<AnyNetwork, T>;
}

// Slides `counter` along one core row: answers[x] = the rank-th smallest key in the window of
// output x. Starts from and returns to an empty counter. `ends` is scratch for two pointers per
// run: where the key leaving and the key entering the window at step x are found, minus x.
template <class Counter, class Key>
void slide_row(Counter& counter, Cursor& cursor, const Key* keys, const std::vector<Run>& runs,
               index_t length, index_t rank, unsigned* answers, std::vector<const Key*>& ends) {
    const std::size_t n_runs = runs.size();
    ends.resize(2 * n_runs);
    for (std::size_t i = 0; i < n_runs; ++i) {
        ends[2 * i] = keys + runs[i].offset + runs[i].first - 1;  // leaving at x
        ends[2 * i + 1] = keys + runs[i].offset + runs[i].last;   // entering at x
    }
    const Key* const* end_ptrs = ends.data();
    Cursor c = cursor;
    for (const Run& run : runs)
        for (index_t e = run.first; e <= run.last; ++e) counter.add(c, keys[run.offset + e]);
    answers[0] = counter.select(c, rank);
    for (index_t x = 1; x < length; ++x) {
        for (std::size_t i = 0; i < n_runs; ++i) {
            counter.remove(c, end_ptrs[2 * i][x]);
            counter.add(c, end_ptrs[2 * i + 1][x]);
        }
        answers[x] = counter.select(c, rank);
    }
    for (const Run& run : runs)
        for (index_t e = run.first; e <= run.last; ++e)
            counter.remove(c, keys[run.offset + length - 1 + e]);
    cursor = c;
}

// scipy's n-d rank filter selects among doubles, casts the answer back to the input type and
// stores that through a double again; unsigned outputs of negative values as -(unsigned)(-v).
// For 64-bit integers beyond 2^53 the round trip is not the identity, so it is done here too.
template <class O>
O rank_output_cast(double v) {
    if constexpr (std::is_unsigned_v<O>) {
        if (!(v > -1.0)) return static_cast<O>(-cast_from_double<O>(-v));
    }
    return cast_from_double<O>(v);
}

template <class T>
void store_answers(const T* values, index_t count, const ArrayView& out, index_t target,
                   RankStore store) {
    char* dst = out.data + target;
    const index_t stride = out.strides.back();
    if (store == RankStore::Same) {
        for (index_t x = 0; x < count; ++x) std::memcpy(dst + x * stride, &values[x], sizeof(T));
        return;
    }
    visit_dtype(out.dtype, [&](auto tag) {
        using O = decltype(tag);
        for (index_t x = 0; x < count; ++x) {
            const T answer = cast_from_double<T>(static_cast<double>(values[x]));
            const O v = rank_output_cast<O>(static_cast<double>(answer));
            std::memcpy(dst + x * stride, &v, sizeof(O));
        }
    });
}

// Tile budgets (padded elements): ranks of a tile must fit 16 bits; the other methods keep a
// tile's copy within a few hundred KB.
constexpr index_t kRankTile = index_t{1} << 16;
constexpr index_t kByteTile = index_t{1} << 18;
constexpr index_t kSelectTile = index_t{1} << 15;
constexpr index_t kNetworkTile = index_t{1} << 17;

// Per-thread scratch that survives from tile to tile.
template <class T>
struct Scratch {
    std::vector<T> tile, sorted, answers_t;
    std::vector<std::uint8_t> keys8;
    std::vector<std::uint16_t> ranks;
    std::vector<std::uint32_t> order, spare;
    std::vector<unsigned> answers;
    std::vector<double> window;
    std::vector<const std::uint8_t*> ends8;
    std::vector<const std::uint16_t*> ends16;
};

// Filters one tile: by scipy's selection (Select), by a selection network (Sliding with `net`,
// small windows) or by sliding counts (Sliding otherwise).
template <class T>
void filter_tile(const ArrayView& in, const ArrayView& out, const Footprint& fp, const Tile& tile,
                 const std::vector<index_t>& reach, index_t rank, Mode mode, T fill,
                 RankMethod method, const SelectionNetwork* net, RankStore store, Scratch<T>& s) {
    const index_t width = tile.extent.back();
    s.answers.resize(static_cast<std::size_t>(width));
    s.answers_t.resize(static_cast<std::size_t>(width));
    const auto same = [](T v) { return v; };
    if (method == RankMethod::Select) {
        s.tile.resize(static_cast<std::size_t>(tile.padded_total));
        gather_tile<T>(in, tile, reach, mode, fill, same, s.tile.data());
        const std::vector<index_t> offsets = footprint_offsets(fp, tile);
        const index_t n = static_cast<index_t>(offsets.size());
        s.window.resize(offsets.size());
        for_each_core_row(tile, out, [&](index_t padded, index_t target, index_t length) {
            for (index_t x = 0; x < length; ++x) {
                for (index_t k = 0; k < n; ++k)
                    s.window[k] = static_cast<double>(s.tile[padded + x + offsets[k]]);
                s.answers_t[x] = static_cast<T>(scipy_select(s.window.data(), 0, n - 1, rank));
            }
            store_answers<T>(s.answers_t.data(), length, out, target, store);
        });
        return;
    }
    if (method == RankMethod::Sliding && net != nullptr) {
        s.tile.resize(static_cast<std::size_t>(tile.padded_total));
        gather_tile<T>(in, tile, reach, mode, fill, same, s.tile.data());
        const std::vector<index_t> offsets = footprint_offsets(fp, tile);
        const NetworkRow<T> network_row_here =
            pick_network_row<T>(static_cast<index_t>(offsets.size()), rank);
        for_each_core_row(tile, out, [&](index_t padded, index_t target, index_t length) {
            network_row_here(s.tile.data() + padded, offsets.data(),
                             static_cast<index_t>(offsets.size()), *net, length,
                             s.answers_t.data());
            store_answers<T>(s.answers_t.data(), length, out, target, store);
        });
        return;
    }
    const std::vector<Run> runs = footprint_runs(fp, tile);
    if constexpr (sizeof(T) == 1) {
        // 8-bit data: its own keys, counted (signed bytes shifted to sort as unsigned).
        const auto key = [](T v) { return static_cast<std::uint8_t>(order_key(v)); };
        s.keys8.resize(static_cast<std::size_t>(tile.padded_total));
        gather_tile<T>(in, tile, reach, mode, key(fill), key, s.keys8.data());
        ByteCounts counter;
        Cursor cursor;
        for_each_core_row(tile, out, [&](index_t padded, index_t target, index_t length) {
            slide_row(counter, cursor, s.keys8.data() + padded, runs, length, rank,
                      s.answers.data(), s.ends8);
            for (index_t x = 0; x < length; ++x) s.answers_t[x] = from_byte_key<T>(s.answers[x]);
            store_answers<T>(s.answers_t.data(), length, out, target, store);
        });
    } else {
        // Wider data: ranks within the tile (distinct, 16 bits), kept as a set.
        s.tile.resize(static_cast<std::size_t>(tile.padded_total));
        gather_tile<T>(in, tile, reach, mode, fill, same, s.tile.data());
        rank_values(s.tile.data(), tile.padded_total, s.ranks, s.sorted, s.order, s.spare);
        RankSet counter;
        Cursor cursor;
        for_each_core_row(tile, out, [&](index_t padded, index_t target, index_t length) {
            slide_row(counter, cursor, s.ranks.data() + padded, runs, length, rank,
                      s.answers.data(), s.ends16);
            for (index_t x = 0; x < length; ++x) s.answers_t[x] = s.sorted[s.answers[x]];
            store_answers<T>(s.answers_t.data(), length, out, target, store);
        });
    }
}

}  // namespace

SpecialValues find_special_values(const ArrayView& in) {
    SpecialValues found;
    if (in.size() == 0) return found;
    visit_dtype(in.dtype, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_floating_point_v<T>) {
            // On the bit patterns, so that the loop vectorises: NaN has all exponent bits and a
            // nonzero mantissa; the zeros are the patterns 0 and sign-bit-only.
            using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
            constexpr U sign = U{1} << (8 * sizeof(T) - 1);
            constexpr U inf = static_cast<U>(sizeof(T) == 4 ? 0x7f800000ull : 0x7ff0000000000000ull);
            const std::size_t ndim = in.shape.size(), last = ndim - 1;
            const index_t length = in.shape[last], step = in.strides[last];
            std::vector<index_t> at(ndim, 0);
            const index_t rows = in.size() / length;
            for (index_t row = 0; row < rows; ++row) {
                index_t offset = 0;
                for (std::size_t d = 0; d < last; ++d) offset += at[d] * in.strides[d];
                const char* p = in.data + offset;
                auto scan = [&](auto contiguous) {
                    const index_t stride = contiguous ? index_t{sizeof(U)} : step;
                    unsigned nan = 0, zero_neg = 0, zero_pos = 0;
                    for (index_t i = 0; i < length; ++i) {
                        U bits;
                        std::memcpy(&bits, p + i * stride, sizeof(U));
                        nan |= (bits & ~sign) > inf;
                        zero_neg |= bits == sign;
                        zero_pos |= bits == 0;
                    }
                    found.nan |= nan != 0;
                    found.negative_zero |= zero_neg != 0;
                    found.positive_zero |= zero_pos != 0;
                };
                if (step == index_t{sizeof(U)})
                    scan(std::true_type{});
                else
                    scan(std::false_type{});
                for (std::size_t d = last; d-- > 0;) {
                    if (++at[d] < in.shape[d]) break;
                    at[d] = 0;
                }
            }
        }
    });
    return found;
}

void rank_filter(const ArrayView& in, const ArrayView& out, const Footprint& fp, index_t rank,
                 Mode mode, double cval, RankMethod method, RankStore store, int n_threads) {
    if (in.size() == 0) return;
    const std::size_t ndim = in.shape.size();
    std::vector<index_t> reach(ndim);  // how far before an output its window starts, per axis
    for (std::size_t d = 0; d < ndim; ++d) reach[d] = fp.shape[d] / 2 + fp.origin[d];
    index_t window_size = 1;
    for (index_t s : fp.shape) window_size *= s;

    visit_dtype(in.dtype, [&](auto tag) {
        using T = decltype(tag);
        RankMethod m = method;
        index_t budget = m == RankMethod::Select ? kSelectTile
                         : sizeof(T) == 1        ? kByteTile
                                                 : kRankTile;
        if (m == RankMethod::Sliding && sizeof(T) > 1 && window_size > kRankTile) {
            m = RankMethod::Select;  // even a one-output tile would need more than 16-bit ranks
            budget = kSelectTile;
        }
        const T fill = cast_from_double<T>(cval);  // scipy: (type)cval
        index_t elements = 0;
        for (std::uint8_t m : fp.mask) elements += m != 0;
        SelectionNetwork network;
        const bool use_network = m == RankMethod::Sliding && elements <= kMaxNetworkInputs;
        if (use_network) {
            network = selection_network(static_cast<int>(elements), static_cast<int>(rank));
            budget = kNetworkTile;
        }
        const TileGrid grid = plan_tiles(in.shape, fp.shape, std::max(budget, window_size),
                                         4 * static_cast<index_t>(n_threads));
        const int threads = useful_threads(n_threads, in.size() * 16, index_t{1} << 15);
        parallel_ranges(grid.total, threads, [&](index_t begin, index_t end) {
            Scratch<T> scratch;
            for (index_t t = begin; t < end; ++t) {
                const Tile tile = make_tile(grid, in.shape, fp.shape, t);
                filter_tile<T>(in, out, fp, tile, reach, rank, mode, fill, m,
                               use_network ? &network : nullptr, store, scratch);
            }
        });
    });
}

}  // namespace qbi
