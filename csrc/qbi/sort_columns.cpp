// Column sorts as byte-wise radix sorts of order-preserving integer keys: a sinogram column holds
// a few hundred to a few thousand angles, where a radix sort is several times faster than a
// comparison sort and is stable for free.
#include "sort_columns.hpp"

#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "omp.hpp"

namespace qbi {

namespace {

template <class T>
struct KeyOf;
template <>
struct KeyOf<float> {
    using type = std::uint32_t;
};
template <>
struct KeyOf<double> {
    using type = std::uint64_t;
};
template <class T>
using Key = typename KeyOf<T>::type;

template <class T>
constexpr Key<T> kSignBit = Key<T>{1} << (8 * sizeof(Key<T>) - 1);

// An unsigned key whose integer order is the numeric order of finite floats: negative values
// have all bits flipped (larger magnitude, smaller key), positive ones only the sign bit.
template <class T>
QBI_ALWAYS_INLINE Key<T> to_key(T value) {
    Key<T> bits;
    std::memcpy(&bits, &value, sizeof bits);
    return (bits & kSignBit<T>) ? ~bits : (bits | kSignBit<T>);
}

template <class T>
QBI_ALWAYS_INLINE T from_key(Key<T> key) {
    const Key<T> bits = (key & kSignBit<T>) ? (key & ~kSignBit<T>) : ~key;
    T value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

template <class T>
struct Item {
    Key<T> key;
    std::uint32_t row;
};

// Columns handled together: in every row their samples share one cache line.
template <class T>
constexpr index_t kBlockColumns = 64 / sizeof(T);

// Stable LSD radix sort of items[0, n) by key, one byte per pass. A pass whose byte is the same
// for every item would not move anything and is skipped (high exponent bytes usually are).
// `spare` holds n items; returns whichever of the two buffers ends up holding the result.
template <class T>
Item<T>* radix_sort(Item<T>* items, Item<T>* spare, index_t n) {
    constexpr int kBytes = sizeof(Key<T>);
    std::array<std::array<index_t, 256>, kBytes> count{};
    for (index_t i = 0; i < n; ++i) {
        const Key<T> key = items[i].key;
        for (int b = 0; b < kBytes; ++b) ++count[b][(key >> (8 * b)) & 0xFF];
    }
    for (int b = 0; b < kBytes; ++b) {
        auto& start = count[b];
        if (start[(items[0].key >> (8 * b)) & 0xFF] == n) continue;
        index_t sum = 0;
        for (index_t& c : start) {
            const index_t here = c;
            c = sum;
            sum += here;
        }
        for (index_t i = 0; i < n; ++i) {
            const Item<T>& item = items[i];
            spare[start[(item.key >> (8 * b)) & 0xFF]++] = item;
        }
        std::swap(items, spare);
    }
    return items;
}

// Sorts columns [c0, c0 + width) into `sorted` and `row_of`; false if one holds NaN or inf.
// `items` and `spare` hold width * n_rows items each.
template <class T>
bool sort_block(const T* in, index_t in_stride, T* sorted, std::int32_t* row_of, index_t n_rows,
                index_t n_columns,
                index_t c0, index_t width, Item<T>* items, Item<T>* spare) {
    bool finite = true;
    for (index_t r = 0; r < n_rows; ++r) {
        const T* row = in + r * in_stride + c0;
        for (index_t b = 0; b < width; ++b) {
            T v;  // memcpy: the input need not be aligned
            std::memcpy(&v, row + b, sizeof(T));
            finite &= std::isfinite(v);
            // + 0 turns -0.0 into +0.0: zeros are equal, so they keep their angle order.
            items[b * n_rows + r] = {to_key(v + T{0}), static_cast<std::uint32_t>(r)};
        }
    }
    if (!finite) return false;
    std::array<const Item<T>*, kBlockColumns<T>> result{};
    for (index_t b = 0; b < width; ++b)
        result[b] = radix_sort(items + b * n_rows, spare + b * n_rows, n_rows);
    for (index_t r = 0; r < n_rows; ++r) {
        T* sorted_row = sorted + r * n_columns + c0;
        std::int32_t* row_of_row = row_of + r * n_columns + c0;
        for (index_t b = 0; b < width; ++b) {
            sorted_row[b] = from_key<T>(result[b][r].key);
            row_of_row[b] = static_cast<std::int32_t>(result[b][r].row);
        }
    }
    return true;
}

// Threads for a whole-matrix pass: small matrices stay on one thread.
int threads_for(int requested, index_t n_rows, index_t n_columns) {
    return useful_threads(requested, n_rows * n_columns, index_t{1} << 15);
}

}  // namespace

template <class T>
bool sort_columns(const T* in, index_t in_stride, T* sorted, std::int32_t* row_of,
                  index_t n_rows, index_t n_columns, int n_threads) {
    if (n_rows >= (index_t{1} << 31)) throw std::length_error("more than 2^31 - 1 rows to sort");
    if (n_rows <= 0 || n_columns <= 0) return true;
    constexpr index_t block = kBlockColumns<T>;
    const index_t n_blocks = (n_columns + block - 1) / block;
    std::atomic<bool> finite{true};
    parallel_ranges(n_blocks, threads_for(n_threads, n_rows, n_columns),
                    [&](index_t first, index_t last) {
                        std::vector<Item<T>> items(block * n_rows), spare(block * n_rows);
                        for (index_t k = first; k < last && finite.load(std::memory_order_relaxed);
                             ++k) {
                            const index_t c0 = k * block;
                            const index_t width = std::min(block, n_columns - c0);
                            if (!sort_block(in, in_stride, sorted, row_of, n_rows, n_columns, c0,
                                            width, items.data(), spare.data()))
                                finite.store(false, std::memory_order_relaxed);
                        }
                    });
    return finite.load();
}

template <class T>
void unsort_columns(const T* values, const std::int32_t* row_of, T* out, index_t out_stride,
                    index_t n_rows, index_t n_columns, int n_threads) {
    constexpr index_t block = kBlockColumns<T>;
    const index_t n_blocks = (n_columns + block - 1) / block;
    std::atomic<bool> in_range{true};
    parallel_ranges(n_blocks, threads_for(n_threads, n_rows, n_columns),
                    [&](index_t first, index_t last) {
                        for (index_t k = first; k < last; ++k) {
                            const index_t c0 = k * block;
                            const index_t width = std::min(block, n_columns - c0);
                            for (index_t r = 0; r < n_rows; ++r) {
                                const index_t at = r * n_columns + c0;
                                for (index_t b = 0; b < width; ++b) {
                                    const index_t to = row_of[at + b];
                                    // A row outside the matrix is refused, never written.
                                    if (to < 0 || to >= n_rows) {
                                        in_range.store(false, std::memory_order_relaxed);
                                        continue;
                                    }
                                    // memcpy: the output need not be aligned
                                    std::memcpy(out + to * out_stride + c0 + b, values + at + b,
                                                sizeof(T));
                                }
                            }
                        }
                    });
    if (!in_range.load()) throw std::invalid_argument("row_of holds a row outside the matrix");
}

template bool sort_columns<float>(const float*, index_t, float*, std::int32_t*, index_t, index_t,
                                  int);
template bool sort_columns<double>(const double*, index_t, double*, std::int32_t*, index_t,
                                   index_t, int);
template void unsort_columns<float>(const float*, const std::int32_t*, float*, index_t, index_t,
                                    index_t, int);
template void unsort_columns<double>(const double*, const std::int32_t*, double*, index_t,
                                     index_t, index_t, int);

}  // namespace qbi
