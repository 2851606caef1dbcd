"""gaussian_filter: qbi_fast (1 thread and all) vs scipy.ndimage and SimpleITK, on the foam.

Run: pytest bench/bench_gaussian.py --benchmark-only --benchmark-json=gaussian.json
then: python bench/ratios.py gaussian.json
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

import qbi_fast.ndimage as qndi

DTYPES = ["float32", "float64"]
SIGMAS = [1.0, 3.0]


@pytest.fixture(scope="module", params=DTYPES)
def volume(request, foam):
    return foam.astype(request.param)


def _group(benchmark, volume, sigma, impl, workers):
    benchmark.group = f"gaussian {volume.dtype} sigma={sigma:g}"
    benchmark.extra_info.update(impl=impl, workers=workers, shape=list(volume.shape))


@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("workers", [1, "all"])
def test_gaussian_qbi_fast(benchmark, timed, all_workers, volume, sigma, workers):
    n = all_workers if workers == "all" else workers
    _group(benchmark, volume, sigma, "qbi_fast", n)
    result = timed(lambda: qndi.gaussian_filter(volume, sigma, workers=n))
    assert result.dtype == volume.dtype


@pytest.mark.parametrize("sigma", SIGMAS)
def test_gaussian_scipy(benchmark, timed, volume, sigma):
    _group(benchmark, volume, sigma, "scipy", 1)
    result = timed(lambda: ndi.gaussian_filter(volume, sigma), rounds=3)
    assert result.dtype == volume.dtype


@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("method", ["DiscreteGaussian", "SmoothingRecursiveGaussian"])
def test_gaussian_simpleitk(benchmark, timed, all_workers, volume, sigma, method):
    """SimpleITK's multithreaded filters (not scipy-exact: other kernels and borders)."""
    sitk = pytest.importorskip("SimpleITK")
    n = all_workers
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(n)
    image = sitk.GetImageFromArray(volume)
    if method == "DiscreteGaussian":

        def f():
            return sitk.DiscreteGaussian(image, variance=sigma * sigma, maximumKernelWidth=64,
                                         maximumError=0.001, useImageSpacing=False)
    else:

        def f():
            return sitk.SmoothingRecursiveGaussian(image, sigma)

    _group(benchmark, volume, sigma, f"SimpleITK {method}", n)
    result = timed(f)
    assert result.GetSize() == volume.shape[::-1]


@pytest.fixture(scope="module")
def colour_image():
    """A (2000, 2000, 3) float32 image, channels last: lines along the 3-sample axis, and
    lines whose most contiguous neighbours are only 3."""
    return np.random.default_rng(0).random((2000, 2000, 3), dtype=np.float32)


def _qbi_fast_and_scipy(benchmark, timed, all_workers, data, sigma, group, impl):
    """One of: qbi_fast on 1 thread, on all, or scipy, on ``data``."""
    benchmark.group = group
    workers = {"qbi_fast 1": 1, "qbi_fast all": all_workers, "scipy": 1}[impl]
    benchmark.extra_info.update(impl=impl.split()[0], workers=workers, shape=list(data.shape))
    if impl == "scipy":
        return timed(lambda: ndi.gaussian_filter(data, sigma), rounds=3)
    return timed(lambda: qndi.gaussian_filter(data, sigma, workers=workers))


@pytest.mark.parametrize("impl", ["qbi_fast 1", "qbi_fast all", "scipy"])
def test_gaussian_channels_last(benchmark, timed, all_workers, colour_image, impl):
    result = _qbi_fast_and_scipy(benchmark, timed, all_workers, colour_image, 2.0,
                                 "gaussian float32 (2000, 2000, 3) sigma=2", impl)
    assert result.dtype == np.float32


@pytest.fixture(scope="module")
def big_endian_foam(foam):
    """The foam as float32 read from a big-endian file (as tifffile gives such a file)."""
    return foam.astype(">f4")


@pytest.mark.parametrize("impl", ["qbi_fast 1", "qbi_fast all", "scipy"])
def test_gaussian_big_endian(benchmark, timed, all_workers, big_endian_foam, impl):
    """Big-endian input: qbi_fast copies it into native order, then filters."""
    result = _qbi_fast_and_scipy(benchmark, timed, all_workers, big_endian_foam, 3.0,
                                 "gaussian >f4 (big-endian) sigma=3", impl)
    assert result.dtype == np.float32
