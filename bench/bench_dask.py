"""qbi_fast vs dask-image on dask arrays, on the same 2-process LocalCluster: a chunked
(256, 512, 512) float32 volume, chunks (64, 256, 256), held in the workers' memory. Each timed
run persists the lazy result on the cluster and waits for it (nothing is gathered to the
client). Gaussian (sigma 2) and median (size 3) must equal dask-image's results; labels of the
thresholded smoothed volume must equal scipy's labelling of the whole array.

Run: pytest bench/bench_dask.py --benchmark-only --benchmark-json=dask.json
then: python bench/ratios.py dask.json
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import scipy.ndimage as ndi

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dask_image_filters = pytest.importorskip("dask_image.ndfilters")
dask_image_measure = pytest.importorskip("dask_image.ndmeasure")

from qbi_fast import ndimage

SHAPE, CHUNKS = (256, 512, 512), (64, 256, 256)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def volume(client):
    """Random float32 samples, created and kept on the workers."""
    x = da.random.default_rng(0).random(SHAPE, dtype=np.float32, chunks=CHUNKS).persist()
    distributed.wait(x)
    return x


@pytest.fixture(scope="module")
def foreground(volume):
    """Blobs: the smoothed noise above a threshold (computed once, kept on the workers)."""
    smooth = ndimage.gaussian_filter(volume, 2.0)
    mask = (smooth > 0.503).persist()
    distributed.wait(mask)
    return mask


def persisted(func, source):
    """A timed run: ``func(source)``'s lazy arrays computed on the cluster and kept there. Each
    run reads ``source`` under a new name, so that no run reuses an earlier run's results."""
    def run():
        fresh = source.map_blocks(np.asarray, name=f"source-{uuid.uuid4().hex}")
        results = distributed.client.default_client().persist(list(func(fresh)))
        distributed.wait(results)
    return run


CASES = {
    "gaussian sigma 2": (lambda x: ndimage.gaussian_filter(x, 2.0),
                         lambda x: dask_image_filters.gaussian_filter(x, 2.0)),
    "median size 3": (lambda x: ndimage.median_filter(x, 3),
                      lambda x: dask_image_filters.median_filter(x, 3)),
}


@pytest.fixture(scope="module")
def reference(volume):
    """dask-image's results, computed once, for the equality checks."""
    return {name: ours_theirs[1](volume).compute() for name, ours_theirs in CASES.items()}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("impl", ["qbi_fast", "dask-image"])
def test_filter(benchmark, timed, client, volume, reference, case, impl):
    benchmark.group = f"dask {case}, {SHAPE} in chunks {CHUNKS}, 2 processes"
    benchmark.extra_info.update(impl=impl, workers="2 processes x 1 thread")
    func = CASES[case][0 if impl == "qbi_fast" else 1]
    timed(persisted(lambda x: [func(x)], volume), rounds=5 if impl == "qbi_fast" else 3)
    if impl == "qbi_fast":
        np.testing.assert_array_equal(func(volume).compute(), reference[case])


@pytest.fixture(scope="module")
def scipy_labels(foreground):
    return ndi.label(foreground.compute())


@pytest.mark.parametrize("impl", ["qbi_fast", "dask-image"])
def test_label(benchmark, timed, client, foreground, scipy_labels, impl):
    benchmark.group = f"dask label, {SHAPE} in chunks {CHUNKS}, 2 processes"
    benchmark.extra_info.update(impl=impl, workers="2 processes x 1 thread")
    func = ndimage.label if impl == "qbi_fast" else dask_image_measure.label
    timed(persisted(func, foreground), rounds=5 if impl == "qbi_fast" else 3)
    labels, count = func(foreground)
    expected, expected_count = scipy_labels
    assert int(count.compute()) == expected_count
    if impl == "qbi_fast":
        np.testing.assert_array_equal(labels.compute(), expected)
