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
