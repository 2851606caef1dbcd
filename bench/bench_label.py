"""label: qbi_fast (1 thread and all) vs scipy.ndimage and cc3d, on random (100, 400, 400) volumes
(p = 0.5) and the eroded foam (the lecture pipeline's mask eroded by ball(12)), 6- and
26-connectivity; plus qbi_fast.labelling's chunked labelling of the eroded foam, and a
(4000, 4000, 1) image (a unit channel axis).

Run: pytest bench/bench_label.py --benchmark-only --benchmark-json=label.json
then: python bench/ratios.py label.json
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

import qbi_fast.ndimage as qndi
from qbi_fast.labelling import label_in_chunks

CONNECTIVITY = {6: 1, 26: 3}


@pytest.fixture(scope="module", params=["random p=0.5", "eroded foam"])
def volume(request, foam):
    if request.param == "random p=0.5":
        return request.param, np.random.default_rng(0).random(foam.shape) < 0.5
    mask = qndi.gaussian_filter(1 - foam.astype(np.float32) / 255, 3) > 0.9
    return request.param, qndi.binary_erosion(mask, qndi.ball(12))


def _group(benchmark, name, connectivity, impl, workers):
    benchmark.group = f"label {name} {connectivity}-connectivity"
    benchmark.extra_info.update(impl=impl, workers=workers)


@pytest.mark.parametrize("connectivity", [6, 26])
@pytest.mark.parametrize("workers", [1, "all"])
def test_label_qbi_fast(benchmark, timed, all_workers, volume, connectivity, workers):
    name, x = volume
    n = all_workers if workers == "all" else workers
    _group(benchmark, name, connectivity, "qbi_fast", n)
    structure = ndi.generate_binary_structure(3, CONNECTIVITY[connectivity])
    labels, count = timed(lambda: qndi.label(x, structure, workers=n))
    expected, expected_count = ndi.label(x, structure)
    assert count == expected_count and np.array_equal(labels, expected)


@pytest.mark.parametrize("connectivity", [6, 26])
def test_label_scipy(benchmark, timed, volume, connectivity):
    name, x = volume
    _group(benchmark, name, connectivity, "scipy", 1)
    structure = ndi.generate_binary_structure(3, CONNECTIVITY[connectivity])
    timed(lambda: ndi.label(x, structure), rounds=3)


@pytest.mark.parametrize("connectivity", [6, 26])
def test_label_cc3d(benchmark, timed, volume, connectivity):
    """cc3d (single-threaded; its own numbering, so not scipy-identical)."""
    cc3d = pytest.importorskip("cc3d")
    name, x = volume
    _group(benchmark, name, connectivity, "cc3d", 1)
    timed(lambda: cc3d.connected_components(x, connectivity=connectivity))


def test_label_in_chunks(benchmark, timed, all_workers, volume):
    """Chunked labelling (chunks of 50x200x200, merged across their boundaries)."""
    name, x = volume
    _group(benchmark, name, 6, "qbi_fast.labelling.label_in_chunks", all_workers)
    labels, count = timed(lambda: label_in_chunks(x, (50, 200, 200)), rounds=3)
    assert count == ndi.label(x)[1]


@pytest.fixture(scope="module")
def image_with_channel_axis():
    """A 2-D mask with a unit channel axis, (Y, X, 1), as image readers often give one."""
    return np.random.default_rng(1).random((4000, 4000, 1)) < 0.5


@pytest.mark.parametrize("impl", ["qbi_fast", "scipy"])
def test_label_unit_last_axis(benchmark, timed, all_workers, image_with_channel_axis, impl):
    x = image_with_channel_axis
    benchmark.group = "label (4000, 4000, 1) random p=0.5, 6-connectivity"
    benchmark.extra_info.update(impl=impl, workers=all_workers if impl == "qbi_fast" else 1)
    func = (lambda: qndi.label(x)) if impl == "qbi_fast" else (lambda: ndi.label(x))
    labels, count = timed(func, rounds=5 if impl == "qbi_fast" else 3)
    if impl == "qbi_fast":
        expected, expected_count = ndi.label(x)
        assert count == expected_count
        assert np.array_equal(labels, expected)
