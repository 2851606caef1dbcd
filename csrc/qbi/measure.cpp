#include "measure.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "omp.hpp"

namespace qbi {
namespace {

// Calls visit(row offset in samples' leading index, row data pointer) for the rows (lines along
// the last axis) numbered begin .. end - 1 of `a`, with `at` the row's leading index.
template <class Visit>
void for_rows(const ArrayView& a, index_t begin, index_t end, Visit&& visit) {
    const std::size_t lead = a.shape.size() - 1;
    std::vector<index_t> at(lead);
    for (index_t r = begin; r < end; ++r) {
        index_t rest = r, offset = 0;
        for (std::size_t d = lead; d-- > 0;) {
            at[d] = rest % a.shape[d];
            rest /= a.shape[d];
            offset += at[d] * a.strides[d];
        }
        visit(at, a.data + offset);
    }
}

index_t row_count(const ArrayView& a) {
    index_t rows = 1;
    for (std::size_t d = 0; d + 1 < a.shape.size(); ++d) rows *= a.shape[d];
    return rows;
}

// The label of sample x of a row as an index into per-label tables, or -1 outside 0..max_label.
template <class T>
index_t label_at(const char* row, index_t x, index_t step, index_t max_label) {
    T v;
    std::memcpy(&v, row + x * step, sizeof(T));
    if constexpr (std::is_signed_v<T>)
        if (v < 0) return -1;
    return static_cast<std::uint64_t>(v) <= static_cast<std::uint64_t>(max_label)
               ? static_cast<index_t>(v)
               : -1;
}

}  // namespace

std::vector<index_t> label_sizes(const ArrayView& labels, index_t max_label, int n_threads) {
    const index_t rows = labels.size() == 0 ? 0 : row_count(labels);
    const index_t width = labels.shape.back(), step = labels.strides.back();
    const int threads = useful_threads(n_threads, labels.size(), index_t{1} << 18);
    std::vector<std::vector<index_t>> partial(static_cast<std::size_t>(threads));
    parallel_ranges(threads, threads, [&](index_t begin, index_t end) {
        for (index_t t = begin; t < end; ++t) {
            std::vector<index_t>& counts = partial[t];
            counts.assign(static_cast<std::size_t>(max_label) + 1, 0);
            visit_dtype(labels.dtype, [&](auto tag) {
                using T = decltype(tag);
                if constexpr (std::is_integral_v<T>) {
                    for_rows(labels, rows * t / threads, rows * (t + 1) / threads,
                             [&](const std::vector<index_t>&, const char* row) {
                                 for (index_t x = 0; x < width; ++x) {
                                     const index_t l = label_at<T>(row, x, step, max_label);
                                     if (l >= 0) ++counts[l];
                                 }
                             });
                }
            });
        }
    });
    std::vector<index_t> total(static_cast<std::size_t>(max_label) + 1, 0);
    for (const auto& counts : partial)
        for (std::size_t l = 0; l < counts.size(); ++l) total[l] += counts[l];
    return total;
}

std::vector<index_t> label_boxes(const ArrayView& labels, index_t max_label, int n_threads) {
    const std::size_t ndim = labels.shape.size();
    const std::size_t per_label = 2 * ndim;
    const index_t rows = labels.size() == 0 ? 0 : row_count(labels);
    const index_t width = labels.shape.back(), step = labels.strides.back();
    const int threads = useful_threads(n_threads, labels.size(), index_t{1} << 18);
    std::vector<std::vector<index_t>> partial(static_cast<std::size_t>(threads));
    parallel_ranges(threads, threads, [&](index_t begin, index_t end) {
        for (index_t t = begin; t < end; ++t) {
            std::vector<index_t>& box = partial[t];
            box.assign(static_cast<std::size_t>(max_label + 1) * per_label, -1);
            visit_dtype(labels.dtype, [&](auto tag) {
                using T = decltype(tag);
                if constexpr (std::is_integral_v<T>) {
                    for_rows(labels, rows * t / threads, rows * (t + 1) / threads,
                             [&](const std::vector<index_t>& at, const char* row) {
                                 for (index_t x = 0; x < width; ++x) {
                                     const index_t l = label_at<T>(row, x, step, max_label);
                                     if (l <= 0) continue;
                                     index_t* b = box.data() + l * per_label;
                                     for (std::size_t d = 0; d < ndim; ++d) {
                                         const index_t c = d + 1 < ndim ? at[d] : x;
                                         if (b[2 * d] < 0 || c < b[2 * d]) b[2 * d] = c;
                                         b[2 * d + 1] = std::max(b[2 * d + 1], c + 1);
                                     }
                                 }
                             });
                }
            });
        }
    });
    std::vector<index_t> boxes(static_cast<std::size_t>(max_label) * per_label, -1);
    for (const auto& box : partial)
        for (index_t l = 1; l <= max_label; ++l)
            for (std::size_t d = 0; d < ndim; ++d) {
                const index_t lo = box[l * per_label + 2 * d], hi = box[l * per_label + 2 * d + 1];
                if (lo < 0) continue;
                index_t* b = boxes.data() + (l - 1) * per_label + 2 * d;
                b[0] = b[0] < 0 ? lo : std::min(b[0], lo);
                b[1] = std::max(b[1], hi);
            }
    return boxes;
}

}  // namespace qbi
