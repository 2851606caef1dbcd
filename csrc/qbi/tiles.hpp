// Tiles for window filters: the output is cut into boxes, each filtered from a padded copy of the
// input around it, so a tile is one independent task and every window read is an offset into
// that copy. Shared by the rank filters and binary morphology.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "boundary.hpp"
#include "common.hpp"

namespace qbi {

// A window (footprint or structuring element) of the array's rank, with scipy's origin per axis:
// output position p sees input position p + j - (shape[d] / 2 + origin[d]) for every index j set
// in mask.
struct Footprint {
    std::vector<index_t> shape;
    std::vector<index_t> origin;
    std::vector<std::uint8_t> mask;  // C order
};

struct TileGrid {
    std::vector<index_t> core;   // tile extent per axis (the last tile may be shorter)
    std::vector<index_t> count;  // tiles per axis
    index_t total = 1;
};

inline index_t padded_size(const std::vector<index_t>& core, const std::vector<index_t>& window) {
    index_t n = 1;
    for (std::size_t d = 0; d < core.size(); ++d) n *= core[d] + window[d] - 1;
    return n;
}

// Halves the longest padded axis until a padded tile holds at most `budget` elements, then
// leading axes until there are at least `min_tiles` tiles (or nothing can be halved).
inline TileGrid plan_tiles(const std::vector<index_t>& shape, const std::vector<index_t>& window,
                    index_t budget, index_t min_tiles) {
    const std::size_t ndim = shape.size();
    TileGrid grid;
    grid.core = shape;
    auto halve_longest = [&](std::size_t axes) {
        std::size_t best = ndim;
        for (std::size_t d = 0; d < axes; ++d)
            if (grid.core[d] > 1 &&
                (best == ndim || grid.core[d] + window[d] > grid.core[best] + window[best]))
                best = d;
        if (best == ndim) return false;
        grid.core[best] = (grid.core[best] + 1) / 2;
        return true;
    };
    auto tiles = [&] {
        index_t n = 1;
        for (std::size_t d = 0; d < ndim; ++d) n *= (shape[d] + grid.core[d] - 1) / grid.core[d];
        return n;
    };
    while (padded_size(grid.core, window) > budget && halve_longest(ndim)) {
    }
    while (tiles() < min_tiles && (halve_longest(ndim > 1 ? ndim - 1 : 1) || halve_longest(ndim))) {
    }
    grid.count.resize(ndim);
    grid.total = 1;
    for (std::size_t d = 0; d < ndim; ++d) {
        grid.count[d] = (shape[d] + grid.core[d] - 1) / grid.core[d];
        grid.total *= grid.count[d];
    }
    return grid;
}

// One tile: where its core starts, its extent, and the geometry of its padded copy.
struct Tile {
    std::vector<index_t> start, extent, padded, pstride;  // pstride: C-order strides of the copy
    index_t padded_total = 1;
};

inline Tile make_tile(const TileGrid& grid, const std::vector<index_t>& shape,
               const std::vector<index_t>& window, index_t t) {
    const std::size_t ndim = shape.size();
    Tile tile;
    tile.start.resize(ndim);
    tile.extent.resize(ndim);
    tile.padded.resize(ndim);
    tile.pstride.resize(ndim);
    for (std::size_t d = ndim; d-- > 0;) {
        const index_t i = t % grid.count[d];
        t /= grid.count[d];
        tile.start[d] = i * grid.core[d];
        tile.extent[d] = std::min(grid.core[d], shape[d] - tile.start[d]);
        tile.padded[d] = tile.extent[d] + window[d] - 1;
    }
    for (std::size_t d = ndim; d-- > 0;) {
        tile.pstride[d] = tile.padded_total;
        tile.padded_total *= tile.padded[d];
    }
    return tile;
}

// Copies the input around a tile into `dst` (C order, tile.padded), each sample converted by
// `convert`, with the boundary mode applied per axis (scipy's filters extend each axis on its
// own, and samples beyond a constant border are cval).
template <class T, class Out, class Convert>
void gather_tile(const ArrayView& in, const Tile& tile, const std::vector<index_t>& reach,
                 Mode mode, Out fill, Convert convert, Out* dst) {
    const std::size_t ndim = in.shape.size(), last = ndim - 1;
    std::vector<std::vector<index_t>> source(ndim);  // input index per padded index, or -1
    for (std::size_t d = 0; d < ndim; ++d) {
        source[d].resize(static_cast<std::size_t>(tile.padded[d]));
        for (index_t i = 0; i < tile.padded[d]; ++i)
            source[d][i] = extend_index(tile.start[d] - reach[d] + i, in.shape[d], mode);
    }
    std::vector<index_t> at(ndim, 0);  // padded index of the current row (leading axes)
    const index_t rows = tile.padded_total / tile.padded[last];
    for (index_t row = 0; row < rows; ++row) {
        Out* out_row = dst + row * tile.padded[last];
        index_t offset = 0;
        bool outside = false;
        for (std::size_t d = 0; d < last; ++d) {
            const index_t s = source[d][at[d]];
            outside |= s < 0;
            offset += s * in.strides[d];
        }
        if (outside) {
            std::fill(out_row, out_row + tile.padded[last], fill);
        } else {
            const char* base = in.data + offset;
            for (index_t i = 0; i < tile.padded[last]; ++i) {
                const index_t s = source[last][i];
                if (s < 0) {
                    out_row[i] = fill;
                } else {
                    T v;
                    std::memcpy(&v, base + s * in.strides[last], sizeof(T));
                    out_row[i] = convert(v);
                }
            }
        }
        for (std::size_t d = last; d-- > 0;) {  // next row
            if (++at[d] < tile.padded[d]) break;
            at[d] = 0;
        }
    }
}

// Offsets (in the tile's padded copy) of the footprint's elements, in footprint (C) order.
inline std::vector<index_t> footprint_offsets(const Footprint& fp, const Tile& tile) {
    std::vector<index_t> offsets;
    const std::size_t ndim = fp.shape.size();
    std::vector<index_t> j(ndim, 0);
    for (std::size_t k = 0; k < fp.mask.size(); ++k) {
        if (fp.mask[k]) {
            index_t off = 0;
            for (std::size_t d = 0; d < ndim; ++d) off += j[d] * tile.pstride[d];
            offsets.push_back(off);
        }
        for (std::size_t d = ndim; d-- > 0;) {
            if (++j[d] < fp.shape[d]) break;
            j[d] = 0;
        }
    }
    return offsets;
}

// The footprint as runs along the last axis: elements offset + first .. offset + last of the
// padded copy are in the window of the output at padded row 0, column 0.
struct Run {
    index_t offset, first, last;
};

inline std::vector<Run> footprint_runs(const Footprint& fp, const Tile& tile) {
    std::vector<Run> runs;
    const std::size_t ndim = fp.shape.size();
    const index_t width = fp.shape[ndim - 1];
    const index_t rows = static_cast<index_t>(fp.mask.size()) / width;
    std::vector<index_t> j(ndim, 0);
    for (index_t row = 0; row < rows; ++row) {
        index_t offset = 0;
        for (std::size_t d = 0; d + 1 < ndim; ++d) offset += j[d] * tile.pstride[d];
        const std::uint8_t* m = fp.mask.data() + row * width;
        for (index_t x = 0; x < width;) {
            if (!m[x]) {
                ++x;
                continue;
            }
            index_t end = x;
            while (end + 1 < width && m[end + 1]) ++end;
            runs.push_back({offset, x, end});
            x = end + 1;
        }
        for (std::size_t d = ndim - 1; d-- > 0;) {
            if (++j[d] < fp.shape[d]) break;
            j[d] = 0;
        }
    }
    return runs;
}

// Calls row(padded offset of the row's first output, output offset in `out`, core row length)
// for every row of a tile's core, in C order.
template <class Row>
void for_each_core_row(const Tile& tile, const ArrayView& out, Row&& row) {
    const std::size_t ndim = tile.extent.size(), last = ndim - 1;
    std::vector<index_t> at(ndim, 0);
    index_t rows = 1;
    for (std::size_t d = 0; d < last; ++d) rows *= tile.extent[d];
    for (index_t r = 0; r < rows; ++r) {
        index_t padded = 0, target = tile.start[last] * out.strides[last];
        for (std::size_t d = 0; d < last; ++d) {
            padded += at[d] * tile.pstride[d];
            target += (tile.start[d] + at[d]) * out.strides[d];
        }
        row(padded, target, tile.extent[last]);
        for (std::size_t d = last; d-- > 0;) {
            if (++at[d] < tile.extent[d]) break;
            at[d] = 0;
        }
    }
}

}  // namespace qbi
