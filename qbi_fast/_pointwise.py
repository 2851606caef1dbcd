"""Functions of each sample alone, for pipelines: their halo is zero, and they run on slabs of
the first axis in parallel where that pays."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._threads import resolve_workers

__all__ = ["invert", "threshold"]


def _split_rows(func: Callable, x: np.ndarray, workers) -> np.ndarray:
    """``func`` of each sample, computed on slabs of the first axis by ``workers`` threads
    (numpy releases the GIL in its loops)."""
    n = resolve_workers(workers)
    if x.ndim == 0 or n == 1 or x.size < (1 << 20):
        return func(x)
    first = func(x[:1])
    result = np.empty(x.shape, first.dtype)
    bounds = np.linspace(0, x.shape[0], min(n, x.shape[0]) + 1).astype(int)

    def part(i):
        result[bounds[i]:bounds[i + 1]] = func(x[bounds[i]:bounds[i + 1]])

    with ThreadPoolExecutor(len(bounds) - 1) as pool:
        list(pool.map(part, range(len(bounds) - 1)))
    return result


def invert(input, maximum=None, *, workers=None):
    """``1 - input / maximum``: the image as its complement in [0, 1]. ``maximum`` defaults to
    the largest value of an integer dtype and to 1 for floats. float64 stays float64, everything
    else becomes float32."""
    x = np.asarray(input)
    if x.dtype.kind not in "iuf":
        msg = f"invert needs a real numeric array; got dtype {x.dtype}"
        raise TypeError(msg)
    dtype = np.float64 if x.dtype == np.float64 else np.float32
    if maximum is None:
        maximum = np.iinfo(x.dtype).max if x.dtype.kind in "iu" else 1
    scale = dtype(maximum)

    def complement(a):
        result = np.divide(a, scale, dtype=dtype)
        return np.subtract(dtype(1), result, out=result)

    return _split_rows(complement, x, workers)


def threshold(input, value, above=True, *, workers=None):
    """``input > value`` (or ``input < value`` with ``above=False``), as bool. One thread:
    the comparison runs at memory speed already (``workers`` is accepted for uniformity)."""
    if not isinstance(above, bool | np.bool_):  # a TOML "no" would otherwise count as true
        msg = f"threshold: above must be true or false; got {above!r}"
        raise TypeError(msg)
    x = np.asarray(input)
    return x > value if above else x < value
