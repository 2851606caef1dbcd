"""Stripe detection: Algorithm 4 of Vo et al. 2018, as algotom.util.utility.detect_stripe."""

from __future__ import annotations

import numpy as np

from .._dispatch import accepts_dask
from ._sinogram import MIN_COLUMNS

__all__ = ["detect_stripe"]


@accepts_dask("local")
def detect_stripe(list_data, snr):
    """Locate stripes in a normalised per-column profile (Vo et al. 2018, algorithm 4): a 0/1
    float32 mask of the columns whose value lies beyond the noise band.

    The sorted profile's middle half is fitted by a line; its rise over the profile is the noise
    level. Columns above ``end + snr * noise / 2`` (or at or below ``start - snr * noise / 2``)
    are stripes, provided the profile's extreme on that side lies at least ``snr`` noise levels
    beyond the line. ``snr`` > 1: greater is less sensitive.

    ``list_data`` is 1-d, or n-d with one profile per last-axis line. Raises ValueError on
    noise-free profiles (as algotom does), on NaN or infinity and on profiles of fewer than 5
    points.
    """
    data = np.asarray(list_data)
    if data.ndim == 0:
        msg = "list_data must have at least one dimension"
        raise ValueError(msg)
    if not np.isfinite(data).all():
        msg = "list_data holds NaN or infinity"
        raise ValueError(msg)
    lines = data.reshape(-1, data.shape[-1])
    mask = np.zeros(lines.shape, np.float32)
    for line, line_mask in zip(lines, mask, strict=True):
        line_mask[:] = _detect_line(line, snr)
    return mask.reshape(data.shape)


def _detect_line(line: np.ndarray, snr) -> np.ndarray:
    n = line.shape[0]
    if n < MIN_COLUMNS:
        msg = f"stripe detection needs at least {MIN_COLUMNS} points; got {n}"
        raise ValueError(msg)
    ordered = np.sort(line)
    x = np.arange(0, n, 1.0)
    drop = int(0.25 * n)
    slope, intercept = np.polyfit(x[drop : -drop - 1], ordered[drop : -drop - 1], 1)[:2]
    end = intercept + slope * x[-1]
    noise = np.abs(end - intercept)
    if noise < 1.0e-5:
        msg = (
            "The method doesn't work on noise-free data. If you apply the method on "
            "simulated data, please add noise!"
        )
        raise ValueError(msg)
    mask = np.zeros(n, np.float32)
    if np.abs(ordered[-1] - end) / noise >= snr:
        mask[line > end + noise * snr * 0.5] = 1.0
    if np.abs(intercept - ordered[0]) / noise >= snr:
        mask[line <= intercept - noise * snr * 0.5] = 1.0
    return mask
