"""binary_erosion and grey_erosion: qbi_fast (1 thread and all) vs scipy.ndimage, fastmorph and
the edt route, on the thresholded foam (the lecture pipeline's mask: gaussian sigma 3 of
1 - foam/255, above 0.9).

Run: pytest bench/bench_morphology.py --benchmark-only --benchmark-json=morphology.json
then: python bench/ratios.py morphology.json
scipy's ball(12) erosion takes about 10 s here, so scipy runs once per case (no warm-up).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

import qbi_fast.ndimage as qndi

STRUCTURES = {
    "ball(12)": qndi.ball(12),
    "ball(3)": qndi.ball(3),
    "cube 3x3x3": np.ones((3, 3, 3), dtype=bool),
    "cross (ball(1))": ndi.generate_binary_structure(3, 1),
}
BALL_RADII = {"ball(12)": 12, "ball(3)": 3, "cross (ball(1))": 1}


@pytest.fixture(scope="module")
def mask(foam):
    smooth = qndi.gaussian_filter(1 - foam.astype(np.float32) / 255, 3)
    return smooth > 0.9


def _group(benchmark, kind, name, impl, workers):
    benchmark.group = f"{kind} {name}"
    benchmark.extra_info.update(impl=impl, workers=workers)


@pytest.mark.parametrize("name", list(STRUCTURES))
@pytest.mark.parametrize("workers", [1, "all"])
def test_binary_erosion_qbi_fast(benchmark, timed, all_workers, mask, name, workers):
    n = all_workers if workers == "all" else workers
    _group(benchmark, "binary_erosion", name, "qbi_fast", n)
    result = timed(lambda: qndi.binary_erosion(mask, STRUCTURES[name], workers=n))
    assert result.dtype == bool  # identity with scipy: checked in its benchmark below


@pytest.mark.parametrize("name", list(STRUCTURES))
def test_binary_erosion_scipy(benchmark, mask, name):
    _group(benchmark, "binary_erosion", name, "scipy", 1)
    result = benchmark.pedantic(lambda: ndi.binary_erosion(mask, STRUCTURES[name]), rounds=1,
                                iterations=1)
    assert np.array_equal(result, qndi.binary_erosion(mask, STRUCTURES[name]))


@pytest.mark.parametrize("name", list(BALL_RADII))
def test_binary_erosion_fastmorph(benchmark, timed, all_workers, mask, name):
    """fastmorph's spherical erosion through an exact distance transform (its own ball rule and
    border: it treats the outside as foreground, so it is not scipy-identical)."""
    fastmorph = pytest.importorskip("fastmorph")
    _group(benchmark, "binary_erosion", name, "fastmorph.spherical_erode", all_workers)
    radius = BALL_RADII[name]
    result = timed(lambda: fastmorph.spherical_erode(mask, radius, parallel=all_workers))
    assert result.shape == mask.shape


@pytest.mark.parametrize("name", list(BALL_RADII))
def test_binary_erosion_edt(benchmark, timed, all_workers, mask, name):
    """The edt route: squared distance to the background, thresholded (outside as background,
    as scipy's border_value=0)."""
    edt = pytest.importorskip("edt")
    _group(benchmark, "binary_erosion", name, "edt.sdf threshold", all_workers)
    radius = BALL_RADII[name]

    def erode():
        return edt.edtsq(mask, black_border=True, parallel=all_workers) > radius * radius

    result = timed(erode)
    assert np.array_equal(result, qndi.binary_erosion(mask, STRUCTURES[name]))


GREY = {"size 3": {"size": 3}, "size 7": {"size": 7}, "ball(3) footprint": {
    "footprint": qndi.ball(3).astype(bool)}}


@pytest.mark.parametrize("name", list(GREY))
@pytest.mark.parametrize("workers", [1, "all"])
def test_grey_erosion_qbi_fast(benchmark, timed, all_workers, foam, name, workers):
    n = all_workers if workers == "all" else workers
    _group(benchmark, "grey_erosion uint8", name, "qbi_fast", n)
    result = timed(lambda: qndi.grey_erosion(foam, **GREY[name], workers=n))
    assert result.dtype == foam.dtype


@pytest.mark.parametrize("name", list(GREY))
def test_grey_erosion_scipy(benchmark, timed, foam, name):
    _group(benchmark, "grey_erosion uint8", name, "scipy", 1)
    result = timed(lambda: ndi.grey_erosion(foam, **GREY[name]), rounds=2)
    assert np.array_equal(result, qndi.grey_erosion(foam, **GREY[name]))


@pytest.fixture(scope="module")
def colour_mask():
    """A (1500, 1500, 3) bool image, channels last (a last axis of 3 samples)."""
    return np.random.default_rng(0).random((1500, 1500, 3)) < 0.7


@pytest.mark.parametrize("impl", ["qbi_fast 1", "qbi_fast all", "scipy"])
def test_erosion_channels_last(benchmark, timed, all_workers, colour_mask, impl):
    benchmark.group = "binary_erosion bool (1500, 1500, 3) default structure"
    workers = {"qbi_fast 1": 1, "qbi_fast all": all_workers, "scipy": 1}[impl]
    benchmark.extra_info.update(impl=impl.split()[0], workers=workers,
                                shape=list(colour_mask.shape))
    if impl == "scipy":
        result = timed(lambda: ndi.binary_erosion(colour_mask), rounds=3)
    else:
        result = timed(lambda: qndi.binary_erosion(colour_mask, workers=workers))
    assert result.dtype == bool
