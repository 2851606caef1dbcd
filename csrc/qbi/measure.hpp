// Per-label measurements over a label array: voxel counts and bounding boxes, in parallel.
#pragma once

#include <vector>

#include "common.hpp"

namespace qbi {

// counts[l] = number of samples equal to l, for l in 0 .. max_label (an integer label array;
// other values are not counted).
std::vector<index_t> label_sizes(const ArrayView& labels, index_t max_label, int n_threads);

// For labels 1 .. max_label: box[(l - 1) * 2 * ndim + 2 * d] = first index along axis d,
// + 1 = one past the last; -1 where the label does not occur (integer label array).
std::vector<index_t> label_boxes(const ArrayView& labels, index_t max_label, int n_threads);

}  // namespace qbi
