"""Test data shared by the test suite (pytest's importlib mode keeps test modules from importing
each other): the dtypes the kernels take, scipy's filter modes, and seeded arrays full of ties
and extreme values. Private: not part of the API."""

from __future__ import annotations

import numpy as np

# Every dtype the compiled kernels read and write.
KERNEL_DTYPES = [
    "bool",
    "uint8",
    "int8",
    "uint16",
    "int16",
    "uint32",
    "int32",
    "uint64",
    "int64",
    "float32",
    "float64",
]

# scipy.ndimage's filter boundary modes, grid-* aliases included.
FILTER_MODES = [
    "reflect",
    "constant",
    "nearest",
    "mirror",
    "wrap",
    "grid-wrap",
    "grid-mirror",
    "grid-constant",
]


def random_array(shape, dtype, seed=0) -> np.ndarray:
    """Seeded data with many ties as well as values over the dtype's range (integers: small ones,
    negative where signed, and the full range; floats: small integers, moderate values and
    magnitudes over many decades)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    pick = rng.random(size=shape)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        full = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
        small = rng.integers(max(info.min, -9), 10, size=shape).astype(dtype)
        return np.where(pick < 0.5, small, full)
    decades = 30 if dtype == np.float32 else 250
    ties = rng.integers(-4, 5, size=shape).astype(np.float64)
    moderate = rng.standard_normal(size=shape) * 100.0
    extreme = rng.standard_normal(size=shape) * 10.0 ** rng.uniform(-decades, decades, size=shape)
    return np.where(pick < 0.3, ties, np.where(pick < 0.8, moderate, extreme)).astype(dtype)


def hypothesis_settings(max_examples: int):
    """The suite's hypothesis settings: fixed examples on every run (derandomised, no example
    database), no deadline, slow or large examples allowed."""
    from hypothesis import HealthCheck, settings

    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Filters with small windows for 1-d, 2-d and size-1-axis cases of chunked runs (blocks, dask):
# (id, name in qbi_fast.ndimage, positional arguments, keyword arguments).
SMALL_WINDOW_CASES = [
    ("gaussian", "gaussian_filter", (), {"sigma": 1.0, "truncate": 2.0}),
    ("gaussian1d", "gaussian_filter1d", (0.8,), {"axis": 0, "order": 1}),
    ("median", "median_filter", (), {"size": 3}),
    ("rank", "rank_filter", (1,), {"size": 4, "origin": -1}),
    ("percentile", "percentile_filter", (60,), {"size": 2}),
    ("minimum", "minimum_filter", (), {"size": 4, "origin": 1}),
    ("maximum1d", "maximum_filter1d", (3,), {"axis": -1, "origin": 1}),
    ("grey-dilation", "grey_dilation", (), {"size": 2}),
    ("grey-closing", "grey_closing", (), {"size": 3}),
]


# Invalid arguments a chunked run (blocks, dask) must refuse with the exception and message of
# the call on the whole array, on a 2-d array: (id, name in qbi_fast.ndimage, positional
# arguments, keyword arguments).
INVALID_ARGUMENT_CASES = [
    ("no-window", "grey_erosion", (), {}),
    ("sigma-per-axis", "gaussian_filter", ([1.0, 2.0, 3.0],), {}),
    ("size-per-axis", "median_filter", (), {"size": [2, 2, 2]}),
    ("footprint-rank", "grey_dilation", (), {"footprint": np.ones((3, 3, 3))}),
    ("size-zero", "minimum_filter1d", (0,), {}),
    ("origin", "maximum_filter", (), {"size": 3, "origin": [0, 5]}),
    ("axis", "gaussian_filter1d", (1.0,), {"axis": 2}),
    ("axes", "median_filter", (), {"size": 3, "axes": (0, 5)}),
    ("mode", "percentile_filter", (50,), {"size": 3, "mode": "bogus"}),
]


def asymmetric_footprint(shape, seed) -> np.ndarray:
    """A seeded boolean footprint that is not symmetric under reflection (so that origins and
    the reflection in dilation matter)."""
    rng = np.random.default_rng(seed)
    while True:
        footprint = rng.random(shape) < 0.55
        footprint[(0,) * len(shape)] = True
        if not np.array_equal(footprint, footprint[(slice(None, None, -1),) * len(shape)]):
            return footprint


# Rank, minimum, maximum and grey filters with sizes, footprints, structures and origins, run in
# every mode by the chunked tests (blocks, dask): (id, name in qbi_fast.ndimage, positional
# arguments, keyword arguments). Each test file adds cases of its own.
MODE_FOOTPRINT = asymmetric_footprint((2, 3, 3), seed=2)  # valid origins: (-1..0, -1..1, -1..1)
MODE_STRUCTURE = np.random.default_rng(3).integers(-3, 4, size=(3, 3, 2)).astype(np.float64)
MODE_WINDOW_CASES = [
    ("median", "median_filter", (), {"size": 3}),
    ("median-size-origin", "median_filter", (), {"size": (2, 3, 4), "origin": (-1, 1, -2)}),
    ("median-axes", "median_filter", (), {"size": (3, 4), "axes": (0, 2)}),
    ("rank-footprint", "rank_filter", (3,), {"footprint": MODE_FOOTPRINT}),
    ("rank-size", "rank_filter", (-2,), {"size": (3, 1, 4), "origin": (1, 0, 1)}),
    ("percentile", "percentile_filter", (30,), {"size": 3, "origin": -1}),
    ("minimum", "minimum_filter", (), {"size": (2, 3, 4), "origin": (0, -1, 1)}),
    ("minimum-axes-unsorted", "minimum_filter", (),
     {"size": (4, 2), "origin": (1, 0), "axes": (2, 1)}),
    ("maximum-footprint", "maximum_filter", (),
     {"footprint": MODE_FOOTPRINT, "origin": (-1, 1, 0)}),
    ("minimum1d", "minimum_filter1d", (4,), {"axis": 0, "origin": 1}),
    ("maximum1d", "maximum_filter1d", (3,), {"origin": -1}),
    ("grey-erosion", "grey_erosion", (), {"size": (3, 2, 3)}),
    ("grey-erosion-structure", "grey_erosion", (),
     {"structure": MODE_STRUCTURE, "origin": (0, 1, -1)}),
    ("grey-opening", "grey_opening", (), {"size": (2, 3, 3)}),
    ("grey-closing-footprint", "grey_closing", (),
     {"footprint": MODE_FOOTPRINT, "origin": (0, -1, 1)}),
]


def short_last_axis_array(layout: str, dtype) -> np.ndarray:
    """Seeded data whose last (most contiguous) axis is short, the layouts for which kernels
    reorder the axes: ``channels-last`` (20, 31, 3), ``short-rows-2d`` (40, 5), ``narrow-view``
    and ``strided-narrow-view`` (views of wider arrays)."""
    if layout == "channels-last":
        return random_array((20, 31, 3), dtype, seed=3)
    if layout == "short-rows-2d":
        return random_array((40, 5), dtype, seed=4)
    if layout == "narrow-view":
        return random_array((9, 30, 40), dtype, seed=5)[:, :, 3:10]
    return random_array((9, 60, 20), dtype, seed=6)[:, ::2, ::5]


SHORT_LAST_AXIS_LAYOUTS = ["channels-last", "short-rows-2d", "narrow-view", "strided-narrow-view"]
