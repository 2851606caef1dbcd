// 1-D correlation along one axis of an N-d array with a symmetric or antisymmetric kernel,
// computed as scipy.ndimage.correlate1d computes it: samples converted to double, the boundary
// extended per mode, and every output summed in scipy's order, so results are bit-identical.
#pragma once

#include "boundary.hpp"
#include "common.hpp"

namespace qbi {

// Even: weights[r + i] == weights[r - i]; Odd: weights[r + i] == -weights[r - i] (within
// DBL_EPSILON, scipy's test). scipy then sums the paired samples before multiplying.
enum class Symmetry { Even, Odd };

// scipy's test (NI_Correlate1D) for which pair-summing loop a kernel of odd length gets: Even if
// every pair w[r + i], w[r - i] differs by at most DBL_EPSILON, else Odd if every pair sums to at
// most DBL_EPSILON in magnitude (a NaN pair passes both, as there). False for a kernel that is
// neither, which scipy sums tap by tap and these kernels do not handle.
bool classify_symmetry(const double* weights, index_t length, Symmetry* symmetry);

// out = correlate1d(in, weights, axis)[..., first : first + out.shape[axis], ...] (the slice
// along `axis`) for weights of length 2 * radius + 1 and origin 0, where `in` is the
// concatenation of `ins` along `axis` (one array, or a block with the halos around it held apart):
// the boundary is that of the whole line, and only the rows the outputs read are loaded. The
// segments share a dtype and agree with `out` in every other dimension; any may have any
// strides. `out` may share memory with a segment only sample for sample (out is that segment,
// or its slice, with its strides). Splits the work over up to n_threads threads; the result does
// not depend on n_threads.
void correlate1d_symmetric(const std::vector<ArrayView>& ins, const ArrayView& out, int axis,
                           index_t first, const double* weights, index_t radius,
                           Symmetry symmetry, Mode mode, double cval, int n_threads);

}  // namespace qbi
