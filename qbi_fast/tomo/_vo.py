"""Vo et al. 2018 (Optics Express 26(22), 28396): stripe removal by sorting, filtering and
fitting, and the detection-based removal of large and dead stripes, with algotom's names,
parameters and defaults. Each sinogram is (angles, columns); a stack (angles, rows, columns) is
cleaned sinogram by sinogram, all of them in each kernel call.

The sorts, medians and un-sorts run on compiled kernels on ``workers`` threads, the Fourier
transforms in scipy.fft on as many; the per-profile steps (detection, interpolation) in numpy.
"""

from __future__ import annotations

import operator

import numpy as np
import scipy.fft
import scipy.ndimage as ndi
import scipy.signal

from .. import _core
from .._dispatch import accepts_dask
from .._threads import resolve_workers
from ._detect import detect_stripe
from ._sinogram import (
    Sinograms,
    dilate_columns,
    filter_sorted,
    median_across_columns,
    median_along_columns,
    positive_int,
    sort_angles,
    unsort_angles,
    window_dim,
)

__all__ = [
    "remove_all_stripe",
    "remove_dead_stripe",
    "remove_large_stripe",
    "remove_stripe_based_filtering",
    "remove_stripe_based_fitting",
    "remove_stripe_based_sorting",
]

# Complex intermediates of the Fourier steps are made for this many bytes of a stack at a time.
_FFT_CHUNK_BYTES = 64 << 20


def _row_chunks(n_rows: int, bytes_per_row: int):
    step = max(1, _FFT_CHUNK_BYTES // max(1, bytes_per_row))
    for start in range(0, n_rows, step):
        yield slice(start, min(n_rows, start + step))


# --- the methods on (angles, rows, columns) arrays --------------------------------------------


def _sorting(data, size, dim, n_threads, destination=None):
    def median(ordered):
        smooth = median_across_columns(ordered, size, dim, n_threads, in_place=True)
        if smooth is not ordered:  # the 2-d window cannot work in place
            ordered[...] = smooth

    if destination is None:
        destination = np.empty_like(data)
    return filter_sorted(data, median, n_threads, destination)


def _low_pass_along_angles(data, sigma, n_threads):
    """algotom's separate_frequency_component along the angles: reflect-pad, modulate by
    (-1)^n so that frequency 0 sits mid-spectrum, weight by a Gaussian window, demodulate."""
    n_angles = data.shape[0]
    pad = min(150, int(0.1 * n_angles))
    length = n_angles + 2 * pad
    window = scipy.signal.windows.gaussian(length, sigma)[:, None, None]
    sign = np.power(-1.0, np.arange(length))[:, None, None]
    low = np.empty_like(data)
    bytes_per_row = length * data.shape[2] * 16
    for rows in _row_chunks(data.shape[1], bytes_per_row):
        padded = np.pad(data[:, rows], ((pad, pad), (0, 0), (0, 0)), mode="reflect")
        spectrum = scipy.fft.fft(padded * sign, axis=0, workers=n_threads)
        spectrum *= window
        smooth = scipy.fft.ifft(spectrum, axis=0, workers=n_threads).real * sign
        low[:, rows] = smooth[pad : pad + n_angles]
    return low


def _filtering(data, sigma, size, dim, sort, n_threads):
    smooth = _low_pass_along_angles(data, sigma, n_threads)
    sharp = data - smooth
    if sort:
        smooth = _sorting(smooth, size, dim, n_threads)
    else:
        smooth = median_across_columns(smooth, size, dim, n_threads, in_place=True)
    smooth += sharp
    return smooth


def _savgol_along_angles(data, order, num_chunk, n_threads):
    """scipy.signal.savgol_filter(data, length, order, axis=0, mode='mirror') with algotom's
    window length (the angles per chunk, made odd), on the compiled correlation kernel. The
    coefficients are symmetrised (they are symmetric up to rounding) so the kernel takes them."""
    length = data.shape[0] // num_chunk
    length = length if length % 2 == 1 else length - 1
    coefficients = scipy.signal.savgol_coeffs(length, order)
    weights = np.ascontiguousarray(0.5 * (coefficients + coefficients[::-1]))
    fitted = np.empty_like(data)
    mirror = 3  # qbi::Mode::Mirror
    if not _core.correlate1d_symmetric(data, fitted, 0, weights, mirror, 0.0, n_threads):
        ndi.correlate1d(data, weights, 0, fitted, "mirror")
    return fitted


def _gaussian_window(height, width, sigma_x, sigma_y):
    y = np.arange(height) - (height - 1.0) / 2.0
    x = np.arange(width) - (width - 1.0) / 2.0
    return np.exp(-(x[None, :] ** 2 / (2 * sigma_x**2) + y[:, None] ** 2 / (2 * sigma_y**2)))


def _fourier_gaussian(data, sigma_x, sigma_y, pad, n_threads):
    """algotom's apply_gaussian_filter on each sinogram: pad the columns by edge values and the
    angles by their mean, low-pass with a centred 2-d Gaussian window, crop. float64 result."""
    n_angles, n_rows, n_columns = data.shape
    height, width = n_angles + 2 * pad, n_columns + 2 * pad
    window = _gaussian_window(height, width, sigma_x, sigma_y)[:, None, :]
    sign = np.power(-1.0, np.arange(height)[:, None] + np.arange(width)[None, :])[:, None, :]
    result = np.empty(data.shape, np.float64)
    for rows in _row_chunks(n_rows, height * width * 16):
        padded = np.pad(data[:, rows], ((0, 0), (0, 0), (pad, pad)), mode="edge")
        padded = np.pad(padded, ((pad, pad), (0, 0), (0, 0)), mode="mean")
        spectrum = scipy.fft.fft2(padded * sign, axes=(0, 2), workers=n_threads)
        spectrum *= window
        filtered = scipy.fft.ifft2(spectrum, axes=(0, 2), workers=n_threads).real * sign
        result[:, rows] = filtered[pad : pad + n_angles, :, pad : pad + n_columns]
    return result


def _mean_magnitude_per_sinogram(data):
    """np.mean(np.abs(sinogram)) of each sinogram, as a (1, rows, 1) array. Each is summed
    from a contiguous copy, as numpy sums a lone sinogram (pairwise), so a sinogram's result
    does not depend on the stack around it."""
    levels = [np.mean(np.abs(np.ascontiguousarray(data[:, m]))) for m in range(data.shape[1])]
    return np.array(levels, dtype=data.dtype)[None, :, None]


def _fitting(data, order, sigma, sort, num_chunk, n_threads):
    n_angles, _, n_columns = data.shape
    pad = min(150, int(0.1 * n_angles))
    sigma_y = int(np.clip(min(60, int(0.1 * n_columns)), 10, None))
    angle_of = None
    if sort:
        data, angle_of = sort_angles(data, n_threads)
    fitted = _savgol_along_angles(data, order, num_chunk, n_threads)
    filtered = _fourier_gaussian(fitted, sigma, sigma_y, pad, n_threads)
    # Per sinogram: the filtered fit keeps the fit's mean magnitude.
    fit_level = _mean_magnitude_per_sinogram(fitted)
    filtered = fit_level * filtered / _mean_magnitude_per_sinogram(filtered)
    with np.errstate(divide="ignore", invalid="ignore"):
        corrected = ((data / fitted) * filtered).astype(data.dtype)
    if sort:
        corrected = unsort_angles(corrected, angle_of, n_threads)
    return corrected


def _detect_rows(profiles, snr):
    """detect_stripe of each row's profile, dilated by one column: a bool (rows, columns) mask."""
    return dilate_columns(detect_stripe(profiles, snr))


def _large(data, snr, size, drop_ratio, norm, n_threads):
    n_angles = data.shape[0]
    drop_ratio = np.clip(drop_ratio, 0.0, 0.8)
    drop = int(0.5 * drop_ratio * n_angles)
    ordered, angle_of = sort_angles(data, n_threads)
    smooth = median_across_columns(ordered, size, 1, n_threads)
    kept = slice(drop, n_angles - drop)
    level = np.mean(ordered[kept], axis=0, dtype=np.float64)
    level_smooth = np.mean(smooth[kept], axis=0, dtype=np.float64)
    factor = np.divide(level, level_smooth, out=np.ones_like(level), where=level_smooth != 0)
    stripes = _detect_rows(factor, snr)
    result = (data / factor[None]).astype(data.dtype) if norm else data.copy()
    replaced = unsort_angles(smooth, angle_of, n_threads)
    np.copyto(result, replaced, where=stripes[None])
    return result


def _interpolate_columns(data, stripes):
    """Replace the stripe columns of each sinogram by linear interpolation along the columns
    between the nearest good ones (algotom's RectBivariateSpline with kx = ky = 1), where that
    sinogram has stripes in fewer than a third of its columns."""
    result = data.copy()
    n_columns = data.shape[2]
    columns = np.arange(n_columns)
    for row, row_stripes in enumerate(stripes):
        missing = columns[row_stripes]
        if not 0 < missing.size < n_columns // 3:
            continue
        good = columns[~row_stripes]
        right = np.searchsorted(good, missing)
        left_column, right_column = good[right - 1], good[right]
        weight = (missing - left_column) / (right_column - left_column)
        left_values = data[:, row, left_column].astype(np.float64)
        right_values = data[:, row, right_column].astype(np.float64)
        result[:, row, missing] = left_values + weight * (right_values - left_values)
    return result


def _dead(data, snr, size, residual, smooth_strength, n_threads):
    smooth = ndi.uniform_filter1d(data, smooth_strength, axis=0)
    difference = np.sum(np.abs(data - smooth), axis=0)
    background = median_along_columns(difference, size, n_threads)
    mean_level = np.mean(np.abs(background), axis=1)
    # Where the background is all zero algotom divides 0 by 0, and finds no stripe in the NaN
    noisy = mean_level != 0
    background = np.where(background == 0.0, mean_level[:, None], background)
    stripes = np.zeros(difference.shape, bool)
    if noisy.any():
        stripes[noisy] = _detect_rows(difference[noisy] / background[noisy], snr)
    stripes[:, :2] = False
    stripes[:, -2:] = False
    result = _interpolate_columns(data, stripes)
    if residual:
        result = _large(result, snr, size, 0.1, True, n_threads)
    return result


# --- the public functions ---------------------------------------------------------------------

_COMMON_DOC = """
    Common parameters
    -----------------
    sinogram : array_like
        One sinogram (angles, columns) or a projection stack (angles, rows, columns), cleaned
        sinogram by sinogram (``stack[:, m, :]``). float64 is processed in float64, every other
        real dtype in float32 (as algotom does, except that its remove_dead_stripe subtracts
        integer data in its own type, which wraps). NaN or infinity raise ValueError.
    workers : int or None, keyword-only
        Threads to use (None: :func:`qbi_fast.get_workers`). The result does not depend on it.
    out : ndarray, optional, keyword-only
        Array for the result (the input's shape, dtype float32 or float64 as above); may be the
        input itself. Returned.
"""


@accepts_dask("local")
def remove_stripe_based_sorting(sinogram, size=21, dim=1, *, workers=None, out=None):
    """Remove stripes by sorting (Vo et al. 2018, algorithm 3), as algotom's function of the
    same name: sort each column along the angles, median-filter across columns (window
    (1, size), or (size, size) for ``dim=2``), put the values back where they came from.
    Removes full and partial stripes; works on flat-field-corrected (transmission) data.

    Equal to algotom's result (which is float64 holding float32 values) cast to float32. Equal
    samples of a column are sorted by angle (a stable sort) where algotom's order of equal
    samples is numpy's unstable one, so with ties the two may place the tied values' results
    differently.
    """
    n_threads = resolve_workers(workers)
    size, dim = positive_int(size, "size"), window_dim(dim)
    sinos = Sinograms(sinogram, out, check_finite=False)
    destination = sinos.destination()
    return sinos.finish(_sorting(sinos.data, size, dim, n_threads, destination))


@accepts_dask("local")
def remove_stripe_based_filtering(sinogram, sigma=3, size=21, dim=1, sort=True, *, workers=None,
                                  out=None):
    """Remove stripes by filtering (Vo et al. 2018, algorithm 2), as algotom's function: split
    each column's profile into low and high frequencies (Gaussian window of ``sigma`` in
    Fourier space along the angles), median-filter the low part across columns (after sorting
    it, if ``sort``), add the high part back.
    """
    n_threads = resolve_workers(workers)
    size, dim = positive_int(size, "size"), window_dim(dim)
    if np.isnan(sigma):  # it would fill the low-pass part with NaN (inf: a window of ones)
        msg = f"sigma must be a number; got {sigma}"
        raise ValueError(msg)
    sinos = Sinograms(sinogram, out)
    # as algotom's `if sort is True`: True itself sorts, any other value does not
    return sinos.finish(_filtering(sinos.data, sigma, size, dim, sort is True, n_threads))


@accepts_dask("local")
def remove_stripe_based_fitting(sinogram, order=2, sigma=10, sort=False, num_chunk=1, *,
                                workers=None, out=None):
    """Remove stripes by fitting (Vo et al. 2018, algorithm 1), as algotom's function: fit a
    polynomial of ``order`` along the angles of each column (Savitzky-Golay, window of the
    angles per ``num_chunk``), low-pass the fit in 2-d Fourier space (Gaussian of ``sigma``
    across columns), and scale the sinogram by filtered / fitted. Suits low-contrast stripes
    in sinograms without large jumps; optionally on the column-sorted sinogram.
    """
    n_threads = resolve_workers(workers)
    order = operator.index(order)  # algotom's savgol window refuses a float order too
    num_chunk = positive_int(num_chunk, "num_chunk")
    sinos = Sinograms(sinogram, out)
    # as algotom's `if sort is True`: True itself sorts, any other value does not
    return sinos.finish(_fitting(sinos.data, order, sigma, sort is True, num_chunk, n_threads))


@accepts_dask("local")
def remove_large_stripe(sinogram, snr=3.0, size=51, drop_ratio=0.1, norm=True, *, workers=None,
                        out=None):
    """Remove large stripes (Vo et al. 2018, algorithm 5), as algotom's function: detect
    columns whose sorted, trimmed mean departs from its median-smoothed neighbours by more
    than ``snr`` noise levels (``drop_ratio`` of the angles, half at each end, ignored), and
    replace them by the sorted-and-median-filtered values; ``norm`` first divides every column
    by that ratio.
    """
    n_threads = resolve_workers(workers)
    size = positive_int(size, "size")
    sinos = Sinograms(sinogram, out)
    return sinos.finish(_large(sinos.data, snr, size, drop_ratio, norm is True, n_threads))


@accepts_dask("local")
def remove_dead_stripe(sinogram, snr=3.0, size=51, residual=True, smooth_strength=10, *,
                       workers=None, out=None):
    """Remove dead (unresponsive or fluctuating) stripes (Vo et al. 2018, algorithm 6), as
    algotom's function: detect columns whose deviation from their ``smooth_strength``-angle
    running mean stands out, replace them by linear interpolation between the nearest good
    columns (if fewer than a third of the columns are stripes), then, if ``residual``, run
    :func:`remove_large_stripe` with ``snr`` and ``size``.
    """
    n_threads = resolve_workers(workers)
    size = positive_int(size, "size")
    smooth_strength = positive_int(smooth_strength, "smooth_strength")
    sinos = Sinograms(sinogram, out)
    return sinos.finish(_dead(sinos.data, snr, size, residual is True, smooth_strength, n_threads))


@accepts_dask("local")
def remove_all_stripe(sinogram, snr=3.0, la_size=51, sm_size=21, drop_ratio=0.1, dim=1, *,
                      workers=None, out=None):
    """Remove all kinds of stripes (Vo et al. 2018, algorithms 6, 5, 4 and 3), as algotom's
    function: :func:`remove_dead_stripe` (without its residual step), then
    :func:`remove_large_stripe` with window ``la_size``, then
    :func:`remove_stripe_based_sorting` with window ``sm_size``. For flat-field-corrected
    transmission data.
    """
    n_threads = resolve_workers(workers)
    la_size, sm_size = positive_int(la_size, "la_size"), positive_int(sm_size, "sm_size")
    dim = window_dim(dim)
    sinos = Sinograms(sinogram, out)
    cleaned = _dead(sinos.data, snr, la_size, False, 10, n_threads)
    cleaned = _large(cleaned, snr, la_size, drop_ratio, True, n_threads)
    return sinos.finish(_sorting(cleaned, sm_size, dim, n_threads, sinos.destination()))


for _method in (remove_stripe_based_sorting, remove_stripe_based_filtering,
                remove_stripe_based_fitting, remove_large_stripe, remove_dead_stripe,
                remove_all_stripe):
    _method.__doc__ += _COMMON_DOC
