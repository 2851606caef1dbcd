"""Binary morphology -- binary_erosion, binary_dilation, binary_opening, binary_closing -- with
scipy.ndimage's semantics on threaded kernels, and ``ball`` (scikit-image's ball footprint)."""

from __future__ import annotations

import itertools
import math
import operator

import numpy as np
import scipy.ndimage as ndi

from .. import _core
from .._dispatch import accepts_dask
from .._threads import resolve_workers
from .._validate import (
    as_c_int,
    as_c_origins,
    check_axes,
    get_output,
    kernel_dtype,
    normalize_sequence,
)
from ._layout import long_rows_order
from ._rank import _expand_footprint, _expand_origin

__all__ = ["ball", "binary_closing", "binary_dilation", "binary_erosion", "binary_opening"]

# Weights tried when a structure is not an isotropic ball (voxel-spacing ratios up to 4:1 in
# squared units), and the largest squared radius the 16-bit distance kernel takes.
_WEIGHTS = range(1, 5)
_MAX_RADIUS2 = 32000


def ball(radius, dtype=np.uint8):
    """The ball {d : |d|^2 <= radius^2} in a cube of side ``2 * radius + 1``: the same array as
    ``skimage.morphology.ball(radius)`` (strict radius, no decomposition), so that the structure
    needs no scikit-image."""
    n = 2 * radius + 1
    z, y, x = np.mgrid[-radius : radius : n * 1j, -radius : radius : n * 1j,
                       -radius : radius : n * 1j]
    return np.array(x**2 + y**2 + z**2 <= radius * radius, dtype=dtype)


def _ball_of(structure: np.ndarray):
    """``(weights, radius2)`` when the structure is exactly {d : sum w_i d_i^2 <= radius2}
    centred in its box (integer weights, isotropic first), else None."""
    if any(n % 2 == 0 for n in structure.shape) or not structure.any():
        return None
    squares = [((np.arange(n) - n // 2) ** 2).reshape([-1 if i == d else 1
                                                       for i in range(structure.ndim)])
               for d, n in enumerate(structure.shape)]
    inside, outside = structure, ~structure
    for weights in itertools.chain([(1,) * structure.ndim],
                                   itertools.product(_WEIGHTS, repeat=structure.ndim)):
        if np.gcd.reduce(weights) != 1:
            continue
        dist2 = sum(w * s for w, s in zip(weights, squares, strict=True))
        radius2 = int(dist2[inside].max())
        if radius2 > _MAX_RADIUS2 or (outside.any() and dist2[outside].min() <= radius2):
            continue
        # the ball must end inside the box, or the structure is a ball cut by its box
        if all(w * (n // 2 + 1) ** 2 > radius2 for w, n in zip(weights, structure.shape,
                                                              strict=True)):
            return list(weights), radius2
    return None


def _separable_3d(structure, origins, ndim, n_threads):
    """For a box or a ball (origin 0) on data of at most 3 dimensions: the keyword arguments of
    _core.binary_erosion_separable for the data seen as 3-d, and whether to swap its first two
    axes (so that the swept axis is long enough to share among threads). Else None."""
    if ndim > 3:
        return None
    pad = 3 - ndim
    if structure.all():
        lo = [-(n // 2 + o) for n, o in zip(structure.shape, origins, strict=True)]
        hi = [n - 1 + low for n, low in zip(structure.shape, lo, strict=True)]
        params = {"ball": False, "lo": [0] * pad + lo, "hi": [0] * pad + hi,
                  "weight": [0, 0, 0], "radius2": 0}
    elif not any(origins) and (found := _ball_of(structure)) is not None:
        weights, radius2 = found
        # the ball's own half-widths (the box may have an empty margin around it)
        half = [math.isqrt(radius2 // w) for w in weights]
        params = {"ball": True, "lo": [0] * pad + [-h for h in half], "hi": [0] * pad + half,
                  "weight": [radius2 + 1] * pad + weights, "radius2": radius2}
    else:
        return None
    return params


def _as_3d(array, ndim, swap):
    view = array[(np.newaxis,) * (3 - ndim)]
    return view.swapaxes(0, 1) if swap else view


def _pass_for(structure, origins, ndim, border_value, invert, mask, n_threads, order=None):
    """erode(source, destination) -> changed: one pass of the kernel that suits the structure,
    run on the axes in ``order`` (an erosion does not depend on the order of the axes, if the
    structure, origins and mask follow it)."""
    if order is not None:
        base = _pass_for(structure.transpose(order), [origins[d] for d in order], ndim,
                         border_value, invert, None if mask is None else mask.transpose(order),
                         n_threads)
        return lambda source, destination: base(source.transpose(order),
                                                destination.transpose(order))
    params = _separable_3d(structure, origins, ndim, n_threads)
    if params is None:
        structure_u8 = np.ascontiguousarray(structure, dtype=np.uint8)

        def erode(source, destination):
            return _core.binary_erosion(source, destination, structure_u8, origins, border_value,
                                        invert, mask, n_threads)

        return erode

    def erode(source, destination):
        shape = (1,) * (3 - ndim) + source.shape
        swap = shape[0] < 2 * n_threads and shape[1] > shape[0]
        axes_params = dict(params)
        if swap:
            for key in ("lo", "hi", "weight"):
                values = list(params[key])
                values[0], values[1] = values[1], values[0]
                axes_params[key] = values
        mask3 = None if mask is None else _as_3d(mask, ndim, swap)
        return _core.binary_erosion_separable(
            _as_3d(source, ndim, swap), _as_3d(destination, ndim, swap), border_value=border_value,
            invert=invert, mask=mask3, n_threads=n_threads, **axes_params)

    return erode


def _binary_erosion(input, structure, iterations, mask, output, border_value, origin, invert,
                    brute_force, axes, workers, scipy_call):
    """scipy's _binary_erosion step by step (same checks, messages and order), then the
    kernels. ``scipy_call()`` runs scipy's function for what the kernels leave to it."""
    n_threads = resolve_workers(workers)
    try:
        iterations = operator.index(iterations)
    except TypeError as e:
        msg = "iterations parameter should be an integer"
        raise TypeError(msg) from e
    input = np.asarray(input)
    if np.iscomplexobj(input):
        msg = "Complex type not supported"
        raise TypeError(msg)
    axes = check_axes(axes, input.ndim)
    if structure is None:
        structure = ndi.generate_binary_structure(len(axes), 1)
    else:
        structure = np.asarray(structure, dtype=bool)
    if input.ndim > len(axes):
        structure = _expand_footprint(input.ndim, axes, structure, "structure")
    if structure.ndim != input.ndim:
        msg = "structure and input must have same dimensionality"
        raise RuntimeError(msg)
    if structure.size < 1:
        msg = "structure must not be empty"
        raise RuntimeError(msg)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != input.shape:
            msg = "mask and input must have equal sizes"
            raise RuntimeError(msg)
    origins = _expand_origin(input.ndim, axes, normalize_sequence(origin, len(axes)))
    # scipy's centre lookup, also for its IndexError on a bad origin
    centre = bool(structure[tuple(o + n // 2 for n, o in zip(structure.shape, origins,
                                                          strict=False))])
    if isinstance(output, np.ndarray):
        if np.iscomplexobj(output):
            msg = "Complex output type not supported"
            raise TypeError(msg)
    else:
        output = bool  # scipy ignores a dtype given for output: binary results are bool
    output = target = get_output(output, input)
    if (not kernel_dtype(output.dtype) or not kernel_dtype(input.dtype.newbyteorder("="))
            or (mask is not None and not kernel_dtype(mask.dtype)) or input.ndim == 0):
        return scipy_call()  # scipy computes or refuses these (float16: "not supported")
    if not kernel_dtype(input.dtype):
        input = input != 0  # non-native byte order: a sample's truth is all the kernels read
    if np.may_share_memory(input, output):
        output = np.empty(output.shape, output.dtype)
    if mask is not None and np.may_share_memory(mask, output):
        mask = mask.copy()  # the passes write the output while they read the mask
    if not output.flags.writeable:
        msg = "output array is read-only."
        raise ValueError(msg)

    # scipy's C layer reads these as C ints (bools refused for origins, not for the value)
    border_value = as_c_int(border_value)
    origins = as_c_origins(origins)
    order = long_rows_order(input.shape, input.strides)
    erode = _pass_for(structure, origins, input.ndim, bool(border_value), bool(invert), mask,
                      n_threads, order)
    changed = erode(input, output)
    if iterations != 1 and centre and not brute_force and mask is not None \
            and mask.dtype != bool:
        # scipy's fast path (centre set, brute_force off) reads the mask as int8 after the
        # first pass: 0.5 or 256 there mask the sample out
        erode = _pass_for(structure, origins, input.ndim, bool(border_value), bool(invert),
                          np.asarray(mask, dtype=np.int8), n_threads, order)
    if iterations != 1:
        current, spare = output, np.empty(output.shape, output.dtype)
        done = 1
        # With its centre set, a structure only ever shrinks (dilation: grows) the set, which
        # settles. Without, passes can cycle for ever, and scipy's loop then never ends: a
        # copy saved at passes 2, 4, 8, ... (Brent's cycle finding) that a later pass equals
        # proves a cycle.
        watch = iterations < 1 and not centre
        checkpoint, save_at = (output.copy(), 2) if watch else (None, 0)
        while done < iterations or (iterations < 1 and changed):
            changed = erode(current, spare)
            current, spare = spare, current
            done += 1
            if watch and changed:
                if np.array_equal(current, checkpoint):
                    msg = (f"iterations={iterations} repeats until nothing changes, but with "
                           "this structure (its centre not set) the result cycles for ever; "
                           "give a number of iterations")
                    raise ValueError(msg)
                if done == save_at:
                    checkpoint[...] = current
                    save_at *= 2
        if current is not output:
            output[...] = current
    if output is not target:
        target[...] = output
    return target


@accepts_dask("local")
def binary_erosion(input, structure=None, iterations=1, mask=None, output=None, border_value=0,
                   origin=0, brute_force=False, *, axes=None, workers=None):
    """Binary erosion; a drop-in for ``scipy.ndimage.binary_erosion``."""

    def scipy_call():
        return ndi.binary_erosion(input, structure, iterations, mask, output, border_value,
                                  origin, brute_force, axes=axes)

    return _binary_erosion(input, structure, iterations, mask, output, border_value, origin,
                           False, brute_force, axes, workers, scipy_call)


@accepts_dask("local")
def binary_dilation(input, structure=None, iterations=1, mask=None, output=None, border_value=0,
                    origin=0, brute_force=False, *, axes=None, workers=None):
    """Binary dilation; a drop-in for ``scipy.ndimage.binary_dilation`` (computed as scipy does:
    erosion of the complement by the reflected structure)."""
    given = (input, structure, origin)

    def scipy_call():
        return ndi.binary_dilation(given[0], given[1], iterations, mask, output, border_value,
                                   given[2], brute_force, axes=axes)

    input = np.asarray(input)
    axes = check_axes(axes, input.ndim)
    if structure is None:
        structure = ndi.generate_binary_structure(len(axes), 1)
    origin = normalize_sequence(origin, len(axes))
    structure = np.asarray(structure)
    structure = structure[(slice(None, None, -1),) * structure.ndim]
    for i in range(len(origin)):
        origin[i] = -origin[i]
        if not structure.shape[i] & 1:
            origin[i] -= 1
    return _binary_erosion(input, structure, iterations, mask, output, border_value, origin,
                           True, brute_force, axes, workers, scipy_call)


@accepts_dask("local")
def binary_opening(input, structure=None, iterations=1, output=None, origin=0, mask=None,
                   border_value=0, brute_force=False, *, axes=None, workers=None):
    """Binary opening (erosion, then dilation); a drop-in for ``scipy.ndimage.binary_opening``."""
    input = np.asarray(input)
    axes = check_axes(axes, input.ndim)
    if structure is None:
        structure = ndi.generate_binary_structure(len(axes), 1)
    eroded = binary_erosion(input, structure, iterations, mask, None, border_value, origin,
                            brute_force, axes=axes, workers=workers)
    return binary_dilation(eroded, structure, iterations, mask, output, border_value, origin,
                           brute_force, axes=axes, workers=workers)


@accepts_dask("local")
def binary_closing(input, structure=None, iterations=1, output=None, origin=0, mask=None,
                   border_value=0, brute_force=False, *, axes=None, workers=None):
    """Binary closing (dilation, then erosion); a drop-in for ``scipy.ndimage.binary_closing``."""
    input = np.asarray(input)
    axes = check_axes(axes, input.ndim)
    if structure is None:
        structure = ndi.generate_binary_structure(len(axes), 1)
    dilated = binary_dilation(input, structure, iterations, mask, None, border_value, origin,
                              brute_force, axes=axes, workers=workers)
    return binary_erosion(dilated, structure, iterations, mask, output, border_value, origin,
                          brute_force, axes=axes, workers=workers)


_SHARED_DOC = """
    Parameters, defaults, output rules, exceptions and results are scipy's: ``structure``
    (default: the cross of connectivity 1), ``iterations`` (< 1: until nothing changes),
    ``mask`` (outputs outside it keep the input's value), ``output`` (an array of any real
    dtype; a dtype is ignored, as in scipy, and the result is bool), ``border_value``,
    ``origin``, ``brute_force``, ``axes``. (``brute_force`` changes a result only as in scipy:
    with a mask that is not bool and ``iterations`` other than 1, scipy's default path reads the
    mask as int8 after the first pass, so that 0.5 or 256 mask a sample out.)

    workers : int or None, keyword-only
        Threads to use; None means :func:`qbi_fast.get_workers`, -1 all CPUs, -2 all but one.
        The result does not depend on it.

    Results are bit-identical to scipy's. A structure that is a ball (or an ellipsoid with
    integer weights, e.g. from anisotropic voxels) centred with origin 0 is applied through
    squared distances to the nearest background voxel, at a cost that grows with its radius,
    not its volume; any other structure through its runs along the last axis.
"""

for _f in (binary_erosion, binary_dilation, binary_opening, binary_closing):
    _f.__doc__ += _SHARED_DOC
