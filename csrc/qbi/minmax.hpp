// Minimum and maximum filters (grey erosion and dilation) with scipy.ndimage's semantics.
#pragma once

#include "boundary.hpp"
#include "common.hpp"
#include "tiles.hpp"

namespace qbi {

// scipy's minimum or maximum filter over one footprint, as its two kernels compute it:
//   out[p] = min (or max) over the footprint's elements k (C order) of w_k(p), cast to out's dtype
// where v(q) is the input sample at q, or beyond a constant border the border value b, and
//   - line kernel (minimum_filter1d; cval_in_input_type false, no structure): b = cval and
//     w_k = v(p + offset_k), compared as doubles;
//   - footprint kernel (minimum_filter, grey_erosion; cval_in_input_type true): b = cval cast to
//     the input's type, and with structure values s_k (null: none) w_0 = v - s_0 (or + s_0 for
//     the maximum) in double, while every later w_k = v - (T)s_k is formed in the input's type T
//     (integers wrap).
// Casts are scipy's (convert.hpp). The minimum of a set does not depend on the order it is
// visited in, so this equals scipy's for data without NaN; zeros of both signs must not compete
// either (the caller keeps such data from this kernel). `in` and `out` must not overlap.
void min_max_filter(const ArrayView& in, const ArrayView& out, const Footprint& footprint,
                    const double* structure, bool minimum, Mode mode, double cval,
                    bool cval_in_input_type, int n_threads);

}  // namespace qbi
