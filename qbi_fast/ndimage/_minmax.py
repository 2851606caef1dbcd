"""Minimum and maximum filters and grey morphology -- minimum_filter(1d), maximum_filter(1d),
grey_erosion, grey_dilation, grey_opening, grey_closing -- with scipy.ndimage's semantics on
threaded kernels."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import scipy.ndimage as ndi

from .. import _core
from .._dispatch import accepts_dask
from .._threads import resolve_workers
from .._validate import (
    as_c_double,
    as_c_int,
    as_c_origins,
    check_axes,
    get_output,
    in_native_order,
    kernel_dtype,
    mode_code,
    normalize_axis_index,
    normalize_sequence,
    without_zero_strides,
)
from ._layout import long_rows_order
from ._rank import _expand_footprint, _expand_origin

__all__ = [
    "grey_closing",
    "grey_dilation",
    "grey_erosion",
    "grey_opening",
    "maximum_filter",
    "maximum_filter1d",
    "minimum_filter",
    "minimum_filter1d",
]


def _order_matters(x: np.ndarray, code: int, border: float, shifted: bool) -> bool:
    """Whether scipy's visiting order could decide the result: NaN in floating data (scipy keeps
    whatever it met first), or zeros of both signs. With structure values (``shifted``) a single
    -0.0 is enough, as -0.0 - 0.0 and 0.0 - 0.0 differ. The border value counts as data."""
    nan, negative_zero, positive_zero = (False, False, False)
    if x.dtype.kind == "f":
        nan, negative_zero, positive_zero = _core.special_values(x)
    else:
        positive_zero = True  # an integer 0 is +0.0 to scipy; assumed present, not searched
    if code == mode_code("constant"):
        nan |= bool(np.isnan(border))
        negative_zero |= bool(border == 0 and np.signbit(border))
        positive_zero |= bool(border == 0 and not np.signbit(border))
    return nan or negative_zero and (positive_zero or shifted)


def _one_axis(ndim: int, axis: int, size: int) -> np.ndarray:
    return np.ones([size if d == axis else 1 for d in range(ndim)], dtype=np.uint8)


def _filter_pass(source, destination, footprint, origins, structure, minimum, code, cval,
                 line_kernel, n_threads) -> bool:
    """One kernel pass, as scipy's 1-d line kernel (``line_kernel``: cval compared as a double)
    or its n-d footprint kernel (cval cast to the input's type first); False, with nothing
    written, where scipy's visiting order could matter."""
    border = cval
    if not line_kernel and source.dtype.kind == "f":
        with np.errstate(all="ignore"):  # as C's cast: 1e300 becomes inf without a word
            border = float(np.array(cval).astype(source.dtype))
    if _order_matters(source, code, border, structure is not None):
        return False
    # scipy's 1-d kernel reads each origin as a C int; its n-d one, an origin sequence
    origins = [as_c_int(o) for o in origins] if line_kernel else as_c_origins(origins)
    # with a long axis last where the last is short (not with structure values: scipy treats
    # the first element of the footprint in C order apart)
    order = None if structure is not None else long_rows_order(source.shape, source.strides)
    if order is not None:
        source, destination, footprint = (a.transpose(order)
                                          for a in (source, destination, footprint))
        origins = [origins[d] for d in order]
    _core.min_max_filter(source, destination, np.ascontiguousarray(footprint, dtype=np.uint8),
                         origins, structure, minimum, code, cval, not line_kernel, n_threads)
    return True


def _min_or_max_filter(input, size, footprint, structure, output, mode, cval, origin, minimum,
                       axes, workers, scipy_call):
    """scipy's _min_or_max_filter step by step (same checks, messages and order), then the
    kernels. ``scipy_call(size)`` runs the scipy function on the caller's other arguments."""
    n_threads = resolve_workers(workers)
    if size is not None and footprint is not None:
        warnings.warn("ignoring size because footprint is set", UserWarning, stacklevel=3)
        size = None  # scipy ignores it too; passing None spares a second warning
    scipy_size = size  # what scipy is given on a fallback (a footprint's shape is not a size)
    if structure is None:
        if footprint is None:
            if size is None:
                msg = "no footprint provided"
                raise RuntimeError(msg)
            separable = True
        else:
            footprint = np.asarray(footprint, dtype=bool)
            if not footprint.any():
                msg = "All-zero footprint is not supported."
                raise ValueError(msg)
            separable = bool(footprint.all())
            if separable:
                size, footprint = footprint.shape, None
    else:
        structure = np.asarray(structure, dtype=np.float64)
        separable = False
        footprint = (np.ones(structure.shape, bool) if footprint is None
                     else np.asarray(footprint, dtype=bool))
    input = np.asarray(input)
    if np.iscomplexobj(input):
        msg = "Complex type not supported"
        raise TypeError(msg)
    if input.ndim == 0 and footprint is not None and not footprint.any():
        # reached with a structure only; scipy's kernel would read outside the footprint
        msg = "footprint has no elements"
        raise ValueError(msg)
    input = in_native_order(input)
    if not kernel_dtype(input.dtype) or input.ndim == 0:
        return scipy_call(scipy_size)
    output = target = get_output(output, input)
    if not kernel_dtype(output.dtype):
        return scipy_call(scipy_size)
    if np.may_share_memory(input, output):
        output = np.empty(output.shape, output.dtype)
    axes = check_axes(axes, input.ndim)
    if separable:
        origins = normalize_sequence(origin, len(axes))
        sizes = normalize_sequence(size, len(axes))
        modes = normalize_sequence(mode, len(axes))
        passes = [(axes[i], sizes[i], origins[i], modes[i]) for i in range(len(axes))
                  if sizes[i] > 1]
        if not passes:
            output[...] = input[...]
        elif _chain_is_one_box(input, output, mode, cval):
            box = np.ones(input.ndim, dtype=int)
            origins = [0] * input.ndim
            for axis, n, o, m in passes:  # scipy's checks, pass by pass
                axis = normalize_axis_index(axis, input.ndim)
                _check_1d(int(n), o, m)
                box[axis], origins[axis] = _shortest_window(int(n), o, input.shape[axis])
            if not output.flags.writeable:
                msg = "output array is read-only."
                raise ValueError(msg)
            if not _filter_pass(input, output, np.ones(box, np.uint8), origins, None, minimum,
                                mode_code(mode), as_c_double(cval), True, n_threads):
                return scipy_call(scipy_size)
        else:
            source = input
            for axis, n, o, m in passes:
                if not _filter_1d(source, int(n), axis, output, m, cval, o, minimum, n_threads):
                    return scipy_call(scipy_size)
                source = output
    else:
        footprint = _expand_footprint(input.ndim, axes, footprint)
        origins = _expand_origin(input.ndim, axes, origin)
        if len([n for n in footprint.shape if n > 0]) != input.ndim:
            msg = f"footprint.ndim ({footprint.ndim}) must match len(axes) ({len(axes)})"
            raise RuntimeError(msg)
        for o, n in zip(origins, footprint.shape, strict=False):
            if n // 2 + o < 0 or n // 2 + o >= n:
                msg = "invalid origin"
                raise ValueError(msg)
        values = None
        if structure is not None:
            if structure.ndim != len(axes):
                msg = "structure array has incorrect shape"
                raise RuntimeError(msg)
            # scipy reads the structure at the footprint's flat indices, whatever its shape.
            # Its structure kernel converts out-of-range values to uint64 its own way (-inf and
            # -1e300 give 0 there, 2**63 in every other scipy kernel): a compiler's choice for
            # an undefined cast, not reproduced, so uint64 in or out goes to scipy.
            if (structure.size != footprint.size or not np.isfinite(structure).all()
                    or np.uint64 in (input.dtype, output.dtype)):
                return scipy_call(scipy_size)
            values = np.ascontiguousarray(structure.ravel()[footprint.ravel()])
        elif input.dtype.kind == "f" and output.dtype == np.uint64:
            return scipy_call(scipy_size)  # the same undefined cast, in scipy's footprint kernel
        if not isinstance(mode, str) and isinstance(mode, Iterable):
            msg = "A sequence of modes is not supported for non-separable footprints"
            raise RuntimeError(msg)
        code = mode_code(mode)
        if not output.flags.writeable:
            msg = "output array is read-only."
            raise ValueError(msg)
        if not _filter_pass(input, output, footprint, origins, values, minimum, code,
                            as_c_double(cval), False, n_threads):
            return scipy_call(scipy_size)
    if output is not target:
        target[...] = output
    return target


def _chain_is_one_box(input, output, mode, cval) -> bool:
    """Whether scipy's chain of 1-d passes (each stored in the output's type) equals one pass of
    the whole box: when every stored value is one of the input's (same dtype, a border value of
    that dtype, no 64-bit integers, which scipy rounds through double) and one mode serves all
    axes."""
    if output.dtype != input.dtype or not isinstance(mode, str) or input.dtype.itemsize == 8 \
            and input.dtype.kind in "iu":
        return False
    if mode_code(mode) != mode_code("constant"):
        return True
    with np.errstate(all="ignore"):
        border = np.array(as_c_double(cval)).astype(input.dtype)
    return bool(border.astype(np.float64) == as_c_double(cval))


def _check_1d(size, origin, mode) -> int:
    """scipy's checks of one 1-d pass; its mode code."""
    if size < 1:
        msg = "incorrect filter size"
        raise RuntimeError(msg)
    if size // 2 + origin < 0 or size // 2 + origin >= size:
        msg = "invalid origin"
        raise ValueError(msg)
    return mode_code(mode)


def _shortest_window(size: int, origin, n: int) -> tuple[int, object]:
    """``(size, origin)`` of a window with the same minimum and maximum on a line of ``n``
    samples, at most 2n + 1 long on each side of its centre. Every mode's extension of the line
    beyond that adds no value the window lacks: it repeats with a period of at most 2n, or
    repeats an edge sample or cval. (Windows of 2**31 samples would not fit in memory.) An
    origin that is not an integer is left for the kernel call to refuse, as scipy's does."""
    if not isinstance(origin, int | np.integer):
        return size, origin
    left = size // 2 + int(origin)  # the centre's place in the window
    right, cap = size - 1 - left, 2 * n + 1
    if left <= cap and right <= cap:
        return size, origin
    left, right = min(left, cap), min(right, cap)
    size = left + right + 1
    return size, left - size // 2


def _filter_1d(input, size, axis, output, mode, cval, origin, minimum, n_threads) -> bool:
    """scipy's minimum_filter1d / maximum_filter1d into ``output`` (which may be ``input``);
    False, with nothing written, where the data needs scipy's own order."""
    axis = normalize_axis_index(axis, input.ndim)
    code = _check_1d(size, origin, mode)
    size, origin = _shortest_window(size, origin, input.shape[axis])
    if not output.flags.writeable:
        msg = "output array is read-only."
        raise ValueError(msg)
    source = input.copy() if np.may_share_memory(input, output) else input
    origins = [origin if d == axis else 0 for d in range(input.ndim)]
    return _filter_pass(source, output, _one_axis(input.ndim, axis, size), origins, None,
                        minimum, code, as_c_double(cval), True, n_threads)


def _min_or_max_filter1d(input, size, axis, output, mode, cval, origin, minimum, workers,
                         scipy_call):
    n_threads = resolve_workers(workers)
    input = np.asarray(input)
    if np.iscomplexobj(input):
        msg = "Complex type not supported"
        raise TypeError(msg)
    input = in_native_order(input)
    if not kernel_dtype(input.dtype) or input.ndim == 0:
        return scipy_call()
    axis = normalize_axis_index(axis, input.ndim)  # then scipy's C layer: an int
    if size < 1:
        msg = "incorrect filter size"
        raise RuntimeError(msg)
    output = get_output(output, input)
    if not kernel_dtype(output.dtype):
        return scipy_call()
    if not _filter_1d(input, size, as_c_int(axis), output, mode, cval, origin, minimum,
                      n_threads):
        return scipy_call()
    return output


@accepts_dask("local")
def minimum_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
                     workers=None):
    """1-d minimum filter along one axis; a drop-in for ``scipy.ndimage.minimum_filter1d``."""
    return _min_or_max_filter1d(
        input, size, axis, output, mode, cval, origin, True, workers,
        lambda: ndi.minimum_filter1d(input, size, axis, output, mode, cval, origin))


@accepts_dask("local")
def maximum_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
                     workers=None):
    """1-d maximum filter along one axis; a drop-in for ``scipy.ndimage.maximum_filter1d``."""
    return _min_or_max_filter1d(
        input, size, axis, output, mode, cval, origin, False, workers,
        lambda: ndi.maximum_filter1d(input, size, axis, output, mode, cval, origin))


@accepts_dask("local")
def minimum_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0,
                   origin=0, *, axes=None, workers=None):
    """Minimum filter; a drop-in for ``scipy.ndimage.minimum_filter``."""
    return _min_or_max_filter(
        input, size, footprint, None, output, mode, cval, origin, True, axes, workers,
        lambda size: ndi.minimum_filter(without_zero_strides(input), size, footprint, output,
                                        mode, cval, origin, axes=axes))


@accepts_dask("local")
def maximum_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0,
                   origin=0, *, axes=None, workers=None):
    """Maximum filter; a drop-in for ``scipy.ndimage.maximum_filter``."""
    return _min_or_max_filter(
        input, size, footprint, None, output, mode, cval, origin, False, axes, workers,
        lambda size: ndi.maximum_filter(without_zero_strides(input), size, footprint, output,
                                        mode, cval, origin, axes=axes))


def _check_grey_arguments(size, footprint, structure):
    if size is None and footprint is None and structure is None:
        msg = "size, footprint, or structure must be specified"
        raise ValueError(msg)


@accepts_dask("local")
def grey_erosion(input, size=None, footprint=None, structure=None, output=None, mode="reflect",
                 cval=0.0, origin=0, *, axes=None, workers=None):
    """Grey erosion (minimum of input - structure over the footprint); a drop-in for
    ``scipy.ndimage.grey_erosion``."""
    _check_grey_arguments(size, footprint, structure)
    return _min_or_max_filter(
        input, size, footprint, structure, output, mode, cval, origin, True, axes, workers,
        lambda size: ndi.grey_erosion(without_zero_strides(input), size, footprint, structure,
                                      output, mode, cval, origin, axes=axes))


@accepts_dask("local")
def grey_dilation(input, size=None, footprint=None, structure=None, output=None, mode="reflect",
                  cval=0.0, origin=0, *, axes=None, workers=None):
    """Grey dilation (maximum of input + structure over the reflected footprint); a drop-in for
    ``scipy.ndimage.grey_dilation``."""
    _check_grey_arguments(size, footprint, structure)
    given = (footprint, structure, origin)

    def scipy_call(size):
        return ndi.grey_dilation(without_zero_strides(input), size, given[0], given[1], output,
                                 mode, cval, given[2], axes=axes)

    if structure is not None:
        structure = np.asarray(structure)
        structure = structure[(slice(None, None, -1),) * structure.ndim]
    if footprint is not None:
        footprint = np.asarray(footprint)
        footprint = footprint[(slice(None, None, -1),) * footprint.ndim]
    axes_ = check_axes(axes, np.ndim(input))
    origin = normalize_sequence(origin, len(axes_))
    for i in range(len(origin)):
        origin[i] = -origin[i]
        if footprint is not None:
            n = footprint.shape[i]
        elif structure is not None:
            n = structure.shape[i]
        elif np.isscalar(size):
            n = size
        else:
            n = size[i]
        if not n & 1:
            origin[i] -= 1
    return _min_or_max_filter(input, size, footprint, structure, output, mode, cval, origin,
                              False, axes_, workers, scipy_call)


@accepts_dask("local")
def grey_opening(input, size=None, footprint=None, structure=None, output=None, mode="reflect",
                 cval=0.0, origin=0, *, axes=None, workers=None):
    """Grey opening (erosion, then dilation); a drop-in for ``scipy.ndimage.grey_opening``."""
    if size is not None and footprint is not None:
        warnings.warn("ignoring size because footprint is set", UserWarning, stacklevel=2)
    eroded = grey_erosion(input, size, footprint, structure, None, mode, cval, origin,
                          axes=axes, workers=workers)
    return grey_dilation(eroded, size, footprint, structure, output, mode, cval, origin,
                         axes=axes, workers=workers)


@accepts_dask("local")
def grey_closing(input, size=None, footprint=None, structure=None, output=None, mode="reflect",
                 cval=0.0, origin=0, *, axes=None, workers=None):
    """Grey closing (dilation, then erosion); a drop-in for ``scipy.ndimage.grey_closing``."""
    if size is not None and footprint is not None:
        warnings.warn("ignoring size because footprint is set", UserWarning, stacklevel=2)
    dilated = grey_dilation(input, size, footprint, structure, None, mode, cval, origin,
                            axes=axes, workers=workers)
    return grey_erosion(dilated, size, footprint, structure, output, mode, cval, origin,
                        axes=axes, workers=workers)


_SHARED_DOC = """
    Parameters, defaults, output dtype rules, exceptions and results are scipy's: ``size`` or
    ``footprint`` give the window (``structure``, for grey morphology, adds values: erosion
    takes the minimum of input - structure, dilation the maximum of input + structure), ``mode``
    is one of reflect, constant, nearest, mirror, wrap or their grid-* names, ``cval`` fills
    beyond a constant border, ``origin`` shifts the window, ``axes`` limits it to some axes.

    workers : int or None, keyword-only
        Threads to use; None means :func:`qbi_fast.get_workers`, -1 all CPUs, -2 all but one.
        The result does not depend on it.

    Results are bit-identical to scipy's. Boxes (``size``, or an all-true footprint) are
    filtered axis by axis, as scipy does, with running minima (van Herk / Gil-Werman: cost
    independent of the size); other footprints by their runs along the last axis. Float data
    holding NaN or zeros of both signs (where scipy's visiting order decides the result),
    non-finite structure values, structures with uint64 data or output, float16, complex and
    outputs in non-native byte order go to scipy (input in non-native byte order is copied into
    native order first).
"""

for _f in (minimum_filter1d, maximum_filter1d, minimum_filter, maximum_filter, grey_erosion,
           grey_dilation, grey_opening, grey_closing):
    _f.__doc__ += _SHARED_DOC
