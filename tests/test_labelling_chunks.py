"""qbi_fast.labelling: chunks labelled separately and merged give scipy's labels on the whole
volume, for many chunk shapes, structures and dimensions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

from qbi_fast.labelling import label_chunk, label_in_chunks, merge_chunks, relabel_chunk


def _volume(shape, p, seed):
    return np.random.default_rng(seed).random(shape) < p


@pytest.mark.parametrize("connectivity", [1, 2, 3])
@pytest.mark.parametrize("chunk_shape", [(1, 1, 1), (2, 3, 5), (4, 4, 4), (7, 1, 9), (20, 20, 20)])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_chunked_equals_whole_3d(connectivity, chunk_shape, p):
    volume = _volume((9, 10, 11), p, seed=connectivity)
    structure = ndi.generate_binary_structure(3, connectivity)
    expected, n = ndi.label(volume, structure)
    labels, count = label_in_chunks(volume, chunk_shape, structure)
    assert count == n
    np.testing.assert_array_equal(labels, expected)
    assert labels.dtype == expected.dtype


def test_objects_crossing_chunk_corners_only():
    """Two voxels touching only diagonally across a chunk corner (26-connectivity)."""
    volume = np.zeros((4, 4, 4), bool)
    volume[1, 1, 1] = volume[2, 2, 2] = True
    structure = ndi.generate_binary_structure(3, 3)
    labels, count = label_in_chunks(volume, (2, 2, 2), structure)
    assert count == 1
    np.testing.assert_array_equal(labels, ndi.label(volume, structure)[0])


def test_foam_like_volume_merges_objects_cut_by_chunks():
    smooth = ndi.gaussian_filter(np.random.default_rng(3).random((30, 40, 50)), 3)
    volume = smooth > np.percentile(smooth, 60)
    expected, n = ndi.label(volume)
    naive = sum(ndi.label(volume[z:z + 10])[1] for z in range(0, 30, 10))
    assert naive > n  # the usual per-block recipe overcounts
    labels, count = label_in_chunks(volume, (10, 13, 17))
    assert count == n
    np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize("chunk_shape", [(0, 2), (-1, 2), (2,), (2, 2, 2)])
def test_bad_chunk_shape_is_refused(chunk_shape):
    with pytest.raises(ValueError, match="chunk_shape"):
        label_in_chunks(np.ones((4, 4)), chunk_shape)


@settings(max_examples=150, deadline=None)
@given(
    shape=st.lists(st.integers(1, 8), min_size=1, max_size=4).map(tuple),
    chunk=st.lists(st.integers(1, 5), min_size=4, max_size=4),
    p=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**16),
    structure_seed=st.integers(0, 2**16),
)
def test_chunked_equals_whole_property(shape, chunk, p, seed, structure_seed):
    volume = _volume(shape, p, seed)
    rng = np.random.default_rng(structure_seed)
    structure = rng.random((3,) * len(shape)) < 0.5
    structure |= structure[(slice(None, None, -1),) * len(shape)]
    expected, n = ndi.label(volume, structure)
    labels, count = label_in_chunks(volume, chunk[: len(shape)], structure)
    assert count == n
    np.testing.assert_array_equal(labels, expected)


def test_step_by_step_api_and_offsets():
    volume = _volume((6, 8), 0.5, seed=7)
    chunks = [label_chunk(volume[:, :5], (0, 0), volume.shape),
              label_chunk(volume[:, 5:], (0, 5), volume.shape)]
    lookups, count = merge_chunks(chunks)
    expected, n = ndi.label(volume)
    assert count == n
    whole = np.concatenate([relabel_chunk(c, lk) for c, lk in zip(chunks, lookups, strict=True)], axis=1)
    np.testing.assert_array_equal(whole, expected)


def test_bad_arguments():
    with pytest.raises(ValueError, match="do not fit"):
        label_chunk(np.ones((3, 3)), (2, 0), (4, 4))
    with pytest.raises(ValueError, match="symmetric"):
        label_chunk(np.ones((3, 3)), (0, 0), (3, 3), structure=np.tril(np.ones((3, 3))))


@pytest.mark.parametrize("dtype", [np.float16, object, np.complex64, ">f8", ">i4"])
def test_label_in_chunks_refuses_what_scipy_refuses(assert_same_error, dtype):
    x = np.ones((4, 5), dtype)
    assert_same_error(lambda: label_in_chunks(x, (2, 2)), lambda: ndi.label(x))


@pytest.mark.parametrize("dtype", [np.float16, object, np.complex64])
def test_label_chunk_refuses_dtypes_scipy_refuses(assert_same_error, dtype):
    x = np.ones((4, 5), dtype)
    assert_same_error(lambda: label_chunk(x, (0, 0), (4, 5)), lambda: ndi.label(x))


def test_label_chunk_of_a_big_endian_file():
    """A chunk read from a big-endian file is labelled as its native-order values are."""
    x = np.random.default_rng(5).integers(0, 2, size=(6, 7)).astype(">u2")
    chunk = label_chunk(x, (0, 0), x.shape)
    expected, n = ndi.label(x.astype(np.uint16))
    assert chunk.count == n
    np.testing.assert_array_equal(chunk.labels, expected)


def test_summary_of_a_chunk_without_samples():
    chunk = label_chunk(np.zeros((0, 4), bool), (2, 0), (5, 4))
    summary = chunk.summary()
    assert summary.count == 0
    assert summary.shape == (0, 4)
    lookups, count = merge_chunks([label_chunk(np.ones((2, 4)), (0, 0), (5, 4)).summary(), summary,
                                   label_chunk(np.ones((3, 4)), (2, 0), (5, 4)).summary()])
    assert count == 1
    assert [list(lookup) for lookup in lookups] == [[0, 1], [0], [0, 1]]


def test_label_chunk_with_a_fortran_ordered_structure():
    x = np.random.default_rng(6).random((9, 10)) < 0.5
    structure = np.asfortranarray([[0, 0, 0], [1, 1, 1], [0, 0, 0]], dtype=bool)
    chunk = label_chunk(x, (0, 0), x.shape, structure)
    expected, n = ndi.label(x, structure)
    assert chunk.count == n
    np.testing.assert_array_equal(chunk.labels, expected)
