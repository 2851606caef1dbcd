"""Running separable correlation passes on the compiled kernel, as scipy chains correlate1d."""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

from .. import _core
from .._validate import as_c_double, as_c_int, check_writeable, mode_code, normalize_axis_index


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether every element of b sits exactly where the same element of a does."""
    return (
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.strides == b.strides
        and a.itemsize == b.itemsize
    )


def run_passes(input, output, passes, n_threads: int, core=None, final=None) -> np.ndarray:
    """Apply ``passes`` (from :func:`checked_pass`) in order, each reading the previous result
    from ``output`` as scipy.ndimage does, so intermediates are rounded to output's dtype.

    With ``core`` (a slice per axis), only ``output[core]`` is wanted: each pass computes only
    its own axis's core (reading the rest of the line), later passes -- which read along other
    axes -- run on the cores of the axes already done, and the rest of ``output`` is left
    unwritten or partly filtered. With ``final`` too (an array of ``output[core]``'s shape and
    dtype), the last pass writes there instead, and ``output`` holds only intermediates.
    """
    src, destination = input, output
    if np.may_share_memory(input, output) and not _same_memory(input, output):
        src = input.copy()  # partial overlap: a line could be overwritten before it is read
    for i, (axis, weights, mode, code, cval) in enumerate(passes):
        first, wanted = 0, destination
        if core is not None:
            start, stop, _ = core[axis].indices(output.shape[axis])
            first = start
            wanted = destination[(slice(None),) * axis + (slice(start, stop),)]
        last = final is not None and i == len(passes) - 1
        done = _core.correlate1d_symmetric(src, final if last else wanted, axis, weights, code,
                                           cval, n_threads, first)
        if not done:  # neither symmetric nor antisymmetric: scipy sums it tap by tap
            ndi.correlate1d(src, weights, axis, destination, mode, cval, 0)
            if last:
                final[...] = wanted
        src = destination = wanted
    return output if final is None else final


def run_passes_on_parts(parts: dict, core: tuple, result: np.ndarray, passes,
                        n_threads: int) -> bool:
    """Apply ``passes`` to an array given in parts, never assembled, leaving its core's result
    in ``result``.

    The parts tile a box (the core with a halo around it): ``parts`` maps where each part starts
    in the box (a tuple of offsets) to its samples, and ``core`` is where the core starts, which
    is a part of ``result``'s shape. A pass reads each line along its axis as the segments of
    the parts it crosses, and keeps the core of that axis: in ``result`` for the core's own lines
    (in place from the second pass on), in new arrays for the halo parts that later passes read.
    Intermediates have result's dtype, as in scipy. Returns False, having written nothing, where
    a pass's weights are neither symmetric nor antisymmetric (the kernels cannot run them).
    """
    if not all(_core.is_symmetric(weights) for _, weights, *_ in passes):
        return False
    for axis, weights, _, code, cval in passes:
        lines = {}
        for start, part in parts.items():
            line = (*start[:axis], core[axis], *start[axis + 1:])
            lines.setdefault(line, []).append((start[axis], part))
        filtered = {}
        for line, segments in lines.items():
            segments.sort(key=lambda segment: segment[0])
            own = next(part for offset, part in segments if offset == core[axis])
            out = result if line == core else np.empty(own.shape, result.dtype)
            _core.correlate1d_symmetric([part for _, part in segments], out, axis, weights, code,
                                        cval, n_threads, core[axis])
            filtered[line] = out
        parts = filtered
    return True


def checked_pass(axis, weights: np.ndarray, mode, cval, output: np.ndarray) -> tuple:
    """One correlate1d pass, its arguments checked in the order scipy checks them (so the first
    error is scipy's): the axis, the mode, then as its C layer parses them the axis as an int,
    the output (writeable) and cval as a double."""
    axis = normalize_axis_index(axis, output.ndim)
    code = mode_code(mode)
    axis = as_c_int(axis)
    check_writeable(output)
    cval = as_c_double(cval)
    return axis, np.ascontiguousarray(weights, dtype=np.float64), mode, code, cval
