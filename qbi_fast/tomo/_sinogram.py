"""What every stripe-removal method shares: reading a sinogram or a projection stack into the
(angles, rows, columns) float array the methods work on, writing the result back, and the
sort / median / unsort steps of Vo's methods on compiled kernels."""

from __future__ import annotations

import operator

import numpy as np

from .. import _core

MIN_ANGLES = 2
MIN_COLUMNS = 5  # the stripe detection fits a line through the middle of >= 5 sorted points


class Sinograms:
    """A sinogram (angles, columns) or a stack of them (angles, rows, columns), held as
    ``data``: a C-contiguous (angles, rows, columns) float32 or float64 array that may be the
    caller's own array, so it is only ever read.

    Float64 input is worked on in float64; every other real dtype in float32 (as algotom does).
    NaN or infinity raise ValueError, here or (``check_finite=False``, for a method whose first
    step is the column sort, which checks as it reads) in that sort.
    ``out``, if given, must have the input's shape and the working dtype; it may be the input.
    """

    def __init__(self, sinogram, out=None, name: str = "sinogram", check_finite: bool = True):
        x = np.asarray(sinogram)
        if x.dtype.kind not in "biuf":
            msg = f"{name} must hold real numbers; got dtype {x.dtype}"
            raise TypeError(msg)
        if x.ndim not in (2, 3):
            msg = (
                f"{name} must be 2-d (angles, columns) or 3-d (angles, rows, columns); "
                f"got shape {x.shape}"
            )
            raise ValueError(msg)
        n_angles, n_columns = x.shape[0], x.shape[-1]
        if n_angles < MIN_ANGLES or n_columns < MIN_COLUMNS or x.size == 0:
            msg = (
                f"{name} of shape {x.shape} is too small: it needs at least {MIN_ANGLES} "
                f"angles (axis 0), {MIN_COLUMNS} columns (last axis) and one row"
            )
            raise ValueError(msg)
        self.shape = x.shape
        native = x.dtype.newbyteorder("=")  # float64 in either byte order stays float64
        self.dtype = np.dtype(np.float64 if native == np.float64 else np.float32)
        stack = x[:, None, :] if x.ndim == 2 else x
        self.data = np.ascontiguousarray(stack, dtype=self.dtype)
        if check_finite and not np.isfinite(self.data).all():
            msg = f"{name} holds NaN or infinity; clean or mask such samples first"
            raise ValueError(msg)
        self.out = self.given_out = None
        if out is not None:
            if not isinstance(out, np.ndarray):
                msg = f"out must be a numpy array; got {type(out).__name__}"
                raise TypeError(msg)
            if out.shape != x.shape or out.dtype != self.dtype:
                msg = (
                    f"out must have shape {x.shape} and dtype {self.dtype}; "
                    f"got shape {out.shape} and dtype {out.dtype}"
                )
                raise ValueError(msg)
            if not out.flags.writeable:
                msg = "out is read-only"
                raise ValueError(msg)
            self.given_out = out
            self.out = out[:, None, :] if out.ndim == 2 else out
            if np.may_share_memory(self.out, self.data) and not (
                    self.out.__array_interface__["data"] == self.data.__array_interface__["data"]
                    and self.out.strides == self.data.strides):
                # out overlaps the input without being it: results would overwrite samples
                # still to be read
                self.data = self.data.copy()

    def destination(self) -> np.ndarray:
        """A C-contiguous array for the result: ``out`` itself where possible. Only for a
        method that has finished reading ``data`` before it writes (``out`` may be the input)."""
        if self.out is not None and self.out.flags.c_contiguous:
            return self.out
        return np.empty(self.data.shape, self.dtype)

    def finish(self, result: np.ndarray) -> np.ndarray:
        """The (angles, rows, columns) result in the caller's shape, in ``out`` if given."""
        if self.out is None:
            return result.reshape(self.shape)
        if result is not self.out:
            np.copyto(self.out, result, casting="unsafe")
        return self.given_out


def positive_int(value, name: str) -> int:
    try:
        n = operator.index(value)
    except TypeError:
        msg = f"{name} must be an integer; got {value!r}"
        raise TypeError(msg) from None
    if n < 1:
        msg = f"{name} must be at least 1; got {n}"
        raise ValueError(msg)
    return n


def window_dim(dim) -> int:
    if dim not in (1, 2):
        msg = f"dim must be 1 (median across columns) or 2 (across columns and angles); got {dim!r}"
        raise ValueError(msg)
    return int(dim)


def sort_angles(data: np.ndarray, n_threads: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (row, column) line of ``data`` sorted along the angles (stable), and for each
    sorted sample the angle it came from (int32, shape (angles, rows * columns))."""
    matrix = data.reshape(data.shape[0], -1)
    ordered = np.empty_like(matrix)
    angle_of = np.empty(matrix.shape, np.int32)
    if not _core.sort_columns(matrix, ordered, angle_of, n_threads):
        msg = "sinogram holds NaN or infinity; clean or mask such samples first"
        raise ValueError(msg)
    return ordered.reshape(data.shape), angle_of


# Stacks are sorted, filtered and put back a few rows at a time, through scratch arrays of about
# this size: allocated once per call, and small enough to stay in cache between the steps.
_CHUNK_BYTES = 4 << 20


def filter_sorted(data: np.ndarray, smooth, n_threads: int, destination: np.ndarray) -> np.ndarray:
    """For every sinogram: sort each column along the angles, apply ``smooth(ordered)`` (which
    overwrites its (angles, rows, columns) argument), put the values back where they came from,
    into ``destination`` (C-contiguous, may be ``data`` itself)."""
    n_angles, n_rows, n_columns = data.shape
    step = max(1, min(n_rows, _CHUNK_BYTES // (n_angles * n_columns * data.itemsize)))
    ordered_space = np.empty(n_angles * step * n_columns, data.dtype)
    angle_of_space = np.empty(n_angles * step * n_columns, np.int32)
    for first in range(0, n_rows, step):
        rows = slice(first, min(n_rows, first + step))
        width = (rows.stop - rows.start) * n_columns
        ordered = ordered_space[: n_angles * width].reshape(n_angles, width)
        angle_of = angle_of_space[: n_angles * width].reshape(n_angles, width)
        if not _core.sort_columns(data[:, rows].reshape(n_angles, width), ordered, angle_of,
                                  n_threads):
            msg = "sinogram holds NaN or infinity; clean or mask such samples first"
            raise ValueError(msg)
        smooth(ordered.reshape(n_angles, -1, n_columns))
        _core.unsort_columns(ordered, angle_of, destination[:, rows].reshape(n_angles, width),
                             n_threads)
    return destination


def unsort_angles(values: np.ndarray, angle_of: np.ndarray, n_threads: int,
                  destination: np.ndarray | None = None) -> np.ndarray:
    """Undo :func:`sort_angles`: each value goes back to the angle it was sorted from."""
    if destination is None:
        destination = np.empty_like(values)
    _core.unsort_columns(values.reshape(angle_of.shape), angle_of,
                         destination.reshape(angle_of.shape), n_threads)
    return destination


def median_across_columns(data: np.ndarray, size: int, dim: int, n_threads: int,
                          in_place: bool = False) -> np.ndarray:
    """scipy.ndimage.median_filter of each sinogram with window (1, size) or, for dim=2,
    (size, size), mode 'reflect'. Values equal scipy's (data holds no NaN). ``in_place``
    allows the result to overwrite ``data`` (a scratch array of the caller's)."""
    reflect = 2  # qbi::Mode::Reflect
    if dim == 1:  # a running median along each contiguous row, in place if allowed
        result = data if in_place else np.empty_like(data)
        _core.median_along_rows(data.reshape(-1, data.shape[2]),
                                result.reshape(-1, data.shape[2]), size, reflect, n_threads)
        return result
    result = np.empty_like(data)
    footprint = np.ones((size, 1, size), np.uint8)
    _core.rank_filter(data, result, footprint, [0, 0, 0], footprint.size // 2, reflect, 0.0,
                      False, False, n_threads)
    return result


def median_along_columns(lines: np.ndarray, size: int, n_threads: int) -> np.ndarray:
    """scipy.ndimage.median_filter(line, size) for each row of a (rows, columns) array."""
    return median_across_columns(lines[None], size, 1, n_threads)[0]


def dilate_columns(mask: np.ndarray) -> np.ndarray:
    """scipy.ndimage.binary_dilation(line) (structure [1, 1, 1]) of each row of a 0/1 mask,
    as a bool array."""
    hit = mask > 0
    grown = hit.copy()
    grown[:, 1:] |= hit[:, :-1]
    grown[:, :-1] |= hit[:, 1:]
    return grown
