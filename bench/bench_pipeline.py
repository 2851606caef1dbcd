"""The lecture pipeline end to end on the (100, 400, 400) foam: 1 - x/255 -> gaussian sigma=3
-> threshold 0.9 -> binary erosion by ball(12) -> label -> voxels per object. qbi_fast's
Pipeline (whole volume in one block, and in 8 blocks with halos) vs the same chain of
scipy.ndimage calls; labels must be identical to scipy's labelling of the whole eroded volume.

Run: pytest bench/bench_pipeline.py --benchmark-only --benchmark-json=pipeline.json
then: python bench/ratios.py pipeline.json
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

from qbi_fast import ndimage
from qbi_fast.pipeline import lecture_pipeline

GROUP = "lecture pipeline, foam (100, 400, 400)"


def scipy_lecture(foam):
    """The lecture's chain in scipy and numpy: labels, count and voxels per object."""
    x = np.float32(1) - foam / np.float32(255)
    eroded = ndi.binary_erosion(ndi.gaussian_filter(x, 3.0) > 0.9, ndimage.ball(12))
    labels, count = ndi.label(eroded)
    return labels, count, np.bincount(labels.ravel(), minlength=count + 1)


@pytest.fixture(scope="module")
def expected(foam):
    return scipy_lecture(foam)


@pytest.mark.parametrize("block_shape", [None, (50, 200, 200)], ids=["one block", "8 blocks"])
def test_lecture_qbi_fast(benchmark, timed, all_workers, foam, expected, block_shape):
    benchmark.group = GROUP
    impl = "qbi_fast Pipeline" + ("" if block_shape is None else f" blocks {block_shape}")
    benchmark.extra_info.update(impl=impl, workers=all_workers)
    pipeline = lecture_pipeline()
    result = timed(lambda: pipeline.run(foam, block_shape=block_shape))
    labels, count, sizes = expected
    assert result.count == count
    np.testing.assert_array_equal(result.output, labels)
    np.testing.assert_array_equal(result.sizes, sizes)


def test_lecture_scipy(benchmark, timed, foam):
    benchmark.group = GROUP
    benchmark.extra_info.update(impl="scipy", workers=1)
    timed(lambda: scipy_lecture(foam), rounds=3)
