"""Argument normalisation with scipy.ndimage's semantics: same results, same exception classes
and messages, so a drop-in call fails exactly where and how scipy's would."""

from __future__ import annotations

import operator
from collections.abc import Iterable

import numpy as np

__all__ = [
    "as_c_double",
    "as_c_int",
    "as_c_origins",
    "check_axes",
    "check_writeable",
    "get_output",
    "in_native_order",
    "kernel_dtype",
    "mode_code",
    "new_output_dtype",
    "normalize_axis_index",
    "normalize_sequence",
    "supported_by_kernels",
    "without_zero_strides",
]

# scipy's filter boundary codes, as qbi::Mode in csrc/qbi/boundary.hpp. For filters the grid-*
# names behave as their plain counterparts.
_MODE_CODES = {
    "nearest": 0,
    "wrap": 1,
    "grid-wrap": 1,
    "reflect": 2,
    "grid-mirror": 2,
    "mirror": 3,
    "constant": 4,
    "grid-constant": 4,
}


def mode_code(mode) -> int:
    if isinstance(mode, str) and mode in _MODE_CODES:
        return _MODE_CODES[mode]
    msg = "boundary mode not supported"
    raise RuntimeError(msg)


def normalize_axis_index(axis, ndim: int):
    """scipy's axis check: AxisError outside [-ndim, ndim), negative axes counted from the end.
    Non-integers in range pass; :func:`as_c_int` refuses them later, as scipy's C layer does."""
    if axis < -ndim or axis >= ndim:
        msg = f"axis {axis} is out of bounds for array of dimension {ndim}"
        raise np.exceptions.AxisError(msg)
    return axis + ndim if axis < 0 else axis


_C_INT_MAX = 2**31 - 1


def as_c_int(value) -> int:
    """An argument scipy's C layer reads as a C int: integers only, in range, with Python's
    messages."""
    value = operator.index(value)
    if value > _C_INT_MAX:
        msg = "signed integer is greater than maximum"
        raise OverflowError(msg)
    if value < -_C_INT_MAX - 1:
        msg = "signed integer is less than minimum"
        raise OverflowError(msg)
    return value


def as_c_origins(origins) -> list[int]:
    """Origins as scipy's C layer reads an origin sequence: C ints, and no bools."""
    if any(isinstance(o, bool | np.bool_) for o in origins):
        msg = "an integer is required"
        raise TypeError(msg)
    return [as_c_int(o) for o in origins]


def as_c_double(value) -> float:
    """An argument scipy's C layer reads as a C double: real numbers (not strings), with the
    message CPython gives there."""
    kind = type(value)
    if hasattr(kind, "__float__") or hasattr(kind, "__index__"):
        return float(value)
    msg = f"must be real number, not {kind.__name__}"
    raise TypeError(msg)


def normalize_sequence(value, rank: int) -> list:
    """A scalar repeated ``rank`` times, or a sequence that must have ``rank`` entries."""
    if not isinstance(value, str) and np.iterable(value):
        values = list(value)
        if len(values) != rank:
            msg = "sequence argument must have length equal to input rank"
            raise RuntimeError(msg)
        return values
    return [value] * rank


def check_axes(axes, ndim: int) -> tuple[int, ...]:
    """``axes`` as a tuple of unique non-negative axis numbers."""
    if axes is None:
        return tuple(range(ndim))
    if np.isscalar(axes):
        axes = (operator.index(axes),)
    elif isinstance(axes, Iterable):
        axes = tuple(operator.index(ax) for ax in axes)
        for ax in axes:
            if ax < -ndim or ax > ndim - 1:
                msg = f"specified axis: {ax} is out of range"
                raise ValueError(msg)
        axes = tuple(ax % ndim if ax < 0 else ax for ax in axes)
    else:
        msg = "axes must be an integer, iterable of integers, or None"
        raise ValueError(msg)
    if len(set(axes)) != len(axes):
        msg = "axes must be unique"
        raise ValueError(msg)
    return axes


def new_output_dtype(dtype) -> np.dtype:
    """scipy's dtype for a new output of ``dtype`` data: the type of that name, so native byte
    order, and int64 as numpy's 'l' rather than 'q' (equal, but zarr v3 refuses 'q')."""
    return np.dtype(np.dtype(dtype).name)


def get_output(output, input: np.ndarray) -> np.ndarray:
    """The array a filter writes: new (for None, a dtype or a dtype name) or the given one."""
    if output is None:
        return np.empty(input.shape, dtype=new_output_dtype(input.dtype))
    if isinstance(output, type | np.dtype):
        return np.empty(input.shape, dtype=output)
    if isinstance(output, str):
        dtype = np.dtype(output)
        if not issubclass(dtype.type, np.number):
            msg = "output must have numeric dtype"
            raise RuntimeError(msg)
        return np.empty(input.shape, dtype=dtype)
    output = np.asarray(output)
    if output.shape != input.shape:
        msg = "output shape not correct"
        raise RuntimeError(msg)
    return output


def check_writeable(output: np.ndarray) -> None:
    if not output.flags.writeable:
        msg = "output array is read-only."
        raise ValueError(msg)


def without_zero_strides(array) -> np.ndarray:
    """``array`` for scipy's footprint kernels, which misread a view that repeats samples
    through zero strides (a broadcast array): copied then."""
    array = np.asarray(array)
    return np.ascontiguousarray(array) if 0 in array.strides and array.size > 1 else array


def kernel_dtype(dtype: np.dtype) -> bool:
    """Whether the compiled kernels read and write this dtype (else the call goes to scipy)."""
    if not dtype.isnative:
        return False
    if dtype.kind == "b":
        return True
    if dtype.kind in "ui":
        return dtype.itemsize in (1, 2, 4, 8)
    return dtype.kind == "f" and dtype.itemsize in (4, 8)


def in_native_order(array: np.ndarray) -> np.ndarray:
    """``array``, or its samples copied into the machine's byte order where that gives a dtype
    the kernels read (data from big-endian files): one copy costs far less than scipy's
    single-threaded path, and the values, so the results, are the same."""
    native = array.dtype.newbyteorder("=")
    if array.dtype.isnative or not kernel_dtype(native):
        return array
    return array.astype(native)


def supported_by_kernels(input: np.ndarray, output) -> bool:
    """Whether the input's dtype (in native byte order: see :func:`in_native_order`) and the
    requested output's dtype both have a compiled path."""
    if not kernel_dtype(input.dtype.newbyteorder("=")):
        return False
    if output is None:
        return True
    try:
        dtype = np.dtype(output) if isinstance(output, type | np.dtype | str) else output.dtype
    except (TypeError, AttributeError):
        return False
    return isinstance(dtype, np.dtype) and kernel_dtype(dtype)
