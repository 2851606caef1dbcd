"""median_filter: qbi_fast (1 thread and all) vs scipy.ndimage, SimpleITK and scikit-image, on
the foam (uint8 and float32, sizes 3 and 5).

Run: pytest bench/bench_median.py --benchmark-only --benchmark-json=median.json
then: python bench/ratios.py median.json
scipy takes about a minute per size-5 call here, so it runs once (no warm-up).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

import qbi_fast.ndimage as qndi

SIZES = [3, 5]


@pytest.fixture(scope="module", params=["uint8", "float32"])
def volume(request, foam):
    return foam.astype(request.param)


def _group(benchmark, volume, size, impl, workers):
    benchmark.group = f"median {volume.dtype} size={size}"
    benchmark.extra_info.update(impl=impl, workers=workers, shape=list(volume.shape))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("workers", [1, "all"])
def test_median_qbi_fast(benchmark, timed, all_workers, volume, size, workers):
    n = all_workers if workers == "all" else workers
    _group(benchmark, volume, size, "qbi_fast", n)
    result = timed(lambda: qndi.median_filter(volume, size, workers=n), rounds=3)
    assert result.dtype == volume.dtype


@pytest.mark.parametrize("size", SIZES)
def test_median_scipy(benchmark, volume, size):
    _group(benchmark, volume, size, "scipy", 1)
    result = benchmark.pedantic(lambda: ndi.median_filter(volume, size), rounds=1, iterations=1)
    assert result.dtype == volume.dtype


@pytest.mark.parametrize("size", SIZES)
def test_median_simpleitk(benchmark, timed, all_workers, volume, size):
    """SimpleITK's multithreaded box median (its own border rule, so not scipy-identical)."""
    sitk = pytest.importorskip("SimpleITK")
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(all_workers)
    image = sitk.GetImageFromArray(volume)
    _group(benchmark, volume, size, "SimpleITK Median", all_workers)
    result = timed(lambda: sitk.Median(image, [size // 2] * 3), rounds=2)
    assert result.GetSize() == volume.shape[::-1]


@pytest.mark.parametrize("size", SIZES)
def test_median_skimage_rank(benchmark, timed, volume, size):
    """scikit-image's histogram rank median (8/16-bit integers only; its own border rule)."""
    rank = pytest.importorskip("skimage.filters.rank")
    if volume.dtype != np.uint8:
        pytest.skip("skimage.filters.rank takes 8- and 16-bit integer images")
    footprint = np.ones((size,) * 3, dtype=np.uint8)
    _group(benchmark, volume, size, "skimage.filters.rank.median", 1)
    result = timed(lambda: rank.median(volume, footprint), rounds=2)
    assert result.shape == volume.shape


@pytest.fixture(scope="module")
def colour_image():
    """A (1500, 1500, 3) uint8 image, channels last (a last axis of 3 samples)."""
    return np.random.default_rng(0).integers(0, 256, (1500, 1500, 3), dtype=np.uint8)


@pytest.mark.parametrize("impl", ["qbi_fast 1", "qbi_fast all", "scipy"])
def test_median_channels_last(benchmark, timed, all_workers, colour_image, impl):
    benchmark.group = "median uint8 (1500, 1500, 3) size=3"
    workers = {"qbi_fast 1": 1, "qbi_fast all": all_workers, "scipy": 1}[impl]
    benchmark.extra_info.update(impl=impl.split()[0], workers=workers,
                                shape=list(colour_image.shape))
    if impl == "scipy":
        result = timed(lambda: ndi.median_filter(colour_image, 3), rounds=1)
    else:
        result = timed(lambda: qndi.median_filter(colour_image, 3, workers=workers))
    assert result.dtype == np.uint8
