// Sorting every column of a matrix with the permutation that undoes it: the "sort along the
// angles" step of Vo's stripe-removal methods, for a sinogram or a whole projection stack.
#pragma once

#include <cstdint>

#include "common.hpp"

namespace qbi {

// For an n_rows x n_columns matrix `in` whose rows start `in_stride` elements apart, writes into
// the C-contiguous matrices `sorted` and `row_of`: sorted[r, c] = the r-th smallest value of
// column c and row_of[r, c] = the row of `in` it came from. The sort is stable (equal
// values, -0.0 and +0.0 included, keep their row order; zeros come out as +0.0). Returns false,
// with the outputs unspecified, if `in` holds a NaN or an infinity. T is float or double;
// n_rows < 2^31.
template <class T>
bool sort_columns(const T* in, index_t in_stride, T* sorted, std::int32_t* row_of,
                  index_t n_rows, index_t n_columns, int n_threads);

// The inverse: out[row_of[r, c], c] = values[r, c] for every r and c, with `values` and
// `row_of` C-contiguous and the rows of `out` `out_stride` elements apart. Rows of `row_of`
// outside [0, n_rows) are refused (std::invalid_argument) and never written; `out` must not
// overlap `values` or `row_of`.
template <class T>
void unsort_columns(const T* values, const std::int32_t* row_of, T* out, index_t out_stride,
                    index_t n_rows, index_t n_columns, int n_threads);

}  // namespace qbi
