// Rank filters (median, percentile, rank) over any N-d footprint, with scipy.ndimage's results.
#pragma once

#include <cstdint>
#include <vector>

#include "boundary.hpp"
#include "common.hpp"
#include "tiles.hpp"

namespace qbi {

enum class RankMethod {
    // scipy's own per-output selection (Hoare quickselect over the window in footprint order):
    // the same bits as scipy even for NaN and signed zeros. Slow, like scipy, but threaded.
    Select,
    // Sliding histograms (8-bit data) or sliding sets of ranks within a tile (other types):
    // the same values as scipy whenever the data holds no NaN and no negative zero.
    Sliding,
};

enum class RankStore {
    // scipy.ndimage's n-d path: the selected value becomes a double, then the output type
    // (unsigned outputs of negative values wrap as scipy's C casts do).
    ViaDouble,
    // The selected value as is; the output has the input's dtype (scipy's 1-d path).
    Same,
};

// Which special floating-point values an array holds (all false for integer arrays): the Sliding
// method matches scipy only without NaN and without both signs of zero.
struct SpecialValues {
    bool nan = false, negative_zero = false, positive_zero = false;
};
SpecialValues find_special_values(const ArrayView& in);

// out = scipy.ndimage.rank_filter(in, rank, footprint=..., mode=mode, cval=cval, origin=...).
// `in` and `out` have the same shape and must not overlap. 0 <= rank < number of footprint
// elements. The result does not depend on n_threads.
void rank_filter(const ArrayView& in, const ArrayView& out, const Footprint& footprint,
                 index_t rank, Mode mode, double cval, RankMethod method, RankStore store,
                 int n_threads);

}  // namespace qbi
