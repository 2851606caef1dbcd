// Boundary extension: which sample stands at a position outside [0, n) under each scipy mode.
#pragma once

#include "common.hpp"

namespace qbi {

// scipy.ndimage's filter mode codes (grid-wrap is Wrap, grid-mirror is Reflect and grid-constant
// is Constant for filters).
enum class Mode : int { Nearest = 0, Wrap = 1, Reflect = 2, Mirror = 3, Constant = 4 };

inline index_t floor_mod(index_t i, index_t period) {
    const index_t m = i % period;
    return m < 0 ? m + period : m;
}

// Index in [0, n) of the sample seen at position i of a line of length n > 0, or -1 where the
// constant value is seen. Every mode is periodic, so positions any distance outside the line
// (kernels longer than the line) follow the same rule as scipy's NI_ExtendLine:
//   nearest aaa|abcd|ddd   wrap bcd|abcd|abc   reflect cba|abcd|dcb   mirror dcb|abcd|cba
// with mirror on a line of one sample acting as nearest.
inline index_t extend_index(index_t i, index_t n, Mode mode) {
    if (i >= 0 && i < n) return i;
    switch (mode) {
        case Mode::Nearest:
            return i < 0 ? 0 : n - 1;
        case Mode::Wrap:
            return floor_mod(i, n);
        case Mode::Reflect: {
            const index_t m = floor_mod(i, 2 * n);
            return m < n ? m : 2 * n - 1 - m;
        }
        case Mode::Mirror: {
            if (n == 1) return 0;
            const index_t m = floor_mod(i, 2 * n - 2);
            return m < n ? m : 2 * n - 2 - m;
        }
        case Mode::Constant:
            break;
    }
    return -1;
}

}  // namespace qbi
