// Binary morphology with scipy.ndimage's semantics: erosion, and dilation as scipy computes it
// (erosion of the complement by the reflected structure).
#pragma once

#include <cstdint>
#include <vector>

#include "common.hpp"
#include "tiles.hpp"

namespace qbi {

// One pass of scipy's binary erosion (invert = false) or of its dilation (invert = true, with
// the structure already reflected and its origin adjusted, as scipy's binary_dilation does):
//   out[p] = mask[p] ? AND over the structure's offsets o of ones(p + o), xor invert
//                    : in[p] != 0
// where ones(q) = (in[q] != 0) xor invert inside the array and border_value xor invert outside.
// `out` holds 0 or 1 in its own dtype; `mask` may be null (everywhere true). `in` and `out` must
// not overlap. Returns whether some out[p] differs from in[p] != 0.
bool binary_erosion(const ArrayView& in, const ArrayView& out, const Footprint& structure,
                    bool border_value, bool invert, const ArrayView* mask, int n_threads);

// A structure that is a box, or a ball {d : sum_i weight[i] * d_i^2 <= radius2} (an ellipsoid
// for unequal weights), on a 3-d array: offsets lo[i] .. hi[i] along axis i (a ball: -h .. h with
// h the largest such that weight[i] * h^2 <= radius2).
struct SeparableStructure {
    bool ball = false;
    index_t lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
    index_t weight[3] = {0, 0, 0};  // ball only
    index_t radius2 = 0;            // ball only, at most 32000
};

// binary_erosion for such structures, axis by axis: for a ball, weighted squared distances to
// the nearest zero, capped at radius2 + 1 (cost grows with the half-widths, not the volume); for a
// box, ANDs along each axis. Axis 0 is swept with a ring of per-plane results.
bool binary_erosion_separable(const ArrayView& in, const ArrayView& out,
                              const SeparableStructure& structure, bool border_value, bool invert,
                              const ArrayView* mask, int n_threads);

}  // namespace qbi
