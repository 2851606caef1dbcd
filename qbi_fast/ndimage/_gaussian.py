"""Gaussian filters: scipy.ndimage's gaussian_filter and gaussian_filter1d on OpenMP kernels."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.ndimage as ndi

from .._dispatch import accepts_dask
from .._threads import resolve_workers
from .._validate import (
    check_axes,
    get_output,
    in_native_order,
    normalize_sequence,
    supported_by_kernels,
)
from ._correlate import checked_pass, run_passes, run_passes_on_parts

__all__ = ["gaussian_filter", "gaussian_filter1d"]


def _gaussian_kernel(sigma, order, radius) -> np.ndarray:
    """Taps of the order-th derivative of a normalised Gaussian at -radius .. radius.

    The arithmetic (and numpy calls) are the same as scipy's, step for step, so the taps are the
    same doubles and integer outputs round identically.
    """
    if order < 0:
        msg = "order must be non-negative"
        raise ValueError(msg)
    powers = np.arange(order + 1)
    sigma2 = sigma * sigma
    x = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 / sigma2 * x**2)
    phi = phi / phi.sum()
    if order == 0:
        return phi
    # d/dx [q(x) phi(x)] = (q'(x) - x q(x) / sigma2) phi(x): apply that map to q's coefficients
    # `order` times, starting from q = 1.
    q = np.zeros(order + 1)
    q[0] = 1
    differentiate = np.diag(powers[1:], 1) + np.diag(np.ones(order) / -sigma2, -1)
    for _ in range(order):
        q = differentiate.dot(q)
    return (x[:, None] ** powers).dot(q) * phi


def _axis_weights(sigma, order, truncate, radius) -> np.ndarray:
    """Correlation weights of one axis, with scipy's checks on sigma, radius and order."""
    lw = int(truncate * float(sigma) + 0.5)
    if radius is not None:
        lw = radius
    if not isinstance(lw, numbers.Integral) or lw < 0:
        msg = "Radius must be a nonnegative integer."
        raise ValueError(msg)
    # correlate with the reversed kernel, i.e. convolve with the kernel
    return _gaussian_kernel(sigma, order, lw)[::-1]


@accepts_dask("local")
def gaussian_filter1d(
    input,
    sigma,
    axis=-1,
    order=0,
    output=None,
    mode="reflect",
    cval=0.0,
    truncate=4.0,
    *,
    radius=None,
    workers=None,
):
    """1-D Gaussian filter along one axis; a drop-in for ``scipy.ndimage.gaussian_filter1d``.

    Parameters and results are scipy's: ``sigma`` is the standard deviation, ``order`` the
    derivative order (0 smooths), ``mode`` one of reflect, constant, nearest, mirror, wrap,
    grid-constant, grid-mirror or grid-wrap, ``cval`` the constant-mode fill, and the kernel has
    radius ``radius`` or ``int(truncate * sigma + 0.5)``. ``output`` is an array or a dtype;
    by default the input's dtype. Results are scipy's byte for byte (double accumulation in
    scipy's order, scipy's casts), except that the sign and payload bits of NaN results are
    unspecified.

    workers : int or None, keyword-only
        Threads to use; None means :func:`qbi_fast.get_workers`, -1 all CPUs, -2 all but one.

    Inputs or outputs of a dtype the kernels do not cover (complex, float16, longdouble) and
    outputs in non-native byte order are passed to scipy unchanged; input in non-native byte
    order is copied into native order first.
    """
    n_threads = resolve_workers(workers)
    input_array = np.asarray(input)
    if not supported_by_kernels(input_array, output):
        return ndi.gaussian_filter1d(
            input, sigma, axis, order, output, mode, cval, truncate, radius=radius
        )
    input_array = in_native_order(input_array)
    weights = _axis_weights(sigma, order, truncate, radius)
    output = get_output(output, input_array)
    passes = [checked_pass(axis, weights, mode, cval, output)]
    return run_passes(input_array, output, passes, n_threads)


@accepts_dask("local")
def gaussian_filter(
    input,
    sigma,
    order=0,
    output=None,
    mode="reflect",
    cval=0.0,
    truncate=4.0,
    *,
    radius=None,
    axes=None,
    workers=None,
):
    """N-d Gaussian filter; a drop-in for ``scipy.ndimage.gaussian_filter``.

    One 1-D pass per axis, in the order of ``axes`` (default: all), each reading the previous
    pass's result from ``output`` -- so, as in scipy, intermediates are stored in the output
    dtype. ``sigma``, ``order``, ``mode`` and ``radius`` are scalars or one value per filtered
    axis; axes with ``sigma <= 1e-15`` are skipped. Other parameters, dtype rules, exceptions and
    results are scipy's (see :func:`gaussian_filter1d`). ``output`` may be the input itself
    (in place); C-ordered, F-ordered and strided arrays are read without copying.

    workers : int or None, keyword-only
        Threads to use; None means :func:`qbi_fast.get_workers`, -1 all CPUs, -2 all but one.
        The result does not depend on it.

    Complex, float16 and longdouble arrays, and outputs in non-native byte order, go to scipy
    unchanged.
    """
    return _gaussian_filter(input, sigma, order, output, mode, cval, truncate, radius, axes,
                            workers, None)


def gaussian_filter_core(input, core, sigma, order=0, output=None, mode="reflect", cval=0.0,
                         truncate=4.0, *, radius=None, axes=None, workers=None,
                         compact=False) -> np.ndarray:
    """``gaussian_filter(input, ...)[core]`` (``core``: a slice per axis), filtering less: after
    its pass along an axis, later passes need only that axis's core (a block's halo is read by
    the pass along its own axis only). ``output`` then holds intermediates. With ``compact``,
    the result is a new C-contiguous array which the last pass writes, not a view of
    ``output`` (which would keep all of it alive, and need a copy to be let go)."""
    return _gaussian_filter(input, sigma, order, output, mode, cval, truncate, radius, axes,
                            workers, tuple(core), compact)


def gaussian_filter_parts(parts: dict, core: tuple, sigma, order=0, output=None,
                          mode="reflect", cval=0.0, truncate=4.0, *, radius=None, axes=None,
                          workers=None):
    """The core of ``gaussian_filter`` on a block given in parts, as a new array, or None where
    the kernels cannot compute it so (the caller then assembles the block). ``parts`` and
    ``core`` are as :func:`run_passes_on_parts` takes them: a block with its halo (a chunk of a
    dask array and slices of its neighbours), filtered without a copy of it being made."""
    return _filter_parts(parts, core, output, workers, lambda result: _passes(
        sigma, order, result, mode, cval, truncate, radius, axes))


def gaussian_filter1d_parts(parts: dict, core: tuple, sigma, axis=-1, order=0, output=None,
                            mode="reflect", cval=0.0, truncate=4.0, *, radius=None,
                            workers=None):
    """``gaussian_filter1d`` as :func:`gaussian_filter_parts` computes ``gaussian_filter``."""
    return _filter_parts(parts, core, output, workers, lambda result: [checked_pass(
        axis, _axis_weights(sigma, order, truncate, radius), mode, cval, result)])


def _filter_parts(parts: dict, core: tuple, output, workers, passes_on):
    """``passes_on(result)``'s passes run on the parts into a new ``result`` (see
    :func:`gaussian_filter_parts`), or None."""
    own = parts.get(core)  # none in an empty array
    if own is None or not supported_by_kernels(own, output) or not own.dtype.isnative:
        return None
    result = get_output(output, own)
    passes = passes_on(result)
    if not passes or not run_passes_on_parts(parts, core, result, passes,
                                             resolve_workers(workers)):
        return None
    return result


def _passes(sigma, order, output, mode, cval, truncate, radius, axes) -> list:
    """The gaussian's correlate1d passes on ``output``, checked (see checked_pass): one per
    axis of ``axes`` whose sigma is above 1e-15, in order."""
    axes = check_axes(axes, output.ndim)
    n_axes = len(axes)
    orders = normalize_sequence(order, n_axes)
    sigmas = normalize_sequence(sigma, n_axes)
    modes = normalize_sequence(mode, n_axes)
    radii = normalize_sequence(radius, n_axes)
    return [
        checked_pass(
            axes[i], _axis_weights(sigmas[i], orders[i], truncate, radii[i]), modes[i], cval, output
        )
        for i in range(n_axes)
        if sigmas[i] > 1e-15
    ]


def _take_core(result: np.ndarray, core: tuple | None, compact: bool) -> np.ndarray:
    if core is None:
        return result
    return result[core].copy() if compact else result[core]


def _gaussian_filter(input, sigma, order, output, mode, cval, truncate, radius, axes, workers,
                     core, compact=False):
    n_threads = resolve_workers(workers)
    input_array = np.asarray(input)
    if not supported_by_kernels(input_array, output):
        return _take_core(ndi.gaussian_filter(input, sigma, order, output, mode, cval, truncate,
                                              radius=radius, axes=axes), core, compact)
    input_array = in_native_order(input_array)
    output = get_output(output, input_array)
    passes = _passes(sigma, order, output, mode, cval, truncate, radius, axes)
    if not passes:
        output[...] = input_array[...]
        return _take_core(output, core, compact)
    if core is None:
        return run_passes(input_array, output, passes, n_threads)
    # The last pass leaves the core of every filtered axis: all of output[core] when the axes
    # left alone are whole in it.
    shape = tuple(len(range(*c.indices(n))) for c, n in zip(core, output.shape, strict=True))
    passed = {p[0] for p in passes}
    if compact and all(d in passed or shape[d] == n for d, n in enumerate(output.shape)):
        return run_passes(input_array, output, passes, n_threads, core,
                          final=np.empty(shape, output.dtype))
    return _take_core(run_passes(input_array, output, passes, n_threads, core), core, compact)
