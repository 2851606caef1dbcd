"""Münch et al. 2009 (Optics Express 17(10), 8567): combined wavelet-Fourier stripe removal,
with tomopy's parameters and defaults (the method of the MuhRec reconstruction software).
Wavelets from PyWavelets, Fourier transforms from scipy.fft."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.fft

from .._dispatch import accepts_dask
from .._threads import resolve_workers
from ._sinogram import Sinograms, positive_int

__all__ = ["remove_stripe_fw"]


def _damp_vertical_details(band, sigma, n_threads):
    """Suppress the near-zero angular frequencies of a vertical-detail band, where stripes
    live: weight its Fourier transform along the angles by 1 - exp(-k^2 / (2 sigma^2))."""
    n = band.shape[0]
    frequency = (np.arange(-n, n, 2, dtype=band.dtype) + 1) / 2
    damp = -np.expm1(-np.square(frequency) / (2 * np.square(band.dtype.type(sigma))))
    spectrum = np.fft.fftshift(scipy.fft.fft(band, axis=0, workers=n_threads), axes=0)
    spectrum *= damp[:, None, None]
    spectrum = np.fft.ifftshift(spectrum, axes=0)
    return scipy.fft.ifft(spectrum, axis=0, workers=n_threads).real.astype(band.dtype)


def _fw(data, level, wname, sigma, pad, n_threads):
    import pywt

    n_angles, _, n_columns = data.shape
    padded_angles = n_angles + n_angles // 8 if pad else n_angles
    shift = (padded_angles - n_angles) // 2
    approx = np.zeros((padded_angles,) + data.shape[1:], data.dtype)
    approx[shift : shift + n_angles] = data
    details = []
    for _ in range(level):
        approx, (horizontal, vertical, diagonal) = pywt.dwt2(approx, wname, axes=(0, 2))
        vertical = _damp_vertical_details(vertical, sigma, n_threads)
        details.append((horizontal, vertical, diagonal))
    for horizontal, vertical, diagonal in reversed(details):
        approx = approx[: horizontal.shape[0], :, : horizontal.shape[2]]
        approx = pywt.idwt2((approx, (horizontal, vertical, diagonal)), wname, axes=(0, 2))
    return approx[shift : shift + n_angles, :, :n_columns].astype(data.dtype, copy=False)


@accepts_dask("local")
def remove_stripe_fw(sinogram, level=None, wname="db5", sigma=2, pad=True, *, workers=None,
                     out=None):
    """Remove stripes by combined wavelet-Fourier filtering (Münch et al. 2009), as tomopy's
    remove_stripe_fw: ``level`` levels of the 2-d discrete wavelet transform (wavelet
    ``wname``), the vertical-detail band of each damped in Fourier space along the angles with
    a Gaussian notch of width ``sigma``, and the inverse transform. ``pad`` zero-pads the angles
    by 1/8 first. ``level=None`` means ceil(log2(largest axis of the input)), as tomopy.

    Meant for -log (line-integral) data, on which stripes are additive.

    sinogram : array_like
        One sinogram (angles, columns) or a projection stack (angles, rows, columns), cleaned
        sinogram by sinogram. float64 is processed in float64, every other real dtype in
        float32 (tomopy's precision). NaN or infinity raise ValueError.
    workers : int or None, keyword-only
        Threads to use (None: :func:`qbi_fast.get_workers`): sinograms of a stack are shared
        among them. The result does not depend on it.
    out : ndarray, optional, keyword-only
        Array for the result (input's shape, working dtype); may be the input itself.
    """
    n_threads = resolve_workers(workers)
    sinos = Sinograms(sinogram, out)
    if level is None:
        level = int(np.ceil(np.log2(max(sinos.shape))))
    level = positive_int(level, "level")
    data = sinos.data
    n_rows = data.shape[1]
    if n_threads == 1 or n_rows == 1:
        return sinos.finish(_fw(data, level, wname, sigma, pad, n_threads))
    # Sinograms are independent: share them out in blocks of rows, one per thread.
    bounds = np.linspace(0, n_rows, min(n_threads, n_rows) + 1).astype(int)
    result = np.empty_like(data)

    def clean(block):
        start, stop = bounds[block], bounds[block + 1]
        result[:, start:stop] = _fw(data[:, start:stop], level, wname, sigma, pad, 1)

    with ThreadPoolExecutor(len(bounds) - 1) as pool:
        list(pool.map(clean, range(len(bounds) - 1)))
    return sinos.finish(result)
