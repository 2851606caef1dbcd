// Running medians along the rows of a matrix: a window kept sorted as it slides, for windows
// along one contiguous axis (the across-column median of Vo's stripe removal).
#pragma once

#include "boundary.hpp"
#include "common.hpp"

namespace qbi {

// out[r, c] = scipy.ndimage.median_filter(in, size=(1, size), mode=mode, cval=cval)[r, c] for a
// C-contiguous n_rows x n_columns float or double matrix without NaN: the element of rank
// size / 2 in the window [c - size / 2, c + size - 1 - size / 2] of row r, extended per mode.
// Equal numbers are interchangeable, so where -0.0 and +0.0 meet either may be returned.
// `out` may be `in` itself (each row is copied before its outputs are written), but must not
// overlap it otherwise.
template <class T>
void median_along_rows(const T* in, T* out, index_t n_rows, index_t n_columns, index_t size,
                       Mode mode, T cval, int n_threads);

}  // namespace qbi
