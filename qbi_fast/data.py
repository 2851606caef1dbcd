"""Synthetic test data: the embedded default data of the demo, the tests and the benchmarks.

``foam`` is a seeded grey-value volume; ``striped_sinograms`` seeded tomography sinograms with
ring (stripe) artefacts, together with their artefact-free version.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

__all__ = ["foam", "striped_sinograms"]

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


# --------------------------------------------------------------------------------------------
# sinograms with stripe artefacts

_BACKGROUND = 0.85  # transmission outside the sample (sample holder, air, filters)
_ATTENUATION = 0.95  # attenuation per unit length of the sample body (unit: half the detector)
_MIN_COLUMNS = 32  # room for every kind of stripe, each a few columns apart


def _add_ellipse_projection(projection, cos_t, sin_t, theta, s, ellipse):
    """Add the parallel-beam projection of a uniform ellipse to ``projection`` (angles x
    columns): the length of each ray inside it, times its density.

    ``ellipse`` is (x0, y0, a, b, phi, rho): centre, semi-axes, rotation of the ``a`` axis and
    density; ``s`` holds the (evenly spaced) detector positions. A ray at angle theta and signed
    distance s from the origin meets the ellipse along a chord of length
    2 a b sqrt(r2 - t^2) / r2, where t = s - (x0 cos theta + y0 sin theta) and
    r2 = (a cos(theta - phi))^2 + (b sin(theta - phi))^2 is the squared half-width of its
    shadow. Only a window of columns around the shadow is computed at each angle.
    """
    x0, y0, a, b, phi, rho = ellipse
    n_angles, n_columns = projection.shape
    centre = x0 * cos_t + y0 * sin_t
    r2 = (a * np.cos(theta - phi)) ** 2 + (b * np.sin(theta - phi)) ** 2
    half = np.sqrt(r2)
    step = s[1] - s[0]
    width = min(n_columns, int(np.ceil(2.0 * half.max() / step)) + 2)
    first = np.floor((centre - half - s[0]) / step).astype(np.intp)
    first = np.clip(first, 0, n_columns - width)
    cols = first[:, None] + np.arange(width)  # distinct columns in each row
    t = s[cols] - centre[:, None]
    chord = np.sqrt(np.maximum(r2[:, None] - t * t, 0.0))
    chord *= (2.0 * rho * a * b / r2)[:, None]
    projection[np.arange(n_angles)[:, None], cols] += chord


def _phantom(rng):
    """A sample made of ellipses: a body, dense inclusions and pores, plus how each moves from the
    first to the last detector row (centre drift, relative size change)."""
    body = (0.03, -0.02, 0.74, 0.58, rng.uniform(0, np.pi), 1.0)
    ellipses = [body]
    for i in range(9):
        # centres well inside the body, so features stay inside it in every row
        radius, angle = 0.45 * np.sqrt(rng.uniform()), rng.uniform(0, 2 * np.pi)
        x0, y0 = 0.03 + radius * np.cos(angle), -0.02 + 0.75 * radius * np.sin(angle)
        a, b = rng.uniform(0.03, 0.13, size=2)
        rho = rng.uniform(0.8, 1.6) if i % 3 == 0 else -rng.uniform(0.2, 0.4)
        ellipses.append((x0, y0, a, b, rng.uniform(0, np.pi), rho))
    ellipses = np.array(ellipses)
    drift = rng.uniform(-0.05, 0.05, size=(len(ellipses), 2))
    drift[0] = 0.0
    growth = rng.uniform(-0.2, 0.2, size=len(ellipses))
    growth[0] = -0.08
    return ellipses, drift, growth


def _stripe_layout(rng, n_columns, stripes, dead, large):
    """Where the artefacts go: a list of (kind, first column, width) in random order across the
    detector, with at least two clean columns between any two artefacts and none in the outer
    5 % of columns (at least two)."""
    kinds = []
    if stripes:
        kinds += ["narrow"] * max(3, n_columns // 40) + ["partial"]
    if large:
        kinds.append("large")
    if dead:
        kinds += ["dead_constant", "dead_fluctuating"]
    kinds = [kinds[k] for k in rng.permutation(len(kinds))]
    widths = {"partial": 1, "large": max(3, n_columns // 80), "dead_constant": 1}
    widths["dead_fluctuating"] = 1
    sizes = [int(rng.integers(1, 3)) if kind == "narrow" else widths[kind] for kind in kinds]
    margin = max(2, int(0.05 * n_columns))
    spare = n_columns - 2 * margin - sum(sizes) - 2 * (len(kinds) + 1)
    if spare < 0:
        msg = f"n_columns={n_columns} leaves too little room for the requested stripes"
        raise ValueError(msg)
    # the spare columns go to the gaps between artefacts, at random
    extra = rng.multinomial(spare, np.full(len(kinds) + 1, 1.0 / (len(kinds) + 1)))
    layout = []
    column = margin
    for kind, size, more in zip(kinds, sizes, extra, strict=False):
        column += 2 + int(more)
        layout.append((kind, column, size))
        column += size
    return layout


def _artefacts(rng, n_angles, n_columns, stripes, dead, large):
    """The detector's errors, fixed for all rows: (kind, column slice, angle slice, error) with
    error the relative gain error (an array across a large stripe's columns), the constant
    reading of an unresponsive column or the relative scatter of a fluctuating one."""
    artefacts = []
    every_angle = slice(0, n_angles)
    for kind, first, width in _stripe_layout(rng, n_columns, stripes, dead, large):
        cols = slice(first, first + width)
        sign = 1.0 if rng.uniform() < 0.5 else -1.0
        if kind == "narrow":
            artefacts.append((kind, cols, every_angle, sign * rng.uniform(0.02, 0.10)))
        elif kind == "partial":
            length = max(1, n_angles // 3)
            start = int(rng.integers(0, n_angles - length + 1))
            angles = slice(start, start + length)
            artefacts.append((kind, cols, angles, sign * rng.uniform(0.04, 0.10)))
        elif kind == "large":
            error = -rng.uniform(0.08, 0.15) + rng.uniform(-0.01, 0.01, size=width)
            artefacts.append((kind, cols, every_angle, error))
        elif kind == "dead_constant":
            artefacts.append((kind, cols, every_angle, rng.uniform(0.3, 0.7)))
        else:
            artefacts.append((kind, cols, every_angle, 0.25))
    return artefacts


def striped_sinograms(
    n_angles=720,
    n_columns=400,
    n_rows=None,
    seed=0,
    *,
    noise=0.01,
    stripes=True,
    dead=True,
    large=True,
    return_clean=False,
):
    """Seeded synthetic sinograms with the stripe artefacts that become rings in tomography.

    The data are flat-field-corrected transmissions (``exp(-projection)``, times a background
    transmission of 0.85) of a sample made of ellipses: a body, dense inclusions and pores, whose
    parallel-beam projections over 180 degrees (``n_angles`` angles, endpoint excluded) are
    computed analytically. Values lie in (0, 1], mostly between 0.2 and 0.85; the axes are
    (angles, columns), angles first, as ring-removal methods expect.

    Shape rule: ``n_rows=None`` (the default) gives one sinogram, shaped
    ``(n_angles, n_columns)``; an integer ``n_rows`` (1 included) gives a projection stack shaped
    ``(n_angles, n_rows, n_columns)``, where ``stack[:, m, :]`` is the sinogram of detector row
    ``m``. The sample changes slowly from row to row (features drift and change size).

    Artefacts are per-column detector errors, the same columns in every row:

    - ``stripes``: ``max(3, n_columns // 40)`` narrow stripes, 1 or 2 columns wide, whose gain
      is off by 2-10 % (up or down), and one partial stripe, a column whose gain is off by
      4-10 % only over a third of the angles;
    - ``large``: one large stripe, ``max(3, n_columns // 80)`` columns wide, whose gain is low by
      8-15 % (varying by about 1 % across its columns);
    - ``dead``: one unresponsive column that reads a constant value, and one fluctuating column
      whose readings scatter by 25 % around the true value.

    Gain errors vary by up to 20 % of their size from row to row (their sign and columns stay).
    ``noise`` is the standard deviation of gaussian noise relative to the square root of the
    transmission (photon-counting like; ``noise * sqrt(T)``), added before the detector errors.
    Stripe-detecting methods need some noise (they refuse noise-free data).

    Returns a float32 array, or with ``return_clean=True`` the pair ``(striped, clean)``, where
    ``clean`` is what a perfect detector would have measured: the same noisy transmissions
    without the gain errors and dead columns. The same arguments give the same bytes on every
    run. Any of the artefact kinds may be switched off; all off gives ``striped == clean``, and
    ``clean`` does not depend on which kinds are on.
    """
    n_angles, n_columns = int(n_angles), int(n_columns)
    if n_angles < 2:
        msg = f"n_angles must be at least 2; got {n_angles!r}"
        raise ValueError(msg)
    if n_columns < _MIN_COLUMNS:
        msg = f"n_columns must be at least {_MIN_COLUMNS}; got {n_columns!r}"
        raise ValueError(msg)
    if n_rows is not None and int(n_rows) < 1:
        msg = f"n_rows must be None or a positive integer; got {n_rows!r}"
        raise ValueError(msg)
    if not noise >= 0:
        msg = f"noise must be non-negative; got {noise!r}"
        raise ValueError(msg)

    # independent streams: the sample, the noise and the detector's errors, so that the clean
    # data do not depend on which artefacts are switched on
    sample_rng, noise_rng, detector_rng = np.random.default_rng(seed).spawn(3)
    ellipses, drift, growth = _phantom(sample_rng)
    artefacts = _artefacts(detector_rng, n_angles, n_columns, stripes, dead, large)
    rows = 1 if n_rows is None else int(n_rows)

    theta = np.pi * np.arange(n_angles) / n_angles
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    s = (np.arange(n_columns) + 0.5) * (2.0 / n_columns) - 1.0
    clean = np.empty((n_angles, rows, n_columns), dtype=np.float64)
    striped = np.empty_like(clean)
    for m in range(rows):
        z = m / (rows - 1) if rows > 1 else 0.0  # 0 in the first row, 1 in the last
        projection = np.zeros((n_angles, n_columns))
        for (x0, y0, a, b, phi, rho), (dx, dy), g in zip(ellipses, drift, growth, strict=True):
            scale = 1.0 + g * z
            ellipse = (x0 + dx * z, y0 + dy * z, a * scale, b * scale, phi, rho)
            _add_ellipse_projection(projection, cos_t, sin_t, theta, s, ellipse)
        transmission = _BACKGROUND * np.exp(-_ATTENUATION * projection)
        measured = transmission + noise * np.sqrt(transmission) * noise_rng.standard_normal(
            transmission.shape
        )
        measured = np.clip(measured, 1e-3, 1.0)
        clean[:, m, :] = measured

        gain = np.ones((n_angles, n_columns))
        out = measured.copy()
        for kind, cols, angles, error in artefacts:
            wobble = 1.0 + 0.2 * (2.0 * detector_rng.uniform() - 1.0)  # row-to-row change
            if kind in ("narrow", "partial", "large"):
                gain[angles, cols] *= 1.0 + error * wobble
        out *= gain
        for kind, cols, _, error in artefacts:
            if kind == "dead_constant":
                out[:, cols] = error
            elif kind == "dead_fluctuating":
                out[:, cols] *= 1.0 + error * detector_rng.standard_normal((n_angles, 1))
        striped[:, m, :] = np.clip(out, 1e-3, 1.0)

    if n_rows is None:
        clean, striped = clean[:, 0, :], striped[:, 0, :]
    striped = striped.astype(np.float32)
    if return_clean:
        return striped, clean.astype(np.float32)
    return striped
