// Connected-component labelling under full connectivity (a structure of all ones: 26
// neighbours in 3-D, 8 in 2-D) on blocks of 2x2x2 samples, with scipy.ndimage.label's numbering.
#pragma once

#include <vector>

#include "common.hpp"

namespace qbi {

// What qbi::label does, for inputs of 1 to 3 dimensions whose structure is all ones: every
// foreground sample of a 2x2x2 block touches every other, so components are unions of blocks,
// and two neighbouring blocks connect exactly when each holds a foreground sample on its side
// facing the other. Labelling the blocks (8 times fewer than samples) is what makes dense data,
// whose runs are a sample or two long, fast.
index_t label_full_blocks(const ArrayView& in, const ArrayView& out, int n_threads,
                          std::vector<index_t>* first_sample);

}  // namespace qbi
