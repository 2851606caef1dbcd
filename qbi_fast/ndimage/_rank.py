"""Rank filters -- median_filter, rank_filter, percentile_filter -- with scipy.ndimage's
semantics on threaded kernels."""

from __future__ import annotations

import operator
import warnings
from collections.abc import Iterable

import numpy as np
import scipy.ndimage as ndi

from .. import _core
from .._dispatch import accepts_dask
from .._threads import resolve_workers
from .._validate import (
    as_c_double,
    check_axes,
    get_output,
    in_native_order,
    kernel_dtype,
    mode_code,
    normalize_sequence,
    without_zero_strides,
)
from ._layout import long_rows_order

__all__ = ["median_filter", "percentile_filter", "rank_filter"]

_REFLECTING = (1, 2, 3)  # wrap, reflect, mirror mode codes


def _expand_footprint(ndim: int, axes, footprint: np.ndarray, name="footprint") -> np.ndarray:
    """The footprint with unit axes inserted for the axes that are not filtered."""
    if len(axes) < ndim:
        if footprint.ndim != len(axes):
            msg = f"{name}.ndim ({footprint.ndim}) must match len(axes) ({len(axes)})"
            raise RuntimeError(msg)
        footprint = np.expand_dims(footprint, tuple(ax for ax in range(ndim) if ax not in axes))
    return footprint


def _expand_origin(ndim: int, axes, origin) -> list:
    origins = normalize_sequence(origin, len(axes))
    if len(axes) < ndim:
        full = [0] * ndim
        for o, ax in zip(origins, axes, strict=False):
            full[ax] = o
        origins = full
    return origins


def _expand_mode(ndim: int, axes, mode):
    if not isinstance(mode, str) and isinstance(mode, Iterable):
        modes = normalize_sequence(mode, len(axes))
        full = ["constant"] * ndim
        for m, ax in zip(modes, axes, strict=False):
            full[ax] = m
        mode = full
    return mode


def _rank_of(operation: str, rank, filter_size: int) -> int:
    """scipy's rank for each operation, with its checks and messages."""
    if operation == "median":
        rank = filter_size // 2
    elif operation == "percentile":
        percentile = rank
        if percentile < 0.0:
            percentile += 100.0
        if percentile < 0 or percentile > 100:
            msg = "invalid percentile"
            raise RuntimeError(msg)
        if percentile == 100.0:
            rank = filter_size - 1
        else:
            rank = int(float(filter_size) * percentile / 100.0)
    if rank < 0:
        rank += filter_size
    if rank < 0 or rank >= filter_size:
        msg = "rank not within filter footprint size"
        raise RuntimeError(msg)
    return rank


def _needs_exact_select(x: np.ndarray, code: int, cval) -> bool:
    """Whether the sliding kernels could pick other bits than scipy's selection: only for
    floating data holding NaN, or zeros of both signs (the border's cval counts as data)."""
    if x.dtype.kind != "f":
        return False
    nan, negative_zero, positive_zero = _core.special_values(x)
    if code == mode_code("constant"):
        with np.errstate(all="ignore"):  # as C's cast: 1e300 becomes inf without a word
            fill = np.array(cval, dtype=np.float64).astype(x.dtype)
        nan |= bool(np.isnan(fill))
        negative_zero |= bool(fill == 0 and np.signbit(fill))
        positive_zero |= bool(fill == 0 and not np.signbit(fill))
    return nan or (negative_zero and positive_zero)


# scipy's 1-d kernel writes these dtypes straight into the output array, whatever its dtype.
_1D_IN_PLACE_DTYPES = (np.dtype(np.int64), np.dtype(np.float64), np.dtype(np.float32))


def _filter_1d(x, rank, window, origin, output, code, cval, n_threads, scipy_filter):
    """scipy's path for 1-d input, reproduced: integer data is filtered as int64, cval is
    converted to the filtered dtype in Python, and the window is ``window`` samples long whatever
    holes the footprint has (scipy's 1-d path ignores them).

    scipy writes int64, float32 and float64 results straight into ``output`` even when its dtype
    differs, which corrupts memory; here they are cast as scipy casts every other dtype
    (``np.copyto(..., casting="unsafe")``).
    """
    work = x if x.dtype in _1D_IN_PLACE_DTYPES else x.astype(np.int64)
    fill = work.dtype.type(cval)
    fill = operator.index(fill) if work.dtype.kind == "i" else float(fill)  # as its C layer
    origin = operator.index(origin)
    direct = x.dtype in _1D_IN_PLACE_DTYPES and output.dtype == x.dtype
    if direct and not output.flags.writeable:
        msg = "WRITEBACKIFCOPY base is read-only"  # numpy's words, from scipy's C layer
        raise ValueError(msg)
    if _needs_exact_select(work, code, cval):  # scipy's 1-d heap resolves NaN its own way
        result = scipy_filter(None)
    else:
        result = output if direct else np.empty(work.shape, work.dtype)
        window_mask = np.ones(window, np.uint8)
        _core.rank_filter(work, result, window_mask, [origin], rank, code, fill, False, True,
                          n_threads)
    if result is not output:
        np.copyto(output, result, casting="unsafe")


def _rank_filter(input, rank, size, footprint, output, mode, cval, origin, operation, axes,
                 workers, scipy_filter):
    """scipy's _rank_filter step by step (same checks, messages and order), then the kernels.
    ``scipy_filter(size, footprint, output)`` runs the scipy function on the caller's other
    arguments, for what the kernels leave to scipy."""
    n_threads = resolve_workers(workers)
    if size is not None and footprint is not None:
        warnings.warn("ignoring size because footprint is set", UserWarning, stacklevel=3)
        size = None  # scipy ignores it too; passing None spares a second warning
    input = np.asarray(input)
    # scipy's 1-d path takes float32 and float64 in native byte order only (see below)
    swapped_float = not input.dtype.isnative and input.dtype.kind == "f"
    input = in_native_order(input)
    given_footprint, given_output = footprint, output
    if not kernel_dtype(input.dtype):
        return scipy_filter(size, footprint, output)
    axes = check_axes(axes, input.ndim)
    if footprint is None:
        if size is None:
            msg = "no footprint or filter size provided"
            raise RuntimeError(msg)
        footprint = np.ones(normalize_sequence(size, len(axes)), dtype=bool)
    else:
        footprint = np.asarray(footprint, dtype=bool)
    footprint = _expand_footprint(input.ndim, axes, footprint)
    origins = _expand_origin(input.ndim, axes, origin)
    mode = _expand_mode(input.ndim, axes, mode)
    fshape = [n for n in footprint.shape if n > 0]
    if len(fshape) != input.ndim:
        msg = f"footprint.ndim ({footprint.ndim}) must match len(axes) ({len(axes)})"
        raise RuntimeError(msg)
    for o, n in zip(origins, fshape, strict=False):
        if n // 2 + o < 0 or n // 2 + o >= n:
            msg = "invalid origin"
            raise ValueError(msg)
    filter_size = int(np.count_nonzero(footprint))
    rank = _rank_of(operation, rank, filter_size)
    if rank in (0, filter_size - 1):  # scipy hands these to its minimum and maximum filters
        from ._minmax import maximum_filter, minimum_filter

        extreme = minimum_filter if rank == 0 else maximum_filter
        return extreme(input, None, footprint, output, mode, cval, origins, workers=workers)

    output = target = get_output(output, input)
    if np.may_share_memory(input, output):  # the kernels read and write different arrays
        output = np.empty(output.shape, output.dtype)
    if not isinstance(mode, str) and isinstance(mode, Iterable):
        msg = "A sequence of modes is not supported by non-separable rank filters"
        raise RuntimeError(msg)
    code = mode_code(mode)

    # scipy sends 1-d input through a separate kernel whose results differ from the n-d one's
    # (see _filter_1d), except where it reads outside the array (windows longer than the input
    # with wrap, reflect or mirror): undefined there, computed as for n-d input here.
    reach_after = (footprint.size - 1) // 2 - origins[-1]
    one_d = input.ndim == 1 and (input.size - reach_after >= 0 or input.size == 1)
    if one_d and swapped_float:  # scipy raises "Unsupported array type"
        return scipy_filter(size, given_footprint, given_output)
    if one_d and not (code in _REFLECTING and input.size < footprint.size):
        _filter_1d(input, rank, footprint.size, origins[-1], output, code, cval, n_threads,
                   lambda out: scipy_filter(size, given_footprint, out))
    elif not kernel_dtype(output.dtype):  # scipy's n-d path refuses such outputs
        return scipy_filter(size, given_footprint, given_output)
    else:
        if not output.flags.writeable:
            msg = "output array is read-only."
            raise ValueError(msg)
        cval = as_c_double(cval)
        exact = _needs_exact_select(input, code, cval)
        origins = [operator.index(o) for o in origins]
        # with a long axis last where the last is short; not where NaN or zeros of both signs
        # make scipy's result depend on the order it visits the footprint in
        order = None if exact else long_rows_order(input.shape, input.strides)
        source, destination = input, output
        if order is not None:
            source, destination, footprint = (a.transpose(order)
                                              for a in (input, output, footprint))
            origins = [origins[d] for d in order]
        _core.rank_filter(source, destination, np.ascontiguousarray(footprint, dtype=np.uint8),
                          origins, rank, code, cval, exact, False, n_threads)
    if output is not target:
        target[...] = output
    return target


_SHARED_DOC = """
    Parameters, defaults, output dtype rules, exceptions and results are scipy's: ``size`` or
    ``footprint`` give the window, ``mode`` is one of reflect, constant, nearest, mirror, wrap
    or their grid-* names, ``cval`` fills beyond a constant border, ``origin`` shifts the
    window, ``axes`` limits it to some axes.

    workers : int or None, keyword-only
        Threads to use; None means :func:`qbi_fast.get_workers`, -1 all CPUs, -2 all but one.
        The result does not depend on it.

    Results are bit-identical to scipy's. Float data holding NaN, or zeros of both signs, is
    filtered by scipy's own selection algorithm (threaded, but as slow per thread as scipy);
    other data by sliding histograms (8-bit types) or sliding rank sets. For 1-d input scipy
    uses a separate algorithm that ignores holes in the footprint and works in int64 for
    integer data; qbi_fast reproduces it, except where scipy reads outside the array (windows
    longer than the input with wrap, reflect or mirror modes), which give the n-d results here.
    Minimum and maximum ranks go to :func:`minimum_filter` and :func:`maximum_filter`, as
    in scipy; float16, complex and outputs in non-native byte order go to scipy (input in
    non-native byte order is copied into native order first).
"""


@accepts_dask("local")
def median_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0,
                  origin=0, *, axes=None, workers=None):
    """Median filter; a drop-in for ``scipy.ndimage.median_filter`` (rank ``n // 2`` of the n
    window elements, so the upper median for even n).
    """

    def scipy_filter(size, footprint, output):
        return ndi.median_filter(without_zero_strides(input), size, footprint, output, mode, cval,
                                 origin, axes=axes)

    return _rank_filter(input, 0, size, footprint, output, mode, cval, origin, "median", axes,
                        workers, scipy_filter)


@accepts_dask("local")
def rank_filter(input, rank, size=None, footprint=None, output=None, mode="reflect", cval=0.0,
                origin=0, *, axes=None, workers=None):
    """Rank filter; a drop-in for ``scipy.ndimage.rank_filter`` (``rank`` counts from 0; negative
    values count back from the largest).
    """
    rank = operator.index(rank)

    def scipy_filter(size, footprint, output):
        return ndi.rank_filter(without_zero_strides(input), rank, size, footprint, output, mode,
                               cval, origin, axes=axes)

    return _rank_filter(input, rank, size, footprint, output, mode, cval, origin, "rank", axes,
                        workers, scipy_filter)


@accepts_dask("local")
def percentile_filter(input, percentile, size=None, footprint=None, output=None, mode="reflect",
                      cval=0.0, origin=0, *, axes=None, workers=None):
    """Percentile filter; a drop-in for ``scipy.ndimage.percentile_filter`` (``percentile`` in
    [-100, 100]; negative values count back from 100).
    """

    def scipy_filter(size, footprint, output):
        return ndi.percentile_filter(without_zero_strides(input), percentile, size, footprint,
                                     output, mode, cval, origin, axes=axes)

    return _rank_filter(input, percentile, size, footprint, output, mode, cval, origin,
                        "percentile", axes, workers, scipy_filter)


for _f in (median_filter, rank_filter, percentile_filter):
    _f.__doc__ += _SHARED_DOC
