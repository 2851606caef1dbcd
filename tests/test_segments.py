"""Filtering an array given in pieces, never assembled: the correlation kernel on a line made of
several segments (a block and the halos around it), the gaussian on a box given as a grid of
parts, and dask chunks filtered from their pieces.

Every result is compared byte for byte with scipy's on the assembled array (correlate1d for the
kernel, gaussian_filter for the parts), over dtypes, boundary modes, cuts that leave empty
segments, segment layouts (copies, views, F-order, reversed), sub-ranges of the line, in-place
output and threads; misuse raises. A hypothesis property covers the kernel over random cuts.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from qbi_fast import _core
from qbi_fast._testing import FILTER_MODES as MODES
from qbi_fast._testing import hypothesis_settings
from qbi_fast._validate import mode_code
from qbi_fast.ndimage._gaussian import gaussian_filter_parts

SHAPE = (11, 14, 17)
WEIGHTS = {
    "even": np.array([0.05, 0.1, 0.2, 0.3, 0.2, 0.1, 0.05]),
    "odd": np.array([-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3]),
}
LAYOUTS = ("view", "copy", "fortran", "reversed")


def random_array(shape, dtype, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "ui":
        return rng.integers(0, 200, size=shape).astype(dtype)
    return (rng.standard_normal(size=shape) * 100).astype(dtype)


def laid_out(part: np.ndarray, layout: str) -> np.ndarray:
    """The same samples in another memory layout: a view, a C copy, an F copy, or a view of a
    copy whose first axis is stored reversed (negative stride)."""
    if layout == "copy":
        return part.copy()
    if layout == "fortran":
        return np.asfortranarray(part)
    if layout == "reversed":
        return part[::-1].copy()[::-1]
    return part


def segments_of(x: np.ndarray, axis: int, cuts, layouts) -> list[np.ndarray]:
    bounds = [0, *cuts, x.shape[axis]]
    return [laid_out(x[(slice(None),) * axis + (slice(a, b),)], layout)
            for (a, b), layout in zip(itertools.pairwise(bounds), itertools.cycle(layouts),
                                      strict=False)]


def correlate_segments(segments, out, axis, weights, mode, cval, workers, first) -> np.ndarray:
    assert _core.correlate1d_symmetric(segments, out, axis, weights, mode_code(mode), cval,
                                       workers, first)
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8", "int16"])
@pytest.mark.parametrize("weights", WEIGHTS)
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("cuts", [(), (4,), (3, 9), (0, 5, 5, 11)], ids=str)
def test_segments_equal_the_whole_line(mode, dtype, weights, axis, cuts):
    x = random_array(SHAPE, dtype, seed=axis)
    w = WEIGHTS[weights]
    cuts = tuple(min(c, x.shape[axis]) for c in cuts)
    segments = segments_of(x, axis, cuts, LAYOUTS[axis:] + LAYOUTS[:axis])
    whole = ndi.correlate1d(x, w, axis, mode=mode, cval=2.5)
    n = x.shape[axis]
    for first, count in [(0, n), (0, 1), (n - 1, 1), (3, n - 6), (2, 4)]:
        along = (slice(None),) * axis + (slice(first, first + count),)
        for workers in (1, 2):
            out = np.full(whole[along].shape, 77, dtype)
            correlate_segments(segments, out, axis, w, mode, 2.5, workers, first)
            np.testing.assert_array_equal(out, whole[along], err_msg=f"{first=} {count=}")


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("mode", ["reflect", "wrap", "constant"])
def test_segments_in_place_on_the_core(axis, mode):
    """The output is the core segment itself (as for the later passes over a dask chunk): it
    is overwritten with its result and the other segments are left alone."""
    x = random_array((20, 24, 28), "float32", seed=3)
    w = WEIGHTS["even"]
    expected = ndi.correlate1d(x, w, axis, mode=mode)
    cut = (slice(None),) * axis
    before, core, after = (x[cut + (s,)].copy() for s in (slice(0, 5), slice(5, 15),
                                                         slice(15, None)))
    kept = before.copy(), after.copy()
    correlate_segments([before, core, after], core, axis, w, mode, 0.0, 2, 5)
    np.testing.assert_array_equal(core, expected[cut + (slice(5, 15),)])
    np.testing.assert_array_equal(before, kept[0])
    np.testing.assert_array_equal(after, kept[1])


@hypothesis_settings(60)
@given(data=st.data())
def test_segments_hypothesis(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=16))
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    layouts = data.draw(st.lists(st.sampled_from(LAYOUTS), min_size=1, max_size=4))
    radius = data.draw(st.integers(0, 5))
    half = data.draw(st.lists(st.floats(0.01, 1.0), min_size=radius, max_size=radius))
    sign = data.draw(st.sampled_from([1.0, -1.0]))
    w = np.array([*half, 0.0 if sign < 0 else 0.4, *(sign * v for v in reversed(half))])
    mode = data.draw(st.sampled_from(MODES))
    dtype = data.draw(st.sampled_from(["float32", "float64", "uint16"]))
    out_dtype = data.draw(st.sampled_from(["float32", "float64", dtype]))
    first = data.draw(st.integers(0, n - 1))
    count = data.draw(st.integers(1, n - first))
    x = random_array(shape, dtype, seed=data.draw(st.integers(0, 99)))
    along = (slice(None),) * axis + (slice(first, first + count),)
    expected = ndi.correlate1d(x, w, axis, output=np.dtype(out_dtype), mode=mode,
                               cval=-1.0)[along]
    out = np.full(expected.shape, 77, out_dtype)
    correlate_segments(segments_of(x, axis, cuts, layouts), out, axis, w, mode, -1.0,
                       data.draw(st.integers(1, 3)), first)
    np.testing.assert_array_equal(out, expected)


def test_segments_misuse_is_refused():
    w = WEIGHTS["even"]
    x = np.zeros((4, 10))
    out = np.full((4, 10), 7.0)
    with pytest.raises(ValueError, match="dtype and shape"):
        _core.correlate1d_symmetric([x[:, :5], x[:, 5:].astype(np.float32)], out, 1, w, 2, 0.0, 1)
    with pytest.raises(ValueError, match="dtype and shape"):
        _core.correlate1d_symmetric([x[:, :5], x[:3, 5:]], out, 1, w, 2, 0.0, 1)
    with pytest.raises(ValueError, match="dtype and shape"):
        _core.correlate1d_symmetric([x, x[None]], out, 1, w, 2, 0.0, 1)
    with pytest.raises(TypeError, match="numpy arrays"):
        _core.correlate1d_symmetric([x[:, :5], [[0.0] * 5] * 4], out, 1, w, 2, 0.0, 1)
    with pytest.raises(TypeError, match="list of them"):
        _core.correlate1d_symmetric({"a": x}, out, 1, w, 2, 0.0, 1)
    with pytest.raises(ValueError, match="at least one"):
        _core.correlate1d_symmetric([], out, 1, w, 2, 0.0, 1)
    with pytest.raises(ValueError, match="first"):  # 10 samples in all, not 11
        _core.correlate1d_symmetric([x[:, :5], x[:, 5:]], out, 1, w, 2, 0.0, 1, 1)
    with pytest.raises(ValueError, match="out of range"):
        _core.correlate1d_symmetric([x[:, :5], x[:, 5:]], out, 2, w, 2, 0.0, 1)
    for dtype in (np.complex128, ">f8"):  # what the kernels do not take, in any segment
        with pytest.raises(TypeError, match="supported"):
            _core.correlate1d_symmetric([x[:, :5], x[:, 5:].astype(dtype)], out, 1, w, 2, 0.0, 1)
    read_only = np.zeros((4, 10))
    read_only.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        _core.correlate1d_symmetric([x[:, :5], x[:, 5:]], read_only, 1, w, 2, 0.0, 1)
    assert np.all(out == 7.0)
    assert not _core.correlate1d_symmetric([x[:, :5], x[:, 5:]], out, 1, np.array([1.0, 2.0, 0.5]),
                                           2, 0.0, 1)
    assert np.all(out == 7.0)


def grid_parts(box: np.ndarray, cuts: list) -> dict:
    """``box`` as a grid of parts keyed by where each starts: ``cuts`` per axis (empty parts
    left out, as a span has none)."""
    bounds = [sorted({0, *c, n}) for c, n in zip(cuts, box.shape, strict=True)]
    parts = {}
    for ranges in itertools.product(*(list(itertools.pairwise(b)) for b in bounds)):
        where = tuple(slice(a, b) for a, b in ranges)
        parts[tuple(a for a, _ in ranges)] = box[where].copy()
    return parts


GAUSSIAN_CASES = {
    "3-d, halo on every side": ((15, 16, 17), [(4, 11), (5, 11), (3, 14)], {"sigma": 1.0}),
    "3-d, a core at two ends": ((12, 16, 17), [(8,), (5,), (4, 9, 13)],
                                {"sigma": (0.8, 1.2, 1.0), "mode": "nearest"}),
    "3-d, halos made of two parts": ((15, 10, 9), [(2, 5, 10, 13), (), (3,)],
                                     {"sigma": 1.0, "order": (0, 1, 0)}),
    "2-d, axes and output dtype": ((20, 18), [(6, 14), (5, 12)],
                                   {"sigma": 1.5, "axes": (1,), "output": np.float64}),
    "2-d, integer data, constant mode": ((19, 21), [(5, 14), (6, 15)],
                                         {"sigma": 1.3, "mode": "constant", "cval": 3.0}),
    "1-d, radius": ((40,), [(9, 30)], {"sigma": 2.0, "radius": 6, "mode": "mirror"}),
}


@pytest.mark.parametrize("case", GAUSSIAN_CASES)
@pytest.mark.parametrize("workers", [1, 2])
def test_gaussian_of_parts_is_the_core_of_the_assembled_result(case, workers):
    shape, cuts, kwargs = GAUSSIAN_CASES[case]
    dtype = np.int16 if "integer" in case else np.float32
    box = random_array(shape, dtype, seed=len(case))
    core_index = tuple(len(c) // 2 for c in cuts)  # a middle part along every axis
    bounds = [sorted({0, *c, n}) for c, n in zip(cuts, shape, strict=True)]
    inner = tuple(slice(b[i], b[i + 1]) for b, i in zip(bounds, core_index, strict=True))
    expected = ndi.gaussian_filter(box, **kwargs)[inner]
    result = gaussian_filter_parts(grid_parts(box, cuts), tuple(s.start for s in inner),
                                   workers=workers, **kwargs)
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("dtype", [np.float16, np.complex64, ">f4"])
def test_gaussian_of_parts_declines_what_the_kernels_do_not_take(dtype):
    """None, so that the caller assembles the block and filters it the usual way."""
    box = np.ones((12, 12), dtype)
    assert gaussian_filter_parts(grid_parts(box, [(4, 8), (4, 8)]), (4, 4), 1.0) is None
    assert gaussian_filter_parts({}, (0, 0), 1.0) is None  # an empty array has no parts
