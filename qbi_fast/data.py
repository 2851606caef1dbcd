"""Synthetic test volumes: the embedded default data of the demo, the tests and the benchmarks."""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

__all__ = ["foam"]

_SOLID = 200.0  # grey value of the matrix
_PORE = 15.0  # grey value inside a bubble (1 - x > 0.9 there, for x = foam / 255)
_NOISE = 10.0  # standard deviation of the additive noise, in grey values
_BLUR = 1.0  # sigma of the point-spread blur, in voxels


def foam(shape=(100, 400, 400), seed=0, *, porosity=0.45, radius_range=(6.0, 26.0)):
    """A seeded synthetic foam: dark spherical bubbles that overlap, in a bright solid matrix,
    blurred and noisy, as uint8.

    Bubble centres are uniform over the volume (bubbles may be cut by its faces) and radii uniform
    in ``radius_range`` voxels; bubbles are added until the pore fraction reaches ``porosity``.
    The same ``shape`` and ``seed`` give the same bytes on every run.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or min(shape) < 1:
        msg = f"shape must be three positive lengths; got {shape!r}"
        raise ValueError(msg)
    r_min, r_max = (float(r) for r in radius_range)
    if not 0 < r_min <= r_max:
        msg = f"radius_range must satisfy 0 < min <= max; got {radius_range!r}"
        raise ValueError(msg)
    if not 0 <= porosity < 1:
        msg = f"porosity must be in [0, 1); got {porosity!r}"
        raise ValueError(msg)

    rng = np.random.default_rng(seed)
    pores = np.zeros(shape, dtype=bool)
    target = porosity * pores.size
    n_pore = 0
    while n_pore < target:
        centre = rng.uniform(0, shape)
        r = rng.uniform(r_min, r_max)
        lo = np.maximum(np.floor(centre - r).astype(int), 0)
        hi = np.minimum(np.ceil(centre + r).astype(int) + 1, shape)
        if np.any(hi <= lo):
            continue
        box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
        z, y, x = np.ogrid[box]
        ball = (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2 <= r * r
        region = pores[box]
        n_pore += np.count_nonzero(ball & ~region)
        region |= ball

    grey = np.where(pores, np.float32(_PORE), np.float32(_SOLID))
    grey = ndi.gaussian_filter(grey, _BLUR)
    grey += rng.normal(0.0, _NOISE, size=shape).astype(np.float32)
    return np.clip(np.rint(grey), 0, 255).astype(np.uint8)
