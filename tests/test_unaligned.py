"""Arrays whose data are not aligned to their item size (views of byte buffers, fields of packed
records) give the results of aligned copies, as input and as output, in every kernel family."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

from qbi_fast import ndimage, tomo


def unaligned(values: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``values`` whose data start one byte past an aligned address."""
    buffer = np.zeros(values.nbytes + 1, np.uint8)
    copy = buffer[1:].view(values.dtype).reshape(values.shape)
    copy[...] = values
    assert not copy.flags.aligned
    return copy


RNG = np.random.default_rng(21)
VOLUME = RNG.random((7, 9, 11)).astype(np.float32)
MASK = VOLUME > 0.35

CALLS = {
    "gaussian_filter": (VOLUME, lambda x, **o: ndimage.gaussian_filter(x, 1.5, **o)),
    "median_filter": (VOLUME, lambda x, **o: ndimage.median_filter(x, 3, **o)),
    "rank_filter": (VOLUME, lambda x, **o: ndimage.rank_filter(x, 4, size=(3, 2, 3), **o)),
    "minimum_filter": (VOLUME, lambda x, **o: ndimage.minimum_filter(x, 4, **o)),
    "maximum_filter1d": (VOLUME, lambda x, **o: ndimage.maximum_filter1d(x, 5, 1, **o)),
    "grey_opening": (VOLUME, lambda x, **o: ndimage.grey_opening(x, size=3, **o)),
    "binary_erosion box": (MASK.astype(np.int32),
                           lambda x, **o: ndimage.binary_erosion(x, np.ones((3, 3, 3)), **o)),
    "binary_dilation cross": (MASK.astype(np.float64),
                              lambda x, **o: ndimage.binary_dilation(x, iterations=2, **o)),
    "label": (MASK.astype(np.uint16), lambda x, **o: ndimage.label(x, **o)),
    "label full": (MASK.astype(np.int64),
                   lambda x, **o: ndimage.label(x, np.ones((3, 3, 3)), **o)),
}


@pytest.mark.parametrize("name", CALLS)
def test_unaligned_input(name):
    values, call = CALLS[name]
    expected = call(values)
    got = call(unaligned(values))
    for a, b in zip(got if isinstance(got, tuple) else [got],
                    expected if isinstance(expected, tuple) else [expected], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", [n for n in CALLS if not n.startswith("label")])
def test_unaligned_output(name):
    values, call = CALLS[name]
    expected = call(values)
    dtype = np.int32 if expected.dtype == bool else expected.dtype  # bools are always aligned
    output = unaligned(np.zeros(values.shape, dtype))
    call(values, output=output)
    np.testing.assert_array_equal(output, expected)


@pytest.mark.parametrize("structure", [None, np.ones((3, 3, 3))], ids=["cross", "full"])
def test_unaligned_label_output_and_measures(structure):
    labels, n = ndi.label(MASK, structure)
    output = unaligned(np.zeros(MASK.shape, np.int32))
    assert ndimage.label(MASK, structure, output) == n
    np.testing.assert_array_equal(output, labels)
    assert ndimage.find_objects(unaligned(labels)) == ndi.find_objects(labels)
    np.testing.assert_array_equal(ndimage.label_sizes(unaligned(labels)), np.bincount(labels.ravel()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unaligned_sinogram_and_out(dtype):
    sinogram = (RNG.random((40, 33)) * 0.5 + 0.5).astype(dtype)
    expected = tomo.remove_stripe_based_sorting(sinogram, size=5)
    np.testing.assert_array_equal(tomo.remove_stripe_based_sorting(unaligned(sinogram), size=5),
                                  expected)
    out = unaligned(np.zeros(sinogram.shape, dtype))
    tomo.remove_stripe_based_sorting(sinogram, size=5, out=out)
    np.testing.assert_array_equal(out, expected)
