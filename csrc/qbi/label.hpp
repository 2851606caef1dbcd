// Connected-component labelling with scipy.ndimage.label's numbering, on runs of foreground
// samples along the last axis, in parallel slabs merged across their faces. Full connectivity in
// 1 to 3 dimensions goes to label_blocks.hpp instead.
#pragma once

#include <cstdint>
#include <vector>

#include "common.hpp"

namespace qbi {

// Connectivity from a scipy structuring element (3 samples per axis, C order, symmetric): the
// element's earlier half says which earlier rows (offsets along the leading axes) connect to a
// sample, and at which last-axis offsets (bit 0: -1, bit 1: 0, bit 2: +1); `along_row` says
// whether neighbours in the same row connect. The centre element does not matter (scipy ignores
// it too).
struct Connectivity {
    struct Neighbour {
        std::vector<index_t> lead;  // offset along each leading axis
        unsigned dx_mask;
    };
    std::vector<Neighbour> earlier_rows;
    bool along_row = false;
    bool full = false;  // every element set: the 3^ndim - 1 neighbours all connect
};

Connectivity connectivity_from_structure(const std::uint8_t* structure, std::size_t ndim);

// Labels the nonzero samples of `in` into `out` (same shape, an integer dtype; any strides):
// background 0, components 1..n numbered in the order of their first sample in C order, which is
// scipy's numbering. Returns n. Labels that do not fit out's dtype wrap (the caller checks n).
// The result does not depend on n_threads. Throws std::length_error for rows of 2^31 samples or
// more. With `first_sample`, also gives each component's first sample as a C-order flat index
// (entry l - 1 for label l): what orders components when chunks are labelled separately.
index_t label(const ArrayView& in, const ArrayView& out, const Connectivity& connectivity,
              int n_threads, std::vector<index_t>* first_sample = nullptr);

}  // namespace qbi
